/*
 * otp_migrate (migrate.h): every field of every record kind arrives as it
 * was, audit records at their own (time, seq) (summaries included), the
 * key check value too; a target too small is grown and the copy redone;
 * a target with records, the source itself, another key, records that do
 * not decode and records the walks cannot reach are refused with the
 * target left as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "err.h"
#include "keycheck.h"
#include "migrate.h"
#include "restore.h"
#include "store.h"
#include "store_lmdb_codec.h"

#define T0 1700000000ull

struct fx {
	char dir[64], src[96], dst[96];
	struct otp_seal_key key;
	struct otp_config cfg;
	struct otp_login who;
	struct otp_store_opts opts;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct otp_store *st = NULL;
	struct otp_txn *txn = NULL;

	strcpy(f->dir, "/tmp/otp-migrate-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->src, sizeof(f->src), "%s/src", f->dir);
	snprintf(f->dst, sizeof(f->dst), "%s/dst", f->dir);
	memset(f->key.k, 0x5a, sizeof(f->key.k));
	otp_config_defaults(&f->cfg);
	f->cfg.audit_syslog = 0;
	f->who.user = "";
	f->who.service = "otpctl";
	f->who.now = T0 + 1000;
	f->who.host = "test-host";
	f->who.actor = "loginuid=0(root)";
	f->opts.map_mb = 16;
	f->opts.timeout = 5;
	assert_int_equal(otp_store_open(f->src, 16, OTP_STORE_CREATE, &st), OTP_OK);
	assert_int_equal(otp_txn_begin(st, 1, &txn), OTP_OK);
	assert_int_equal(otp_store_key_record(txn, &f->key), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	otp_store_close(st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Run fn(txn, arg) in one write transaction of the store at path. */
static void write_to(const char *path, void (*fn)(struct otp_txn *txn, void *arg), void *arg)
{
	struct otp_store *st = NULL;
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_store_open(path, 16, OTP_STORE_CREATE, &st), OTP_OK);
	assert_int_equal(otp_txn_begin(st, 1, &txn), OTP_OK);
	fn(txn, arg);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	otp_store_close(st);
}

static struct otp_user_rec user_rec(uint32_t failures)
{
	struct otp_user_rec u;

	memset(&u, 0, sizeof(u));
	u.failures = failures;
	u.first_fail = T0 + 5;
	u.locked_until = OTP_LOCKED_FOREVER;
	u.created = T0;
	u.last_login = T0 + 7;
	u.next_device = 3;
	return u;
}

static struct otp_device_rec device_rec(uint32_t id)
{
	struct otp_device_rec d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	snprintf(d.name, sizeof(d.name), "token %u", id);
	d.type = OTP_HOTP;
	d.alg = OTP_ALG_SHA256;
	d.digits = 8;
	d.state = OTP_PENDING;
	d.period = 60;
	d.counter = 12345 + id;
	d.last_step = 99999;
	d.drift = -7;
	d.created = T0 + 1;
	d.last_used = T0 + 2;
	d.sealed_len = 40;
	memset(d.sealed, (int)id, d.sealed_len);
	return d;
}

static struct otp_recovery_rec recovery_rec(uint32_t n)
{
	struct otp_recovery_rec r;

	memset(&r, 0, sizeof(r));
	memset(r.salt, 0x11, sizeof(r.salt));
	memset(r.hash, (int)n, sizeof(r.hash));
	r.log2n = 14;
	r.r = 8;
	r.p = 1;
	r.used = n == 2 ? T0 + 9 : 0;
	return r;
}

static void plant_everything(struct otp_txn *txn, void *arg)
{
	static const char *const users[] = { "alice", "bob" };
	struct otp_host_rec h = { T0 + 3600, T0 + 10, 1 };
	struct otp_audit_ev ev;
	struct otp_user_rec u;
	struct otp_device_rec d;
	struct otp_recovery_rec r;

	(void)arg;
	for (int i = 0; i < 2; i++) {
		u = user_rec((uint32_t)i + 2);
		assert_int_equal(otp_user_save(txn, users[i], &u), OTP_OK);
		for (uint32_t id = 1; id <= 2; id++) {
			d = device_rec(id);
			assert_int_equal(otp_device_save(txn, users[i], &d), OTP_OK);
		}
		for (uint32_t n = 1; n <= 3; n++) {
			r = recovery_rec(n);
			assert_int_equal(otp_recovery_put(txn, users[i], n, &r), OTP_OK);
		}
		assert_int_equal(otp_host_save(txn, users[i], "192.0.2.7", &h), OTP_OK);
	}
	/* an old record and a summary record: both keep their (time, seq) */
	otp_audit_set(&ev, T0 - 86400 * 1000, "auth_failure", "alice", NULL, "code");
	ev.seq = 4;
	assert_int_equal(otp_audit_write_at(txn, &ev), OTP_OK);
	otp_audit_set(&ev, T0, "auth_failure", "nobody", NULL, "12 failures");
	ev.seq = OTP_AUDIT_SEQ_SUMMARY + 1;
	assert_int_equal(otp_audit_write_at(txn, &ev), OTP_OK);
}

