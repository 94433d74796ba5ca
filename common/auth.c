#include "auth.h"
#include "audit.h"
#include "err.h"
#include "flood.h"
#include "hosts.h"
#include "keycheck.h"
#include "oob.h"
#include "oobaddr.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_ANNOUNCED 1u  /* user flag: the `lockout` record is written */

void otp_audit_from(struct otp_audit_ev *ev, const struct otp_login *who, const char *event,
		       const char *device, const char *detail)
{
	otp_audit_set(ev, who->now, event, who->user, device, detail);
	otp_audit_set_origin(ev, who->service, who->rhost, who->tty);
	otp_audit_set_by(ev, who->host, who->actor);
}

/* Audit inside txn, commit, then syslog only what was committed. */
int otp_audit_commit(const struct otp_config *cfg, struct otp_txn *txn,
			struct otp_audit_ev *evs, unsigned nev)
{
	int rc = OTP_OK;

	for (unsigned i = 0; rc == OTP_OK && i < nev; i++)
		rc = otp_audit_append(txn, &evs[i], cfg->audit_retention_days);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	rc = otp_txn_commit(txn);
	for (unsigned i = 0; rc == OTP_OK && cfg->audit_syslog && i < nev; i++)
		otp_audit_syslog(&evs[i]);
	return rc;
}

static int exempt(const struct otp_login *who)
{
	return who->exempt == 1;
}

static int is_locked(const struct otp_user_rec *u, uint64_t now)
{
	return u->locked_until != 0 && (u->locked_until == OTP_LOCKED_FOREVER || now < u->locked_until);
}

static void clear_failures(struct otp_user_rec *u)
{
	u->failures = 0;
	u->first_fail = 0;
	u->locked_until = 0;
	u->flags &= ~LOCK_ANNOUNCED;
}

static void charge(struct otp_user_rec *u, const struct otp_config *cfg, uint64_t now)
{
	/* a clock behind first_fail (hosts of a fleet, or a login that read it
	 * earlier) is still inside the interval: it never clears failures */
	if (u->locked_until != 0 || u->first_fail == 0 ||
	    (now > u->first_fail && now - u->first_fail > cfg->lockout.fail_interval)) {
		clear_failures(u);
		u->first_fail = now;
	}
	u->failures++;
	if (u->failures >= cfg->lockout.deny)
		u->locked_until = cfg->lockout.unlock_time ? now + cfg->lockout.unlock_time :
			OTP_LOCKED_FOREVER;
}

/* Locked now, or locked by one more charge: only then does exemption matter. */
static int lock_at_stake(const struct otp_user_rec *u, const struct otp_config *cfg,
			 uint64_t now)
{
	struct otp_user_rec next = *u;

	if (is_locked(u, now))
		return 1;
	charge(&next, cfg, now);
	return next.locked_until != 0;
}

/*
 * Inside txn: count this attempt before any factor is checked. A locked
 * user's attempt is counted too (status shows it) and refused with
 * OTP_ELOCKED, the write kept; a name with no record is counted in its
 * source's summary (flood.h), so every class of name writes alike.
 */
int otp_auth_charge_in(const struct otp_config *cfg, struct otp_txn *txn,
		       const struct otp_login *who, struct otp_auth_result *res)
{
	struct otp_user_rec u;
	int rc;

	if (exempt(who) || cfg->lockout.deny == 0)
		return OTP_OK;
	rc = otp_user_load(txn, who->user, &u);
	if (rc == OTP_ENOTFOUND)
		return otp_flood_note(cfg, txn, who, 0, NULL);
	res->enrolled = 1;
	if (rc != OTP_OK)
		return rc;
	if (who->exempt == OTP_EXEMPT_ASK && lock_at_stake(&u, cfg, who->now))
		return OTP_EEXEMPT;
	if (is_locked(&u, who->now)) {
		res->locked_until = u.locked_until;
		u.failures += u.failures < UINT32_MAX;
		rc = otp_user_save(txn, who->user, &u);
		return rc == OTP_OK ? OTP_ELOCKED : rc;
	}
	charge(&u, cfg, who->now);
	return otp_user_save(txn, who->user, &u);
}

