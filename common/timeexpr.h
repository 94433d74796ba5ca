/*
 * timeexpr.h - the times `otpctl audit --since/--until` accept.
 */
#ifndef OTP_TIMEEXPR_H
#define OTP_TIMEEXPR_H

#include <stdint.h>

/*
 * otp_time_parse - text to seconds since the epoch.
 * Accepts RFC 3339 date-times ("2026-11-21T10:00:00Z", "...T10:00:00+02:00",
 * fractions of a second ignored, 't'/'z' in either case, a space for 'T'),
 * a bare date ("2026-11-21", midnight UTC), a relative age before now
 * ("90s", "15m", "1h", "7d", "2w"), or "now".
 * now: seconds since the epoch, for relative forms.
 * Returns OTP_OK, or OTP_EINVAL (detail quotes the text).
 */
int otp_time_parse(const char *text, uint64_t now, uint64_t *out);

#endif
