#include "keycheck.h"
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

static const char kcv_name[] = OTP_KEYCHECK_META;

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

static int mismatch(struct otp_txn *txn)
{
	return otp_seterr(OTP_EKEY, "seal key does not match this store (%s)",
			  otp_store_name(otp_txn_store(txn)));
}

static int compare_kcv(struct otp_txn *txn, const struct otp_seal_key *key, const uint8_t *rec,
		       size_t n)
{
	const char *name = otp_store_name(otp_txn_store(txn));
	uint8_t want[KCV_LEN];
	int rc;

	if (n != KCV_REC_LEN || rec[0] != KCV_VERSION)
		return n >= 1 && rec[0] > KCV_VERSION ?
		       otp_seterr(OTP_EVERSION, "%s: seal key check of a newer version", name) :
		       otp_seterr(OTP_ECORRUPT, "%s: bad seal key check record", name);
	rc = compute_kcv(key, want);
	if (rc == OTP_OK && CRYPTO_memcmp(want, rec + 1, KCV_LEN) != 0)
		rc = mismatch(txn);
	otp_wipe(want, sizeof(want));
	return rc;
}

/* What the walk over the devices found so far. */
struct proof {
	const struct otp_seal_key *key;
	unsigned sealed;  /* sealed secrets tried */
	int opened;       /* one of them opened under key */
};

/* Whether the sealed secret of one stored device opens under key; devices
 * that hold none (revoked) or cannot be read are not counted. The buffer
 * takes any seal: an email or sms device's payload is longer than a secret. */
static int try_one(const char *user, struct otp_device_rec *d, void *arg)
{
	struct proof *p = arg;
	uint8_t secret[OTP_SEAL_PLAIN_MAX];
	size_t n = 0;
	int rc;

	if (d == NULL || d->sealed_len == 0)
		return OTP_OK;
	p->sealed++;
	rc = otp_unseal(p->key, user, d->id, d->sealed, d->sealed_len, secret, sizeof(secret), &n);
	otp_wipe(secret, sizeof(secret));
	if (rc != OTP_OK)
		return OTP_OK;
	p->opened = 1;
	return OTP_EACH_STOP;
}

/* No KCV: the first sealed secret that opens proves the key. */
static int prove(struct otp_txn *txn, const struct otp_seal_key *key, enum verdict *v)
{
	struct proof p = { key, 0, 0 };
	int rc = otp_device_each(txn, try_one, &p);

	*v = p.opened ? PROVEN : UNPROVEN;
	if (rc != OTP_OK)
		return rc;
	otp_clearerr();  /* the unseal failures on the way are not the story */
	return *v == UNPROVEN && p.sealed > 0 ? mismatch(txn) : OTP_OK;
}

static int judge(struct otp_txn *txn, const struct otp_seal_key *key, enum verdict *v)
{
	uint8_t rec[KCV_REC_LEN + 1];
	size_t n = 0;
	int rc = otp_meta_get(txn, kcv_name, rec, sizeof(rec), &n);

	if (rc == OTP_OK) {
		*v = MATCHES;
		return compare_kcv(txn, key, rec, n);
	}
	if (rc != OTP_ENOTFOUND)
		return rc;
	return prove(txn, key, v);
}

static int wants_record(enum verdict v, int flags)
{
	return (v == PROVEN && (flags & OTP_KEYCHECK_RECORD)) ||
	       (v == UNPROVEN && (flags & OTP_KEYCHECK_CLAIM));
}

int otp_store_key_record(struct otp_txn *txn, const struct otp_seal_key *key)
{
	uint8_t rec[KCV_REC_LEN];
	int rc;

	rec[0] = KCV_VERSION;
	rc = compute_kcv(key, rec + 1);
	if (rc != OTP_OK)
		return rc;
	return otp_meta_put(txn, kcv_name, rec, sizeof(rec));
}

int otp_store_key_check_txn(struct otp_txn *txn, const struct otp_seal_key *key, int flags)
{
	enum verdict v;
	int rc = judge(txn, key, &v);

	if (rc == OTP_OK && wants_record(v, flags))
		rc = otp_store_key_record(txn, key);
	return rc;
}

int otp_store_key_check(struct otp_store *st, const struct otp_seal_key *key, int flags)
{
	enum verdict v;
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn);

	if (rc == OTP_OK)
		rc = judge(txn, key, &v);
	otp_txn_abort(txn);
	if (rc != OTP_OK || !wants_record(v, flags))
		return rc;
	/* Judged again under the write lock: the store may have changed. */
	txn = NULL;
	rc = otp_txn_begin(st, OTP_TXN_EXCLUSIVE, &txn);
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(txn, key, flags);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	return otp_txn_commit(txn);
}
