/*
 * migrate.h - copy a whole store into another, of the same engine or not
 * (otpctl migrate: LMDB -> PostgreSQL and back, LMDB -> LMDB), through
 * store.h's typed records only, so that every engine pair works alike.
 */
#ifndef OTP_MIGRATE_H
#define OTP_MIGRATE_H

#include "auth.h"
#include "seal.h"
#include "store.h"

/* Flags of otp_migrate. */
enum {
	/* leave behind, and count, records of the source that do not decode
	 * (without it one of them refuses the whole migration) */
	OTP_MIGRATE_SKIP_CORRUPT = 1,
};

/* What otp_migrate found and wrote. */
struct otp_migrate_result {
	struct otp_store_stats source;  /* the source, as its read transaction saw it */
	struct otp_store_stats target;  /* the target after the commit (its `migrate`
					 * audit record included) */
	struct otp_store_stats skipped; /* records of each kind left behind; only
					 * users..audit are used, always 0 for users */
	char source_engine[16];         /* "lmdb", "postgresql" */
};

/*
 * otp_migrate - copy every record of the store from names into the store
 * to names: users with their lock state, devices with their counters,
 * replay marks, drift and sealed secrets (copied sealed, as they are:
 * the seal key stays the same), recovery codes with their hashes and
 * use times, remembered hosts, and the audit trail, each record at its
 * own (time, seq); and `meta`'s seal key check value (keycheck.h).
 *
 * from, to: store specs as otp_store_open takes them (a directory: LMDB;
 *        a PostgreSQL URI or conninfo). They must name two different
 *        stores. from must exist; to is opened with OTP_STORE_CREATE
 *        (made, or its schema created, when missing).
 * o:     options of both opens (otp_store_open_with).
 * key:   the seal key (the configuration's). The source must be sealed
 *        under it (otp_store_key_check_txn on the source's snapshot),
 *        else nothing is written and the target is not even opened. The
 *        target takes the source's check value (the key's, when the
 *        source is an older store without one), replacing any it had.
 * cfg:   audit.syslog: whether the `migrate` record also goes to syslog.
 * who:   the administrator, for the audit record (user may be "").
 * flags: OTP_MIGRATE_SKIP_CORRUPT, or 0.
 * res:   receives the counts (zeroed first; filled as far as the work
 *        went).
 *
 * The source is read in ONE read transaction (one consistent snapshot;
 * logins on it go on). The target is written in ONE exclusive write
 * transaction (OTP_TXN_EXCLUSIVE): inside it the target must hold no
 * user, device, recovery code, remembered host or audit record; after the
 * copy the target's counts of each kind must equal the source's less what
 * was skipped; then the audit record `migrate` is added in the target
 * (detail: the source's engine and name and the counts; no pruning, so
 * the copied trail stays whole) and the transaction committed. Any
 * failure aborts it: the target then holds what it held before. A full
 * LMDB map is grown and the whole copy redone from a new snapshot of the
 * source (a map grows only while the thread holds no transaction on any
 * store). Records of the source are
 * reached through its users and devices: a recovery code or remembered
 * host of a name that has neither is not reached, and the count check
 * refuses the migration.
 *
 * A user record that does not decode stops the walk over users: it
 * refuses the migration even with OTP_MIGRATE_SKIP_CORRUPT (the detail
 * names the user).
 *
 * Returns OTP_OK; OTP_EINVAL (from and to name the same store; the detail
 * says so); OTP_EEXIST (the target is not empty; the detail says what it
 * holds); OTP_EKEY (key is not the source's); OTP_ECORRUPT (a record of
 * the source does not decode and no OTP_MIGRATE_SKIP_CORRUPT; the detail
 * names the kind and the user); OTP_EVERSION; OTP_ESTORE (also: the
 * counts do not match after the copy; the detail gives both); the open
 * errors of otp_store_open (either store; ENOTFOUND for a missing
 * source); OTP_ECRYPTO; OTP_ENOMEM; OTP_EFULL.
 */
int otp_migrate(const char *from, const char *to, const struct otp_store_opts *o,
		const struct otp_seal_key *key, const struct otp_config *cfg,
		const struct otp_login *who, int flags, struct otp_migrate_result *res);

#endif
