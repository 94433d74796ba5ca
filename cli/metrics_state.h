/*
 * metrics_state.h - what `otpctl metrics` keeps between runs: where it got
 * to in the audit trail (auditscan.h) and the counters so far (stats.h),
 * as one JSON object in a file (pam_otp.state beside the textfile).
 */
#ifndef OTPCTL_METRICS_STATE_H
#define OTPCTL_METRICS_STATE_H

#include "auditscan.h"
#include "stats.h"

#include <stddef.h>

#define MSTATE_FILE_MAX (1u << 20)  /* bytes: a state is some tens of kB */

/*
 * mstate_parse - the state in text (NUL-terminated) into *s and *t,
 * strictly: every field present with its type and range, nothing else.
 * Returns OTP_OK or OTP_EINVAL with a detail saying what is wrong.
 */
int mstate_parse(const char *text, struct otp_scan_state *s, struct otp_tally *t);

/*
 * mstate_format - s and t as text: *out gets a malloc'd NUL-terminated
 * string. Returns OTP_OK or OTP_ENOMEM.
 */
int mstate_format(const struct otp_scan_state *s, const struct otp_tally *t, char **out);

#endif
