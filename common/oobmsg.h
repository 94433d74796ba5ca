/*
 * oobmsg.h - the text an out-of-band code travels in: an email message
 * (headers and a UTF-8 plain text body, for a sendmail-compatible MTA's
 * `-t`) or an SMS text of at most 160 GSM-7 characters.
 */
#ifndef OTP_OOBMSG_H
#define OTP_OOBMSG_H

#include "records.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_OOB_MESSAGE_MAX 4096  /* bytes of any message */

struct otp_oob_msg {
	enum otp_dev_type type;   /* OTP_EMAIL or OTP_SMS */
	const char *to;           /* destination (checked: oobaddr.h) */
	const char *from;         /* cfg->oob.from; "" or NULL: pam_otp@host */
	const char *user;         /* who is logging in (hostile text) */
	const char *host;         /* this host's name */
	const char *service;      /* PAM_SERVICE; NULL or "" when none (hostile text) */
	const char *rhost;        /* PAM_RHOST; NULL or "" when none (hostile text) */
	const char *code;         /* the code; NULL: otpctl send-test's message, no code */
	unsigned valid;           /* seconds the code is valid */
	uint64_t now;             /* seconds since epoch, for Date: */
};

/*
 * otp_oob_message - compose m into out (outsz bytes, OTP_OOB_MESSAGE_MAX
 * is enough); *len gets its length. Hostile text (user, service, rhost)
 * is made safe: no control characters, no header injection.
 * The email: From, To, Subject, Date (RFC 5322, UTC), Message-ID
 * (random), MIME-Version, Content-Type, Content-Transfer-Encoding and
 * Auto-Submitted headers, lines ending in LF (as sendmail -t reads them);
 * only to, from and host (reduced to letters, digits, '.', '-', '_') are
 * in the header. The SMS: one line without a newline, at most 160
 * characters of the GSM 7-bit basic set (user and host cut to fit, others
 * a '?').
 * Returns OTP_OK; OTP_EINVAL (bad type, destination or From, a code that
 * is not 1..10 digits); OTP_ETOOLONG (out is wiped); OTP_ECRYPTO
 * (RAND_bytes failed for the Message-ID).
 */
int otp_oob_message(const struct otp_oob_msg *m, char *out, size_t outsz, size_t *len);

#endif
