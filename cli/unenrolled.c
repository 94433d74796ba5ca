/*
 * unenrolled.c - `otpctl users --unenrolled [--group G]`: the rollout's
 * progress. The users the policy covers (policy.h) who have no active
 * device: the members of G (its member list and the users whose primary
 * group it is), or else the local users of /etc/passwd with a login shell.
 */
#include "ctl.h"
#include "err.h"
#include "policy.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PASSWD_FILE "/etc/passwd"
#define NAMES_MAX 1000000u        /* candidates listed at most */
#define GR_BUF_MAX (64u << 20)    /* a group's record, members included */

struct names { char **v; size_t n, cap; };

static int add_name(struct names *l, const char *name)
{
	char **nv;

	if (l->n == NAMES_MAX)
		return OTP_ETOOLONG;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		nv = realloc(l->v, cap * sizeof(*nv));
		if (nv == NULL)
			return OTP_ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n] = strdup(name);
	if (l->v[l->n] == NULL)
		return OTP_ENOMEM;
	l->n++;
	return OTP_OK;
}

static void free_names(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, each name once. */
static void sort_unique(struct names *l)
{
	size_t k = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), by_name);
	for (size_t i = 1; i < l->n; i++) {
		if (strcmp(l->v[i], l->v[k]) == 0)
			free(l->v[i]);
		else
			l->v[++k] = l->v[i];
	}
	l->n = k + 1;
}

/* A login shell: listed in /etc/shells (empty: /bin/sh), not nologin or false. */
static int login_shell(const char *shell)
{
	const char *base, *s;
	int yes = 0;

	if (shell == NULL || shell[0] == '\0')
		shell = "/bin/sh";
	base = strrchr(shell, '/');
	base = base ? base + 1 : shell;
	if (strcmp(base, "nologin") == 0 || strcmp(base, "false") == 0)
		return 0;
	setusershell();
	while (!yes && (s = getusershell()) != NULL)
		yes = strcmp(s, shell) == 0;
	endusershell();
	return yes;
}

static int local_users(struct ctl *c, struct names *l)
{
	FILE *fp = fopen(PASSWD_FILE, "re");
	struct passwd *pw;
	int rc = OTP_OK;

	if (fp == NULL)
		return ctl_fail(c, EX_STORE, "%s: %s", PASSWD_FILE, otp_syserr(errno));
	while (rc == OTP_OK && (pw = fgetpwent(fp)) != NULL) {
		if (login_shell(pw->pw_shell))
			rc = add_name(l, pw->pw_name);
	}
	fclose(fp);
	return rc == OTP_OK ? 0 : ctl_err(c, rc, PASSWD_FILE);
}

/* The group's record, its buffer grown as needed; *gr NULL: no such group. */
static int find_group(const char *name, struct group *grp, char **buf, struct group **gr)
{
	size_t cap = 4096;
	char *nb;
	int e;

	*buf = NULL;
	for (;;) {
		nb = realloc(*buf, cap);
		if (nb == NULL)
			return otp_seterr(OTP_ENOMEM, "out of memory");
		*buf = nb;
		e = getgrnam_r(name, grp, *buf, cap, gr);
		if (e != ERANGE)
			break;
		if (cap >= GR_BUF_MAX)
			return otp_seterr(OTP_ETOOLONG, "group %s: record too large", name);
		cap *= 2;
	}
	if (e != 0)
		return otp_seterr(OTP_ENSS, "group %s: %s", name, otp_syserr(e));
	if (*gr == NULL)
		return otp_seterr(OTP_ENOTFOUND, "no group named %s", name);
	return OTP_OK;
}

/* The group's members, and every user NSS enumerates whose primary group it is. */
static int group_users(struct ctl *c, const char *name, struct names *l)
{
	struct group grp, *gr = NULL;
	struct passwd *pw;
	char *buf = NULL;
	gid_t gid;
	int rc = find_group(name, &grp, &buf, &gr);

	for (size_t i = 0; rc == OTP_OK && gr->gr_mem[i] != NULL; i++)
		rc = add_name(l, gr->gr_mem[i]);
	if (rc == OTP_OK) {
		gid = gr->gr_gid;
		setpwent();
		while (rc == OTP_OK && (pw = getpwent()) != NULL) {
			if (pw->pw_gid == gid)
				rc = add_name(l, pw->pw_name);
		}
		endpwent();
	}
	free(buf);
	return rc == OTP_OK ? 0 : ctl_err(c, rc, "--group");
}

