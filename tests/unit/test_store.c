/*
 * The store and the login transactions at library level, with the clock
 * passed in: sealing, enrollment, replay, counters, lockout, recovery
 * codes, remembered hosts, the audit trail and schema checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "auth.h"
#include "devices.h"
#include "err.h"
#include "hosts.h"
#include "recovery.h"
#include "seal.h"
#include "store_lmdb_codec.h"
#include "util.h"

#include "store_fixture.h"

static const uint8_t rfc_key[] = "12345678901234567890";
#define T0 1700000000ull  /* a fixed "now" */

struct fx {
	char dir[64], store[96], keypath[96];
	struct otp_config cfg;
	struct otp_seal_key key;
	struct otp_store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fx_open(f->dir, "/tmp/otp-store-XXXXXX", &f->cfg, &f->st);
	snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	snprintf(f->keypath, sizeof(f->keypath), "%s/seal.key", f->dir);
	f->cfg.lockout.deny = 3;
	f->cfg.lockout.fail_interval = 600;
	f->cfg.lockout.unlock_time = 300;
	fx_seal_key(f->dir, "seal.key", &f->key);
	*state = f;
	return 0;
}

FX_TEARDOWN(teardown)

static struct otp_login who_at(const char *user, uint64_t now)
{
	struct otp_login w = fx_login(user, "test", now);

	w.rhost = "192.0.2.10";
	return w;
}

static uint32_t enroll_with(struct fx *f, const char *user, enum otp_dev_type type, int active,
			    const uint8_t *secret)
{
	struct otp_enroll_req req;
	struct otp_device_rec d;
	struct otp_login w = who_at(user, T0);

	memset(&req, 0, sizeof(req));
	req.type = type;
	req.alg = OTP_ALG_SHA1;
	req.digits = 6;
	req.period = 30;
	req.active = active;
	assert_int_equal(otp_enroll(f->st, &f->key, &f->cfg, &w, &req, secret, 20, &d), OTP_OK);
	return d.id;
}

static uint32_t enroll(struct fx *f, const char *user, enum otp_dev_type type, int active)
{
	return enroll_with(f, user, type, active, rfc_key);
}

static void code_at(uint64_t counter, char *code)
{
	assert_int_equal(otp_hotp(rfc_key, 20, OTP_ALG_SHA1, counter, 6, code), OTP_OK);
}

static int login(struct fx *f, const char *user, uint64_t now, const char *code)
{
	struct otp_auth_result res;
	struct otp_login w = who_at(user, now);
	int rc = otp_auth_charge(f->st, &f->cfg, &w, &res);

	if (rc == OTP_ELOCKED)  /* as the module: refused after the prompts, audited */
		return otp_auth_refuse_locked(f->st, &f->cfg, &w);
	if (rc != OTP_OK)
		return rc;
	rc = otp_auth_code(f->st, &f->key, &f->cfg, &w, code, 0, &res);
	if (rc != OTP_OK)
		otp_auth_failed(f->st, &f->cfg, &w, "auth_failure", "code");
	return rc;
}

static void seal_binds_user_and_device(void **state)
{
	struct fx *f = *state;
	uint8_t sealed[OTP_SEALED_MAX], out[OTP_SECRET_MAX];
	struct otp_seal_key other;
	size_t n, m;

	assert_int_equal(otp_seal(&f->key, "alice", 1, rfc_key, 20, sealed, sizeof(sealed), &n),
			 OTP_OK);
	assert_int_equal(n, 20 + OTP_SEAL_OVERHEAD);
	assert_int_equal(otp_unseal(&f->key, "alice", 1, sealed, n, out, sizeof(out), &m), OTP_OK);
	assert_int_equal(m, 20);
	assert_memory_equal(out, rfc_key, 20);
	assert_int_equal(otp_unseal(&f->key, "alice", 2, sealed, n, out, sizeof(out), &m),
			 OTP_ECRYPTO);
	assert_int_equal(otp_unseal(&f->key, "alicf", 1, sealed, n, out, sizeof(out), &m),
			 OTP_ECRYPTO);
	memset(&other, 7, sizeof(other));
	assert_int_equal(otp_unseal(&other, "alice", 1, sealed, n, out, sizeof(out), &m),
			 OTP_ECRYPTO);
	sealed[n - 1] ^= 1;
	assert_int_equal(otp_unseal(&f->key, "alice", 1, sealed, n, out, sizeof(out), &m),
			 OTP_ECRYPTO);
}

