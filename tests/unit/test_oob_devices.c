/*
 * Email and sms devices in the store and the admin library: their record
 * through the LMDB codec, destinations checked and masked, otp_enroll_oob,
 * otp_confirm against a code sent to the device (made here exactly as a
 * request makes it: otp_oob_mac over the code with its expiry), and the
 * library's walks over sealed blobs (secretdup, rekey, census).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "devices.h"
#include "err.h"
#include "oob.h"
#include "oobaddr.h"
#include "rekey.h"
#include "stats.h"
#include "store_lmdb_codec.h"
#include "util.h"

#include "store_fixture.h"

#define T0 1700000000ull
#define USER "alice"
#define ADDR "alice.smith@example.com"

struct fx {
	char dir[64];
	struct otp_config cfg;
	struct otp_seal_key a, b;
	struct otp_store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fx_open(f->dir, "/tmp/otp-oobdev-XXXXXX", &f->cfg, &f->st);
	fx_seal_key(f->dir, "a.key", &f->a);
	fx_seal_key(f->dir, "b.key", &f->b);
	*state = f;
	return 0;
}

FX_TEARDOWN(teardown)

static struct otp_login who_at(uint64_t now)
{
	return fx_login(USER, "test", now);
}

static struct otp_enroll_req oob_req(enum otp_dev_type type, const char *name, int active)
{
	struct otp_enroll_req req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	req.type = type;
	req.digits = 6;
	req.active = active;
	return req;
}

static int enroll_email(struct fx *f, const struct otp_seal_key *key, const char *name,
			int active, struct otp_device_rec *d)
{
	struct otp_enroll_req req = oob_req(OTP_EMAIL, name, active);
	struct otp_login w = who_at(T0);

	return otp_enroll_oob(f->st, key, &f->cfg, &w, &req, ADDR, d);
}

static struct otp_device_rec load(struct fx *f, uint32_t id)
{
	struct otp_device_rec d;

	fx_device_load(f->st, USER, id, &d);
	return d;
}

static struct otp_oob payload(struct fx *f, const struct otp_seal_key *key, uint32_t id)
{
	struct otp_device_rec d = load(f, id);
	struct otp_oob o;

	assert_int_equal(otp_oob_open(key, USER, &d, &o), OTP_OK);
	return o;
}

/* A code sent to device id, as otp_oob_request records it. */
static void send_code(struct fx *f, uint32_t id, const char *code, uint64_t expires,
		      uint64_t used, uint32_t tries)
{
	struct otp_device_rec d = load(f, id);
	struct otp_oob o;

	assert_int_equal(otp_oob_open(&f->a, USER, &d, &o), OTP_OK);
	assert_int_equal(otp_oob_mac(&f->a, USER, id, expires, code, o.mac), OTP_OK);
	o.expires = expires;
	o.used = used;
	o.tries = tries;
	o.sent = expires - f->cfg.oob.valid;
	assert_int_equal(otp_oob_store(&f->a, USER, &d, &o), OTP_OK);
	fx_device_save(f->st, USER, &d);
}

static int confirm(struct fx *f, uint64_t now, const char *code)
{
	struct otp_login w = who_at(now);
	struct otp_device_rec d;

	return otp_confirm(f->st, &f->a, &f->cfg, &w, "mail", code, &d);
}

/* --- the record ------------------------------------------------------ */

static void codec_round_trip(void **state)
{
	struct otp_device_rec d, e;
	uint8_t buf[OTP_REC_MAX];
	size_t n = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", "a-name-of-sixty-four-bytes-at-most-so-the-record-is-its-longest");
	d.type = OTP_SMS;
	d.digits = 8;
	d.state = OTP_PENDING;
	d.created = T0;
	d.sealed_len = OTP_SEALED_MAX;  /* a payload is longer than any secret */
	memset(d.sealed, 0xcd, d.sealed_len);
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	e.id = 9;
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_OK);
	assert_int_equal(e.id, 9);
	assert_int_equal(e.type, OTP_SMS);
	assert_int_equal(e.period, 0);  /* no period: only TOTP needs one */
	assert_int_equal(e.digits, 8);
	assert_int_equal(e.sealed_len, OTP_SEALED_MAX);
	assert_memory_equal(e.sealed, d.sealed, OTP_SEALED_MAX);
	d.type = OTP_EMAIL;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_OK);
	assert_int_equal(e.type, OTP_EMAIL);
	/* a type past the last is not a device */
	d.type = OTP_DEV_TYPE_LAST + 1;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_ECORRUPT);
	/* a TOTP device still needs its period */
	d.type = OTP_TOTP;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_ECORRUPT);
}

/* --- destinations ---------------------------------------------------- */

