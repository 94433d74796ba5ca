/*
 * The storage interface itself (store.h), as the rules and a second
 * engine rely on it: the engine switch, walks (order, early stop, records
 * that do not decode), a walk that rewrites what it visits, audit
 * positions and numbering, counts and commits, backup and replace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "auth.h"
#include "devices.h"
#include "err.h"
#include "hosts.h"
#include "recovery.h"
#include "store.h"
#include "store_lmdb_codec.h"

#include "store_fixture.h"

#define T0 1700000000ull

struct fx {
	char dir[64], path[96];
	struct otp_store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fx_open(f->dir, "/tmp/otp-iface-XXXXXX", NULL, &f->st);
	snprintf(f->path, sizeof(f->path), "%s/store", f->dir);
	*state = f;
	return 0;
}

FX_TEARDOWN(teardown)

static struct otp_txn *begin(struct otp_store *st, int write)
{
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_txn_begin(st, write, &txn), OTP_OK);
	return txn;
}

static void put_user(struct otp_txn *txn, const char *user)
{
	struct otp_user_rec u;

	memset(&u, 0, sizeof(u));
	u.created = T0;
	u.next_device = 1;
	assert_int_equal(otp_user_save(txn, user, &u), OTP_OK);
}

static void put_device(struct otp_txn *txn, const char *user, uint32_t id)
{
	struct otp_device_rec d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	snprintf(d.name, sizeof(d.name), "d%u", id);
	d.type = OTP_HOTP;
	d.digits = 6;
	d.state = OTP_ACTIVE;
	d.sealed_len = 4;
	memcpy(d.sealed, "abcd", 4);
	assert_int_equal(otp_device_save(txn, user, &d), OTP_OK);
}

/* A PostgreSQL spec is told apart from a directory; a password in it is
 * refused before anything is sent, and never echoed. */
static void postgresql_spec_password_refused(void **state)
{
	static const char *const specs[] = {
		"postgresql://otp:hunter2@db1,db2/pam_otp?target_session_attrs=read-write",
		"postgres://db1/pam_otp?password=hunter2", "host=db1 dbname=pam_otp password=hunter2",
		" dbname = pam_otp password = hunter2",
	};
	struct otp_store *st = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		otp_clearerr();
		assert_true(otp_store_is_postgresql(specs[i]));
		assert_int_equal(otp_store_open(specs[i], 16, 0, &st), OTP_ECONFIG);
		assert_non_null(strstr(otp_errdetail(), "password in the conninfo is refused"));
		assert_null(strstr(otp_errdetail(), "hunter2"));
		assert_null(st);
	}
	assert_false(otp_store_is_postgresql("/var/lib/pam_otp"));
}

/* A server that is not there: refused at once, the detail names it. */
static void postgresql_server_missing(void **state)
{
	struct otp_store *st = NULL;

	(void)state;
	otp_clearerr();
	assert_int_equal(otp_store_open("host=/nonexistent-otp-dir dbname=otp", 16, 0, &st),
			 OTP_ESTORE);
	assert_non_null(strstr(otp_errdetail(), "PostgreSQL /nonexistent-otp-dir:5432/otp: "));
	assert_null(st);
}

struct names { char seen[8][16]; unsigned n, stop_at; };

static int name_one(const char *user, const struct otp_user_rec *u, void *arg)
{
	struct names *nm = arg;

	assert_int_equal(u->created, T0);
	snprintf(nm->seen[nm->n++], sizeof(nm->seen[0]), "%s", user);
	return nm->n == nm->stop_at ? OTP_EACH_STOP : OTP_OK;
}

static int fail_one(const char *user, const struct otp_user_rec *u, void *arg)
{
	(void)user;
	(void)u;
	(void)arg;
	return OTP_EIO;
}

