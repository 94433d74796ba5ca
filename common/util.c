#include "util.h"
#include "selfenroll.h"
#include "err.h"
#include "textsafe.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int otp_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return otp_seterr(OTP_EINVAL, "empty number");
	for (const char *p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return otp_seterr(OTP_EINVAL, "'%.32s' is not a whole number", s);
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return otp_seterr(OTP_EINVAL, "'%.32s' is too large", s);
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return otp_seterr(OTP_EINVAL, "%.32s is outside %llu..%llu", s,
				  (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return OTP_OK;
}

int otp_valid_user(const char *user)
{
	size_t n;

	if (user == NULL || *user == '\0')
		return otp_seterr(OTP_EINVAL, "empty user name");
	n = strnlen(user, OTP_USER_MAX + 1);
	if (n > OTP_USER_MAX)
		return otp_seterr(OTP_ETOOLONG, "user name longer than %d bytes", OTP_USER_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)user[i];

		if (c <= ' ' || c >= 0x7f || c == ':' || c == '/')
			return otp_seterr(OTP_EINVAL, "user name has a forbidden character");
	}
	return OTP_OK;
}

int otp_valid_name(const char *name)
{
	const char *why;
	size_t n, at = 0;
	int digits_only = 1;

	if (name == NULL || *name == '\0')
		return otp_seterr(OTP_EINVAL, "empty device name");
	n = strnlen(name, OTP_NAME_MAX + 1);
	if (n > OTP_NAME_MAX)
		return otp_seterr(OTP_ETOOLONG, "device name longer than %d bytes", OTP_NAME_MAX);
	/* names are printed as they are stored: only clean text is taken */
	why = otp_text_problem(name, &at);
	if (why != NULL)
		return otp_seterr(OTP_EINVAL, "device name %s (byte %zu)", why, at + 1);
	for (size_t i = 0; i < n; i++) {
		if (name[i] < '0' || name[i] > '9')
			digits_only = 0;
	}
	if (digits_only)
		return otp_seterr(OTP_EINVAL, "device name must not be all digits");
	/* a later login replaces the secret of a pending device of that name */
	if (strcmp(name, OTP_SELF_NAME) == 0)
		return otp_seterr(OTP_EINVAL, "device name '%s' is kept for devices users enroll "
				  "at login", OTP_SELF_NAME);
	return OTP_OK;
}

void otp_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void otp_wipe_str(char *s)
{
	if (s != NULL)
		otp_wipe(s, strlen(s));
}

uint64_t otp_now(void)
{
	time_t t = time(NULL);

	return t < 0 ? 0 : (uint64_t)t;
}

const char *otp_host_name(const char *configured, char *buf, size_t n)
{
	if (configured != NULL && configured[0] != '\0')
		return configured;
	if (n == 0)
		return "localhost";
	if (gethostname(buf, n - 1) != 0 || buf[0] == '\0')
		snprintf(buf, n, "localhost");
	buf[n - 1] = '\0';
	return buf;
}
