#include "users.h"
#include "audit.h"
#include "devices.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int otp_user_remove(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who)
{
	MDB_dbi dbis[3] = { st->devices, st->recovery, st->hosts };
	uint8_t key[OTP_KEY_MAX];
	unsigned gone[3] = { 0, 0, 0 };
	struct otp_audit_ev ev;
	MDB_txn *txn = NULL;
	char detail[96];
	size_t kl;
	MDB_val k;
	int rc, mrc;

	if (otp_key_user(who->user, key, &kl) != OTP_OK)
		return OTP_ENOTFOUND;
	rc = otp_txn_begin(st, 1, &txn);
	for (int i = 0; rc == OTP_OK && i < 3; i++)
		rc = otp_del_user_records(txn, dbis[i], who->user, &gone[i]);
	if (rc == OTP_OK) {
		k.mv_size = kl;
		k.mv_data = key;
		mrc = mdb_del(txn, st->users, &k, NULL);
		if (mrc == MDB_NOTFOUND && gone[0] + gone[1] + gone[2] == 0)
			rc = otp_seterr(OTP_ENOTFOUND, "user %s is not enrolled", who->user);
		else if (mrc != 0 && mrc != MDB_NOTFOUND)
			rc = otp_lmdb_err(mrc, "users");
	}
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u devices, %u recovery codes, %u hosts", gone[0],
		 gone[1], gone[2]);
	otp_audit_from(&ev, who, "user_removed", NULL, detail);
	return otp_audit_commit(st, cfg, txn, &ev, 1);
}

static void summarize(struct otp_store *st, MDB_txn *txn, struct otp_user_summary *s,
		      struct otp_device_rec *devs)
{
	unsigned n = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t prefix[OTP_KEY_MAX];
	size_t pl;
	struct otp_recovery_rec r;

	s->devices = s->active = s->recovery_left = 0;
	if (otp_device_list(st, txn, s->user, devs, &n) == OTP_OK) {
		s->devices = n;
		for (unsigned i = 0; i < n; i++)
			s->active += devs[i].state == OTP_ACTIVE;
	}
	if (otp_key_user(s->user, prefix, &pl) != OTP_OK || mdb_cursor_open(txn, st->recovery, &cur))
		return;
	prefix[pl++] = '\0';
	k.mv_size = pl;
	k.mv_data = prefix;
	for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != pl + 4 || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		if (otp_recovery_decode(v.mv_data, v.mv_size, &r) == OTP_OK && r.used == 0)
			s->recovery_left++;
	}
	mdb_cursor_close(cur);
}

int otp_users_each(struct otp_store *st, int (*fn)(const struct otp_user_summary *, void *),
		   void *arg)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	struct otp_user_summary s;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, mrc = 0;

	if (devs == NULL)
		return OTP_ENOMEM;
	rc = otp_txn_begin(st, 0, &txn);
	if (rc == OTP_OK && (mrc = mdb_cursor_open(txn, st->users, &cur)) != 0)
		rc = otp_lmdb_err(mrc, "users");
	for (mrc = rc == OTP_OK ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : MDB_NOTFOUND;
	     mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > OTP_USER_MAX)
			continue;
		memcpy(s.user, k.mv_data, k.mv_size);
		s.user[k.mv_size] = '\0';
		if (otp_user_decode(v.mv_data, v.mv_size, &s.rec) != OTP_OK) {
			rc = otp_seterr(OTP_ECORRUPT, "corrupt user record for %s", s.user);
			break;
		}
		summarize(st, txn, &s, devs);
		if (fn(&s, arg) != 0)
			break;
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	otp_txn_abort(txn);
	otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return rc;
}

/* Active devices of user within txn; 0 on any error (the caller's
 * transaction reports store errors itself). */
static unsigned active_in(struct otp_store *st, MDB_txn *txn, const char *user)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	unsigned n = 0, active = 0;

	if (devs != NULL && otp_device_list(st, txn, user, devs, &n) == OTP_OK) {
		for (unsigned i = 0; i < n; i++)
			active += devs[i].state == OTP_ACTIVE;
	}
	if (devs != NULL)
		otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return active;
}

static int import_one(struct otp_store *st, MDB_txn *txn, const struct otp_seal_key *key,
		      const struct otp_config *cfg, const struct otp_login *who,
		      const struct otp_import_item *it, struct otp_audit_ev *ev)
{
	const struct otp_import_dev *src = it->dev;
	struct otp_enroll_req req;
	struct otp_device_rec d;
	int rc = OTP_EEXIST;

	/* Importing over a live device would let one code pass twice. */
	if (active_in(st, txn, who->user) > 0)
		return otp_seterr(OTP_EEXIST, "user %s already has an active device; not imported",
				  who->user);
	memset(&req, 0, sizeof(req));
	req.type = src->hotp ? OTP_HOTP : OTP_TOTP;
	req.alg = OTP_ALG_SHA1;
	req.digits = src->digits;
	req.period = src->period ? src->period : 30;
	req.counter = src->counter;
	req.last_step = src->last_step;
	req.active = 1;
	for (unsigned i = 1; rc == OTP_EEXIST && i <= OTP_DEVICES_MAX; i++) {
		snprintf(req.name, sizeof(req.name), i == 1 ? "imported" : "imported%u", i);
		rc = otp_check_request(&req, src->secret_len);
		if (rc == OTP_OK)
			rc = otp_device_create(st, txn, key, who, &req, src->secret, src->secret_len, &d);
	}
	if (rc == OTP_OK && it->recovery != NULL)
		rc = otp_recovery_put_set(st, txn, who->user, it->recovery);
	if (rc == OTP_OK) {
		otp_audit_from(ev, who, "import", d.name, it->detail);
		rc = otp_audit_append(st, txn, ev, cfg->audit_retention_days);
	}
	otp_wipe(&d, sizeof(d));
	return rc;
}

static int import_batch_once(struct otp_store *st, const struct otp_seal_key *key,
			     const struct otp_config *cfg, const struct otp_login *who_template,
			     const struct otp_import_item *items, unsigned n)
{
	struct otp_login who = *who_template;
	struct otp_audit_ev *evs = calloc(n ? n : 1, sizeof(*evs));
	MDB_txn *txn = NULL;
	int rc = evs ? otp_txn_begin(st, 1, &txn) : OTP_ENOMEM;

	for (unsigned i = 0; rc == OTP_OK && i < n; i++) {
		who.user = items[i].dev->user;
		rc = import_one(st, txn, key, cfg, &who, &items[i], &evs[i]);
		if (rc != OTP_OK && otp_errdetail()[0] == '\0')
			otp_seterr(rc, "user %s: %s", who.user, otp_strerror(rc));
	}
	if (rc != OTP_OK)
		otp_txn_abort(txn);
	else
		rc = otp_txn_commit(txn);
	for (unsigned i = 0; rc == OTP_OK && cfg->audit_syslog && i < n; i++)
		otp_audit_syslog(&evs[i]);  /* only what was committed */
	free(evs);
	return rc;
}

int otp_import_batch(struct otp_store *st, const struct otp_seal_key *key,
		     const struct otp_config *cfg, const struct otp_login *who_template,
		     const struct otp_import_item *items, unsigned n)
{
	int rc = import_batch_once(st, key, cfg, who_template, items, n);

	/* A long import outgrows the map it opened with: grow and redo. */
	while (rc == OTP_EFULL && otp_store_grow(st) == OTP_OK) {
		otp_clearerr();
		rc = import_batch_once(st, key, cfg, who_template, items, n);
	}
	return rc;
}
