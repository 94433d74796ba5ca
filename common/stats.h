/*
 * stats.h - what `otpctl stats` and `otpctl metrics` count: login outcomes
 * and changes from audit records (a tally by PAM service), and a census of
 * users and devices. Engine-neutral: only store.h is used.
 */
#ifndef OTP_STATS_H
#define OTP_STATS_H

#include "audit.h"
#include "store.h"

#include <stdint.h>

/*
 * Login outcomes, from the audit events of logins (DESIGN.md, Audit):
 * auth_success (detail "nullok": OTP_OUT_NULLOK), auth_failure (and the
 * failures for unknown names that summary records count), replay, locked,
 * trusted_network, trusted_host (a remembered host), recovery_used,
 * unenrolled_pass (no device yet, before enroll_deadline).
 * New outcomes go last: OTP_OUT_COUNT_V1 were the first release's.
 */
enum otp_outcome {
	OTP_OUT_SUCCESS, OTP_OUT_FAILURE, OTP_OUT_REPLAY, OTP_OUT_LOCKED,
	OTP_OUT_TRUSTED_NETWORK, OTP_OUT_REMEMBERED_HOST, OTP_OUT_RECOVERY_CODE,
	OTP_OUT_NULLOK, OTP_OUT_UNENROLLED_PASS, OTP_OUT_COUNT
};
#define OTP_OUT_COUNT_V1 OTP_OUT_UNENROLLED_PASS

/* otp_outcome_name - "success", "failure", "replay", "locked",
 * "trusted_network", "remembered_host", "recovery_code", "nullok",
 * "unenrolled_pass". */
const char *otp_outcome_name(enum otp_outcome o);

/* otp_outcome_admitted - 1 when the outcome let the user in, else 0. */
int otp_outcome_admitted(enum otp_outcome o);

/* otp_outcome_of - the login outcome ev records, or -1 when it records
 * none (an otpctl change, a lockout, otpctl verify). */
int otp_outcome_of(const struct otp_audit_ev *ev);

/* Changes made with otpctl, counted by audit event (verify included). */
#define OTP_TALLY_ADMIN_EVENTS 13
extern const char *const otp_tally_admin_events[OTP_TALLY_ADMIN_EVENTS];

/*
 * A tally of audit records by PAM service. Services beyond
 * OTP_TALLY_SERVICES are counted together under OTP_TALLY_OTHER, so a
 * tally stays small whatever services the trail names.
 */
#define OTP_TALLY_SERVICES 32
#define OTP_TALLY_SERVICE_MAX 64      /* bytes of a service name kept */
#define OTP_TALLY_OTHER "(other)"     /* the services past the first 32 */
#define OTP_TALLY_NONE "(none)"       /* records without a service */

struct otp_tally_service {
	char name[OTP_TALLY_SERVICE_MAX + 1];
	uint64_t logins[OTP_OUT_COUNT];
	uint64_t lockouts;                /* `lockout` records */
	uint64_t unknown_failures;        /* failures for unknown names (in logins too) */
};

struct otp_tally {
	unsigned nservices;               /* up to OTP_TALLY_SERVICES + 1 (OTHER last) */
	struct otp_tally_service svc[OTP_TALLY_SERVICES + 1];
	uint64_t admin[OTP_TALLY_ADMIN_EVENTS];
	uint64_t records;                 /* audit records counted */
};

/* otp_tally_init - an empty tally. */
void otp_tally_init(struct otp_tally *t);

/*
 * otp_tally_service - the entry of t for service name, made when new, or
 * the OTP_TALLY_OTHER entry once OTP_TALLY_SERVICES are taken. Never NULL.
 * The entry's name is name made printable (otp_text_show: valid UTF-8, no
 * control character) and cut at a character boundary to
 * OTP_TALLY_SERVICE_MAX bytes; "" is OTP_TALLY_NONE.
 */
struct otp_tally_service *otp_tally_service(struct otp_tally *t, const char *name);

/*
 * otp_tally_add - count ev n times: its login outcome, lockout or otpctl
 * change. A summary record (seq >= OTP_AUDIT_SEQ_SUMMARY) is n failures
 * for unknown names (the caller works out n from its count, see
 * otp_flood_count). Records of other events only add to t->records.
 */
void otp_tally_add(struct otp_tally *t, const struct otp_audit_ev *ev, uint64_t n);

/* Device types and states as counted (a type or state the store has but
 * this build does not know is counted as "other"). */
enum { OTP_CENSUS_TYPES = 5, OTP_CENSUS_STATES = 4 };
/* totp hotp email sms (indexed by enum otp_dev_type) other */
extern const char *const otp_census_types[OTP_CENSUS_TYPES];
extern const char *const otp_census_states[OTP_CENSUS_STATES];  /* pending active revoked other */

struct otp_census {
	uint64_t users;          /* user records */
	uint64_t users_active;   /* with at least one active device */
	uint64_t users_locked;   /* locked at `now` */
	uint64_t devices[OTP_CENSUS_TYPES][OTP_CENSUS_STATES];
	int recovery_known;      /* 1 when some user has an active device */
	uint64_t recovery_left_min; /* least unused recovery codes of those users */
	uint64_t users_no_recovery; /* those of them with none left */
	struct otp_store_stats store;
};

/*
 * otp_census - count st's users (locked at time now, seconds since the
 * epoch), devices by type and state, recovery codes, and the store's
 * sizes, in read transactions (logins go on meanwhile). Records that do
 * not decode are left out.
 * Returns OTP_OK, OTP_ENOMEM or a store error (OTP_ESTORE, OTP_ECORRUPT
 * for a user record that does not decode).
 */
int otp_census(struct otp_store *st, uint64_t now, struct otp_census *c);

#endif
