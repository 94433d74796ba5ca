/*
 * The seal key's identity (keycheck.h), otp_rekey, and one secret per
 * device (secretdup.h), at library level with the clock passed in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "devices.h"
#include "err.h"
#include "keycheck.h"
#include "rekey.h"
#include "secretdup.h"
#include "seal.h"
#include "users.h"
#include "util.h"

#include "store_fixture.h"

static const uint8_t seed_a[] = "12345678901234567890";
static const uint8_t seed_b[] = "abcdefghijklmnopqrst";
#define T0 1700000000ull

struct fx {
	char dir[64];
	struct otp_config cfg;
	struct otp_seal_key a, b;
	struct otp_store *st;
};

/* A store as otp_store_open makes it: no key check value yet. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fx_open(f->dir, "/tmp/otp-kcv-XXXXXX", &f->cfg, &f->st);
	f->cfg.lockout.deny = 0;
	fx_seal_key(f->dir, "a.key", &f->a);
	fx_seal_key(f->dir, "b.key", &f->b);
	*state = f;
	return 0;
}

FX_TEARDOWN(teardown)

static struct otp_login who_at(const char *user)
{
	return fx_login(user, "test", T0);
}

static int enroll(struct fx *f, const struct otp_seal_key *key, const char *user,
		  enum otp_dev_type type, int active, const uint8_t *seed, size_t n, uint32_t *id)
{
	struct otp_enroll_req req = fx_app_req(type, "", active);
	struct otp_device_rec d;
	struct otp_login w = who_at(user);
	int rc;

	rc = otp_enroll(f->st, key, &f->cfg, &w, &req, seed, n, &d);
	if (rc == OTP_OK && id != NULL)
		*id = d.id;
	return rc;
}

/* The stored check value: its length (0: none) and bytes. */
static size_t stored_kcv(struct fx *f, uint8_t out[64])
{
	struct otp_txn *txn;
	size_t n = 0;

	assert_int_equal(otp_txn_begin(f->st, 0, &txn), OTP_OK);
	if (otp_meta_get(txn, "seal_kcv", out, 64, &n) != OTP_OK || n > 64)
		n = 0;
	otp_txn_abort(txn);
	return n;
}

/* A store from before check values: take the record away. */
static void forget_kcv(struct fx *f)
{
	struct otp_txn *txn;

	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_store_raw_put(txn, OTP_KIND_META, "seal_kcv", 8, NULL, 0), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

/* What the old code let happen: a device sealed under another key. */
static void plant_device(struct fx *f, const struct otp_seal_key *key, const char *user,
			 uint32_t id, int state, const uint8_t *seed)
{
	struct otp_device_rec d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	snprintf(d.name, sizeof(d.name), "planted%u", id);
	d.type = OTP_HOTP;
	d.alg = OTP_ALG_SHA1;
	d.digits = 6;
	d.state = (uint8_t)state;
	d.created = T0;
	assert_int_equal(otp_seal(key, user, id, seed, 20, d.sealed, sizeof(d.sealed),
				  &d.sealed_len), OTP_OK);
	fx_device_save(f->st, user, &d);
}

static void mismatch_said(void)
{
	assert_non_null(strstr(otp_errdetail(), "seal key does not match this store"));
}

static void claim_records_a_derived_value(void **state)
{
	struct fx *f = *state;
	static const char label[] = "pam_otp seal key check v1";
	uint8_t rec[64], want[32];
	unsigned wl = 0;

	/* an empty store without a check value cannot tell keys apart... */
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_OK);
	assert_int_equal(otp_store_key_check(f->st, &f->b, OTP_KEYCHECK_RECORD), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 0);
	/* ...until a key claims it (otpctl init) */
	assert_int_equal(otp_store_key_check(f->st, &f->a, OTP_KEYCHECK_CLAIM), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 33);
	assert_int_equal(rec[0], 1);
	assert_non_null(HMAC(EVP_sha256(), f->a.k, 32, (const unsigned char *)label,
			     sizeof(label) - 1, want, &wl));
	assert_int_equal(wl, 32);
	assert_memory_equal(rec + 1, want, 32);          /* HMAC of a label... */
	assert_memory_not_equal(rec + 1, f->a.k, 32);    /* ...never the key */
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_OK);
	otp_clearerr();
	assert_int_equal(otp_store_key_check(f->st, &f->b, 0), OTP_EKEY);
	mismatch_said();
	/* a claim never replaces another key's value */
	assert_int_equal(otp_store_key_check(f->st, &f->b, OTP_KEYCHECK_CLAIM), OTP_EKEY);
	assert_int_equal(stored_kcv(f, rec), 33);
	assert_memory_equal(rec + 1, want, 32);
}

