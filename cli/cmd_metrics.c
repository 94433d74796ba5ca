/*
 * otpctl metrics [--textfile DIR] [--state FILE]
 *
 * Prometheus metrics: counters made from the audit trail, read
 * incrementally (auditscan.h) with the counts kept in a state file, so a
 * run reads only new records and counters never go back, whatever is
 * pruned; gauges from a census of the store. --textfile writes
 * DIR/pam_otp.prom for node_exporter's textfile collector, the state then
 * living beside it (DIR/pam_otp.state, which the collector ignores).
 *
 * The state is a file, not a `meta` value of the store: a run then writes
 * nothing to the store (no write transaction every minute beside the
 * logins, and it works on a read-only replica or copy), a restore of an
 * older backup does not take the counters back with it, and the counts by
 * service outgrow what a meta value holds.
 */
#include "ctl.h"
#include "err.h"
#include "expo.h"
#include "metrics_state.h"
#include "outfile.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROM_FILE "pam_otp.prom"
#define STATE_FILE "pam_otp.state"

struct mrun {
	const char *textfile;          /* DIR, or NULL: stdout */
	char state_dir[PATH_MAX], state_name[NAME_MAX + 1], state_path[PATH_MAX];
	int state;                     /* a state file is kept */
	int sfd, tfd;                  /* the directories, -1 when not open */
	struct otp_scan_state *scan;
	struct otp_tally tally;
	struct otp_census census;
	int store_up;                  /* the census and the scan were read */
};

static int add_record(const struct otp_audit_ev *ev, uint64_t n, void *arg)
{
	otp_tally_add(arg, ev, n);
	return OTP_OK;
}

static void emit_counters(struct expo *e, const struct otp_tally *t)
{
	expo_family(e, "pam_otp_logins_total", "counter",
		    "Login attempts by outcome and PAM service, from the audit trail.");
	for (unsigned i = 0; i < t->nservices; i++) {
		for (int o = 0; o < OTP_OUT_COUNT; o++) {
			const char *l[] = { "result", otp_outcome_name((enum otp_outcome)o),
					    "service", t->svc[i].name };

			expo_sample_u64(e, "pam_otp_logins_total", l, 2, t->svc[i].logins[o]);
		}
	}
	expo_family(e, "pam_otp_lockouts_total", "counter",
		    "Users locked out by repeated failures (audit event lockout).");
	for (unsigned i = 0; i < t->nservices; i++) {
		const char *l[] = { "service", t->svc[i].name };

		expo_sample_u64(e, "pam_otp_lockouts_total", l, 1, t->svc[i].lockouts);
	}
	expo_family(e, "pam_otp_unknown_user_failures_total", "counter",
		    "Failed attempts for user names the store does not know (also counted in "
		    "pam_otp_logins_total as failure).");
	for (unsigned i = 0; i < t->nservices; i++) {
		const char *l[] = { "service", t->svc[i].name };

		expo_sample_u64(e, "pam_otp_unknown_user_failures_total", l, 1,
				t->svc[i].unknown_failures);
	}
	expo_family(e, "pam_otp_admin_changes_total", "counter",
		    "Changes made with otpctl, by audit event.");
	for (int i = 0; i < OTP_TALLY_ADMIN_EVENTS; i++) {
		const char *l[] = { "event", otp_tally_admin_events[i] };

		expo_sample_u64(e, "pam_otp_admin_changes_total", l, 1, t->admin[i]);
	}
}

static void gauge(struct expo *e, const char *name, const char *help, double v)
{
	expo_family(e, name, "gauge", help);
	expo_sample(e, name, NULL, 0, v);
}

