#include "qrtext.h"
#include "err.h"
#include "util.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#define ASCII_QUIET 2
#define UTF8_QUIET 4

/* The drawing goes to a sink that counts every byte and stores them only
 * when out is given: one pass to size, one to draw, the same code. */
struct sink {
	char *out;   /* NULL: count only */
	size_t n;    /* bytes so far */
};

static void put(struct sink *s, const char *str)
{
	size_t k = strlen(str);

	if (s->out != NULL)
		memcpy(s->out + s->n, str, k);
	s->n += k;
}

/* Whether module (x, y) is dark; outside the symbol (quiet zone) is light. */
static int dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

static void draw_ascii(struct sink *s, const QRcode *q)
{
	for (int y = -ASCII_QUIET; y < q->width + ASCII_QUIET; y++) {
		if (y > -ASCII_QUIET)
			put(s, "\n");
		for (int x = -ASCII_QUIET; x < q->width + ASCII_QUIET; x++)
			put(s, dark(q, x, y) ? "##" : "  ");
	}
}

/* One character for two modules stacked, cell[top * 2 + bottom], 1 meaning
 * drawn: light modules are, in the text colour. */
static void draw_utf8(struct sink *s, const QRcode *q)
{
	static const char *const cell[4] = { " ", "\u2584", "\u2580", "\u2588" };

	for (int y = -UTF8_QUIET; y < q->width + UTF8_QUIET; y += 2) {
		if (y > -UTF8_QUIET)
			put(s, "\n");
		for (int x = -UTF8_QUIET; x < q->width + UTF8_QUIET; x++)
			put(s, cell[!dark(q, x, y) * 2 + !dark(q, x, y + 1)]);
	}
}

static void draw(struct sink *s, const QRcode *q, enum otp_qr_style style)
{
	if (style == OTP_QR_ASCII)
		draw_ascii(s, q);
	else
		draw_utf8(s, q);
}

static QRcode *encode(const char *text, QRecLevel level)
{
	return QRcode_encodeString(text, 0, level, QR_MODE_8, 1);
}

static int utf8_rows(const QRcode *q)
{
	return (q->width + 2 * UTF8_QUIET + 1) / 2;
}

/* The symbol for the style: ASCII at level L; UTF-8 at M when it fits the
 * terminal, else L (a lower level before a larger version). */
static QRcode *encode_style(const char *text, enum otp_qr_style style)
{
	QRcode *q;

	if (style == OTP_QR_ASCII)
		return encode(text, QR_ECLEVEL_L);
	q = encode(text, QR_ECLEVEL_M);
	if (q == NULL && errno != ERANGE)
		return NULL;
	if (q != NULL && utf8_rows(q) <= OTP_QR_TERM_ROWS)
		return q;
	if (q != NULL) {
		otp_wipe(q->data, (size_t)q->width * (size_t)q->width);
		QRcode_free(q);
	}
	return encode(text, QR_ECLEVEL_L);
}

static int check_args(const char *text, enum otp_qr_style style, char *out, size_t outsz)
{
	if (out == NULL && outsz > 0)
		return otp_seterr(OTP_EINVAL, "QR text: no output buffer");
	if (outsz > 0)
		out[0] = '\0';
	if (style != OTP_QR_ASCII && style != OTP_QR_UTF8)
		return otp_seterr(OTP_EINVAL, "QR text: unknown style %d", (int)style);
	if (text == NULL || text[0] == '\0')
		return otp_seterr(OTP_EINVAL, "QR text: nothing to encode");
	if (strnlen(text, OTP_QR_TEXT_MAX_INPUT + 1) > OTP_QR_TEXT_MAX_INPUT)
		return otp_seterr(OTP_EINVAL, "QR text: longer than %d bytes",
				  OTP_QR_TEXT_MAX_INPUT);
	return OTP_OK;
}

int otp_qr_text(const char *text, enum otp_qr_style style, char *out, size_t outsz,
		size_t *len)
{
	struct sink s = { NULL, 0 };
	QRcode *q;
	int rc;

	*len = 0;
	rc = check_args(text, style, out, outsz);
	if (rc != OTP_OK)
		return rc;
	errno = 0;
	q = encode_style(text, style);
	if (q == NULL)
		return errno == ENOMEM ? otp_seterr(OTP_ENOMEM, "QR text: out of memory") :
			otp_seterr(OTP_EINVAL, "QR text: %zu bytes cannot be encoded",
				   strlen(text));
	draw(&s, q, style);
	*len = s.n;
	if (s.n >= outsz) {
		rc = otp_seterr(OTP_ETOOLONG, "QR text: needs %zu bytes, buffer has %zu",
				s.n + 1, outsz);
	} else {
		s.out = out;
		s.n = 0;
		draw(&s, q, style);
		out[s.n] = '\0';
	}
	/* the modules spell the text, a secret's URI as like as not */
	otp_wipe(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	return rc;
}
