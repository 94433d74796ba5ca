#include "keycheck.h"
#include "codec.h"
#include "err.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define KCV_VERSION 1
#define KCV_LEN 32                  /* HMAC-SHA256 */
#define KCV_REC_LEN (1 + KCV_LEN)   /* version || mac */

/* What a store says of a key, when no error stops the judgement. */
enum verdict { MATCHES, PROVEN, UNPROVEN };

static const char kcv_name[] = "seal_kcv";   /* the key in `meta` */

/* A derived value, never the key: HMAC-SHA256(key, label). */
static int compute_kcv(const struct otp_seal_key *key, uint8_t out[KCV_LEN])
{
	static const char label[] = "pam_otp seal key check v1";
	size_t n = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key->k, sizeof(key->k),
		      (const unsigned char *)label, sizeof(label) - 1, out, KCV_LEN, &n) == NULL ||
	    n != KCV_LEN)
		return otp_seterr(OTP_ECRYPTO, "HMAC-SHA256 failed");
	return OTP_OK;
}

static int mismatch(const struct otp_store *st)
{
	return otp_seterr(OTP_EKEY, "seal key does not match this store (%s)", st->dir);
}

static int compare_kcv(const struct otp_store *st, const struct otp_seal_key *key,
		       const uint8_t *rec, size_t n)
{
	uint8_t want[KCV_LEN];
	int rc;

	if (n != KCV_REC_LEN || rec[0] != KCV_VERSION)
		return n >= 1 && rec[0] > KCV_VERSION ?
		       otp_seterr(OTP_EVERSION, "%s: seal key check of a newer version", st->dir) :
		       otp_seterr(OTP_ECORRUPT, "%s: bad seal key check record", st->dir);
	rc = compute_kcv(key, want);
	if (rc == OTP_OK && CRYPTO_memcmp(want, rec + 1, KCV_LEN) != 0)
		rc = mismatch(st);
	otp_wipe(want, sizeof(want));
	return rc;
}

int otp_device_key_parse(const void *key, size_t klen, char *user, uint32_t *id)
{
	const uint8_t *k = key;
	size_t ul;

	if (klen < 1 + 1 + 4 || klen - 5 > OTP_USER_MAX || k[klen - 5] != '\0' ||
	    memchr(k, '\0', klen - 5) != NULL)
		return OTP_ECORRUPT;
	ul = klen - 5;
	memcpy(user, k, ul);
	user[ul] = '\0';
	*id = otp_rd32(k + ul + 1);
	return OTP_OK;
}

/* Whether the sealed secret of one stored device opens under key; -1 when
 * the record holds none (revoked) or cannot be read. */
static int opens(const struct otp_seal_key *key, const MDB_val *k, const MDB_val *v,
		 struct otp_device_rec *d)
{
	char user[OTP_USER_MAX + 1];
	uint8_t secret[OTP_SECRET_MAX];
	size_t n = 0;
	int rc;

	if (otp_device_key_parse(k->mv_data, k->mv_size, user, &d->id) != OTP_OK ||
	    otp_device_decode(v->mv_data, v->mv_size, d) != OTP_OK || d->sealed_len == 0)
		return -1;
	rc = otp_unseal(key, user, d->id, d->sealed, d->sealed_len, secret, sizeof(secret), &n);
	otp_wipe(secret, sizeof(secret));
	return rc == OTP_OK;
}

/* No KCV: the first sealed secret that opens proves the key. */
static int prove(struct otp_store *st, MDB_txn *txn, const struct otp_seal_key *key,
		 enum verdict *v)
{
	struct otp_device_rec d;
	unsigned sealed = 0;
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc, got;

	*v = UNPROVEN;
	mrc = mdb_cursor_open(txn, st->devices, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, st->dir);
	for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		got = opens(key, &k, &val, &d);
		sealed += got >= 0;
		if (got == 1) {
			*v = PROVEN;
			break;
		}
	}
	mdb_cursor_close(cur);
	otp_wipe(&d, sizeof(d));
	otp_clearerr();  /* the unseal failures on the way are not the story */
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return otp_lmdb_err(mrc, st->dir);
	return *v == UNPROVEN && sealed > 0 ? mismatch(st) : OTP_OK;
}

static int judge(struct otp_store *st, MDB_txn *txn, const struct otp_seal_key *key,
		 enum verdict *v)
{
	MDB_val k = { sizeof(kcv_name) - 1, (void *)kcv_name }, val;
	int mrc = mdb_get(txn, st->meta, &k, &val);

	if (mrc == 0) {
		*v = MATCHES;
		return compare_kcv(st, key, val.mv_data, val.mv_size);
	}
	if (mrc != MDB_NOTFOUND)
		return otp_lmdb_err(mrc, st->dir);
	return prove(st, txn, key, v);
}

static int wants_record(enum verdict v, int flags)
{
	return (v == PROVEN && (flags & OTP_KEYCHECK_RECORD)) ||
	       (v == UNPROVEN && (flags & OTP_KEYCHECK_CLAIM));
}

int otp_store_key_record(struct otp_store *st, MDB_txn *txn, const struct otp_seal_key *key)
{
	uint8_t rec[KCV_REC_LEN];
	MDB_val k = { sizeof(kcv_name) - 1, (void *)kcv_name }, v = { sizeof(rec), rec };
	int rc, mrc;

	rec[0] = KCV_VERSION;
	rc = compute_kcv(key, rec + 1);
	if (rc != OTP_OK)
		return rc;
	mrc = mdb_put(txn, st->meta, &k, &v, 0);
	return mrc ? otp_lmdb_err(mrc, st->dir) : OTP_OK;
}

int otp_store_key_check_txn(struct otp_store *st, MDB_txn *txn, const struct otp_seal_key *key,
			    int flags)
{
	enum verdict v;
	int rc = judge(st, txn, key, &v);

	if (rc == OTP_OK && wants_record(v, flags))
		rc = otp_store_key_record(st, txn, key);
	return rc;
}

int otp_store_key_check(struct otp_store *st, const struct otp_seal_key *key, int flags)
{
	enum verdict v;
	MDB_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn);

	if (rc == OTP_OK)
		rc = judge(st, txn, key, &v);
	otp_txn_abort(txn);
	if (rc != OTP_OK || !wants_record(v, flags))
		return rc;
	/* Judged again under the write lock: the store may have changed. */
	txn = NULL;
	rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(st, txn, key, flags);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	return otp_txn_commit(txn);
}
