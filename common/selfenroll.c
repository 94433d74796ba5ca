/* selfenroll.c - enrollment at login: the pending device, then its activation. */
#include "selfenroll.h"

#include "audit.h"
#include "devices.h"
#include "err.h"
#include "keycheck.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The user's devices in *devs (calloc'd, OTP_DEVICES_MAX); EEXIST when one is active. */
static int list_none_active(struct otp_txn *txn, const char *user, struct otp_device_rec *devs,
			    unsigned *n)
{
	int rc = otp_device_list(txn, user, devs, n);

	for (unsigned i = 0; rc == OTP_OK && i < *n; i++) {
		if (devs[i].state == OTP_ACTIVE)
			return otp_seterr(OTP_EEXIST, "user %s has an active device", user);
	}
	return rc;
}

/* The pending device an earlier login made, if any. */
static struct otp_device_rec *earlier(struct otp_device_rec *devs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (devs[i].state == OTP_PENDING && devs[i].type == OTP_TOTP &&
		    strcmp(devs[i].name, OTP_SELF_NAME) == 0)
			return &devs[i];
	}
	return NULL;
}

static void totp_params(const struct otp_config *cfg, struct otp_device_rec *d, uint64_t now)
{
	d->type = OTP_TOTP;
	d->alg = (uint8_t)cfg->totp.alg;
	d->digits = (uint8_t)cfg->totp.digits;
	d->period = cfg->totp.period;
	d->counter = 0;
	d->last_step = 0;
	d->drift = 0;
	d->created = now;
	d->state = OTP_PENDING;
}

/* Inside txn: the device to hold the new secret, sealed into *d; u saved when new. */
static int place(struct otp_txn *txn, const struct otp_seal_key *key,
		 const struct otp_config *cfg, const struct otp_login *who,
		 struct otp_device_rec *devs, unsigned n, const uint8_t *secret,
		 struct otp_device_rec *d)
{
	struct otp_device_rec *old = earlier(devs, n);
	struct otp_enroll_req req;
	struct otp_user_rec u;
	int rc;

	if (old != NULL) {
		*d = *old;
		rc = otp_store_key_check_txn(txn, key, 0);
	} else {
		memset(&req, 0, sizeof(req));
		snprintf(req.name, sizeof(req.name), "%s", OTP_SELF_NAME);
		req.type = OTP_TOTP;
		req.alg = cfg->totp.alg;
		req.digits = cfg->totp.digits;
		req.period = cfg->totp.period;
		rc = otp_device_slot(txn, key, who, &req, &u, d);
		if (rc == OTP_OK)
			rc = otp_user_save(txn, who->user, &u);
	}
	if (rc != OTP_OK)
		return rc;
	totp_params(cfg, d, who->now);
	return otp_seal(key, who->user, d->id, secret, OTP_SELF_SECRET_LEN, d->sealed,
			sizeof(d->sealed), &d->sealed_len);
}

int otp_self_begin(struct otp_store *st, const struct otp_seal_key *key,
		   const struct otp_config *cfg, const struct otp_login *who,
		   uint8_t *secret, uint32_t *id)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX + 1, sizeof(*devs));
	struct otp_txn *txn = NULL;
	unsigned n = 0;
	int rc = devs ? otp_txn_begin(st, 1, &txn) : OTP_ENOMEM;

	if (rc == OTP_OK && RAND_bytes(secret, OTP_SELF_SECRET_LEN) != 1)
		rc = otp_seterr(OTP_ECRYPTO, "no randomness for a secret");
	if (rc == OTP_OK)
		rc = otp_txn_prefetch(txn, who->user, OTP_PREFETCH_USER | OTP_PREFETCH_DEVICES, NULL);
	if (rc == OTP_OK)
		rc = list_none_active(txn, who->user, devs, &n);
	if (rc == OTP_OK)
		rc = place(txn, key, cfg, who, devs, n, secret, &devs[OTP_DEVICES_MAX]);
	if (rc == OTP_OK)
		rc = otp_device_save(txn, who->user, &devs[OTP_DEVICES_MAX]);
	if (rc == OTP_OK) {
		*id = devs[OTP_DEVICES_MAX].id;
		rc = otp_txn_commit(txn);
	} else if (txn != NULL) {
		otp_txn_abort(txn);
	}
	if (rc != OTP_OK)
		otp_wipe(secret, OTP_SELF_SECRET_LEN);
	if (devs != NULL)
		otp_wipe(devs, (OTP_DEVICES_MAX + 1) * sizeof(*devs));
	free(devs);
	return rc;
}

/* Device id of devs, still the pending one, verifies code (*hit updated). */
static int verify(const struct otp_seal_key *key, const struct otp_config *cfg,
		  const struct otp_login *who,
		  struct otp_device_rec *devs, unsigned n, uint32_t id, const char *code,
		  struct otp_device_rec **hit)
{
	for (unsigned i = 0; i < n; i++) {
		if (devs[i].id != id)
			continue;
		if (devs[i].state != OTP_PENDING || devs[i].type != OTP_TOTP ||
		    strcmp(devs[i].name, OTP_SELF_NAME) != 0)
			break;
		*hit = &devs[i];
		return otp_device_check(key, cfg, who->user, &devs[i], code, who->now);
	}
	return otp_seterr(OTP_ENOTFOUND, "device %u of %s is no longer the pending one enrolled "
			  "at login", id, who->user);
}

/* Inside txn: the device active, the user's login recorded, both audited; commits. */
static int activate(const struct otp_config *cfg, struct otp_txn *txn,
		    const struct otp_login *who, struct otp_device_rec *d)
{
	struct otp_audit_ev ev;
	char detail[64];
	int rc;

	d->state = OTP_ACTIVE;
	rc = otp_device_save(txn, who->user, d);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "self totp %s %u digits", otp_alg_name(d->alg), d->digits);
	otp_audit_from(&ev, who, "enroll", d->name, detail);
	return otp_auth_record_success_after(cfg, txn, who, &ev, "auth_success", d->name, d->id,
					     "enrolled");
}

int otp_self_confirm(struct otp_store *st, const struct otp_seal_key *key,
		     const struct otp_config *cfg, const struct otp_login *who, uint32_t id,
		     const char *code)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs)), *d = NULL;
	struct otp_txn *txn = NULL;
	unsigned n = 0;
	int rc = devs ? otp_txn_begin(st, 1, &txn) : OTP_ENOMEM;

	if (rc == OTP_OK)
		rc = otp_txn_prefetch(txn, who->user, OTP_PREFETCH_USER | OTP_PREFETCH_DEVICES, NULL);
	if (rc == OTP_OK)
		rc = otp_auth_lock_check(cfg, txn, who);  /* locked meanwhile: not let in */
	if (rc == OTP_OK)
		rc = list_none_active(txn, who->user, devs, &n);
	if (rc == OTP_OK)
		rc = verify(key, cfg, who, devs, n, id, code, &d);
	if (rc == OTP_EREPLAY)
		rc = OTP_EBADCODE;
	if (rc == OTP_OK)
		rc = activate(cfg, txn, who, d);
	else if (txn != NULL)
		otp_txn_abort(txn);
	if (devs != NULL)
		otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return rc;
}
