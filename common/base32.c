#include "base32.h"
#include "err.h"

#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t otp_base32_enclen(size_t n, int pad)
{
	size_t chars = (n * 8 + 4) / 5;

	return pad ? (n + 4) / 5 * 8 : chars;
}

int otp_base32_encode(const uint8_t *in, size_t n, int pad, char *out, size_t outsz)
{
	size_t need = otp_base32_enclen(n, pad), o = 0;
	unsigned buf = 0, bits = 0;

	if (outsz < need + 1)
		return otp_seterr(OTP_EINVAL, "base32 output buffer too small");
	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(buf >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	while (o < need)
		out[o++] = '=';
	out[o] = '\0';
	return OTP_OK;
}

static int sym_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Unpadded lengths (mod 8) that an encoder can produce. */
static int valid_tail(size_t syms)
{
	switch (syms % 8) {
	case 0: case 2: case 4: case 5: case 7: return 1;
	default: return 0;
	}
}

int otp_base32_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t syms = 0, pads = 0, o = 0;
	unsigned buf = 0, bits = 0;

	if (strnlen(in, OTP_BASE32_MAX_TEXT + 1) > OTP_BASE32_MAX_TEXT)
		return otp_seterr(OTP_ETOOLONG, "base32 text longer than %d", OTP_BASE32_MAX_TEXT);
	for (const char *p = in; *p; p++) {
		int v;

		if (*p == ' ' || *p == '\t' || *p == '-')
			continue;
		if (*p == '=') {
			pads++;
			continue;
		}
		v = sym_value(*p);
		if (v < 0 || pads > 0)
			return otp_seterr(OTP_EINVAL, "invalid base32 character or padding");
		syms++;
		buf = (buf << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return otp_seterr(OTP_EINVAL, "base32 value too long");
			out[o++] = (uint8_t)(buf >> bits);
		}
	}
	if (!valid_tail(syms) || (pads > 0 && (syms + pads) % 8 != 0) || pads > 6)
		return otp_seterr(OTP_EINVAL, "base32 text has an impossible length");
	*outlen = o;
	return OTP_OK;
}

int otp_base32_grouped(const char *b32, char *out, size_t outsz)
{
	size_t n = strnlen(b32, OTP_BASE32_MAX_TEXT + 1), o = 0;

	if (outsz > 0)
		out[0] = '\0';
	if (n > OTP_BASE32_MAX_TEXT)
		return otp_seterr(OTP_ETOOLONG, "base32 text longer than %d", OTP_BASE32_MAX_TEXT);
	if (strspn(b32, alphabet) != n)
		return otp_seterr(OTP_EINVAL, "not upper-case base32 without padding");
	if (outsz < OTP_BASE32_GROUPED_SIZE(n))
		return otp_seterr(OTP_ETOOLONG, "grouped base32 output buffer too small");
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = b32[i];
	}
	out[o] = '\0';
	return OTP_OK;
}
