#include "audit.h"
#include "auditscan.h"
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
	"verify", "rekey", "restore", "migrate", "unenrolled_pass", "oob_sent", "oob_send_failed",
	"oob_expired", "oob_exhausted",
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
 * --follow reads the trail incrementally (auditscan.h): a record that
 * lands behind the newest one shown (a login's records carry the time the
 * login began) is still handed over once, and a summary record (flood.h)
 * again each time its count grows.
 *
 * The scan state starts in the dump's read transaction: its first run
 * hands over, unprinted, every record the dump printed or passed over.
 * That run leaves records dated after its `now` (another host's clock
 * ahead) for a later run, but the dump printed them already: they are
 * listed here, so that each is printed again only when it grew.
 */
struct shown { uint64_t time; uint32_t seq; unsigned count; int handed; };
struct ahead {
	uint64_t after;     /* the first scan run's now */
	struct shown *v;    /* in key order, as the dump walks */
	size_t n, cap;
};

static int ahead_add(struct ahead *a, const struct otp_audit_ev *e)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct shown *v = reallocarray(a->v, cap, sizeof(*v));

		if (v == NULL)
			return otp_seterr(OTP_ENOMEM, "out of memory for records dated ahead");
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = (struct shown){ e->time, e->seq,
				       e->seq >= OTP_AUDIT_SEQ_SUMMARY ? otp_flood_count(e) : 0, 0 };
	return OTP_OK;
}

static int shown_cmp(const void *key, const void *elem)
{
	const struct shown *k = key, *m = elem;

	if (k->time != m->time)
		return k->time < m->time ? -1 : 1;
	return k->seq < m->seq ? -1 : k->seq > m->seq;
}

/* Whether the dump printed (or passed over) e as it is now: at e's first
 * handing over, for a record dated after the first run's now. */
static int dumped_ahead(struct ahead *a, const struct otp_audit_ev *e)
{
	struct shown key = { e->time, e->seq, 0, 0 }, *m;

	if (a->n == 0 || e->time <= a->after)
		return 0;
	m = bsearch(&key, a->v, a->n, sizeof(*a->v), shown_cmp);
	if (m == NULL || m->handed)
		return 0;
	m->handed = 1;  /* from now on the scan state knows what it took */
	return e->seq < OTP_AUDIT_SEQ_SUMMARY || otp_flood_count(e) <= m->count;
}

struct dumping {
	const struct filter *f;
	struct ahead *ahead;        /* --follow: where records dated ahead go */
	struct otp_audit_ev *ring;  /* with a limit: the newest `limit` so far */
	unsigned nring, head;
	int out;                    /* an exit code once printing failed */
};

static int dump_one(const struct otp_audit_ev *e, void *arg)
{
	struct dumping *d = arg;
	const struct filter *f = d->f;

	if (e == NULL)  /* a record that does not decode is skipped */
		return OTP_OK;
	if (e->time > f->until)
		return OTP_EACH_STOP;
	if (!matches(f, e))
		return OTP_OK;
	if (d->ahead != NULL && e->time > d->ahead->after) {
		int rc = ahead_add(d->ahead, e);

		if (rc != OTP_OK)
			return rc;
	}
	if (d->ring == NULL) {
		d->out = print_ev(e, f->fmt);
		return d->out != 0 ? OTP_EACH_STOP : OTP_OK;
	}
	d->ring[d->head] = *e;
	d->head = (d->head + 1) % f->limit;
	d->nring += d->nring < f->limit;
	return OTP_OK;
}

/*
 * Print the matching records from --since on, in txn; with a limit only
 * the newest `limit`, oldest first. ahead: NULL, or (--follow) where the
 * records dated after ahead->after are listed.
 */
static int dump(struct ctl *c, struct otp_txn *txn, const struct filter *f, struct ahead *ahead)
{
	struct dumping d = { f, ahead, NULL, 0, 0, 0 };
	int rc;

	if (f->limit > 0 && (d.ring = calloc(f->limit, sizeof(*d.ring))) == NULL)
		return ctl_fail(c, EX_STORE, "out of memory for --limit %u", f->limit);
	rc = otp_audit_each(txn, f->since, 0, 0, dump_one, &d);
	for (unsigned i = 0; i < d.nring && d.out == 0; i++)
		d.out = print_ev(&d.ring[(d.head + f->limit - d.nring + i) % f->limit], f->fmt);
	free(d.ring);
	if (fflush(stdout) != 0 && d.out == 0)
		d.out = ctl_fail(c, EX_STORE, "cannot write the output");
	if (d.out != 0)
		return d.out;
	return rc == OTP_OK ? 0 : ctl_err(c, rc, "audit");
}

struct following {
	const struct filter *f;
	struct ahead ahead;
	struct otp_scan_state *scan;  /* large: allocated */
	int print;                    /* 0 for the run that takes over the dump's records */
	int out;                      /* an exit code once printing failed */
};

/* otp_scan_run's hand: a record new to the scan, or a summary that grew. */
static int follow_one(const struct otp_audit_ev *e, uint64_t n, void *arg)
{
	struct following *fw = arg;

	(void)n;  /* a summary is shown whole, with its count now */
	if (!fw->print || !matches(fw->f, e) || dumped_ahead(&fw->ahead, e))
		return OTP_OK;
	fw->out = print_ev(e, fw->f->fmt);
	return fw->out == 0 ? OTP_OK : OTP_EIO;
}

/* One scan run in txn up to now; the exit code. */
static int follow_run(struct ctl *c, struct following *fw, struct otp_txn *txn, uint64_t now)
{
	int rc = otp_scan_run(txn, fw->scan, now, follow_one, fw);

	if (fw->out == 0 && fflush(stdout) != 0)
		fw->out = ctl_fail(c, EX_STORE, "cannot write the output");
	if (fw->out != 0)
		return fw->out;
	return rc == OTP_OK ? 0 : ctl_err(c, rc, "audit");
}

static int follow(struct ctl *c, struct following *fw)
{
	struct sigaction sa;
	struct otp_txn *txn;
	int rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fw->print = 1;
	while (!stop && rc == 0) {
		usleep(FOLLOW_POLL_USEC);  /* the store has no change notification: poll */
		txn = NULL;
		rc = otp_txn_begin(c->st, 0, &txn);
		rc = rc == OTP_OK ? follow_run(c, fw, txn, otp_now()) : ctl_err(c, rc, "audit");
		otp_txn_abort(txn);
	}
	return rc;
}

/*
 * The dump, and with --follow the scan state's first run, in one read
 * transaction: the scan then starts exactly where the dump stood.
 */
static int dump_and_start(struct ctl *c, const struct filter *f, struct following *fw)
{
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(c->st, 0, &txn);

	header(f->fmt);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "audit");
	fw->ahead.after = otp_now();
	rc = dump(c, txn, f, f->follow ? &fw->ahead : NULL);
	if (rc == 0 && f->follow)
		rc = follow_run(c, fw, txn, fw->ahead.after);
	otp_txn_abort(txn);
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
	struct following fw;
	uint64_t now = otp_now();
	int opt, rc;

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
	memset(&fw, 0, sizeof(fw));
	fw.f = &f;
	if (f.follow && (fw.scan = calloc(1, sizeof(*fw.scan))) == NULL)
		return ctl_fail(c, EX_STORE, "out of memory for --follow");
	if (fw.scan != NULL)
		otp_scan_init(fw.scan);
	rc = dump_and_start(c, &f, &fw);
	if (rc == 0 && f.follow)
		rc = follow(c, &fw);
	free(fw.scan);
	free(fw.ahead.v);
	return rc;
}
