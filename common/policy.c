#include "policy.h"
#include "err.h"
#include "timeexpr.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSS_BUF_START 4096
#define NSS_BUF_MAX (16u << 20)   /* a record (a large group's members) */
#define GROUPS_START 64
#define GROUPS_MAX 65536          /* Linux's NGROUPS_MAX */

static const struct otp_nss libc_nss = { getpwnam_r, getgrnam_r, getgrouplist };

/* A name a config list may hold: no blank, control character, ':' or ','
 * (',' splits the list; ':' splits /etc/passwd and /etc/group lines). */
static int name_char_ok(unsigned char ch)
{
	return ch > ' ' && ch != 0x7f && ch != ':' && ch != ',';
}

static const char *trim(const char *p, const char *end, const char **stop)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*stop = end;
	return p;
}

static int one_name(const char *p, const char *end, unsigned pos, char out[])
{
	size_t len = (size_t)(end - p);

	if (len == 0)
		return otp_seterr(OTP_EINVAL, "name %u is empty", pos);
	if (len > OTP_POLICY_NAME_MAX)
		return otp_seterr(OTP_ETOOLONG, "name %u is longer than %d bytes", pos,
				  OTP_POLICY_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		if (!name_char_ok((unsigned char)p[i]))
			return otp_seterr(OTP_EINVAL, "name %u holds a blank, a control "
					  "character or ':'", pos);
	}
	memcpy(out, p, len);
	out[len] = '\0';
	return OTP_OK;
}

int otp_namelist_parse(const char *text, struct otp_namelist *out)
{
	const char *p = text, *end, *stop, *start;
	int rc;

	memset(out, 0, sizeof(*out));
	start = trim(text, text + strlen(text), &stop);
	if (start == stop)
		return OTP_OK;
	while (p != NULL) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (out->n == OTP_POLICY_NAMES_MAX)
			return otp_seterr(OTP_ETOOLONG, "more than %d names", OTP_POLICY_NAMES_MAX);
		p = trim(p, end, &stop);
		rc = one_name(p, stop, out->n + 1, out->name[out->n]);
		if (rc != OTP_OK)
			return rc;
		out->n++;
		p = *end == ',' ? end + 1 : NULL;
	}
	return OTP_OK;
}

int otp_namelist_has(const struct otp_namelist *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (strcmp(l->name[i], name) == 0)
			return 1;
	}
	return 0;
}

int otp_date_parse(const char *text, uint64_t *t)
{
	/* otp_time_parse's bare date (a real calendar date, midnight UTC), only */
	if (strnlen(text, 11) != 10 || strspn(text, "0123456789-") != 10 || text[4] != '-' ||
	    text[7] != '-')
		return otp_seterr(OTP_EINVAL, "not a date of the form YYYY-MM-DD");
	if (otp_time_parse(text, 0, t) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "%s is not a date from 1970 on", text);
	return OTP_OK;
}

int otp_policy_set(const struct otp_config *cfg)
{
	return cfg->require_group.n > 0 || cfg->exempt_group.n > 0 || cfg->exempt_user.n > 0;
}

enum otp_deadline otp_deadline_at(const struct otp_config *cfg, uint64_t now)
{
	if (cfg->enroll_deadline == 0)
		return OTP_DEADLINE_NONE;
	return now < cfg->enroll_deadline ? OTP_DEADLINE_OPEN : OTP_DEADLINE_PASSED;
}

/* A record buffer twice as large, up to NSS_BUF_MAX. */
static int grow(char **buf, size_t *cap)
{
	char *nb;

	if (*cap >= NSS_BUF_MAX)
		return OTP_ETOOLONG;
	nb = realloc(*buf, *cap * 2);
	if (nb == NULL)
		return OTP_ENOMEM;
	*buf = nb;
	*cap *= 2;
	return OTP_OK;
}

/* The user's primary group; *known 0 when NSS has no such user. */
static int user_gid(const struct otp_nss *nss, const char *user, gid_t *gid, int *known)
{
	struct passwd pw, *res = NULL;
	size_t cap = NSS_BUF_START;
	char *buf = malloc(cap);
	int e = 0, rc = buf ? OTP_OK : OTP_ENOMEM;

	while (rc == OTP_OK && (e = nss->getpwnam_r(user, &pw, buf, cap, &res)) == ERANGE)
		rc = grow(&buf, &cap);
	*known = rc == OTP_OK && e == 0 && res != NULL;
	if (*known)
		*gid = res->pw_gid;
	free(buf);
	if (rc != OTP_OK)
		return otp_seterr(rc, "user '%s': %s", user, rc == OTP_ENOMEM ? "out of memory" :
				  "record too large");
	if (e != 0)
		return otp_seterr(OTP_ENSS, "user '%s': %s", user, otp_syserr(e));
	return OTP_OK;
}

int otp_policy_group_gid(const struct otp_nss *nss, const char *name, gid_t *gid, int *exists)
{
	struct group gr, *res = NULL;
	size_t cap = NSS_BUF_START;
	char *buf = malloc(cap);
	int e = 0, rc = buf ? OTP_OK : OTP_ENOMEM;

	if (nss == NULL)
		nss = &libc_nss;
	while (rc == OTP_OK && (e = nss->getgrnam_r(name, &gr, buf, cap, &res)) == ERANGE)
		rc = grow(&buf, &cap);
	*exists = rc == OTP_OK && e == 0 && res != NULL;
	if (*exists)
		*gid = res->gr_gid;
	free(buf);
	if (rc != OTP_OK)
		return otp_seterr(rc, "group '%s': %s", name, rc == OTP_ENOMEM ? "out of memory" :
				  "record too large");
	if (e != 0)
		return otp_seterr(OTP_ENSS, "group '%s': %s", name, otp_syserr(e));
	return OTP_OK;
}

