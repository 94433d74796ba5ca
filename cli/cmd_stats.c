/*
 * otpctl stats [--since T]
 *
 * The rollout and the attacks at a glance: users and devices now; over
 * the window, logins by outcome and service, the success rate, lockouts,
 * recovery codes used, and the remote hosts and users with the most
 * failures. Read in read transactions from the store and the audit trail
 * (summary records count by their count), through the storage interface.
 */
#include "countmap.h"
#include "ctl.h"
#include "err.h"
#include "flood.h"
#include "stats.h"
#include "timeexpr.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define TOP 10

struct window {
	uint64_t since, now;
	struct otp_tally tally;
	struct countmap hosts, users;   /* failures by remote host, by user */
	struct otp_census census;
};

static int failed(int outcome)
{
	return outcome == OTP_OUT_FAILURE || outcome == OTP_OUT_REPLAY ||
	       outcome == OTP_OUT_LOCKED;
}

static int one(const struct otp_audit_ev *ev, void *arg)
{
	struct window *w = arg;
	uint64_t n = 1;

	if (ev == NULL)
		return OTP_OK;
	if (ev->seq >= OTP_AUDIT_SEQ_SUMMARY)
		n = otp_flood_count(ev);
	otp_tally_add(&w->tally, ev, n);
	if (n > 0 && (ev->seq >= OTP_AUDIT_SEQ_SUMMARY || failed(otp_outcome_of(ev)))) {
		countmap_add(&w->hosts, ev->rhost[0] ? ev->rhost : "-", n, ev->time);
		countmap_add(&w->users, ev->user, n, ev->time);
	}
	return OTP_OK;
}

/* Totals of every service. */
static void totals(const struct otp_tally *t, uint64_t out[OTP_OUT_COUNT], uint64_t *lockouts,
		   uint64_t *unknown)
{
	memset(out, 0, OTP_OUT_COUNT * sizeof(out[0]));
	*lockouts = *unknown = 0;
	for (unsigned i = 0; i < t->nservices; i++) {
		for (int o = 0; o < OTP_OUT_COUNT; o++)
			out[o] += t->svc[i].logins[o];
		*lockouts += t->svc[i].lockouts;
		*unknown += t->svc[i].unknown_failures;
	}
}

/* Admitted and all attempts of a row of counts. */
static void rate_of(const uint64_t v[OTP_OUT_COUNT], uint64_t *ok, uint64_t *all)
{
	*ok = *all = 0;
	for (int o = 0; o < OTP_OUT_COUNT; o++) {
		*all += v[o];
		if (otp_outcome_admitted((enum otp_outcome)o))
			*ok += v[o];
	}
}

static void text_row(const char *name, const uint64_t v[OTP_OUT_COUNT])
{
	char shown[CTL_SHOW_SIZE];

	printf("  %-16s", ctl_show(name, shown, sizeof(shown)));
	for (int o = 0; o < OTP_OUT_COUNT; o++) {
		int width = (int)strlen(otp_outcome_name((enum otp_outcome)o));

		printf(" %*llu", width, (unsigned long long)v[o]);
	}
	putchar('\n');
}

static void text_top(const char *title, const struct countmap *m, const char *what)
{
	const struct countmap_entry *top[TOP];
	size_t n = countmap_top(m, top, TOP);
	char shown[CTL_SHOW_SIZE], t[32];

	printf("\n%s with failures: %zu%s\n", title, m->n, m->overflow_names ? " and more" : "");
	if (n > 0)
		printf("  %-40s %8s  %s\n", what, "FAILURES", "LAST");
	for (size_t i = 0; i < n; i++)
		printf("  %-40s %8llu  %s\n", ctl_show(top[i]->name, shown, sizeof(shown)),
		       (unsigned long long)top[i]->count, ctl_time(top[i]->last, t, sizeof(t)));
}

static void text_devices(const struct otp_census *c)
{
	printf("devices     ");
	for (int t = 0; t < OTP_CENSUS_TYPES; t++) {
		uint64_t sum = 0;

		for (int s = 0; s < OTP_CENSUS_STATES; s++)
			sum += c->devices[t][s];
		if (sum == 0 && t > 1)
			continue;  /* "other" only when the store has some */
		printf("%s%s:", t ? "; " : " ", otp_census_types[t]);
		for (int s = 0, first = 1; s < OTP_CENSUS_STATES; s++) {
			if (c->devices[t][s] == 0 && s > 2)
				continue;
			printf("%s %llu %s", first ? "" : ",", (unsigned long long)c->devices[t][s],
			       otp_census_states[s]);
			first = 0;
		}
	}
	putchar('\n');
}

