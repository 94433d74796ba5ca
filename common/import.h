/*
 * import.h - parsers for the files other OTP modules keep, so a host can
 * move its users over without anybody enrolling again:
 *   ~/.google_authenticator (google-authenticator-libpam), and
 *   pam_oath usersfiles (oath-toolkit).
 * The parsers only read; otpctl writes what they return.
 */
#ifndef OTP_IMPORT_H
#define OTP_IMPORT_H

#include "otp.h"
#include "recovery.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define OTP_IMPORT_LINE_MAX 1024  /* bytes per line; longer is an error */
#define OTP_GA_SCRATCH_MAX 10     /* scratch codes google-authenticator keeps */
#define OTP_GA_FILE_MAX 65536     /* bytes: a ~/.google_authenticator file */
#define OTP_OATH_FILE_MAX ((off_t)256 << 20)  /* bytes: a usersfile (~5M users) */

/* One device to create, with what the old module knew about it. */
struct otp_import_dev {
	char user[OTP_USER_MAX + 1];
	int hotp;                     /* 0 TOTP, 1 HOTP */
	unsigned digits;
	unsigned period;              /* seconds (TOTP) */
	uint64_t counter;             /* next HOTP counter */
	uint64_t last_step;           /* last TOTP step used, 0 none */
	uint8_t secret[OTP_SECRET_MAX];
	size_t secret_len;
	unsigned line;                /* where it came from */
};

struct otp_ga_file {
	struct otp_import_dev dev;
	char scratch[OTP_GA_SCRATCH_MAX][9];  /* 8-digit codes */
	unsigned nscratch;
	char ignored[128];            /* options not carried over, for the report */
};

/*
 * otp_import_open - open a file to import from, for reading: a regular file
 * only (a FIFO, a device or a symlink is refused at once, never waited
 * on), of at most max_size bytes, owned by root or by owner (the user the
 * file belongs to, looked up with getpwnam_r; NULL: root or the effective
 * user) and not writable by group/other: whoever could write it could
 * plant a seed for the accounts it names.
 * fd: receives a blocking descriptor, owned by the caller, on success.
 * Returns OTP_OK; OTP_ENOTFOUND (no such file); OTP_EPERM (symlink, not a
 * regular file, wrong owner or mode); OTP_ETOOLONG (larger than max_size);
 * OTP_EIO. The detail names path.
 */
int otp_import_open(const char *path, const char *owner, off_t max_size, int *fd);

/*
 * otp_import_getline - read one line from fp into buf (size bytes), with
 * its newline, NUL-terminated; memory never grows with the input. A line
 * that does not fit in size - 1 bytes is read to its end and dropped:
 * *toolong is set and buf holds its start.
 * Returns 1 for a line, 0 at the end of the file or on a read error
 * (ferror(fp) tells).
 */
int otp_import_getline(FILE *fp, char *buf, size_t size, int *toolong);

/*
 * otp_ga_parse - parse the text of a ~/.google_authenticator file for user.
 * name: the file's name, for messages. Lines: the base32 secret; options
 * `" TOTP_AUTH`, `" HOTP_COUNTER n`, `" STEP_SIZE n`, `" WINDOW_SIZE n`,
 * `" DISALLOW_REUSE [steps...]`, `" RATE_LIMIT n m [times...]`; then 8-digit
 * scratch codes. WINDOW_SIZE and RATE_LIMIT are reported in out->ignored:
 * the window and lockout of pam_otp.conf govern instead.
 * Returns OTP_OK, or OTP_EINVAL with a detail "NAME:LINE: problem". out
 * holds a secret afterwards, even on error: the caller wipes it.
 */
int otp_ga_parse(const char *text, const char *name, const char *user, struct otp_ga_file *out);

/*
 * otp_oath_parse_line - one line of a pam_oath usersfile:
 *   TYPE USER PASS HEXSECRET [COUNTER [LASTOTP [TIME]]]
 * TYPE is HOTP, HOTP/E, HOTP/E/N, HOTP/T30, HOTP/T30/N, HOTP/T60, HOTP/T60/N.
 * For HOTP the next counter is COUNTER, or COUNTER + 1 when LASTOTP is
 * present (pam_oath then records the counter of the code last used).
 * *skip is set (and OTP_OK returned) for blank and comment lines.
 * *has_pass is set when PASS is neither "-" nor "+": that password is not
 * imported and the caller reports it.
 * Returns OTP_OK or OTP_EINVAL with a detail "NAME:LINE: problem".
 */
int otp_oath_parse_line(const char *line, const char *name, unsigned lineno,
			struct otp_import_dev *out, int *skip, int *has_pass);

#endif
