#include "auditscan.h"
#include "err.h"
#include "flood.h"

#include <string.h>

void otp_scan_init(struct otp_scan_state *s)
{
	memset(s, 0, sizeof(*s));
}

/* The first second of the window that ends at newest. */
static uint64_t window_start(uint64_t newest)
{
	return newest > OTP_SCAN_SETTLE ? newest - OTP_SCAN_SETTLE : 0;
}

static int key_before(uint64_t t1, uint32_t s1, uint64_t t2, uint32_t s2)
{
	return t1 < t2 || (t1 == t2 && s1 < s2);
}

int otp_scan_valid(const struct otp_scan_state *s)
{
	uint64_t lo = window_start(s->newest);

	if (s->newest > ((uint64_t)1 << 62))
		return otp_seterr(OTP_EINVAL, "newest second out of range");
	if (s->nseconds > OTP_SCAN_SECONDS_MAX || s->nsummaries > OTP_SCAN_SUMMARIES_MAX ||
	    (!s->have && (s->nseconds || s->nsummaries || s->newest)) ||
	    (s->landed && s->nseconds) || (s->landed != 0 && s->landed != 1))
		return otp_seterr(OTP_EINVAL, "more window entries than the window holds");
	for (size_t i = 0; i < s->nseconds; i++) {
		const struct otp_scan_second *e = &s->seconds[i];

		if (e->time < lo || e->time > s->newest || e->seq >= OTP_AUDIT_SEQ_SUMMARY ||
		    (i > 0 && e->time <= s->seconds[i - 1].time))
			return otp_seterr(OTP_EINVAL, "a second out of the window or of order");
	}
	for (size_t i = 0; i < s->nsummaries; i++) {
		const struct otp_scan_summary *e = &s->summaries[i];

		if (e->time < lo || e->time > s->newest || e->seq < OTP_AUDIT_SEQ_SUMMARY ||
		    (i > 0 && !key_before(s->summaries[i - 1].time, s->summaries[i - 1].seq,
					  e->time, e->seq)))
			return otp_seterr(OTP_EINVAL, "a summary out of the window or of order");
	}
	return OTP_OK;
}

/* Drop the entries that fell out of the window ending at s->newest. */
static void prune(struct otp_scan_state *s)
{
	uint64_t lo = window_start(s->newest);
	size_t i = 0;

	while (i < s->nseconds && s->seconds[i].time < lo)
		i++;
	memmove(s->seconds, s->seconds + i, (s->nseconds - i) * sizeof(s->seconds[0]));
	s->nseconds -= i;
	for (i = 0; i < s->nsummaries && s->summaries[i].time < lo; i++)
		;
	memmove(s->summaries, s->summaries + i, (s->nsummaries - i) * sizeof(s->summaries[0]));
	s->nsummaries -= i;
}

#define SECONDS_ROOM (2 * OTP_SCAN_SECONDS_MAX)
#define SUMMARIES_ROOM (2 * OTP_SCAN_SUMMARIES_MAX)