static void seal_key_file_rules(void **state)
{
	struct fx *f = *state;
	struct otp_seal_key k;
	char path[128];
	int fd;

	assert_int_equal(otp_seal_key_create(f->keypath), OTP_EEXIST);
	chmod(f->keypath, 0440);
	assert_int_equal(otp_seal_key_load(f->keypath, &k), OTP_EPERM);
	chmod(f->keypath, 0400);
	snprintf(path, sizeof(path), "%s/short.key", f->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0400);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_int_equal(otp_seal_key_load(path, &k), OTP_EINVAL);
	snprintf(path, sizeof(path), "%s/link.key", f->dir);
	assert_int_equal(symlink(f->keypath, path), 0);
	assert_int_equal(otp_seal_key_load(path, &k), OTP_EPERM);
	snprintf(path, sizeof(path), "%s/none.key", f->dir);
	assert_int_equal(otp_seal_key_load(path, &k), OTP_ENOTFOUND);
}

static void store_dir_rules(void **state)
{
	struct fx *f = *state;
	struct otp_store *st = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/absent", f->dir);
	assert_int_equal(otp_store_open(path, 16, 0, &st), OTP_ENOTFOUND);
	chmod(f->store, 0750);
	assert_int_equal(otp_store_open(f->store, 16, 0, &st), OTP_EPERM);
	chmod(f->store, 0700);
	snprintf(path, sizeof(path), "%s/link", f->dir);
	assert_int_equal(symlink(f->store, path), 0);
	assert_int_equal(otp_store_open(path, 16, 0, &st), OTP_EPERM);
	assert_int_equal(otp_store_open(f->store, 16, 0, &st), OTP_OK);
	otp_store_close(st);
}

static void newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct otp_store *st = NULL;
	struct otp_txn *txn;
	uint8_t two[4] = { 0, 0, 0, 2 };

	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_meta_put(txn, "schema", two, 4), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_store_open(f->store, 16, 0, &st), OTP_EVERSION);
}

static void secret_never_in_clear(void **state)
{
	struct fx *f = *state;
	char path[128];
	uint8_t *buf = malloc(1 << 20);
	ssize_t n;
	int fd;

	enroll(f, "alice", OTP_TOTP, 1);
	snprintf(path, sizeof(path), "%s/data.mdb", f->store);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, 1 << 20);
	close(fd);
	assert_true(n > 0);
	assert_null(memmem(buf, (size_t)n, rfc_key, 20));
	assert_null(memmem(buf, (size_t)n, "GEZDGNBVGY3TQOJQ", 16));
	free(buf);
}

static void totp_login_and_replay(void **state)
{
	struct fx *f = *state;
	char code[OTP_CODE_BUF];
	uint64_t now = T0 + 1000;

	enroll(f, "alice", OTP_TOTP, 1);
	code_at(now / 30, code);
	assert_int_equal(login(f, "alice", now, code), OTP_OK);
	assert_int_equal(login(f, "alice", now, code), OTP_EREPLAY);
	/* the previous step's code is inside the window but older than the mark */
	code_at(now / 30 - 1, code);
	assert_int_equal(login(f, "alice", now, code), OTP_EREPLAY);
	code_at(now / 30 + 1, code);
	assert_int_equal(login(f, "alice", now, code), OTP_OK);
	code_at(now / 30 + 3, code);
	assert_int_equal(login(f, "alice", now, code), OTP_EBADCODE);
}

static void hotp_counter_moves_forward_only(void **state)
{
	struct fx *f = *state;
	char code[OTP_CODE_BUF];
	struct otp_device_rec d;

	uint32_t id = enroll(f, "bob", OTP_HOTP, 1);
	code_at(0, code);
	assert_int_equal(login(f, "bob", T0, code), OTP_OK);
	assert_int_equal(login(f, "bob", T0, code), OTP_EBADCODE);
	code_at(6, code);  /* look-ahead */
	assert_int_equal(login(f, "bob", T0, code), OTP_OK);
	code_at(3, code);  /* behind the counter now */
	assert_int_equal(login(f, "bob", T0, code), OTP_EBADCODE);
	code_at(18, code); /* beyond the window of 10 from 7 */
	assert_int_equal(login(f, "bob", T0, code), OTP_EBADCODE);
	fx_device_load(f->st, "bob", id, &d);
	assert_int_equal(d.counter, 7);
}

