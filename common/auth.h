/*
 * auth.h - the login's store transactions, shared by pam_otp.so and
 * `otpctl verify`.
 *
 * A login is at most three short write transactions, each exact under
 * concurrency because a store serialises its writers (store.h):
 *   1. otp_auth_charge: count this attempt as a failure *before* any
 *      factor is checked (charge first); a locked user's attempt is
 *      counted and refused, nothing is verified for it;
 *   2. otp_auth_code: verify the code against every active device and, in
 *      the same transaction, advance the HOTP counter / TOTP replay mark,
 *      refund the charge and audit the success;
 *   3. otp_auth_failed (or otp_auth_refuse_locked): audit the outcome.
 * When nothing slow comes before the code, otp_auth_code with
 * OTP_AUTH_CHARGE | OTP_AUTH_FINAL does all three in one transaction.
 * Slow work (password hashing, recovery-code hashing) happens between
 * transactions, never inside one.
 *
 * Names the store does not know take the same transactions and writes as
 * enrolled ones (their failures are counted per source, see flood.h), so
 * neither the prompts nor the number of commits tell them apart.
 */
#ifndef OTP_AUTH_H
#define OTP_AUTH_H

#include "config.h"
#include "seal.h"
#include "store.h"

#include <stdint.h>

/* Who is logging in, from where; copied into audit records. */
struct otp_login {
	const char *user;
	const char *service;  /* PAM_SERVICE, may be NULL */
	const char *rhost;    /* PAM_RHOST, may be NULL */
	const char *tty;      /* PAM_TTY, may be NULL */
	uint64_t now;         /* seconds since epoch */
	int exempt;           /* 1: never charged or locked (root); 0: charged;
				 OTP_EXEMPT_ASK: not decided yet, see below */
	uint64_t remember;    /* seconds to remember rhost after a verified code; 0 never */
	const char *event;    /* success event; NULL: "auth_success" */
	const char *host;     /* audit `host`: config host_name; NULL or "": gethostname() */
	const char *actor;    /* audit `actor`: the administrator behind an otpctl
				 change; NULL for logins */
};

/*
 * OTP_EXEMPT_ASK: deciding the exemption takes a user database (NSS)
 * lookup, which can be slow and matters only when a lock is at stake. With
 * it, a transaction that finds the user locked, or that would lock the user
 * by this charge, is aborted with OTP_EEXEMPT before it writes anything: the
 * caller decides (exempt = 0 or 1) and calls again.
 */
#define OTP_EXEMPT_ASK (-1)

struct otp_auth_result {
	int enrolled;            /* user has a store record */
	unsigned active;         /* active devices */
	uint32_t device;         /* the device that matched */
	char device_name[OTP_NAME_MAX + 1];
	uint64_t locked_until;   /* when OTP_ELOCKED: seconds since epoch, or
				    OTP_LOCKED_FOREVER */
	const char *event;       /* a failed code that otp_auth_code did not audit (no
				    OTP_AUTH_FINAL): the event to audit it with
				    ("auth_failure", "replay", "oob_expired", "oob_exhausted") */
};

/*
 * otp_auth_charge - lock check and charge, one write transaction.
 * For an enrolled, non-exempt user with lockout.deny > 0: counts one
 * failure (starting a new fail_interval when the last one ran out) and, on
 * reaching deny, sets the lock that a success will lift. If the user is
 * locked already, the attempt is counted without moving the lock and
 * OTP_ELOCKED is returned with res->locked_until set; nothing is audited
 * yet: the caller shows the usual prompts, verifies nothing, and then
 * calls otp_auth_refuse_locked. A name with no record gets no record of
 * its own: the write goes to its source's summary (flood.h).
 * Returns OTP_OK, OTP_ELOCKED, OTP_EEXEMPT (who->exempt is OTP_EXEMPT_ASK
 * and the lock is at stake; nothing was written), or a store error.
 */
int otp_auth_charge(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who, struct otp_auth_result *res);

/*
 * otp_auth_charge_in - otp_auth_charge's work inside the caller's write
 * transaction txn (which it neither commits nor aborts): on OTP_ELOCKED
 * the counted attempt is written in txn, for the caller to commit.
 * Returns as otp_auth_charge.
 */
int otp_auth_charge_in(const struct otp_config *cfg, struct otp_txn *txn,
		       const struct otp_login *who, struct otp_auth_result *res);

/*
 * otp_auth_lock_check - inside txn, whether who->user is locked now, for a
 * login let in without a code check (a skipped code, an enrollment at
 * login), whose transaction must still refuse a locked user. Nothing is
 * written. Returns OTP_OK (not locked, exempt, lockout off, or no record);
 * OTP_ELOCKED; OTP_EEXEMPT (who->exempt is OTP_EXEMPT_ASK and the user is
 * locked); or a store error.
 */
int otp_auth_lock_check(const struct otp_config *cfg, struct otp_txn *txn,
			const struct otp_login *who);

/*
 * otp_auth_refuse_locked - audit `locked` for an attempt that
 * otp_auth_charge refused, one write transaction.
 * Returns OTP_ELOCKED when recorded, or a store error.
 */
