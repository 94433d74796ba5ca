/*
 * audit.h - the audit trail: one record per login outcome or admin change,
 * written in the same write transaction as the change it records, keyed by
 * (time, sequence) so a dump is in time order. Never holds a code, secret
 * or password: callers pass only names and outcomes.
 */
#ifndef OTP_AUDIT_H
#define OTP_AUDIT_H

#include "store.h"
#include "textsafe.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_AUDIT_FIELD_MAX 256  /* bytes per text field */
#define OTP_AUDIT_PRUNE_BATCH 64 /* old records dropped per append at most */

struct otp_audit_ev {
	uint64_t time;       /* seconds since epoch */
	uint32_t seq;        /* filled in on append / decode */
	char event[32];      /* auth_success, auth_failure, replay, ... (DESIGN.md) */
	char user[OTP_AUDIT_FIELD_MAX + 1];
	char service[OTP_AUDIT_FIELD_MAX + 1];
	char rhost[OTP_AUDIT_FIELD_MAX + 1];
	char tty[OTP_AUDIT_FIELD_MAX + 1];
	char device[OTP_AUDIT_FIELD_MAX + 1];
	char detail[OTP_AUDIT_FIELD_MAX + 1];
	char host[OTP_AUDIT_FIELD_MAX + 1];   /* the host that wrote it ("" in old records) */
	char actor[OTP_AUDIT_FIELD_MAX + 1];  /* who made an otpctl change: "loginuid=1000(alice)",
						 ",sudo_user=bob"; "" for logins and old records */
};

/*
 * otp_audit_set - fill ev: time now, event, user, device and detail; the
 * other fields empty. Every text is stored cleaned (otp_text_clean in
 * textsafe.h: control characters and invalid UTF-8 become visible escapes
 * such as "\n" and "\xff", a backslash "\\"), and cut to
 * OTP_AUDIT_FIELD_MAX bytes (event: 31) at a character boundary.
 * Any argument may be NULL (empty).
 */
void otp_audit_set(struct otp_audit_ev *ev, uint64_t now, const char *event,
		   const char *user, const char *device, const char *detail);

/*
 * otp_audit_set_origin - fill ev's service, rhost and tty (PAM_SERVICE,
 * PAM_RHOST, PAM_TTY: hostile text), cleaned and cut as in otp_audit_set.
 * Any argument may be NULL (empty).
 */
void otp_audit_set_origin(struct otp_audit_ev *ev, const char *service, const char *rhost,
			  const char *tty);

/*
 * otp_audit_set_by - fill ev's host and actor, cleaned and cut as in
 * otp_audit_set. host NULL or "": this host's name (gethostname); actor
 * NULL: empty (the module's records).
 */
void otp_audit_set_by(struct otp_audit_ev *ev, const char *host, const char *actor);

/*
 * otp_audit_user_is - whether ev is about user: its user field is user as
 * otp_audit_set stores it (a backslash doubled), or user exactly (records
 * written before fields were cleaned). user: NUL-terminated, not NULL.
 * Returns 1 or 0.
 */
int otp_audit_user_is(const struct otp_audit_ev *ev, const char *user);

/*
 * otp_audit_append - add ev inside the write transaction txn, after every
 * record already there for the same second (ev->seq gets its number);
 * also deletes up to OTP_AUDIT_PRUNE_BATCH records older than
 * retention_days, so pruning costs a bounded amount per write.
 * Returns OTP_OK, OTP_EINVAL, OTP_EFULL or OTP_ESTORE.
 */
int otp_audit_append(struct otp_txn *txn, struct otp_audit_ev *ev, unsigned retention_days);

/*
 * Sequence numbers from OTP_AUDIT_SEQ_SUMMARY up are kept for summary
 * records (see flood.h), which are rewritten in place; otp_audit_append
 * numbers ordinary records below it. otp_audit_get_at (store.h) reads one.
 */
#define OTP_AUDIT_SEQ_SUMMARY 0x80000000u

/*
 * otp_audit_put_at - store ev at (ev->time, ev->seq) inside the write
 * transaction txn, replacing what is there; prunes as otp_audit_append.
 * Returns OTP_OK, OTP_EINVAL, OTP_EFULL or OTP_ESTORE.
 */
int otp_audit_put_at(struct otp_txn *txn, const struct otp_audit_ev *ev,
		     unsigned retention_days);

/*
 * otp_audit_line - the syslog text of ev into buf (n bytes;
 * OTP_AUDIT_LINE_MAX always suffice): a prefix, then "key=value" pairs
 * an auditor can grep. The prefix is the one pam_syslog(3) gives the
 * module's other lines, "pam_otp(SERVICE:auth): " (SERVICE escaped, a
 * space, '(', ')' or ':' in it as '?'), so grep and fail2ban see both
 * alike; a record with an actor (an otpctl change) gets
 * "pam_otp(otpctl): " instead, which a filter for ":auth)" never takes
 * for a login. Values are escaped (otp_text_show), a '"' in them becomes
 * '?', and they are quoted when they hold a space or '='. Returns buf.
 */
#define OTP_AUDIT_LINE_MAX (9 * (sizeof(" detail=\"\"") + OTP_TEXT_SHOW_SIZE(OTP_AUDIT_FIELD_MAX)) + 64)
const char *otp_audit_line(const struct otp_audit_ev *ev, char *buf, size_t n);

/*
 * otp_audit_syslog - otp_audit_line as one LOG_AUTHPRIV line: notice level
 * for successes and admin changes, warning for failures and lockouts.
 */
void otp_audit_syslog(const struct otp_audit_ev *ev);

#endif
