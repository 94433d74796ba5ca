/*
 * textsafe.h - hostile text made safe to store and to print.
 *
 * User names, PAM_RHOST, PAM_TTY, device names and details come from people
 * we do not trust. Printed raw they can forge a line of `otpctl audit`,
 * drive the administrator's terminal with escape sequences, run a formula
 * in the spreadsheet that opens the CSV, or (as invalid UTF-8) make a JSON
 * encoder refuse the whole record.
 *
 * One escape scheme everywhere. Valid UTF-8 passes through, multibyte
 * characters included. These become visible escapes, byte by byte:
 *   - control characters: C0 (0x00..0x1f), DEL (0x7f) and C1 (U+0080..U+009F);
 *   - code points that break or reorder a line on a terminal: U+061C,
 *     U+200E, U+200F, U+2028..U+202E, U+2066..U+2069 (line and paragraph
 *     separators, bidirectional marks, embeddings, overrides, isolates);
 *   - every byte that is not part of a valid UTF-8 sequence (overlong
 *     forms, surrogates, code points past U+10FFFF, stray bytes).
 * A newline is written "\n", a carriage return "\r", a tab "\t", any other
 * byte "\xHH" (two lower-case hex digits). The result is always valid
 * UTF-8 with no control character.
 *
 * Stored text (otp_text_clean) also writes a backslash as "\\", so the
 * original bytes can always be told back from the stored form. The output
 * escapers leave a backslash alone: on stored text they change nothing, and
 * text stored before the cleaner existed still prints safely (its escapes
 * and its literal backslashes then look alike, which is harmless).
 *
 * Every function writes a NUL-terminated result of at most size - 1 bytes
 * and never cuts a UTF-8 sequence or an escape in half: when the whole
 * result does not fit it keeps the longest prefix that does.
 */
#ifndef OTP_TEXTSAFE_H
#define OTP_TEXTSAFE_H

#include <stddef.h>

/* Room (NUL included) that otp_text_show needs for n bytes of any text:
 * no byte is ever written as more than 4. */
#define OTP_TEXT_SHOW_SIZE(n) (4 * (n) + 1)

/* Room (NUL included) that otp_text_csv needs for n bytes of any text:
 * 4 bytes per input byte at most, the formula guard and two quotes. */
#define OTP_TEXT_CSV_SIZE(n) (4 * (n) + 4)

/*
 * otp_text_clean - make src safe to store (audit fields): the escapes
 * above, and a backslash written "\\".
 * dst:  receives the cleaned text, NUL-terminated; caller-owned.
 * size: bytes at dst, NUL included; must be at least 1.
 * src:  NUL-terminated, any bytes; NULL is taken as "".
 * Returns OTP_OK when all of src fit, OTP_ETOOLONG when it was cut (dst
 * then holds the longest clean prefix that fits). Never sets otp_errdetail.
 */
int otp_text_clean(char *dst, size_t size, const char *src);

/*
 * otp_text_show - make src safe to print on a terminal, in a text table or
 * a log line, or to hand to a JSON encoder (the result is valid UTF-8):
 * the escapes above; a backslash stays as it is, so text already cleaned
 * by otp_text_clean comes out unchanged.
 * dst, size, src: as for otp_text_clean; OTP_TEXT_SHOW_SIZE(strlen(src))
 * bytes always suffice.
 * Returns OTP_OK or OTP_ETOOLONG (cut, as for otp_text_clean).
 */
int otp_text_show(char *dst, size_t size, const char *src);

/*
 * otp_text_csv - one CSV cell for src: the escapes of otp_text_show; a
 * cell whose text starts with '=', '+', '-', '@', a tab or a carriage
 * return gets a leading "'" so a spreadsheet reads it as text, never as a
 * formula; then RFC 4180 quoting (the cell in double quotes, each '"'
 * doubled) when it holds a ',' or '"' or starts or ends with a space.
 * No separator or line end is added.
 * dst, size, src: as for otp_text_clean; OTP_TEXT_CSV_SIZE(strlen(src))
 * bytes always suffice. A cut cell still ends with its closing quote.
 * Returns OTP_OK or OTP_ETOOLONG.
 */
int otp_text_csv(char *dst, size_t size, const char *src);

/*
 * otp_text_problem - why s would not print as it is (for names that must
 * be stored unescaped, like device names).
 * s:  NUL-terminated.
 * at: if not NULL, receives the offset of the first byte at fault.
 * Returns NULL when s is valid UTF-8 with nothing to escape (see above;
 * a backslash is fine), else a static phrase to follow the thing's name:
 * "is not valid UTF-8" or "has a control or invisible layout character".
 */
const char *otp_text_problem(const char *s, size_t *at);

#endif
