/*
 * err.h - result codes shared by every libotp function.
 *
 * Every public libotp function returns one of these codes (0 on success).
 * The library never prints or exits; where an error concerns a file, a line
 * or a user, the function also records a one-line detail that the caller
 * may read with otp_errdetail() and put in a syslog line or on stderr.
 */
#ifndef OTP_ERR_H
#define OTP_ERR_H

enum otp_err {
	OTP_OK = 0,
	OTP_EINVAL,      /* an argument or input is malformed or out of range */
	OTP_ENOMEM,      /* allocation failed */
	OTP_ENOTFOUND,   /* the user, device or record does not exist */
	OTP_EEXIST,      /* the record or file already exists */
	OTP_ECRYPTO,     /* OpenSSL failed, or a seal did not open (wrong key) */
	OTP_ESTORE,      /* the store failed (LMDB, the detail has its text) */
	OTP_ECORRUPT,    /* a record failed its strict decoding */
	OTP_EVERSION,    /* a record or the store is of a newer schema */
	OTP_EFULL,       /* the store is out of map space */
	OTP_EPERM,       /* a file is a symlink, has the wrong owner or mode */
	OTP_EIO,         /* a system call on a file failed */
	OTP_ECONFIG,     /* the configuration is invalid */
	OTP_EBADCODE,    /* the one-time code did not verify */
	OTP_EREPLAY,     /* the code was valid once but is already used */
	OTP_ELOCKED,     /* the user is locked out */
	OTP_ETOOLONG,    /* an input exceeds its length cap */
	OTP_EEXEMPT,     /* the caller must first decide whether the user is
			    exempt from lockout (see struct otp_login) */
	OTP_EKEY,        /* the seal key is not the one this store is sealed
			    under (see keycheck.h) */
	OTP_EDUPLICATE,  /* the secret is already on another live device of
			    the same user */
	OTP_ENSS,        /* a user or group lookup (NSS) failed, not "no such
			    name" (see policy.h) */
	OTP_ETHROTTLE,   /* a code was sent too recently or too often (oob.h) */
};

/*
 * otp_strerror - a short English description of a result code.
 * Returns a static string; never NULL.
 */
const char *otp_strerror(int err);

/*
 * otp_errdetail - the detail recorded by the last failing libotp call in
 * this thread, e.g. "/etc/pam_otp.conf:12: no such option 'windw'".
 * Returns a thread-local string, empty when there is none. It stays valid
 * until the next libotp call in the same thread.
 */
const char *otp_errdetail(void);

/*
 * otp_seterr - record a detail (printf format) and return err unchanged,
 * so that a failing path can say `return otp_seterr(OTP_EPERM, ...)`.
 */
int otp_seterr(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* otp_clearerr - forget the recorded detail. */
void otp_clearerr(void);

/*
 * otp_syserr - the text of errno value e, as strerror gives it, but safe
 * in threads (glibc documents strerror as not thread-safe): a
 * thread-local string, valid until the next otp_syserr call in the same
 * thread. Never NULL.
 */
const char *otp_syserr(int e);

#endif