int otp_auth_refuse_locked(struct otp_store *st, const struct otp_config *cfg,
			   const struct otp_login *who);

enum {
	OTP_AUTH_CHARGE = 1,  /* check the lock and charge in this same transaction */
	OTP_AUTH_FINAL = 2,   /* on a failure, audit it here: nothing else follows */
};

/*
 * otp_auth_code - verify code against every active device of who->user.
 * flags: OTP_AUTH_CHARGE does otp_auth_charge's work inside this write
 *        transaction (one fsync per login when no slow factor comes first;
 *        OTP_ELOCKED when locked, audited); with it, a failed code stays
 *        charged. OTP_AUTH_FINAL also audits the failure (and a lockout)
 *        in the transaction. With neither, a failure writes nothing.
 * On a match: moves the HOTP counter past it or records the TOTP step,
 * sets last_used/last_login, clears the user's failures and lock, audits
 * `auth_success`, and commits; returns OTP_OK with res->device set.
 * On no match returns OTP_EBADCODE or OTP_EREPLAY (the code matched only
 * an already-used step, or an emailed/texted code already accepted);
 * without OTP_AUTH_FINAL the caller then tries a recovery code or calls
 * otp_auth_failed with res->event.
 * Out-of-band devices (oob.h): the code is judged against the last code
 * sent to each; a code typed while one is outstanding counts against it
 * (oob.max_attempts), written in this transaction whatever the flags.
 * The failure's event is `oob_expired` or `oob_exhausted` when the code
 * was a sent one past its expiry or its attempts.
 * res->active tells how many active devices there were (0: none).
 * Every active device is unsealed before any code is compared: a secret
 * that does not open (OTP_ECRYPTO), a record that does not decode
 * (OTP_ECORRUPT, OTP_EVERSION) or a store error refuses the attempt with
 * nothing compared, and a transaction of its own then charges it (unless
 * charged before) and audits `auth_failure` with detail "error", so no
 * error path lets a guess go uncounted.
 * Returns also OTP_EEXEMPT (with OTP_AUTH_CHARGE, as otp_auth_charge;
 * nothing was written or verified) or those errors; the code itself is
 * never logged or stored.
 */
int otp_auth_code(struct otp_store *st, const struct otp_seal_key *key,
		  const struct otp_config *cfg, const struct otp_login *who,
		  const char *code, int flags, struct otp_auth_result *res);

/* Why a login may skip the code (pam_otp.conf: trusted_networks,
 * remember_host, nullok, enroll_deadline not yet reached). */
enum otp_skip { OTP_SKIP_TRUSTED_NETWORK, OTP_SKIP_TRUSTED_HOST, OTP_SKIP_NULLOK,
		OTP_SKIP_DEADLINE };

/*
 * otp_auth_succeeded - record a success that needed no code: clears
 * failures, sets last_login, audits `trusted_network` or `trusted_host`
 * (detail the same), `auth_success` with detail "nullok", or
 * `unenrolled_pass` with detail "deadline YYYY-MM-DD" (OTP_SKIP_DEADLINE:
 * cfg->enroll_deadline, which the caller found not yet reached). It never
 * remembers a host. Inside the same write transaction the reason must
 * still hold: the user is not locked (else refused and audited `locked`),
 * the host is still remembered (OTP_SKIP_TRUSTED_HOST), the user still has
 * no active device (OTP_SKIP_NULLOK, OTP_SKIP_DEADLINE: one may have been
 * enrolled since the prompts began).
 * Returns OTP_OK; OTP_ELOCKED; OTP_EEXEMPT (who->exempt is OTP_EXEMPT_ASK
 * and the user is locked; nothing written); OTP_EBADCODE (the reason no
 * longer holds; nothing written); or a store error.
 */
int otp_auth_succeeded(struct otp_store *st, const struct otp_config *cfg,
		       const struct otp_login *who, enum otp_skip why);

/*
 * otp_auth_record_success - inside the write transaction txn: clear the
 * user's failures and lock, set last_login, audit event with device and
 * detail, and commit. vouch says what verified this login: a device id or
 * OTP_VOUCH_RECOVERY, and then who->rhost is remembered for who->remember
 * seconds (when both are set) on that voucher's word; OTP_VOUCH_NONE for
 * a login that skipped the code, which never remembers a host.
 * txn is gone afterwards whatever happens.
 * Returns OTP_OK or a store error.
 */
int otp_auth_record_success(const struct otp_config *cfg, struct otp_txn *txn,
			    const struct otp_login *who, const char *event, const char *device,
			    uint32_t vouch, const char *detail);

/*
 * otp_auth_record_success_after - otp_auth_record_success with the audit
 * record first (when not NULL) appended before the success's own, in the
 * same transaction (e.g. `enroll` of a device enrolled at login).
 * Returns as otp_auth_record_success.
 */
struct otp_audit_ev;
int otp_auth_record_success_after(const struct otp_config *cfg, struct otp_txn *txn,
				  const struct otp_login *who, const struct otp_audit_ev *first,
				  const char *event, const char *device, uint32_t vouch,
				  const char *detail);

