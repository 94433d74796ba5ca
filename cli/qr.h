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

/*
 * qr_write_file - write text as a QR image to path: PNG (8 px a module)
 * when path ends in .png, SVG when it ends in .svg. Refuses to follow a
 * symlink. Returns 0, or -1 with errno-style message in err (errlen bytes).
 */
int qr_write_file(const char *path, const char *text, char *err, size_t errlen);

#endif