static void pending_and_revoked_refused(void **state)
{
	struct fx *f = *state;
	struct otp_device_rec d;
	struct otp_login w = who_at("carol", T0);
	char code[OTP_CODE_BUF];
	uint32_t id = enroll(f, "carol", OTP_HOTP, 0);
	char ref[16];

	code_at(0, code);
	assert_int_equal(login(f, "carol", T0, code), OTP_EBADCODE);
	snprintf(ref, sizeof(ref), "%u", id);
	code_at(1, code);
	assert_int_equal(otp_confirm(f->st, &f->key, &f->cfg, &w, ref, "000000", &d), OTP_EBADCODE);
	assert_int_equal(otp_confirm(f->st, &f->key, &f->cfg, &w, ref, code, &d), OTP_OK);
	assert_int_equal(d.state, OTP_ACTIVE);
	assert_int_equal(otp_confirm(f->st, &f->key, &f->cfg, &w, ref, code, &d), OTP_EINVAL);
	code_at(2, code);
	assert_int_equal(login(f, "carol", T0, code), OTP_OK);
	assert_int_equal(otp_revoke(f->st, &f->cfg, &w, "device1", &d), OTP_OK);
	assert_int_equal(d.sealed_len, 0);
	code_at(3, code);
	assert_int_equal(login(f, "carol", T0, code), OTP_EBADCODE);
	assert_int_equal(otp_revoke(f->st, &f->cfg, &w, ref, &d), OTP_EINVAL);
}

static void rename_and_names(void **state)
{
	struct fx *f = *state;
	struct otp_login w = who_at("dave", T0);
	struct otp_device_rec d;
	struct otp_txn *txn;

	enroll(f, "dave", OTP_TOTP, 1);
	/* one secret, one device: the second gets its own */
	enroll_with(f, "dave", OTP_TOTP, 1, (const uint8_t *)"another 20-byte seed");
	assert_int_equal(otp_rename(f->st, &f->cfg, &w, "1", "phone"), OTP_OK);
	assert_int_equal(otp_rename(f->st, &f->cfg, &w, "2", "phone"), OTP_EEXIST);
	assert_int_equal(otp_rename(f->st, &f->cfg, &w, "2", "123"), OTP_EINVAL);
	assert_int_equal(otp_rename(f->st, &f->cfg, &w, "9", "x"), OTP_ENOTFOUND);
	assert_int_equal(otp_txn_begin(f->st, 0, &txn), OTP_OK);
	assert_int_equal(otp_device_find(txn, "dave", "phone", &d), OTP_OK);
	otp_txn_abort(txn);
	assert_int_equal(d.id, 1);
}

static void lockout_charges_first(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("erin", T0);
	char code[OTP_CODE_BUF];

	enroll(f, "erin", OTP_HOTP, 1);
	/* three charged attempts that never finish still count */
	for (int i = 0; i < 3; i++)
		assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_OK);
	assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_ELOCKED);
	assert_int_equal(res.locked_until, T0 + 300);
	code_at(0, code);
	assert_int_equal(login(f, "erin", T0 + 299, code), OTP_ELOCKED);
	/* expired: the right code works and clears the count */
	assert_int_equal(login(f, "erin", T0 + 300, code), OTP_OK);
	assert_int_equal(login(f, "erin", T0 + 301, "000000"), OTP_EBADCODE);
	assert_int_equal(login(f, "erin", T0 + 302, "000000"), OTP_EBADCODE);
	code_at(1, code);
	assert_int_equal(login(f, "erin", T0 + 303, code), OTP_OK);  /* refund: not locked */
	assert_int_equal(login(f, "erin", T0 + 304, "000000"), OTP_EBADCODE);
	assert_int_equal(login(f, "erin", T0 + 305, "000000"), OTP_EBADCODE);
	assert_int_equal(login(f, "erin", T0 + 306, "000000"), OTP_EBADCODE);
	code_at(2, code);
	assert_int_equal(login(f, "erin", T0 + 307, code), OTP_ELOCKED);
}

static void failures_outside_interval_reset(void **state)
{
	struct fx *f = *state;
	char code[OTP_CODE_BUF];

	enroll(f, "fred", OTP_HOTP, 1);
	assert_int_equal(login(f, "fred", T0, "000000"), OTP_EBADCODE);
	assert_int_equal(login(f, "fred", T0 + 1, "000000"), OTP_EBADCODE);
	/* fail_interval (600 s) ran out: the count starts again */
	assert_int_equal(login(f, "fred", T0 + 700, "000000"), OTP_EBADCODE);
	code_at(0, code);
	assert_int_equal(login(f, "fred", T0 + 701, code), OTP_OK);
}

