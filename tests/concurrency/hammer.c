/*
 * hammer - write loops for the crash test, and the checker that runs
 * between kills.
 *   hammer login CONF   loop: HOTP login for "hh", TOTP login for "ht"
 *                       (the clock passed in moves one step per login)
 *   hammer admin CONF   loop: enroll a device for "ha", revoke every other
 *   hammer check CONF   print "hotp_counter= hotp_ok= totp_step= totp_ok=
 *                       devices= revoked= enrolls= revokes="
 * Secrets are the RFC 4226 key, so the loops compute their own codes.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "devices.h"
#include "err.h"

static const uint8_t key20[] = "12345678901234567890";

struct env {
	struct otp_config cfg;
	struct otp_seal_key key;
	struct otp_store *st;
};

static void open_env(struct env *e, const char *conf)
{
	if (otp_config_load(conf, NULL, 0, &e->cfg) != OTP_OK ||
	    otp_seal_key_load(e->cfg.seal_key, &e->key) != OTP_OK ||
	    otp_store_open(e->cfg.store, e->cfg.map_size_mb, 0, &e->st) != OTP_OK) {
		fprintf(stderr, "hammer: %s\n", otp_errdetail());
		exit(2);
	}
}

static int first_device(struct env *e, const char *user, struct otp_device_rec *d)
{
	struct otp_txn *txn;
	int rc = otp_txn_begin(e->st, 0, &txn);

	if (rc == OTP_OK)
		rc = otp_device_load(txn, user, 1, d);
	otp_txn_abort(txn);
	return rc;
}

static int login(struct env *e, const char *user, uint64_t now, const char *code)
{
	struct otp_login who = { .user = user, .service = "hammer", .now = now };
	struct otp_auth_result res;

	/* as pam_otp does with password=none: one transaction per login */
	memset(&res, 0, sizeof(res));
	return otp_auth_code(e->st, &e->key, &e->cfg, &who, code, OTP_AUTH_CHARGE | OTP_AUTH_FINAL,
			     &res);
}

static void loop_login(struct env *e)
{
	struct otp_device_rec d;
	char code[OTP_CODE_BUF];

	for (;;) {
		if (first_device(e, "hh", &d) != OTP_OK ||
		    otp_hotp(key20, 20, OTP_ALG_SHA1, d.counter, 6, code) != OTP_OK ||
		    login(e, "hh", otp_now(), code) != OTP_OK)
			exit(3);
		if (first_device(e, "ht", &d) != OTP_OK ||
		    otp_hotp(key20, 20, OTP_ALG_SHA1, d.last_step + 1, 6, code) != OTP_OK ||
		    login(e, "ht", (d.last_step + 1) * 30, code) != OTP_OK)
			exit(4);
	}
}

static void loop_admin(struct env *e)
{
	struct otp_enroll_req req;
	struct otp_device_rec d;
	struct otp_login who = { .user = "ha", .service = "hammer" };

	memset(&req, 0, sizeof(req));
	req.type = OTP_TOTP;
	req.alg = OTP_ALG_SHA1;
	req.digits = 6;
	req.period = 30;
	req.active = 1;
	for (;;) {
		char ref[16];

		uint8_t seed[20];

		who.now = otp_now();
		/* a fresh seed each time: a user's live devices never share one */
		if (RAND_bytes(seed, sizeof(seed)) != 1)
			exit(5);
		/* OTP_DEVICES_MAX reached: the test removes the user and goes on */
		if (otp_enroll(e->st, &e->key, &e->cfg, &who, &req, seed, 20, &d) != OTP_OK)
			exit(0);
		snprintf(ref, sizeof(ref), "%u", d.id);
		if (d.id % 2 == 0 && otp_revoke(e->st, &e->cfg, &who, ref, &d) != OTP_OK)
			exit(5);
	}
}

struct counting { const char *user, *event; unsigned n; };

static int count_one(const struct otp_audit_ev *ev, void *arg)
{
	struct counting *c = arg;

	if (ev == NULL)
		exit(7);
	if (!strcmp(ev->user, c->user) && !strcmp(ev->event, "user_removed"))
		c->n = 0;
	c->n += !strcmp(ev->user, c->user) && !strcmp(ev->event, c->event);
	return OTP_OK;
}

/* Records of event for user since the user was last removed (the trail
 * keeps a removed user's history, the store does not). */
static unsigned count_events(struct env *e, const char *user, const char *event)
{
	struct counting c = { user, event, 0 };
	struct otp_txn *txn;

	if (otp_txn_begin(e->st, 0, &txn) != OTP_OK ||
	    otp_audit_each(txn, 0, 0, 0, count_one, &c) != OTP_OK)
		exit(6);
	otp_txn_abort(txn);
	return c.n;
}

static void check(struct env *e)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs)), d;
	unsigned n = 0, revoked = 0;
	struct otp_txn *txn;
	uint64_t hc, ts;

	if (first_device(e, "hh", &d) != OTP_OK)
		exit(8);
	hc = d.counter;
	if (first_device(e, "ht", &d) != OTP_OK)
		exit(8);
	ts = d.last_step;
	if (otp_txn_begin(e->st, 0, &txn) != OTP_OK ||
	    otp_device_list(txn, "ha", devs, &n) != OTP_OK)
		exit(9);
	otp_txn_abort(txn);
	for (unsigned i = 0; i < n; i++)
		revoked += devs[i].state == OTP_REVOKED;
	printf("hotp_counter=%llu hotp_ok=%u totp_step=%llu totp_ok=%u devices=%u revoked=%u "
	       "enrolls=%u revokes=%u\n", (unsigned long long)hc,
	       count_events(e, "hh", "auth_success"), (unsigned long long)ts,
	       count_events(e, "ht", "auth_success"), n, revoked,
	       count_events(e, "ha", "enroll"), count_events(e, "ha", "revoke"));
	free(devs);
}

int main(int argc, char **argv)
{
	struct env e;

	if (argc != 3) {
		fprintf(stderr, "usage: hammer login|admin|check CONF\n");
		return 2;
	}
	open_env(&e, argv[2]);
	if (!strcmp(argv[1], "login"))
		loop_login(&e);
	else if (!strcmp(argv[1], "admin"))
		loop_admin(&e);
	else
		check(&e);
	otp_store_close(e.st);
	return 0;
}
