/*
 * util.h - small helpers: strict number parsing, name checks, wiping.
 */
#ifndef OTP_UTIL_H
#define OTP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Longest user name accepted anywhere (bytes, without the NUL). */
#define OTP_USER_MAX 256
/* Longest device name (bytes, without the NUL). */
#define OTP_NAME_MAX 64

/*
 * otp_parse_u64 - parse a whole decimal string into *out.
 * s:   NUL-terminated, digits only (no sign, no spaces, no leading '+').
 * min, max: inclusive bounds.
 * Returns OTP_OK, or OTP_EINVAL when s is empty, has any other character,
 * overflows, or falls outside [min, max]; *out is untouched on error.
 */
int otp_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * otp_valid_user - whether a user name may be stored.
 * Accepts 1..OTP_USER_MAX bytes of printable ASCII other than space, ':'
 * and '/' (a ':' would break the otpauth label; '/' a path).
 * Returns OTP_OK, OTP_ETOOLONG or OTP_EINVAL (detail names the problem).
 */
int otp_valid_user(const char *user);

/*
 * otp_valid_name - whether a device name may be given: 1..OTP_NAME_MAX
 * bytes of valid UTF-8 with no control character (C0, DEL, C1) and no
 * invisible layout character (line separators, bidirectional controls:
 * see textsafe.h), and not all digits (a number always means a device id).
 * "login" is kept for devices enrolled at login (selfenroll.h).
 * Returns OTP_OK, OTP_ETOOLONG or OTP_EINVAL; the detail names the
 * problem and, for a bad character, its byte position (from 1).
 */
int otp_valid_name(const char *name);

/* otp_wipe - overwrite len bytes at p with zeros in a way the compiler keeps. */
void otp_wipe(void *p, size_t len);

/* otp_wipe_str - wipe a NUL-terminated string in place (NULL is fine). */
void otp_wipe_str(char *s);

/*
 * otp_host_name - this host's name as pam_otp records and shows it:
 * configured (host_name) when not NULL or empty, else gethostname(), else
 * "localhost". buf: n bytes, used only when configured is not.
 * Returns configured or buf.
 */
const char *otp_host_name(const char *configured, char *buf, size_t n);

/*
 * otp_now - seconds since the Unix epoch (wall clock, as TOTP needs).
 * Honours faketime like any time(2) caller.
 */
uint64_t otp_now(void);

#endif
