#include "codec.h"
#include "err.h"

#include <string.h>

static void put(struct otp_wbuf *w, const void *b, size_t n)
{
	if (w->err != OTP_OK)
		return;
	if (n > w->cap - w->len) {
		w->err = OTP_ETOOLONG;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, b, n);
	w->len += n;
}

void otp_be32(uint8_t out[4], uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

void otp_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

uint32_t otp_rd32(const uint8_t in[4])
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << 8) | in[i];
	return v;
}

uint64_t otp_rd64(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

void otp_put_u8(struct otp_wbuf *w, uint8_t v)
{
	put(w, &v, 1);
}

void otp_put_u32(struct otp_wbuf *w, uint32_t v)
{
	uint8_t b[4];

	otp_be32(b, v);
	put(w, b, 4);
}

void otp_put_u64(struct otp_wbuf *w, uint64_t v)
{
	uint8_t b[8];

	otp_be64(b, v);
	put(w, b, 8);
}

void otp_put_blob(struct otp_wbuf *w, const void *b, size_t n)
{
	uint8_t len[2];

	if (n > 0xffff) {
		w->err = OTP_ETOOLONG;
		return;
	}
	len[0] = (uint8_t)(n >> 8);
	len[1] = (uint8_t)n;
	put(w, len, 2);
	put(w, b, n);
}

void otp_put_str(struct otp_wbuf *w, const char *s)
{
	otp_put_blob(w, s, strlen(s));
}

static const uint8_t *get(struct otp_rbuf *r, size_t n)
{
	const uint8_t *at;

	if (r->err != OTP_OK || n > r->len - r->off) {
		r->err = OTP_ECORRUPT;
		return NULL;
	}
	at = r->p + r->off;
	r->off += n;
	return at;
}

uint8_t otp_get_u8(struct otp_rbuf *r)
{
	const uint8_t *b = get(r, 1);

	return b ? b[0] : 0;
}

uint32_t otp_get_u32(struct otp_rbuf *r)
{
	const uint8_t *b = get(r, 4);

	return b ? otp_rd32(b) : 0;
}

uint64_t otp_get_u64(struct otp_rbuf *r)
{
	const uint8_t *b = get(r, 8);

	return b ? otp_rd64(b) : 0;
}

void otp_get_blob(struct otp_rbuf *r, void *out, size_t max, size_t *n)
{
	const uint8_t *lb = get(r, 2), *b;
	size_t len;

	*n = 0;
	if (lb == NULL)
		return;
	len = ((size_t)lb[0] << 8) | lb[1];
	if (len > max) {
		r->err = OTP_ECORRUPT;
		return;
	}
	b = get(r, len);
	if (b == NULL)
		return;
	if (len > 0)
		memcpy(out, b, len);
	*n = len;
}

void otp_get_str(struct otp_rbuf *r, char *out, size_t max)
{
	size_t n = 0;

	otp_get_blob(r, out, max, &n);
	out[n] = '\0';
	if (r->err == OTP_OK && memchr(out, '\0', n) != NULL)
		r->err = OTP_ECORRUPT;
}

int otp_get_end(const struct otp_rbuf *r)
{
	if (r->err != OTP_OK || r->off != r->len)
		return OTP_ECORRUPT;
	return OTP_OK;
}
