/*
 * store_pg_conninfo.c - the configuration's check of a PostgreSQL store
 * spec (store_pg_conninfo.h).
 */
#include "store_pg_conninfo.h"
#include "err.h"
#include "store.h"
#include "util.h"

#include <libpq-fe.h>
#include <locale.h>
#include <string.h>

#define PG_KEYWORD_MAX 32   /* bytes of a libpq option name we echo */
#define PG_MESSAGE_MAX 200  /* bytes of libpq's message we pass on */

static const char refused[] = "a password in the conninfo is refused; use a passfile "
			      "(PGPASSFILE, ~/.pgpass) or client certificates";

/*
 * libpq's messages quote pieces of the spec ("invalid percent-encoded
 * token: "..."" may hold a whole URI with its password). A piece is kept
 * when it is one structural character ("=", "]") or an option name: a
 * lowercase word the spec follows with '='.
 */
static int echo_ok(const char *piece, size_t len, const char *spec)
{
	if (len == 1)
		return piece[0] == '=' || piece[0] == ']';
	if (len == 0 || len > PG_KEYWORD_MAX ||
	    strspn(piece, "abcdefghijklmnopqrstuvwxyz_") < len)
		return 0;
	for (const char *p = strchr(spec, '='); p != NULL; p = strchr(p + 1, '=')) {
		const char *end = p;

		while (end > spec && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - spec) >= len && memcmp(end - len, piece, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * libpq's message without its newline, up to the first quoted piece that
 * echo_ok refuses (or a quote left open: the spec may hold quotes too),
 * which becomes "..." and ends it.
 */
static void scrub(const char *msg, const char *spec, char *out, size_t cap)
{
	size_t o = 0, len;

	for (const char *m = msg; *m != '\0' && *m != '\n'; m += len) {
		const char *close = *m == '"' ? strchr(m + 1, '"') : NULL;
		int stop = *m == '"' &&
			   (close == NULL || !echo_ok(m + 1, (size_t)(close - m) - 1, spec));

		len = stop ? 5 : close ? (size_t)(close - m) + 1 : 1;
		if (o + len >= cap)
			break;
		memcpy(out + o, stop ? "\"...\"" : m, len);
		o += len;
		if (stop)
			break;
	}
	out[o] = '\0';
}

static int invalid(char *errmsg, const char *spec)
{
	char msg[PG_MESSAGE_MAX + 1];

	if (errmsg == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	scrub(errmsg, spec, msg, sizeof(msg));
	otp_wipe_str(errmsg);
	PQfreemem(errmsg);
	return otp_seterr(OTP_ECONFIG, "not a valid PostgreSQL URI or conninfo: %s", msg);
}

/* Wipe every value (a password among them), then free. */
static void release(PQconninfoOption *opts)
{
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		otp_wipe_str(o->val);
	PQconninfoFree(opts);
}

/*
 * PQconninfoParse in the C locale for this thread only: translated
 * messages quote with other characters, which scrub would not find.
 */
static PQconninfoOption *parse_c_locale(const char *spec, char **errmsg)
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	locale_t old = c != (locale_t)0 ? uselocale(c) : (locale_t)0;
	PQconninfoOption *opts = PQconninfoParse(spec, errmsg);

	if (c != (locale_t)0) {
		uselocale(old);
		freelocale(c);
	}
	return opts;
}

static int check(const char *spec, int depth)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = parse_c_locale(spec, &errmsg);
	int rc = OTP_OK;

	if (opts == NULL)
		return invalid(errmsg, spec);
	for (PQconninfoOption *o = opts; rc == OTP_OK && o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (!strcmp(o->keyword, "password") || !strcmp(o->keyword, "sslpassword"))
			rc = otp_seterr(OTP_ECONFIG, "%s", refused);
		/* libpq expands a dbname that is itself a spec in some calls */
		else if (!strcmp(o->keyword, "dbname") && depth == 0 &&
			 otp_store_is_postgresql(o->val))
			rc = check(o->val, 1);
	}
	release(opts);
	return rc;
}

int otp_pg_conninfo_check(const char *spec)
{
	return check(spec, 0);
}
