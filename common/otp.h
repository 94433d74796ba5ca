/*
 * otp.h - the OTP engine: HOTP (RFC 4226) and TOTP (RFC 6238).
 *
 * Codes are handled as NUL-terminated decimal strings of exactly `digits`
 * characters, because that is what a user types and what must be compared
 * in constant time.
 */
#ifndef OTP_OTP_H
#define OTP_OTP_H

#include <stddef.h>
#include <stdint.h>

enum otp_alg { OTP_ALG_SHA1 = 0, OTP_ALG_SHA256 = 1, OTP_ALG_SHA512 = 2 };

#define OTP_SECRET_MIN 10   /* bytes: 80 bits, the oldest apps' seeds */
#define OTP_SECRET_MAX 64   /* bytes: one SHA-512 block's worth */
#define OTP_SECRET_DEFAULT 20 /* bytes: 160 bits, RFC 4226 section 4 R6 */
#define OTP_DIGITS_MIN 6
#define OTP_DIGITS_MAX 8
#define OTP_PERIOD_MIN 1     /* seconds */
#define OTP_PERIOD_MAX 3600  /* seconds */
#define OTP_CODE_BUF (OTP_DIGITS_MAX + 1)

/* otp_alg_name - "SHA1", "SHA256" or "SHA512"; "?" for anything else. */
const char *otp_alg_name(enum otp_alg alg);

/*
 * otp_alg_parse - case-insensitive "SHA1"/"SHA256"/"SHA512" to *alg.
 * Returns OTP_OK or OTP_EINVAL.
 */
int otp_alg_parse(const char *s, enum otp_alg *alg);

/*
 * otp_hotp - the HOTP value for one counter (RFC 4226 section 5.3, with
 * the HMAC of RFC 6238 section 1.2 for SHA256/SHA512).
 * key:     the secret, keylen bytes (OTP_SECRET_MIN..OTP_SECRET_MAX).
 * counter: the moving factor C (for TOTP, the time step T).
 * digits:  OTP_DIGITS_MIN..OTP_DIGITS_MAX.
 * code:    receives `digits` decimal characters and a NUL (OTP_CODE_BUF).
 * Returns OTP_OK, OTP_EINVAL on a bad length or digit count, or
 * OTP_ECRYPTO when OpenSSL fails. Wipes its intermediate HMAC.
 */
int otp_hotp(const uint8_t *key, size_t keylen, enum otp_alg alg,
	     uint64_t counter, unsigned digits, char code[OTP_CODE_BUF]);

/*
 * otp_totp_step - the time step T = floor((now - t0) / period) of RFC 6238
 * section 4.2. now, t0 and period are in seconds.
 * Returns OTP_OK, or OTP_EINVAL when period is out of range or now < t0.
 */
int otp_totp_step(uint64_t now, uint64_t t0, unsigned period, uint64_t *step);

/*
 * otp_code_wellformed - whether code is exactly `digits` ASCII digits.
 * Returns OTP_OK or OTP_EBADCODE. Use before any HMAC work.
 */
int otp_code_wellformed(const char *code, unsigned digits);

/*
 * otp_code_normalize - a code as typed the way apps show it ("123 456",
 * " 123456 ", "123-456"): spaces, tabs and '-' dropped. out holds
 * OTP_CODE_BUF bytes.
 * Returns OTP_OK when what is left is 1..OTP_DIGITS_MAX digits (then out
 * holds them), else OTP_EINVAL (out is empty; use the input as it is,
 * e.g. for a recovery code).
 */
int otp_code_normalize(const char *in, char out[OTP_CODE_BUF]);

/*
 * otp_hotp_verify - look for code among counters counter..counter+window
 * (the look-ahead window of RFC 4226 section 7.4).
 * matched: receives the counter that produced the code; the caller stores
 *          matched + 1 as the next counter so the code cannot be used again.
 * Every candidate is computed and compared in constant time, so the time
 * taken does not tell where in the window a code matched.
 * Returns OTP_OK, OTP_EBADCODE, OTP_EINVAL or OTP_ECRYPTO.
 */
int otp_hotp_verify(const uint8_t *key, size_t keylen, enum otp_alg alg,
		    unsigned digits, uint64_t counter, unsigned window,
		    const char *code, uint64_t *matched);

/*
 * otp_totp_verify - look for code among time steps T-window..T+window
 * (RFC 6238 section 5.2), T taken from now/t0/period in seconds.
 * last:    the last step accepted for this device, 0 when none; a match at
 *          or before it is a replay (RFC 6238 section 5.2, last paragraph).
 * matched: receives the step accepted (the caller stores it as `last`).
 * Returns OTP_OK; OTP_EREPLAY when the code only matches steps <= last;
 * OTP_EBADCODE; OTP_EINVAL; OTP_ECRYPTO.
 */
int otp_totp_verify(const uint8_t *key, size_t keylen, enum otp_alg alg,
		    unsigned digits, unsigned period, uint64_t t0, uint64_t now,
		    unsigned window, uint64_t last, const char *code,
		    uint64_t *matched);

#endif
