/*
 * Codes sent by email and SMS (oob.h): the request transaction's limits
 * and charge, and the code judged by otp_auth_code: single use, expiry,
 * attempts, replaced by a newer one; with the clock passed in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "err.h"
#include "oob.h"
#include "oobaddr.h"
#include "seal.h"
#include "store.h"
#include "util.h"

#include "store_fixture.h"

#define T0 1700000000ull

struct fx {
	char dir[64];
	struct otp_config cfg;
	struct otp_seal_key key;
	struct otp_store *st;
};

/* alice: device 1 email (active), 2 sms (pending), 3 a TOTP-typed record */
static void add_device(struct fx *f, struct otp_txn *txn, uint32_t id, unsigned type,
		       unsigned state, const char *to)
{
	struct otp_device_rec d;
	struct otp_oob o;

	memset(&d, 0, sizeof(d));
	memset(&o, 0, sizeof(o));
	d.id = id;
	snprintf(d.name, sizeof(d.name), "dev%u", id);
	d.type = (uint8_t)type;
	d.digits = 6;
	d.state = (uint8_t)state;
	d.created = T0;
	snprintf(o.to, sizeof(o.to), "%s", to);
	assert_int_equal(otp_oob_store(&f->key, "alice", &d, &o), OTP_OK);
	assert_int_equal(otp_device_save(txn, "alice", &d), OTP_OK);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct otp_user_rec u;
	struct otp_txn *txn = NULL;

	fx_open(f->dir, "/tmp/otp-oob-XXXXXX", &f->cfg, &f->st);
	fx_seal_key(f->dir, "k", &f->key);
	assert_int_equal(otp_txn_begin(f->st, 1, &txn), OTP_OK);
	memset(&u, 0, sizeof(u));
	u.created = T0;
	u.next_device = 4;
	assert_int_equal(otp_user_save(txn, "alice", &u), OTP_OK);
	add_device(f, txn, 1, OTP_EMAIL, OTP_ACTIVE, "alice@example.com");
	add_device(f, txn, 2, OTP_SMS, OTP_PENDING, "+4915112345678");
	add_device(f, txn, 3, OTP_EMAIL, OTP_REVOKED, "old@example.com");
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	*state = f;
	return 0;
}

FX_TEARDOWN(teardown)

static struct otp_login at(uint64_t now)
{
	struct otp_login w = fx_login("alice", "test", now);

	w.host = "h";
	return w;
}

static int request(struct fx *f, uint64_t now, uint32_t dev, int flags, struct otp_oob_sent *s)
{
	struct otp_login w = at(now);

	return otp_oob_request(f->st, &f->key, &f->cfg, &w, dev, flags, s);
}

static int code_at(struct fx *f, uint64_t now, const char *code, struct otp_auth_result *res)
{
	struct otp_login w = at(now);

	memset(res, 0, sizeof(*res));
	return otp_auth_code(f->st, &f->key, &f->cfg, &w, code, OTP_AUTH_CHARGE | OTP_AUTH_FINAL,
			     res);
}

static void accepted_once(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;
	struct otp_auth_result res;

	assert_int_equal(request(f, T0, 1, OTP_OOB_CHARGE, &s), OTP_OK);
	assert_int_equal(strlen(s.code), 6);
	assert_true(strspn(s.code, "0123456789") == 6);
	assert_string_equal(s.to, "alice@example.com");
	assert_int_equal(s.type, OTP_EMAIL);
	assert_int_equal(s.expires, T0 + 300);
	assert_int_equal(code_at(f, T0 + 5, s.code, &res), OTP_OK);
	assert_int_equal(res.device, 1);
	assert_int_equal(code_at(f, T0 + 6, s.code, &res), OTP_EREPLAY);
	assert_string_equal(res.event, "replay");
}

static void resend_after(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s, s2;
	struct otp_auth_result res;

	assert_int_equal(request(f, T0, 1, OTP_OOB_CHARGE, &s), OTP_OK);
	assert_int_equal(request(f, T0 + 10, 1, OTP_OOB_CHARGE, &s2), OTP_ETHROTTLE);
	assert_int_equal(s2.wait, 50);
	assert_false(s2.hourly);
	assert_int_equal(s2.code[0], '\0');
	assert_int_equal(request(f, T0 + 60, 1, OTP_OOB_CHARGE, &s2), OTP_OK);
	/* the newer code replaced the older one */
	if (strcmp(s.code, s2.code) != 0)
		assert_int_equal(code_at(f, T0 + 61, s.code, &res), OTP_EBADCODE);
	assert_int_equal(code_at(f, T0 + 62, s2.code, &res), OTP_OK);
}

static void hourly_cap(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;

	f->cfg.oob.resend_after = 0;
	f->cfg.oob.max_per_hour = 2;
	assert_int_equal(request(f, T0, 1, 0, &s), OTP_OK);
	assert_int_equal(request(f, T0 + 100, 2, OTP_OOB_PENDING, &s), OTP_OK);
	/* counted across the user's devices */
	assert_int_equal(request(f, T0 + 200, 1, 0, &s), OTP_ETHROTTLE);
	assert_true(s.hourly);
	assert_int_equal(s.wait, 3400);
	assert_int_equal(request(f, T0 + 3600, 1, 0, &s), OTP_OK);
}

static void expired(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;
	struct otp_auth_result res;

	assert_int_equal(request(f, T0, 1, 0, &s), OTP_OK);
	assert_int_equal(code_at(f, T0 + 300, s.code, &res), OTP_EBADCODE);
	assert_string_equal(res.event, "oob_expired");
}

