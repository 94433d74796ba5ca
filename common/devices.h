/*
 * devices.h - administrative changes to a user's devices, each one write
 * transaction with its audit record (event names from the design:
 * enroll, confirm, rename, revoke).
 */
#ifndef OTP_DEVICES_H
#define OTP_DEVICES_H

#include "auth.h"

/* What a new device is. For email and sms devices only name, type,
 * digits (informative: oob.digits at enrollment) and active count. */
struct otp_enroll_req {
	char name[OTP_NAME_MAX + 1];  /* empty: "device<id>" */
	enum otp_dev_type type;
	enum otp_alg alg;
	unsigned digits;              /* 6..8 */
	unsigned period;              /* seconds, TOTP */
	uint64_t counter;             /* first HOTP counter */
	uint64_t last_step;           /* TOTP steps up to this one count as used */
	int active;                   /* nonzero: active at once (--no-confirm) */
};

/*
 * otp_enroll - add a device for who->user with secret (n bytes,
 * OTP_SECRET_MIN..OTP_SECRET_MAX), sealed under key for (user, new id).
 * Creates the user record when needed. Names must be unique among the
 * user's devices that are not revoked, and so must secrets among the
 * user's pending and active devices (see secretdup.h). In the same
 * transaction key must be the store's (keycheck.h): a store without a
 * key check value records key's when it proves or claims it.
 * d: receives the stored record (its id, name, state).
 * Returns OTP_OK; OTP_EEXIST (name taken); OTP_EDUPLICATE (secret already
 * on a live device of the user, the detail names it); OTP_EKEY (not the
 * store's seal key); OTP_EINVAL (bad request, or OTP_DEVICES_MAX
 * reached, or req is an email or sms device: see otp_enroll_oob);
 * OTP_ECRYPTO; store errors.
 */
int otp_enroll(struct otp_store *st, const struct otp_seal_key *key,
	       const struct otp_config *cfg, const struct otp_login *who,
	       const struct otp_enroll_req *req, const uint8_t *secret, size_t n,
	       struct otp_device_rec *d);

/*
 * otp_enroll_oob - add an email (req->type OTP_EMAIL) or sms (OTP_SMS)
 * device for who->user whose codes go to `to`: an address or a +E.164
 * number that passes otp_oob_addr_check. Its payload (oob.h: to, no code
 * yet) is sealed under key for (user, new id); the device is pending
 * unless req->active (a code sent with otp_oob_request and OTP_OOB_PENDING
 * then activates it through otp_confirm). Names are unique as for
 * otp_enroll, and key must be the store's in the same way. Audited
 * `enroll` with the detail "email a***@example.com" (the type and the
 * masked destination, ", pending" when pending): the destination itself
 * never reaches the trail.
 * d: receives the stored record (its id, name, state).
 * Returns OTP_OK; OTP_EINVAL (not an email or sms type, bad digits or
 * name, a destination that does not pass, or OTP_DEVICES_MAX reached; the
 * detail says which); OTP_EEXIST (name taken); OTP_EKEY; OTP_EVERSION (a
 * PostgreSQL schema before version 3); OTP_ECRYPTO; store errors.
 */
int otp_enroll_oob(struct otp_store *st, const struct otp_seal_key *key,
		   const struct otp_config *cfg, const struct otp_login *who,
		   const struct otp_enroll_req *req, const char *to, struct otp_device_rec *d);

/*
 * otp_confirm - activate the pending device ref (id or name) when code
 * verifies against it; the code is then used up like a login's. A device
 * whose secret another active device of the user holds is refused before
 * the code is looked at. For an email or sms device code is judged
 * against the last code sent to it (otp_oob_try): a wrong code counts
 * against that code's attempts, which is kept even though the call fails.
 * Returns OTP_OK; OTP_ENOTFOUND; OTP_EINVAL (not pending); OTP_EDUPLICATE;
 * OTP_EBADCODE (also: no code sent, expired, too many wrong codes; the
 * detail says which); OTP_EREPLAY; OTP_ECRYPTO; OTP_ECORRUPT (a payload
 * that does not decode); store errors.
 */
int otp_confirm(struct otp_store *st, const struct otp_seal_key *key,
		const struct otp_config *cfg, const struct otp_login *who,
		const char *ref, const char *code, struct otp_device_rec *d);

/*
 * otp_rename - give device ref a new name (unique among live devices).
 * Returns OTP_OK, OTP_ENOTFOUND, OTP_EEXIST, OTP_EINVAL or store errors.
 */