static void first_enroll_claims_the_store(void **state)
{
	struct fx *f = *state;
	struct otp_device_rec devs[OTP_DEVICES_MAX];
	uint8_t rec[64];
	unsigned n = 9;

	assert_int_equal(enroll(f, &f->a, "alice", OTP_TOTP, 1, seed_a, 20, NULL), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 33);
	/* another key writes nothing: no device nobody else could open */
	assert_int_equal(enroll(f, &f->b, "bob", OTP_TOTP, 1, seed_b, 20, NULL), OTP_EKEY);
	mismatch_said();
	fx_device_list(f->st, "bob", devs, &n);
	assert_int_equal(n, 0);
	assert_int_equal(otp_store_key_check(f->st, &f->b, 0), OTP_EKEY);
	assert_int_equal(enroll(f, &f->a, "bob", OTP_TOTP, 1, seed_b, 20, NULL), OTP_OK);
}

static void legacy_store_gets_its_value_when_the_key_proves(void **state)
{
	struct fx *f = *state;
	uint8_t rec[64];

	assert_int_equal(enroll(f, &f->a, "carol", OTP_HOTP, 1, seed_a, 20, NULL), OTP_OK);
	forget_kcv(f);
	/* a key none of the secrets opens under is refused, nothing recorded */
	assert_int_equal(otp_store_key_check(f->st, &f->b, OTP_KEYCHECK_RECORD), OTP_EKEY);
	mismatch_said();
	assert_int_equal(otp_store_key_check(f->st, &f->b, OTP_KEYCHECK_CLAIM), OTP_EKEY);
	assert_int_equal(enroll(f, &f->b, "dan", OTP_HOTP, 1, seed_b, 20, NULL), OTP_EKEY);
	assert_int_equal(stored_kcv(f, rec), 0);
	/* the right key passes a read-only check without writing */
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 0);
	/* and a writer's check records the value */
	assert_int_equal(otp_store_key_check(f->st, &f->a, OTP_KEYCHECK_RECORD), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 33);
	assert_int_equal(otp_store_key_check(f->st, &f->b, 0), OTP_EKEY);
}

static void legacy_store_any_opening_secret_proves(void **state)
{
	struct fx *f = *state;
	uint8_t rec[64];

	/* the first device in key order was sealed under another key (the
	 * old bug); a later one opens: the key is proven */
	plant_device(f, &f->b, "aaron", 1, OTP_ACTIVE, seed_b);
	plant_device(f, &f->a, "zoe", 1, OTP_ACTIVE, seed_a);
	assert_int_equal(otp_store_key_check(f->st, &f->a, OTP_KEYCHECK_RECORD), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 33);
	assert_int_equal(otp_store_key_check(f->st, &f->b, 0), OTP_EKEY);
}

static void legacy_store_with_only_revoked_devices_is_empty(void **state)
{
	struct fx *f = *state;
	struct otp_device_rec d;
	struct otp_login w = who_at("erin");
	uint8_t rec[64];

	assert_int_equal(enroll(f, &f->a, "erin", OTP_TOTP, 1, seed_a, 20, NULL), OTP_OK);
	assert_int_equal(otp_revoke(f->st, &f->cfg, &w, "1", &d), OTP_OK);
	forget_kcv(f);
	/* no sealed secret left to judge by: unproven, any key may claim */
	assert_int_equal(otp_store_key_check(f->st, &f->b, OTP_KEYCHECK_RECORD), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 0);
	assert_int_equal(enroll(f, &f->b, "erin", OTP_TOTP, 1, seed_a, 20, NULL), OTP_OK);
	assert_int_equal(stored_kcv(f, rec), 33);
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_EKEY);
}

