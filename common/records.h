/*
 * records.h - the store's record kinds, as every engine passes them to the
 * rules (store.h). How an engine lays them out is its own business: the
 * LMDB engine's keys and encodings are in store_lmdb_codec.h.
 */
#ifndef OTP_RECORDS_H
#define OTP_RECORDS_H

#include "otp.h"
#include "seal.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_SEALED_MAX (OTP_SEAL_OVERHEAD + OTP_SEAL_PLAIN_MAX) /* see seal.h */
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

/* email and sms are out-of-band devices (oob.h): codes are sent to them;
 * their sealed blob holds the destination and the code's state, not a
 * secret, and alg, period, counter, last_step and drift are unused (0). */
enum otp_dev_type { OTP_TOTP = 0, OTP_HOTP = 1, OTP_EMAIL = 2, OTP_SMS = 3 };
#define OTP_DEV_TYPE_LAST OTP_SMS
#define OTP_IS_OOB(type) ((type) == OTP_EMAIL || (type) == OTP_SMS)
enum otp_dev_state { OTP_PENDING = 0, OTP_ACTIVE = 1, OTP_REVOKED = 2 };

/* devices: (user, id) -> one authenticator. */
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
#define OTP_HOST_MAX 63               /* bytes: the longest numeric IPv6 text is 45 */
#define OTP_VOUCH_RECOVERY 0u         /* device: a recovery code vouched */
#define OTP_VOUCH_UNKNOWN UINT32_MAX  /* device: a record from before vouchers were kept */
#define OTP_VOUCH_NONE (UINT32_MAX - 1) /* no code verified: remember nothing */
struct otp_host_rec {
	uint64_t until;               /* seconds since epoch */
	uint64_t created;
	uint32_t device;              /* device id whose code vouched, or OTP_VOUCH_* */
};

#endif