/* Audit the refusal of a locked user and commit txn. */
static int refuse_locked(const struct otp_config *cfg, struct otp_txn *txn,
			 const struct otp_login *who)
{
	struct otp_audit_ev ev;
	int rc;

	otp_audit_from(&ev, who, "locked", NULL, "attempt refused while locked");
	rc = otp_audit_commit(cfg, txn, &ev, 1);
	return rc == OTP_OK ? OTP_ELOCKED : rc;
}

int otp_auth_charge(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who, struct otp_auth_result *res)
{
	struct otp_txn *txn = NULL;
	int rc, crc;

	memset(res, 0, sizeof(*res));
	if (exempt(who) || cfg->lockout.deny == 0)
		return OTP_OK;
	rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = otp_auth_charge_in(cfg, txn, who, res);
	if (rc != OTP_OK && rc != OTP_ELOCKED) {
		otp_txn_abort(txn);
		return rc;
	}
	crc = otp_txn_commit(txn);
	return crc == OTP_OK ? rc : crc;
}

int otp_auth_refuse_locked(struct otp_store *st, const struct otp_config *cfg,
			   const struct otp_login *who)
{
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 1, &txn);

	return rc == OTP_OK ? refuse_locked(cfg, txn, who) : rc;
}

/*
 * The drift a success at step matched (our step now_step) leaves: what was
 * seen, within OTP_DRIFT_AUTO steps; beyond that only where a resync put
 * it, followed one step at a time, and never past OTP_DRIFT_MAX.
 */
static int32_t next_drift(const struct otp_device_rec *d, uint64_t matched, uint64_t now_step)
{
	int64_t seen = (int64_t)(matched - now_step), lo = -OTP_DRIFT_AUTO, hi = OTP_DRIFT_AUTO;

	if (d->drift > OTP_DRIFT_AUTO || d->drift < -OTP_DRIFT_AUTO) {
		lo = d->drift - 1 < -OTP_DRIFT_MAX ? -OTP_DRIFT_MAX : d->drift - 1;
		hi = d->drift + 1 > OTP_DRIFT_MAX ? OTP_DRIFT_MAX : d->drift + 1;
	}
	if (seen >= -OTP_DRIFT_AUTO && seen <= OTP_DRIFT_AUTO)
		return (int32_t)seen;
	return (int32_t)(seen < lo ? lo : seen > hi ? hi : seen);
}

/* TOTP: the window is centred on our step plus the device's drift. */
static int totp_try(const struct otp_config *cfg, struct otp_device_rec *d,
		    const uint8_t *secret, size_t n, const char *code, uint64_t now)
{
	int64_t shift = (int64_t)d->drift * d->period;
	uint64_t at = shift < 0 && (uint64_t)-shift > now ? 0 : (uint64_t)((int64_t)now + shift);
	uint64_t matched = 0, now_step = 0;
	int rc = otp_totp_verify(secret, n, d->alg, d->digits, d->period, 0, at, cfg->totp.window,
				 d->last_step, code, &matched);

	if (rc == OTP_OK && otp_totp_step(now, 0, d->period, &now_step) == OTP_OK) {
		d->last_step = matched;
		d->drift = next_drift(d, matched, now_step);
	}
	return rc;
}

int otp_device_try(const struct otp_config *cfg, struct otp_device_rec *d,
		   const uint8_t *secret, size_t n, const char *code, uint64_t now)
{
	char norm[OTP_CODE_BUF];
	uint64_t matched = 0;
	int rc;

	/* "123 456" and "123-456", as apps show codes, are the code 123456 */
	if (otp_code_normalize(code, norm) == OTP_OK)
		code = norm;
	if (d->type == OTP_HOTP) {
		rc = otp_hotp_verify(secret, n, d->alg, d->digits, d->counter, cfg->hotp.window,
				     code, &matched);
		if (rc == OTP_OK)
			d->counter = matched + 1;
	} else {
		rc = totp_try(cfg, d, secret, n, code, now);
	}
	if (rc == OTP_OK)
		d->last_used = now;
	otp_wipe(norm, sizeof(norm));
	return rc;
}

