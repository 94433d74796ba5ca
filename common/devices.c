#include "devices.h"
#include "hosts.h"
#include "audit.h"
#include "err.h"
#include "keycheck.h"
#include "oob.h"
#include "secretdup.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *otp_state_name(unsigned state)
{
	return state == OTP_ACTIVE ? "active" : state == OTP_REVOKED ? "revoked" : "pending";
}

/* OTP_EEXIST when a live device other than except_id is called name. */
static int name_taken(struct otp_txn *txn, const char *user, const char *name,
		      uint32_t except_id, unsigned *count)
{
	struct otp_device_rec *all = calloc(OTP_DEVICES_MAX, sizeof(*all));
	unsigned n = 0;
	int rc;

	if (all == NULL)
		return OTP_ENOMEM;
	rc = otp_device_list(txn, user, all, &n);
	for (unsigned i = 0; rc == OTP_OK && i < n; i++) {
		if (all[i].id != except_id && all[i].state != OTP_REVOKED &&
		    strcmp(all[i].name, name) == 0)
			rc = otp_seterr(OTP_EEXIST, "user %s already has a device named '%s'",
					user, name);
	}
	if (count != NULL)
		*count = n;
	otp_wipe(all, OTP_DEVICES_MAX * sizeof(*all));
	free(all);
	return rc;
}

int otp_device_find(struct otp_txn *txn, const char *user, const char *ref,
		    struct otp_device_rec *d)
{
	struct otp_device_rec *all;
	unsigned n = 0;
	uint64_t id;
	int rc, revoked = -1;

	if (otp_parse_u64(ref, 1, UINT32_MAX, &id) == OTP_OK) {
		rc = otp_device_load(txn, user, (uint32_t)id, d);
		return rc == OTP_ENOTFOUND ?
		       otp_seterr(rc, "no device '%s' for user %s", ref, user) : rc;
	}
	otp_clearerr();
	all = calloc(OTP_DEVICES_MAX, sizeof(*all));
	if (all == NULL)
		return OTP_ENOMEM;
	rc = otp_device_list(txn, user, all, &n);
	if (rc == OTP_OK)
		rc = OTP_ENOTFOUND;
	for (unsigned i = 0; rc == OTP_ENOTFOUND && i < n; i++) {
		if (strcmp(all[i].name, ref) != 0)
			continue;
		if (all[i].state != OTP_REVOKED) {
			*d = all[i];
			rc = OTP_OK;
		} else {
			revoked = (int)i;  /* the newest of that name, if no live one */
		}
	}
	if (rc == OTP_ENOTFOUND && revoked >= 0) {
		*d = all[revoked];
		rc = OTP_OK;
	}
	otp_wipe(all, OTP_DEVICES_MAX * sizeof(*all));
	free(all);
	return rc == OTP_ENOTFOUND ? otp_seterr(rc, "no device '%s' for user %s", ref, user) : rc;
}

int otp_check_request(const struct otp_enroll_req *req, size_t n)
{
	if ((unsigned)req->type > OTP_DEV_TYPE_LAST || (unsigned)req->alg > OTP_ALG_SHA512 ||
	    req->digits < OTP_DIGITS_MIN || req->digits > OTP_DIGITS_MAX ||
	    (req->type == OTP_TOTP &&
	     (req->period < OTP_PERIOD_MIN || req->period > OTP_PERIOD_MAX)))
		return otp_seterr(OTP_EINVAL, "bad device parameters");
	/* an email or sms device has a destination (otp_enroll_oob), no secret */
	if (OTP_IS_OOB(req->type) ? n != 0 : n < OTP_SECRET_MIN || n > OTP_SECRET_MAX)
		return otp_seterr(OTP_EINVAL, "secret must be %d..%d bytes", OTP_SECRET_MIN,
				  OTP_SECRET_MAX);
	if (req->name[0] != '\0')
		return otp_valid_name(req->name);
	return OTP_OK;
}

int otp_device_slot(struct otp_txn *txn, const struct otp_seal_key *key,
		    const struct otp_login *who, const struct otp_enroll_req *req,
		    struct otp_user_rec *u, struct otp_device_rec *d)
{
	unsigned count = 0;
	int rc = otp_user_load(txn, who->user, u);

