/*
 * config.h - /etc/pam_otp.conf (libconfuse syntax), every key of the
 * design's configuration section, with ranges checked as they are read.
 */
#ifndef OTP_CONFIG_H
#define OTP_CONFIG_H

#include "net.h"
#include "otp.h"

#include <limits.h>
#include <stdint.h>

#define OTP_DEFAULT_CONFIG "/etc/pam_otp.conf"
#define OTP_TRUSTED_MAX 64   /* entries in trusted_networks */
#define OTP_HOST_NAME_MAX 64 /* bytes of host_name, as Linux's HOST_NAME_MAX */
#define OTP_POLICY_NAMES_MAX 32 /* names in require_group, exempt_group, exempt_user */
#define OTP_POLICY_NAME_MAX 64  /* bytes of one user or group name there */

#define OTP_OOB_ARGS_MAX 32   /* words of oob.email_command / oob.sms_command */
#define OTP_OOB_ARG_MAX 255   /* bytes of one word */
#define OTP_OOB_FROM_MAX 254  /* bytes of oob.from */

/* A delivery command: argv words, run without a shell (deliver.h). */
struct otp_oob_command {
	char argv[OTP_OOB_ARGS_MAX][OTP_OOB_ARG_MAX + 1];
	unsigned argc;            /* 0: none configured */
};

enum otp_pwmode { OTP_PW_SYSTEM = 0, OTP_PW_FORWARD = 1, OTP_PW_NONE = 2 };

/* A comma list of user or group names (require_group, exempt_*). */
struct otp_namelist {
	char name[OTP_POLICY_NAMES_MAX][OTP_POLICY_NAME_MAX + 1];
	unsigned n;
};

struct otp_config {
	char path[PATH_MAX];        /* the file this came from */
	char store[PATH_MAX];       /* an LMDB directory, or a PostgreSQL URI/conninfo */
	char seal_key[PATH_MAX];
	char issuer[129];           /* empty: the host name */
	char host_name[OTP_HOST_NAME_MAX + 1]; /* audit `host`; empty: gethostname() */
	enum otp_pwmode password;
	int nullok;
	unsigned map_size_mb;       /* 1..1048576 */
	unsigned store_timeout;     /* seconds, 1..60: PostgreSQL connect and statement timeout */
	struct { enum otp_alg alg; unsigned digits, period, window; } totp;
	struct { enum otp_alg alg; unsigned digits, window; } hotp;
	struct {
		unsigned deny;            /* 0 disables lockout */
		uint64_t fail_interval;   /* seconds */
		uint64_t unlock_time;     /* seconds; 0 until otpctl unlock */
		int even_deny_root;
	} lockout;
	struct otp_cidr trusted[OTP_TRUSTED_MAX];
	unsigned ntrusted;
	uint64_t remember_host;     /* seconds; 0 off */
	unsigned recovery_count;    /* codes per set, 1..100 */
	unsigned audit_retention_days;
	int audit_syslog;
	/* who must give a code (policy.h); all empty: everyone */
	struct otp_namelist require_group, exempt_group, exempt_user;
	/* enroll_deadline: 00:00:00 UTC of the date, seconds since the epoch;
	 * 0 when unset. Unenrolled covered users pass until then. */
	uint64_t enroll_deadline;
	char enroll_deadline_text[11];  /* "YYYY-MM-DD" as configured, or "" */
	/* enrollment at login (selfenroll.h): offered to a covered user with no
	 * active device once a first factor is proven in the same login */
	int enroll_on_login;
	int enroll_on_login_recovery;   /* and then show new recovery codes */
	/* codes sent by email and SMS (oob.h, deliver.h) */
	struct {
		unsigned digits;        /* 6..8 */
		unsigned valid;         /* seconds a sent code lives, 60..3600 */
		unsigned max_attempts;  /* wrong codes that kill a sent code, 1..10 */
		unsigned resend_after;  /* seconds between sends to a user, 0..3600 */
		unsigned max_per_hour;  /* sends to a user in an hour, 1..100 */
		unsigned send_timeout;  /* seconds a delivery command may run, 1..120 */
		char from[OTP_OOB_FROM_MAX + 1];  /* From: address; "": pam_otp@HOST */
		char run_as[OTP_POLICY_NAME_MAX + 1];  /* delivery runs as this user, never root */
		struct otp_oob_command email, sms;
	} oob;
};

/*
 * otp_config_defaults - fill c with the documented defaults.
 */
void otp_config_defaults(struct otp_config *c);

/*
 * otp_config_load - read the file at path into c, then apply overrides.
 * path:      the config file; opened without following symlinks, and
 *            refused unless owned by root (or the effective user) and not
 *            writable by group/other, and unless every directory above it
 *            passes the checks of otp_open_checked (fileck.h).
 * overrides: noverrides strings "key=value" (module arguments), where key
 *            is a top-level key or "section.key" (e.g. "totp.window=2");
 *            they win over the file.
 * Safe in threads: libconfuse keeps global scanner state, so parses (of
 * files and of text) run one at a time in a process, under one lock that
 * pthread_atfork keeps usable in a forked child.
 * `store` must be an absolute path (LMDB) or a PostgreSQL URI or conninfo
 * that libpq parses and that holds no password (store_pg_conninfo.h); its
 * value never appears in a detail, nor in a module argument's name.
 * Returns OTP_OK; OTP_ENOTFOUND (no file); OTP_EPERM (unsafe file);
 * OTP_ECONFIG for a syntax error, an unknown key or an out-of-range value,
 * with a detail of the form "FILE:LINE: problem" (or "module argument
 * 'k=v': problem", 'store' alone for the store); OTP_ENOMEM; OTP_EIO.
 */
int otp_config_load(const char *path, const char *const *overrides,
		    unsigned noverrides, struct otp_config *c);

struct otp_file_id;  /* fileck.h */

/*
 * otp_config_load_id - otp_config_load, and *id (unless NULL) gets the
 * identity of the file that was parsed (fileck.h), for a caller that keeps
 * the result and reloads it when the file changes.
 * Returns as otp_config_load.
 */
int otp_config_load_id(const char *path, const char *const *overrides,
		       unsigned noverrides, struct otp_config *c, struct otp_file_id *id);

/*
 * otp_config_parse_text - the same rules on text in memory; name is used
 * in messages in place of a file name. For tests and fuzzing.
 */
int otp_config_parse_text(const char *text, const char *name, struct otp_config *c);

/* otp_pwmode_name - "system", "forward" or "none". */
const char *otp_pwmode_name(enum otp_pwmode m);

#endif
