/* ctl.h - what every otpctl verb shares: context, exit codes, output. */
#ifndef OTPCTL_CTL_H
#define OTPCTL_CTL_H

#include "audit.h"
#include "auth.h"
#include "config.h"
#include "seal.h"
#include "store.h"
#include "textsafe.h"

#include <jansson.h>
#include <stdint.h>

/* Exit codes, as documented in otpctl(8). */
enum {
	EX_OK_ = 0,
	EX_USAGE_ = 1,
	EX_NOTFOUND = 2,
	EX_BADCODE = 3,
	EX_STORE = 4,
	EX_PERM = 5,
};

struct ctl {
	const char *config_path;
	int json;
	const char *verb;
	struct otp_config cfg;
	struct otp_store *st;
	struct otp_seal_key key;
	int key_loaded;
	int config_rc;        /* check: the configuration's load result, and */
	char config_err[512]; /* its detail (other verbs stop on an error) */
};

struct verb {
	const char *name;
	int writes;           /* needs root */
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *usage;    /* arguments, after "otpctl NAME " */
	const char *help;     /* one line */
};

/* The table, in otpctl.c. */
const struct verb *ctl_verbs(void);

/*
 * ctl_report - one error: "otpctl VERB: msg" (or "otpctl: msg" without a
 * verb) on stderr; with json nonzero instead one line on stdout,
 * {"error": msg, "exit": code}, msg escaped as stored text is. Returns code.
 */
int ctl_report(int json, const char *verb, int code, const char *msg);

/* ctl_report for c's verb and --json, with a printf format; returns code. */
int ctl_fail(struct ctl *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The exit code for a libotp result code (OTP_ENOTFOUND: 2, and so on). */
int ctl_code_of(int rc);

/*
 * Report a libotp error (with its detail) and return the matching exit
 * code. what prefixes the detail, unless it is NULL or the verb's name
 * (the verb is already named once).
 */
int ctl_err(struct ctl *c, int rc, const char *what);

/* Report a config, seal key or store problem: exit code 4, or 5 ("must be
 * run as root") when a non-root user may not read one of them. */
int ctl_setup_err(struct ctl *c, int rc, const char *what);

/* Print the verb's usage to stdout (for -h) or stderr (with --json an
 * error object when code is not 0); returns code. */
int ctl_usage(struct ctl *c, int code);

/* 0 when user has a record in the store; else "user 'U' is not enrolled"
 * (exit 2) or a store error, the message printed. The store must be open. */
int ctl_enrolled(struct ctl *c, const char *user);

/*
 * Open the store and, with key nonzero, the seal key, which must be the
 * store's (otp_store_key_check; a mismatch is exit 4 naming the key).
 * Returns 0 or an exit code, the message printed.
 */
int ctl_open(struct ctl *c, int key);

/* The seal key for a store ctl_open opened without it (a verb that needs
 * it only for some records: devices, for a destination to mask), checked
 * as ctl_open checks it; nothing when it is loaded already.
 * Returns 0 or an exit code, the message printed. */
int ctl_load_key(struct ctl *c);

/* Fill who for an admin change of user: service "otpctl", tty, now, the
 * host (ctl_who_host) and the actor (login uid and SUDO_USER). */
void ctl_who(struct otp_login *who, const char *user);

/* The config's host_name for ctl_who ("" or NULL: this host's name); the
 * string must outlive the verb (it is the loaded config's). */
void ctl_who_host(const char *host_name);

/* Validate a user name argument; returns 0 or an exit code (message printed). */
int ctl_check_user(struct ctl *c, const char *user);

/*
 * The start of every verb on one user (argv[1]): exactly nargs arguments
 * (verb included), a valid user name, the store open (and with key nonzero
 * the seal key), the user enrolled (ctl_enrolled), who filled (who may be
 * NULL). Returns 0 or an exit code,
 * the message printed.
 */
int ctl_user_verb(struct ctl *c, int argc, char **argv, int nargs, int key,
		  struct otp_login *who);

/* RFC 3339 UTC text of t into buf (>= 21 bytes); "-" for 0. */
const char *ctl_time(uint64_t t, char *buf, size_t n);

/* A time for JSON: RFC 3339 UTC text, null for 0 (never), "forever" for
 * UINT64_MAX. A new reference; NULL only when out of memory. */
json_t *ctl_jtime(uint64_t t);

/*
 * Print a JSON value on one line and free it; returns 0. v NULL (a pack
 * that failed) or a failed write is an error, never a silently missing
 * line: a message on stderr and EX_STORE.
 */
int ctl_json_print(json_t *v);

/*
 * Stored text (names, PAM_RHOST, PAM_TTY, details: hostile, and maybe
 * written before the store cleaned it) made safe to print: control
 * characters and invalid UTF-8 as visible escapes (otp_text_show).
 * ctl_show writes into buf (CTL_SHOW_SIZE bytes hold any audit field or
 * name) and returns buf. ctl_jstr returns a new JSON string of the same
 * text, for json_pack's "o": it cannot fail on any bytes; NULL only when
 * out of memory (json_pack then fails, and ctl_json_print reports it).
 */
#define CTL_SHOW_SIZE OTP_TEXT_SHOW_SIZE(OTP_AUDIT_FIELD_MAX)
const char *ctl_show(const char *s, char *buf, size_t n);
json_t *ctl_jstr(const char *s);

/*
 * ctl_getopt - getopt_long over a verb's argv with -h/--help added:
 * returns the option, -1 at the end, or 'h'/'?' for the caller to turn
 * into usage. Resets getopt's state for each verb.
 */
struct option;
int ctl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Verbs. */
int cmd_init(struct ctl *c, int argc, char **argv);
int cmd_enroll(struct ctl *c, int argc, char **argv);
int cmd_confirm(struct ctl *c, int argc, char **argv);
int cmd_devices(struct ctl *c, int argc, char **argv);
int cmd_rename(struct ctl *c, int argc, char **argv);
int cmd_revoke(struct ctl *c, int argc, char **argv);
int cmd_recovery(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_unlock(struct ctl *c, int argc, char **argv);
int cmd_hosts(struct ctl *c, int argc, char **argv);
int cmd_verify(struct ctl *c, int argc, char **argv);
int cmd_audit(struct ctl *c, int argc, char **argv);
int cmd_users(struct ctl *c, int argc, char **argv);
/* users --unenrolled [--group group] (unenrolled.c); group NULL: local users */
int ctl_users_unenrolled(struct ctl *c, const char *group);
int cmd_remove(struct ctl *c, int argc, char **argv);
int cmd_resync(struct ctl *c, int argc, char **argv);
int cmd_backup(struct ctl *c, int argc, char **argv);
int cmd_import(struct ctl *c, int argc, char **argv);
int cmd_rekey(struct ctl *c, int argc, char **argv);
int cmd_restore(struct ctl *c, int argc, char **argv);
int cmd_migrate(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
int cmd_metrics(struct ctl *c, int argc, char **argv);
int cmd_check(struct ctl *c, int argc, char **argv);
int cmd_send_test(struct ctl *c, int argc, char **argv);

#endif