static void emit_census(struct expo *e, const struct otp_census *c)
{
	const struct otp_store_stats *s = &c->store;

	gauge(e, "pam_otp_users", "Users with a store record.", (double)c->users);
	gauge(e, "pam_otp_users_active", "Users with at least one active device.",
	      (double)c->users_active);
	gauge(e, "pam_otp_users_locked", "Users locked out now.", (double)c->users_locked);
	expo_family(e, "pam_otp_devices", "gauge", "Devices by type and state.");
	for (int t = 0; t < OTP_CENSUS_TYPES; t++) {
		for (int st = 0; st < OTP_CENSUS_STATES; st++) {
			const char *l[] = { "type", otp_census_types[t], "state",
					    otp_census_states[st] };

			expo_sample_u64(e, "pam_otp_devices", l, 2, c->devices[t][st]);
		}
	}
	gauge(e, "pam_otp_recovery_codes_left_min",
	      "Fewest unused recovery codes of a user with an active device (NaN: no such user).",
	      c->recovery_known ? (double)c->recovery_left_min : NAN);
	gauge(e, "pam_otp_users_without_recovery_codes",
	      "Users with an active device and no unused recovery code.",
	      (double)c->users_no_recovery);
	gauge(e, "pam_otp_store_bytes", "Bytes the store takes.", (double)s->bytes_used);
	gauge(e, "pam_otp_store_max_bytes",
	      "Bytes the store may take before it must grow (LMDB: the map size).",
	      (double)s->bytes_max);
	gauge(e, "pam_otp_store_map_used_ratio", "pam_otp_store_bytes / pam_otp_store_max_bytes.",
	      s->bytes_max ? (double)s->bytes_used / (double)s->bytes_max : NAN);
	gauge(e, "pam_otp_audit_records", "Audit records the store holds.", (double)s->audit);
}

static void emit(struct expo *e, const struct mrun *m)
{
	emit_counters(e, &m->tally);
	if (m->store_up)
		emit_census(e, &m->census);
	gauge(e, "pam_otp_audit_last_seq",
	      "Audit records counted so far, numbered from 1 since the metrics state began: "
	      "the sequence of the last one counted.", (double)m->scan->counted);
	if (m->scan->have)
		gauge(e, "pam_otp_audit_last_timestamp_seconds",
		      "Time of the newest audit record counted.", (double)m->scan->newest);
	gauge(e, "pam_otp_store_up", "1 when this run read the store, 0 when it could not.",
	      m->store_up);
}

/* Split --state FILE into its directory and name. */
static int set_state_path(struct ctl *c, struct mrun *m, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t dlen = slash ? (size_t)(slash - path) : 1;

	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) > NAME_MAX || strlen(path) >= sizeof(m->state_path))
		return ctl_fail(c, EX_USAGE_, "--state: '%s' is not a file name", path);
	if (slash == path)
		dlen = 1;  /* "/name": the root directory */
	snprintf(m->state_dir, sizeof(m->state_dir), "%.*s", (int)dlen, slash ? path : ".");
	snprintf(m->state_name, sizeof(m->state_name), "%s", name);
	snprintf(m->state_path, sizeof(m->state_path), "%s", path);
	m->state = 1;
	return 0;
}

static int parse_args(struct ctl *c, struct mrun *m, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "textfile", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	int opt;

	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt == 't')
			m->textfile = optarg;
		else if (opt == 's')
			state = optarg;
		else
			return ctl_usage(c, EX_USAGE_);
	}
	if (optind != argc)
		return ctl_usage(c, EX_USAGE_);
	if (state != NULL)
		return set_state_path(c, m, state);
	if (m->textfile != NULL) {
		if (strlen(m->textfile) + sizeof(STATE_FILE) + 1 > sizeof(m->state_path))
			return ctl_fail(c, EX_USAGE_, "--textfile: path too long");
		snprintf(m->state_dir, sizeof(m->state_dir), "%s", m->textfile);
		snprintf(m->state_name, sizeof(m->state_name), "%s", STATE_FILE);
		snprintf(m->state_path, sizeof(m->state_path), "%s/%s", m->textfile, STATE_FILE);
		m->state = 1;
	}
	return 0;
}

static int load_state(struct ctl *c, struct mrun *m)
{
	char *text = NULL;
	size_t len = 0;
	int rc = outfile_dir(c, m->state_dir, 1, &m->sfd);

	if (rc == 0)
		rc = outfile_read(c, m->sfd, m->state_name, m->state_path, 0077, MSTATE_FILE_MAX,
				  &text, &len);
	if (rc == 0 && text != NULL && mstate_parse(text, m->scan, &m->tally) != OTP_OK)
		rc = ctl_fail(c, EX_STORE, "%s: %s (remove it to count from the start again)",
			      m->state_path, otp_errdetail());
	free(text);
	return rc;
}

