#include "flood.h"
#include "audit.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a: spreads addresses over slots; collisions only merge counts. */
static uint32_t slot_of(const char *rhost)
{
	uint32_t h = 2166136261u;

	for (const char *p = rhost ? rhost : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % OTP_FLOOD_SLOTS;
}

unsigned otp_flood_count(const struct otp_audit_ev *ev)
{
	unsigned long n = strtoul(ev->detail, NULL, 10);

	return n > 1000000000ul ? 1000000000u : (unsigned)n;
}

int otp_flood_note(const struct otp_config *cfg, struct otp_txn *txn,
		   const struct otp_login *who, unsigned add, unsigned *count)
{
	struct otp_audit_ev old, ev;
	struct otp_login w = *who;
	uint64_t minute = who->now - who->now % 60;
	uint32_t seq = OTP_AUDIT_SEQ_SUMMARY + slot_of(who->rhost);
	char detail[OTP_AUDIT_FIELD_MAX + 1];
	unsigned n = add;
	int rc = otp_audit_get_at(txn, minute, seq, &old);

	if (rc != OTP_OK && rc != OTP_ENOTFOUND)
		return rc;
	if (rc == OTP_OK)
		n += otp_flood_count(&old);
	snprintf(detail, sizeof(detail), "%u failed attempt%s for unknown user names, last '%.64s'",
		 n, n == 1 ? "" : "s", who->user);
	w.user = OTP_FLOOD_USER;
	w.tty = NULL;
	w.now = minute;
	otp_audit_from(&ev, &w, "auth_failure", NULL, detail);
	ev.seq = seq;
	if (rc == OTP_OK && strcmp(old.rhost, ev.rhost) != 0)
		snprintf(ev.rhost, sizeof(ev.rhost), "(several)");
	if (count != NULL)
		*count = n;
	return otp_audit_put_at(txn, &ev, cfg->audit_retention_days);
}

void otp_flood_syslog(const struct otp_config *cfg, const struct otp_login *who,
		      const char *event, const char *detail, unsigned count)
{
	struct otp_audit_ev ev;

	if (!cfg->audit_syslog || count > OTP_FLOOD_SYSLOG_MAX + 1)
		return;
	if (count == OTP_FLOOD_SYSLOG_MAX + 1)
		detail = "unknown user; further such failures from this source are only "
			 "counted until the next minute";
	otp_audit_from(&ev, who, event, NULL, detail);
	otp_audit_syslog(&ev);
}
