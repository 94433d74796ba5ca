/*
 * rekey.h - move a store to a new seal key (otpctl rekey).
 */
#ifndef OTP_REKEY_H
#define OTP_REKEY_H

#include "auth.h"

/*
 * otp_rekey - re-seal every sealed secret of every user (pending and
 * active devices; revoked ones hold none) under newkey and make newkey's
 * check value the store's, in ONE write transaction with its `rekey`
 * audit record (detail: how many secrets): all or nothing. A full map is
 * grown and the work redone. Plain secrets live only in a stack buffer
 * that is wiped after each device. An email or sms device's payload
 * (oob.h) is re-sealed with its outstanding code dropped (expires 0): the
 * code's MAC is keyed from the old key, so it could not match again.
 * oldkey must be the store's key (otp_store_key_check_txn). A secret that
 * does not open under it stops the rekey: nothing is written, and the
 * detail names the user and device (revoke it, then rekey).
 * who: the administrator, for the audit record (user may be "").
 * count: receives how many secrets were re-sealed.
 * The caller installs newkey where seal_key points once this returns:
 * until then logins are refused (the key does not match the store).
 * Returns OTP_OK; OTP_EKEY (oldkey is not the store's); OTP_EINVAL (newkey
 * is oldkey); OTP_ECRYPTO; OTP_ECORRUPT (a device record does not
 * decode); OTP_ENOMEM; store errors.
 */
int otp_rekey(struct otp_store *st, const struct otp_seal_key *oldkey,
	      const struct otp_seal_key *newkey, const struct otp_config *cfg,
	      const struct otp_login *who, unsigned *count);

#endif