int otp_device_check(const struct otp_seal_key *key, const struct otp_config *cfg,
		     const char *user, struct otp_device_rec *d, const char *code, uint64_t now)
{
	uint8_t secret[OTP_SECRET_MAX];
	size_t n = 0;
	int rc;

	rc = otp_unseal(key, user, d->id, d->sealed, d->sealed_len, secret, sizeof(secret), &n);
	if (rc == OTP_OK)
		rc = otp_device_try(cfg, d, secret, n, code, now);
	otp_wipe(secret, sizeof(secret));
	return rc;
}

/* The active devices of a login, their secrets (or, for email and sms
 * devices, their payloads) unsealed. */
struct unsealed {
	struct otp_device_rec devs[OTP_DEVICES_MAX];
	uint8_t secret[OTP_DEVICES_MAX][OTP_SECRET_MAX];
	size_t len[OTP_DEVICES_MAX];
	struct otp_oob oob[OTP_DEVICES_MAX];
	int oob_changed[OTP_DEVICES_MAX];   /* payload to store back */
	unsigned n;
	const char *event;                  /* a failure's event */
};

/*
 * Unseal every active device before any code is compared: a device that
 * does not open fails the whole attempt before anything was checked, so
 * the error path cannot let a guess be tried without its charge.
 */
static int unseal_all(const struct otp_seal_key *key, const struct otp_login *who,
		      struct unsealed *u, unsigned *active)
{
	struct otp_device_rec *d;
	int rc;

	*active = 0;
	for (unsigned i = 0; i < u->n; i++) {
		d = &u->devs[i];
		if (d->state != OTP_ACTIVE)
			continue;
		(*active)++;
		if (OTP_IS_OOB(d->type))
			rc = otp_oob_open(key, who->user, d, &u->oob[i]);
		else
			rc = otp_unseal(key, who->user, d->id, d->sealed, d->sealed_len,
					u->secret[i], OTP_SECRET_MAX, &u->len[i]);
		if (rc != OTP_OK)
			return otp_seterr(rc, "secret of %s device %u ('%s') %s", who->user, d->id,
					  d->name, rc == OTP_ECRYPTO ?
					  "does not open with this seal key" : "cannot be read");
	}
	return OTP_OK;
}

/*
 * An email or sms device's last code against code: OTP_OK (accepted),
 * OTP_EREPLAY (accepted before) or OTP_EBADCODE, with u->event naming an
 * expired or exhausted code.
 */
static int try_oob(const struct otp_seal_key *key, const struct otp_config *cfg,
		   const struct otp_login *who, struct unsealed *u, unsigned i, const char *code)
{
	enum otp_oob_verdict v = otp_oob_try(key, cfg, who->user, u->devs[i].id, &u->oob[i], code,
					     who->now, &u->oob_changed[i]);

	if (v == OTP_OOB_MATCH)
		u->devs[i].last_used = who->now;
	else if (v == OTP_OOB_EXPIRED)
		u->event = "oob_expired";
	else if (v == OTP_OOB_EXHAUSTED)
		u->event = "oob_exhausted";
	return v == OTP_OOB_MATCH ? OTP_OK : v == OTP_OOB_USED ? OTP_EREPLAY : OTP_EBADCODE;
}

/* Compare code with every active device; *hit gets the one that matched. */
static int try_devices(const struct otp_seal_key *key, const struct otp_config *cfg,
		       const struct otp_login *who, struct unsealed *u, const char *code,
		       unsigned *hit)
{
	int rc = OTP_EBADCODE, one;

	for (unsigned i = 0; i < u->n; i++) {
		if (u->devs[i].state != OTP_ACTIVE)
			continue;
		if (OTP_IS_OOB(u->devs[i].type))
			one = try_oob(key, cfg, who, u, i, code);
		else
			one = otp_device_try(cfg, &u->devs[i], u->secret[i], u->len[i], code,
					     who->now);
		if (one == OTP_OK) {
			*hit = i;
			return OTP_OK;
		}
		if (one == OTP_EREPLAY)
			rc = OTP_EREPLAY;
		else if (one != OTP_EBADCODE)
			return one;
	}
	return rc;
}