/* no_device, pending (one awaits confirmation) or revoked; "" when enrolled. */
static int device_state(struct otp_txn *txn, const char *user, struct otp_device_rec *devs,
			const char **state)
{
	unsigned n = 0, pending = 0;
	int rc = otp_device_list(txn, user, devs, &n);

	*state = "";
	if (rc == OTP_ENOTFOUND)
		n = 0;
	else if (rc != OTP_OK)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		if (devs[i].state == OTP_ACTIVE)
			return OTP_OK;
		pending += devs[i].state == OTP_PENDING;
	}
	*state = pending ? "pending" : n ? "revoked" : "no_device";
	return OTP_OK;
}

struct listing { json_t *arr; unsigned covered, unenrolled; };

static int show(struct ctl *c, struct listing *o, const char *user, const char *state,
		const struct otp_coverage *cov)
{
	char shown[CTL_SHOW_SIZE], why[OTP_POLICY_NAME_MAX + 32];

	o->unenrolled++;
	if (c->json)
		return json_array_append_new(o->arr, json_pack("{s:o,s:s,s:s?,s:s}", "user",
			ctl_jstr(user), "reason", state,
			"group", cov->why == OTP_COVER_GROUP ? cov->group : NULL,
			"covered_by", otp_cover_reason(cov, why, sizeof(why)))) == 0 ?
		       OTP_OK : OTP_ENOMEM;
	printf("%-20s %-10s %s\n", ctl_show(user, shown, sizeof(shown)), state,
	       otp_cover_reason(cov, why, sizeof(why)));
	return OTP_OK;
}

/* One candidate: covered by the policy, and without an active device? */
static int judge(struct ctl *c, struct otp_txn *txn, struct otp_device_rec *devs,
		 struct listing *o, const char *user)
{
	struct otp_coverage cov;
	const char *state = "invalid_name";
	int rc = otp_policy_cover(&c->cfg, user, NULL, &cov);

	if (rc != OTP_OK || !cov.covered)
		return rc;
	o->covered++;
	if (otp_valid_user(user) == OTP_OK) {
		rc = device_state(txn, user, devs, &state);
		if (rc != OTP_OK || state[0] == '\0')
			return rc;
	}
	return show(c, o, user, state, &cov);
}

static int list(struct ctl *c, const struct names *l)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	struct listing o = { NULL, 0, 0 };
	struct otp_txn *txn = NULL;
	int rc = devs ? otp_txn_begin(c->st, 0, &txn) : OTP_ENOMEM;

	if (rc == OTP_OK && c->json && (o.arr = json_array()) == NULL)
		rc = OTP_ENOMEM;
	if (rc == OTP_OK && !c->json)
		printf("%-20s %-10s %s\n", "USER", "REASON", "COVERED BY");
	for (size_t i = 0; rc == OTP_OK && i < l->n; i++)
		rc = judge(c, txn, devs, &o, l->v[i]);
	if (txn != NULL)
		otp_txn_abort(txn);
	if (devs != NULL)
		otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	if (rc != OTP_OK) {
		json_decref(o.arr);
		return ctl_err(c, rc, "users");
	}
	if (c->json)
		return ctl_json_print(json_pack("{s:o,s:i,s:i}", "users", o.arr, "covered",
						(int)o.covered, "unenrolled", (int)o.unenrolled));
	printf("%u of %u covered users have no active device\n", o.unenrolled, o.covered);
	return 0;
}

int ctl_users_unenrolled(struct ctl *c, const char *group)
{
	struct names l = { NULL, 0, 0 };
	int rc = ctl_open(c, 0);

	if (rc == 0)
		rc = group ? group_users(c, group, &l) : local_users(c, &l);
	if (rc == 0) {
		sort_unique(&l);
		rc = list(c, &l);
	}
	free_names(&l);
	return rc;
}
