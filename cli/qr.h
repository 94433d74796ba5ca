/* qr.h - an otpauth URI as a QR code: terminal, PNG or SVG (libqrencode). */
#ifndef OTPCTL_QR_H
#define OTPCTL_QR_H

#include <stdio.h>

#include "qrtext.h"

enum qr_style { QR_UTF8, QR_ANSI, QR_NONE };

/* An 80x24 terminal less the prompt's row: what a terminal QR should fit. */
#define QR_TERM_COLS 80
#define QR_TERM_ROWS OTP_QR_TERM_ROWS

/*
 * qr_print - draw text as a QR code on out: otp_qr_text's OTP_QR_UTF8
 * drawing (a 4-module quiet zone, one character cell, a half block, for two
 * modules stacked, one column a module), then a newline. QR_UTF8 prints it
 * as it is: light modules in the text colour (for the usual light-on-dark
 * terminal); QR_ANSI draws the dark modules instead, black on white set
 * explicitly (256-colour SGR), for light and dark terminals alike.
 * Error correction M, or L when M would take more than QR_TERM_ROWS rows.
 * Returns the rows drawn (0 for QR_NONE; more than QR_TERM_ROWS when even
 * L does not fit), or -1 when text cannot be encoded.
 */
int qr_print(FILE *out, const char *text, enum qr_style style);

/* An image file made for one QR code, before the code is known. */
struct qr_file {
	int fd;              /* the file made, -1 when closed */
	int dir;             /* its directory, -1 when closed */
	int png;             /* PNG, else SVG */
	int replace;         /* write tmp, then rename it over name */
	const char *path;    /* the caller's string, kept */
	const char *name;    /* its last component, in path */
	char tmp[32];        /* the temporary name when replacing */
};
#define QR_FILE_INIT { -1, -1, 0, 0, NULL, NULL, "" }

/*
 * qr_file_check - whether path can take a QR image, without touching
 * anything: its name ends in .png or .svg, its directory exists, and the
 * name is free, or (force nonzero) names a regular file to be replaced.
 * A symlink is refused even with force. Returns 0, or -1 with a message
 * in err (errlen bytes); every refusal is the name's fault (a usage error).
 */
int qr_file_check(const char *path, int force, char *err, size_t errlen);

/*
 * qr_file_open - check path as qr_file_check does and create the file,
 * empty, mode 0600, with O_EXCL|O_NOFOLLOW: a file already there (made by
 * anyone, a symlink included) is never written or truncated. With force,
 * a temporary file is created beside it instead, which qr_file_write
 * renames over path once the image is whole. Done before the device is
 * enrolled, so a bad name enrolls nothing.
 * Returns 0, or -1 with a message in err (errlen bytes) and *usage set
 * when the name is at fault (exists, wrong extension, no such directory).
 */
int qr_file_open(struct qr_file *f, const char *path, int force, int *usage, char *err,
		 size_t errlen);

/*
 * qr_file_write - write text as a QR image (PNG 8 px a module, or SVG,
 * error correction M) into the file, rename it into place when replacing,
 * and close it. Returns 0, or -1 with a message in err; the file made is
 * then removed, as by qr_file_discard (a replaced file is left as it was).
 */
int qr_file_write(struct qr_file *f, const char *text, char *err, size_t errlen);

/*
 * qr_file_discard - close the file and remove it if its name still names
 * the file we made (nobody's file is removed in our place). Closed (as
 * QR_FILE_INIT): nothing.
 */
void qr_file_discard(struct qr_file *f);

#endif