int otp_auth_record_success_after(const struct otp_config *cfg, struct otp_txn *txn,
				  const struct otp_login *who, const struct otp_audit_ev *first,
				  const char *event, const char *device, uint32_t vouch,
				  const char *detail)
{
	struct otp_user_rec u;
	struct otp_audit_ev ev[2];
	unsigned nev = 0;
	int rc = otp_user_load(txn, who->user, &u);

	if (rc == OTP_OK) {
		clear_failures(&u);
		u.last_login = who->now;
		rc = otp_user_save(txn, who->user, &u);
	} else if (rc == OTP_ENOTFOUND) {
		rc = OTP_OK;
	}
	/* Only a verified code vouches for a host; a host name is not kept. */
	if (rc == OTP_OK && vouch != OTP_VOUCH_NONE && who->remember > 0 && who->rhost != NULL &&
	    otp_host_put(txn, who->user, who->rhost, who->now, who->now + who->remember,
			 vouch) == OTP_ESTORE)
		rc = OTP_ESTORE;
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	if (first != NULL)
		ev[nev++] = *first;
	otp_audit_from(&ev[nev++], who, event, device, detail);
	return otp_audit_commit(cfg, txn, ev, nev);
}

int otp_auth_record_success(const struct otp_config *cfg, struct otp_txn *txn,
			    const struct otp_login *who, const char *event, const char *device,
			    uint32_t vouch, const char *detail)
{
	return otp_auth_record_success_after(cfg, txn, who, NULL, event, device, vouch, detail);
}

/*
 * Inside txn: the failure record and, the first time the lock holds, a
 * `lockout` record; ev holds room for two, *nev gets how many. A name the
 * store does not know is counted in its source's summary instead, and
 * *flood gets its count there (0 otherwise).
 */
static int fail_in_txn(const struct otp_config *cfg, struct otp_txn *txn,
		       const struct otp_login *who, const char *event, const char *detail,
		       struct otp_audit_ev ev[2], unsigned *nev, unsigned *flood)
{
	struct otp_user_rec u;
	int rc = otp_user_load(txn, who->user, &u);

	*nev = 0;
	*flood = 0;
	if (rc == OTP_ENOTFOUND)
		return otp_flood_note(cfg, txn, who, 1, flood);
	otp_audit_from(&ev[(*nev)++], who, event, NULL, detail);
	if (rc == OTP_OK && !exempt(who) && cfg->lockout.deny > 0 &&
	    is_locked(&u, who->now) && !(u.flags & LOCK_ANNOUNCED)) {
		char d[96];

		u.flags |= LOCK_ANNOUNCED;
		rc = otp_user_save(txn, who->user, &u);
		snprintf(d, sizeof(d), "%u failures", u.failures);
		otp_audit_from(&ev[(*nev)++], who, "lockout", NULL, d);
	}
	return rc;
}

/* fail_in_txn, then commit txn (gone afterwards) and syslog what it kept. */
static int fail_commit(const struct otp_config *cfg, struct otp_txn *txn,
		       const struct otp_login *who, const char *event, const char *detail)
{
	struct otp_audit_ev ev[2];
	unsigned nev = 0, flood = 0;
	int rc = fail_in_txn(cfg, txn, who, event, detail, ev, &nev, &flood);

	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	rc = otp_audit_commit(cfg, txn, ev, nev);
	if (rc == OTP_OK && flood > 0)
		otp_flood_syslog(cfg, who, event, detail, flood);
	return rc;
}

/* Store back the payloads of email and sms devices a wrong code counted against. */
static int save_oob_tries(const struct otp_seal_key *key, struct otp_txn *txn,
			  const struct otp_login *who, struct unsealed *u, int *saved)
{
	int rc = OTP_OK;

	*saved = 0;
	for (unsigned i = 0; rc == OTP_OK && i < u->n; i++) {
		if (!u->oob_changed[i])
			continue;
		rc = otp_oob_store(key, who->user, &u->devs[i], &u->oob[i]);
		if (rc == OTP_OK)
			rc = otp_device_save(txn, who->user, &u->devs[i]);
		*saved = 1;
	}
	return rc;
}

/* A code that did not verify: keep the charge, the tries it used up on
 * sent codes, and with OTP_AUTH_FINAL the failure's audit records, in the
 * same transaction. */
