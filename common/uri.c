#include "uri.h"
#include "base32.h"
#include "err.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Append s percent-encoded at out+*o; fails when it would not fit. */
static int put_enc(char *out, size_t outsz, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*o + 4 > outsz)
			return OTP_ETOOLONG;
		if (unreserved(*p)) {
			out[(*o)++] = (char)*p;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[*p >> 4];
			out[(*o)++] = hex[*p & 15];
		}
	}
	out[*o] = '\0';
	return OTP_OK;
}

static int put_raw(char *out, size_t outsz, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n + 1 > outsz)
		return OTP_ETOOLONG;
	memcpy(out + *o, s, n + 1);
	*o += n;
	return OTP_OK;
}

/*
 * The parameters after the issuer. Those equal to the Key Uri Format's
 * defaults are left out: every byte saved keeps the QR code small enough
 * for an 80x24 terminal. HOTP's counter is required, so always there.
 */
static void build_tail(const struct otp_uri *u, char *tail, size_t n)
{
	size_t o = 0;

	tail[0] = '\0';
	if (u->alg != OTP_ALG_SHA1)
		o += (size_t)snprintf(tail + o, n - o, "&algorithm=%s", otp_alg_name(u->alg));
	if (u->digits != OTP_URI_DIGITS_DEFAULT)
		o += (size_t)snprintf(tail + o, n - o, "&digits=%u", u->digits);
	if (u->hotp)
		snprintf(tail + o, n - o, "&counter=%llu", (unsigned long long)u->counter);
	else if (u->period != OTP_URI_PERIOD_DEFAULT)
		snprintf(tail + o, n - o, "&period=%u", u->period);
}

int otp_uri_build(const struct otp_uri *u, char *out, size_t outsz)
{
	char tail[96];
	size_t o = 0;
	int rc;

	/* never build what otp_uri_parse would refuse or read differently: a
	 * ':' in the issuer or user would move the label's split */
	if (outsz > OTP_URI_MAX + 1)
		outsz = OTP_URI_MAX + 1;
	if (strchr(u->issuer, ':') != NULL || strchr(u->user, ':') != NULL ||
	    u->user[0] == '\0' || u->user[0] == ' ')
		return otp_seterr(OTP_EINVAL, "issuer and account name must not contain ':', "
				  "and the account name must not be empty or start with a space");

	rc = put_raw(out, outsz, &o, u->hotp ? "otpauth://hotp/" : "otpauth://totp/");
	if (rc == OTP_OK && u->issuer[0]) {
		rc = put_enc(out, outsz, &o, u->issuer);
		if (rc == OTP_OK)
			rc = put_raw(out, outsz, &o, ":");
	}
	if (rc == OTP_OK)
		rc = put_enc(out, outsz, &o, u->user);
	if (rc == OTP_OK)
		rc = put_raw(out, outsz, &o, "?secret=");
	if (rc == OTP_OK)
		rc = put_raw(out, outsz, &o, u->secret);
	if (rc == OTP_OK && u->issuer[0]) {
		rc = put_raw(out, outsz, &o, "&issuer=");
		if (rc == OTP_OK)
			rc = put_enc(out, outsz, &o, u->issuer);
	}
	build_tail(u, tail, sizeof(tail));
	if (rc == OTP_OK)
		rc = put_raw(out, outsz, &o, tail);
	if (rc != OTP_OK)
		return otp_seterr(OTP_ETOOLONG, "otpauth URI longer than %zu bytes", outsz - 1);
	return OTP_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of s into out (outsz bytes with NUL); no NULs. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return OTP_EINVAL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return OTP_EINVAL;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0 || o + 1 >= outsz)
			return OTP_EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return OTP_OK;
}

static int parse_uint(const char *v, size_t n, uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[24];

	if (n == 0 || n >= sizeof(buf))
		return OTP_EINVAL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return otp_parse_u64(buf, min, max, out);
}

