/*
 * deliver.c - an out-of-band message handed to the configured command:
 * the command line, environment and identity prepared here, the run
 * itself in spawn.c.
 */
#include "deliver.h"

#include "err.h"
#include "oob.h"
#include "oobaddr.h"
#include "oobmsg.h"
#include "spawn.h"
#include "textsafe.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PW_BUF_MIN 4096
#define PW_BUF_MAX (1 << 20)

/* Nothing of the host's environment (PAM hosts carry their users'
 * variables: LD_PRELOAD, IFS, proxies) reaches the command. */
static char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char env_lang[] = "LANG=C.UTF-8";

static const struct otp_oob_command *command_for(const struct otp_config *cfg,
						  enum otp_dev_type type, const char **key)
{
	*key = type == OTP_EMAIL ? "email_command" : "sms_command";
	return type == OTP_EMAIL ? &cfg->oob.email : &cfg->oob.sms;
}

/* A word exactly "%{to}", "%{user}" or "%{host}" becomes the value; any
 * other word, one that merely holds a placeholder included, stays. */
static char *word(const char *w, const char *to, const char *user, const char *host)
{
	const char *v = strcmp(w, "%{to}") == 0 ? to : strcmp(w, "%{user}") == 0 ? user :
			strcmp(w, "%{host}") == 0 ? host : w;

	return (char *)v;  /* execve's argv type; never written through */
}

/* Values go in as whole argv words, so no quoting is needed; a leading
 * '-' could still be read as an option by the program. */
static int value_ok(const char *what, const char *v)
{
	if (v[0] == '\0' || v[0] == '-')
		return otp_seterr(OTP_EINVAL, "delivery: the %s is empty or starts with '-'", what);
	return OTP_OK;
}

static int check_args(const struct otp_config *cfg, enum otp_dev_type type, const char *to,
		      const char *user, const char *host, const char *message, size_t len)
{
	int rc;

	if (cfg == NULL || !OTP_IS_OOB(type) || to == NULL || user == NULL || host == NULL ||
	    (message == NULL && len != 0) || len > OTP_OOB_MESSAGE_MAX)
		return otp_seterr(OTP_EINVAL, "delivery: bad arguments");
	rc = otp_oob_addr_check(type, to);
	if (rc == OTP_OK)
		rc = value_ok("destination", to);
	if (rc == OTP_OK)
		rc = value_ok("user name", user);
	if (rc == OTP_OK)
		rc = value_ok("host name", host);
	return rc;
}

static int build_argv(const struct otp_config *cfg, enum otp_dev_type type, const char *to,
		      const char *user, const char *host, char **argv)
{
	const char *key;
	const struct otp_oob_command *cmd = command_for(cfg, type, &key);

	if (cmd->argc == 0)
		return otp_seterr(OTP_ECONFIG, "no %s in %s", key, cfg->path[0] ? cfg->path :
				  "the configuration");
	if (cmd->argc > OTP_OOB_ARGS_MAX || cmd->argv[0][0] != '/')
		return otp_seterr(OTP_ECONFIG, "oob.%s: the program must be an absolute path", key);
	for (unsigned i = 0; i < cmd->argc; i++)
		argv[i] = i == 0 ? (char *)cmd->argv[0] : word(cmd->argv[i], to, user, host);
	argv[cmd->argc] = NULL;
	return OTP_OK;
}

/* run_as's ids; OTP_ENOTFOUND when there is no such user */
static int lookup(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	size_t n = PW_BUF_MIN;
	int e;

	for (;;) {
		char *buf = malloc(n);

		if (buf == NULL)
			return otp_seterr(OTP_ENOMEM, "delivery: out of memory");
		e = getpwnam_r(name, &pw, buf, n, &res);
		if (e == 0 && res != NULL) {
			*uid = pw.pw_uid;
			*gid = pw.pw_gid;
		}
		free(buf);
		if (e != ERANGE || n >= PW_BUF_MAX)
			break;
		n *= 2;
	}
	if (e != 0)
		return otp_seterr(OTP_ECONFIG, "oob.run_as: looking up '%s': %s", name, otp_syserr(e));
	return res == NULL ? OTP_ENOTFOUND : OTP_OK;
}

/* As root: cfg->oob.run_as, never uid or gid 0. Otherwise the caller
 * itself (tests, an administrator's own run), unless its real uid is
 * root: a command could take root back from a real uid of 0. */
static int identity(const struct otp_config *cfg, struct otp_spawn *sp)
{
	const char *name = cfg->oob.run_as;
	int rc;

	if (geteuid() != 0) {
		if (getuid() == 0)
			return otp_seterr(OTP_ECONFIG, "delivery: real uid 0 without effective root: "
					  "cannot switch to oob.run_as");
		return OTP_OK;
	}
	rc = lookup(name, &sp->uid, &sp->gid);
	if (rc == OTP_ENOTFOUND)
		return otp_seterr(OTP_ECONFIG, "oob.run_as: no user '%s' in %s", name,
				  cfg->path[0] ? cfg->path : "the configuration");
	if (rc != OTP_OK)
		return rc;
	if (sp->uid == 0 || sp->gid == 0)
		return otp_seterr(OTP_ECONFIG, "oob.run_as: '%s' has uid or gid 0: delivery never "
				  "runs as root", name);
	sp->drop = 1;
	return OTP_OK;
}

/* stderr as one safe line: trailing white space gone, every control
 * character, invalid UTF-8 byte or layout character a '?' */