static void lock_forever_until_unlock(void **state)
{
	struct fx *f = *state;
	struct otp_login w = who_at("gina", T0);
	char code[OTP_CODE_BUF];

	f->cfg.lockout.unlock_time = 0;
	enroll(f, "gina", OTP_HOTP, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(login(f, "gina", T0, "000000"), OTP_EBADCODE);
	code_at(0, code);
	assert_int_equal(login(f, "gina", T0 + 86400 * 365, code), OTP_ELOCKED);
	assert_int_equal(otp_unlock(f->st, &f->cfg, &w), OTP_OK);
	assert_int_equal(login(f, "gina", T0 + 1, code), OTP_OK);
}

static void exempt_user_never_locked(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("root", T0);

	w.exempt = 1;
	enroll(f, "root", OTP_HOTP, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_OK);
}

static void recovery_codes_single_use(void **state)
{
	struct fx *f = *state;
	struct otp_login w = who_at("hank", T0);
	char codes[3][OTP_RC_TEXT], old[OTP_RC_TEXT], lower[OTP_RC_TEXT];
	unsigned left = 0, total = 0;

	assert_int_equal(otp_recovery_generate(f->st, &f->cfg, &w, 3, codes), OTP_ENOTFOUND);
	enroll(f, "hank", OTP_TOTP, 1);
	assert_int_equal(otp_recovery_generate(f->st, &f->cfg, &w, 3, codes), OTP_OK);
	assert_int_equal(strlen(codes[0]), 14);
	assert_int_equal(codes[0][4], '-');
	assert_int_equal(otp_recovery_use(f->st, &f->cfg, &w, codes[1], &left), OTP_OK);
	assert_int_equal(left, 2);
	assert_int_equal(otp_recovery_use(f->st, &f->cfg, &w, codes[1], &left), OTP_EBADCODE);
	/* typed in lower case without dashes */
	for (size_t i = 0, o = 0; i <= strlen(codes[2]); i++)
		if (codes[2][i] != '-')
			lower[o++] = (char)(codes[2][i] >= 'A' && codes[2][i] <= 'Z' ?
					    codes[2][i] + 32 : codes[2][i]);
	assert_int_equal(otp_recovery_use(f->st, &f->cfg, &w, lower, &left), OTP_OK);
	assert_int_equal(left, 1);
	assert_int_equal(otp_recovery_count(f->st, "hank", &left, &total), OTP_OK);
	assert_int_equal(left, 1);
	assert_int_equal(total, 3);
	strcpy(old, codes[0]);
	assert_int_equal(otp_recovery_generate(f->st, &f->cfg, &w, 2, codes), OTP_OK);
	assert_int_equal(otp_recovery_use(f->st, &f->cfg, &w, old, &left), OTP_EBADCODE);
	assert_int_equal(otp_recovery_use(f->st, &f->cfg, &w, codes[0], &left), OTP_OK);
	assert_int_equal(left, 1);
}

static void remembered_hosts(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("ivan", T0);
	struct otp_host_entry hosts[4];
	char code[OTP_CODE_BUF];
	unsigned n = 0;

	enroll(f, "ivan", OTP_HOTP, 1);
	w.remember = 3600;
	code_at(0, code);
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code, 0, &res), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "ivan", "192.0.2.10", T0 + 3599), 1);
	assert_int_equal(otp_host_remembered(f->st, "ivan", "192.0.2.10", T0 + 3600), 0);
	assert_int_equal(otp_host_remembered(f->st, "ivan", "192.0.2.11", T0), 0);
	assert_int_equal(otp_host_list(f->st, "ivan", hosts, 4, &n), OTP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(hosts[0].host, "192.0.2.10");
	/* a host name is never remembered */
	w.rhost = "evil.example";
	code_at(1, code);
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code, 0, &res), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "ivan", "evil.example", T0), 0);
	assert_int_equal(otp_host_revoke(f->st, &f->cfg, &w, "192.0.2.10", &n), OTP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(otp_host_remembered(f->st, "ivan", "192.0.2.10", T0), 0);
	assert_int_equal(otp_host_revoke(f->st, &f->cfg, &w, "192.0.2.10", &n), OTP_ENOTFOUND);
}

/* Every audit record, in order: each must decode. */
struct tally { const char *event; unsigned n, sum; };

