/* qr.h - an otpauth URI as a QR code: terminal, PNG or SVG (libqrencode). */
#ifndef OTPCTL_QR_H
#define OTPCTL_QR_H

#include <stdio.h>

enum qr_style { QR_UTF8, QR_ANSI, QR_NONE };

/*
 * qr_print - draw text as a QR code on out with a 4-module quiet zone.
 * QR_UTF8: half blocks, two modules per character cell, light modules
 * drawn (for the usual light-on-dark terminal); QR_ANSI: explicit black
 * and white backgrounds, for any terminal colours. Returns 0 or -1.
 */
int qr_print(FILE *out, const char *text, enum qr_style style);

/* An image file made for one QR code, before the code is known. */
struct qr_file {
	int fd;              /* -1 when closed */
	int png;             /* PNG, else SVG */
	const char *path;    /* the caller's string, kept */
};

/*
 * qr_file_open - check that path names a .png or .svg file and create it,
 * empty, mode 0600, with O_EXCL|O_NOFOLLOW: a file already there (made by
 * anyone, a symlink included) is never written or truncated. Done before
 * the device is enrolled, so a bad name enrolls nothing.
 * Returns 0, or -1 with a message in err (errlen bytes) and *usage set
 * when the name is at fault (exists, wrong extension, no such directory).
 */
int qr_file_open(struct qr_file *f, const char *path, int *usage, char *err, size_t errlen);

/*
 * qr_file_write - write text as a QR image (PNG 8 px a module, or SVG) into
 * the file and close it. Returns 0, or -1 with a message in err; the file
 * is then removed, as by qr_file_discard.
 */
int qr_file_write(struct qr_file *f, const char *text, char *err, size_t errlen);

/*
 * qr_file_discard - close the file and remove it if path still names the
 * file we made (nobody's file is removed in our place). f->fd -1: nothing.
 */
void qr_file_discard(struct qr_file *f);

#endif