static int migrate(struct fx *f, const char *from, const char *to, int flags,
		   struct otp_migrate_result *res)
{
	otp_clearerr();
	return otp_migrate(from, to, &f->opts, &f->key, &f->cfg, &f->who, flags, res);
}

static struct otp_store_stats counts_of(const char *path)
{
	struct otp_store_stats s;
	struct otp_store *st = NULL;
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_store_open(path, 16, 0, &st), OTP_OK);
	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_int_equal(otp_store_stats(txn, &s), OTP_OK);
	otp_txn_abort(txn);
	otp_store_close(st);
	return s;
}

static void assert_same_device(const struct otp_device_rec *a, const struct otp_device_rec *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->alg, b->alg);
	assert_int_equal(a->digits, b->digits);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->period, b->period);
	assert_int_equal(a->counter, b->counter);
	assert_int_equal(a->last_step, b->last_step);
	assert_int_equal(a->drift, b->drift);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->last_used, b->last_used);
	assert_int_equal(a->sealed_len, b->sealed_len);
	assert_memory_equal(a->sealed, b->sealed, a->sealed_len);
}

static void assert_users_kept(struct otp_txn *txn)
{
	struct otp_user_rec u, want = user_rec(3);

	assert_int_equal(otp_user_load(txn, "bob", &u), OTP_OK);
	assert_int_equal(u.failures, want.failures);
	assert_int_equal(u.first_fail, want.first_fail);
	assert_int_equal(u.locked_until, OTP_LOCKED_FOREVER);
	assert_int_equal(u.created, want.created);
	assert_int_equal(u.last_login, want.last_login);
	assert_int_equal(u.next_device, want.next_device);
}

static int check_recovery(uint32_t n, const struct otp_recovery_rec *r, void *arg)
{
	struct otp_recovery_rec want = recovery_rec(n);

	assert_non_null(r);
	assert_memory_equal(r->salt, want.salt, sizeof(want.salt));
	assert_memory_equal(r->hash, want.hash, sizeof(want.hash));
	assert_int_equal(r->log2n, 14);
	assert_int_equal(r->used, want.used);
	(*(unsigned *)arg)++;
	return OTP_OK;
}

static void assert_records_kept(struct otp_txn *txn)
{
	struct otp_device_rec d, want = device_rec(2);
	struct otp_host_rec h;
	struct otp_audit_ev ev;
	uint8_t kcv[OTP_META_VALUE_MAX];
	size_t len = 0;
	unsigned codes = 0;

	assert_users_kept(txn);
	assert_int_equal(otp_device_load(txn, "alice", 2, &d), OTP_OK);
	assert_same_device(&d, &want);
	assert_int_equal(otp_recovery_each(txn, "bob", check_recovery, &codes), OTP_OK);
	assert_int_equal(codes, 3);
	assert_int_equal(otp_host_get(txn, "bob", "192.0.2.7", &h), OTP_OK);
	assert_int_equal(h.until, T0 + 3600);
	assert_int_equal(h.created, T0 + 10);
	assert_int_equal(h.device, 1);
	assert_int_equal(otp_audit_get_at(txn, T0 - 86400 * 1000, 4, &ev), OTP_OK);
	assert_string_equal(ev.event, "auth_failure");
	assert_int_equal(otp_audit_get_at(txn, T0, OTP_AUDIT_SEQ_SUMMARY + 1, &ev), OTP_OK);
	assert_string_equal(ev.detail, "12 failures");
	assert_int_equal(otp_meta_get(txn, OTP_KEYCHECK_META, kcv, sizeof(kcv), &len), OTP_OK);
	assert_int_equal(otp_store_key_check_txn(txn, &(struct otp_seal_key){ { 0 } }, 0),
			 OTP_EKEY);
}

static int find_migrate(const struct otp_audit_ev *ev, void *arg)
{
	if (strcmp(ev->event, "migrate") != 0)
		return OTP_OK;
	*(struct otp_audit_ev *)arg = *ev;
	return OTP_EACH_STOP;
}

