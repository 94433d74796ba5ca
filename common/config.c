#include "config.h"
#include "store.h"
#include "err.h"
#include "fileck.h"
#include "oobaddr.h"
#include "policy.h"
#include "store_pg_conninfo.h"
#include "util.h"

#include <confuse.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * libconfuse's scanner (flex) keeps global state: two parses at once in
 * one process crash it (threaded PAM hosts call pam_authenticate from
 * many threads). Every libconfuse call runs under this one lock, and
 * pthread_atfork keeps it usable in a child forked while a thread held it.
 */
static pthread_mutex_t confuse_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t confuse_once = PTHREAD_ONCE_INIT;

static void confuse_prepare(void)
{
	pthread_mutex_lock(&confuse_lock);
}

static void confuse_resume(void)
{
	pthread_mutex_unlock(&confuse_lock);
}

static void confuse_atfork(void)
{
	(void)pthread_atfork(confuse_prepare, confuse_resume, confuse_resume);
}

static void confuse_enter(void)
{
	(void)pthread_once(&confuse_once, confuse_atfork);
	pthread_mutex_lock(&confuse_lock);
}

/* The name errors are reported against: a file, or "module argument ...". */
static __thread char cur_source[PATH_MAX + 64];
static __thread int had_error;

struct range { const char *name; long min, max; };

#define OTP_CONFIG_ITEM_MAX 64  /* bytes per list item from a module argument */

/* Every integer key, with its bounds; section keys as "section|key". */
static const struct range ranges[] = {
	{ "map_size_mb", 1, 1048576 },
	{ "digits", OTP_DIGITS_MIN, OTP_DIGITS_MAX },
	{ "period", OTP_PERIOD_MIN, OTP_PERIOD_MAX },
	{ "window", 0, 1000 },
	{ "deny", 0, 1000 },
	{ "fail_interval", 1, 31536000 },
	{ "unlock_time", 0, 31536000 },
	{ "remember_host", 0, 31536000 },
	{ "count", 1, 100 },
	{ "retention_days", 1, 36500 },
	{ "store_timeout", 1, 60 },
	{ "valid", 60, 3600 },
	{ "max_attempts", 1, 10 },
	{ "resend_after", 0, 3600 },
	{ "max_per_hour", 1, 100 },
	{ "send_timeout", 1, 120 },
};

static void on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[384];

	if (had_error)
		return;  /* keep the first, which is the cause */
	had_error = 1;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cfg != NULL && cfg->line > 0)
		otp_seterr(OTP_ECONFIG, "%s:%d: %s", cur_source, cfg->line, msg);
	else
		otp_seterr(OTP_ECONFIG, "%s: %s", cur_source, msg);
}

static int check_int(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, 0);

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (strcmp(ranges[i].name, opt->name) != 0)
			continue;
		if (v < ranges[i].min || v > ranges[i].max) {
			cfg_error(cfg, "%s = %ld is out of range %ld..%ld", opt->name, v,
				  ranges[i].min, ranges[i].max);
			return -1;
		}
	}
	return 0;
}

static int check_alg(cfg_t *cfg, cfg_opt_t *opt)
{
	enum otp_alg a;

	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || otp_alg_parse(v, &a) != OTP_OK) {
		cfg_error(cfg, "%s = \"%.16s\": use SHA1, SHA256 or SHA512", opt->name, v ? v : "");
		return -1;
	}
	return 0;
}

static int check_password(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || (strcmp(v, "system") && strcmp(v, "forward") && strcmp(v, "none"))) {
		cfg_error(cfg, "%s = \"%.16s\": use system, forward or none", opt->name,
			  v ? v : "");
		return -1;
	}
	return 0;
}

static int check_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || v[0] != '/' || strlen(v) >= PATH_MAX) {
		cfg_error(cfg, "%s must be an absolute path", opt->name);
		return -1;
	}
	return 0;
}

/*
 * store: an LMDB directory (absolute), or a PostgreSQL URI or conninfo
 * that holds no password. The spec is never echoed: it may hold one.
 */