static int parse_param(struct otp_uri *u, const char *k, size_t kn, const char *v, size_t vn,
		       int *have_secret)
{
	uint64_t x;
	char alg[16];

#define KEY(s) (kn == sizeof(s) - 1 && strncasecmp(k, s, kn) == 0)
	if (KEY("secret")) {
		*have_secret = 1;
		return pct_decode(v, vn, u->secret, sizeof(u->secret));
	}
	if (KEY("issuer"))
		return pct_decode(v, vn, u->issuer, sizeof(u->issuer));
	if (KEY("algorithm")) {
		if (pct_decode(v, vn, alg, sizeof(alg)) != OTP_OK)
			return OTP_EINVAL;
		return otp_alg_parse(alg, &u->alg);
	}
	if (KEY("digits")) {
		if (parse_uint(v, vn, OTP_DIGITS_MIN, OTP_DIGITS_MAX, &x) != OTP_OK)
			return OTP_EINVAL;
		u->digits = (unsigned)x;
	} else if (KEY("period")) {
		if (parse_uint(v, vn, OTP_PERIOD_MIN, OTP_PERIOD_MAX, &x) != OTP_OK)
			return OTP_EINVAL;
		u->period = (unsigned)x;
	} else if (KEY("counter")) {
		if (parse_uint(v, vn, 0, UINT64_MAX, &x) != OTP_OK)
			return OTP_EINVAL;
		u->counter = x;
	}
#undef KEY
	return OTP_OK;
}

static int parse_label(struct otp_uri *u, const char *s, size_t n)
{
	char label[OTP_ISSUER_MAX + 260];
	char *colon;

	if (pct_decode(s, n, label, sizeof(label)) != OTP_OK || label[0] == '\0')
		return otp_seterr(OTP_EINVAL, "otpauth URI has a bad label");
	colon = strchr(label, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (strlen(label) > OTP_ISSUER_MAX)
			return otp_seterr(OTP_EINVAL, "otpauth URI issuer too long");
		memcpy(u->issuer, label, strlen(label) + 1);
		s = colon + 1;
		while (*s == ' ')
			s++;
	} else {
		s = label;
	}
	/* spaces after the colon are optional padding, so a name cannot start
	 * with one (it would not survive a rebuild) */
	if (strlen(s) >= sizeof(u->user) || *s == '\0' || *s == ' ')
		return otp_seterr(OTP_EINVAL, "otpauth URI has a bad account name");
	memcpy(u->user, s, strlen(s) + 1);
	return OTP_OK;
}

/* A secret in a URI is bare base32 (no spaces, no padding games). */
static int secret_ok(const char *b32)
{
	uint8_t raw[OTP_SECRET_MAX];
	size_t n = 0;
	int ok = strspn(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz234567=") ==
		 strlen(b32) &&
		 otp_base32_decode(b32, raw, sizeof(raw), &n) == OTP_OK && n >= OTP_SECRET_MIN;

	otp_wipe(raw, sizeof(raw));
	return ok;
}

int otp_uri_parse(const char *text, struct otp_uri *u)
{
	const char *p, *q, *end;
	int have_secret = 0;

	memset(u, 0, sizeof(*u));
	u->alg = OTP_ALG_SHA1;
	u->digits = OTP_URI_DIGITS_DEFAULT;
	u->period = OTP_URI_PERIOD_DEFAULT;
	if (strnlen(text, OTP_URI_MAX + 1) > OTP_URI_MAX)
		return otp_seterr(OTP_ETOOLONG, "otpauth URI longer than %d bytes", OTP_URI_MAX);
	if (strncasecmp(text, "otpauth://totp/", 15) == 0)
		u->hotp = 0;
	else if (strncasecmp(text, "otpauth://hotp/", 15) == 0)
		u->hotp = 1;
	else
		return otp_seterr(OTP_EINVAL, "not an otpauth://totp/ or otpauth://hotp/ URI");
	p = text + 15;
	q = strchr(p, '?');
	if (q == NULL)
		return otp_seterr(OTP_EINVAL, "otpauth URI has no parameters");
	if (parse_label(u, p, (size_t)(q - p)) != OTP_OK)
		return OTP_EINVAL;
	for (p = q + 1; *p; p = *end ? end + 1 : end) {
		const char *eq;

		end = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			continue;
		if (parse_param(u, p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1),
				&have_secret) != OTP_OK)
			return otp_seterr(OTP_EINVAL, "otpauth URI has a bad '%.*s' parameter",
					  (int)((eq - p) > 16 ? 16 : (eq - p)), p);
	}
	if (!have_secret || u->secret[0] == '\0')
		return otp_seterr(OTP_EINVAL, "otpauth URI has no secret");
	if (!secret_ok(u->secret))
		return otp_seterr(OTP_EINVAL, "otpauth URI secret is not base32 of %d..%d bytes",
				  OTP_SECRET_MIN, OTP_SECRET_MAX);
	return OTP_OK;
}

void otp_uri_issuer(const char *configured, char *out, size_t n)
{
	char host[256];

	if (configured != NULL && configured[0] != '\0') {
		snprintf(out, n, "%s", configured);
		return;
	}
	snprintf(out, n, "%s", otp_host_name(NULL, host, sizeof(host)));
	for (char *p = out; *p; p++) {
		if (*p == ':')
			*p = '-';
	}
}
