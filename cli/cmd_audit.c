#include "audit.h"
#include "ctl.h"
#include "err.h"
#include "flood.h"
#include "textsafe.h"
#include "timeexpr.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIMIT_MAX 10000000u
#define FOLLOW_POLL_USEC 500000

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV };

struct filter {
	const char *user, *event;
	uint64_t since, until;
	unsigned limit;       /* 0: all; else the newest N */
	enum fmt fmt;
	int follow;
};

static const char *const events[] = {
	"auth_success", "auth_failure", "replay", "locked", "lockout", "unlock",
	"trusted_network", "trusted_host", "recovery_used", "enroll", "confirm", "rename",
	"revoke", "resync", "recovery_generated", "host_revoked", "user_removed", "import",
	"verify", "rekey", "restore", "migrate",
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int known_event(const char *e)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (strcmp(events[i], e) == 0)
			return 1;
	}
	return 0;
}

/* Text: every stored field escaped (records may predate the cleaning),
 * "-" for an empty one; one line per record whatever the fields hold. */
#define TEXT_ROW "%-20s %-18s %-16s %-10s %-24s %-10s %-12s %-12s %-24s %s\n"

static void print_text(const struct otp_audit_ev *e, const char *t)
{
	char f[9][CTL_SHOW_SIZE];
	const char *src[9] = { e->event, e->user, e->service, e->rhost, e->tty, e->device,
			       e->host, e->actor, e->detail };

	for (int i = 0; i < 9; i++)
		ctl_show(*src[i] ? src[i] : "-", f[i], sizeof(f[i]));
	printf(TEXT_ROW, t, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]);
}

/* CSV: each cell escaped, guarded against formulas, quoted per RFC 4180. */
static void print_csv(const struct otp_audit_ev *e, const char *t)
{
	char cell[OTP_TEXT_CSV_SIZE(OTP_AUDIT_FIELD_MAX)];
	/* host and actor last: scripts reading the older eight columns by
	 * position keep working */
	const char *f[10] = { t, e->event, e->user, e->service, e->rhost, e->tty, e->device,
			      e->detail, e->host, e->actor };

	for (int i = 0; i < 10; i++) {
		(void)otp_text_csv(cell, sizeof(cell), f[i]);
		fputs(cell, stdout);
		putchar(i == 9 ? '\n' : ',');
	}
}

static void header(enum fmt fmt)
{
	if (fmt == FMT_TEXT)
		printf(TEXT_ROW, "TIME", "EVENT", "USER", "SERVICE", "RHOST", "TTY", "DEVICE",
		       "HOST", "ACTOR", "DETAIL");
	else if (fmt == FMT_CSV)
		printf("time,event,user,service,rhost,tty,device,detail,host,actor\n");
}

/* One record; 0, or EX_STORE when its JSON cannot be made or written. */
static int print_ev(const struct otp_audit_ev *e, enum fmt fmt)
{
	char t[32];

	ctl_time(e->time, t, sizeof(t));
	if (fmt == FMT_JSON)
		return ctl_json_print(json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "time",
						t, "event", ctl_jstr(e->event), "user",
						ctl_jstr(e->user), "service", ctl_jstr(e->service),
						"rhost", ctl_jstr(e->rhost), "tty", ctl_jstr(e->tty),
						"device", ctl_jstr(e->device), "detail",
						ctl_jstr(e->detail), "host", ctl_jstr(e->host),
						"actor", ctl_jstr(e->actor)));
	if (fmt == FMT_CSV)
		print_csv(e, t);
	else
		print_text(e, t);
	return 0;
}

static int matches(const struct filter *f, const struct otp_audit_ev *e)
{
	return (f->user == NULL || otp_audit_user_is(e, f->user)) &&
	       (f->event == NULL || strcmp(f->event, e->event) == 0) && e->time >= f->since &&
	       e->time <= f->until;
}

/*
 * A summary record (flood.h) is rewritten in place at the start of its
 * minute, so --follow, which reads on from the last record it showed,
 * would not see it grow: it remembers what it showed of the last two
 * minutes' summaries and shows one again when it changed.
 */
#define SUMMARIES_SEEN (2 * OTP_FLOOD_SLOTS)
struct summary_seen { uint64_t time; uint32_t seq; uint64_t hash; };