int otp_rename(struct otp_store *st, const struct otp_config *cfg,
	       const struct otp_login *who, const char *ref, const char *name);

/*
 * otp_revoke - mark device ref revoked and wipe its sealed secret; it can
 * never verify a code again. In the same transaction the hosts it vouched
 * for are forgotten (every remembered host of the user when no active
 * device is left). Revoking a revoked device is OTP_EINVAL.
 * Returns OTP_OK, OTP_ENOTFOUND, OTP_EINVAL or store errors.
 */
int otp_revoke(struct otp_store *st, const struct otp_config *cfg,
	       const struct otp_login *who, const char *ref, struct otp_device_rec *d);

/*
 * otp_device_create - the body of otp_enroll inside the caller's write
 * transaction txn, without an audit record (import batches many). req must
 * have passed otp_check_request. Returns as otp_enroll.
 */
int otp_device_create(struct otp_txn *txn, const struct otp_seal_key *key,
		      const struct otp_login *who, const struct otp_enroll_req *req,
		      const uint8_t *secret, size_t n, struct otp_device_rec *d);

/*
 * otp_device_slot - the start of every enrollment inside txn: u gets
 * who->user's record (a new one when there is none) with its next id
 * taken, d a new device of req with that id, its name (unique among live
 * devices), state and parameters, nothing sealed yet; key must be the
 * store's (or claims a store without a check value). Nothing is written:
 * the caller seals into d, then saves d and u.
 * Returns OTP_OK; OTP_EEXIST; OTP_EINVAL (OTP_DEVICES_MAX reached);
 * OTP_EKEY; OTP_ENOMEM; store errors.
 */
int otp_device_slot(struct otp_txn *txn, const struct otp_seal_key *key,
		    const struct otp_login *who, const struct otp_enroll_req *req,
		    struct otp_user_rec *u, struct otp_device_rec *d);

/*
 * otp_oob_confirm_txn - otp_confirm's judgement of code for the pending
 * email or sms device d inside txn, which it ends: committed with a
 * `confirm` record on a match (d activated and saved), committed without
 * one when only the code's attempts changed, aborted otherwise.
 * Returns as otp_confirm.
 */
int otp_oob_confirm_txn(struct otp_txn *txn, const struct otp_seal_key *key,
			const struct otp_config *cfg, const struct otp_login *who,
			struct otp_device_rec *d, const char *code);

/*
 * otp_device_find - inside txn, the device of user named by ref: a decimal
 * id, or else a name. Names may be reused once a device is revoked: a name
 * finds the live (pending or active) device of that name, else the newest
 * revoked one, so a caller can say "already revoked" whether named by id
 * or name.
 * Returns OTP_OK; OTP_ENOTFOUND with the detail "no device 'REF' for user
 * USER"; OTP_ENOMEM; or as otp_device_load and otp_device_list (store.h).
 */
int otp_device_find(struct otp_txn *txn, const char *user, const char *ref,
		    struct otp_device_rec *d);

/*
 * otp_check_request - whether req and a secret of n bytes make a device
 * (n must be 0 for an email or sms device: it has no secret).
 * Returns OTP_OK or OTP_EINVAL (detail says what).
 */
int otp_check_request(const struct otp_enroll_req *req, size_t n);

#define OTP_RESYNC_WINDOW 1000  /* counters searched ahead by otp_resync */

/*
 * otp_resync - bring a device back in step with two consecutive codes.
 * HOTP: a token that ran ahead: find counters c, c + 1 (c within
 * OTP_RESYNC_WINDOW of the stored counter) that give code1 then code2,
 * and store c + 2 as the next counter.
 * TOTP: a device whose clock is off: find steps s, s + 1 within an hour
 * (at most OTP_DRIFT_MAX steps) of our step now, after the last accepted
 * one, that give code1 then code2; the device's drift becomes s + 1 minus
 * our step and s + 1 its last accepted step (both codes are used up).
 * Audited as `resync`. Two consecutive codes make a chance match across the
 * wide window negligible (RFC 4226 section 7.4).
 * Returns OTP_OK; OTP_EBADCODE (no such pair); OTP_EINVAL (not an active
 * device, or an email or sms device: "email and sms devices have no
 * counter or clock"); OTP_ENOTFOUND; OTP_ECRYPTO; store errors.
 */
int otp_resync(struct otp_store *st, const struct otp_seal_key *key,
	       const struct otp_config *cfg, const struct otp_login *who, const char *ref,
	       const char *code1, const char *code2, struct otp_device_rec *d);

/* otp_state_name - "pending", "active" or "revoked". */
const char *otp_state_name(unsigned state);

#endif
