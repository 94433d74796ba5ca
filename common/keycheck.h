/*
 * keycheck.h - the seal key's identity.
 *
 * The store's `meta` value "seal_kcv" is a key check value (KCV): HMAC-SHA256
 * under the seal key of a fixed label. It tells keys apart and reveals
 * nothing of the key. With it, a host whose seal_key points at some other
 * valid 32-byte key is refused before anything is written or verified,
 * instead of writing devices that no other host or tool can open.
 *
 * Stores made before the KCV have none. For them a key is judged by the
 * secrets already sealed: it is this store's key when one of them opens
 * under it, and wrong when there are some and none opens. A store with no
 * sealed secret at all cannot tell; it takes the key of its first write
 * that adds one (otp_device_create claims it in that transaction).
 */
#ifndef OTP_KEYCHECK_H
#define OTP_KEYCHECK_H

#include "seal.h"
#include "store.h"

#define OTP_KEYCHECK_META "seal_kcv"  /* the KCV's name in `meta` */

enum {
	/* No KCV yet and a sealed secret opens under the key: record the KCV. */
	OTP_KEYCHECK_RECORD = 1,
	/* No KCV and no sealed secret at all: record the KCV (the key claims
	 * the store: otpctl init, the first device). */
	OTP_KEYCHECK_CLAIM = 2,
};

/*
 * otp_store_key_check - whether key is the key this store is sealed under.
 * With a KCV: one read of `meta` in a short read transaction and one HMAC.
 * Without one: walks the devices until a sealed secret opens under key
 * (one AES-GCM open per sealed secret tried); with flags asking to record,
 * the KCV is then written in a short write transaction, which first judges
 * again (another process may have recorded one meanwhile). With flags 0
 * nothing is ever written: a read-only check, as the PAM module makes.
 * Returns OTP_OK when the key matches the KCV, opens a sealed secret, or
 * the store has neither (an empty store any key may claim);
 * OTP_EKEY with the detail "seal key does not match this store (DIR)";
 * OTP_ECORRUPT (a malformed KCV record); OTP_EVERSION (a KCV of a newer
 * format); OTP_ECRYPTO (OpenSSL failed); OTP_ESTORE, OTP_EFULL.
 */
int otp_store_key_check(struct otp_store *st, const struct otp_seal_key *key, int flags);

/*
 * otp_store_key_check_txn - the same judgement inside the caller's
 * transaction txn (a write transaction when flags may record), so that a
 * write and the key it seals with are decided together: two processes
 * with different keys racing on a store without a KCV cannot both write.
 * Returns as otp_store_key_check.
 */
int otp_store_key_check_txn(struct otp_txn *txn, const struct otp_seal_key *key, int flags);

/*
 * otp_store_key_record - write key's KCV into the write transaction txn,
 * replacing any (otp_rekey uses it once every secret is re-sealed).
 * Returns OTP_OK, OTP_ECRYPTO, OTP_EFULL or OTP_ESTORE.
 */
int otp_store_key_record(struct otp_txn *txn, const struct otp_seal_key *key);

#endif