static void malformed_value_fails_closed(void **state)
{
	struct fx *f = *state;
	uint8_t bad[33];
	struct otp_txn *txn;

	memset(bad, 1, sizeof(bad));
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_meta_put(txn, "seal_kcv", bad, 5), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_ECORRUPT);
	bad[0] = 2;
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	assert_int_equal(otp_meta_put(txn, "seal_kcv", bad, 33), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_EVERSION);
}

static int code_ok(struct fx *f, const struct otp_seal_key *key, const char *user,
		   const uint8_t *seed, uint64_t counter)
{
	struct otp_auth_result res;
	struct otp_login w = who_at(user);
	char code[OTP_CODE_BUF];

	assert_int_equal(otp_hotp(seed, 20, OTP_ALG_SHA1, counter, 6, code), OTP_OK);
	memset(&res, 0, sizeof(res));
	return otp_auth_code(f->st, key, &f->cfg, &w, code, OTP_AUTH_FINAL, &res);
}

struct counting { const char *event; char *detail; unsigned n; };

static int count_one(const struct otp_audit_ev *ev, void *arg)
{
	struct counting *c = arg;

	assert_non_null(ev);
	if (strcmp(ev->event, c->event) == 0) {
		strcpy(c->detail, ev->detail);
		c->n++;
	}
	return OTP_OK;
}

static unsigned audit_count(struct fx *f, const char *event, char *detail)
{
	struct counting c = { event, detail, 0 };

	fx_audit_each(f->st, count_one, &c);
	return c.n;
}

static void rekey_reseals_every_secret(void **state)
{
	struct fx *f = *state;
	struct otp_login admin = who_at("");
	struct otp_device_rec before, after, d;
	struct otp_login w = who_at("gus"), hal = who_at("hal");
	static const uint8_t seed_c[] = "a third seed, 20 b..";
	char detail[OTP_AUDIT_FIELD_MAX + 1];
	unsigned count = 0;

	assert_int_equal(enroll(f, &f->a, "gus", OTP_HOTP, 1, seed_a, 20, NULL), OTP_OK);
	assert_int_equal(code_ok(f, &f->a, "gus", seed_a, 0), OTP_OK);       /* counter -> 1 */
	assert_int_equal(enroll(f, &f->a, "gus", OTP_HOTP, 0, seed_b, 20, NULL), OTP_OK);
	assert_int_equal(enroll(f, &f->a, "hal", OTP_HOTP, 1, seed_b, 20, NULL), OTP_OK);
	assert_int_equal(enroll(f, &f->a, "hal", OTP_HOTP, 1, seed_c, 20, NULL), OTP_OK);
	assert_int_equal(otp_revoke(f->st, &f->cfg, &hal, "2", &d), OTP_OK);
	fx_device_load(f->st, "gus", 1, &before);
	assert_int_equal(otp_rekey(f->st, &f->a, &f->b, &f->cfg, &admin, &count), OTP_OK);
	assert_int_equal(count, 3);                     /* active and pending; not revoked */
	fx_device_load(f->st, "gus", 1, &after);
	assert_int_equal(after.counter, before.counter);
	assert_int_equal(after.state, before.state);
	assert_memory_not_equal(after.sealed, before.sealed, before.sealed_len);
	/* the new key is the store's, the old one is refused */
	assert_int_equal(otp_store_key_check(f->st, &f->b, 0), OTP_OK);
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_EKEY);
	assert_int_equal(code_ok(f, &f->a, "gus", seed_a, 1), OTP_ECRYPTO);
	assert_int_equal(code_ok(f, &f->b, "gus", seed_a, 0), OTP_EBADCODE); /* used before */
	assert_int_equal(code_ok(f, &f->b, "gus", seed_a, 1), OTP_OK);
	assert_int_equal(code_ok(f, &f->b, "hal", seed_b, 0), OTP_OK);
	/* the pending device still confirms, under the new key */
	assert_int_equal(code_ok(f, &f->b, "gus", seed_b, 0), OTP_EBADCODE);
	{
		char code[OTP_CODE_BUF];

		assert_int_equal(otp_hotp(seed_b, 20, OTP_ALG_SHA1, 0, 6, code), OTP_OK);
		assert_int_equal(otp_confirm(f->st, &f->b, &f->cfg, &w, "2", code, &d), OTP_OK);
	}
	assert_int_equal(audit_count(f, "rekey", detail), 1);
	assert_string_equal(detail, "3 sealed secrets re-sealed");
}