static void addresses(void **state)
{
	static const char *const good[] = {
		"a@example.com", "alice.smith+otp@mail.example.org", "x_y-z@a-b.example",
		"o'brien@example.ie",
	};
	static const char *const bad[] = {
		"", "alice", "@example.com", "alice@", "alice@example", "alice@@example.com",
		"alice smith@example.com", "alice@exa mple.com", " alice@example.com",
		"\"alice\"@example.com", "alice\n@example.com", "alice@example.com\n",
		"alice@example.com\r\nBcc: eve@example.com", "$(id)@example.com",
		"a;rm -rf /@example.com", "a|b@example.com;", "<alice@example.com>",
		"alice@example.com,eve@example.com", "a\\b@example.com", "alice@[127.0.0.1]",
		".alice@example.com", "alice.@example.com", "al..ice@example.com",
		"alice@-example.com", "alice@example-.com", "alice@example..com",
		"(c)alice@example.com", "alice@exam_ple.com",
	};
	char local[80], label[80], longest[400];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(otp_oob_addr_check(OTP_EMAIL, good[i]), OTP_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (otp_oob_addr_check(OTP_EMAIL, bad[i]) != OTP_EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
	}
	/* a local part of 64 bytes passes, 65 does not; a label of 63, not 64 */
	memset(local, 'l', 65);
	snprintf(local + 64, sizeof(local) - 64, "@example.com");
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, local), OTP_OK);
	memset(local, 'l', 65);
	snprintf(local + 65, sizeof(local) - 65, "@example.com");
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, local), OTP_EINVAL);
	memset(label, 'd', 64);
	snprintf(label + 63, sizeof(label) - 63, ".example");
	snprintf(longest, sizeof(longest), "a@%s", label);
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, longest), OTP_OK);
	memset(label, 'd', 64);
	snprintf(label + 64, sizeof(label) - 64, ".example");
	snprintf(longest, sizeof(longest), "a@%s", label);
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, longest), OTP_EINVAL);
	/* the whole address: at most OTP_OOB_TO_MAX bytes */
	memset(longest, 0, sizeof(longest));
	strcpy(longest, "a@");
	while (strlen(longest) < OTP_OOB_TO_MAX + 10)
		strcat(longest, "abcdefghi.");
	strcat(longest, "example");
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, longest), OTP_EINVAL);
	/* an address is no phone number and the other way round */
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "a@example.com"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_EMAIL, "+4915112345678"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_TOTP, "a@example.com"), OTP_EINVAL);
}

static void numbers(void **state)
{
	(void)state;
	/* E.164: "+", then 8..15 digits, the first not 0 */
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+12345678"), OTP_OK);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+123456789012345"), OTP_OK);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+1234567"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+1234567890123456"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+0123456789"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "4915112345678"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+49 151 12345678"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+49-151-12345678"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+4915112345678;id"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+4915112345678\n"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "+$(id)12345678"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, "++4915112345678"), OTP_EINVAL);
	assert_int_equal(otp_oob_addr_check(OTP_SMS, ""), OTP_EINVAL);
}