static void user_walk_in_name_order(void **state)
{
	struct fx *f = *state;
	struct names nm;
	struct otp_txn *txn = begin(f->st, 1);

	put_user(txn, "carol");
	put_user(txn, "alice");
	put_user(txn, "bob");
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	txn = begin(f->st, 0);
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(otp_user_each(txn, name_one, &nm), OTP_OK);
	assert_int_equal(nm.n, 3);
	assert_string_equal(nm.seen[0], "alice");
	assert_string_equal(nm.seen[2], "carol");
	memset(&nm, 0, sizeof(nm));
	nm.stop_at = 2;  /* OTP_EACH_STOP: an early end, not an error */
	assert_int_equal(otp_user_each(txn, name_one, &nm), OTP_OK);
	assert_int_equal(nm.n, 2);
	assert_int_equal(otp_user_each(txn, fail_one, NULL), OTP_EIO);
	otp_txn_abort(txn);
	txn = begin(f->st, 1);
	assert_int_equal(otp_user_delete(txn, "bob"), OTP_OK);
	assert_int_equal(otp_user_delete(txn, "bob"), OTP_ENOTFOUND);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

struct rename { char order[8][24]; unsigned n; struct otp_txn *txn; };

/* As rekey does: rewrite each device from inside the walk. */
static int rename_one(const char *user, struct otp_device_rec *d, void *arg)
{
	struct rename *r = arg;

	assert_non_null(d);
	snprintf(r->order[r->n++], sizeof(r->order[0]), "%s/%u", user, d->id);
	snprintf(d->name, sizeof(d->name), "new%u", d->id);
	return otp_device_save(r->txn, user, d);
}

static void device_walk_may_rewrite(void **state)
{
	struct fx *f = *state;
	struct otp_device_rec devs[OTP_DEVICES_MAX];
	struct rename r;
	unsigned n = 0;
	struct otp_txn *txn = begin(f->st, 1);

	put_device(txn, "bob", 2);
	put_device(txn, "alice", 7);
	put_device(txn, "bob", 1);
	put_device(txn, "al", 300);  /* "al" NUL sorts before "alice" */
	memset(&r, 0, sizeof(r));
	r.txn = txn;
	assert_int_equal(otp_device_each(txn, rename_one, &r), OTP_OK);
	assert_int_equal(r.n, 4);  /* each once, in (user, id) order */
	assert_string_equal(r.order[0], "al/300");
	assert_string_equal(r.order[1], "alice/7");
	assert_string_equal(r.order[2], "bob/1");
	assert_string_equal(r.order[3], "bob/2");
	assert_int_equal(otp_device_list(txn, "bob", devs, &n), OTP_OK);
	assert_int_equal(n, 2);
	assert_string_equal(devs[0].name, "new1");
	assert_string_equal(devs[1].name, "new2");
	assert_int_equal(otp_device_delete_all(txn, "bob", &n), OTP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(otp_device_list(txn, "bob", devs, &n), OTP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

struct seen { uint64_t time[8]; uint32_t seq[8]; unsigned n, bad; };

static int seen_one(const struct otp_audit_ev *ev, void *arg)
{
	struct seen *s = arg;

	if (ev == NULL) {
		s->bad++;
		return OTP_OK;
	}
	s->time[s->n] = ev->time;
	s->seq[s->n++] = ev->seq;
	return OTP_OK;
}

static void audit_positions_and_numbers(void **state)
{
	struct fx *f = *state;
	struct otp_audit_ev ev;
	struct seen s;
	struct otp_txn *txn = begin(f->st, 1);
	uint8_t key[OTP_AUDIT_KEY_LEN];

	for (int i = 0; i < 3; i++) {
		otp_audit_set(&ev, i < 2 ? T0 : T0 + 1, "verify", "kim", NULL, NULL);
		assert_int_equal(otp_audit_insert(txn, &ev), OTP_OK);
	}
	assert_int_equal(ev.seq, 0);
	otp_audit_set(&ev, T0, "auth_failure", "(unknown)", NULL, "1");
	ev.seq = OTP_AUDIT_SEQ_SUMMARY + 5;  /* a summary slot sorts after the second's records */
	assert_int_equal(otp_audit_write_at(txn, &ev), OTP_OK);
	otp_audit_set(&ev, T0, "verify", "kim", NULL, NULL);
	assert_int_equal(otp_audit_insert(txn, &ev), OTP_OK);
	assert_int_equal(ev.seq, 2);  /* numbered below the slots */
	otp_key_audit(T0 + 2, 0, key);
	assert_int_equal(otp_store_raw_put(txn, OTP_KIND_AUDIT, key, sizeof(key), "\x09", 1), OTP_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(otp_audit_each(txn, T0, 1, 0, seen_one, &s), OTP_OK);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.seq[0], 1);
	assert_int_equal(s.seq[2], OTP_AUDIT_SEQ_SUMMARY + 5);
	assert_int_equal(s.time[3], T0 + 1);
	assert_int_equal(s.bad, 1);  /* passed as NULL, the walk goes on */
	memset(&s, 0, sizeof(s));
	assert_int_equal(otp_audit_each(txn, T0, 2, 1, seen_one, &s), OTP_OK);
	assert_int_equal(s.n, 3);  /* backward from (T0, 2) */
	assert_int_equal(s.seq[0], 2);
	assert_int_equal(s.seq[2], 0);
	assert_int_equal(otp_audit_get_at(txn, T0, OTP_AUDIT_SEQ_SUMMARY + 5, &ev), OTP_OK);
	assert_string_equal(ev.detail, "1");
	assert_int_equal(otp_audit_get_at(txn, T0, 9, &ev), OTP_ENOTFOUND);
	assert_int_equal(otp_audit_prune(txn, T0 + 1, 2), OTP_OK);  /* at most 2 go */
	memset(&s, 0, sizeof(s));
	assert_int_equal(otp_audit_each(txn, 0, 0, 0, seen_one, &s), OTP_OK);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seq[0], 2);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

static int host_is(const char *host, const struct otp_host_rec *h, void *arg)
{
	(void)host;
	return h != NULL && h->device == *(const uint32_t *)arg;
}

static void hosts_and_undecodable_records(void **state)
{
	struct fx *f = *state;
	struct otp_host_rec h = { T0 + 60, T0, 1 };
	struct otp_host_entry list[4];
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	unsigned n = 0, left = 0;
	uint32_t one = 1;
	struct otp_txn *txn = begin(f->st, 1);

	assert_int_equal(otp_host_save(txn, "ann", "192.0.2.2", &h), OTP_OK);
	h.device = 2;
	assert_int_equal(otp_host_save(txn, "ann", "192.0.2.1", &h), OTP_OK);
	assert_int_equal(otp_host_delete_if(txn, "ann", host_is, &one, &n), OTP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(otp_host_get(txn, "ann", "192.0.2.2", &h), OTP_ENOTFOUND);
	assert_int_equal(otp_host_get(txn, "ann", "192.0.2.1", &h), OTP_OK);
	assert_int_equal(h.device, 2);
	/* records a rule never writes: the walk hands them over as NULL, the
	 * rules refuse them */
	assert_int_equal(otp_key_host("ann", "192.0.2.9", key, &kl), OTP_OK);
	assert_int_equal(otp_store_raw_put(txn, OTP_KIND_HOSTS, key, kl, "\x07", 1), OTP_OK);
	assert_int_equal(otp_key_sub("ann", 1, key, &kl), OTP_OK);
	assert_int_equal(otp_store_raw_put(txn, OTP_KIND_RECOVERY, key, kl, "\x01", 1), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_host_list(f->st, "ann", list, 4, &n), OTP_ECORRUPT);
	assert_int_equal(otp_recovery_count(f->st, "ann", &left, NULL), OTP_ECORRUPT);
	txn = begin(f->st, 1);
	assert_int_equal(otp_host_delete_if(txn, "ann", NULL, NULL, &n), OTP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(otp_recovery_delete_all(txn, "ann", &n), OTP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_host_list(f->st, "ann", list, 4, &n), OTP_OK);
	assert_int_equal(n, 0);
}

static void meta_values(void **state)
{
	struct fx *f = *state;
	uint8_t big[OTP_META_VALUE_MAX + 1], out[4];
	size_t n = 0;
	struct otp_txn *txn = begin(f->st, 1);

	memset(big, 'x', sizeof(big));
	assert_int_equal(otp_meta_put(txn, "k", big, 10), OTP_OK);
	assert_int_equal(otp_meta_get(txn, "k", out, sizeof(out), &n), OTP_OK);
	assert_int_equal(n, 10);  /* the whole length, whatever fits */
	assert_memory_equal(out, "xxxx", 4);
	assert_int_equal(otp_meta_put(txn, "k", big, sizeof(big)), OTP_EINVAL);
	assert_int_equal(otp_meta_put(txn, "", big, 1), OTP_EINVAL);
	assert_int_equal(otp_meta_get(txn, "none", out, sizeof(out), &n), OTP_ENOTFOUND);
	assert_int_equal(otp_store_raw_put(txn, OTP_KIND_META, "none", 4, NULL, 0), OTP_ENOTFOUND);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

static struct otp_store_stats stats_of(struct otp_store *st)
{
	struct otp_store_stats s;
	struct otp_txn *txn = begin(st, 0);

	assert_int_equal(otp_store_stats(txn, &s), OTP_OK);
	otp_txn_abort(txn);
	return s;
}

/* One write transaction, one commit; a read transaction or an aborted
 * write none. Two readers at once are fine. */
static void counts_and_commits(void **state)
{
	struct fx *f = *state;
	struct otp_store_stats a, b;
	struct otp_audit_ev ev;
	struct otp_txn *r1, *r2, *txn;

	a = stats_of(f->st);
	assert_int_equal(a.users + a.devices + a.recovery + a.hosts + a.audit, 0);
	assert_int_equal(a.bytes_max, 16u << 20);
	assert_true(a.bytes_used > 0 && a.bytes_used < a.bytes_max);
	txn = begin(f->st, 1);
	put_user(txn, "dan");
	put_device(txn, "dan", 1);
	put_device(txn, "dan", 2);
	otp_audit_set(&ev, T0, "enroll", "dan", NULL, NULL);
	assert_int_equal(otp_audit_append(txn, &ev, 365), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	txn = begin(f->st, 1);
	put_user(txn, "eve");
	otp_txn_abort(txn);
	r1 = begin(f->st, 0);
	r2 = begin(f->st, 0);
	assert_int_equal(otp_store_stats(r1, &b), OTP_OK);
	otp_txn_abort(r1);
	assert_int_equal(otp_store_stats(r2, &a), OTP_OK);
	otp_txn_abort(r2);
	assert_int_equal(a.commits, b.commits);
	assert_int_equal(b.users, 1);
	assert_int_equal(b.devices, 2);
	assert_int_equal(b.audit, 1);
	assert_int_equal(b.commits, stats_of(f->st).commits);
	txn = begin(f->st, 1);
	put_user(txn, "eve");
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(stats_of(f->st).commits, b.commits + 1);
}

/* A backup read back: every record copied, the target's own gone. */
static void backup_and_replace(void **state)
{
	struct fx *f = *state;
	struct otp_store *other = NULL, *bk = NULL;
	struct otp_user_rec u;
	struct otp_txn *txn, *rtxn;
	char path[128], other_path[128];
	unsigned long records = 0;
	int fd;

	txn = begin(f->st, 1);
	put_user(txn, "fay");
	put_device(txn, "fay", 3);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	snprintf(path, sizeof(path), "%s/backup", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(otp_store_backup(f->st, fd), OTP_OK);
	close(fd);
	snprintf(other_path, sizeof(other_path), "%s/other", f->dir);
	assert_int_equal(otp_store_open(other_path, 16, OTP_STORE_CREATE, &other), OTP_OK);
	txn = begin(other, 1);
	put_user(txn, "gil");
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_store_open_backup(path, &bk), OTP_OK);
	assert_int_equal(otp_txn_begin(bk, 1, &txn), OTP_ESTORE);  /* read only */
	rtxn = begin(bk, 0);
	txn = begin(other, 1);
	assert_int_equal(otp_store_replace(txn, rtxn, &records), OTP_OK);
	assert_int_equal(records, 1 + 1 + 1);  /* user, device, meta schema */
	assert_int_equal(otp_user_load(txn, "fay", &u), OTP_OK);
	assert_int_equal(otp_user_load(txn, "gil", &u), OTP_ENOTFOUND);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	otp_txn_abort(rtxn);
	otp_store_close(bk);
	otp_store_close(other);
	/* the store itself is no backup file */
	assert_int_equal(otp_store_open_backup(f->path, &bk), OTP_EPERM);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postgresql_spec_password_refused),
		cmocka_unit_test(postgresql_server_missing),
		T(user_walk_in_name_order),
		T(device_walk_may_rewrite),
		T(audit_positions_and_numbers),
		T(hosts_and_undecodable_records),
		T(meta_values),
		T(counts_and_commits),
		T(backup_and_replace),
	};

	return cmocka_run_group_tests_name("store interface", tests, NULL, NULL);
}
