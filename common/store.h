/*
 * store.h - the LMDB environment: one per host, one named database per
 * record kind (see records.h), plus `meta` holding the schema version.
 *
 * Callers run every check-and-update inside one write transaction
 * (otp_txn_begin(st, 1, &txn) ... otp_txn_commit(txn)): LMDB admits one
 * writer at a time across processes, so concurrent logins are serialised
 * and exact. Read-only listings use read transactions and never block.
 */
#ifndef OTP_STORE_H
#define OTP_STORE_H

#include "records.h"

#include <lmdb.h>

#define OTP_SCHEMA_VERSION 1
#define OTP_MAP_MAX ((size_t)1 << 40)  /* bytes: the map never grows past 1 TiB */

struct otp_store {
	MDB_env *env;
	MDB_dbi users, devices, recovery, hosts, audit, meta;
	char dir[4096];
};

enum { OTP_STORE_CREATE = 1 };

/*
 * otp_store_open - open the environment in directory dir.
 * map_mb: map size in MiB (the store's maximum size; sparse on disk).
 * flags:  OTP_STORE_CREATE makes the directory (0700) and databases when
 *         missing; without it a missing store is OTP_ENOTFOUND.
 * The directory must not be a symlink, must be owned by root (or the
 * effective user) and have no group/other access, and every directory
 * above it is checked as otp_open_checked (fileck.h) does; data.mdb and
 * lock.mdb must not be symlinks. The data file LMDB opens must be the
 * data.mdb of the directory so checked (same device and inode), else
 * OTP_EPERM. Files are created 0600.
 * When the data fill three quarters of the map, the map is doubled (up to
 * OTP_MAP_MAX), so map_mb is a starting size rather than a hard limit.
 * *st: receives the handle; close it with otp_store_close.
 * Returns OTP_OK; OTP_ENOTFOUND (no store, or not initialised);
 * OTP_EPERM; OTP_EVERSION (a newer schema); OTP_ESTORE (LMDB error,
 * detail has its text, e.g. a corrupt file); OTP_ENOMEM; OTP_EIO.
 */
int otp_store_open(const char *dir, unsigned map_mb, int flags, struct otp_store **st);

/*
 * otp_store_grow - double the map (up to OTP_MAP_MAX), for a writer that
 * hit OTP_EFULL. Only with no transaction open in this process.
 * Returns OTP_OK or OTP_EFULL.
 */
int otp_store_grow(struct otp_store *st);

/* otp_store_close - close the environment; st may be NULL. */
void otp_store_close(struct otp_store *st);

/*
 * otp_txn_begin - start a transaction; write nonzero for a write one
 * (waits for any other writer, in any process).
 * Returns OTP_OK or OTP_ESTORE.
 */
int otp_txn_begin(struct otp_store *st, int write, MDB_txn **txn);

/*
 * otp_txn_commit - commit (and fsync) txn; it is gone afterwards either way.
 * Returns OTP_OK, OTP_EFULL (out of map space) or OTP_ESTORE.
 */
int otp_txn_commit(MDB_txn *txn);

/* otp_txn_abort - discard txn; NULL is fine. */
void otp_txn_abort(MDB_txn *txn);

/* otp_lmdb_err - map an LMDB return code to an otp_err, with a detail. */
int otp_lmdb_err(int mrc, const char *what);

/*
 * Record access within txn. Loads return OTP_OK, OTP_ENOTFOUND, or the
 * decoder's OTP_ECORRUPT/OTP_EVERSION (detail names the user). Saves
 * return OTP_OK, OTP_EFULL or OTP_ESTORE.
 */
int otp_user_load(struct otp_store *st, MDB_txn *txn, const char *user, struct otp_user_rec *u);
int otp_user_save(struct otp_store *st, MDB_txn *txn, const char *user, const struct otp_user_rec *u);
int otp_device_load(struct otp_store *st, MDB_txn *txn, const char *user, uint32_t id,
		    struct otp_device_rec *d);
int otp_device_save(struct otp_store *st, MDB_txn *txn, const char *user,
		    const struct otp_device_rec *d);

/*
 * otp_device_list - every device of user, in id order, into out (room for
 * OTP_DEVICES_MAX); *n gets the count. Returns as the loads do.
 */
int otp_device_list(struct otp_store *st, MDB_txn *txn, const char *user,
		    struct otp_device_rec *out, unsigned *n);

/*
 * otp_device_find - the device named by ref: a decimal id, or else a name.
 * Names may be reused once a device is revoked: a name finds the live
 * (pending or active) device of that name, else the newest revoked one,
 * so a caller can say "already revoked" whether named by id or name.
 * Returns OTP_OK; OTP_ENOTFOUND with the detail "no device 'REF' for user
 * USER"; or as the loads do.
 */
int otp_device_find(struct otp_store *st, MDB_txn *txn, const char *user,
		    const char *ref, struct otp_device_rec *d);

/*
 * otp_del_user_records - delete every record of dbi whose key starts with
 * "user NUL" (devices, recovery codes, hosts of that user).
 * *count gets how many went. Returns OTP_OK or OTP_ESTORE.
 */
int otp_del_user_records(MDB_txn *txn, MDB_dbi dbi, const char *user, unsigned *count);

#endif
