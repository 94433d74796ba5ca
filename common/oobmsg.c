/*
 * oobmsg.c - the email and the SMS a code travels in.
 *
 * Only checked values reach the email's header: the destination and From
 * (addr-specs), the host (letters, digits, '.', '-', '_' kept; anything
 * else a '-') and our own Date and Message-ID. Hostile text (user,
 * service, remote address) appears in the body only, escaped by
 * otp_text_show, so it can neither end a line nor start a header.
 */
#include "oobmsg.h"

#include "err.h"
#include "oobaddr.h"
#include "textsafe.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define HOST_MAX 253           /* bytes of a host name in a message */
#define FIELD_MAX 256          /* bytes of user, service or rhost before escaping */
#define SHOWN_MAX OTP_TEXT_SHOW_SIZE(FIELD_MAX)
#define SMS_MAX 160            /* GSM-7 characters in one SMS */
#define MSGID_BYTES 16

/* Appends to a bounded buffer; once something does not fit, stays failed. */
struct out {
	char *p;
	size_t size, len;
	int full;
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

/* The host as a header and a Message-ID may carry it: a name's own
 * characters, everything else '-'; never empty. */
static void safe_host(const char *host, char *dst, size_t size)
{
	size_t n = 0;

	for (const char *c = host ? host : ""; *c && n + 1 < size; c++) {
		int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			 (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_';

		dst[n++] = ok ? *c : '-';
	}
	dst[n] = '\0';
	if (n == 0)
		snprintf(dst, size, "localhost");
}

/* Hostile text for the body: escaped, cut at FIELD_MAX input bytes */
static const char *shown(const char *s, char *buf)
{
	char cut[FIELD_MAX + 1];

	snprintf(cut, sizeof(cut), "%s", s ? s : "");
	(void)otp_text_show(buf, SHOWN_MAX, cut);
	return buf;
}

/* RFC 5322 section 3.3, in UTC. Day and month names from our own tables:
 * strftime's %a and %b follow the host's locale (sudo sets one). */
static int rfc5322_date(uint64_t now, char *buf, size_t size)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now;
	struct tm tm;
	char hms[16];

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11 || strftime(hms, sizeof(hms), "%H:%M:%S", &tm) == 0)
		return otp_seterr(OTP_EINVAL, "message: the time is out of range");
	snprintf(buf, size, "%s, %02d %s %04d %s +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, hms);
	return OTP_OK;
}

static int message_id(const char *host, char *buf, size_t size)
{
	unsigned char r[MSGID_BYTES];
	char hex[2 * MSGID_BYTES + 1];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return otp_seterr(OTP_ECRYPTO, "message: RAND_bytes failed");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(buf, size, "<%s@%s>", hex, host);
	return OTP_OK;
}

static unsigned minutes(unsigned valid)
{
	return valid == 0 ? 1 : (valid + 59) / 60;
}

static int email_header(const struct otp_oob_msg *m, const char *host, struct out *o)
{
	char date[64], id[2 * MSGID_BYTES + HOST_MAX + 8];
	int rc = rfc5322_date(m->now, date, sizeof(date));

	if (rc == OTP_OK)
		rc = message_id(host, id, sizeof(id));
	if (rc != OTP_OK)
		return rc;
	if (m->from != NULL && m->from[0] != '\0')
		put(o, "From: %s\n", m->from);
	else
		put(o, "From: pam_otp@%s\n", host);
	put(o, "To: %s\n", m->to);
	put(o, "Subject: %s %s\n", m->code ? "Verification code for" :
	    "Test of verification codes for", host);
	put(o, "Date: %s\nMessage-ID: %s\n", date, id);
	put(o, "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 8bit\nAuto-Submitted: auto-generated\n\n");
	return OTP_OK;
}

static void email_body(const struct otp_oob_msg *m, const char *host, struct out *o)
{
	char user[SHOWN_MAX], svc[SHOWN_MAX], rhost[SHOWN_MAX];
	unsigned min = minutes(m->valid);

	if (m->code != NULL)
		put(o, "Your verification code is %s\n\n", m->code);
	else
		put(o, "This is a test of the delivery of verification codes.\n"
		    "It carries no code and needs no action.\n\n");
	put(o, "User: %s\nHost: %s\n", shown(m->user, user), host);
	if (m->service != NULL && m->service[0] != '\0')
		put(o, "Service: %s\n", shown(m->service, svc));
	if (m->rhost != NULL && m->rhost[0] != '\0')
		put(o, "Remote address: %s\n", shown(m->rhost, rhost));
	if (m->code != NULL)
		put(o, "Valid for: %u minute%s\n", min, min == 1 ? "" : "s");
	put(o, "\nIf you did not ask for it, tell your administrator.\n");
}

/* The GSM 03.38 basic set's ASCII part, less what gateways mangle; one
 * '?' for each other character (a UTF-8 sequence counts once). */
static size_t gsm_safe(const char *s, char *dst, size_t max)
{
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c && n < max; c++) {
		if ((*c & 0xc0) == 0x80)
			continue;  /* continuation byte: already counted */
		dst[n++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			   (*c >= '0' && *c <= '9') ||
			   (*c < 0x80 && strchr(" !\"#$%&'()*+,-./:;<=>?@_", *c) != NULL) ?
			   (char)*c : '?';
	}
	dst[n] = '\0';
	return n;
}

/* "USER@HOST" in room characters: the host keeps its first label when it
 * must shrink, then both are cut, the user keeping at least half. */
static void sms_who(const char *user, const char *host, size_t room, char *dst, size_t size)
{
	char u[FIELD_MAX + 1], h[HOST_MAX + 1];
	size_t ul = gsm_safe(user, u, FIELD_MAX), hl = gsm_safe(host, h, HOST_MAX);
	char *dot;

	if (ul + 1 + hl > room && (dot = strchr(h, '.')) != NULL) {
		*dot = '\0';
		hl = (size_t)(dot - h);
	}
	if (ul + 1 + hl > room) {
		size_t umax = ul < room / 2 ? ul : room / 2;

		if (hl > room - 1 - umax)
			hl = room - 1 - umax;
		h[hl] = '\0';
		if (ul > room - 1 - hl)
			ul = room - 1 - hl;
		u[ul] = '\0';
	}
	if (ul + 1 + hl >= size)  /* room < size always; never overrun anyway */
		ul = hl = 0;
	memcpy(dst, u, ul);
	dst[ul] = '@';
	memcpy(dst + ul + 1, h, hl);
	dst[ul + 1 + hl] = '\0';
}

#define SMS_CODE "%s is your verification code for %s (valid %u min)."
#define SMS_TEST "Test from pam_otp for %s: no code, nothing to do."

static void sms_text(const struct otp_oob_msg *m, const char *host, struct out *o)
{
	char who[SMS_MAX + 1];
	unsigned min = minutes(m->valid);
	size_t fixed = (size_t)(m->code ? snprintf(NULL, 0, SMS_CODE, m->code, "", min) :
				snprintf(NULL, 0, SMS_TEST, ""));

	sms_who(m->user, host, SMS_MAX - fixed, who, sizeof(who));
	if (m->code != NULL)
		put(o, SMS_CODE, m->code, who, min);
	else
		put(o, SMS_TEST, who);
}

static int check_msg(const struct otp_oob_msg *m, char *out, size_t outsz, size_t *len)
{
	if (len != NULL)
		*len = 0;
	if (m == NULL || out == NULL || outsz == 0 || len == NULL || m->to == NULL ||
	    (m->type != OTP_EMAIL && m->type != OTP_SMS))
		return otp_seterr(OTP_EINVAL, "message: bad arguments");
	if (otp_oob_addr_check(m->type, m->to) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "message: bad destination");
	if (m->type == OTP_EMAIL && m->from != NULL && m->from[0] != '\0' &&
	    otp_oob_addr_check(OTP_EMAIL, m->from) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "message: bad From address");
	if (m->code != NULL) {  /* digits only: it goes into the header-free text as is */
		size_t n = strlen(m->code);

		if (n == 0 || n > 10 || strspn(m->code, "0123456789") != n)
			return otp_seterr(OTP_EINVAL, "message: the code is not 1..10 digits");
	}
	return OTP_OK;
}

int otp_oob_message(const struct otp_oob_msg *m, char *out, size_t outsz, size_t *len)
{
	char host[HOST_MAX + 1];
	struct out o = { out, outsz, 0, 0 };
	int rc = check_msg(m, out, outsz, len);

	if (rc != OTP_OK)
		return rc;
	out[0] = '\0';
	safe_host(m->host, host, sizeof(host));
	if (m->type == OTP_EMAIL) {
		rc = email_header(m, host, &o);
		if (rc == OTP_OK)
			email_body(m, host, &o);
	} else {
		sms_text(m, host, &o);
	}
	if (rc == OTP_OK && o.full)
		rc = otp_seterr(OTP_ETOOLONG, "message: longer than %zu bytes", outsz);
	if (rc != OTP_OK) {
		otp_wipe(out, outsz);  /* a cut message may hold the code */
		return rc;
	}
	*len = o.len;
	return OTP_OK;
}