static int tally_one(const struct otp_audit_ev *ev, void *arg)
{
	struct tally *t = arg;

	assert_non_null(ev);
	t->n += t->event == NULL || strcmp(ev->event, t->event) == 0;
	if (strcmp(ev->user, "(unknown)") == 0)
		t->sum += (unsigned)strtoul(ev->detail, NULL, 10);
	return OTP_OK;
}

static struct tally audit_tally(struct fx *f, const char *event)
{
	struct tally t = { event, 0, 0 };

	fx_audit_each(f->st, tally_one, &t);
	return t;
}

static unsigned count_events(struct fx *f, const char *event)
{
	return audit_tally(f, event).n;
}

static void audit_trail_records_outcomes(void **state)
{
	struct fx *f = *state;
	char code[OTP_CODE_BUF];

	enroll(f, "judy", OTP_HOTP, 1);
	code_at(0, code);
	assert_int_equal(login(f, "judy", T0, code), OTP_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(login(f, "judy", T0, "000000"), OTP_EBADCODE);
	assert_int_equal(login(f, "judy", T0, "000000"), OTP_ELOCKED);
	assert_int_equal(count_events(f, "enroll"), 1);
	assert_int_equal(count_events(f, "auth_success"), 1);
	assert_int_equal(count_events(f, "auth_failure"), 3);
	assert_int_equal(count_events(f, "lockout"), 1);
	assert_int_equal(count_events(f, "locked"), 1);
}

static void audit_prunes_old_records(void **state)
{
	struct fx *f = *state;
	struct otp_audit_ev ev;
	struct otp_txn *txn;

	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	for (int i = 0; i < 10; i++) {
		otp_audit_set(&ev, T0 + (uint64_t)i, "verify", "kim", NULL, NULL);
		assert_int_equal(otp_audit_append(txn, &ev, 365), OTP_OK);
	}
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(count_events(f, NULL), 10);
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	otp_audit_set(&ev, T0 + 2 * 86400, "verify", "kim", NULL, NULL);
	assert_int_equal(otp_audit_append(txn, &ev, 1), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(count_events(f, NULL), 1);
}

static void audit_same_second_keeps_order(void **state)
{
	struct fx *f = *state;
	struct otp_audit_ev ev;
	struct otp_txn *txn;

	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	for (uint32_t i = 0; i < 5; i++) {
		otp_audit_set(&ev, T0, "verify", "lee", NULL, NULL);
		assert_int_equal(otp_audit_append(txn, &ev, 365), OTP_OK);
		assert_int_equal(ev.seq, i);
	}
	otp_audit_set(&ev, T0 - 5, "verify", "lee", NULL, NULL);
	assert_int_equal(otp_audit_append(txn, &ev, 365), OTP_OK);
	assert_int_equal(ev.seq, 0);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

/* OTP_EXEMPT_ASK: charged like anyone until a lock is at stake, then the
 * caller is asked, and nothing is written until it answers. */
static void exemption_asked_only_when_lock_at_stake(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("root", T0);
	struct otp_auth_state st;
	char code[OTP_CODE_BUF];

	enroll(f, "root", OTP_HOTP, 1);
	w.exempt = OTP_EXEMPT_ASK;
	for (int i = 0; i < 2; i++)
		assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_OK);
	assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_EEXEMPT);
	code_at(0, code);
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code, OTP_AUTH_CHARGE, &res),
			 OTP_EEXEMPT);
	/* neither wrote: not locked, and the code is still unused */
	assert_int_equal(otp_auth_peek(f->st, "root", T0, &st), OTP_OK);
	assert_int_equal(st.locked_until, 0);
	w.exempt = 1;  /* the caller's answer */
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code, OTP_AUTH_CHARGE, &res),
			 OTP_OK);
	/* not exempt: the third charge locks */
	w.exempt = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_OK);
	assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_ELOCKED);
	/* and once locked, asking is needed before the refusal too */
	w.exempt = OTP_EXEMPT_ASK;
	assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_EEXEMPT);
}

/* Only a verified code starts a window; code-less logins never extend it;
 * revoking the device that vouched forgets its hosts. */