/* Where a dump got to: the last record seen (none yet: have 0). */
struct pos {
	uint64_t time;
	uint32_t seq;
	int have;
	struct summary_seen sums[SUMMARIES_SEEN];
	unsigned nsums;
};

static uint64_t ev_hash(const struct otp_audit_ev *e)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *p = e->detail; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (const char *p = e->rhost; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

/* Whether e, a summary record, was shown as it is now; remember it. */
static int summary_shown(struct pos *at, const struct otp_audit_ev *e)
{
	uint64_t h = ev_hash(e), oldest = e->time >= 60 ? e->time - 60 : 0;
	unsigned i, keep = 0;

	for (i = 0; i < at->nsums; i++) {
		if (at->sums[i].time == e->time && at->sums[i].seq == e->seq) {
			int same = at->sums[i].hash == h;

			at->sums[i].hash = h;
			return same;
		}
	}
	for (i = 0; i < at->nsums; i++)  /* forget minutes gone by */
		if (at->sums[i].time >= oldest)
			at->sums[keep++] = at->sums[i];
	at->nsums = keep;
	if (at->nsums < SUMMARIES_SEEN)
		at->sums[at->nsums++] = (struct summary_seen){ e->time, e->seq, h };
	return 0;
}

struct scanning {
	const struct filter *f;
	struct pos *at;
	struct otp_audit_ev *ring;  /* with a limit: the newest `limit` so far */
	unsigned nring, head;
	int out;                    /* an exit code once printing failed */
};

static int scan_one(const struct otp_audit_ev *e, void *arg)
{
	struct scanning *sc = arg;
	const struct filter *f = sc->f;

	if (e == NULL)  /* a record that does not decode is skipped */
		return OTP_OK;
	sc->at->time = e->time;
	sc->at->seq = e->seq;
	sc->at->have = 1;
	if (e->time > f->until)
		return OTP_EACH_STOP;
	if (!matches(f, e))
		return OTP_OK;
	if (e->seq >= OTP_AUDIT_SEQ_SUMMARY)
		(void)summary_shown(sc->at, e);
	if (sc->ring == NULL) {
		sc->out = print_ev(e, f->fmt);
		return sc->out != 0 ? OTP_EACH_STOP : OTP_OK;
	}
	sc->ring[sc->head] = *e;
	sc->head = (sc->head + 1) % f->limit;
	sc->nring += sc->nring < f->limit;
	return OTP_OK;
}

/*
 * Print matching records after position *at (all from --since when none
 * yet) and move *at to the last record seen. With a limit, only the
 * newest `limit` are printed, oldest first.
 */
static int scan(struct ctl *c, const struct filter *f, struct pos *at)
{
	struct scanning sc = { f, at, NULL, 0, 0, 0 };
	struct otp_txn *txn = NULL;
	uint64_t t = at->have ? at->time : f->since;
	uint32_t seq = at->have ? at->seq + 1 : 0;
	int rc;

	if (at->have && at->seq == UINT32_MAX) {  /* the next second's first */
		t++;
		seq = 0;
	}
	if (f->limit > 0 && (sc.ring = calloc(f->limit, sizeof(*sc.ring))) == NULL)
		return ctl_fail(c, EX_STORE, "out of memory for --limit %u", f->limit);
	rc = otp_txn_begin(c->st, 0, &txn);
	if (rc == OTP_OK)
		rc = otp_audit_each(txn, t, seq, 0, scan_one, &sc);
	for (unsigned i = 0; i < sc.nring && sc.out == 0; i++)
		sc.out = print_ev(&sc.ring[(sc.head + f->limit - sc.nring + i) % f->limit], f->fmt);
	otp_txn_abort(txn);
	free(sc.ring);
	if (fflush(stdout) != 0 && sc.out == 0)
		sc.out = ctl_fail(c, EX_STORE, "cannot write the output");
	if (sc.out != 0)
		return sc.out;
	return rc == OTP_OK ? 0 : ctl_err(c, rc, "audit");
}

/* Show again the summaries of this minute and the last that changed
 * behind the position *at. */
static int rescan_summaries(struct ctl *c, const struct filter *f, struct pos *at)
{
	struct otp_audit_ev e;
	struct otp_txn *txn = NULL;
	uint64_t now = otp_now(), minute = now - now % 60;
	int rc = otp_txn_begin(c->st, 0, &txn), out = 0;

	for (uint64_t m = minute >= 60 ? minute - 60 : 0; rc == OTP_OK && m <= minute; m += 60) {
		for (uint32_t slot = 0; out == 0 && slot < OTP_FLOOD_SLOTS; slot++) {
			uint32_t seq = OTP_AUDIT_SEQ_SUMMARY + slot;

			if (!at->have || m > at->time || (m == at->time && seq > at->seq))
				continue;  /* ahead of the position: the next scan shows it */
			if (otp_audit_get_at(txn, m, seq, &e) != OTP_OK || !matches(f, &e) ||
			    summary_shown(at, &e))
				continue;
			out = print_ev(&e, f->fmt);
		}
	}
	otp_txn_abort(txn);
	if (out == 0 && fflush(stdout) != 0)
		out = ctl_fail(c, EX_STORE, "cannot write the output");
	return out != 0 ? out : rc == OTP_OK ? 0 : ctl_err(c, rc, "audit");
}

static int follow(struct ctl *c, struct filter *f, struct pos *at)
{
	struct sigaction sa;
	int rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	f->limit = 0;
	while (!stop && rc == 0) {
		usleep(FOLLOW_POLL_USEC);  /* the store has no change notification: poll */
		rc = scan(c, f, at);
		if (rc == 0)
			rc = rescan_summaries(c, f, at);
	}
	return rc;
}
static int parse_opt(struct ctl *c, struct filter *f, int opt, const char *arg, uint64_t now)
{
	uint64_t v;

	switch (opt) {
	case 'u': f->user = arg; return 0;
	case 'e':
		f->event = arg;
		return known_event(arg) ? 0 : ctl_fail(c, EX_USAGE_, "--event: unknown event '%s'", arg);
	case 's': case 'U':
		if (otp_time_parse(arg, now, opt == 's' ? &f->since : &f->until) != OTP_OK)
			return ctl_fail(c, EX_USAGE_, "%s: %s", opt == 's' ? "--since" : "--until",
					otp_errdetail());
		return 0;
	case 'l':
		if (otp_parse_u64(arg, 1, LIMIT_MAX, &v) != OTP_OK)
			return ctl_fail(c, EX_USAGE_, "--limit: %s", otp_errdetail());
		f->limit = (unsigned)v;
		return 0;
	case 'f':
		if (!strcmp(arg, "text") || !strcmp(arg, "json") || !strcmp(arg, "csv")) {
			f->fmt = arg[0] == 't' ? FMT_TEXT : arg[0] == 'j' ? FMT_JSON : FMT_CSV;
			return 0;
		}
		return ctl_fail(c, EX_USAGE_, "--format must be text, json or csv");
	case 'F': f->follow = 1; return 0;
	default: return ctl_usage(c, EX_USAGE_);
	}
}

int cmd_audit(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, 'u' }, { "event", required_argument, NULL, 'e' },
		{ "since", required_argument, NULL, 's' }, { "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'l' }, { "format", required_argument, NULL, 'f' },
		{ "follow", no_argument, NULL, 'F' }, { NULL, 0, NULL, 0 },
	};
	struct filter f = { NULL, NULL, 0, UINT64_MAX, 0, FMT_TEXT, 0 };
	uint64_t now = otp_now();
	struct pos at;
	int opt, rc;

	memset(&at, 0, sizeof(at));
	if (c->json)
		f.fmt = FMT_JSON;
	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		rc = parse_opt(c, &f, opt, optarg, now);
		if (rc != 0)
			return rc;
	}
	if (optind != argc)
		return ctl_usage(c, EX_USAGE_);
	if (f.follow && f.until != UINT64_MAX)
		return ctl_fail(c, EX_USAGE_, "--follow and --until exclude each other");
	rc = ctl_open(c, 0);
	if (rc != 0)
		return rc;
	header(f.fmt);
	rc = scan(c, &f, &at);
	if (rc == 0 && f.follow)
		rc = follow(c, &f, &at);
	return rc;
}
