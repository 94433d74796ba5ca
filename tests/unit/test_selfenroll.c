/*
 * Enrollment at login (selfenroll.h): one pending device per user,
 * replaced by a later login; activated only by a code from the secret it
 * holds, only while no other device is active; audited as `enroll` self.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "devices.h"
#include "err.h"
#include "otp.h"
#include "seal.h"
#include "selfenroll.h"
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

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fx_open(f->dir, "/tmp/otp-self-XXXXXX", &f->cfg, &f->st);
	fx_seal_key(f->dir, "k", &f->key);
	*state = f;
	return 0;
}

FX_TEARDOWN(teardown)

static struct otp_login at(uint64_t now)
{
	struct otp_login w = fx_login("alice", "sshd", now);

	w.rhost = "192.0.2.7";
	w.host = "h";
	return w;
}

/* The TOTP code of secret at time now (30 s, 6 digits, SHA1). */
static void code_of(const uint8_t *secret, uint64_t now, char *code)
{
	assert_int_equal(otp_hotp(secret, OTP_SELF_SECRET_LEN, OTP_ALG_SHA1, now / 30, 6, code),
			 OTP_OK);
}

static void devices(struct fx *f, struct otp_device_rec *devs, unsigned *n)
{
	fx_device_list(f->st, "alice", devs, n);
}

struct seen { unsigned enroll_self, success_enrolled; };

static int count_events(const struct otp_audit_ev *ev, void *arg)
{
	struct seen *s = arg;

	if (ev == NULL)
		return OTP_OK;
	if (strcmp(ev->event, "enroll") == 0 && strncmp(ev->detail, "self ", 5) == 0 &&
	    strcmp(ev->service, "sshd") == 0 && strcmp(ev->rhost, "192.0.2.7") == 0)
		s->enroll_self++;
	if (strcmp(ev->event, "auth_success") == 0 && strcmp(ev->detail, "enrolled") == 0)
		s->success_enrolled++;
	return OTP_OK;
}

static void enrolled_by_its_code(void **state)
{
	struct fx *f = *state;
	struct otp_login w = at(T0);
	struct otp_device_rec devs[OTP_DEVICES_MAX];
	struct otp_auth_result res;
	uint8_t secret[OTP_SELF_SECRET_LEN];
	char code[OTP_CODE_BUF], wrong[OTP_CODE_BUF];
	struct seen seen = { 0, 0 };
	uint32_t id = 0;
	unsigned n = 0;

	assert_int_equal(otp_self_begin(f->st, &f->key, &f->cfg, &w, secret, &id), OTP_OK);
	devices(f, devs, &n);
	assert_int_equal(n, 1);
	assert_int_equal(devs[0].state, OTP_PENDING);
	assert_string_equal(devs[0].name, "login");
	code_of(secret, T0 + 10, code);
	fx_other_code(code, wrong);
	w.now = T0 + 10;
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, id, wrong), OTP_EBADCODE);
	devices(f, devs, &n);
	assert_int_equal(devs[0].state, OTP_PENDING);
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, id, code), OTP_OK);
	devices(f, devs, &n);
	assert_int_equal(n, 1);
	assert_int_equal(devs[0].state, OTP_ACTIVE);
	/* its step is used up: the same code at the prompt is a replay */
	memset(&res, 0, sizeof(res));
	assert_int_equal(otp_auth_code(f->st, &f->key, &f->cfg, &w, code, OTP_AUTH_FINAL, &res),
			 OTP_EREPLAY);
	/* a second enrollment is not offered any more */
	assert_int_equal(otp_self_begin(f->st, &f->key, &f->cfg, &w, secret, &id), OTP_EEXIST);
	fx_audit_each(f->st, count_events, &seen);
	assert_int_equal(seen.enroll_self, 1);
	assert_int_equal(seen.success_enrolled, 1);
}

/* A later login replaces the pending secret: one device, the newest secret. */
static void later_login_replaces(void **state)
{
	struct fx *f = *state;
	struct otp_login w = at(T0);
	struct otp_device_rec devs[OTP_DEVICES_MAX];
	uint8_t a[OTP_SELF_SECRET_LEN], b[OTP_SELF_SECRET_LEN];
	char code[OTP_CODE_BUF];
	uint32_t ida = 0, idb = 0;
	unsigned n = 0;

	assert_int_equal(otp_self_begin(f->st, &f->key, &f->cfg, &w, a, &ida), OTP_OK);
	assert_int_equal(otp_self_begin(f->st, &f->key, &f->cfg, &w, b, &idb), OTP_OK);
	assert_int_equal(ida, idb);
	devices(f, devs, &n);
	assert_int_equal(n, 1);
	code_of(a, T0, code);
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, ida, code), OTP_EBADCODE);
	code_of(b, T0, code);
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, idb, code), OTP_OK);
}

/* Activation refuses once another device became active meanwhile. */
static void another_became_active(void **state)
{
	struct fx *f = *state;
	struct otp_login w = at(T0);
	struct otp_enroll_req req = fx_app_req(OTP_TOTP, "phone", 1);
	struct otp_device_rec d;
	uint8_t secret[OTP_SELF_SECRET_LEN];
	static const uint8_t other[] = "abcdefghijklmnopqrst";
	char code[OTP_CODE_BUF];
	uint32_t id = 0;

	assert_int_equal(otp_self_begin(f->st, &f->key, &f->cfg, &w, secret, &id), OTP_OK);
	assert_int_equal(otp_enroll(f->st, &f->key, &f->cfg, &w, &req, other, 20, &d), OTP_OK);
	code_of(secret, T0, code);
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, id, code), OTP_EEXIST);
}

/* A user locked meanwhile by other logins' failures is not let in. */
static void locked_meanwhile(void **state)
{
	struct fx *f = *state;
	struct otp_login w = at(T0);
	struct otp_auth_result res;
	uint8_t secret[OTP_SELF_SECRET_LEN];
	char code[OTP_CODE_BUF];
	uint32_t id = 0;

	f->cfg.lockout.deny = 2;
	assert_int_equal(otp_self_begin(f->st, &f->key, &f->cfg, &w, secret, &id), OTP_OK);
	assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_OK);
	assert_int_equal(otp_auth_charge(f->st, &f->cfg, &w, &res), OTP_OK);  /* locks */
	code_of(secret, T0, code);
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, id, code), OTP_ELOCKED);
	w.exempt = OTP_EXEMPT_ASK;
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, id, code), OTP_EEXEMPT);
	w.exempt = 1;  /* root, not charged or locked */
	assert_int_equal(otp_self_confirm(f->st, &f->key, &f->cfg, &w, id, code), OTP_OK);
}

/* Administrators cannot make a device of the name a login replaces. */
static void name_kept(void **state)
{
	(void)state;
	assert_int_equal(otp_valid_name(OTP_SELF_NAME), OTP_EINVAL);
	assert_int_equal(otp_valid_name("login2"), OTP_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(enrolled_by_its_code, setup, teardown),
		cmocka_unit_test_setup_teardown(later_login_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(another_became_active, setup, teardown),
		cmocka_unit_test_setup_teardown(locked_meanwhile, setup, teardown),
		cmocka_unit_test(name_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
