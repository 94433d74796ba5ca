#include "rekey.h"
#include "audit.h"
#include "err.h"
#include "keycheck.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* One stored device: open under oldkey, seal under newkey, write back. */
static int reseal_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v,
		      const struct otp_seal_key *oldkey, const struct otp_seal_key *newkey,
		      unsigned *count)
{
	char user[OTP_USER_MAX + 1];
	uint8_t key[OTP_KEY_MAX], secret[OTP_SECRET_MAX], val[OTP_REC_MAX];
	struct otp_device_rec d;
	MDB_val nk, nv;
	size_t n = 0, klen = k->mv_size, vl = 0;
	int rc, mrc;

	memset(&d, 0, sizeof(d));
	if (klen > sizeof(key) || otp_device_key_parse(k->mv_data, klen, user, &d.id) != OTP_OK ||
	    otp_device_decode(v->mv_data, v->mv_size, &d) != OTP_OK)
		return otp_seterr(OTP_ECORRUPT, "a device record does not decode");
	if (d.sealed_len == 0)
		return OTP_OK;
	memcpy(key, k->mv_data, klen);  /* the cursor's copy moves on a write */
	rc = otp_unseal(oldkey, user, d.id, d.sealed, d.sealed_len, secret, sizeof(secret), &n);
	if (rc == OTP_ECRYPTO)
		rc = otp_seterr(rc, "secret of %s device %u ('%s') does not open with the current "
				"seal key; revoke that device, then rekey", user, d.id, d.name);
	if (rc == OTP_OK)
		rc = otp_seal(newkey, user, d.id, secret, n, d.sealed, sizeof(d.sealed), &d.sealed_len);
	otp_wipe(secret, sizeof(secret));
	if (rc == OTP_OK && otp_device_encode(&d, val, &vl) != OTP_OK)
		rc = otp_seterr(OTP_EINVAL, "device record does not encode");
	if (rc == OTP_OK) {
		nk.mv_size = klen;
		nk.mv_data = key;
		nv.mv_size = vl;
		nv.mv_data = val;
		mrc = mdb_cursor_put(cur, &nk, &nv, MDB_CURRENT);
		rc = mrc ? otp_lmdb_err(mrc, "rekey") : OTP_OK;
	}
	*count += rc == OTP_OK;
	otp_wipe(val, sizeof(val));
	otp_wipe(&d, sizeof(d));
	return rc;
}

static int reseal_all(struct otp_store *st, MDB_txn *txn, const struct otp_seal_key *oldkey,
		      const struct otp_seal_key *newkey, unsigned *count)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc, rc = OTP_OK;

	mrc = mdb_cursor_open(txn, st->devices, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "cursor");
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == OTP_OK;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		rc = reseal_one(cur, &k, &v, oldkey, newkey, count);
	mdb_cursor_close(cur);
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = otp_lmdb_err(mrc, "cursor");
	return rc;
}

static int rekey_once(struct otp_store *st, const struct otp_seal_key *oldkey,
		      const struct otp_seal_key *newkey, const struct otp_config *cfg,
		      const struct otp_login *who, unsigned *count)
{
	struct otp_audit_ev ev;
	MDB_txn *txn = NULL;
	char detail[64];
	int rc = otp_txn_begin(st, 1, &txn);

	*count = 0;
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(st, txn, oldkey, 0);
	if (rc == OTP_OK)
		rc = reseal_all(st, txn, oldkey, newkey, count);
	if (rc == OTP_OK)
		rc = otp_store_key_record(st, txn, newkey);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u sealed secrets re-sealed", *count);
	otp_audit_from(&ev, who, "rekey", NULL, detail);
	return otp_audit_commit(st, cfg, txn, &ev, 1);
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
