/*
 * qrtext.h - a QR code drawn as lines of text (libqrencode).
 *
 * One renderer for every place a code is shown as characters: otpctl's
 * terminal and the PAM conversation of an enrollment at login. A PAM
 * prompt has no colours and, over ssh, no UTF-8 (OpenSSH clients escape
 * non-ASCII in keyboard-interactive prompts), hence two styles.
 *
 * The text is encoded in byte mode, case kept; libqrencode picks shorter
 * modes for runs that allow them (a base32 secret goes in alphanumeric
 * mode), so a typical otpauth URI of about 80 bytes fits version 4.
 */
#ifndef OTP_QRTEXT_H
#define OTP_QRTEXT_H

#include <stddef.h>

/* Longest text accepted, in bytes: what a version 40 symbol at level L
 * holds in byte mode. Longer text is refused before it is read further. */
#define OTP_QR_TEXT_MAX_INPUT 2953

/* An 80x24 terminal less the prompt's row: the UTF-8 style drops to level
 * L when level M would take more rows than this. */
#define OTP_QR_TERM_ROWS 23

enum otp_qr_style {
	/*
	 * For any terminal, a remote one above all: "##" for a dark module,
	 * two spaces for a light one, one line per module row, a quiet zone
	 * of 2 modules, error correction L (the smallest symbol). Every line
	 * has the same width: 2 * (modules + 4) characters, 74 for version 4,
	 * 82 for version 5.
	 */
	OTP_QR_ASCII,
	/*
	 * For a local terminal: UTF-8 half blocks (U+2580, U+2584, U+2588 and
	 * a space), two module rows per line, one column per module, a quiet
	 * zone of 4 modules. Light modules are drawn, in the text colour: on
	 * the usual light-on-dark terminal the code reads dark on light.
	 * Error correction M, or L when M would take more than
	 * OTP_QR_TERM_ROWS lines (a screen is not a worn sticker).
	 */
	OTP_QR_UTF8,
};

/*
 * otp_qr_text - draw text as a QR code in the given style.
 * text:  NUL-terminated, 1 to OTP_QR_TEXT_MAX_INPUT bytes; any bytes.
 * style: OTP_QR_ASCII or OTP_QR_UTF8.
 * out:   receives the drawing: lines joined by "\n", no newline after the
 *        last, then a NUL; caller-owned. It encodes text: when text is a
 *        secret (an otpauth URI), the caller wipes out after use. May be
 *        NULL when outsz is 0 (to learn the size).
 * outsz: bytes at out, NUL included.
 * len:   receives the bytes of the drawing without the NUL: on success
 *        what was written, on OTP_ETOOLONG what it needs (outsz must then
 *        be at least *len + 1); 0 on any other error.
 * Returns OTP_OK;
 *   OTP_EINVAL   text NULL, empty, longer than OTP_QR_TEXT_MAX_INPUT or
 *                than any symbol holds, or style unknown;
 *   OTP_ETOOLONG out is too small (nothing written but a NUL when
 *                outsz > 0);
 *   OTP_ENOMEM   allocation failed.
 * Every error records a detail (otp_errdetail), which never quotes text.
 */
int otp_qr_text(const char *text, enum otp_qr_style style, char *out, size_t outsz,
		size_t *len);

#endif
