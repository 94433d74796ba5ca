/*
 * auditscan.h - read the audit trail incrementally: each run is handed
 * only the records (and summary growth) that earlier runs were not, so
 * counters made from the trail never count a record twice and never go
 * back when old records are pruned. Engine-neutral: only store.h is used.
 *
 * Records do not always land in key order. A login's records carry the
 * time the login began (the PAM conversation may take minutes), and a
 * summary record (flood.h) is rewritten in place with a growing count for
 * as long as attempts of its minute come in. Within one second, though,
 * an ordinary record always gets a sequence number above every record
 * already there. So the state keeps, for each second of a settling window
 * (OTP_SCAN_SETTLE seconds back from the newest second counted), the
 * highest sequence counted in it, and for each summary of that window the
 * count already taken. A run looks in each second of the window for
 * records above what it counted, takes summaries' growth, then reads on
 * from the newest second: it costs the window's seconds (one positioned
 * read each) plus the new records, whatever the trail holds.
 * Records that land more than OTP_SCAN_SETTLE seconds behind the newest
 * one counted are not counted; records dated after `now` (another host's
 * clock ahead) are left for a later run.
 *
 * That rule of seconds holds where writers take turns (LMDB). An engine
 * with a landing order (PostgreSQL: store.h, otp_audit_landed) numbers
 * records from a sequence, so a run there reads on from a mark in landing
 * order instead: every record once, however late it lands, at the cost of
 * the new records only; the window then keeps only summaries. A state
 * saved by the seconds' rule (before the store had a landing order) is
 * carried over: the first run in landing order skips what the window says
 * was counted.
 */
#ifndef OTP_AUDITSCAN_H
#define OTP_AUDITSCAN_H

#include "audit.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_SCAN_SETTLE (15 * 60 + 60)  /* seconds: 15 min of login, and a summary's minute */
#define OTP_SCAN_SECONDS_MAX (OTP_SCAN_SETTLE + 1)
#define OTP_SCAN_SUMMARIES_MAX ((OTP_SCAN_SETTLE / 60 + 2) * 64)  /* 64 slots a minute */

struct otp_scan_second { uint64_t time; uint32_t seq; };  /* highest ordinary seq counted */
struct otp_scan_summary { uint64_t time; uint32_t seq; uint32_t taken; };

/*
 * Between runs the window's entries are at most the maxima above; the
 * arrays have twice the room so that a run reading a long trail drops
 * entries that fell out of the window in batches, not one by one.
 */
struct otp_scan_state {
	int have;             /* 0: nothing read yet (the next run reads the whole trail) */
	uint64_t newest;      /* the newest second read (a record's time) */
	uint64_t counted;     /* records handed over so far, summaries once each */
	int landed;           /* 1: reading on from mark in landing order */
	struct otp_audit_mark mark;
	size_t nseconds, nsummaries;  /* in key order (no seconds once landed) */
	struct otp_scan_second seconds[2 * OTP_SCAN_SECONDS_MAX];
	struct otp_scan_summary summaries[2 * OTP_SCAN_SUMMARIES_MAX];
};

/* otp_scan_init - a state that has read nothing. */
void otp_scan_init(struct otp_scan_state *s);

/*
 * otp_scan_valid - whether s (e.g. read back from a file) keeps the rules
 * above: entries in time order within the window, no more than the
 * maxima. Returns OTP_OK or OTP_EINVAL with a detail.
 */
int otp_scan_valid(const struct otp_scan_state *s);

/*
 * otp_scan_run - hand fn every audit record txn holds that s has not
 * counted, dated at or before now (seconds since the epoch; in landing
 * order, records are handed over whatever their date), and move s on. fn gets the record and n: 1 for an ordinary record, the growth of
 * the count since it was last taken for a summary record (never 0).
 * fn returns OTP_OK to go on or an error code, which ends the run with s
 * part-way but consistent (what fn was given is recorded as counted).
 * Records that do not decode are skipped.
 * Returns OTP_OK, fn's error, or store errors.
 */
int otp_scan_run(struct otp_txn *txn, struct otp_scan_state *s, uint64_t now,
		 int (*fn)(const struct otp_audit_ev *ev, uint64_t n, void *arg), void *arg);

#endif
