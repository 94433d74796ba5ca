/*
 * selfenroll.h - a user enrolls an authenticator app at login
 * (enroll_on_login), in two write transactions around the conversation:
 * the pending device is made (or its secret replaced), then activated by a
 * code from it. At most one device of a user is ever made this way at a
 * time, and it becomes active only while the user has no other active
 * device, so parallel logins of one user make at most one active device.
 */
#ifndef OTP_SELFENROLL_H
#define OTP_SELFENROLL_H

#include "auth.h"

#define OTP_SELF_NAME "login"      /* the name of a device enrolled at login */
#define OTP_SELF_SECRET_LEN 20     /* bytes: RFC 4226's recommended 160 bits */

/*
 * otp_self_begin - make who->user's pending TOTP device (named
 * OTP_SELF_NAME, with cfg->totp's algorithm, digits and period) with a new
 * random secret, one write transaction; a pending device of that name
 * made by an earlier login gets the new secret instead (the earlier
 * login's codes then fail). The user record is made when there is none.
 * secret: receives OTP_SELF_SECRET_LEN bytes (the caller shows and wipes
 * them); *id: the device's id. Nothing is audited until otp_self_confirm.
 * Returns OTP_OK; OTP_EEXIST (the user has an active device: nothing to
 * enroll); OTP_EINVAL (OTP_DEVICES_MAX reached); OTP_EKEY; OTP_ECRYPTO;
 * store errors.
 */
int otp_self_begin(struct otp_store *st, const struct otp_seal_key *key,
		   const struct otp_config *cfg, const struct otp_login *who,
		   uint8_t *secret, uint32_t *id);

/*
 * otp_self_confirm - activate device id of who->user when code verifies
 * against it, one write transaction that also checks the user still has
 * no active device and the device is still the pending one of that name.
 * On success the code's time step is used up, the user's failures and
 * lock are cleared, last_login set, and `enroll` (detail "self totp ALG N
 * digits") and `auth_success` (detail "enrolled") are audited with
 * who's service and rhost; who->rhost is remembered as after any verified
 * code (remember_host).
 * A user locked meanwhile (not exempt: who->exempt as for otp_auth_charge)
 * is refused before the code is looked at.
 * Returns OTP_OK; OTP_EBADCODE (nothing written); OTP_EEXIST (another
 * device became active meanwhile); OTP_ENOTFOUND (the device is gone or
 * no longer pending); OTP_ELOCKED; OTP_EEXEMPT (who->exempt is
 * OTP_EXEMPT_ASK and the user is locked: decide and call again);
 * OTP_ECRYPTO; store errors.
 */
int otp_self_confirm(struct otp_store *st, const struct otp_seal_key *key,
		     const struct otp_config *cfg, const struct otp_login *who, uint32_t id,
		     const char *code);

#endif
