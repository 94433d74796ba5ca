/*
 * devices_oob.c - enrolling and confirming email and sms devices: a
 * destination sealed like a secret, activated by a code sent to it.
 */
#include "devices.h"
#include "audit.h"
#include "err.h"
#include "oob.h"
#include "oobaddr.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Inside txn: the new device d with its payload {to} sealed, and u. */
static int create_oob(struct otp_txn *txn, const struct otp_seal_key *key,
		      const struct otp_login *who, const struct otp_enroll_req *req,
		      const char *to, struct otp_device_rec *d)
{
	struct otp_user_rec u;
	struct otp_oob o;
	int rc = otp_device_slot(txn, key, who, req, &u, d);

	memset(&o, 0, sizeof(o));
	if (rc == OTP_OK) {
		snprintf(o.to, sizeof(o.to), "%s", to);
		rc = otp_oob_store(key, who->user, d, &o);
	}
	otp_oob_wipe(&o);
	if (rc == OTP_OK)
		rc = otp_device_save(txn, who->user, d);
	if (rc == OTP_OK)
		rc = otp_user_save(txn, who->user, &u);
	return rc;
}

int otp_enroll_oob(struct otp_store *st, const struct otp_seal_key *key,
		   const struct otp_config *cfg, const struct otp_login *who,
		   const struct otp_enroll_req *req, const char *to, struct otp_device_rec *d)
{
	char masked[OTP_OOB_MASKED_MAX], detail[OTP_OOB_MASKED_MAX + 32];
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	int rc = otp_valid_user(who->user);

	if (rc == OTP_OK && !OTP_IS_OOB(req->type))
		rc = otp_seterr(OTP_EINVAL, "not an email or sms device");
	if (rc == OTP_OK)
		rc = otp_check_request(req, 0);
	if (rc == OTP_OK)
		rc = otp_oob_addr_check(req->type, to);
	if (rc == OTP_OK)
		rc = otp_oob_mask(req->type, to, masked, sizeof(masked));
	if (rc == OTP_OK)
		rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = create_oob(txn, key, who, req, to, d);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	/* the masked form only: the trail and syslog never hold the destination */
	snprintf(detail, sizeof(detail), "%s %s%s", otp_dev_type_name(req->type), masked,
		 req->active ? "" : ", pending");
	otp_audit_from(&ev, who, "enroll", d->name, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

/* Why a code that is not accepted was refused, for the detail. */
static int refusal(enum otp_oob_verdict v, const struct otp_device_rec *d, const char *user)
{
	switch (v) {
	case OTP_OOB_USED:
		return otp_seterr(OTP_EREPLAY, "the code sent to device '%s' of %s was used already",
				  d->name, user);
	case OTP_OOB_EXPIRED:
		return otp_seterr(OTP_EBADCODE, "the code sent to device '%s' of %s has expired",
				  d->name, user);
	case OTP_OOB_EXHAUSTED:
		return otp_seterr(OTP_EBADCODE, "too many wrong codes for the code sent to device "
				  "'%s' of %s", d->name, user);
	default:
		return otp_seterr(OTP_EBADCODE, "not the code sent to device '%s' of %s", d->name,
				  user);
	}
}

int otp_oob_confirm_txn(struct otp_txn *txn, const struct otp_seal_key *key,
			const struct otp_config *cfg, const struct otp_login *who,
			struct otp_device_rec *d, const char *code)
{
	enum otp_oob_verdict v = OTP_OOB_NONE;
	struct otp_audit_ev ev;
	struct otp_oob o;
	int changed = 0, rc = otp_oob_open(key, who->user, d, &o);

	if (rc == OTP_OK)
		v = otp_oob_try(key, cfg, who->user, d->id, &o, code, who->now, &changed);
	if (rc == OTP_OK && v == OTP_OOB_MATCH) {
		d->state = OTP_ACTIVE;
		d->last_used = who->now;
	}
	if (rc == OTP_OK && changed)
		rc = otp_oob_store(key, who->user, d, &o);
	otp_oob_wipe(&o);
	if (rc == OTP_OK && changed)
		rc = otp_device_save(txn, who->user, d);
	if (rc != OTP_OK || (v != OTP_OOB_MATCH && !changed)) {
		otp_txn_abort(txn);
		return rc != OTP_OK ? rc : refusal(v, d, who->user);
	}
	if (v != OTP_OOB_MATCH) {
		/* a wrong code counts against the code sent, as at a login */
		rc = otp_txn_commit(txn);
		return rc != OTP_OK ? rc : refusal(v, d, who->user);
	}
	otp_audit_from(&ev, who, "confirm", d->name, NULL);
	return otp_audit_commit(cfg, txn, &ev, 1);
}