	if (rc == OTP_ENOTFOUND) {
		memset(u, 0, sizeof(*u));
		u->created = who->now;
		u->next_device = 1;
		rc = OTP_OK;
	}
	if (rc != OTP_OK)
		return rc;
	memset(d, 0, sizeof(*d));
	d->id = u->next_device++;
	if (req->name[0] != '\0')
		snprintf(d->name, sizeof(d->name), "%s", req->name);
	else
		snprintf(d->name, sizeof(d->name), "device%u", d->id);
	rc = name_taken(txn, who->user, d->name, 0, &count);
	if (rc == OTP_OK && count >= OTP_DEVICES_MAX)
		rc = otp_seterr(OTP_EINVAL, "user %s already has %d devices", who->user,
				OTP_DEVICES_MAX);
	/* In this transaction: the key is the store's (or claims an empty one). */
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(txn, key, OTP_KEYCHECK_RECORD | OTP_KEYCHECK_CLAIM);
	if (rc != OTP_OK)
		return rc;
	d->type = (uint8_t)req->type;
	d->digits = (uint8_t)req->digits;
	d->state = req->active ? OTP_ACTIVE : OTP_PENDING;
	d->created = who->now;
	if (!OTP_IS_OOB(req->type)) {
		d->alg = (uint8_t)req->alg;
		d->period = req->type == OTP_TOTP ? req->period : 0;
		d->counter = req->counter;
		d->last_step = req->last_step;
	}
	return OTP_OK;
}

int otp_device_create(struct otp_txn *txn, const struct otp_seal_key *key,
		      const struct otp_login *who, const struct otp_enroll_req *req,
		      const uint8_t *secret, size_t n, struct otp_device_rec *d)
{
	struct otp_user_rec u;
	int rc;

	if (OTP_IS_OOB(req->type))
		return otp_seterr(OTP_EINVAL, "email and sms devices have no secret");
	rc = otp_device_slot(txn, key, who, req, &u, d);
	/* no live device of the user has this secret yet */
	if (rc == OTP_OK)
		rc = otp_secret_in_use(txn, key, who->user, secret, n, 0, OTP_STATES_LIVE);
	if (rc == OTP_OK)
		rc = otp_seal(key, who->user, d->id, secret, n, d->sealed, sizeof(d->sealed),
			      &d->sealed_len);
	if (rc == OTP_OK)
		rc = otp_device_save(txn, who->user, d);
	if (rc == OTP_OK)
		rc = otp_user_save(txn, who->user, &u);
	return rc;
}

int otp_enroll(struct otp_store *st, const struct otp_seal_key *key,
	       const struct otp_config *cfg, const struct otp_login *who,
	       const struct otp_enroll_req *req, const uint8_t *secret, size_t n,
	       struct otp_device_rec *d)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[96];
	int rc;

	rc = otp_valid_user(who->user);
	if (rc == OTP_OK)
		rc = otp_check_request(req, n);
	if (rc == OTP_OK)
		rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = otp_device_create(txn, key, who, req, secret, n, d);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%s %s %u digits%s", otp_dev_type_name(req->type),
		 otp_alg_name(req->alg), req->digits, req->active ? "" : ", pending");
	otp_audit_from(&ev, who, "enroll", d->name, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

/* A pending device whose secret another device has activated meanwhile
 * (stores from before the check at enrollment) stays pending. */
static int active_elsewhere(struct otp_txn *txn, const struct otp_seal_key *key,
			    const char *user, const struct otp_device_rec *d)
{
	uint8_t secret[OTP_SECRET_MAX];
	size_t n = 0;
	int rc = otp_unseal(key, user, d->id, d->sealed, d->sealed_len, secret, sizeof(secret), &n);

	if (rc == OTP_OK)
		rc = otp_secret_in_use(txn, key, user, secret, n, d->id, OTP_STATES_ACTIVE);
	otp_wipe(secret, sizeof(secret));
	return rc;
}

int otp_confirm(struct otp_store *st, const struct otp_seal_key *key,
		const struct otp_config *cfg, const struct otp_login *who,
		const char *ref, const char *code, struct otp_device_rec *d)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 1, &txn);

	if (rc == OTP_OK)
		rc = otp_device_find(txn, who->user, ref, d);
	if (rc == OTP_OK && d->state != OTP_PENDING)
		rc = otp_seterr(OTP_EINVAL, "device '%s' of %s is %s, not pending", d->name,
				who->user, otp_state_name(d->state));
	if (rc == OTP_OK && OTP_IS_OOB(d->type))
		return otp_oob_confirm_txn(txn, key, cfg, who, d, code);
	if (rc == OTP_OK)
		rc = active_elsewhere(txn, key, who->user, d);
	if (rc == OTP_OK)
		rc = otp_device_check(key, cfg, who->user, d, code, who->now);
	if (rc == OTP_OK) {
		d->state = OTP_ACTIVE;
		rc = otp_device_save(txn, who->user, d);
	}
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	otp_audit_from(&ev, who, "confirm", d->name, NULL);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

