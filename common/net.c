#include "net.h"
#include "err.h"
#include "util.h"

#include <arpa/inet.h>
#include <string.h>

int otp_addr_parse(const char *text, int *family, uint8_t addr[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (text == NULL || strnlen(text, 64) >= 64)
		return OTP_EINVAL;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = AF_INET;
		return OTP_OK;
	}
	if (inet_pton(AF_INET6, text, addr) != 1)
		return OTP_EINVAL;
	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	} else {
		*family = AF_INET6;
	}
	return OTP_OK;
}

static int host_bits_clear(const uint8_t *a, unsigned prefix, unsigned bits)
{
	for (unsigned i = prefix; i < bits; i++) {
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	}
	return 1;
}

int otp_cidr_parse(const char *text, struct otp_cidr *out)
{
	char buf[64];
	const char *slash;
	uint64_t prefix;
	unsigned bits;
	size_t n;

	if (text == NULL || (n = strnlen(text, sizeof(buf))) >= sizeof(buf))
		return otp_seterr(OTP_EINVAL, "network too long");
	memcpy(buf, text, n + 1);
	slash = strchr(text, '/');
	if (slash != NULL)
		buf[slash - text] = '\0';
	memset(out->addr, 0, sizeof(out->addr));
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else
		return otp_seterr(OTP_EINVAL, "'%s' is not a numeric network", text);
	bits = out->family == AF_INET ? 32 : 128;
	prefix = bits;
	if (slash != NULL && otp_parse_u64(slash + 1, 0, bits, &prefix) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "'%s' has a bad prefix length", text);
	out->prefix = (unsigned)prefix;
	if (!host_bits_clear(out->addr, out->prefix, bits))
		return otp_seterr(OTP_EINVAL, "'%s' has host bits set past /%u", text, out->prefix);
	return OTP_OK;
}

int otp_cidr_match(const struct otp_cidr *c, const char *text)
{
	uint8_t a[16];
	int family;
	unsigned full, rest;

	if (otp_addr_parse(text, &family, a) != OTP_OK || family != c->family)
		return 0;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(a, c->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ c->addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}
