#include "ctl.h"
#include "err.h"
#include "keycheck.h"
#include "textsafe.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ctl_fail(struct ctl *c, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "otpctl %s: ", c->verb ? c->verb : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int ctl_err(struct ctl *c, int rc, const char *what)
{
	int code;

	switch (rc) {
	case OTP_ENOTFOUND: code = EX_NOTFOUND; break;
	case OTP_EBADCODE: case OTP_EREPLAY: code = EX_BADCODE; break;
	case OTP_EINVAL: case OTP_ETOOLONG: case OTP_EEXIST: case OTP_EDUPLICATE:
		code = EX_USAGE_; break;
	default: code = EX_STORE; break;
	}
	if (otp_errdetail()[0] != '\0')
		return ctl_fail(c, code, "%s: %s", what, otp_errdetail());
	return ctl_fail(c, code, "%s: %s", what, otp_strerror(rc));
}

int ctl_setup_err(struct ctl *c, int rc, const char *what)
{
	/* whatever is wrong with the config, key or store, it is exit 4 */
	return ctl_fail(c, EX_STORE, "%s: %s", what,
			otp_errdetail()[0] ? otp_errdetail() : otp_strerror(rc));
}

int ctl_usage(struct ctl *c, int code)
{
	FILE *out = code == 0 ? stdout : stderr;

	for (const struct verb *v = ctl_verbs(); v->name; v++) {
		if (strcmp(v->name, c->verb) == 0) {
			fprintf(out, "usage: otpctl [--config PATH] [--json] %s %s\n  %s\n", v->name,
				v->usage, v->help);
			break;
		}
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
	int rc = otp_store_open(c->cfg.store, c->cfg.map_size_mb, 0, &c->st);

	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "store");
	if (key) {
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
	}
	return 0;
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
}

int ctl_check_user(struct ctl *c, const char *user)
{
	int rc = otp_valid_user(user);

	return rc == OTP_OK ? 0 : ctl_fail(c, EX_USAGE_, "user name: %s", otp_errdetail());
}

int ctl_user_verb(struct ctl *c, int argc, char **argv, int nargs, int key,
		  struct otp_login *who)
{
	int rc;

	if (argc != nargs)
		return ctl_usage(c, EX_USAGE_);
	rc = ctl_check_user(c, argv[1]);
	if (rc == 0)
		rc = ctl_open(c, key);
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