/* Every group of user (primary gid included); *gids is malloc'd. */
static int user_groups(const struct otp_nss *nss, const char *user, gid_t primary,
		       gid_t **gids, int *n)
{
	int cap = GROUPS_START, want;
	gid_t *g = NULL, *ng;

	for (;;) {
		ng = realloc(g, (size_t)cap * sizeof(*g));
		if (ng == NULL) {
			free(g);
			return otp_seterr(OTP_ENOMEM, "out of memory");
		}
		g = ng;
		want = cap;
		if (nss->getgrouplist(user, primary, g, &want) >= 0)
			break;
		/* too small: want says how many there are (glibc), else double */
		cap = want > cap ? want : cap * 2;
		if (cap > GROUPS_MAX) {
			free(g);
			return otp_seterr(OTP_ETOOLONG, "user '%s': more than %d groups", user,
					  GROUPS_MAX);
		}
	}
	*gids = g;
	*n = want;
	return OTP_OK;
}

static int has_gid(const gid_t *gids, int n, gid_t gid)
{
	for (int i = 0; i < n; i++) {
		if (gids[i] == gid)
			return 1;
	}
	return 0;
}

static void note_missing(struct otp_coverage *out, const char *name)
{
	if (out->nmissing < OTP_POLICY_MISSING_MAX)
		snprintf(out->missing[out->nmissing], sizeof(out->missing[0]), "%s", name);
	out->nmissing++;
}

/*
 * The first group of l the user is in: 1 (its name in out->group), 0 none,
 * or -1 when a lookup failed and no group of l matched (detail kept).
 */
static int member_of(const struct otp_nss *nss, const struct otp_namelist *l,
		     const gid_t *gids, int n, struct otp_coverage *out, char *err, size_t errn)
{
	int failed = 0, exists;
	gid_t gid;

	for (unsigned i = 0; i < l->n; i++) {
		int rc = otp_policy_group_gid(nss, l->name[i], &gid, &exists);

		if (rc != OTP_OK) {
			if (!failed)
				snprintf(err, errn, "%s", otp_errdetail());
			failed = 1;
		} else if (!exists) {
			note_missing(out, l->name[i]);
		} else if (has_gid(gids, n, gid)) {
			snprintf(out->group, sizeof(out->group), "%s", l->name[i]);
			return 1;
		}
	}
	return failed ? -1 : 0;
}

/* Judge a user NSS knows, from its groups. */
static int judge_groups(const struct otp_config *cfg, const struct otp_nss *nss,
			const gid_t *gids, int n, struct otp_coverage *out)
{
	char err[256] = "";
	int ex = member_of(nss, &cfg->exempt_group, gids, n, out, err, sizeof(err));
	int req = 1;

	if (ex == 1) {
		out->covered = 0;
		out->why = OTP_EXEMPT_GROUP;
		return OTP_OK;
	}
	if (cfg->require_group.n > 0) {
		req = member_of(nss, &cfg->require_group, gids, n, out, err, sizeof(err));
		if (req == 0) {  /* in none of them: exempt or not, not required */
			out->covered = 0;
			out->why = OTP_OUTSIDE_GROUPS;
			return OTP_OK;
		}
		out->why = OTP_COVER_GROUP;
	}
	/* required (or everyone is), unless a group that failed says otherwise */
	if (ex < 0 || req < 0)
		return otp_seterr(OTP_ENSS, "%s", err);
	return OTP_OK;
}

int otp_policy_cover(const struct otp_config *cfg, const char *user, const struct otp_nss *nss,
		     struct otp_coverage *out)
{
	gid_t primary = 0, *gids = NULL;
	int n = 0, rc;

	memset(out, 0, sizeof(*out));
	out->covered = 1;
	out->why = OTP_COVER_EVERYONE;
	if (nss == NULL)
		nss = &libc_nss;
	if (otp_namelist_has(&cfg->exempt_user, user)) {
		out->covered = 0;
		out->why = OTP_EXEMPT_USER;
		return OTP_OK;
	}
	if (cfg->require_group.n == 0 && cfg->exempt_group.n == 0)
		return OTP_OK;
	/* a name the store could not hold is never looked up: covered */
	if (otp_valid_user(user) != OTP_OK) {
		out->why = OTP_COVER_UNKNOWN;
		return OTP_OK;
	}
	rc = user_gid(nss, user, &primary, &out->known);
	if (rc != OTP_OK)
		return rc;
	if (!out->known) {
		out->why = OTP_COVER_UNKNOWN;
		return OTP_OK;
	}
	rc = user_groups(nss, user, primary, &gids, &n);
	if (rc == OTP_OK)
		rc = judge_groups(cfg, nss, gids, n, out);
	free(gids);
	return rc;
}

const char *otp_cover_reason(const struct otp_coverage *out, char *buf, size_t n)
{
	switch (out->why) {
	case OTP_COVER_GROUP: snprintf(buf, n, "require_group %s", out->group); break;
	case OTP_COVER_UNKNOWN: snprintf(buf, n, "unknown to NSS"); break;
	case OTP_EXEMPT_USER: snprintf(buf, n, "exempt_user"); break;
	case OTP_EXEMPT_GROUP: snprintf(buf, n, "exempt_group %s", out->group); break;
	case OTP_OUTSIDE_GROUPS: snprintf(buf, n, "not in require_group"); break;
	default: snprintf(buf, n, "everyone"); break;
	}
	return buf;
}