static void remembered_hosts_vouched(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("vera", T0);
	struct otp_device_rec d;
	char code[OTP_CODE_BUF], codes[2][OTP_RC_TEXT];
	unsigned left, n;
	uint32_t first;

	first = enroll(f, "vera", OTP_HOTP, 1);
	enroll_with(f, "vera", OTP_TOTP, 1, (const uint8_t *)"ABCDEFGHIJKLMNOPQRST");
	w.remember = 60;
	code_at(0, code);
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code, 0, &res), OTP_OK);
	/* remembered-host logins at +50, +100 ... do not move "until" */
	for (uint64_t t = 50; t < 60; t += 5) {
		w.now = T0 + t;
		assert_int_equal(otp_auth_succeeded(f->st, &f->cfg, &w, OTP_SKIP_TRUSTED_HOST),
				 OTP_OK);
	}
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.10", T0 + 59), 1);
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.10", T0 + 60), 0);
	w.now = T0 + 61;
	assert_int_equal(otp_auth_succeeded(f->st, &f->cfg, &w, OTP_SKIP_TRUSTED_HOST),
			 OTP_EBADCODE);
	/* trusted network and nullok successes remember nothing */
	w.rhost = "192.0.2.77";
	assert_int_equal(otp_auth_succeeded(f->st, &f->cfg, &w, OTP_SKIP_TRUSTED_NETWORK), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.77", T0 + 62), 0);
	/* a recovery code vouches too */
	w.rhost = "192.0.2.20";
	assert_int_equal(otp_recovery_generate(f->st, &f->cfg, &w, 2, codes), OTP_OK);
	assert_int_equal(otp_recovery_use(f->st, &f->cfg, &w, codes[0], &left), OTP_OK);
	w.rhost = "192.0.2.10";
	w.now = T0 + 100;
	code_at(1, code);
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code, 0, &res), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.10", T0 + 101), 1);
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.20", T0 + 101), 1);
	/* revoking the HOTP device forgets the host it vouched for, only that */
	snprintf(code, sizeof(code), "%u", first);
	assert_int_equal(otp_revoke(f->st, &f->cfg, &w, code, &d), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.10", T0 + 101), 0);
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.20", T0 + 101), 1);
	/* the last active device gone: every remembered host goes */
	assert_int_equal(otp_revoke(f->st, &f->cfg, &w, "2", &d), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "vera", "192.0.2.20", T0 + 101), 0);
	assert_int_equal(otp_host_list(f->st, "vera", NULL, 0, &n), OTP_OK);
}

static unsigned audit_records(struct fx *f, unsigned *sum)
{
	struct tally t = audit_tally(f, NULL);

	*sum = t.sum;
	return t.n;
}

/* Names the store does not know: one summary per source and minute. */
static void unknown_names_summarised(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("x", T0 - T0 % 60);
	char name[32], host[32];
	unsigned sum;

	for (unsigned i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		w.user = name;
		w.now = T0 - T0 % 60 + i % 60;
		assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, "123456",
					       OTP_AUTH_CHARGE | OTP_AUTH_FINAL, &res), OTP_EBADCODE);
	}
	assert_int_equal(audit_records(f, &sum), 1);
	assert_int_equal(sum, 2000);
	/* 500 sources in the next minute: bounded by the slots */
	for (unsigned i = 0; i < 500; i++) {
		snprintf(host, sizeof(host), "2001:db8::%x", i);
		w.rhost = host;
		w.user = "nosuch";
		w.now = T0 - T0 % 60 + 60;
		assert_int_equal(otp_auth_failed(f->st, &f->cfg, &w, "auth_failure", "code"), OTP_OK);
	}
	assert_true(audit_records(f, &sum) <= 1 + 64);
	assert_int_equal(sum, 2500);
	/* enrolled users' records are not summarised, and sort before summaries */
	enroll(f, "wade", OTP_HOTP, 1);
	w.user = "wade";
	assert_int_equal(otp_auth_failed(f->st, &f->cfg, &w, "auth_failure", "code"), OTP_OK);
	assert_int_equal(count_events(f, "enroll"), 1);
}

/* A device record that does not decode: the attempt is refused unchecked,
 * charged and audited all the same. */
static void corrupt_device_still_charged(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("xena", T0);
	struct otp_user_rec u;
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	struct otp_txn *txn;
	char code[OTP_CODE_BUF];

	enroll(f, "xena", OTP_HOTP, 1);
	assert_int_equal(otp_key_sub("xena", 2, key, &kl), OTP_OK);
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	/* version 1, truncated */
	assert_int_equal(otp_store_raw_put(txn, OTP_KIND_DEVICES, key, kl, "\001ad", 3), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	code_at(0, code);
	for (int i = 0; i < 3; i++) {
		memset(&res, 0, sizeof(res));
		assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code,
					       OTP_AUTH_CHARGE | OTP_AUTH_FINAL, &res), OTP_ECORRUPT);
	}
	assert_int_equal(otp_txn_begin(f->st, 0, &txn), OTP_OK);
	assert_int_equal(otp_user_load(txn, "xena", &u), OTP_OK);
	otp_txn_abort(txn);
	assert_int_equal(u.locked_until, T0 + 300);  /* deny = 3 */
	assert_int_equal(count_events(f, "auth_failure"), 3);
}

