#include "otp.h"
#include "err.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

static const char *const alg_names[] = { "SHA1", "SHA256", "SHA512" };

const char *otp_alg_name(enum otp_alg alg)
{
	return (unsigned)alg < 3 ? alg_names[alg] : "?";
}

int otp_alg_parse(const char *s, enum otp_alg *alg)
{
	for (unsigned i = 0; i < 3; i++) {
		if (s != NULL && strcasecmp(s, alg_names[i]) == 0) {
			*alg = (enum otp_alg)i;
			return OTP_OK;
		}
	}
	return otp_seterr(OTP_EINVAL, "unknown algorithm '%.16s' (SHA1, SHA256, SHA512)",
			  s ? s : "");
}

static const uint32_t digit_mod[] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
				  10000000, 100000000 };

int otp_hotp(const uint8_t *key, size_t keylen, enum otp_alg alg,
	     uint64_t counter, unsigned digits, char code[OTP_CODE_BUF])
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	uint32_t bin;
	unsigned off;

	if (keylen < OTP_SECRET_MIN || keylen > OTP_SECRET_MAX ||
	    digits < OTP_DIGITS_MIN || digits > OTP_DIGITS_MAX || (unsigned)alg > 2)
		return otp_seterr(OTP_EINVAL, "bad HOTP parameters");
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, alg_names[alg], NULL, key, keylen,
		      msg, sizeof(msg), mac, sizeof(mac), &maclen) == NULL || maclen < 20)
		return otp_seterr(OTP_ECRYPTO, "HMAC-%s failed", alg_names[alg]);
	/* Dynamic truncation, RFC 4226 section 5.3. */
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	bin %= digit_mod[digits];
	for (int i = (int)digits - 1; i >= 0; i--) {
		code[i] = (char)('0' + bin % 10);
		bin /= 10;
	}
	code[digits] = '\0';
	otp_wipe(mac, sizeof(mac));
	return OTP_OK;
}

int otp_totp_step(uint64_t now, uint64_t t0, unsigned period, uint64_t *step)
{
	if (period < OTP_PERIOD_MIN || period > OTP_PERIOD_MAX || now < t0)
		return otp_seterr(OTP_EINVAL, "bad TOTP period or clock");
	*step = (now - t0) / period;
	return OTP_OK;
}

int otp_code_wellformed(const char *code, unsigned digits)
{
	size_t n = 0;

	if (code == NULL)
		return OTP_EBADCODE;
	for (; code[n] != '\0' && n <= OTP_DIGITS_MAX; n++) {
		if (code[n] < '0' || code[n] > '9')
			return OTP_EBADCODE;
	}
	return n == digits ? OTP_OK : OTP_EBADCODE;
}

/* Constant-time equality of two codes already known to be `digits` long. */
static int code_eq(const char *a, const char *b, unsigned digits)
{
	return CRYPTO_memcmp(a, b, digits) == 0;
}

int otp_hotp_verify(const uint8_t *key, size_t keylen, enum otp_alg alg,
		    unsigned digits, uint64_t counter, unsigned window,
		    const char *code, uint64_t *matched)
{
	char cand[OTP_CODE_BUF];
	int found = 0, rc = OTP_OK;

	if (otp_code_wellformed(code, digits) != OTP_OK)
		return OTP_EBADCODE;
	for (uint64_t c = counter; c <= counter + window && c >= counter; c++) {
		rc = otp_hotp(key, keylen, alg, c, digits, cand);
		if (rc != OTP_OK)
			break;
		if (code_eq(cand, code, digits) && !found) {
			found = 1;
			*matched = c;
		}
	}
	otp_wipe(cand, sizeof(cand));
	if (rc != OTP_OK)
		return rc;
	return found ? OTP_OK : OTP_EBADCODE;
}

int otp_code_normalize(const char *in, char out[OTP_CODE_BUF])
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *p = in; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || o >= OTP_DIGITS_MAX) {
			otp_wipe(out, OTP_CODE_BUF);
			return OTP_EINVAL;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return o > 0 ? OTP_OK : OTP_EINVAL;
}

int otp_totp_verify(const uint8_t *key, size_t keylen, enum otp_alg alg,
		    unsigned digits, unsigned period, uint64_t t0, uint64_t now,
		    unsigned window, uint64_t last, const char *code,
		    uint64_t *matched)
{
	char cand[OTP_CODE_BUF];
	uint64_t step = 0, lo;
	int fresh = 0, stale = 0, rc;

	if (otp_code_wellformed(code, digits) != OTP_OK)
		return OTP_EBADCODE;
	rc = otp_totp_step(now, t0, period, &step);
	if (rc != OTP_OK)
		return rc;
	lo = step > window ? step - window : 0;
	for (uint64_t s = lo; s <= step + window; s++) {
		rc = otp_hotp(key, keylen, alg, s, digits, cand);
		if (rc != OTP_OK)
			break;
		if (!code_eq(cand, code, digits))
			continue;
		if (s <= last) {
			stale = 1;
		} else if (!fresh) {
			fresh = 1;
			*matched = s;
		}
	}
	otp_wipe(cand, sizeof(cand));
	if (rc != OTP_OK)
		return rc;
	if (fresh)
		return OTP_OK;
	return stale ? OTP_EREPLAY : OTP_EBADCODE;
}
