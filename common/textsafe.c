#include "textsafe.h"
#include "err.h"

#include <stdint.h>
#include <string.h>

enum {
	ESC_BACKSLASH = 1,  /* "\\" for a backslash: stored text */
	ESC_DQUOTE = 2,     /* '"' doubled: inside a quoted CSV cell */
};

/* An output buffer that takes whole units or nothing, keeping room for the
 * NUL and for `reserve` bytes the caller writes last (a closing quote). */
struct out {
	char *p;
	size_t size, len, reserve;
	int cut;
};

static int put(struct out *o, const char *s, size_t n)
{
	if (o->cut || o->len + n + o->reserve + 1 > o->size) {
		o->cut = 1;
		return 0;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	return 1;
}

static int cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the valid UTF-8 sequence starting at s (1..4), with its code
 * point in *cp; 0 when s does not start one. Reads no further than a NUL,
 * which is never a continuation byte.
 */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf && cont(s[1])) {
		*cp = (uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3fu);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		/* E0 rejects overlong forms, ED the UTF-16 surrogates */
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
		if (s[1] < lo || s[1] > hi || !cont(s[2]))
			return 0;
		*cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3fu);
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		/* F0 rejects overlong forms, F4 anything past U+10FFFF */
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
		if (s[1] < lo || s[1] > hi || !cont(s[2]) || !cont(s[3]))
			return 0;
		*cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		      (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3fu);
		return 4;
	}
	return 0;
}

/* Code points that must not reach a terminal or a table as they are. */
static int unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void put_byte_escape(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 0xf] };

	if (c == '\n')
		put(o, "\\n", 2);
	else if (c == '\r')
		put(o, "\\r", 2);
	else if (c == '\t')
		put(o, "\\t", 2);
	else
		put(o, e, 4);
}

/* One unit of src: a safe character as it is, else its escapes. Returns
 * the bytes of src consumed. */
static size_t put_unit(struct out *o, const unsigned char *s, int flags)
{
	uint32_t cp = 0;
	size_t n = utf8_seq(s, &cp);

	if (n == 0) {
		put_byte_escape(o, s[0]);
		return 1;
	}
	if (unsafe_cp(cp)) {
		/* a multibyte sequence is one unit: all its escapes or none */
		char tmp[16];
		struct out t = { tmp, sizeof(tmp), 0, 0, 0 };

		for (size_t i = 0; i < n; i++)
			put_byte_escape(&t, s[i]);
		put(o, tmp, t.len);
	} else if (cp == '\\' && (flags & ESC_BACKSLASH)) {
		put(o, "\\\\", 2);
	} else if (cp == '"' && (flags & ESC_DQUOTE)) {
		put(o, "\"\"", 2);
	} else {
		put(o, (const char *)s, n);
	}
	return n;
}

static int escape(struct out *o, const char *src, int flags)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");

	while (*s != '\0' && !o->cut)
		s += put_unit(o, s, flags);
	o->p[o->len] = '\0';
	return o->cut ? OTP_ETOOLONG : OTP_OK;
}

int otp_text_clean(char *dst, size_t size, const char *src)
{
	struct out o = { dst, size, 0, 0, 0 };

	if (size == 0)
		return OTP_ETOOLONG;
	return escape(&o, src, ESC_BACKSLASH);
}

int otp_text_show(char *dst, size_t size, const char *src)
{
	struct out o = { dst, size, 0, 0, 0 };

	if (size == 0)
		return OTP_ETOOLONG;
	return escape(&o, src, 0);
}

static int formula_start(char c)
{
	return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

int otp_text_csv(char *dst, size_t size, const char *src)
{
	const char *s = src ? src : "";
	size_t n = strlen(s);
	int quote = strpbrk(s, ",\"") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
	struct out o = { dst, size, 0, 0, 0 };
	int rc;

	if (size == 0)
		return OTP_ETOOLONG;
	/* the opening and closing quotes come as a pair or not at all */
	if (quote && size < 3) {
		dst[0] = '\0';
		return OTP_ETOOLONG;
	}
	if (quote) {
		put(&o, "\"", 1);
		o.reserve = 1;
	}
	if (formula_start(s[0]))
		put(&o, "'", 1);
	rc = escape(&o, s, quote ? ESC_DQUOTE : 0);
	if (quote) {
		o.reserve = 0;
		o.cut = 0;
		put(&o, "\"", 1);
		o.p[o.len] = '\0';
	}
	return rc;
}

const char *otp_text_problem(const char *s, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp = 0;
	size_t n;

	for (; *p != '\0'; p += n) {
		n = utf8_seq(p, &cp);
		if (n == 0 || unsafe_cp(cp)) {
			if (at != NULL)
				*at = (size_t)(p - (const unsigned char *)s);
			return n == 0 ? "is not valid UTF-8" : "has a control or invisible layout character";
		}
	}
	return NULL;
}
