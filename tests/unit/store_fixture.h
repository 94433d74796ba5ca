/*
 * The store fixture the library's unit tests share: a private directory,
 * the default config without syslog, seal keys in that directory and an
 * LMDB store at <dir>/store; plus the small builders and store accesses
 * their checks repeat. Each test file keeps its own struct fx (whatever
 * else it holds) and calls these on its fields:
 *
 *   setup:     fx_open(f->dir, "/tmp/otp-NAME-XXXXXX", &f->cfg, &f->st);
 *              fx_seal_key(f->dir, "k", &f->key);
 *   teardown:  FX_TEARDOWN(teardown)  (fx_close(f->dir, f->st); free(f))
 *
 * fx_open        mkdtemp over the template (copied into dir, 64 bytes at
 *                most); cfg (may be NULL) gets otp_config_defaults with
 *                audit_syslog = 0; the store is created at <dir>/store.
 * fx_seal_key    a new seal key <dir>/<name>, loaded into k.
 * fx_close       closes the store and removes the directory (rm -rf).
 * FX_TEARDOWN(name) defines static int name(void **state), the teardown of
 *                a struct fx with fields dir and st: fx_close, then free.
 * fx_login       a struct otp_login for user through service at time now,
 *                all else zero (callers add rhost, host, ...).
 * fx_device_load one device record, in a read transaction of its own.
 * fx_device_save one device record, in a write transaction of its own.
 * fx_device_list a user's devices (otp_device_list: *n in and out), in a
 *                read transaction of its own.
 * fx_audit_each  otp_audit_each over the whole trail, in a read
 *                transaction of its own.
 * fx_app_req     an app's enrollment request: type (TOTP, HOTP), name,
 *                SHA1, 6 digits, 30 s, active or not.
 * fx_other_code  a 6-digit code that differs from c in its last digit.
 *
 * Every step is asserted (cmocka): include after <cmocka.h>. The functions
 * are static and marked unused, so a file takes only those it needs.
 */
#ifndef OTP_TESTS_STORE_FIXTURE_H
#define OTP_TESTS_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "config.h"
#include "devices.h"
#include "err.h"
#include "seal.h"
#include "store.h"

#define FX_UNUSED __attribute__((unused))

static FX_UNUSED void fx_open(char dir[64], const char *tmpl, struct otp_config *cfg,
			      struct otp_store **st)
{
	char path[128];

	snprintf(dir, 64, "%s", tmpl);
	assert_non_null(mkdtemp(dir));
	if (cfg != NULL) {
		otp_config_defaults(cfg);
		cfg->audit_syslog = 0;
	}
	snprintf(path, sizeof(path), "%s/store", dir);
	assert_int_equal(otp_store_open(path, 16, OTP_STORE_CREATE, st), OTP_OK);
}

static FX_UNUSED void fx_seal_key(const char *dir, const char *name, struct otp_seal_key *k)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(otp_seal_key_create(path), OTP_OK);
	assert_int_equal(otp_seal_key_load(path, k), OTP_OK);
}

static FX_UNUSED void fx_close(const char *dir, struct otp_store *st)
{
	char cmd[160];

	otp_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

#define FX_TEARDOWN(name)                      \
	static int name(void **state)          \
	{                                      \
		struct fx *f_ = *state;        \
		fx_close(f_->dir, f_->st);     \
		free(f_);                      \
		return 0;                      \
	}

static FX_UNUSED struct otp_login fx_login(const char *user, const char *service, uint64_t now)
{
	struct otp_login w;

	memset(&w, 0, sizeof(w));
	w.user = user;
	w.service = service;
	w.now = now;
	return w;
}

static FX_UNUSED void fx_device_load(struct otp_store *st, const char *user, uint32_t id,
				     struct otp_device_rec *d)
{
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_int_equal(otp_device_load(txn, user, id, d), OTP_OK);
	otp_txn_abort(txn);
}

static FX_UNUSED void fx_device_save(struct otp_store *st, const char *user,
				     const struct otp_device_rec *d)
{
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_txn_begin(st, 1, &txn), OTP_OK);
	assert_int_equal(otp_device_save(txn, user, d), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
}

static FX_UNUSED void fx_device_list(struct otp_store *st, const char *user,
				     struct otp_device_rec *devs, unsigned *n)
{
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_int_equal(otp_device_list(txn, user, devs, n), OTP_OK);
	otp_txn_abort(txn);
}

static FX_UNUSED void fx_audit_each(struct otp_store *st,
				    int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg)
{
	struct otp_txn *txn = NULL;

	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_int_equal(otp_audit_each(txn, 0, 0, 0, fn, arg), OTP_OK);
	otp_txn_abort(txn);
}

static FX_UNUSED struct otp_enroll_req fx_app_req(enum otp_dev_type type, const char *name,
						    int active)
{
	struct otp_enroll_req req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	req.type = type;
	req.alg = OTP_ALG_SHA1;
	req.digits = 6;
	req.period = 30;
	req.active = active;
	return req;
}

static FX_UNUSED void fx_other_code(const char *c, char *out)
{
	strcpy(out, c);
	out[5] = out[5] == '9' ? '0' : (char)(out[5] + 1);
}

#endif
