/*
 * The incremental audit reader behind otpctl metrics (auditscan.h): each
 * record counted exactly once across runs, whatever lands late (a login's
 * records carry the time it began), grows in place (unknown-name
 * summaries) or is pruned; and the census and tally (stats.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auditscan.h"
#include "err.h"
#include "flood.h"
#include "stats.h"
#include "store.h"

#include "store_fixture.h"

#define T0 1700000040ull  /* a minute's start */

struct fx {
	char dir[64], path[96];
	struct otp_store *st;
	struct otp_scan_state s;
	struct otp_tally t;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fx_open(f->dir, "/tmp/otp-scan-XXXXXX", NULL, &f->st);
	snprintf(f->path, sizeof(f->path), "%s/store", f->dir);
	otp_scan_init(&f->s);
	otp_tally_init(&f->t);
	*state = f;
	return 0;
}

FX_TEARDOWN(teardown)

/* One login record at time t, committed now. */
static void login(struct fx *f, uint64_t t, const char *event, const char *service)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;

	otp_audit_set(&ev, t, event, "alice", NULL, "code");
	otp_audit_set_origin(&ev, service, "192.0.2.7", NULL);
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_audit_insert(txn, &ev), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

/* The summary of minute m and slot, rewritten with count failures. */
static void summary(struct fx *f, uint64_t m, uint32_t slot, unsigned count)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[96];

	snprintf(detail, sizeof(detail), "%u failed attempts for unknown user names, last 'x'",
		 count);
	otp_audit_set(&ev, m, "auth_failure", OTP_FLOOD_USER, NULL, detail);
	otp_audit_set_origin(&ev, "sshd", "(several)", NULL);
	ev.seq = OTP_AUDIT_SEQ_SUMMARY + slot;
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_audit_write_at(txn, &ev), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

static int add(const struct otp_audit_ev *ev, uint64_t n, void *arg)
{
	otp_tally_add(arg, ev, n);
	return OTP_OK;
}

/* A run at time now; returns how many audit records it handed over. */
static uint64_t run(struct fx *f, uint64_t now)
{
	struct otp_txn *txn = NULL;
	uint64_t before = f->t.records;

	assert_int_equal(otp_txn_begin(f->st, 0, &txn), OTP_OK);
	assert_int_equal(otp_scan_run(txn, &f->s, now, add, &f->t), OTP_OK);
	otp_txn_abort(txn);
	assert_int_equal(otp_scan_valid(&f->s), OTP_OK);
	return f->t.records - before;
}

static uint64_t count(struct fx *f, const char *service, enum otp_outcome o)
{
	return otp_tally_service(&f->t, service)->logins[o];
}

static void each_record_once(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++)
		login(f, T0 + (uint64_t)i, i < 3 ? "auth_success" : "auth_failure", "sshd");
	assert_int_equal(run(f, T0 + 10), 5);
	assert_int_equal(run(f, T0 + 11), 0);
	login(f, T0 + 12, "replay", "sudo");
	assert_int_equal(run(f, T0 + 20), 1);
	assert_int_equal(count(f, "sshd", OTP_OUT_SUCCESS), 3);
	assert_int_equal(count(f, "sshd", OTP_OUT_FAILURE), 2);
	assert_int_equal(count(f, "sudo", OTP_OUT_REPLAY), 1);
	assert_int_equal(f->s.counted, 6);
}

/* A login that began before the last run commits after it: counted on
 * the next run, once, in a second already read (also one with records). */
static void late_records_counted_once(void **state)
{
	struct fx *f = *state;

	login(f, T0, "auth_success", "sshd");
	login(f, T0 + 100, "auth_success", "sshd");
	assert_int_equal(run(f, T0 + 100), 2);
	login(f, T0, "auth_failure", "sshd");        /* same second as a counted one */
	login(f, T0 + 50, "locked", "sshd");         /* a second with nothing before */
	assert_int_equal(run(f, T0 + 101), 2);
	assert_int_equal(run(f, T0 + 102), 0);
	assert_int_equal(count(f, "sshd", OTP_OUT_FAILURE), 1);
	assert_int_equal(count(f, "sshd", OTP_OUT_LOCKED), 1);
	/* past the settling window, the window has moved on: not counted again */
	login(f, T0 + 100 + OTP_SCAN_SETTLE + 10, "auth_success", "sshd");
	assert_int_equal(run(f, T0 + 100 + OTP_SCAN_SETTLE + 10), 1);
	assert_int_equal(run(f, T0 + 100 + OTP_SCAN_SETTLE + 11), 0);
	assert_int_equal(count(f, "sshd", OTP_OUT_SUCCESS), 3);
}