static int check_store(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	char why[256];

	if (v == NULL || strlen(v) >= PATH_MAX) {
		cfg_error(cfg, "%s must be at most %d bytes", opt->name, PATH_MAX - 1);
		return -1;
	}
	if (!otp_store_is_postgresql(v)) {
		if (v[0] == '/')
			return 0;
		cfg_error(cfg, "%s must be an absolute path (LMDB) or a PostgreSQL URI or conninfo",
			  opt->name);
		return -1;
	}
	if (otp_pg_conninfo_check(v) == OTP_OK)
		return 0;
	snprintf(why, sizeof(why), "%s", otp_errdetail());
	cfg_error(cfg, "%s: %s", opt->name, why);
	return -1;
}

static int check_issuer(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || strlen(v) > 128 || strchr(v, ':') != NULL) {
		cfg_error(cfg, "%s must be at most 128 bytes without ':'", opt->name);
		return -1;
	}
	return 0;
}

/* host_name: recorded in every audit record; a plain host name or "". */
static int check_host_name(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || strlen(v) > OTP_HOST_NAME_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
	    strlen(v)) {
		cfg_error(cfg, "%s must be at most %d letters, digits, '.', '-' or '_'", opt->name,
			  OTP_HOST_NAME_MAX);
		return -1;
	}
	return 0;
}

/* require_group, exempt_group, exempt_user: a comma list of names. */
static int check_names(cfg_t *cfg, cfg_opt_t *opt)
{
	struct otp_namelist l;
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || otp_namelist_parse(v, &l) != OTP_OK) {
		char why[128];

		snprintf(why, sizeof(why), "%s", v ? otp_errdetail() : "missing");
		cfg_error(cfg, "%s: %s (a comma list of at most %d names of at most %d bytes)",
			  opt->name, why, OTP_POLICY_NAMES_MAX, OTP_POLICY_NAME_MAX);
		return -1;
	}
	return 0;
}

/* enroll_deadline: "" (none) or a UTC date "YYYY-MM-DD". */
static int check_deadline(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	uint64_t t;

	if (v != NULL && (v[0] == '\0' || otp_date_parse(v, &t) == OTP_OK))
		return 0;
	cfg_error(cfg, "%s: use a date YYYY-MM-DD (UTC), or \"\" for none", opt->name);
	return -1;
}

static int check_cidr(cfg_t *cfg, cfg_opt_t *opt)
{
	struct otp_cidr c;

	for (unsigned i = 0; i < cfg_opt_size(opt); i++) {
		if (otp_cidr_parse(cfg_opt_getnstr(opt, i), &c) != OTP_OK) {
			cfg_error(cfg, "%s: %s", opt->name, otp_errdetail());
			return -1;
		}
	}
	return 0;
}

/* oob.from: "" (pam_otp@ this host) or a plain address */
static int check_from(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v != NULL && (v[0] == '\0' || otp_oob_addr_check(OTP_EMAIL, v) == OTP_OK))
		return 0;
	cfg_error(cfg, "%s: use a plain address (name@domain.example), or \"\" for pam_otp@ "
		  "this host", opt->name);
	return -1;
}

/* oob.run_as: a user name, never root (delivery runs what the command says) */
static int check_run_as(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v != NULL && otp_valid_user(v) == OTP_OK && strlen(v) <= OTP_POLICY_NAME_MAX &&
	    strcmp(v, "root") != 0)
		return 0;
	cfg_error(cfg, "%s: use a user name other than root (default nobody)", opt->name);
	return -1;
}

/* One word of a delivery command; placeholders only as whole words. */
static const char *command_word_problem(const char *w, unsigned i)
{
	const char *p = strstr(w, "%{");

	if (strlen(w) > OTP_OOB_ARG_MAX)
		return "a word is longer than 255 bytes";
	if (i == 0 && w[0] != '/')
		return "the program must be an absolute path";
	for (const char *c = w; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "a word holds a control character";
	}
	if (p != NULL && (i == 0 || (strcmp(w, "%{to}") && strcmp(w, "%{user}") &&
				     strcmp(w, "%{host}"))))
		return "%{to}, %{user} and %{host} may only be whole words after the program "
		       "(a gateway that wants 'to=NUMBER' needs a script: see pam_otp.conf(5))";
	return NULL;
}

