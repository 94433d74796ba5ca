#include "ctl.h"
#include "err.h"
#include "keycheck.h"
#include "textsafe.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The error object of --json: one line on stdout, the message escaped. */
static void json_error(const char *msg, int code)
{
	json_t *j = json_pack("{s:o,s:i}", "error", ctl_jstr(msg), "exit", code);

	fflush(stdout);
	if (j == NULL || json_dumpf(j, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) != 0)
		fprintf(stderr, "otpctl: %s\n", msg);  /* never lose the error */
	json_decref(j);
}

int ctl_report(int json, const char *verb, int code, const char *msg)
{
	if (json)
		json_error(msg, code);
	else if (verb != NULL && verb[0] != '\0')
		fprintf(stderr, "otpctl %s: %s\n", verb, msg);
	else
		fprintf(stderr, "otpctl: %s\n", msg);
	return code;
}

int ctl_fail(struct ctl *c, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctl_report(c->json, c->verb, code, msg);
}

int ctl_code_of(int rc)
{
	switch (rc) {
	case OTP_OK: return EX_OK_;
	case OTP_ENOTFOUND: return EX_NOTFOUND;
	case OTP_EBADCODE: case OTP_EREPLAY: case OTP_ELOCKED: return EX_BADCODE;
	case OTP_EINVAL: case OTP_ETOOLONG: case OTP_EEXIST: case OTP_EDUPLICATE:
		return EX_USAGE_;
	default: return EX_STORE;
	}
}

int ctl_err(struct ctl *c, int rc, const char *what)
{
	const char *text = otp_errdetail()[0] != '\0' ? otp_errdetail() : otp_strerror(rc);

	/* "otpctl revoke: no device ..." rather than "otpctl revoke: revoke: ..." */
	if (what == NULL || (c->verb != NULL && strcmp(what, c->verb) == 0))
		return ctl_fail(c, ctl_code_of(rc), "%s", text);
	return ctl_fail(c, ctl_code_of(rc), "%s: %s", what, text);
}

/*
 * A non-root run that may not read the config, the store or the seal key
 * (the usual 0700/0400 root files): a permission problem, exit 5, not a
 * broken store. faccessat(AT_EACCESS) judges with the effective ids, as
 * the opens did.
 */
static int denied_to_non_root(const struct ctl *c)
{
	const char *paths[3] = { c->config_path, c->cfg.store, c->cfg.seal_key };

	if (geteuid() == 0)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (paths[i] != NULL && paths[i][0] != '\0' &&
		    faccessat(AT_FDCWD, paths[i], R_OK, AT_EACCESS) != 0 && errno == EACCES)
			return 1;
	}
	return 0;
}

int ctl_setup_err(struct ctl *c, int rc, const char *what)
{
	const char *text = otp_errdetail()[0] ? otp_errdetail() : otp_strerror(rc);

	if (denied_to_non_root(c))
		return ctl_fail(c, EX_PERM, "must be run as root (%s: %s)", what, text);
	/* whatever else is wrong with the config, key or store, it is exit 4 */
	return ctl_fail(c, EX_STORE, "%s: %s", what, text);
}

int ctl_usage(struct ctl *c, int code)
{
	FILE *out = code == 0 ? stdout : stderr;
	char msg[1024];

	for (const struct verb *v = ctl_verbs(); v->name; v++) {
		if (strcmp(v->name, c->verb) != 0)
			continue;
		snprintf(msg, sizeof(msg), "usage: otpctl [--config PATH] [--json] %s %s\n  %s",
			 v->name, v->usage, v->help);
		if (c->json && code != 0)
			return ctl_report(1, c->verb, code, msg);
		fprintf(out, "%s\n", msg);
		break;
	}
	return code;
}

static int verb_writes(const struct ctl *c)
{
	for (const struct verb *v = ctl_verbs(); v->name; v++) {
		if (strcmp(v->name, c->verb) == 0)
			return v->writes;
	}
	return 0;
}

int ctl_open(struct ctl *c, int key)
{
	int rc = otp_store_open_with(c->cfg.store,
				 &(struct otp_store_opts){ c->cfg.map_size_mb, c->cfg.store_timeout }, 0, &c->st);

	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "store");
	return key ? ctl_load_key(c) : 0;
}

int ctl_load_key(struct ctl *c)
{
	int rc;

	if (c->key_loaded)
		return 0;
	rc = otp_seal_key_load(c->cfg.seal_key, &c->key);
	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "seal key");
	c->key_loaded = 1;
	/* Before the verb writes or verifies anything; a writer records
	 * the check value of a store that has none once the key opens
	 * one of its secrets. */
	rc = otp_store_key_check(c->st, &c->key, verb_writes(c) ? OTP_KEYCHECK_RECORD : 0);
	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, c->cfg.seal_key);
	return 0;
}

