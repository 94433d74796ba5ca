#include "audit.h"
#include "ctl.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

#define RECENT_MAX 10       /* failures shown */
#define RECENT_SCAN 100000  /* audit records looked at, newest first */

static int locked_now(const struct otp_user_rec *u, uint64_t now)
{
	return u->locked_until != 0 && (u->locked_until == OTP_LOCKED_FOREVER || now < u->locked_until);
}

struct recent {
	const char *user;
	struct otp_audit_ev *out;
	unsigned n, seen;
};

static int recent_one(const struct otp_audit_ev *e, void *arg)
{
	struct recent *r = arg;

	if (r->n >= RECENT_MAX || r->seen >= RECENT_SCAN)
		return OTP_EACH_STOP;
	r->seen++;
	if (e != NULL && otp_audit_user_is(e, r->user) &&
	    (!strcmp(e->event, "auth_failure") || !strcmp(e->event, "replay") ||
	     !strcmp(e->event, "locked") || !strcmp(e->event, "oob_expired") ||
	     !strcmp(e->event, "oob_exhausted")))
		r->out[r->n++] = *e;
	return OTP_OK;
}

/* The user's latest failures, newest first, from the audit trail; a
 * trail that cannot be read shows none. */
static unsigned recent_failures(struct otp_txn *txn, const char *user, struct otp_audit_ev *out)
{
	struct recent r = { user, out, 0, 0 };

	(void)otp_audit_each(txn, UINT64_MAX, UINT32_MAX, 1, recent_one, &r);
	return r.n;
}

/* One failure: its stored text escaped (it came from outsiders). */
static void print_failure(const struct otp_audit_ev *e)
{
	char t[32], f[4][CTL_SHOW_SIZE];

	printf("  %-20s %-12s %-12s %-16s %s\n", ctl_time(e->time, t, sizeof(t)),
	       ctl_show(e->event, f[0], sizeof(f[0])),
	       ctl_show(e->service[0] ? e->service : "-", f[1], sizeof(f[1])),
	       ctl_show(e->rhost[0] ? e->rhost : "-", f[2], sizeof(f[2])),
	       ctl_show(e->detail, f[3], sizeof(f[3])));
}

static void print_text(const char *user, const struct otp_user_rec *u, uint64_t now,
		       const struct otp_audit_ev *ev, unsigned n)
{
	char t1[32], t2[32];

	printf("user:        %s\n", user);
	printf("locked:      %s", locked_now(u, now) ? "yes" : "no");
	if (locked_now(u, now))
		printf(" (until %s)", ctl_time(u->locked_until, t1, sizeof(t1)));
	printf("\nfailures:    %u (since %s)\nlast login:  %s\n", u->failures,
	       ctl_time(u->first_fail, t1, sizeof(t1)), ctl_time(u->last_login, t2, sizeof(t2)));
	if (n > 0)
		printf("recent failures:\n  %-20s %-12s %-12s %-16s %s\n", "TIME", "EVENT", "SERVICE",
		       "RHOST", "DETAIL");
	for (unsigned i = 0; i < n; i++)
		print_failure(&ev[i]);
}

static json_t *status_json(const char *user, const struct otp_user_rec *u, uint64_t now,
			   const struct otp_audit_ev *ev, unsigned n)
{
	json_t *arr = json_array();
	char t1[32];

	for (unsigned i = 0; i < n; i++) {
		if (json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:o,s:o}", "time",
			ctl_time(ev[i].time, t1, sizeof(t1)), "event", ctl_jstr(ev[i].event),
			"service", ctl_jstr(ev[i].service), "rhost", ctl_jstr(ev[i].rhost),
			"detail", ctl_jstr(ev[i].detail))) != 0) {
			json_decref(arr);  /* the whole answer fails: no failure goes missing */
			return NULL;
		}
	}
	return json_pack("{s:s,s:b,s:o,s:i,s:o,s:o,s:o}", "user", user, "locked",
			 locked_now(u, now), "locked_until",
			 ctl_jtime(locked_now(u, now) ? u->locked_until : 0), "failures",
			 (int)u->failures, "first_failure", ctl_jtime(u->first_fail), "last_login",
			 ctl_jtime(u->last_login), "recent_failures", arr);
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	static struct otp_audit_ev recent[RECENT_MAX + 1];
	struct otp_user_rec u;
	struct otp_login who;
	struct otp_txn *txn = NULL;
	unsigned n = 0;
	int rc;

	rc = ctl_user_verb(c, argc, argv, 2, 0, &who);
	if (rc != 0)
		return rc;
	rc = otp_txn_begin(c->st, 0, &txn);
	if (rc == OTP_OK)
		rc = otp_user_load(txn, argv[1], &u);
	if (rc == OTP_ENOTFOUND)
		otp_seterr(rc, "user '%s' is not enrolled", argv[1]);
	if (rc == OTP_OK)
		n = recent_failures(txn, argv[1], recent);
	otp_txn_abort(txn);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "status");
	if (c->json)
		return ctl_json_print(status_json(argv[1], &u, who.now, recent, n));
	print_text(argv[1], &u, who.now, recent, n);
	return 0;
}

int cmd_unlock(struct ctl *c, int argc, char **argv)
{
	struct otp_login who;
	int rc;

	rc = ctl_user_verb(c, argc, argv, 2, 0, &who);
	if (rc != 0)
		return rc;
	rc = otp_unlock(c->st, &c->cfg, &who);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "unlock");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:b}", "user", argv[1], "locked", 0));
	printf("%s is unlocked\n", argv[1]);
	return 0;
}