static int check_command(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned n = cfg_opt_size(opt);

	if (n > OTP_OOB_ARGS_MAX) {
		cfg_error(cfg, "%s: more than %d words", opt->name, OTP_OOB_ARGS_MAX);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *why = command_word_problem(cfg_opt_getnstr(opt, i), i);

		if (why != NULL) {
			cfg_error(cfg, "%s: word %u: %s", opt->name, i + 1, why);
			return -1;
		}
	}
	return 0;
}

static cfg_opt_t oob_opts[] = {
	CFG_INT("digits", 6, CFGF_NONE),
	CFG_INT("valid", 300, CFGF_NONE),
	CFG_INT("max_attempts", 3, CFGF_NONE),
	CFG_INT("resend_after", 60, CFGF_NONE),
	CFG_INT("max_per_hour", 5, CFGF_NONE),
	CFG_INT("send_timeout", 10, CFGF_NONE),
	CFG_STR("from", "", CFGF_NONE),
	CFG_STR("run_as", "nobody", CFGF_NONE),
	CFG_STR_LIST("email_command", "{/usr/sbin/sendmail,-t,-oi}", CFGF_NONE),
	CFG_STR_LIST("sms_command", "{}", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t totp_opts[] = {
	CFG_STR("algorithm", "SHA1", CFGF_NONE),
	CFG_INT("digits", 6, CFGF_NONE),
	CFG_INT("period", 30, CFGF_NONE),
	CFG_INT("window", 1, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t hotp_opts[] = {
	CFG_STR("algorithm", "SHA1", CFGF_NONE),
	CFG_INT("digits", 6, CFGF_NONE),
	CFG_INT("window", 10, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t lockout_opts[] = {
	CFG_INT("deny", 5, CFGF_NONE),
	CFG_INT("fail_interval", 900, CFGF_NONE),
	CFG_INT("unlock_time", 900, CFGF_NONE),
	CFG_BOOL("even_deny_root", cfg_false, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t recovery_opts[] = {
	CFG_INT("count", 10, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t audit_opts[] = {
	CFG_INT("retention_days", 365, CFGF_NONE),
	CFG_BOOL("syslog", cfg_true, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t top_opts[] = {
	CFG_STR("store", "/var/lib/pam_otp", CFGF_NONE),
	CFG_STR("host_name", "", CFGF_NONE),
	CFG_STR("seal_key", "/etc/pam_otp/seal.key", CFGF_NONE),
	CFG_STR("issuer", "", CFGF_NONE),
	CFG_STR("password", "system", CFGF_NONE),
	CFG_BOOL("nullok", cfg_false, CFGF_NONE),
	CFG_INT("map_size_mb", 1024, CFGF_NONE),
	CFG_INT("store_timeout", 5, CFGF_NONE),
	CFG_SEC("totp", totp_opts, CFGF_NONE),
	CFG_SEC("hotp", hotp_opts, CFGF_NONE),
	CFG_SEC("lockout", lockout_opts, CFGF_NONE),
	CFG_STR_LIST("trusted_networks", "{}", CFGF_NONE),
	CFG_INT("remember_host", 0, CFGF_NONE),
	CFG_SEC("recovery", recovery_opts, CFGF_NONE),
	CFG_SEC("audit", audit_opts, CFGF_NONE),
	CFG_STR("require_group", "", CFGF_NONE),
	CFG_STR("exempt_group", "", CFGF_NONE),
	CFG_STR("exempt_user", "", CFGF_NONE),
	CFG_STR("enroll_deadline", "", CFGF_NONE),
	CFG_BOOL("enroll_on_login", cfg_false, CFGF_NONE),
	CFG_BOOL("enroll_on_login_recovery", cfg_false, CFGF_NONE),
	CFG_SEC("oob", oob_opts, CFGF_NONE),
	CFG_END()
};

/* Every checked option, as "key" or "section|key", with its check. */
static const struct { const char *path; cfg_validate_callback_t check; } checks[] = {
	{ "map_size_mb", check_int }, { "remember_host", check_int }, { "store_timeout", check_int },
	{ "totp|digits", check_int }, { "totp|period", check_int }, { "totp|window", check_int },
	{ "hotp|digits", check_int }, { "hotp|window", check_int },
	{ "lockout|deny", check_int }, { "lockout|fail_interval", check_int },
	{ "lockout|unlock_time", check_int }, { "recovery|count", check_int },
	{ "audit|retention_days", check_int },
	{ "totp|algorithm", check_alg }, { "hotp|algorithm", check_alg },
	{ "password", check_password }, { "store", check_store }, { "seal_key", check_path },
	{ "issuer", check_issuer }, { "host_name", check_host_name }, { "trusted_networks", check_cidr },
	{ "require_group", check_names }, { "exempt_group", check_names },
	{ "exempt_user", check_names }, { "enroll_deadline", check_deadline },
	{ "oob|digits", check_int }, { "oob|valid", check_int }, { "oob|max_attempts", check_int },
	{ "oob|resend_after", check_int }, { "oob|max_per_hour", check_int },
	{ "oob|send_timeout", check_int }, { "oob|from", check_from }, { "oob|run_as", check_run_as },
	{ "oob|email_command", check_command }, { "oob|sms_command", check_command },
};

static void set_validators(cfg_t *cfg)
{
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		cfg_set_validate_func(cfg, checks[i].path, checks[i].check);
}

/* Run the check of section|key on a value set from a module argument. */
static int check_override(cfg_t *sec, cfg_opt_t *opt, const char *section, const char *key)
{
	char path[80];

	if (section != NULL)
		snprintf(path, sizeof(path), "%s|%s", section, key);
	else
		snprintf(path, sizeof(path), "%s", key);
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (strcmp(checks[i].path, path) == 0)
			return checks[i].check(sec, opt);
	}
	return 0;
}

static cfg_t *new_cfg(const char *source)
{
	cfg_t *cfg = cfg_init(top_opts, CFGF_NONE);

	if (cfg == NULL)
		return NULL;
	snprintf(cur_source, sizeof(cur_source), "%s", source);
	had_error = 0;
	cfg_set_error_function(cfg, on_error);
	set_validators(cfg);
	return cfg;
}

void otp_config_defaults(struct otp_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", OTP_DEFAULT_CONFIG);
	snprintf(c->store, sizeof(c->store), "/var/lib/pam_otp");
	snprintf(c->seal_key, sizeof(c->seal_key), "/etc/pam_otp/seal.key");
	c->map_size_mb = 1024;
	c->store_timeout = 5;
	c->totp.alg = OTP_ALG_SHA1;
	c->totp.digits = 6;
	c->totp.period = 30;
	c->totp.window = 1;
	c->hotp.alg = OTP_ALG_SHA1;
	c->hotp.digits = 6;
	c->hotp.window = 10;
	c->lockout.deny = 5;
	c->lockout.fail_interval = 900;
	c->lockout.unlock_time = 900;
	c->recovery_count = 10;
	c->audit_retention_days = 365;
	c->audit_syslog = 1;
	c->oob.digits = 6;
	c->oob.valid = 300;
	c->oob.max_attempts = 3;
	c->oob.resend_after = 60;
	c->oob.max_per_hour = 5;
	c->oob.send_timeout = 10;
	snprintf(c->oob.run_as, sizeof(c->oob.run_as), "nobody");
	snprintf(c->oob.email.argv[0], sizeof(c->oob.email.argv[0]), "/usr/sbin/sendmail");
	snprintf(c->oob.email.argv[1], sizeof(c->oob.email.argv[1]), "-t");
	snprintf(c->oob.email.argv[2], sizeof(c->oob.email.argv[2]), "-oi");
	c->oob.email.argc = 3;
}

const char *otp_pwmode_name(enum otp_pwmode m)
{
	return m == OTP_PW_FORWARD ? "forward" : m == OTP_PW_NONE ? "none" : "system";
}

/* The policy keys, validated already (check_names, check_deadline). */
static void extract_policy(cfg_t *cfg, struct otp_config *c)
{
	const char *d = cfg_getstr(cfg, "enroll_deadline");

	(void)otp_namelist_parse(cfg_getstr(cfg, "require_group"), &c->require_group);
	(void)otp_namelist_parse(cfg_getstr(cfg, "exempt_group"), &c->exempt_group);
	(void)otp_namelist_parse(cfg_getstr(cfg, "exempt_user"), &c->exempt_user);
	c->enroll_deadline = 0;
	c->enroll_deadline_text[0] = '\0';
	if (d[0] != '\0' && otp_date_parse(d, &c->enroll_deadline) == OTP_OK)
		snprintf(c->enroll_deadline_text, sizeof(c->enroll_deadline_text), "%s", d);
}

static void extract_command(cfg_t *o, const char *name, struct otp_oob_command *cmd)
{
	cmd->argc = cfg_size(o, name);
	for (unsigned i = 0; i < cmd->argc; i++)
		snprintf(cmd->argv[i], sizeof(cmd->argv[i]), "%s", cfg_getnstr(o, name, i));
}

/* The oob section, validated already (check_int, check_from, ...). */
static void extract_oob(cfg_t *cfg, struct otp_config *c)
{
	cfg_t *o = cfg_getsec(cfg, "oob");

	c->oob.digits = (unsigned)cfg_getint(o, "digits");
	c->oob.valid = (unsigned)cfg_getint(o, "valid");
	c->oob.max_attempts = (unsigned)cfg_getint(o, "max_attempts");
	c->oob.resend_after = (unsigned)cfg_getint(o, "resend_after");
	c->oob.max_per_hour = (unsigned)cfg_getint(o, "max_per_hour");
	c->oob.send_timeout = (unsigned)cfg_getint(o, "send_timeout");
	snprintf(c->oob.from, sizeof(c->oob.from), "%s", cfg_getstr(o, "from"));
	snprintf(c->oob.run_as, sizeof(c->oob.run_as), "%s", cfg_getstr(o, "run_as"));
	extract_command(o, "email_command", &c->oob.email);
	extract_command(o, "sms_command", &c->oob.sms);
}

/* Copy the parsed, already validated values into the plain struct. */
static void extract(cfg_t *cfg, struct otp_config *c)
{
	cfg_t *t = cfg_getsec(cfg, "totp"), *h = cfg_getsec(cfg, "hotp");
	cfg_t *l = cfg_getsec(cfg, "lockout");
	const char *pw = cfg_getstr(cfg, "password");

	snprintf(c->store, sizeof(c->store), "%s", cfg_getstr(cfg, "store"));
	snprintf(c->seal_key, sizeof(c->seal_key), "%s", cfg_getstr(cfg, "seal_key"));
	snprintf(c->issuer, sizeof(c->issuer), "%s", cfg_getstr(cfg, "issuer"));
	snprintf(c->host_name, sizeof(c->host_name), "%s", cfg_getstr(cfg, "host_name"));
	c->password = !strcmp(pw, "forward") ? OTP_PW_FORWARD :
		      !strcmp(pw, "none") ? OTP_PW_NONE : OTP_PW_SYSTEM;
	c->nullok = cfg_getbool(cfg, "nullok") ? 1 : 0;
	c->map_size_mb = (unsigned)cfg_getint(cfg, "map_size_mb");
	c->store_timeout = (unsigned)cfg_getint(cfg, "store_timeout");
	otp_alg_parse(cfg_getstr(t, "algorithm"), &c->totp.alg);
	c->totp.digits = (unsigned)cfg_getint(t, "digits");
	c->totp.period = (unsigned)cfg_getint(t, "period");
	c->totp.window = (unsigned)cfg_getint(t, "window");
	otp_alg_parse(cfg_getstr(h, "algorithm"), &c->hotp.alg);
	c->hotp.digits = (unsigned)cfg_getint(h, "digits");
	c->hotp.window = (unsigned)cfg_getint(h, "window");
	c->lockout.deny = (unsigned)cfg_getint(l, "deny");
	c->lockout.fail_interval = (uint64_t)cfg_getint(l, "fail_interval");
	c->lockout.unlock_time = (uint64_t)cfg_getint(l, "unlock_time");
	c->lockout.even_deny_root = cfg_getbool(l, "even_deny_root") ? 1 : 0;
	c->ntrusted = cfg_size(cfg, "trusted_networks");
	for (unsigned i = 0; i < c->ntrusted; i++)
		otp_cidr_parse(cfg_getnstr(cfg, "trusted_networks", i), &c->trusted[i]);
	c->remember_host = (uint64_t)cfg_getint(cfg, "remember_host");
	c->recovery_count = (unsigned)cfg_getint(cfg_getsec(cfg, "recovery"), "count");
	c->audit_retention_days = (unsigned)cfg_getint(cfg_getsec(cfg, "audit"), "retention_days");
	c->audit_syslog = cfg_getbool(cfg_getsec(cfg, "audit"), "syslog") ? 1 : 0;
	extract_policy(cfg, c);
	extract_oob(cfg, c);
	c->enroll_on_login = cfg_getbool(cfg, "enroll_on_login") ? 1 : 0;
	c->enroll_on_login_recovery = cfg_getbool(cfg, "enroll_on_login_recovery") ? 1 : 0;
}

/*
 * password = forward hands the password to a module after this one: it is
 * not checked yet when enrollment at login would be offered, so a device
 * could be enrolled by someone who does not know it. Only unsafe: refused.
 */
static int unsafe_enrollment(cfg_t *cfg)
{
	if (!cfg_getbool(cfg, "enroll_on_login") || strcmp(cfg_getstr(cfg, "password"), "forward"))
		return 0;
	otp_seterr(OTP_ECONFIG, "%s: enroll_on_login needs password = system (checked here) or "
		   "none (after sshd public-key authentication): with forward "
		   "the password is checked only after a device would be enrolled", cur_source);
	return 1;
}

static int too_many_networks(cfg_t *cfg)
{
	if (cfg_size(cfg, "trusted_networks") <= OTP_TRUSTED_MAX)
		return 0;
	otp_seterr(OTP_ECONFIG, "%s: trusted_networks has more than %d entries",
		   cur_source, OTP_TRUSTED_MAX);
	return 1;
}

/* A list key from a module argument: comma-separated values replace the
 * list (PAM splits arguments at blanks, so braces and quotes do not fit). */
static int set_list(cfg_opt_t *opt, const char *value)
{
	char item[OTP_CONFIG_ITEM_MAX + 1];
	unsigned n = 0;

	cfg_free_value(opt);
	for (const char *p = value; *p != '\0';) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len > OTP_CONFIG_ITEM_MAX)
			return otp_seterr(OTP_ECONFIG, "%s: %s list item", cur_source,
					  len ? "overlong" : "empty");
		memcpy(item, p, len);
		item[len] = '\0';
		if (cfg_opt_setnstr(opt, item, n++) != CFG_SUCCESS)
			return otp_seterr(OTP_ECONFIG, "%s: bad value", cur_source);
		p += len + (p[len] == ',');
	}
	return OTP_OK;
}

/* Apply one "key=value" or "section.key=value" module argument. */
static int apply_override(cfg_t *cfg, const char *arg)
{
	char key[64], *dot;
	const char *eq = strchr(arg, '=');
	cfg_t *sec = cfg;
	cfg_opt_t *opt;

	/* a store spec may hold a password: name the key, not the value */
	snprintf(cur_source, sizeof(cur_source), "module argument '%.64s'",
		 strncmp(arg, "store=", 6) == 0 ? "store" : arg);
	if (eq == NULL || (size_t)(eq - arg) >= sizeof(key))
		return otp_seterr(OTP_ECONFIG, "%s: expected key=value", cur_source);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	dot = strchr(key, '.');
	if (dot != NULL) {
		*dot = '\0';
		sec = cfg_getopt(cfg, key) && cfg_getopt(cfg, key)->type == CFGT_SEC ?
		      cfg_getsec(cfg, key) : NULL;
	}
	opt = sec ? cfg_getopt(sec, dot ? dot + 1 : key) : NULL;
	if (opt == NULL || opt->type == CFGT_SEC)
		return otp_seterr(OTP_ECONFIG, "%s: no such setting", cur_source);
	cfg_set_error_function(sec, on_error);  /* sections made by parsing lack it */
	if ((opt->flags & CFGF_LIST) && opt->type == CFGT_STR) {
		if (set_list(opt, eq + 1) != OTP_OK)
			return OTP_ECONFIG;
		return check_override(sec, opt, dot ? key : NULL, dot ? dot + 1 : key) != 0 ||
		       had_error ? OTP_ECONFIG : OTP_OK;
	}
	if (opt->flags & CFGF_LIST)
		return otp_seterr(OTP_ECONFIG, "%s: a list is not accepted here", cur_source);
	if (cfg_setopt(sec, opt, eq + 1) == NULL ||
	    check_override(sec, opt, dot ? key : NULL, dot ? dot + 1 : key) != 0 || had_error)
		return had_error ? OTP_ECONFIG :
		       otp_seterr(OTP_ECONFIG, "%s: bad value", cur_source);
	return OTP_OK;
}

static int finish(cfg_t *cfg, int parse_rc, const char *const *ov, unsigned nov,
		  struct otp_config *c)
{
	int rc = OTP_OK;

	if (parse_rc != CFG_SUCCESS)
		rc = had_error ? OTP_ECONFIG : otp_seterr(OTP_ECONFIG, "%s: cannot parse", cur_source);
	for (unsigned i = 0; rc == OTP_OK && i < nov; i++)
		rc = apply_override(cfg, ov[i]);
	if (rc == OTP_OK && too_many_networks(cfg))
		rc = OTP_ECONFIG;
	if (rc == OTP_OK && unsafe_enrollment(cfg))
		rc = OTP_ECONFIG;
	if (rc == OTP_OK)
		extract(cfg, c);
	cfg_free(cfg);
	return rc;
}

int otp_config_parse_text(const char *text, const char *name, struct otp_config *c)
{
	cfg_t *cfg;
	int rc;

	otp_config_defaults(c);
	confuse_enter();
	cfg = new_cfg(name);
	rc = cfg ? finish(cfg, cfg_parse_buf(cfg, text), NULL, 0, c) :
		   otp_seterr(OTP_ENOMEM, "out of memory");
	pthread_mutex_unlock(&confuse_lock);
	return rc;
}

/* Parse the open file fp (closed here), under the libconfuse lock. */
static int parse_file(FILE *fp, const char *path, const char *const *overrides,
		      unsigned noverrides, struct otp_config *c)
{
	cfg_t *cfg;
	int rc;

	confuse_enter();
	cfg = new_cfg(path);
	if (cfg == NULL) {
		rc = otp_seterr(OTP_ENOMEM, "out of memory");
	} else {
		rc = cfg_parse_fp(cfg, fp);
		rc = finish(cfg, rc, overrides, noverrides, c);
	}
	pthread_mutex_unlock(&confuse_lock);
	fclose(fp);
	return rc;
}

int otp_config_load_id(const char *path, const char *const *overrides,
		       unsigned noverrides, struct otp_config *c, struct otp_file_id *id)
{
	FILE *fp;
	int fd, rc;

	otp_config_defaults(c);
	rc = otp_open_checked(path, O_RDONLY, OTP_FORBID_CONFIG, &fd);
	if (rc != OTP_OK)
		return rc;
	if (id != NULL && (rc = otp_file_id_of(fd, path, id)) != OTP_OK) {
		close(fd);
		return rc;
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		close(fd);
		return otp_seterr(OTP_ENOMEM, "out of memory");
	}
	rc = parse_file(fp, path, overrides, noverrides, c);
	if (rc == OTP_OK)
		snprintf(c->path, sizeof(c->path), "%s", path);
	return rc;
}

int otp_config_load(const char *path, const char *const *overrides,
		    unsigned noverrides, struct otp_config *c)
{
	return otp_config_load_id(path, overrides, noverrides, c, NULL);
}