static int code_failed(const struct otp_seal_key *key, const struct otp_config *cfg,
		       struct otp_txn *txn, const struct otp_login *who, int flags, int why,
		       struct unsealed *u, struct otp_auth_result *res)
{
	const char *event = u->event ? u->event : why == OTP_EREPLAY ? "replay" : "auth_failure";
	int rc, saved = 0;

	res->event = event;
	rc = save_oob_tries(key, txn, who, u, &saved);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	if (!(flags & (OTP_AUTH_CHARGE | OTP_AUTH_FINAL)) && !saved) {
		otp_txn_abort(txn);
		return why;
	}
	if (flags & OTP_AUTH_FINAL)
		rc = fail_commit(cfg, txn, who, event, "code");
	else
		rc = otp_txn_commit(txn);
	return rc == OTP_OK ? why : rc;
}

/*
 * The attempt hit an error (store, a record that does not decode, a secret
 * that does not unseal): txn is dropped, and a transaction of its own
 * charges the attempt (unless it was charged before) and audits it, so no
 * error path lets a guess go uncounted. Returns why.
 */
static int code_error(const struct otp_config *cfg, struct otp_txn *txn,
		      const struct otp_login *who, int flags, int why)
{
	struct otp_store *st = otp_txn_store(txn);
	struct otp_auth_result res;
	char saved[256];
	int rc;

	otp_txn_abort(txn);
	snprintf(saved, sizeof(saved), "%s", otp_errdetail());
	memset(&res, 0, sizeof(res));
	txn = NULL;
	rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK && (flags & OTP_AUTH_CHARGE))
		rc = otp_auth_charge_in(cfg, txn, who, &res);
	if (rc == OTP_EEXEMPT) {  /* decided by the caller, then all again */
		otp_txn_abort(txn);
		return rc;
	}
	if (rc == OTP_OK || rc == OTP_ELOCKED)
		rc = fail_commit(cfg, txn, who, "auth_failure", "error");
	else
		otp_txn_abort(txn);
	otp_seterr(why, "%s%s", saved, rc == OTP_OK ? "" : " (and the attempt could not be recorded)");
	return why;
}

static int code_matched(const struct otp_seal_key *key, const struct otp_config *cfg,
			struct otp_txn *txn, const struct otp_login *who, struct unsealed *u,
			unsigned hit, struct otp_auth_result *res)
{
	struct otp_device_rec *d = &u->devs[hit];
	int rc = OTP_OK;

	res->device = d->id;
	snprintf(res->device_name, sizeof(res->device_name), "%s", d->name);
	/* a sent code is used up in the same transaction that accepts it */
	if (OTP_IS_OOB(d->type))
		rc = otp_oob_store(key, who->user, d, &u->oob[hit]);
	if (rc == OTP_OK)
		rc = otp_device_save(txn, who->user, d);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	return otp_auth_record_success(cfg, txn, who, who->event ? who->event : "auth_success",
				       d->name, d->id, otp_dev_type_name(d->type));
}

int otp_auth_code(struct otp_store *st, const struct otp_seal_key *key,
		  const struct otp_config *cfg, const struct otp_login *who,
		  const char *code, int flags, struct otp_auth_result *res)
{
	struct unsealed *u = calloc(1, sizeof(*u));
	struct otp_txn *txn = NULL;
	unsigned hit = 0;
	int rc = u ? otp_txn_begin(st, 1, &txn) : OTP_ENOMEM;

	if (rc != OTP_OK)
		goto out;
	/* the charge reads the user, the check the devices: one exchange */
	rc = otp_txn_prefetch(txn, who->user, OTP_PREFETCH_USER | OTP_PREFETCH_DEVICES, NULL);
	if (rc == OTP_OK && (flags & OTP_AUTH_CHARGE)) {
		rc = otp_auth_charge_in(cfg, txn, who, res);
		if (rc == OTP_ELOCKED) {
			rc = refuse_locked(cfg, txn, who);
			goto out;
		}
		if (rc == OTP_EEXEMPT) {
			otp_txn_abort(txn);
			goto out;
		}
	}
	if (rc == OTP_OK)
		rc = otp_device_list(txn, who->user, u->devs, &u->n);
	if (rc == OTP_OK)
		rc = unseal_all(key, who, u, &res->active);
	if (rc == OTP_OK)
		rc = try_devices(key, cfg, who, u, code, &hit);
	if (rc == OTP_OK)
		rc = code_matched(key, cfg, txn, who, u, hit, res);
	else if (rc == OTP_EBADCODE || rc == OTP_EREPLAY)
		rc = code_failed(key, cfg, txn, who, flags, rc, u, res);
	else
		rc = code_error(cfg, txn, who, flags, rc);
out:
	if (u != NULL)
		otp_wipe(u, sizeof(*u));
	free(u);
	return rc;
}

