/*
 * base32.h - Base32 as in RFC 4648 section 6 (alphabet A-Z 2-7).
 * Authenticator apps exchange OTP secrets in this form.
 */
#ifndef OTP_BASE32_H
#define OTP_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Longest base32 text accepted on input, in bytes (caps a hostile string). */
#define OTP_BASE32_MAX_TEXT 1024

/*
 * otp_base32_enclen - characters needed to encode n bytes, without the NUL.
 * pad: nonzero to count '=' padding to a multiple of 8.
 */
size_t otp_base32_enclen(size_t n, int pad);

/*
 * otp_base32_encode - encode n bytes of in as upper-case base32.
 * out: receives otp_base32_enclen(n, pad) characters and a NUL; outsz is
 *      its size in bytes.
 * Returns OTP_OK, or OTP_EINVAL when outsz is too small.
 */
int otp_base32_encode(const uint8_t *in, size_t n, int pad, char *out, size_t outsz);

/*
 * otp_base32_decode - decode base32 text, as people type it: letters of
 * either case, spaces, tabs and '-' ignored, '=' padding optional but, when
 * present, only at the end and of the length RFC 4648 gives.
 * in:     NUL-terminated, at most OTP_BASE32_MAX_TEXT bytes.
 * out:    receives the bytes; outsz is its size. *outlen gets the count.
 * Returns OTP_OK; OTP_ETOOLONG when in is over the cap; OTP_EINVAL on a
 * character outside the alphabet, misplaced padding, a length no encoder
 * produces, or an output buffer too small. On error out may hold partial
 * data; the caller wipes it.
 */
int otp_base32_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen);

/* Room (NUL included) that otp_base32_grouped needs for n characters. */
#define OTP_BASE32_GROUPED_SIZE(n) ((n) + ((n) > 0 ? ((n) - 1) / 4 : 0) + 1)

/*
 * otp_base32_grouped - base32 text as people copy it by hand: groups of
 * four characters separated by one space ("JBSW Y3DP EHPK 3PXP"), the last
 * group shorter when the length is not a multiple of four. Apps accept it
 * typed so (otp_base32_decode does too).
 * b32:   NUL-terminated, upper-case A-Z 2-7 only (as otp_base32_encode
 *        writes it without padding), at most OTP_BASE32_MAX_TEXT bytes.
 * out:   receives the grouped text, NUL-terminated; caller-owned (it holds
 *        what b32 holds: the caller wipes a secret's). outsz is its size
 *        in bytes, at least OTP_BASE32_GROUPED_SIZE(strlen(b32)).
 * Returns OTP_OK; OTP_ETOOLONG when b32 is over the cap or out is too
 * small; OTP_EINVAL on a character outside A-Z 2-7. On error out holds ""
 * (when outsz > 0) and a detail is recorded.
 */
int otp_base32_grouped(const char *b32, char *out, size_t outsz);

#endif
