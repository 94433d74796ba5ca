#include "users.h"
#include "audit.h"
#include "devices.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every record of user in txn; gone[] gets how many devices, recovery
 * codes and hosts went. */
static int remove_in(struct otp_txn *txn, const char *user, unsigned gone[3])
{
	int rc = otp_device_delete_all(txn, user, &gone[0]);

	if (rc == OTP_OK)
		rc = otp_recovery_delete_all(txn, user, &gone[1]);
	if (rc == OTP_OK)
		rc = otp_host_delete_if(txn, user, NULL, NULL, &gone[2]);
	if (rc == OTP_OK)
		rc = otp_user_delete(txn, user);
	if (rc == OTP_ENOTFOUND && gone[0] + gone[1] + gone[2] == 0)
		return otp_seterr(OTP_ENOTFOUND, "user %s is not enrolled", user);
	return rc == OTP_ENOTFOUND ? OTP_OK : rc;
}

int otp_user_remove(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who)
{
	unsigned gone[3] = { 0, 0, 0 };
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[96];
	int rc;

	if (strnlen(who->user, OTP_USER_MAX + 1) > OTP_USER_MAX)
		return OTP_ENOTFOUND;
	rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = remove_in(txn, who->user, gone);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u devices, %u recovery codes, %u hosts", gone[0],
		 gone[1], gone[2]);
	otp_audit_from(&ev, who, "user_removed", NULL, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

/* Unused codes; a record that does not decode is not counted. */
static int left_fn(uint32_t n, const struct otp_recovery_rec *r, void *arg)
{
	unsigned *left = arg;

	(void)n;
	*left += r != NULL && r->used == 0;
	return OTP_OK;
}

struct summing {
	struct otp_txn *txn;
	struct otp_device_rec *devs;
	int (*fn)(const struct otp_user_summary *, void *);
	void *arg;
};

/* One user's summary; what does not read is left out, not an error. */
static int summarize(const char *user, const struct otp_user_rec *u, void *arg)
{
	struct summing *sm = arg;
	struct otp_user_summary s;
	unsigned n = 0;

	memset(&s, 0, sizeof(s));
	snprintf(s.user, sizeof(s.user), "%s", user);
	s.rec = *u;
	if (otp_device_list(sm->txn, user, sm->devs, &n) == OTP_OK) {
		s.devices = n;
		for (unsigned i = 0; i < n; i++) {
			const struct otp_device_rec *d = &sm->devs[i];

			s.active += d->state == OTP_ACTIVE;
			if (d->state == OTP_ACTIVE && d->type <= OTP_DEV_TYPE_LAST)
				s.active_by_type[d->type]++;
		}
	}
	(void)otp_recovery_each(sm->txn, user, left_fn, &s.recovery_left);
	return sm->fn(&s, sm->arg) != 0 ? OTP_EACH_STOP : OTP_OK;
}

int otp_users_each(struct otp_store *st, int (*fn)(const struct otp_user_summary *, void *),
		   void *arg)
{
	struct summing sm = { NULL, calloc(OTP_DEVICES_MAX, sizeof(*sm.devs)), fn, arg };
	int rc;

	if (sm.devs == NULL)
		return OTP_ENOMEM;
	rc = otp_txn_begin(st, 0, &sm.txn);
	if (rc == OTP_OK)
		rc = otp_user_each(sm.txn, summarize, &sm);
	otp_txn_abort(sm.txn);
	otp_wipe(sm.devs, OTP_DEVICES_MAX * sizeof(*sm.devs));
	free(sm.devs);
	return rc;
}

/* Active devices of user within txn; 0 on any error (the caller's
 * transaction reports store errors itself). */
static unsigned active_in(struct otp_txn *txn, const char *user)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	unsigned n = 0, active = 0;

	if (devs != NULL && otp_device_list(txn, user, devs, &n) == OTP_OK) {
		for (unsigned i = 0; i < n; i++)
			active += devs[i].state == OTP_ACTIVE;
	}
	if (devs != NULL)
		otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return active;
}

static int import_one(struct otp_txn *txn, const struct otp_seal_key *key,
		      const struct otp_config *cfg, const struct otp_login *who,
		      const struct otp_import_item *it, struct otp_audit_ev *ev)
{
	const struct otp_import_dev *src = it->dev;
	struct otp_enroll_req req;
	struct otp_device_rec d;
	int rc = OTP_EEXIST;

	/* Importing over a live device would let one code pass twice. */
	if (active_in(txn, who->user) > 0)
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
			rc = otp_device_create(txn, key, who, &req, src->secret, src->secret_len, &d);
	}
	if (rc == OTP_OK && it->recovery != NULL)
		rc = otp_recovery_put_set(txn, who->user, it->recovery);
	if (rc == OTP_OK) {
		otp_audit_from(ev, who, "import", d.name, it->detail);
		rc = otp_audit_append(txn, ev, cfg->audit_retention_days);
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
	struct otp_txn *txn = NULL;
	int rc = evs ? otp_txn_begin(st, 1, &txn) : OTP_ENOMEM;

	for (unsigned i = 0; rc == OTP_OK && i < n; i++) {
		who.user = items[i].dev->user;
		rc = import_one(txn, key, cfg, &who, &items[i], &evs[i]);
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
