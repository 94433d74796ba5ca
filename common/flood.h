/*
 * flood.h - failed attempts for user names the store does not know.
 *
 * Anyone can type any name, so recording each such attempt would let an
 * unauthenticated client grow the audit trail without bound. Instead each
 * source address (PAM_RHOST) and minute gets one summary record, rewritten
 * in place with a count: at most OTP_FLOOD_SLOTS records a minute whatever
 * the sources (addresses that share a slot share its record). The first
 * OTP_FLOOD_SYSLOG_MAX failures of a slot and minute still get their own
 * syslog line; the next one says that the rest are only counted.
 */
#ifndef OTP_FLOOD_H
#define OTP_FLOOD_H

#include "auth.h"

#define OTP_FLOOD_SLOTS 64       /* summary records per minute at most */
#define OTP_FLOOD_SYSLOG_MAX 5   /* syslog lines per slot and minute */
#define OTP_FLOOD_USER "(unknown)"

/*
 * otp_flood_note - inside the write transaction txn, note an attempt by
 * who (a name with no store record) in its source's summary record for the
 * minute of who->now: add 1 counts a failure, add 0 only rewrites the
 * record (the charge step, so that an unknown name costs the same writes
 * as a known one). *count (may be NULL) gets the failures counted in that
 * record after this call.
 * Returns OTP_OK, OTP_EFULL, OTP_ESTORE, or OTP_ECORRUPT/OTP_EVERSION for
 * an undecodable summary record.
 */
int otp_flood_note(const struct otp_config *cfg, struct otp_txn *txn,
		   const struct otp_login *who, unsigned add, unsigned *count);

/*
 * otp_flood_syslog - after the commit of a failure that otp_flood_note
 * counted as the count-th of its slot and minute: one syslog line for the
 * first OTP_FLOOD_SYSLOG_MAX, one line saying the rest are counted only,
 * then nothing until the next minute. Honours cfg->audit_syslog.
 */
void otp_flood_syslog(const struct otp_config *cfg, const struct otp_login *who,
		      const char *event, const char *detail, unsigned count);

/*
 * otp_flood_count - the failures a summary record counts (the number its
 * detail starts with, capped at 1000000000); 0 when it has none.
 * ev: a summary record (seq >= OTP_AUDIT_SEQ_SUMMARY, audit.h).
 */
struct otp_audit_ev;
unsigned otp_flood_count(const struct otp_audit_ev *ev);

#endif
