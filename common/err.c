#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Per thread: a PAM host may run logins in many threads at once. */
static __thread char detail[512];
static __thread char errtext[128];

const char *otp_strerror(int err)
{
	switch (err) {
	case OTP_OK: return "success";
	case OTP_EINVAL: return "invalid argument";
	case OTP_ENOMEM: return "out of memory";
	case OTP_ENOTFOUND: return "not found";
	case OTP_EEXIST: return "already exists";
	case OTP_ECRYPTO: return "cryptographic failure";
	case OTP_ESTORE: return "store error";
	case OTP_ECORRUPT: return "corrupt record";
	case OTP_EVERSION: return "newer schema version";
	case OTP_EFULL: return "store is full";
	case OTP_EPERM: return "unsafe file ownership or mode";
	case OTP_EIO: return "I/O error";
	case OTP_ECONFIG: return "configuration error";
	case OTP_EBADCODE: return "invalid code";
	case OTP_EREPLAY: return "code already used";
	case OTP_ELOCKED: return "user is locked out";
	case OTP_ETOOLONG: return "input too long";
	case OTP_EEXEMPT: return "lockout exemption not decided";
	case OTP_EKEY: return "wrong seal key for this store";
	case OTP_EDUPLICATE: return "secret already enrolled";
	case OTP_ENSS: return "user or group lookup failed";
	case OTP_ETHROTTLE: return "a code was sent too recently";
	default: return "unknown error";
	}
}

const char *otp_errdetail(void)
{
	return detail;
}

int otp_seterr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err;
}

void otp_clearerr(void)
{
	detail[0] = '\0';
}

const char *otp_syserr(int e)
{
	/* the GNU strerror_r: returns the text, in errtext or a static one */
	return strerror_r(e, errtext, sizeof(errtext));
}
