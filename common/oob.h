/*
 * oob.h - out-of-band devices: codes sent by email or SMS.
 *
 * An email or sms device (records.h) has no secret. Its sealed blob
 * (seal.h: AES-256-GCM, bound to user and device id) holds its payload:
 * the destination and the state of the last code sent to it. The code
 * itself is never stored: only HMAC-SHA256 of it under a key derived with
 * HKDF-SHA256 from the seal key and bound to user, device and expiry, so
 * neither the store nor a backup of it gives a code back. Every change to
 * that state happens in the write transaction that checks it, as for any
 * code (auth.h): a code is accepted at most once, and the send limits hold
 * under concurrency.
 */
#ifndef OTP_OOB_H
#define OTP_OOB_H

#include "auth.h"
#include "records.h"
#include "seal.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_OOB_TO_MAX 254     /* bytes of a destination (RFC 5321's path limit) */
#define OTP_OOB_MAC_LEN 32     /* HMAC-SHA256 */
#define OTP_OOB_CODE_MAX 8     /* digits of a sent code (oob.digits: 6..8) */
#define OTP_OOB_MASKED_MAX (OTP_OOB_TO_MAX + 8) /* bytes of a masked destination */

/* An out-of-band device's payload, as opened from its sealed blob. */
struct otp_oob {
	char to[OTP_OOB_TO_MAX + 1];   /* address (email) or +E.164 number (sms) */
	uint8_t mac[OTP_OOB_MAC_LEN];  /* of the last code sent, while expires != 0 */
	uint64_t expires;              /* seconds since epoch; 0: no code was sent */
	uint64_t used;                 /* when that code was accepted; 0: not yet */
	uint32_t tries;                /* wrong codes typed while it was outstanding */
	uint64_t sent;                 /* when the last code was sent; 0: never */
	uint64_t hour;                 /* start of the hour that count counts */
	uint32_t count;                /* codes sent since hour */
};

/*
 * otp_dev_type_name - "totp", "hotp", "email", "sms" (or "?" for a value
 * out of range): the names of device types in otpctl, JSON and PostgreSQL.
 */
const char *otp_dev_type_name(unsigned type);

/*
 * otp_dev_type_parse - the type named s (as otp_dev_type_name gives).
 * Returns OTP_OK or OTP_EINVAL.
 */
int otp_dev_type_parse(const char *s, enum otp_dev_type *type);

/*
 * otp_oob_open - unseal and decode the payload of out-of-band device d of
 * user into o. The caller wipes o (otp_oob_wipe).
 * Returns OTP_OK; OTP_EINVAL (d is not an email or sms device, or is
 * revoked: nothing sealed); OTP_ECRYPTO (the seal does not open: another
 * key, or another record's blob); OTP_ECORRUPT (the payload does not
 * decode strictly); OTP_EVERSION (a newer payload format).
 */
int otp_oob_open(const struct otp_seal_key *key, const char *user,
		 const struct otp_device_rec *d, struct otp_oob *o);

/*
 * otp_oob_store - encode o and seal it into d->sealed for (user, d->id),
 * for the caller to save in its transaction.
 * Returns OTP_OK; OTP_EINVAL (o->to empty or longer than OTP_OOB_TO_MAX);
 * OTP_ECRYPTO.
 */
int otp_oob_store(const struct otp_seal_key *key, const char *user,
		  struct otp_device_rec *d, const struct otp_oob *o);

/* otp_oob_wipe - clear o (it names a destination and a code's MAC). */
void otp_oob_wipe(struct otp_oob *o);

/*
 * otp_oob_mac - HMAC-SHA256, under the key HKDF-SHA256 derives from key
 * (info "pam_otp oob code"), of user, device id, expires and code (the
 * digits as typed after otp_code_normalize). out: OTP_OOB_MAC_LEN bytes.
 * Returns OTP_OK or OTP_ECRYPTO.
 */
int otp_oob_mac(const struct otp_seal_key *key, const char *user, uint32_t id,
		uint64_t expires, const char *code, uint8_t *out);