static void rekey_is_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct otp_login admin = who_at("");
	struct otp_seal_key c;
	char detail[OTP_AUDIT_FIELD_MAX + 1];
	unsigned count = 9;

	fx_seal_key(f->dir, "c.key", &c);
	assert_int_equal(enroll(f, &f->a, "ivy", OTP_HOTP, 1, seed_a, 20, NULL), OTP_OK);
	/* a key that is not the store's cannot rekey it */
	assert_int_equal(otp_rekey(f->st, &f->b, &c, &f->cfg, &admin, &count), OTP_EKEY);
	assert_int_equal(otp_rekey(f->st, &f->a, &f->a, &f->cfg, &admin, &count), OTP_EINVAL);
	/* one secret that does not open stops it, naming the device */
	plant_device(f, &c, "ivy", 7, OTP_ACTIVE, seed_b);
	assert_int_equal(otp_rekey(f->st, &f->a, &f->b, &f->cfg, &admin, &count), OTP_ECRYPTO);
	assert_non_null(strstr(otp_errdetail(), "ivy device 7"));
	/* nothing changed: the old key still opens, the value is the old key's */
	assert_int_equal(otp_store_key_check(f->st, &f->a, 0), OTP_OK);
	assert_int_equal(otp_store_key_check(f->st, &f->b, 0), OTP_EKEY);
	{
		struct otp_device_rec d;
		uint8_t out[OTP_SECRET_MAX];
		size_t n;

		fx_device_load(f->st, "ivy", 1, &d);
		assert_int_equal(otp_unseal(&f->a, "ivy", 1, d.sealed, d.sealed_len, out, sizeof(out),
					    &n), OTP_OK);
		assert_memory_equal(out, seed_a, 20);
	}
	/* and logins fail closed while a device does not open */
	assert_int_equal(code_ok(f, &f->a, "ivy", seed_a, 0), OTP_ECRYPTO);
	assert_int_equal(audit_count(f, "rekey", detail), 0);
	otp_seal_key_wipe(&c);
}

static void one_secret_one_device(void **state)
{
	struct fx *f = *state;
	struct otp_device_rec d;
	struct otp_login w = who_at("jan");
	uint8_t padded[21];
	uint32_t id = 0;

	assert_int_equal(enroll(f, &f->a, "jan", OTP_TOTP, 1, seed_a, 20, &id), OTP_OK);
	assert_int_equal(otp_rename(f->st, &f->cfg, &w, "1", "phone"), OTP_OK);
	otp_clearerr();
	assert_int_equal(enroll(f, &f->a, "jan", OTP_TOTP, 1, seed_a, 20, NULL), OTP_EDUPLICATE);
	assert_string_equal(otp_errdetail(), "user jan already has this secret on device 'phone' (id 1)");
	/* type, algorithm and state do not matter: the codes would */
	assert_int_equal(enroll(f, &f->a, "jan", OTP_HOTP, 0, seed_a, 20, NULL), OTP_EDUPLICATE);
	/* HMAC pads keys with zeros: K and K||00 give the same codes */
	memcpy(padded, seed_a, 20);
	padded[20] = 0;
	assert_int_equal(enroll(f, &f->a, "jan", OTP_TOTP, 1, padded, 21, NULL), OTP_EDUPLICATE);
	/* a pending device holds its secret too */
	assert_int_equal(enroll(f, &f->a, "jan", OTP_TOTP, 0, seed_b, 20, NULL), OTP_OK);
	assert_int_equal(enroll(f, &f->a, "jan", OTP_TOTP, 1, seed_b, 20, NULL), OTP_EDUPLICATE);
	/* other users may have it; a revoked device frees it */
	assert_int_equal(enroll(f, &f->a, "kim", OTP_TOTP, 1, seed_a, 20, NULL), OTP_OK);
	assert_int_equal(otp_revoke(f->st, &f->cfg, &w, "1", &d), OTP_OK);
	assert_int_equal(enroll(f, &f->a, "jan", OTP_TOTP, 1, seed_a, 20, NULL), OTP_OK);
}

