#include "oobaddr.h"

#include "err.h"
#include "oob.h"

#include <stdio.h>
#include <string.h>

#define LOCAL_MAX 64
#define LABEL_MAX 63

/* atext of RFC 5322 section 3.2.3, letters and digits aside */
static int is_atext(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

static int is_ldh(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

/* dot-atom: atext runs separated by single dots, none at either end; not
 * starting with '-', which a delivery program would take for an option */
static int local_ok(const char *s, size_t n)
{
	if (n == 0 || n > LOCAL_MAX || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext(s[i]))
			return 0;
	}
	return 1;
}

/* host name labels, at least two, none starting or ending with '-' */
static int domain_ok(const char *s)
{
	size_t label = 0, labels = 1;

	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > LABEL_MAX || p[-1] == '-' || p[-(long)label] == '-')
				return 0;
			if (*p == '\0')
				return labels >= 2;
			labels++;
			label = 0;
		} else if (is_ldh(*p)) {
			label++;
		} else {
			return 0;
		}
	}
}

static int email_check(const char *to)
{
	const char *at = strrchr(to, '@');

	if (at == NULL || !local_ok(to, (size_t)(at - to)) || !domain_ok(at + 1))
		return otp_seterr(OTP_EINVAL, "not a plain email address (name@domain.example)");
	return OTP_OK;
}

static int sms_check(const char *to)
{
	size_t n = strlen(to);

	if (to[0] != '+' || n < 9 || n > 16 || to[1] == '0' ||
	    strspn(to + 1, "0123456789") != n - 1)
		return otp_seterr(OTP_EINVAL, "not an E.164 phone number (+ and 8 to 15 digits, "
				  "e.g. +4915112345678)");
	return OTP_OK;
}

int otp_oob_addr_check(enum otp_dev_type type, const char *to)
{
	if (to == NULL || to[0] == '\0')
		return otp_seterr(OTP_EINVAL, "no destination");
	if (strnlen(to, OTP_OOB_TO_MAX + 1) > OTP_OOB_TO_MAX)
		return otp_seterr(OTP_EINVAL, "destination longer than %d bytes", OTP_OOB_TO_MAX);
	if (type == OTP_EMAIL)
		return email_check(to);
	if (type == OTP_SMS)
		return sms_check(to);
	return otp_seterr(OTP_EINVAL, "not an email or sms device");
}

int otp_oob_mask(enum otp_dev_type type, const char *to, char *out, size_t outsz)
{
	size_t n;
	int w;

	if (otp_oob_addr_check(type, to) != OTP_OK)
		return OTP_EINVAL;
	n = strlen(to);
	if (type == OTP_EMAIL)
		w = snprintf(out, outsz, "%c***%s", to[0], strrchr(to, '@'));
	else
		w = snprintf(out, outsz, "+%c%.*s%s", to[1], (int)(n - 4), "***************",
			     to + n - 2);
	if (w < 0 || (size_t)w >= outsz)
		return otp_seterr(OTP_EINVAL, "masked destination does not fit");
	return OTP_OK;
}