/* What a typed code is to an out-of-band device's last code. */
enum otp_oob_verdict {
	OTP_OOB_NONE,       /* no code outstanding, or not this one */
	OTP_OOB_MATCH,      /* this one, still valid: accepted (o updated) */
	OTP_OOB_USED,       /* this one, already accepted once: a replay */
	OTP_OOB_EXPIRED,    /* this one, past its expiry */
	OTP_OOB_EXHAUSTED,  /* this one, after oob.max_attempts wrong codes */
};

/*
 * otp_oob_try - judge code against o, the opened payload of device id of
 * user, at time now (seconds). On OTP_OOB_MATCH o->used is set; on
 * OTP_OOB_NONE while a code is outstanding (sent, not used, not expired,
 * not exhausted) o->tries grows by one. *changed tells whether o must be
 * stored back (otp_oob_store) in the caller's transaction.
 * Returns the verdict; a MAC that cannot be computed is OTP_OOB_NONE with
 * nothing changed (the caller's attempt then fails, charged).
 */
enum otp_oob_verdict otp_oob_try(const struct otp_seal_key *key, const struct otp_config *cfg,
				 const char *user, uint32_t id, struct otp_oob *o,
				 const char *code, uint64_t now, int *changed);

/* A code made and recorded by otp_oob_request, to deliver. */
struct otp_oob_sent {
	uint32_t device;                    /* the device's id */
	char device_name[OTP_NAME_MAX + 1];
	enum otp_dev_type type;             /* OTP_EMAIL or OTP_SMS */
	char to[OTP_OOB_TO_MAX + 1];        /* where to send it */
	char code[OTP_OOB_CODE_MAX + 1];    /* the code; the caller wipes it */
	uint64_t expires;                   /* seconds since epoch */
	uint64_t wait;                      /* OTP_ETHROTTLE: seconds until a send is allowed */
	int hourly;                         /* OTP_ETHROTTLE: the hourly cap, not resend_after */
};

enum {
	OTP_OOB_CHARGE = 1,   /* a login's request: charged to the lockout like an attempt */
	OTP_OOB_PENDING = 2,  /* the device may be pending (enrollment's confirmation) */
	OTP_OOB_DRY = 4,      /* a login whose earlier factors failed: charged, limited
				 and counted as a send, but no code is made (out->code
				 stays empty) and nothing audited, so its prompts read
				 as a right password's would */
};

/*
 * otp_oob_request - make a new code for out-of-band device `device` of
 * who->user, in one write transaction: with OTP_OOB_CHARGE the request is
 * charged as otp_auth_charge does (a locked user gets OTP_ELOCKED and no
 * code); the limits are checked across all the user's out-of-band devices
 * (no send within oob.resend_after seconds of the last one, at most
 * oob.max_per_hour in an hour counted from the first of them); then a code
 * of oob.digits digits from RAND_bytes replaces the device's last one,
 * valid oob.valid seconds, and `oob_sent` is audited (detail: the type and
 * the masked destination; never the code).
 * out: filled on OTP_OK (the code and where to send it); on OTP_ETHROTTLE
 * out->wait and out->hourly say which limit and for how long.
 * Returns OTP_OK; OTP_ETHROTTLE (nothing sent; charged with OTP_OOB_CHARGE);
 * OTP_ELOCKED; OTP_EEXEMPT (as otp_auth_charge); OTP_ENOTFOUND (no such
 * device); OTP_EINVAL (not an out-of-band device, or not active, or not
 * pending with OTP_OOB_PENDING); OTP_ECRYPTO; OTP_ECORRUPT; store errors.
 */
int otp_oob_request(struct otp_store *st, const struct otp_seal_key *key,
		    const struct otp_config *cfg, const struct otp_login *who,
		    uint32_t device, int flags, struct otp_oob_sent *out);

/*
 * otp_oob_send_failed - audit `oob_send_failed` for device (detail: why,
 * e.g. "exit 75", "timeout after 10 s"; never the code), in one write
 * transaction. Returns OTP_OK or a store error.
 */
int otp_oob_send_failed(struct otp_store *st, const struct otp_config *cfg,
			const struct otp_login *who, uint32_t device, const char *why);

#endif