static int save_state(struct ctl *c, struct mrun *m)
{
	char *text = NULL;
	int rc;

	if (mstate_format(m->scan, &m->tally, &text) != OTP_OK)
		return ctl_fail(c, EX_STORE, "out of memory");
	rc = outfile_replace(c, m->sfd, m->state_name, m->state_path, 0600, text, strlen(text));
	free(text);
	return rc;
}

/* Read what is new in the audit trail, and the census. */
static int collect(struct ctl *c, struct mrun *m)
{
	struct otp_txn *txn = NULL;
	uint64_t now = otp_now();
	int rc = ctl_open(c, 0);

	if (rc != 0)
		return rc;
	rc = otp_txn_begin(c->st, 0, &txn);
	if (rc == OTP_OK)
		rc = otp_scan_run(txn, m->scan, now, add_record, &m->tally);
	otp_txn_abort(txn);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "audit");
	rc = otp_census(c->st, now, &m->census);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "store");
	m->store_up = 1;
	return 0;
}

/* The text format to the textfile or stdout, and with --json the samples
 * on stdout (unless print is 0: an error was printed there already). */
static int output(struct ctl *c, struct mrun *m, int print)
{
	struct expo e = { NULL, NULL, 0 };
	char path[PATH_MAX + sizeof(PROM_FILE) + 1], *buf = NULL;
	size_t n = 0;
	int rc = 0;

	if (m->textfile != NULL || !c->json)
		e.text = open_memstream(&buf, &n);
	if (c->json)
		e.json = json_array();
	if ((m->textfile != NULL || !c->json) && e.text == NULL)
		return ctl_fail(c, EX_STORE, "out of memory");
	emit(&e, m);
	if (e.text != NULL && fclose(e.text) != 0)
		e.bad = 1;
	if (e.bad)
		rc = ctl_fail(c, EX_STORE, "out of memory");
	snprintf(path, sizeof(path), "%s/%s", m->textfile ? m->textfile : ".", PROM_FILE);
	if (rc == 0 && m->textfile != NULL)
		rc = outfile_replace(c, m->tfd, PROM_FILE, path, 0644, buf, n);
	else if (rc == 0 && !c->json && (fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0))
		rc = ctl_fail(c, EX_STORE, "cannot write the output");
	if (rc == 0 && c->json && print)
		rc = ctl_json_print(m->textfile ? json_pack("{s:s,s:o}", "textfile", path,
							    "metrics", e.json) :
					 json_pack("{s:o}", "metrics", e.json));
	else
		json_decref(e.json);
	free(buf);
	return rc;
}

static int run(struct ctl *c, struct mrun *m, int argc, char **argv)
{
	int rc = parse_args(c, m, argc, argv), out;

	if (rc == 0 && m->state)
		rc = load_state(c, m);
	if (rc == 0 && m->textfile != NULL)
		rc = outfile_dir(c, m->textfile, 0, &m->tfd);
	if (rc != 0)
		return rc;
	rc = collect(c, m);
	if (rc == 0 && m->state)
		rc = save_state(c, m);
	/* A store that cannot be read still gets a textfile: the counters kept
	 * so far and pam_otp_store_up 0, for an alert to fire on. */
	if (rc != 0 && m->textfile == NULL)
		return rc;
	out = output(c, m, rc == 0);
	return rc != 0 ? rc : out;
}

int cmd_metrics(struct ctl *c, int argc, char **argv)
{
	struct mrun *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL || (m->scan = calloc(1, sizeof(*m->scan))) == NULL) {
		free(m);
		return ctl_fail(c, EX_STORE, "out of memory");
	}
	m->sfd = m->tfd = -1;
	otp_scan_init(m->scan);
	otp_tally_init(&m->tally);
	rc = run(c, m, argc, argv);
	if (m->tfd >= 0)
		close(m->tfd);
	if (m->sfd >= 0)
		close(m->sfd);  /* the lock goes with it */
	free(m->scan);
	free(m);
	return rc;
}
