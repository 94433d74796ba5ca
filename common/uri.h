/*
 * uri.h - otpauth:// URIs in the Key Uri Format that Google Authenticator,
 * FreeOTP and Aegis read:
 *   otpauth://totp/ISSUER:USER?secret=B32&issuer=ISSUER&algorithm=SHA256&digits=8&period=60
 *   otpauth://hotp/ISSUER:USER?secret=B32&issuer=ISSUER&counter=0
 * algorithm, digits and period are optional: SHA1, 6 and 30 s by default.
 * Label parts and the issuer value are percent-encoded (RFC 3986 section
 * 2.1); only unreserved characters are left as they are.
 */
#ifndef OTP_URI_H
#define OTP_URI_H

#include "otp.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_URI_MAX 2048      /* bytes, longest URI built or parsed */
#define OTP_ISSUER_MAX 128    /* bytes */
#define OTP_URI_SECRET_MAX 128 /* base32 characters */
#define OTP_URI_DIGITS_DEFAULT 6  /* the Key Uri Format's defaults (and SHA1) */
#define OTP_URI_PERIOD_DEFAULT 30 /* seconds */

struct otp_uri {
	int hotp;                          /* 0: totp, 1: hotp */
	char issuer[OTP_ISSUER_MAX + 1];   /* decoded; may be empty */
	char user[257];                    /* decoded account name */
	char secret[OTP_URI_SECRET_MAX + 1]; /* base32, as in the URI */
	enum otp_alg alg;
	unsigned digits;
	unsigned period;                   /* seconds, TOTP */
	uint64_t counter;                  /* HOTP */
};

/*
 * otp_uri_issuer - the issuer apps show: configured (pam_otp.conf issuer)
 * when not empty, else this host's name with ':' (the label's separator)
 * made '-'. out: n bytes.
 */
void otp_uri_issuer(const char *configured, char *out, size_t n);

/*
 * otp_uri_build - write the URI for u into out (outsz bytes, NUL included).
 * algorithm, digits and period are left out when they equal the defaults
 * (SHA1, 6, 30 s), which keeps the URI and its QR code short; counter is
 * always written for HOTP (the format requires it).
 * Never writes more than OTP_URI_MAX characters, so what it builds parses.
 * Returns OTP_OK; OTP_EINVAL when the issuer or user holds a ':' (the
 * label's separator, which may itself be percent-encoded); OTP_ETOOLONG
 * when it does not fit.
 */
int otp_uri_build(const struct otp_uri *u, char *out, size_t outsz);

/*
 * otp_uri_parse - parse text into *u. Unknown parameters are ignored (apps
 * add their own, e.g. image=); missing ones take the Key Uri Format
 * defaults (SHA1, 6 digits, 30 s). The secret is required and must be
 * base32 of OTP_SECRET_MIN..OTP_SECRET_MAX bytes.
 * Returns OTP_OK, OTP_ETOOLONG or OTP_EINVAL (the detail says which part).
 * u may hold a secret afterwards, even on error: the caller wipes it.
 */
int otp_uri_parse(const char *text, struct otp_uri *u);

#endif