static int totp_at(struct fx *f, const char *user, uint64_t now, uint64_t step)
{
	struct otp_auth_result res;
	struct otp_login w = who_at(user, now);
	char code[OTP_CODE_BUF];

	code_at(step, code);  /* a TOTP code is the HOTP code of its step */
	memset(&res, 0, sizeof(res));
	return otp_auth_code(f->st, &f->key, &f->cfg, &w, code, 0, &res);
}

static int32_t drift_of(struct fx *f, const char *user, uint32_t id)
{
	struct otp_device_rec d;

	fx_device_load(f->st, user, id, &d);
	return d.drift;
}

/* A phone whose clock wanders is followed, up to OTP_DRIFT_AUTO steps. */
static void totp_drift_followed(void **state)
{
	struct fx *f = *state;
	uint32_t id = enroll(f, "yuri", OTP_TOTP, 1);
	uint64_t now = T0;
	int32_t d;

	f->cfg.totp.window = 1;
	for (d = 1; d <= OTP_DRIFT_AUTO; d++, now += 30) {
		assert_int_equal(totp_at(f, "yuri", now, now / 30 + (uint64_t)d), OTP_OK);
		assert_int_equal(drift_of(f, "yuri", id), d);
	}
	/* at the bound: the window reaches one step further, the drift stays */
	assert_int_equal(totp_at(f, "yuri", now, now / 30 + OTP_DRIFT_AUTO + 1), OTP_OK);
	assert_int_equal(drift_of(f, "yuri", id), OTP_DRIFT_AUTO);
	now += 30;
	assert_int_equal(totp_at(f, "yuri", now, now / 30 + OTP_DRIFT_AUTO + 2), OTP_EBADCODE);
	/* replays stay refused, drift or not */
	assert_int_equal(totp_at(f, "yuri", now, now / 30 + OTP_DRIFT_AUTO), OTP_EREPLAY);
	/* the phone set right again: followed back */
	now += 60;
	assert_int_equal(totp_at(f, "yuri", now, now / 30 + OTP_DRIFT_AUTO - 1), OTP_OK);
	assert_int_equal(drift_of(f, "yuri", id), OTP_DRIFT_AUTO - 1);
}

/* resync sets a drift of up to an hour from two consecutive TOTP codes. */
static void totp_resync(void **state)
{
	struct fx *f = *state;
	struct otp_login w = who_at("zoe", T0);
	struct otp_device_rec d;
	char c1[OTP_CODE_BUF], c2[OTP_CODE_BUF], spaced[16];
	uint64_t step = T0 / 30;
	uint32_t id = enroll(f, "zoe", OTP_TOTP, 1);

	assert_int_equal(totp_at(f, "zoe", T0, step + 50), OTP_EBADCODE);  /* 25 min ahead */
	code_at(step + 50, c1);
	code_at(step + 51, c2);
	snprintf(spaced, sizeof(spaced), "%.3s %s", c1, c1 + 3);  /* as an app shows it */
	assert_int_equal(otp_resync(f->st, &f->key, &f->cfg, &w, "2", spaced, c2, &d),
			 OTP_ENOTFOUND);
	snprintf(c1, sizeof(c1), "%u", id);
	assert_int_equal(otp_resync(f->st, &f->key, &f->cfg, &w, c1, spaced, c2, &d), OTP_OK);
	assert_int_equal(d.drift, 51);
	assert_int_equal(drift_of(f, "zoe", id), 51);
	assert_int_equal(totp_at(f, "zoe", T0, step + 51), OTP_EREPLAY);  /* used by resync */
	assert_int_equal(totp_at(f, "zoe", T0 + 30, step + 53), OTP_OK);
	assert_int_equal(drift_of(f, "zoe", id), 52);  /* a resync's wider drift is followed */
	/* more than an hour away, or codes that are not consecutive: refused */
	code_at(step + 300, c1);
	code_at(step + 301, c2);
	assert_int_equal(otp_resync(f->st, &f->key, &f->cfg, &w, "yes", c1, c2, &d), OTP_ENOTFOUND);
	snprintf(spaced, sizeof(spaced), "%u", id);
	assert_int_equal(otp_resync(f->st, &f->key, &f->cfg, &w, spaced, c1, c2, &d), OTP_EBADCODE);
	/* code2 one step past the hour: the drift would pass OTP_DRIFT_MAX */
	code_at(step + OTP_DRIFT_MAX, c1);
	code_at(step + OTP_DRIFT_MAX + 1, c2);
	assert_int_equal(otp_resync(f->st, &f->key, &f->cfg, &w, spaced, c1, c2, &d), OTP_EBADCODE);
	code_at(step + 60, c1);
	code_at(step + 62, c2);
	assert_int_equal(otp_resync(f->st, &f->key, &f->cfg, &w, spaced, c1, c2, &d), OTP_EBADCODE);
}

