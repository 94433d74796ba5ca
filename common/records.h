/*
 * records.h - the store's record kinds, their keys, and their strict
 * encodings. Every value starts with a version byte; a decoder accepts
 * exactly its own version's layout and length, and reports a newer
 * version as OTP_EVERSION rather than guessing.
 */
#ifndef OTP_RECORDS_H
#define OTP_RECORDS_H

#include "otp.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_REC_VERSION 1
#define OTP_REC_MAX 512          /* bytes, largest encoded value */
#define OTP_KEY_MAX (OTP_USER_MAX + 1 + 64) /* bytes, largest key */
#define OTP_SEALED_MAX (1 + 12 + OTP_SECRET_MAX + 16) /* see seal.h */
#define OTP_DEVICES_MAX 32       /* devices per user */
#define OTP_LOCKED_FOREVER UINT64_MAX /* locked_until: until otpctl unlock */

/* users: user -> lockout state and bookkeeping. */
struct otp_user_rec {
	uint32_t failures;      /* failures charged in the current interval */
	uint64_t first_fail;    /* seconds since epoch of the first of them, 0 none */
	uint64_t locked_until;  /* seconds since epoch; 0 not locked */
	uint64_t created;       /* seconds since epoch */
	uint64_t last_login;    /* seconds since epoch; 0 never */
	uint32_t next_device;   /* id the next enrolled device gets (from 1) */
	uint32_t flags;         /* reserved, 0 */
};

enum otp_dev_type { OTP_TOTP = 0, OTP_HOTP = 1 };
enum otp_dev_state { OTP_PENDING = 0, OTP_ACTIVE = 1, OTP_REVOKED = 2 };

/* devices: (user, id) -> one authenticator. */
#define OTP_DEVICE_REC_VERSION 2      /* v1 had no `drift` */
#define OTP_DRIFT_MAX 120             /* steps: |drift| never exceeds 1 h at 30 s */
#define OTP_DRIFT_AUTO 10             /* steps logins alone may move it (resync: more) */
struct otp_device_rec {
	uint32_t id;                  /* from the key; not in the value */
	char name[OTP_NAME_MAX + 1];
	uint8_t type;                 /* enum otp_dev_type */
	uint8_t alg;                  /* enum otp_alg */
	uint8_t digits;               /* 6..8 */
	uint8_t state;                /* enum otp_dev_state */
	uint32_t period;              /* seconds (TOTP) */
	uint64_t counter;             /* next HOTP counter */
	uint64_t last_step;           /* last accepted TOTP step, 0 none */
	int32_t drift;                /* TOTP: steps the device's clock is off ours */
	uint64_t created, last_used;  /* seconds since epoch; last_used 0 never */
	uint8_t sealed[OTP_SEALED_MAX];
	size_t sealed_len;            /* 0 once revoked (the secret is wiped) */
};

/* recovery: (user, n) -> one code's salted scrypt hash. */
#define OTP_RC_SALT 16
#define OTP_RC_HASH 32
struct otp_recovery_rec {
	uint8_t salt[OTP_RC_SALT];    /* shared by the set: one hash checks all */
	uint8_t hash[OTP_RC_HASH];
	uint8_t log2n, r, p;          /* scrypt cost parameters */
	uint64_t used;                /* seconds since epoch; 0 unused */
};

/* hosts: (user, host) -> remembered until, and what vouched for it. */
#define OTP_HOST_REC_VERSION 2        /* v1 had no `device` */
#define OTP_VOUCH_RECOVERY 0u         /* device: a recovery code vouched */
#define OTP_VOUCH_UNKNOWN UINT32_MAX  /* device: a v1 record, voucher not kept */
#define OTP_VOUCH_NONE (UINT32_MAX - 1) /* no code verified: remember nothing */
struct otp_host_rec {
	uint64_t until;               /* seconds since epoch */
	uint64_t created;
	uint32_t device;              /* device id whose code vouched, or OTP_VOUCH_* */
};

/* Encoders: write into out (OTP_REC_MAX bytes); *n gets the length. */
int otp_user_encode(const struct otp_user_rec *u, uint8_t *out, size_t *n);
int otp_device_encode(const struct otp_device_rec *d, uint8_t *out, size_t *n);
int otp_recovery_encode(const struct otp_recovery_rec *r, uint8_t *out, size_t *n);
int otp_host_encode(const struct otp_host_rec *h, uint8_t *out, size_t *n);

/*
 * Decoders: parse exactly n bytes. Return OTP_OK; OTP_EVERSION for a newer
 * version byte; OTP_ECORRUPT for anything truncated, oversized, trailing
 * or out of range.
 */
int otp_user_decode(const uint8_t *in, size_t n, struct otp_user_rec *u);
int otp_device_decode(const uint8_t *in, size_t n, struct otp_device_rec *d);
int otp_recovery_decode(const uint8_t *in, size_t n, struct otp_recovery_rec *r);
int otp_host_decode(const uint8_t *in, size_t n, struct otp_host_rec *h);

/*
 * Keys. A user's records sort together because each key starts with the
 * user name and a NUL, which no user name contains.
 * otp_key_user:   user                      -> *n bytes in out
 * otp_key_sub:    user NUL be32(id)
 * otp_key_host:   user NUL host
 * out holds OTP_KEY_MAX bytes. Return OTP_OK or OTP_ETOOLONG.
 */
int otp_key_user(const char *user, uint8_t *out, size_t *n);
int otp_key_sub(const char *user, uint32_t id, uint8_t *out, size_t *n);
int otp_key_host(const char *user, const char *host, uint8_t *out, size_t *n);

#endif