static void safe_err(const struct otp_spawn_out *o, char *dst, size_t size)
{
	size_t n = o->stderr_len < size - 1 ? o->stderr_len : size - 1, off = 0, at;

	memcpy(dst, o->stderr_text, n);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == '\r' || dst[n - 1] == ' ' ||
			 dst[n - 1] == '\t'))
		n--;
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
	}
	while (off < n && otp_text_problem(dst + off, &at) != NULL) {
		dst[off + at] = '?';
		off += at + 1;
	}
}

static void describe(const struct otp_spawn *sp, const struct otp_spawn_out *o,
		     struct otp_delivery_result *res)
{
	res->ran = o->started;
	res->status = o->status;
	res->signal = o->signal;
	res->timed_out = o->timed_out;
	if (!o->started)
		snprintf(res->why, sizeof(res->why), "cannot run %.100s: %s%s%s", sp->path,
			 strcmp(o->stage, "execve") ? o->stage : "",
			 strcmp(o->stage, "execve") ? ": " : "", otp_syserr(o->err));
	else if (o->timed_out)
		snprintf(res->why, sizeof(res->why), "timeout after %u s", sp->timeout);
	else if (o->lost)
		snprintf(res->why, sizeof(res->why), "exit status unknown (reaped by another)");
	else if (o->signal != 0)
		snprintf(res->why, sizeof(res->why), "signal %d", o->signal);
	else if (o->status != 0)
		snprintf(res->why, sizeof(res->why), "exit %d", o->status);
	safe_err(o, res->err, sizeof(res->err));
}

int otp_oob_deliver(const struct otp_config *cfg, enum otp_dev_type type, const char *to,
		    const char *user, const char *host, const char *message, size_t len,
		    struct otp_delivery_result *res)
{
	char *argv[OTP_OOB_ARGS_MAX + 1];
	char *envp[] = { env_path, env_lang, NULL };
	struct otp_spawn sp;
	struct otp_spawn_out *o;
	int rc;

	if (res == NULL)
		return otp_seterr(OTP_EINVAL, "delivery: no result");
	memset(res, 0, sizeof(*res));
	rc = check_args(cfg, type, to, user, host, message, len);
	if (rc == OTP_OK)
		rc = build_argv(cfg, type, to, user, host, argv);
	memset(&sp, 0, sizeof(sp));
	if (rc == OTP_OK)
		rc = identity(cfg, &sp);
	if (rc != OTP_OK) {  /* why is the audit detail of every failure */
		snprintf(res->why, sizeof(res->why), "cannot run: %.140s", otp_errdetail());
		return rc;
	}
	o = malloc(sizeof(*o));
	if (o == NULL)
		return otp_seterr(OTP_ENOMEM, "delivery: out of memory");
	sp.path = argv[0];
	sp.argv = argv;
	sp.envp = envp;
	sp.in = message;
	sp.inlen = len;
	sp.timeout = cfg->oob.send_timeout > 0 ? cfg->oob.send_timeout : 1;
	rc = otp_spawn_run(&sp, o);
	if (rc == OTP_OK) {
		describe(&sp, o, res);
		rc = res->why[0] == '\0' ? OTP_OK : otp_seterr(OTP_EIO, "%s", res->why);
	} else {
		snprintf(res->why, sizeof(res->why), "cannot run %.100s: %s", sp.path, otp_errdetail());
	}
	otp_wipe(o, sizeof(*o));  /* its stderr may echo the message, code and all */
	free(o);
	return rc;
}

/* Replace every needle in s (size bytes, at most SCRUB_MAX) by repl, cut to fit. */
#define SCRUB_MAX 1024
static void scrub(char *s, size_t size, const char *needle, const char *repl)
{
	char out[SCRUB_MAX];
	size_t o = 0, nl = strlen(needle), rl = strlen(repl);

	if (nl == 0 || size > sizeof(out))
		return;
	for (const char *p = s; *p != '\0' && o + 1 < size;) {
		if (strncmp(p, needle, nl) == 0) {
			size_t k = rl < size - 1 - o ? rl : size - 1 - o;

			memcpy(out + o, repl, k);
			o += k;
			p += nl;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	memcpy(s, out, o + 1);
	otp_wipe(out, sizeof(out));
}

/* A command may echo its input: the destination (masked) and the code
 * (blanked) stay out of the stderr kept for logs and otpctl. */
static void scrub_err(const struct otp_oob_msg *m, struct otp_delivery_result *res)
{
	char masked[OTP_OOB_MASKED_MAX];

	if (otp_oob_mask(m->type, m->to, masked, sizeof(masked)) != OTP_OK)
		snprintf(masked, sizeof(masked), "(destination)");
	scrub(res->err, sizeof(res->err), m->to, masked);
	if (m->code != NULL)
		scrub(res->err, sizeof(res->err), m->code, "******");
}

int otp_oob_send(const struct otp_config *cfg, const struct otp_oob_msg *m,
		 struct otp_delivery_result *res)
{
	char msg[OTP_OOB_MESSAGE_MAX];
	size_t len = 0;
	int rc = otp_oob_message(m, msg, sizeof(msg), &len);

	if (rc == OTP_OK) {
		rc = otp_oob_deliver(cfg, m->type, m->to, m->user, m->host, msg, len, res);
		scrub_err(m, res);
	} else {
		memset(res, 0, sizeof(*res));
		snprintf(res->why, sizeof(res->why), "cannot compose the message: %.100s",
			 otp_errdetail()[0] ? otp_errdetail() : otp_strerror(rc));
	}
	otp_wipe(msg, sizeof(msg));  /* the code and the destination, in clear */
	return rc;
}