/* Index of the entry for second t, or where it would go. */
static size_t second_at(const struct otp_scan_state *s, uint64_t t)
{
	size_t lo = 0, hi = s->nseconds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->seconds[mid].time < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Record that ordinary seq of second t is counted. */
static void note_second(struct otp_scan_state *s, uint64_t t, uint32_t seq)
{
	size_t i = second_at(s, t);

	if (i < s->nseconds && s->seconds[i].time == t) {
		if (seq > s->seconds[i].seq)
			s->seconds[i].seq = seq;
		return;
	}
	if (s->nseconds == SECONDS_ROOM) {
		prune(s);  /* a window holds at most half the room */
		i = second_at(s, t);
	}
	if (s->nseconds == SECONDS_ROOM)  /* not with a valid state; never lose the newest */
		return;
	memmove(s->seconds + i + 1, s->seconds + i, (s->nseconds - i) * sizeof(s->seconds[0]));
	s->seconds[i] = (struct otp_scan_second){ t, seq };
	s->nseconds++;
}

static size_t summary_at(const struct otp_scan_state *s, uint64_t t, uint32_t seq)
{
	size_t lo = 0, hi = s->nsummaries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_before(s->summaries[mid].time, s->summaries[mid].seq, t, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry of summary (t, seq), made (count taken 0) when new; NULL
 * only when there is no room even after pruning. */
static struct otp_scan_summary *summary_entry(struct otp_scan_state *s, uint64_t t,
					      uint32_t seq)
{
	size_t i = summary_at(s, t, seq);

	if (i < s->nsummaries && s->summaries[i].time == t && s->summaries[i].seq == seq)
		return &s->summaries[i];
	if (s->nsummaries == SUMMARIES_ROOM) {
		prune(s);
		i = summary_at(s, t, seq);
	}
	if (s->nsummaries == SUMMARIES_ROOM)
		return NULL;
	memmove(s->summaries + i + 1, s->summaries + i,
		(s->nsummaries - i) * sizeof(s->summaries[0]));
	s->summaries[i] = (struct otp_scan_summary){ t, seq, 0 };
	s->nsummaries++;
	return &s->summaries[i];
}

struct run {
	struct otp_scan_state *s;
	uint64_t now;
	uint64_t second;  /* the second a probe looks into; in landing order, the latest */
	int seen;         /* in landing order: a record was read */
	int (*fn)(const struct otp_audit_ev *ev, uint64_t n, void *arg);
	void *arg;
};

/* Hand ev over unless counted: an ordinary record once, a summary's growth. */
static int take(struct run *r, const struct otp_audit_ev *ev)
{
	struct otp_scan_summary *m;
	uint32_t count;
	int rc;

	if (ev->seq < OTP_AUDIT_SEQ_SUMMARY) {
		rc = r->fn(ev, 1, r->arg);
		if (rc == OTP_OK && !r->s->landed)
			note_second(r->s, ev->time, ev->seq);
		if (rc == OTP_OK) {
			r->s->counted++;
		}
		return rc;
	}
	count = otp_flood_count(ev);
	m = summary_entry(r->s, ev->time, ev->seq);
	if (m == NULL || count <= m->taken) {
		if (m != NULL)
			m->taken = count;  /* a smaller count: the store was replaced */
		return OTP_OK;
	}
	rc = r->fn(ev, count - m->taken, r->arg);
	if (rc == OTP_OK) {
		r->s->counted += m->taken == 0;
		m->taken = count;
	}
	return rc;
}

/* A record of the second being probed, above what was counted there. */
static int probe_one(const struct otp_audit_ev *ev, void *arg)
{
	struct run *r = arg;

	if (ev == NULL)
		return OTP_OK;
	if (ev->time != r->second)
		return OTP_EACH_STOP;
	return take(r, ev);
}

/* A record after the newest second read. */
static int read_on(const struct otp_audit_ev *ev, void *arg)
{
	struct run *r = arg;

	if (ev == NULL)
		return OTP_OK;
	if (ev->time > r->now)
		return OTP_EACH_STOP;
	if (!r->s->have || ev->time > r->s->newest) {
		r->s->have = 1;
		r->s->newest = ev->time;
	}
	return take(r, ev);
}

/* Look into each second of the window for records that landed late. */
static int probe_window(struct otp_txn *txn, struct run *r)
{
	struct otp_scan_state *s = r->s;
	int rc = OTP_OK;

	for (uint64_t t = window_start(s->newest); rc == OTP_OK && t <= s->newest; t++) {
		size_t i = second_at(s, t);
		uint32_t from = i < s->nseconds && s->seconds[i].time == t ? s->seconds[i].seq + 1 : 0;

		r->second = t;
		rc = otp_audit_each(txn, t, from, 0, probe_one, r);
	}
	return rc;
}

/* Whether the seconds' window says ordinary record ev was counted. */
static int window_counted(const struct otp_scan_state *s, const struct otp_audit_ev *ev)
{
	size_t i;

	if (!s->have || ev->time > s->newest)
		return 0;
	if (ev->time < window_start(s->newest))
		return 1;  /* counted then, or past settling: never counted now */
	i = second_at(s, ev->time);
	return i < s->nseconds && s->seconds[i].time == ev->time && ev->seq <= s->seconds[i].seq;
}

/*
 * A record in landing order. The window's newest second moves only when
 * the run ends: while a saved window is carried over, each record is
 * judged against the window as it was.
 */
static int land_one(const struct otp_audit_ev *ev, void *arg)
{
	struct run *r = arg;
	struct otp_scan_state *s = r->s;

	if (ev == NULL)
		return OTP_OK;
	if (ev->time > r->second && ev->time <= r->now) {
		r->second = ev->time;  /* the latest date seen, not past now (a clock ahead) */
		r->seen = 1;
	}
	if (ev->seq < OTP_AUDIT_SEQ_SUMMARY)
		return !s->landed && window_counted(s, ev) ? OTP_OK : take(r, ev);
	/* a summary out of the window: its growth was taken, or is past settling */
	return s->have && ev->time < window_start(s->newest) ? OTP_OK : take(r, ev);
}

static int run_landed(struct otp_txn *txn, struct run *r)
{
	struct otp_scan_state *s = r->s;
	int rc = otp_audit_landed(txn, &s->mark, land_one, r);

	if ((rc == OTP_OK || s->landed) && r->seen && (!s->have || r->second > s->newest)) {
		s->have = 1;
		s->newest = r->second;
	}
	if (rc == OTP_OK && !s->landed) {
		s->landed = 1;
		s->nseconds = 0;
	}
	prune(s);
	return rc;
}

int otp_scan_run(struct otp_txn *txn, struct otp_scan_state *s, uint64_t now,
		 int (*fn)(const struct otp_audit_ev *ev, uint64_t n, void *arg), void *arg)
{
	struct run r = { s, now, 0, 0, fn, arg };
	int rc = OTP_OK;

	if (otp_store_has_landing(otp_txn_store(txn)))
		return run_landed(txn, &r);
	if (s->landed)
		return otp_seterr(OTP_EINVAL, "the state has a landing mark, the store no landing "
				  "order (another store?)");
	if (s->have)
		rc = probe_window(txn, &r);
	if (rc == OTP_OK && (!s->have || s->newest < UINT64_MAX))
		rc = otp_audit_each(txn, s->have ? s->newest + 1 : 0, 0, 0, read_on, &r);
	prune(s);
	return rc;
}