/* Every field of every kind, the trail at its places, the migrate record. */
static void copies_every_record(void **state)
{
	struct fx *f = *state;
	struct otp_migrate_result res;
	struct otp_store *st = NULL;
	struct otp_txn *txn = NULL;
	struct otp_audit_ev ev;

	write_to(f->src, plant_everything, NULL);
	assert_int_equal(migrate(f, f->src, f->dst, 0, &res), OTP_OK);
	assert_string_equal(res.source_engine, "lmdb");
	assert_int_equal(res.source.users, 2);
	assert_int_equal(res.source.devices, 4);
	assert_int_equal(res.source.recovery, 6);
	assert_int_equal(res.source.hosts, 2);
	assert_int_equal(res.source.audit, 2);
	assert_int_equal(res.target.devices, 4);
	assert_int_equal(res.target.audit, 3);  /* and the migrate record, nothing pruned */
	assert_int_equal(otp_store_open(f->dst, 16, 0, &st), OTP_OK);
	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_records_kept(txn);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(otp_audit_each(txn, 0, 0, 0, find_migrate, &ev), OTP_OK);
	assert_string_equal(ev.actor, "loginuid=0(root)");
	assert_string_equal(ev.host, "test-host");
	assert_non_null(strstr(ev.detail, "from lmdb "));
	assert_non_null(strstr(ev.detail, "2 users, 4 devices, 6 recovery codes, 2 remembered "
				       "hosts, 2 audit records, 0 corrupt left behind"));
	otp_txn_abort(txn);
	otp_store_close(st);
}

static void plant_many(struct otp_txn *txn, void *arg)
{
	struct otp_user_rec u = user_rec(0);
	struct otp_audit_ev ev;
	char user[32];

	(void)arg;
	/* about 3 MiB: three doublings of a 1 MiB map */
	for (uint32_t i = 0; i < 1200; i++) {
		otp_audit_set(&ev, T0 + i, "verify", NULL, NULL, NULL);
		memset(ev.detail, 'x', OTP_AUDIT_FIELD_MAX);
		memset(ev.rhost, 'y', OTP_AUDIT_FIELD_MAX);
		memset(ev.service, 'z', OTP_AUDIT_FIELD_MAX);
		memset(ev.tty, 'w', OTP_AUDIT_FIELD_MAX);
		memset(ev.host, 'v', OTP_AUDIT_FIELD_MAX);
		memset(ev.actor, 'u', OTP_AUDIT_FIELD_MAX);
		ev.seq = 0;
		assert_int_equal(otp_audit_write_at(txn, &ev), OTP_OK);
		snprintf(user, sizeof(user), "user%04u", i);
		assert_int_equal(otp_user_save(txn, user, &u), OTP_OK);
	}
}

/* A target whose map cannot hold the copy: grown, the copy redone whole. */
static void grows_a_small_target(void **state)
{
	struct fx *f = *state;
	struct otp_migrate_result res;
	struct otp_store_stats s;

	write_to(f->src, plant_many, NULL);
	f->opts.map_mb = 1;
	assert_int_equal(migrate(f, f->src, f->dst, 0, &res), OTP_OK);
	s = counts_of(f->dst);
	assert_int_equal(s.users, 1200);
	assert_int_equal(s.audit, 1201);
	assert_true(s.bytes_max > 1024 * 1024);
	assert_int_equal(s.commits, 2);  /* its schema and the copy: attempts that ran out
					  * of room committed nothing */
}

/* otp_store_restore into a store whose map cannot hold the backup: the
 * map is grown (the backup's read transaction ended first) and the
 * restore redone, as migrate does. */