static void masks(void **state)
{
	char out[OTP_OOB_MASKED_MAX];

	(void)state;
	assert_int_equal(otp_oob_mask(OTP_EMAIL, "alice@example.com", out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "a***@example.com");
	assert_int_equal(otp_oob_mask(OTP_EMAIL, "a@example.com", out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "a***@example.com");
	assert_int_equal(otp_oob_mask(OTP_SMS, "+4912345667", out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "+4*******67");
	assert_int_equal(otp_oob_mask(OTP_SMS, "+12345678", out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "+1*****78");
	/* nothing that does not pass is shown, masked or not */
	assert_int_equal(otp_oob_mask(OTP_EMAIL, "a b@example.com", out, sizeof(out)), OTP_EINVAL);
	assert_int_equal(otp_oob_mask(OTP_EMAIL, "alice@example.com", out, 8), OTP_EINVAL);
}

/* --- enrollment ------------------------------------------------------ */

static int find_enroll(const struct otp_audit_ev *ev, void *arg)
{
	if (strcmp(ev->event, "enroll") != 0)
		return OTP_OK;
	*(struct otp_audit_ev *)arg = *ev;
	return OTP_EACH_STOP;
}

static void enroll_seals_and_masks(void **state)
{
	struct fx *f = *state;
	struct otp_device_rec d;
	struct otp_oob o;
	struct otp_audit_ev ev;

	assert_int_equal(enroll_email(f, &f->a, "mail", 0, &d), OTP_OK);
	assert_int_equal(d.state, OTP_PENDING);
	d = load(f, d.id);
	assert_int_equal(d.type, OTP_EMAIL);
	assert_int_equal(d.alg, 0);
	assert_int_equal(d.period, 0);
	assert_int_equal(d.counter, 0);
	assert_null(memmem(d.sealed, d.sealed_len, "example.com", 11));
	o = payload(f, &f->a, d.id);
	assert_string_equal(o.to, ADDR);
	assert_int_equal(o.expires, 0);  /* no code yet */
	otp_oob_wipe(&o);
	/* the key is bound: another key does not open it */
	assert_int_equal(otp_oob_open(&f->b, USER, &d, &o), OTP_ECRYPTO);
	/* audited with the masked destination only */
	memset(&ev, 0, sizeof(ev));
	fx_audit_each(f->st, find_enroll, &ev);
	assert_string_equal(ev.detail, "email a***@example.com, pending");
	/* --no-confirm: active at once */
	assert_int_equal(enroll_email(f, &f->a, "mail2", 1, &d), OTP_OK);
	assert_int_equal(load(f, d.id).state, OTP_ACTIVE);
}

static void enroll_refusals(void **state)
{
	struct fx *f = *state;
	struct otp_enroll_req req;
	struct otp_login w = who_at(T0);
	struct otp_device_rec d;

	assert_int_equal(enroll_email(f, &f->a, "mail", 0, &d), OTP_OK);
	/* a name is taken as for apps */
	assert_int_equal(enroll_email(f, &f->a, "mail", 0, &d), OTP_EEXIST);
	/* not the store's key */
	assert_int_equal(enroll_email(f, &f->b, "other", 0, &d), OTP_EKEY);
	/* not an email or sms type */
	req = oob_req(OTP_TOTP, "t", 0);
	req.period = 30;
	assert_int_equal(otp_enroll_oob(f->st, &f->a, &f->cfg, &w, &req, ADDR, &d), OTP_EINVAL);
	/* bad digits */
	req = oob_req(OTP_EMAIL, "d", 0);
	req.digits = 5;
	assert_int_equal(otp_enroll_oob(f->st, &f->a, &f->cfg, &w, &req, ADDR, &d), OTP_EINVAL);
	/* destinations that do not pass, for their type */
	req = oob_req(OTP_EMAIL, "e", 0);
	assert_int_equal(otp_enroll_oob(f->st, &f->a, &f->cfg, &w, &req, "a;b@example.com", &d),
			 OTP_EINVAL);
	assert_int_equal(otp_enroll_oob(f->st, &f->a, &f->cfg, &w, &req, "+4915112345678", &d),
			 OTP_EINVAL);
	req = oob_req(OTP_SMS, "s", 0);
	assert_int_equal(otp_enroll_oob(f->st, &f->a, &f->cfg, &w, &req, ADDR, &d), OTP_EINVAL);
	assert_int_equal(otp_enroll_oob(f->st, &f->a, &f->cfg, &w, &req, "+4915112345678", &d),
			 OTP_OK);
	/* otp_enroll takes no email or sms device: it has no secret */
	req = oob_req(OTP_EMAIL, "x", 0);
	assert_int_equal(otp_enroll(f->st, &f->a, &f->cfg, &w, &req,
				    (const uint8_t *)"12345678901234567890", 20, &d), OTP_EINVAL);
}

/* --- confirmation ---------------------------------------------------- */

static void confirm_by_the_code_sent(void **state)
{
	struct fx *f = *state;
	uint64_t expires = T0 + f->cfg.oob.valid;
	struct otp_device_rec d;
	struct otp_oob o;

	assert_int_equal(enroll_email(f, &f->a, "mail", 0, &d), OTP_OK);
	/* no code sent yet: nothing to match */
	assert_int_equal(confirm(f, T0, "123456"), OTP_EBADCODE);
	send_code(f, d.id, "123456", expires, 0, 0);
	/* a wrong code counts against the code sent, and the count is kept */
	assert_int_equal(confirm(f, T0 + 10, "654321"), OTP_EBADCODE);
	o = payload(f, &f->a, d.id);
	assert_int_equal(o.tries, 1);
	assert_int_equal(load(f, d.id).state, OTP_PENDING);
	/* the code, typed as apps show codes */
	assert_int_equal(confirm(f, T0 + 20, "123 456"), OTP_OK);
	d = load(f, d.id);
	assert_int_equal(d.state, OTP_ACTIVE);
	assert_int_equal(d.last_used, T0 + 20);
	o = payload(f, &f->a, d.id);
	assert_int_equal(o.used, T0 + 20);
	otp_oob_wipe(&o);
}

static void confirm_refusals(void **state)
{
	struct fx *f = *state;
	uint64_t expires = T0 + f->cfg.oob.valid;
	struct otp_device_rec d;

	assert_int_equal(enroll_email(f, &f->a, "mail", 0, &d), OTP_OK);
	/* used once already: a replay */
	send_code(f, d.id, "123456", expires, T0 + 1, 0);
	assert_int_equal(confirm(f, T0 + 2, "123456"), OTP_EREPLAY);
	/* expired */
	send_code(f, d.id, "123456", expires, 0, 0);
	assert_int_equal(confirm(f, expires, "123456"), OTP_EBADCODE);
	/* exhausted: max_attempts wrong codes kill it */
	send_code(f, d.id, "123456", expires, 0, f->cfg.oob.max_attempts);
	assert_int_equal(confirm(f, T0 + 3, "123456"), OTP_EBADCODE);
	/* wrong codes up to the limit, then the right one is dead too */
	send_code(f, d.id, "123456", expires, 0, 0);
	for (unsigned i = 0; i < f->cfg.oob.max_attempts; i++)
		assert_int_equal(confirm(f, T0 + 4, "000000"), OTP_EBADCODE);
	assert_int_equal(confirm(f, T0 + 5, "123456"), OTP_EBADCODE);
	assert_int_equal(load(f, d.id).state, OTP_PENDING);
	/* a code of another length is simply wrong */
	send_code(f, d.id, "123456", expires, 0, 0);
	assert_int_equal(confirm(f, T0 + 6, "12345"), OTP_EBADCODE);
	assert_int_equal(confirm(f, T0 + 7, "123456"), OTP_OK);
	/* active now: not pending, and no counter or clock to resync */
	assert_int_equal(confirm(f, T0 + 8, "123456"), OTP_EINVAL);
	{
		struct otp_login w = who_at(T0 + 9);

		assert_int_equal(otp_resync(f->st, &f->a, &f->cfg, &w, "mail", "123456", "123456",
					    &d), OTP_EINVAL);
		assert_string_equal(otp_errdetail(), "email and sms devices have no counter or clock");
	}
}

/* --- walks over every sealed blob ------------------------------------ */

static void apps_beside_oob(void **state)
{
	struct fx *f = *state;
	struct otp_enroll_req req = fx_app_req(OTP_TOTP, "", 1);
	struct otp_login w = who_at(T0);
	struct otp_device_rec d;

	/* a payload is no secret: the duplicate check passes over it */
	assert_int_equal(enroll_email(f, &f->a, "mail", 1, &d), OTP_OK);
	assert_int_equal(otp_enroll(f->st, &f->a, &f->cfg, &w, &req,
				    (const uint8_t *)"12345678901234567890", 20, &d), OTP_OK);
}

static void rekey_reseals_payloads(void **state)
{
	struct fx *f = *state;
	struct otp_login w = who_at(T0);
	struct otp_device_rec d;
	struct otp_oob o;
	unsigned count = 0;

	assert_int_equal(enroll_email(f, &f->a, "mail", 0, &d), OTP_OK);
	send_code(f, d.id, "123456", T0 + 300, 0, 1);
	assert_int_equal(otp_rekey(f->st, &f->a, &f->b, &f->cfg, &w, &count), OTP_OK);
	assert_int_equal(count, 1);
	o = payload(f, &f->b, d.id);
	assert_string_equal(o.to, ADDR);
	assert_int_equal(o.expires, 0);  /* the code's MAC was keyed from the old key */
	assert_int_equal(o.tries, 0);
	assert_int_equal(o.sent, T0 + 300 - f->cfg.oob.valid);  /* the send limits stay */
	otp_oob_wipe(&o);
}

static void census_counts_types(void **state)
{
	struct fx *f = *state;
	struct otp_enroll_req req = oob_req(OTP_SMS, "phone", 1);
	struct otp_login w = who_at(T0);
	struct otp_census c;
	struct otp_device_rec d;

	assert_int_equal(enroll_email(f, &f->a, "mail", 0, &d), OTP_OK);
	assert_int_equal(otp_enroll_oob(f->st, &f->a, &f->cfg, &w, &req, "+4915112345678", &d),
			 OTP_OK);
	assert_int_equal(otp_census(f->st, T0, &c), OTP_OK);
	assert_string_equal(otp_census_types[OTP_EMAIL], "email");
	assert_string_equal(otp_census_types[OTP_SMS], "sms");
	assert_int_equal(c.devices[OTP_EMAIL][OTP_PENDING], 1);
	assert_int_equal(c.devices[OTP_SMS][OTP_ACTIVE], 1);
	assert_int_equal(c.devices[OTP_CENSUS_TYPES - 1][OTP_PENDING], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codec_round_trip),
		cmocka_unit_test(addresses),
		cmocka_unit_test(numbers),
		cmocka_unit_test(masks),
		cmocka_unit_test_setup_teardown(enroll_seals_and_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(enroll_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(confirm_by_the_code_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(confirm_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(apps_beside_oob, setup, teardown),
		cmocka_unit_test_setup_teardown(rekey_reseals_payloads, setup, teardown),
		cmocka_unit_test_setup_teardown(census_counts_types, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