static void print_text(const char *since_arg, const struct window *w)
{
	const struct otp_census *c = &w->census;
	uint64_t all[OTP_OUT_COUNT], lockouts, unknown, ok, n;
	char t1[32], t2[32];

	totals(&w->tally, all, &lockouts, &unknown);
	rate_of(all, &ok, &n);
	printf("users        %llu enrolled, %llu with an active device, %llu locked now\n",
	       (unsigned long long)c->users, (unsigned long long)c->users_active,
	       (unsigned long long)c->users_locked);
	text_devices(c);
	if (c->recovery_known)
		printf("recovery     fewest codes left %llu (of users with an active device); "
		       "users with none left: %llu\n",
		       (unsigned long long)c->recovery_left_min,
		       (unsigned long long)c->users_no_recovery);
	printf("\nlogins from %s to %s (--since %s):\n  %-16s", ctl_time(w->since, t1, sizeof(t1)),
	       ctl_time(w->now, t2, sizeof(t2)), since_arg, "SERVICE");
	for (int o = 0; o < OTP_OUT_COUNT; o++)
		printf(" %s", otp_outcome_name((enum otp_outcome)o));
	putchar('\n');
	for (unsigned i = 0; i < w->tally.nservices; i++)
		text_row(w->tally.svc[i].name, w->tally.svc[i].logins);
	text_row("(all)", all);
	if (n > 0)
		printf("success rate %.1f%% (%llu of %llu attempts let in)\n", 100.0 * (double)ok /
		       (double)n, (unsigned long long)ok, (unsigned long long)n);
	else
		printf("success rate - (no attempts)\n");
	printf("lockouts     %llu\nrecovery codes used %llu\nunknown user names  %llu failed "
	       "attempts\n", (unsigned long long)lockouts,
	       (unsigned long long)all[OTP_OUT_RECOVERY_CODE], (unsigned long long)unknown);
	text_top("remote hosts", &w->hosts, "RHOST");
	text_top("users", &w->users, "USER");
}

static json_t *outcomes_json(const uint64_t v[OTP_OUT_COUNT])
{
	json_t *o = json_object();

	for (int i = 0; o != NULL && i < OTP_OUT_COUNT; i++)
		json_object_set_new(o, otp_outcome_name((enum otp_outcome)i),
				    json_integer((json_int_t)v[i]));
	return o;
}

static json_t *top_json(const struct countmap *m, const char *key)
{
	const struct countmap_entry *top[TOP];
	size_t n = countmap_top(m, top, TOP);
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_pack("{s:o,s:I,s:o}", key, ctl_jstr(top[i]->name),
				      "failures", (json_int_t)top[i]->count, "last",
				      ctl_jtime(top[i]->last)));
	return json_pack("{s:I,s:b,s:o}", "distinct", (json_int_t)m->n, "more",
			 m->overflow_names > 0, "top", arr);
}

static json_t *devices_json(const struct otp_census *c)
{
	json_t *o = json_object();

	for (int t = 0; o != NULL && t < OTP_CENSUS_TYPES; t++) {
		json_t *s = json_object();

		for (int i = 0; s != NULL && i < OTP_CENSUS_STATES; i++)
			json_object_set_new(s, otp_census_states[i],
					    json_integer((json_int_t)c->devices[t][i]));
		json_object_set_new(o, otp_census_types[t], s);
	}
	return o;
}

static int print_json(const struct window *w)
{
	const struct otp_census *c = &w->census;
	uint64_t all[OTP_OUT_COUNT], lockouts, unknown, ok, n;
	json_t *svc = json_object();

	totals(&w->tally, all, &lockouts, &unknown);
	rate_of(all, &ok, &n);
	for (unsigned i = 0; svc != NULL && i < w->tally.nservices; i++)
		json_object_set_new(svc, w->tally.svc[i].name, outcomes_json(w->tally.svc[i].logins));
	return ctl_json_print(json_pack(
		"{s:o,s:o,s:{s:I,s:I,s:I},s:o,s:{s:o,s:I},s:o,s:o,s:o,s:I,s:I,s:I,s:o,s:o}",
		"since", ctl_jtime(w->since), "until", ctl_jtime(w->now),
		"users", "enrolled", (json_int_t)c->users, "active", (json_int_t)c->users_active,
		"locked", (json_int_t)c->users_locked,
		"devices", devices_json(c),
		"recovery", "left_min", c->recovery_known ?
			json_integer((json_int_t)c->recovery_left_min) : json_null(),
		"users_without", (json_int_t)c->users_no_recovery,
		"logins", outcomes_json(all), "services", svc,
		"success_rate", n ? json_real((double)ok / (double)n) : json_null(),
		"attempts", (json_int_t)n, "lockouts", (json_int_t)lockouts,
		"recovery_codes_used", (json_int_t)all[OTP_OUT_RECOVERY_CODE],
		"failing_hosts", top_json(&w->hosts, "rhost"),
		"failing_users", top_json(&w->users, "user")));
}

static int gather(struct ctl *c, struct window *w)
{
	struct otp_txn *txn = NULL;
	int rc = otp_census(c->st, w->now, &w->census);

	if (rc == OTP_OK)
		rc = otp_txn_begin(c->st, 0, &txn);
	if (rc == OTP_OK)
		rc = otp_audit_each(txn, w->since, 0, 0, one, w);
	otp_txn_abort(txn);
	return rc == OTP_OK ? 0 : ctl_err(c, rc, "store");
}

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
	};
	static struct window w;
	const char *since = "24h";
	int opt, rc;

	memset(&w, 0, sizeof(w));
	w.now = otp_now();
	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt != 's')
			return ctl_usage(c, EX_USAGE_);
		since = optarg;
	}
	if (optind != argc)
		return ctl_usage(c, EX_USAGE_);
	if (otp_time_parse(since, w.now, &w.since) != OTP_OK)
		return ctl_fail(c, EX_USAGE_, "--since: %s", otp_errdetail());
	rc = ctl_open(c, 0);
	if (rc != 0)
		return rc;
	if (countmap_init(&w.hosts) != 0 || countmap_init(&w.users) != 0)
		rc = ctl_fail(c, EX_STORE, "out of memory");
	if (rc == 0)
		rc = gather(c, &w);
	if (rc == 0 && c->json)
		rc = print_json(&w);
	else if (rc == 0)
		print_text(since, &w);
	countmap_free(&w.hosts);
	countmap_free(&w.users);
	return rc;
}