static void one_code_accepted_once(void **state)
{
	struct fx *f = *state;

	assert_int_equal(enroll(f, &f->a, "lea", OTP_HOTP, 1, seed_a, 20, NULL), OTP_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(enroll(f, &f->a, "lea", OTP_HOTP, 1, seed_a, 20, NULL),
				 OTP_EDUPLICATE);
	assert_int_equal(code_ok(f, &f->a, "lea", seed_a, 0), OTP_OK);
	assert_int_equal(code_ok(f, &f->a, "lea", seed_a, 0), OTP_EBADCODE);
}

static void confirm_refuses_a_secret_active_elsewhere(void **state)
{
	struct fx *f = *state;
	struct otp_device_rec d;
	struct otp_login w = who_at("max");
	char code[OTP_CODE_BUF];

	/* a pending device, and (from before the check) an active copy */
	assert_int_equal(enroll(f, &f->a, "max", OTP_HOTP, 0, seed_a, 20, NULL), OTP_OK);
	plant_device(f, &f->a, "max", 5, OTP_ACTIVE, seed_a);
	assert_int_equal(otp_hotp(seed_a, 20, OTP_ALG_SHA1, 0, 6, code), OTP_OK);
	assert_int_equal(otp_confirm(f->st, &f->a, &f->cfg, &w, "1", code, &d), OTP_EDUPLICATE);
	assert_non_null(strstr(otp_errdetail(), "device 'planted5' (id 5)"));
	fx_device_load(f->st, "max", 1, &d);
	assert_int_equal(d.state, OTP_PENDING);
	/* the refusal wrote nothing: the code still works on the active copy */
	assert_int_equal(code_ok(f, &f->a, "max", seed_a, 0), OTP_OK);
}

static void import_refuses_a_secret_already_there(void **state)
{
	struct fx *f = *state;
	struct otp_import_dev dev;
	struct otp_import_item item = { &dev, NULL, "test" };
	struct otp_login admin = who_at("");
	struct otp_device_rec devs[OTP_DEVICES_MAX];
	unsigned n = 0;

	assert_int_equal(enroll(f, &f->a, "ned", OTP_TOTP, 0, seed_a, 20, NULL), OTP_OK);
	memset(&dev, 0, sizeof(dev));
	strcpy(dev.user, "ned");
	dev.digits = 6;
	dev.period = 30;
	memcpy(dev.secret, seed_a, 20);
	dev.secret_len = 20;
	assert_int_equal(otp_import_batch(f->st, &f->a, &f->cfg, &admin, &item, 1), OTP_EDUPLICATE);
	assert_non_null(strstr(otp_errdetail(), "user ned already has this secret"));
	fx_device_list(f->st, "ned", devs, &n);
	assert_int_equal(n, 1);
	/* and under another key, nothing at all is imported */
	memcpy(dev.secret, seed_b, 20);
	assert_int_equal(otp_import_batch(f->st, &f->b, &f->cfg, &admin, &item, 1), OTP_EKEY);
	assert_int_equal(otp_import_batch(f->st, &f->a, &f->cfg, &admin, &item, 1), OTP_OK);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(claim_records_a_derived_value),
		T(first_enroll_claims_the_store),
		T(legacy_store_gets_its_value_when_the_key_proves),
		T(legacy_store_any_opening_secret_proves),
		T(legacy_store_with_only_revoked_devices_is_empty),
		T(malformed_value_fails_closed),
		T(rekey_reseals_every_secret),
		T(rekey_is_all_or_nothing),
		T(one_secret_one_device),
		T(one_code_accepted_once),
		T(confirm_refuses_a_secret_active_elsewhere),
		T(import_refuses_a_secret_already_there),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