int otp_auth_lock_check(const struct otp_config *cfg, struct otp_txn *txn,
			const struct otp_login *who)
{
	struct otp_user_rec u;
	int rc;

	if (exempt(who) || cfg->lockout.deny == 0)
		return OTP_OK;
	rc = otp_user_load(txn, who->user, &u);
	if (rc == OTP_ENOTFOUND)
		return OTP_OK;
	if (rc != OTP_OK || !is_locked(&u, who->now))
		return rc;
	return who->exempt == OTP_EXEMPT_ASK ? OTP_EEXEMPT : OTP_ELOCKED;
}

/* Inside txn: whether the reason to skip the code still holds. */
static int skip_holds(struct otp_txn *txn, const struct otp_login *who, enum otp_skip why)
{
	struct otp_device_rec *devs;
	unsigned n = 0, active = 0;
	int rc, yes;

	if (why == OTP_SKIP_TRUSTED_HOST) {
		yes = otp_host_valid_in(txn, who->user, who->rhost, who->now);
		return yes == 1 ? OTP_OK : yes < 0 ? -yes : OTP_EBADCODE;
	}
	if (why != OTP_SKIP_NULLOK && why != OTP_SKIP_DEADLINE)
		return OTP_OK;
	devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	rc = devs ? otp_device_list(txn, who->user, devs, &n) : OTP_ENOMEM;
	for (unsigned i = 0; rc == OTP_OK && i < n; i++)
		active += devs[i].state == OTP_ACTIVE;
	if (devs != NULL)
		otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return rc == OTP_OK && active > 0 ? OTP_EBADCODE : rc;
}

int otp_auth_succeeded(struct otp_store *st, const struct otp_config *cfg,
		       const struct otp_login *who, enum otp_skip why)
{
	static const char *const event[] = { "trusted_network", "trusted_host", "auth_success",
					     "unenrolled_pass" };
	static const char *const detail[] = { "trusted_network", "trusted_host", "nullok", NULL };
	struct otp_txn *txn = NULL;
	char why_text[32] = "";
	int rc = otp_txn_begin(st, 1, &txn);

	if (why == OTP_SKIP_DEADLINE)
		snprintf(why_text, sizeof(why_text), "deadline %s", cfg->enroll_deadline_text);
	if (rc == OTP_OK)
		rc = otp_txn_prefetch(txn, who->user, OTP_PREFETCH_USER |
				      (why == OTP_SKIP_NULLOK || why == OTP_SKIP_DEADLINE ?
				       OTP_PREFETCH_DEVICES : 0), NULL);
	if (rc == OTP_OK)
		rc = otp_auth_lock_check(cfg, txn, who);
	if (rc == OTP_ELOCKED)
		return refuse_locked(cfg, txn, who);
	if (rc == OTP_OK)
		rc = skip_holds(txn, who, why);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	return otp_auth_record_success(cfg, txn, who, event[why], NULL, OTP_VOUCH_NONE,
				       detail[why] ? detail[why] : why_text);
}

int otp_auth_failed(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who, const char *event, const char *detail)
{
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 1, &txn);

	return rc == OTP_OK ? fail_commit(cfg, txn, who, event, detail) : rc;
}

int otp_auth_active(struct otp_store *st, const char *user, unsigned *active)
{
	struct otp_auth_state state;
	int rc = otp_auth_peek(st, user, 0, &state);

	*active = state.active;
	return rc;
}

