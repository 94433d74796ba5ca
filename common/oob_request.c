/*
 * oob_request.c - a new code for an email or sms device: charged, limited
 * and recorded in one write transaction, before it is delivered.
 */
#include "oob.h"

#include "audit.h"
#include "err.h"
#include "oobaddr.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR 3600u

/* digits uniform digits from RAND_bytes (bytes of 250 and above are drawn again) */
static int make_code(unsigned digits, char *out)
{
	unsigned char b[32];
	unsigned n = 0;

	while (n < digits) {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return otp_seterr(OTP_ECRYPTO, "no randomness for a code");
		for (size_t i = 0; i < sizeof(b) && n < digits; i++) {
			if (b[i] < 250)
				out[n++] = (char)('0' + b[i] % 10);
		}
	}
	out[n] = '\0';
	otp_wipe(b, sizeof(b));
	return OTP_OK;
}

/* Sends counted in the hour that began at o->hour, as seen at now (an hour
 * that began after now, by another host's clock or a login that read the
 * time earlier, is the current one). */
static uint32_t sends_this_hour(const struct otp_oob *o, uint64_t now)
{
	return o->hour != 0 && now < o->hour + HOUR ? o->count : 0;
}

/*
 * The limits, across every live email and sms device of the user (their
 * payloads opened): OTP_OK, or OTP_ETHROTTLE with out->wait set.
 */
static int within_limits(const struct otp_seal_key *key, const struct otp_config *cfg,
			 const char *user, const struct otp_device_rec *devs, unsigned n,
			 uint64_t now, struct otp_oob_sent *out)
{
	uint64_t last = 0, first_hour = 0;
	uint32_t sends = 0;
	struct otp_oob o;
	int rc = OTP_OK;

	for (unsigned i = 0; rc == OTP_OK && i < n; i++) {
		if (!OTP_IS_OOB(devs[i].type) || devs[i].state == OTP_REVOKED)
			continue;
		rc = otp_oob_open(key, user, &devs[i], &o);
		if (rc == OTP_OK) {
			last = o.sent > last ? o.sent : last;
			if (sends_this_hour(&o, now) > 0) {
				sends += o.count;
				first_hour = first_hour == 0 || o.hour < first_hour ? o.hour : first_hour;
			}
		}
		otp_oob_wipe(&o);
	}
	if (rc != OTP_OK)
		return rc;
	if (sends >= cfg->oob.max_per_hour) {
		out->hourly = 1;
		out->wait = first_hour > now ? HOUR : first_hour + HOUR - now;
		return otp_seterr(OTP_ETHROTTLE, "%u codes sent to %s within the hour", sends, user);
	}
	if (cfg->oob.resend_after > 0 && last != 0 && now < last + cfg->oob.resend_after) {
		/* a send stamped after now counts as just made */
		out->wait = last > now ? cfg->oob.resend_after : last + cfg->oob.resend_after - now;
		return otp_seterr(OTP_ETHROTTLE, "a code was sent to %s %llu s ago", user,
				  (unsigned long long)(now > last ? now - last : 0));
	}
	return OTP_OK;
}

/* The device to send to: an email or sms device, active (or pending when allowed). */
static const struct otp_device_rec *pick(const char *user, const struct otp_device_rec *devs,
					 unsigned n, uint32_t id, int flags, int *rc)
{
	for (unsigned i = 0; i < n; i++) {
		if (devs[i].id != id)
			continue;
		if (!OTP_IS_OOB(devs[i].type))
			*rc = otp_seterr(OTP_EINVAL, "device %u of %s is not an email or sms device",
					 id, user);
		else if (devs[i].state != OTP_ACTIVE &&
			 !(devs[i].state == OTP_PENDING && (flags & OTP_OOB_PENDING)))
			*rc = otp_seterr(OTP_EINVAL, "device %u of %s is %s", id, user,
					 devs[i].state == OTP_PENDING ? "pending" : "revoked");
		else
			return &devs[i];
		return NULL;
	}
	*rc = otp_seterr(OTP_ENOTFOUND, "no device %u for user %s", id, user);
	return NULL;
}

/* A new code replaces d's last one; d gets the payload to save. */
static int new_code(const struct otp_seal_key *key, const struct otp_config *cfg,
		    const char *user, struct otp_device_rec *d, uint64_t now, int dry,
		    struct otp_oob_sent *out)
{
	struct otp_oob o;
	int rc = otp_oob_open(key, user, d, &o);

