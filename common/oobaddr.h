/*
 * oobaddr.h - destinations of out-of-band devices: email addresses and
 * phone numbers, checked before they are sealed, masked when shown.
 */
#ifndef OTP_OOBADDR_H
#define OTP_OOBADDR_H

#include "records.h"

#include <stddef.h>

/*
 * otp_oob_addr_check - whether to is a destination for a device of type:
 * OTP_EMAIL: a plain addr-spec (RFC 5322 section 3.4.1, dot-atom form
 * only: no quoted local part, no comments, no domain literal, and not
 * starting with '-', which a program would read as an option) of at most
 * OTP_OOB_TO_MAX bytes, a local part of at most 64, and a domain of
 * letters, digits and hyphens in dot-separated labels of 1..63 bytes;
 * OTP_SMS: an E.164 number, "+" then 8..15 digits, the first not 0.
 * Nothing else passes: no spaces, quotes, newlines or shell
 * metacharacters beyond those atext allows.
 * Returns OTP_OK or OTP_EINVAL (detail: what is wrong, without echoing a
 * control character).
 */
int otp_oob_addr_check(enum otp_dev_type type, const char *to);

/*
 * otp_oob_mask - to as shown to users and administrators: an address
 * keeps the first character of its local part and its domain
 * ("a***@example.com"); a number keeps "+", its first digit and its last
 * two ("+4*******67", as many stars as digits hidden).
 * out: outsz bytes (OTP_OOB_MASKED_MAX is enough for any valid to).
 * Returns OTP_OK or OTP_EINVAL (to does not pass otp_oob_addr_check, or
 * out is too small).
 */
int otp_oob_mask(enum otp_dev_type type, const char *to, char *out, size_t outsz);

#endif