int otp_auth_peek(struct otp_store *st, const char *user, uint64_t now,
		  struct otp_auth_state *state)
{
	return otp_auth_peek_keyed(st, NULL, user, now, state);
}

/*
 * Inside the read transaction txn: the key judged, then user's state. The
 * three reads need not agree with each other (the key is the store's or
 * not; the state only spares a locked user the prompts, and the write
 * transactions judge it again): OTP_PREFETCH_ALL.
 */
static int peek_in(struct otp_txn *txn, const struct otp_seal_key *key, const char *user,
		   uint64_t now, struct otp_device_rec *devs, unsigned *n,
		   struct otp_auth_state *state)
{
	unsigned what = OTP_PREFETCH_USER | OTP_PREFETCH_DEVICES | OTP_PREFETCH_ALL |
			(key ? OTP_PREFETCH_META : 0);
	struct otp_user_rec u;
	int rc = otp_txn_prefetch(txn, user, what, key ? OTP_KEYCHECK_META : NULL), urc;

	if (rc == OTP_OK && key != NULL)
		rc = otp_store_key_check_txn(txn, key, 0);
	if (rc == OTP_OK)
		rc = otp_device_list(txn, user, devs, n);
	if (rc != OTP_OK)
		return rc;
	urc = otp_user_load(txn, user, &u);
	state->enrolled = urc == OTP_OK;
	if (urc == OTP_OK && is_locked(&u, now))
		state->locked_until = u.locked_until;
	return urc == OTP_OK || urc == OTP_ENOTFOUND ? OTP_OK : urc;
}

/* The active email and sms devices offered at the code prompt. */
static int oob_choices(const struct otp_seal_key *key, const char *user,
		       const struct otp_device_rec *devs, unsigned n, struct otp_auth_state *state)
{
	struct otp_oob o;
	int rc = OTP_OK;

	for (unsigned i = 0; rc == OTP_OK && i < n && state->noob < OTP_AUTH_OOB_MAX; i++) {
		if (devs[i].state != OTP_ACTIVE || !OTP_IS_OOB(devs[i].type))
			continue;
		rc = otp_oob_open(key, user, &devs[i], &o);
		if (rc == OTP_OK && otp_oob_mask(devs[i].type, o.to, state->oob[state->noob].masked,
						 sizeof(state->oob[0].masked)) != OTP_OK)
			snprintf(state->oob[state->noob].masked, sizeof(state->oob[0].masked), "?");
		if (rc == OTP_OK) {
			state->oob[state->noob].id = devs[i].id;
			state->oob[state->noob++].type = devs[i].type;
		}
		otp_oob_wipe(&o);
	}
	return rc;
}

int otp_auth_peek_keyed(struct otp_store *st, const struct otp_seal_key *key, const char *user,
			uint64_t now, struct otp_auth_state *state)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	struct otp_txn *txn = NULL;
	unsigned n = 0;
	int rc;

	memset(state, 0, sizeof(*state));
	if (devs == NULL)
		return OTP_ENOMEM;
	rc = otp_txn_begin(st, 0, &txn);
	if (rc == OTP_OK)
		rc = peek_in(txn, key, user, now, devs, &n, state);
	otp_txn_abort(txn);
	for (unsigned i = 0; rc == OTP_OK && i < n; i++)
		state->active += devs[i].state == OTP_ACTIVE;
	if (rc == OTP_OK && key != NULL)
		rc = oob_choices(key, user, devs, n, state);
	otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return rc;
}

int otp_unlock(struct otp_store *st, const struct otp_config *cfg, const struct otp_login *who)
{
	struct otp_user_rec u;
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[64];
	int rc = otp_txn_begin(st, 1, &txn);

	if (rc == OTP_OK)
		rc = otp_user_load(txn, who->user, &u);
	if (rc == OTP_ENOTFOUND)
		otp_seterr(rc, "user %s is not enrolled", who->user);
	if (rc == OTP_OK) {
		snprintf(detail, sizeof(detail), "%u failures cleared%s", u.failures,
			 is_locked(&u, who->now) ? ", was locked" : "");
		clear_failures(&u);
		rc = otp_user_save(txn, who->user, &u);
	}
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	otp_audit_from(&ev, who, "unlock", NULL, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}