/* Codes typed the way apps show them. */
static void codes_with_separators(void **state)
{
	struct fx *f = *state;
	struct otp_auth_result res;
	struct otp_login w = who_at("abe", T0);
	static const char *const typed[] = { "755 224", " 287082 ", "359-152", "9694\t29" };

	enroll(f, "abe", OTP_HOTP, 1);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, typed[i], 0, &res), OTP_OK);
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, "338 31 4x", 0, &res),
			 OTP_EBADCODE);
}

/* Hosts nothing vouches for any more: a record from before vouchers were
 * kept, and those of recovery codes that were replaced. */
static void hosts_without_voucher(void **state)
{
	struct fx *f = *state;
	struct otp_login w = who_at("bert", T0);
	struct otp_txn *txn;
	char codes[2][OTP_RC_TEXT];
	unsigned left, n = 0;

	enroll(f, "bert", OTP_HOTP, 1);
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_host_put(txn, "bert", "192.0.2.30", T0, T0 + 3600, OTP_VOUCH_UNKNOWN),
			 OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "bert", "192.0.2.30", T0 + 1), 0);
	w.remember = 3600;
	w.rhost = "192.0.2.31";
	assert_int_equal(otp_recovery_generate(f->st, &f->cfg, &w, 2, codes), OTP_OK);
	assert_int_equal(otp_recovery_use(f->st, &f->cfg, &w, codes[0], &left), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "bert", "192.0.2.31", T0 + 1), 1);
	/* new codes: the old ones' hosts go (and the unvouched one) */
	assert_int_equal(otp_recovery_generate(f->st, &f->cfg, &w, 2, codes), OTP_OK);
	assert_int_equal(otp_host_remembered(f->st, "bert", "192.0.2.31", T0 + 1), 0);
	assert_int_equal(otp_host_list(f->st, "bert", NULL, 0, &n), OTP_OK);
	assert_int_equal(n, 0);
}

/* nullok holds only while the user still has no active device. */
static void nullok_rechecked(void **state)
{
	struct fx *f = *state;
	struct otp_login w = who_at("cleo", T0);

	assert_int_equal(otp_auth_succeeded(f->st, &f->cfg, &w, OTP_SKIP_NULLOK), OTP_OK);
	enroll(f, "cleo", OTP_HOTP, 0);  /* pending does not count */
	assert_int_equal(otp_auth_succeeded(f->st, &f->cfg, &w, OTP_SKIP_NULLOK), OTP_OK);
	enroll_with(f, "cleo", OTP_HOTP, 1, (const uint8_t *)"ABCDEFGHIJKLMNOPQRST");
	assert_int_equal(otp_auth_succeeded(f->st, &f->cfg, &w, OTP_SKIP_NULLOK), OTP_EBADCODE);
	assert_int_equal(count_events(f, "auth_success"), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(seal_binds_user_and_device),
		T(seal_key_file_rules),
		T(store_dir_rules),
		T(newer_schema_refused),
		T(secret_never_in_clear),
		T(totp_login_and_replay),
		T(hotp_counter_moves_forward_only),
		T(pending_and_revoked_refused),
		T(rename_and_names),
		T(lockout_charges_first),
		T(failures_outside_interval_reset),
		T(lock_forever_until_unlock),
		T(exempt_user_never_locked),
		T(exemption_asked_only_when_lock_at_stake),
		T(remembered_hosts_vouched),
		T(unknown_names_summarised),
		T(corrupt_device_still_charged),
		T(totp_drift_followed),
		T(totp_resync),
		T(codes_with_separators),
		T(hosts_without_voucher),
		T(nullok_rechecked),
		T(recovery_codes_single_use),
		T(remembered_hosts),
		T(audit_trail_records_outcomes),
		T(audit_prunes_old_records),
		T(audit_same_second_keeps_order),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