/* A summary counts by its count, and only its growth on later runs. */
static void summaries_count_their_growth(void **state)
{
	struct fx *f = *state;

	summary(f, T0, 5, 3);
	assert_int_equal(run(f, T0 + 10), 1);
	assert_int_equal(count(f, "sshd", OTP_OUT_FAILURE), 3);
	summary(f, T0, 5, 7);                        /* rewritten in place */
	summary(f, T0, 9, 2);                        /* a new slot in a second read */
	login(f, T0 + 20, "auth_success", "sshd");
	run(f, T0 + 30);
	assert_int_equal(count(f, "sshd", OTP_OUT_FAILURE), 9);
	assert_int_equal(otp_tally_service(&f->t, "sshd")->unknown_failures, 9);
	run(f, T0 + 40);
	assert_int_equal(count(f, "sshd", OTP_OUT_FAILURE), 9);
	assert_int_equal(f->s.counted, 3);           /* two summaries and one login */
}

/* Pruning the trail takes nothing back, and what comes next is counted. */
static void pruning_takes_nothing_back(void **state)
{
	struct fx *f = *state;
	struct otp_txn *txn = NULL;

	for (int i = 0; i < 10; i++)
		login(f, T0 + (uint64_t)i, "auth_success", "sshd");
	run(f, T0 + 20);
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_audit_prune(txn, T0 + 100, 1000), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	login(f, T0 + 30, "auth_success", "sshd");
	assert_int_equal(run(f, T0 + 40), 1);
	assert_int_equal(count(f, "sshd", OTP_OUT_SUCCESS), 11);
}

/* A record dated ahead of the clock waits for its time. */
static void future_records_wait(void **state)
{
	struct fx *f = *state;

	login(f, T0, "auth_success", "sshd");
	login(f, T0 + 60, "auth_success", "sshd");
	assert_int_equal(run(f, T0 + 30), 1);
	assert_int_equal(run(f, T0 + 60), 1);
}

/* A long trail read in one run keeps only the window's entries. */
static void long_trail_bounded_state(void **state)
{
	struct fx *f = *state;
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	for (uint64_t i = 0; i < 5000; i++) {
		otp_audit_set(&ev, T0 + i, "auth_success", "bob", NULL, NULL);
		assert_int_equal(otp_audit_insert(txn, &ev), OTP_OK);
	}
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(run(f, T0 + 5000), 5000);
	assert_true(f->s.nseconds <= OTP_SCAN_SECONDS_MAX);
	assert_int_equal(f->s.newest, T0 + 4999);
	assert_int_equal(f->s.seconds[0].time, T0 + 4999 - OTP_SCAN_SETTLE);
}

static void outcomes_of_events(void **state)
{
	struct otp_audit_ev ev;
	struct otp_tally t;

	(void)state;
	otp_audit_set(&ev, T0, "auth_success", "a", NULL, "nullok");
	assert_int_equal(otp_outcome_of(&ev), OTP_OUT_NULLOK);
	otp_audit_set(&ev, T0, "trusted_host", "a", NULL, "trusted_host");
	assert_int_equal(otp_outcome_of(&ev), OTP_OUT_REMEMBERED_HOST);
	otp_audit_set(&ev, T0, "recovery_used", "a", NULL, NULL);
	assert_int_equal(otp_outcome_of(&ev), OTP_OUT_RECOVERY_CODE);
	otp_audit_set(&ev, T0, "enroll", "a", NULL, NULL);
	assert_int_equal(otp_outcome_of(&ev), -1);
	/* services past the 32 kept are counted together */
	otp_tally_init(&t);
	for (int i = 0; i < 40; i++) {
		char svc[16];

		snprintf(svc, sizeof(svc), "svc%d", i);
		otp_audit_set(&ev, T0, "auth_failure", "a", NULL, NULL);
		otp_audit_set_origin(&ev, svc, NULL, NULL);
		otp_tally_add(&t, &ev, 1);
	}
	assert_int_equal(t.nservices, OTP_TALLY_SERVICES + 1);
	assert_string_equal(t.svc[OTP_TALLY_SERVICES].name, OTP_TALLY_OTHER);
	assert_int_equal(t.svc[OTP_TALLY_SERVICES].logins[OTP_OUT_FAILURE], 8);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(each_record_once),
		T(late_records_counted_once),
		T(summaries_count_their_growth),
		T(pruning_takes_nothing_back),
		T(future_records_wait),
		T(long_trail_bounded_state),
		cmocka_unit_test(outcomes_of_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
