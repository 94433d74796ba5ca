#include "timeexpr.h"
#include "err.h"
#include "util.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

/* Read exactly n digits at *p into *v and advance. */
static int digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int relative(const char *s, uint64_t now, uint64_t *out)
{
	static const struct { char unit; uint64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	char num[24];
	size_t n = strlen(s);
	uint64_t v;

	if (n < 2 || n > sizeof(num))
		return -1;
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	if (otp_parse_u64(num, 0, UINT64_MAX / 604800, &v) != OTP_OK)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].unit == s[n - 1]) {
			v *= units[i].secs;
			*out = v > now ? 0 : now - v;
			return 0;
		}
	}
	return -1;
}

/* "Z", "+hh:mm" or "-hh:mm" at p; *off gets seconds east of UTC. */
static int zone(const char *p, long *off)
{
	int hh, mm, sign;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*off = 0;
		return 0;
	}
	if (p[0] != '+' && p[0] != '-')
		return -1;
	sign = p[0] == '-' ? -1 : 1;
	p++;
	if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mm) || *p != '\0' ||
	    hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

static int absolute(const char *p, uint64_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	long off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &sec))
			return -1;
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++)
				;
		}
		if (zone(p, &off))
			return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d || (long)t - off < 0)
		return -1;
	*out = (uint64_t)((long)t - off);
	return 0;
}

int otp_time_parse(const char *text, uint64_t now, uint64_t *out)
{
	if (text == NULL || strnlen(text, 64) >= 64)
		return otp_seterr(OTP_EINVAL, "time too long");
	if (strcmp(text, "now") == 0) {
		*out = now;
		return OTP_OK;
	}
	if (relative(text, now, out) == 0 || absolute(text, out) == 0)
		return OTP_OK;
	return otp_seterr(OTP_EINVAL, "'%s' is not a time (use RFC 3339, a date, or 1h, 7d, ...)",
			  text);
}