/*
 * otp_auth_active - how many active devices user has (read transaction,
 * never waits for a writer). Returns OTP_OK or a store error.
 */
int otp_auth_active(struct otp_store *st, const char *user, unsigned *active);

#define OTP_AUTH_OOB_MAX 9      /* out-of-band devices offered at a prompt */
#define OTP_AUTH_MASKED_MAX 262 /* bytes of a masked destination (oob.h) */

struct otp_auth_state {
	unsigned active;        /* active devices */
	int enrolled;           /* a user record exists */
	uint64_t locked_until;  /* nonzero: locked at `now` until then */
	unsigned noob;          /* active email/sms devices listed in oob (only
				   with a seal key: otp_auth_peek_keyed) */
	struct {
		uint32_t id;
		unsigned type;  /* OTP_EMAIL or OTP_SMS */
		char masked[OTP_AUTH_MASKED_MAX + 1]; /* "a***@example.com" */
	} oob[OTP_AUTH_OOB_MAX];
};

/*
 * otp_auth_peek - user's devices and lock state at time now (seconds), in
 * one read transaction, before any prompt. A write transaction decides;
 * this only spares a locked user the prompts. Returns OTP_OK or store errors.
 */
int otp_auth_peek(struct otp_store *st, const char *user, uint64_t now,
		  struct otp_auth_state *state);

/*
 * otp_auth_peek_keyed - otp_auth_peek that first judges the seal key as
 * otp_store_key_check(st, key, 0) does (keycheck.h: nothing is written),
 * in the same read transaction: a login's first look at the store checks
 * the key and the user's state together (one round trip on PostgreSQL).
 * key NULL: no key check. Nothing is looked at unless the key matches.
 * With a key, state->oob lists the user's active email and sms devices
 * (the first OTP_AUTH_OOB_MAX by id) with their masked destinations; a
 * payload that does not open is an error (OTP_ECRYPTO, OTP_ECORRUPT).
 * Returns OTP_OK, the errors of otp_store_key_check (OTP_EKEY with
 * "seal key does not match this store (...)", OTP_ECORRUPT, OTP_EVERSION,
 * OTP_ECRYPTO), OTP_ENOMEM or store errors.
 */
int otp_auth_peek_keyed(struct otp_store *st, const struct otp_seal_key *key, const char *user,
			uint64_t now, struct otp_auth_state *state);

/*
 * otp_auth_failed - audit a failed attempt (event "auth_failure" or
 * "replay", detail e.g. "password" or "code"), plus a `lockout` record the
 * first time the user's failures have reached lockout.deny. For a name
 * the store does not know, the failure is counted in its source's summary
 * record and syslogged at a bounded rate (flood.h).
 * Returns OTP_OK or a store error.
 */
int otp_auth_failed(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who, const char *event, const char *detail);

/*
 * otp_device_try - check code against one device whose secret is already
 * unsealed (secret, n bytes), and on success update d in memory (counter,
 * last_step, drift, last_used) for the caller to save in its transaction.
 * code may be typed as apps show it ("123 456", "123-456").
 * TOTP: the window of totp.window steps is centred on our time step plus
 * the device's drift, and a success records the drift it saw (bounded by
 * OTP_DRIFT_AUTO steps; a wider drift set by a resync is followed one
 * step at a time, never past OTP_DRIFT_MAX), so a
 * device whose clock wanders slowly keeps working; a step at or before
 * the last accepted one is still a replay.
 * Returns OTP_OK, OTP_EBADCODE, OTP_EREPLAY or OTP_EINVAL/OTP_ECRYPTO.
 */
int otp_device_try(const struct otp_config *cfg, struct otp_device_rec *d,
		   const uint8_t *secret, size_t n, const char *code, uint64_t now);

/*
 * otp_device_check - unseal d's secret and run otp_device_try.
 * Returns as otp_device_try, plus OTP_ECRYPTO when the seal does not open.
 */
int otp_device_check(const struct otp_seal_key *key, const struct otp_config *cfg,
		     const char *user, struct otp_device_rec *d, const char *code, uint64_t now);

/*
 * otp_audit_from - fill ev for who (user, service, rhost, tty, time, host,
 * actor) with event, device and detail (either may be NULL).
 */
struct otp_audit_ev;
void otp_audit_from(struct otp_audit_ev *ev, const struct otp_login *who, const char *event,
		    const char *device, const char *detail);

/*
 * otp_audit_commit - append nev records to the write transaction txn,
 * commit it, and (if audit.syslog) send each committed record to syslog.
 * txn is gone afterwards whatever happens.
 * Returns OTP_OK, OTP_EFULL or OTP_ESTORE.
 */
int otp_audit_commit(const struct otp_config *cfg, struct otp_txn *txn,
		     struct otp_audit_ev *evs, unsigned nev);

/*
 * otp_unlock - clear who->user's failures and lock, audited as `unlock`.
 * Returns OTP_OK, OTP_ENOTFOUND (not enrolled) or a store error.
 */
int otp_unlock(struct otp_store *st, const struct otp_config *cfg, const struct otp_login *who);

#endif