static void restore_grows_a_small_store(void **state)
{
	struct fx *f = *state;
	struct otp_store *st = NULL;
	struct otp_store_stats s;
	unsigned long records = 0;
	char bk[128];
	int fd;

	write_to(f->src, plant_many, NULL);
	snprintf(bk, sizeof(bk), "%s/backup", f->dir);
	assert_int_equal(otp_store_open(f->src, 16, 0, &st), OTP_OK);
	fd = open(bk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(otp_store_backup(st, fd), OTP_OK);
	assert_int_equal(close(fd), 0);
	otp_store_close(st);
	assert_int_equal(otp_store_open(f->dst, 1, OTP_STORE_CREATE, &st), OTP_OK);
	assert_int_equal(otp_store_restore(st, bk, &f->key, &f->cfg, &f->who, 0, &records),
			 OTP_OK);
	otp_store_close(st);
	s = counts_of(f->dst);
	assert_int_equal(s.users, 1200);
	assert_true(s.bytes_max > 1024 * 1024);
}

static void plant_user(struct otp_txn *txn, void *arg)
{
	struct otp_user_rec u = user_rec(0);

	assert_int_equal(otp_user_save(txn, arg, &u), OTP_OK);
}

static void refuses_a_target_with_records(void **state)
{
	struct fx *f = *state;
	struct otp_migrate_result res;

	write_to(f->src, plant_everything, NULL);
	write_to(f->dst, plant_user, "zed");
	assert_int_equal(migrate(f, f->src, f->dst, 0, &res), OTP_EEXIST);
	assert_non_null(strstr(otp_errdetail(), "is not empty (1 users, 0 devices"));
	assert_int_equal(counts_of(f->dst).users, 1);
	assert_int_equal(counts_of(f->dst).audit, 0);
}

static void refuses_the_source_itself(void **state)
{
	struct fx *f = *state;
	struct otp_migrate_result res;
	char again[128];

	write_to(f->src, plant_everything, NULL);
	snprintf(again, sizeof(again), "%s/../src/", f->src);  /* however spelt */
	assert_int_equal(migrate(f, f->src, again, 0, &res), OTP_EINVAL);
	assert_non_null(strstr(otp_errdetail(), "the target is the source store"));
	assert_int_equal(counts_of(f->src).audit, 2);
}

static void refuses_another_key(void **state)
{
	struct fx *f = *state;
	struct otp_migrate_result res;

	write_to(f->src, plant_everything, NULL);
	f->key.k[0] ^= 1;
	assert_int_equal(migrate(f, f->src, f->dst, 0, &res), OTP_EKEY);
	assert_non_null(strstr(otp_errdetail(), "seal key does not match this store"));
	assert_int_equal(otp_store_identify(f->dst, (char[OTP_STORE_ID_MAX]){ 0 },
					    OTP_STORE_ID_MAX), OTP_ENOTFOUND);
}

/* A recovery code whose value does not decode, as a damaged store holds. */
static void plant_bad_recovery(struct otp_txn *txn, void *arg)
{
	uint8_t key[OTP_KEY_MAX];
	size_t kl = 0;

	(void)arg;
	assert_int_equal(otp_key_sub("bob", 7, key, &kl), OTP_OK);
	assert_int_equal(otp_store_raw_put(txn, OTP_KIND_RECOVERY, key, kl, "\x01\x02", 2), OTP_OK);
}

static void corrupt_records_refused_or_skipped(void **state)
{
	struct fx *f = *state;
	struct otp_migrate_result res;

	write_to(f->src, plant_everything, NULL);
	write_to(f->src, plant_bad_recovery, NULL);
	assert_int_equal(migrate(f, f->src, f->dst, 0, &res), OTP_ECORRUPT);
	assert_non_null(strstr(otp_errdetail(), "recovery code 7 of user 'bob' does not decode"));
	assert_int_equal(counts_of(f->dst).users, 0);
	assert_int_equal(migrate(f, f->src, f->dst, OTP_MIGRATE_SKIP_CORRUPT, &res), OTP_OK);
	assert_int_equal(res.skipped.recovery, 1);
	assert_int_equal(res.source.recovery, 7);
	assert_int_equal(res.target.recovery, 6);
}

/* A recovery code of a name with neither user nor device record: no walk
 * reaches it, so the count check refuses rather than lose it quietly. */
static void plant_orphan(struct otp_txn *txn, void *arg)
{
	struct otp_recovery_rec r = recovery_rec(1);

	(void)arg;
	assert_int_equal(otp_recovery_put(txn, "ghost", 1, &r), OTP_OK);
}

static void unreachable_records_fail_the_count(void **state)
{
	struct fx *f = *state;
	struct otp_migrate_result res;

	write_to(f->src, plant_everything, NULL);
	write_to(f->src, plant_orphan, NULL);
	assert_int_equal(migrate(f, f->src, f->dst, 0, &res), OTP_ESTORE);
	assert_non_null(strstr(otp_errdetail(), "after the copy the target holds 2 users, 4 "
				       "devices, 6 recovery codes"));
	assert_non_null(strstr(otp_errdetail(), "nothing migrated"));
	assert_int_equal(counts_of(f->dst).users, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(copies_every_record, setup, teardown),
		cmocka_unit_test_setup_teardown(grows_a_small_target, setup, teardown),
		cmocka_unit_test_setup_teardown(restore_grows_a_small_store, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_target_with_records, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_the_source_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_another_key, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_records_refused_or_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(unreachable_records_fail_the_count, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
