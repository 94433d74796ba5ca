/*
 * secretdup.h - one secret, one device. A secret that a live device of a
 * user already holds is not enrolled, imported or activated again for that
 * user: each copy would accept the same code once more.
 */
#ifndef OTP_SECRETDUP_H
#define OTP_SECRETDUP_H

#include "seal.h"
#include "store.h"

/* Bits for otp_secret_in_use's states: 1u << enum otp_dev_state. */
#define OTP_STATES_LIVE ((1u << OTP_PENDING) | (1u << OTP_ACTIVE))
#define OTP_STATES_ACTIVE (1u << OTP_ACTIVE)

/*
 * otp_secret_in_use - whether a device of user in txn, other than device
 * except_id (0: none), whose state is among states, holds secret (n
 * bytes). Each candidate's sealed secret is unsealed under key, compared
 * with CRYPTO_memcmp and wiped. Secrets that differ only by trailing zero
 * bytes are the same secret: HMAC pads a key shorter than its block with
 * zeros, so both give the same codes.
 * Returns OTP_OK (nobody has it); OTP_EDUPLICATE with the detail
 * "user U already has this secret on device 'NAME' (id N)"; OTP_ECRYPTO
 * when a candidate's secret does not open under key (it cannot be
 * compared, so the answer is no); OTP_ENOMEM; store errors. Email and sms
 * devices hold no secret (oob.h) and are never candidates.
 */
int otp_secret_in_use(struct otp_txn *txn, const struct otp_seal_key *key, const char *user,
		      const uint8_t *secret, size_t n, uint32_t except_id, unsigned states);

#endif