static const char *who_host;  /* config host_name, set once it is loaded */

void ctl_who_host(const char *host_name)
{
	who_host = host_name;
}

/*
 * The administrator: the login uid the kernel keeps across su and sudo
 * (4294967295: none, e.g. a daemon or a boot script) and SUDO_USER.
 * SUDO_USER is only what the environment says; the login uid is not
 * changed by anything but a login.
 */
static const char *actor(void)
{
	static char buf[160];
	char line[32] = "", name[48] = "unset";
	const char *sudo = getenv("SUDO_USER");
	unsigned long uid;
	struct passwd *pw;
	char *end;
	FILE *fp = fopen("/proc/self/loginuid", "re");

	if (fp != NULL) {
		if (fgets(line, sizeof(line), fp) == NULL)
			line[0] = '\0';
		fclose(fp);
	}
	errno = 0;
	uid = strtoul(line, &end, 10);
	if (errno == 0 && end != line && uid < 4294967295ul) {
		pw = getpwuid((uid_t)uid);
		if (pw != NULL)
			snprintf(name, sizeof(name), "%lu(%.32s)", uid, pw->pw_name);
		else
			snprintf(name, sizeof(name), "%lu", uid);
	}
	snprintf(buf, sizeof(buf), "loginuid=%s", name);
	if (sudo != NULL && sudo[0] != '\0')
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ",sudo_user=%.64s", sudo);
	return buf;
}

void ctl_who(struct otp_login *who, const char *user)
{
	static char tty[64];
	const char *t = ttyname(STDIN_FILENO);

	memset(who, 0, sizeof(*who));
	snprintf(tty, sizeof(tty), "%s", t ? t : "");
	who->user = user;
	who->service = "otpctl";
	who->tty = tty;
	who->now = otp_now();
	who->host = who_host;
	who->actor = actor();
}

int ctl_check_user(struct ctl *c, const char *user)
{
	int rc = otp_valid_user(user);

	/* the detail names the user name already ("empty user name", ...) */
	return rc == OTP_OK ? 0 : ctl_fail(c, EX_USAGE_, "%s", otp_errdetail());
}

int ctl_enrolled(struct ctl *c, const char *user)
{
	struct otp_user_rec u;
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(c->st, 0, &txn);

	if (rc == OTP_OK)
		rc = otp_user_load(txn, user, &u);
	otp_txn_abort(txn);
	if (rc == OTP_ENOTFOUND)
		return ctl_fail(c, EX_NOTFOUND, "user '%s' is not enrolled", user);
	return rc == OTP_OK ? 0 : ctl_err(c, rc, "store");
}

int ctl_user_verb(struct ctl *c, int argc, char **argv, int nargs, int key,
		  struct otp_login *who)
{
	int rc;

	if (argc != nargs)
		return ctl_usage(c, EX_USAGE_);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] == '-')  /* these verbs have no options */
			return ctl_fail(c, EX_USAGE_, "unknown option '%s'", argv[i]);
	}
	rc = ctl_check_user(c, argv[1]);
	if (rc == 0)
		rc = ctl_open(c, key);
	if (rc == 0)
		rc = ctl_enrolled(c, argv[1]);
	if (rc == 0 && who != NULL)
		ctl_who(who, argv[1]);
	return rc;
}

const char *ctl_time(uint64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || t == UINT64_MAX || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, n, "%s", t == UINT64_MAX ? "forever" : "-");
	else
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

json_t *ctl_jtime(uint64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	return json_string(ctl_time(t, buf, sizeof(buf)));
}

int ctl_json_print(json_t *v)
{
	int bad = v == NULL || json_dumpf(v, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 ||
		  fputc('\n', stdout) == EOF;

	json_decref(v);
	if (bad) {
		fprintf(stderr, "otpctl: cannot write the JSON output\n");
		return EX_STORE;
	}
	return 0;
}

const char *ctl_show(const char *s, char *buf, size_t n)
{
	(void)otp_text_show(buf, n, s);
	return buf;
}

json_t *ctl_jstr(const char *s)
{
	size_t n = OTP_TEXT_SHOW_SIZE(strlen(s));
	char *buf = malloc(n);
	json_t *j;

	if (buf == NULL)
		return NULL;
	(void)otp_text_show(buf, n, s);
	j = json_string(buf);
	free(buf);
	return j;
}

int ctl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	int opt = getopt_long(argc, argv, shortopts, longopts, NULL);

	return opt;
}
