#include "rekey.h"
#include "audit.h"
#include "err.h"
#include "keycheck.h"
#include "oob.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

struct reseal {
	struct otp_txn *txn;
	const struct otp_seal_key *oldkey, *newkey;
	unsigned count;
};

/* An email or sms device's payload under newkey, without its code: that
 * code's MAC was keyed from oldkey. The send limits' state stays. */
static int reseal_oob(struct reseal *r, const char *user, struct otp_device_rec *d)
{
	struct otp_oob o;
	int rc = otp_oob_open(r->oldkey, user, d, &o);

	if (rc == OTP_OK) {
		o.expires = 0;
		o.used = 0;
		o.tries = 0;
		otp_wipe(o.mac, sizeof(o.mac));
		rc = otp_oob_store(r->newkey, user, d, &o);
	}
	otp_oob_wipe(&o);
	return rc;
}

static int reseal_secret(struct reseal *r, const char *user, struct otp_device_rec *d)
{
	uint8_t secret[OTP_SEAL_PLAIN_MAX];
	size_t n = 0;
	int rc = otp_unseal(r->oldkey, user, d->id, d->sealed, d->sealed_len, secret,
			    sizeof(secret), &n);

	if (rc == OTP_OK)
		rc = otp_seal(r->newkey, user, d->id, secret, n, d->sealed, sizeof(d->sealed),
			      &d->sealed_len);
	otp_wipe(secret, sizeof(secret));
	return rc;
}

/* One stored device: open under oldkey, seal under newkey, write back. */
static int reseal_one(const char *user, struct otp_device_rec *d, void *arg)
{
	struct reseal *r = arg;
	int rc;

	if (d == NULL)
		return otp_seterr(OTP_ECORRUPT, "a device record does not decode");
	if (d->sealed_len == 0)
		return OTP_OK;
	rc = OTP_IS_OOB(d->type) ? reseal_oob(r, user, d) : reseal_secret(r, user, d);
	if (rc == OTP_ECRYPTO)
		rc = otp_seterr(rc, "secret of %s device %u ('%s') does not open with the current "
				"seal key; revoke that device, then rekey", user, d->id, d->name);
	if (rc == OTP_OK)
		rc = otp_device_save(r->txn, user, d);
	r->count += rc == OTP_OK;
	return rc;
}

static int rekey_once(struct otp_store *st, const struct otp_seal_key *oldkey,
		      const struct otp_seal_key *newkey, const struct otp_config *cfg,
		      const struct otp_login *who, unsigned *count)
{
	struct reseal r = { NULL, oldkey, newkey, 0 };
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[64];
	int rc = otp_txn_begin(st, OTP_TXN_EXCLUSIVE, &txn);

	r.txn = txn;
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(txn, oldkey, 0);
	if (rc == OTP_OK)
		rc = otp_device_each(txn, reseal_one, &r);
	*count = r.count;
	if (rc == OTP_OK)
		rc = otp_store_key_record(txn, newkey);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u sealed secrets re-sealed", *count);
	otp_audit_from(&ev, who, "rekey", NULL, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

int otp_rekey(struct otp_store *st, const struct otp_seal_key *oldkey,
	      const struct otp_seal_key *newkey, const struct otp_config *cfg,
	      const struct otp_login *who, unsigned *count)
{
	int rc;

	*count = 0;
	if (CRYPTO_memcmp(oldkey->k, newkey->k, sizeof(oldkey->k)) == 0)
		return otp_seterr(OTP_EINVAL, "the new seal key is the current one");
	rc = rekey_once(st, oldkey, newkey, cfg, who, count);
	/* Every device record is rewritten at once: a big store may need room. */
	while (rc == OTP_EFULL && otp_store_grow(st) == OTP_OK) {
		otp_clearerr();
		rc = rekey_once(st, oldkey, newkey, cfg, who, count);
	}
	return rc;
}
