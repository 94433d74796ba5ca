/*
 * audit_gen - fill a store's audit trail with n login records through the
 * storage interface, for measuring otpctl stats and metrics on a large
 * trail (docs: the README's Monitoring section). Not part of the build:
 *   cc -O2 -Icommon -o audit_gen bench/audit_gen.c build/libotp.a \
 *      $(pkg-config --libs libcrypto lmdb libconfuse jansson) -lcrypt
 *   audit_gen CONF N DAYS    N records spread over the last DAYS days (0: all now)
 * Events: 70% auth_success, 20% auth_failure, 3% replay, 3% locked,
 * 2% trusted_network, 1% recovery_used, 1% lockout, over 3 services and
 * 1000 remote hosts; and one summary record (unknown names) a minute for
 * the last hour. Deterministic (a fixed LCG), so runs compare.
 */
#include "audit.h"
#include "config.h"
#include "err.h"
#include "flood.h"
#include "store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 10000

static uint64_t rng = 88172645463325252ull;

static uint32_t next(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33);
}

static const char *pick_event(uint32_t r)
{
	r %= 100;
	return r < 70 ? "auth_success" : r < 90 ? "auth_failure" : r < 93 ? "replay" :
	       r < 96 ? "locked" : r < 98 ? "trusted_network" : r < 99 ? "recovery_used" :
	       "lockout";
}

static void fill(struct otp_audit_ev *ev, uint64_t t)
{
	static const char *const svc[] = { "sshd", "sudo", "login" };
	char user[32], rhost[32];

	snprintf(user, sizeof(user), "user%u", next() % 5000);
	snprintf(rhost, sizeof(rhost), "198.51.100.%u", next() % 1000);
	otp_audit_set(ev, t, pick_event(next()), user, NULL, "code");
	otp_audit_set_origin(ev, svc[next() % 3], rhost, "ssh");
	otp_audit_set_by(ev, "bench", NULL);
}

/* Records i0 .. i1-1 of n, at times spread from start over span seconds. */
static int batch(struct otp_store *st, unsigned long i0, unsigned long i1, unsigned long n,
		 uint64_t start, uint64_t span)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	uint64_t rng0 = rng;
	int rc;

	for (;;) {
		rc = otp_txn_begin(st, 1, &txn);
		for (unsigned long i = i0; rc == OTP_OK && i < i1; i++) {
			fill(&ev, start + span * i / n);
			rc = otp_audit_insert(txn, &ev);
		}
		if (rc == OTP_OK)
			return otp_txn_commit(txn);
		otp_txn_abort(txn);
		if (rc != OTP_EFULL || otp_store_grow(st) != OTP_OK)
			return rc;
		rng = rng0;  /* the same records again in a bigger map */
	}
}

static int summaries(struct otp_store *st, uint64_t now)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 1, &txn);

	for (uint64_t m = now - now % 60 - 3600; rc == OTP_OK && m < now; m += 60) {
		char detail[96];

		snprintf(detail, sizeof(detail), "%u failed attempts for unknown user names, "
			 "last 'x'", 1 + next() % 50);
		otp_audit_set(&ev, m, "auth_failure", OTP_FLOOD_USER, NULL, detail);
		otp_audit_set_origin(&ev, "sshd", "192.0.2.1", NULL);
		ev.seq = OTP_AUDIT_SEQ_SUMMARY + next() % OTP_FLOOD_SLOTS;
		rc = otp_audit_write_at(txn, &ev);
	}
	return rc == OTP_OK ? otp_txn_commit(txn) : (otp_txn_abort(txn), rc);
}

int main(int argc, char **argv)
{
	struct otp_config cfg;
	struct otp_store *st = NULL;
	unsigned long n;
	uint64_t days, now = otp_now();
	int rc;

	if (argc != 4 || (n = strtoul(argv[2], NULL, 10)) == 0 ||
	    otp_parse_u64(argv[3], 0, 3650, &days) != OTP_OK) {
		fprintf(stderr, "usage: audit_gen CONF N DAYS\n");
		return 1;
	}
	rc = otp_config_load(argv[1], NULL, 0, &cfg);
	if (rc == OTP_OK)
		rc = otp_store_open(cfg.store, cfg.map_size_mb, 0, &st);
	for (unsigned long i = 0; rc == OTP_OK && i < n; i += BATCH)
		rc = batch(st, i, i + BATCH < n ? i + BATCH : n, n, now - days * 86400, days * 86400);
	if (rc == OTP_OK && days > 0)
		rc = summaries(st, now);
	otp_store_close(st);
	if (rc != OTP_OK)
		fprintf(stderr, "audit_gen: %s\n", otp_errdetail());
	return rc == OTP_OK ? 0 : 2;
}