	if (rc == OTP_OK && !dry)
		rc = make_code(cfg->oob.digits, out->code);
	if (rc == OTP_OK) {
		if (!dry) {
			o.expires = now + cfg->oob.valid;
			o.used = 0;
			o.tries = 0;
		}
		o.sent = now;
		if (sends_this_hour(&o, now) == 0) {
			o.hour = now;
			o.count = 0;
		}
		o.count++;
		if (!dry)
			rc = otp_oob_mac(key, user, d->id, o.expires, out->code, o.mac);
	}
	if (rc == OTP_OK)
		rc = otp_oob_store(key, user, d, &o);
	if (rc == OTP_OK) {
		out->device = d->id;
		snprintf(out->device_name, sizeof(out->device_name), "%s", d->name);
		out->type = (enum otp_dev_type)d->type;
		snprintf(out->to, sizeof(out->to), "%s", o.to);
		out->expires = o.expires;
	}
	otp_oob_wipe(&o);
	return rc;
}

/* Inside *txn: limits, the new code, its record; committed (and *txn
 * NULL) on OTP_OK, left to the caller otherwise. */
static int request_in(struct otp_txn **txn, const struct otp_seal_key *key,
		      const struct otp_config *cfg, const struct otp_login *who, uint32_t id,
		      int flags, struct otp_device_rec *devs, struct otp_oob_sent *out)
{
	struct otp_device_rec d;
	struct otp_audit_ev ev;
	char detail[OTP_OOB_MASKED_MAX + 16], masked[OTP_OOB_MASKED_MAX];
	const struct otp_device_rec *p;
	unsigned n = 0;
	int rc = otp_device_list(*txn, who->user, devs, &n);

	if (rc != OTP_OK)
		return rc;
	p = pick(who->user, devs, n, id, flags, &rc);
	if (p == NULL)
		return rc;
	d = *p;
	rc = within_limits(key, cfg, who->user, devs, n, who->now, out);
	if (rc == OTP_OK)
		rc = new_code(key, cfg, who->user, &d, who->now, flags & OTP_OOB_DRY, out);
	if (rc == OTP_OK)
		rc = otp_device_save(*txn, who->user, &d);
	otp_wipe(&d, sizeof(d));
	if (rc != OTP_OK)
		return rc;
	if (flags & OTP_OOB_DRY) {  /* counted like a send; nothing to audit or deliver */
		rc = otp_txn_commit(*txn);
		*txn = NULL;
		return rc;
	}
	if (otp_oob_mask(out->type, out->to, masked, sizeof(masked)) != OTP_OK)
		snprintf(masked, sizeof(masked), "?");
	snprintf(detail, sizeof(detail), "%s %s", otp_dev_type_name(out->type), masked);
	otp_audit_from(&ev, who, "oob_sent", out->device_name, detail);
	rc = otp_audit_commit(cfg, *txn, &ev, 1);
	*txn = NULL;
	return rc;
}

int otp_oob_request(struct otp_store *st, const struct otp_seal_key *key,
		    const struct otp_config *cfg, const struct otp_login *who,
		    uint32_t device, int flags, struct otp_oob_sent *out)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	struct otp_auth_result res;
	struct otp_txn *txn = NULL;
	int rc = devs ? otp_txn_begin(st, 1, &txn) : OTP_ENOMEM;

	memset(out, 0, sizeof(*out));
	memset(&res, 0, sizeof(res));
	if (rc == OTP_OK)
		rc = otp_txn_prefetch(txn, who->user, OTP_PREFETCH_USER | OTP_PREFETCH_DEVICES, NULL);
	if (rc == OTP_OK && (flags & OTP_OOB_CHARGE))
		rc = otp_auth_charge_in(cfg, txn, who, &res);
	if (rc == OTP_OK)
		rc = request_in(&txn, key, cfg, who, device, flags, devs, out);
	/* locked, or over a limit: nothing is sent, and the charge stays */
	if (txn != NULL && (rc == OTP_ELOCKED || rc == OTP_ETHROTTLE)) {
		int crc = otp_txn_commit(txn);

		rc = crc == OTP_OK ? rc : crc;
	} else if (txn != NULL) {
		otp_txn_abort(txn);
	}
	if (rc != OTP_OK)
		otp_wipe(out->code, sizeof(out->code));
	if (devs != NULL)
		otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return rc;
}

int otp_oob_send_failed(struct otp_store *st, const struct otp_config *cfg,
			const struct otp_login *who, uint32_t device, const char *why)
{
	struct otp_device_rec *d = calloc(1, sizeof(*d));
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char name[OTP_NAME_MAX + 1];
	int rc = d ? otp_txn_begin(st, 1, &txn) : OTP_ENOMEM;

	if (rc == OTP_OK) {
		/* the audit names devices by name, as every other record does */
		if (otp_device_load(txn, who->user, device, d) == OTP_OK)
			snprintf(name, sizeof(name), "%s", d->name);
		else
			snprintf(name, sizeof(name), "%u", device);
		otp_audit_from(&ev, who, "oob_send_failed", name, why);
		rc = otp_audit_commit(cfg, txn, &ev, 1);
	}
	if (d != NULL)
		otp_wipe(d, sizeof(*d));
	free(d);
	return rc;
}