static void exhausted(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;
	struct otp_auth_result res;
	char wrong[8];

	assert_int_equal(request(f, T0, 1, 0, &s), OTP_OK);
	fx_other_code(s.code, wrong);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(code_at(f, T0 + 1 + (uint64_t)i, wrong, &res), OTP_EBADCODE);
		assert_string_equal(res.event, "auth_failure");
	}
	assert_int_equal(code_at(f, T0 + 10, s.code, &res), OTP_EBADCODE);
	assert_string_equal(res.event, "oob_exhausted");
}

/* Each request is charged; a lock stops sending; a success refunds. */
static void charged(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;
	struct otp_auth_result res;
	struct otp_auth_state st;

	f->cfg.oob.resend_after = 0;
	f->cfg.lockout.deny = 3;
	assert_int_equal(request(f, T0, 1, OTP_OOB_CHARGE, &s), OTP_OK);
	assert_int_equal(request(f, T0 + 1, 1, OTP_OOB_CHARGE, &s), OTP_OK);
	assert_int_equal(code_at(f, T0 + 2, s.code, &res), OTP_OK);  /* third charge, refunded */
	assert_int_equal(otp_auth_peek(f->st, "alice", T0 + 3, &st), OTP_OK);
	assert_int_equal(st.locked_until, 0);
	for (int i = 0; i < 3; i++)
		(void)request(f, T0 + 10 + (uint64_t)i, 1, OTP_OOB_CHARGE, &s);
	assert_int_equal(request(f, T0 + 20, 1, OTP_OOB_CHARGE, &s), OTP_ELOCKED);
	assert_int_equal(s.code[0], '\0');
}

static void which_devices(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;

	assert_int_equal(request(f, T0, 2, 0, &s), OTP_EINVAL);           /* pending */
	assert_int_equal(request(f, T0, 3, OTP_OOB_PENDING, &s), OTP_EINVAL); /* revoked */
	assert_int_equal(request(f, T0, 9, 0, &s), OTP_ENOTFOUND);
	assert_int_equal(request(f, T0, 2, OTP_OOB_PENDING, &s), OTP_OK);
	assert_int_equal(s.type, OTP_SMS);
}

/* The peek lists active email/sms devices masked, for the prompt. */
static void choices(void **state)
{
	struct fx *f = *state;
	struct otp_auth_state st;

	assert_int_equal(otp_auth_peek_keyed(f->st, &f->key, "alice", T0, &st), OTP_OK);
	assert_int_equal(st.noob, 1);
	assert_int_equal(st.oob[0].id, 1);
	assert_string_equal(st.oob[0].masked, "a***@example.com");
}

/* A login that read the clock earlier than the last send still meets the limits. */
static void clock_behind(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;

	assert_int_equal(request(f, T0 + 100, 1, 0, &s), OTP_OK);
	assert_int_equal(request(f, T0, 1, 0, &s), OTP_ETHROTTLE);
	assert_int_equal(s.wait, 60);
	f->cfg.oob.resend_after = 0;
	f->cfg.oob.max_per_hour = 2;
	assert_int_equal(request(f, T0 + 50, 1, 0, &s), OTP_OK);
	assert_int_equal(request(f, T0, 1, 0, &s), OTP_ETHROTTLE);
	assert_true(s.hourly);
}

/* ... and a failure charged at an earlier time still counts to the lock. */
static void lock_with_clock_behind(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s;
	struct otp_auth_result res;

	f->cfg.lockout.deny = 3;
	assert_int_equal(code_at(f, T0 + 100, "000000", &res), OTP_EBADCODE);
	assert_int_equal(code_at(f, T0, "000000", &res), OTP_EBADCODE);
	assert_int_equal(code_at(f, T0 + 1, "000000", &res), OTP_EBADCODE);
	assert_int_equal(request(f, T0 + 2, 1, OTP_OOB_CHARGE, &s), OTP_ELOCKED);
}

/* After a wrong password: charged and counted, but no code, nothing audited. */
static void dry_request(void **state)
{
	struct fx *f = *state;
	struct otp_oob_sent s, d;
	struct otp_auth_result res;

	assert_int_equal(request(f, T0, 1, 0, &s), OTP_OK);
	assert_int_equal(request(f, T0 + 60, 1, OTP_OOB_CHARGE | OTP_OOB_DRY, &d), OTP_OK);
	assert_int_equal(d.code[0], '\0');
	/* counted as a send: the throttle reads the same as after a real one */
	assert_int_equal(request(f, T0 + 70, 1, 0, &d), OTP_ETHROTTLE);
	assert_int_equal(d.wait, 50);
	/* the code sent before is untouched */
	assert_int_equal(code_at(f, T0 + 71, s.code, &res), OTP_OK);
}

static void leading_dash(void **state)
{
	(void)state;
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, "-oQ@example.com"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, "o-Q@example.com"), OTP_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(accepted_once, setup, teardown),
		cmocka_unit_test_setup_teardown(resend_after, setup, teardown),
		cmocka_unit_test_setup_teardown(hourly_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(expired, setup, teardown),
		cmocka_unit_test_setup_teardown(exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(charged, setup, teardown),
		cmocka_unit_test_setup_teardown(which_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(choices, setup, teardown),
		cmocka_unit_test_setup_teardown(clock_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_with_clock_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(dry_request, setup, teardown),
		cmocka_unit_test(leading_dash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
