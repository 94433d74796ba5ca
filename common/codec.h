/*
 * codec.h - bounded big-endian byte writer and reader for store records.
 *
 * Records are written field by field (never a raw struct, so padding and
 * layout changes cannot leak into the store) and read back with a length
 * check on every field. Both sides latch the first error, so a sequence of
 * puts or gets is checked once at the end.
 */
#ifndef OTP_CODEC_H
#define OTP_CODEC_H

#include <stddef.h>
#include <stdint.h>

struct otp_wbuf {
	uint8_t *p;      /* caller's buffer */
	size_t cap;      /* its size in bytes */
	size_t len;      /* bytes written so far */
	int err;         /* OTP_OK, or OTP_ETOOLONG once a put did not fit */
};

struct otp_rbuf {
	const uint8_t *p; /* record bytes, not owned */
	size_t len;
	size_t off;       /* bytes consumed so far */
	int err;          /* OTP_OK, or OTP_ECORRUPT once a get ran past the end */
};

void otp_put_u8(struct otp_wbuf *w, uint8_t v);
void otp_put_u32(struct otp_wbuf *w, uint32_t v);
void otp_put_u64(struct otp_wbuf *w, uint64_t v);
/* A u16 length then n bytes; n must be <= 65535. */
void otp_put_blob(struct otp_wbuf *w, const void *b, size_t n);
/* A string as a blob, without its NUL. */
void otp_put_str(struct otp_wbuf *w, const char *s);

uint8_t otp_get_u8(struct otp_rbuf *r);
uint32_t otp_get_u32(struct otp_rbuf *r);
uint64_t otp_get_u64(struct otp_rbuf *r);
/*
 * otp_get_blob - read a blob of at most max bytes into out; *n gets its
 * length. A longer blob is a decoding error (OTP_ECORRUPT).
 */
void otp_get_blob(struct otp_rbuf *r, void *out, size_t max, size_t *n);
/*
 * otp_get_str - read a string blob of at most max bytes into out (max + 1
 * bytes with the NUL). An embedded NUL is a decoding error.
 */
void otp_get_str(struct otp_rbuf *r, char *out, size_t max);
/*
 * otp_get_end - OTP_OK when every byte was consumed without error,
 * OTP_ECORRUPT otherwise (truncated, oversized or trailing bytes).
 */
int otp_get_end(const struct otp_rbuf *r);

/* Big-endian helpers for keys. */
void otp_be32(uint8_t out[4], uint32_t v);
void otp_be64(uint8_t out[8], uint64_t v);
uint32_t otp_rd32(const uint8_t in[4]);
uint64_t otp_rd64(const uint8_t in[8]);

#endif