int otp_rename(struct otp_store *st, const struct otp_config *cfg,
	       const struct otp_login *who, const char *ref, const char *name)
{
	struct otp_device_rec d;
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[OTP_NAME_MAX * 2 + 16];
	int rc = otp_valid_name(name);

	if (rc == OTP_OK)
		rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = otp_device_find(txn, who->user, ref, &d);
	if (rc == OTP_OK)
		rc = name_taken(txn, who->user, name, d.id, NULL);
	if (rc == OTP_OK) {
		snprintf(detail, sizeof(detail), "from '%s' to '%s'", d.name, name);
		snprintf(d.name, sizeof(d.name), "%s", name);
		rc = otp_device_save(txn, who->user, &d);
	}
	otp_wipe(&d, sizeof(d));
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	otp_audit_from(&ev, who, "rename", name, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

/*
 * Inside txn, after device id of user was revoked: forget the hosts it
 * vouched for, or every host once no active device is left (recovery
 * codes alone do not keep a remembered host). detail says how many went.
 */
static int forget_vouched(struct otp_txn *txn, const char *user, uint32_t id,
			  char *detail, size_t len)
{
	struct otp_device_rec *all = calloc(OTP_DEVICES_MAX, sizeof(*all));
	unsigned n = 0, active = 0, gone = 0;
	int rc = all ? otp_device_list(txn, user, all, &n) : OTP_ENOMEM;

	for (unsigned i = 0; rc == OTP_OK && i < n; i++)
		active += all[i].state == OTP_ACTIVE;
	if (all != NULL)
		otp_wipe(all, OTP_DEVICES_MAX * sizeof(*all));
	free(all);
	if (rc == OTP_OK)
		rc = otp_host_forget_device(txn, user, id, active == 0, &gone);
	detail[0] = '\0';
	if (rc == OTP_OK && gone > 0)
		snprintf(detail, len, "%u remembered host%s forgotten", gone, gone == 1 ? "" : "s");
	return rc;
}

int otp_revoke(struct otp_store *st, const struct otp_config *cfg,
	       const struct otp_login *who, const char *ref, struct otp_device_rec *d)
{
	struct otp_audit_ev ev;
	char detail[64];
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 1, &txn);

	if (rc == OTP_OK)
		rc = otp_device_find(txn, who->user, ref, d);
	if (rc == OTP_OK && d->state == OTP_REVOKED)
		rc = otp_seterr(OTP_EINVAL, "device %u of %s is already revoked", d->id, who->user);
	if (rc == OTP_OK) {
		d->state = OTP_REVOKED;
		otp_wipe(d->sealed, sizeof(d->sealed));
		d->sealed_len = 0;
		rc = otp_device_save(txn, who->user, d);
	}
	if (rc == OTP_OK)
		rc = forget_vouched(txn, who->user, d->id, detail, sizeof(detail));
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	otp_audit_from(&ev, who, "revoke", d->name, detail[0] ? detail : NULL);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

/* The first counter c in from..from+span with code1 at c and code2 at
 * c + 1 (TOTP steps are HOTP counters); *next gets c + 1. */
static int find_pair(const uint8_t *secret, size_t n, const struct otp_device_rec *d,
		     uint64_t from, uint64_t span, const char *code1, const char *code2,
		     uint64_t *next)
{
	char c1[OTP_CODE_BUF], c2[OTP_CODE_BUF];
	uint64_t m1, m2, end = from + span;
	int rc;

	if (otp_code_normalize(code1, c1) == OTP_OK)
		code1 = c1;
	if (otp_code_normalize(code2, c2) == OTP_OK)
		code2 = c2;
	rc = otp_hotp_verify(secret, n, d->alg, d->digits, from, (unsigned)span, code1, &m1);
	while (rc == OTP_OK) {
		if (otp_hotp_verify(secret, n, d->alg, d->digits, m1 + 1, 0, code2, &m2) == OTP_OK) {
			*next = m1 + 1;
			break;
		}
		if (m1 + 1 > end) {
			rc = OTP_EBADCODE;
			break;
		}
		rc = otp_hotp_verify(secret, n, d->alg, d->digits, m1 + 1, (unsigned)(end - m1 - 1),
				     code1, &m1);
	}
	otp_wipe(c1, sizeof(c1));
	otp_wipe(c2, sizeof(c2));
	return rc;
}

/* Move d on to the pair found; detail says what changed. */
static int resync_move(const uint8_t *secret, size_t n, struct otp_device_rec *d,
		       const char *code1, const char *code2, uint64_t now, char *detail,
		       size_t len)
{
	uint64_t next = 0, step = 0, span, from;
	int rc;

	if (d->type == OTP_HOTP) {
		rc = find_pair(secret, n, d, d->counter, OTP_RESYNC_WINDOW, code1, code2, &next);
		if (rc == OTP_OK) {
			snprintf(detail, len, "counter %llu -> %llu", (unsigned long long)d->counter,
				 (unsigned long long)next + 1);
			d->counter = next + 1;
		}
		return rc;
	}
	rc = otp_totp_step(now, 0, d->period, &step);
	span = 3600 / d->period < OTP_DRIFT_MAX ? 3600 / d->period : OTP_DRIFT_MAX;
	from = step > span ? step - span : 0;
	if (from <= d->last_step)
		from = d->last_step + 1;
	if (rc == OTP_OK)
		rc = from > step + span ? OTP_EBADCODE :
		     find_pair(secret, n, d, from, step + span - from, code1, code2, &next);
	/* code2 may sit one step past the window: keep the drift in bounds */
	if (rc == OTP_OK && ((int64_t)next - (int64_t)step > OTP_DRIFT_MAX ||
			     (int64_t)next - (int64_t)step < -OTP_DRIFT_MAX))
		rc = OTP_EBADCODE;
	if (rc == OTP_OK) {
		d->drift = (int32_t)((int64_t)next - (int64_t)step);
		d->last_step = next;
		snprintf(detail, len, "clock drift %+d steps (%+lld s)", d->drift,
			 (long long)d->drift * d->period);
	}
	return rc;
}

int otp_resync(struct otp_store *st, const struct otp_seal_key *key,
	       const struct otp_config *cfg, const struct otp_login *who, const char *ref,
	       const char *code1, const char *code2, struct otp_device_rec *d)
{
	uint8_t secret[OTP_SECRET_MAX];
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[64] = "";
	size_t n = 0;
	int rc = otp_txn_begin(st, 1, &txn);

	if (rc == OTP_OK)
		rc = otp_device_find(txn, who->user, ref, d);
	if (rc == OTP_OK && OTP_IS_OOB(d->type))
		rc = otp_seterr(OTP_EINVAL, "email and sms devices have no counter or clock");
	if (rc == OTP_OK && d->state != OTP_ACTIVE)
		rc = otp_seterr(OTP_EINVAL, "device '%s' of %s is not active", d->name, who->user);
	if (rc == OTP_OK)
		rc = otp_unseal(key, who->user, d->id, d->sealed, d->sealed_len, secret,
				sizeof(secret), &n);
	if (rc == OTP_OK)
		rc = resync_move(secret, n, d, code1, code2, who->now, detail, sizeof(detail));
	otp_wipe(secret, sizeof(secret));
	if (rc == OTP_OK) {
		d->last_used = who->now;
		rc = otp_device_save(txn, who->user, d);
	}
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	otp_audit_from(&ev, who, "resync", d->name, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}
