/*
 * store.h - the storage interface under the login rules.
 *
 * A store holds the record kinds of records.h: users, devices, recovery
 * codes, remembered hosts, the audit trail, and named `meta` values. The
 * rules (lockout, replay marks, counters, recovery codes, hosts, audit,
 * the seal key check, rekey, restore, import) are written once above this
 * interface; an engine (store_engine.h) only keeps records. Two engines:
 * LMDB (store_lmdb*.c): `store` is a directory, one environment per host,
 * one named database per record kind; PostgreSQL (store_pg*.c): `store` is
 * a URI or conninfo, one database shared by a fleet, tables in the schema
 * pam_otp (store_pg.h).
 *
 * Callers run every check-and-update inside one write transaction
 * (otp_txn_begin(st, 1, &txn) ... otp_txn_commit(txn)). Write transactions
 * on the same user are serialised across threads, processes and hosts
 * (LMDB admits one writer at a time; PostgreSQL: a lock per user), so
 * concurrent logins are exact. Read transactions see one consistent state
 * and never wait for a writer.
 *
 * Threads: one store handle may be shared by every thread of a process,
 * and transactions begun from several threads at once (a transaction
 * belongs to the thread that began it until it ends). Write transactions
 * are serialised across threads and processes; read transactions run
 * beside them. A process must not open one store twice at the same time
 * (LMDB: a second environment on the same files breaks the locks that
 * protect every other process): long-lived hosts keep one handle per
 * store (handle.h). Fork: a handle is the process's that opened it; in a
 * child every otp_txn_begin on it fails (OTP_ESTORE) and the child drops
 * it with otp_store_forsake, never otp_store_close.
 * Records are passed typed, never as engine bytes; every function that
 * takes a transaction works on the store it was begun on.
 *
 * Errors every record function may return besides those listed: OTP_ESTORE
 * (the engine failed; the detail has its text), and for writes OTP_EFULL
 * (out of room: abort, otp_store_grow, then redo the transaction).
 */
#ifndef OTP_STORE_H
#define OTP_STORE_H

#include "records.h"

#include <stddef.h>
#include <stdint.h>

struct otp_store;     /* an open store */
struct otp_txn;       /* a transaction on one */
struct otp_audit_ev;  /* audit.h */

enum { OTP_STORE_CREATE = 1 };
enum { OTP_TXN_EXCLUSIVE = 2 }; /* otp_txn_begin: a whole-store write transaction */

/*
 * otp_store_open - open the store spec names.
 * spec:   a directory path: an LMDB environment. A `postgresql://` (or
 *         `postgres://`) URI or a libpq "key=value" conninfo names a
 *         PostgreSQL store (store_pg.h; map_mb is not used).
 * map_mb: LMDB map size in MiB (the store's starting maximum size; sparse
 *         on disk). When the data fill three quarters of the map, the map
 *         is doubled (up to 1 TiB), so this is not a hard limit.
 * flags:  OTP_STORE_CREATE makes the directory (0700) and the databases
 *         when missing; without it a missing store is OTP_ENOTFOUND.
 * LMDB: the directory must not be a symlink, must be owned by root (or the
 * effective user) and have no group/other access, and every directory
 * above it is checked as otp_open_checked (fileck.h) does; data.mdb and
 * lock.mdb must not be symlinks. The data file LMDB opens must be the
 * data.mdb of the directory so checked (same device and inode), else
 * OTP_EPERM. Files are created 0600.
 * *st: receives the handle (untouched on error); close it with
 * otp_store_close.
 * Returns OTP_OK; OTP_ENOTFOUND (no store, or not initialised: the detail
 * says "run otpctl init"); OTP_EPERM; OTP_EVERSION (a newer schema);
 * OTP_ETOOLONG (spec); OTP_ECONFIG; OTP_ESTORE (e.g. a corrupt file, the
 * detail has the engine's text); OTP_ENOMEM; OTP_EIO.
 */
int otp_store_open(const char *spec, unsigned map_mb, int flags, struct otp_store **st);

/*
 * otp_store_is_postgresql - whether spec names a PostgreSQL store: it
 * starts with "postgresql://" or "postgres://", or reads as a libpq
 * conninfo (after blanks, a lowercase keyword, blanks, then '=', as in
 * "host=db1 dbname=otp"). Anything else is an LMDB directory. Only the
 * form is judged: the spec is neither parsed further nor checked.
 * spec: a NUL-terminated string, not kept.
 * Returns 1 or 0; never fails.
 */
int otp_store_is_postgresql(const char *spec);

/* What otp_store_open_with takes beyond the spec. */
struct otp_store_opts {
	unsigned map_mb;   /* LMDB: as otp_store_open's map_mb */
	unsigned timeout;  /* seconds, 1..60 (config store_timeout; 0: 5). PostgreSQL: the
			    * bound on connecting and on each statement, lock waits included */
};

/*
 * otp_store_open_with - otp_store_open with the options in o (otp_store_open
 * is this with a timeout of 5 s). Same arguments, flags and errors.
 */
int otp_store_open_with(const char *spec, const struct otp_store_opts *o, int flags,
			struct otp_store **st);

/*
 * otp_store_open_backup - open a backup that otp_store_backup wrote, read
 * only, for otp_store_replace. path is opened as the store is: no
 * symlink, a regular file owned by root (or the effective user) with no
 * group/other access, every directory above it checked; the engine must
 * open that very file (else OTP_EPERM). Nothing is ever written to it.
 * *st: receives the handle; otp_txn_begin on it takes read transactions
 * only.
 * Returns OTP_OK; OTP_EINVAL ("not a pam_otp store backup", the detail
 * says why); OTP_EVERSION (a newer schema); OTP_ETOOLONG; OTP_ENOTFOUND,
 * OTP_EPERM, OTP_EIO (the file, as otp_open_checked); OTP_ENOMEM;
 * OTP_ESTORE.
 */
int otp_store_open_backup(const char *path, struct otp_store **st);

/* otp_store_close - close st (no transaction may be open on it); NULL is fine. */
void otp_store_close(struct otp_store *st);

/*
 * otp_store_identify - what store spec names now, as a string equal for
 * two specs that name the same store however spelt, and never equal to an
 * open store's unless spec names that very store (LMDB: the device and
 * inode of lock.mdb, which an open environment keeps allocated), so that
 * a process can keep one handle per store.
 * id: cap bytes (OTP_STORE_ID_MAX is enough).
 * Returns OTP_OK; OTP_ENOTFOUND when there is nothing to identify yet
 * (LMDB: no lock.mdb; an open makes one: identify after it); OTP_ETOOLONG;
 * OTP_ECONFIG (as otp_store_open); OTP_EIO.
 */
#define OTP_STORE_ID_MAX 64
int otp_store_identify(const char *spec, char *id, size_t cap);

/*
 * otp_store_recheck - for a handle kept open across logins: run again the
 * checks otp_store_open made of what spec names (LMDB: the directory and
 * every one above it, the files' owners and modes), and tell whether the
 * store spec names now is still the one st has open.
 * *replaced: 1 when spec now names another store (LMDB: another data.mdb,
 * e.g. a directory moved away and a new one made by otpctl init); the
 * caller then closes st once no transaction uses it, and opens spec anew.
 * Returns OTP_OK (*replaced tells); OTP_ENOTFOUND, OTP_EPERM, OTP_EIO,
 * OTP_ETOOLONG as otp_store_open (the store is no longer safe to use).
 */
int otp_store_recheck(struct otp_store *st, int *replaced);

/*
 * otp_store_forsake - in a child after fork, drop a handle the parent
 * opened, without touching what the parent still uses (LMDB: the
 * environment is neither used nor closed, since mdb_env_close could take
 * the lock file over once the parent is gone and destroy the mutexes of
 * other processes; its mappings and descriptors, opened close-on-exec,
 * stay until the child execs or exits). NULL is fine.
 */
void otp_store_forsake(struct otp_store *st);

/* otp_store_name - what st was opened from (its directory), for messages. */
const char *otp_store_name(const struct otp_store *st);

/* otp_store_engine - the engine of st: "lmdb" or "postgresql", for messages. */
const char *otp_store_engine(const struct otp_store *st);

/*
 * otp_store_grow - make room after a transaction failed with OTP_EFULL
 * (LMDB: double the map, up to 1 TiB). Waits until no other thread has a
 * transaction open on st; the calling thread must have none (else
 * OTP_EFULL). Returns OTP_OK (redo the transaction) or OTP_EFULL (no more
 * room can be made).
 */
int otp_store_grow(struct otp_store *st);

/*
 * otp_store_backup - write a consistent, compacted copy of the whole store
 * to fd (open for writing, at offset 0), in one read transaction: logins
 * go on meanwhile. LMDB: a plain LMDB data file (mdb_stat -n FILE opens
 * it). The caller fsyncs and closes fd.
 * Returns OTP_OK or OTP_ESTORE with the bare reason as detail (e.g.
 * "No space left on device").
 */
int otp_store_backup(struct otp_store *st, int fd);

/*
 * otp_store_replace - inside the write transaction dst, drop every record
 * of dst's store (every kind, `meta` included) and copy every record that
 * the read transaction src sees, as they are stored (records that do not
 * decode included). src must be of the same engine (a store or a backup).
 * *records: receives how many records were copied.
 * Returns OTP_OK, OTP_EINVAL (another engine's), OTP_EFULL or OTP_ESTORE.
 */
int otp_store_replace(struct otp_txn *dst, struct otp_txn *src, unsigned long *records);

struct otp_store_stats {
	size_t users, devices, recovery, hosts, audit; /* records of each kind */
	uint64_t commits;     /* write transactions committed to the store so far */
	uint64_t bytes_used;  /* bytes the store takes (LMDB: pages in use) */
	uint64_t bytes_max;   /* room before OTP_EFULL (LMDB: the map size) */
};

/* otp_store_stats - counts and sizes, as txn sees them. Returns OTP_OK or OTP_ESTORE. */
int otp_store_stats(struct otp_txn *txn, struct otp_store_stats *s);

/*
 * otp_txn_begin - start a transaction on st; write nonzero for a write one
 * (waits for any other writer of the same records, in any process), or
 * OTP_TXN_EXCLUSIVE for a write transaction that no other write
 * transaction runs beside (rekey, restore, recording the key check: the
 * operations on the whole store). LMDB: every write transaction is
 * exclusive. PostgreSQL: write transactions that touch different users
 * run side by side; each waits for the others on the same user (at its
 * first use of that user), and for an exclusive one.
 * *txn: receives it; end it with otp_txn_commit or otp_txn_abort.
 * Returns OTP_OK or OTP_ESTORE (a backup refuses write transactions).
 */
int otp_txn_begin(struct otp_store *st, int write, struct otp_txn **txn);

/*
 * otp_txn_commit - commit txn (durably: LMDB fsyncs); it is gone afterwards
 * either way. A read transaction is simply ended.
 * Returns OTP_OK, OTP_EFULL (out of room) or OTP_ESTORE.
 */
int otp_txn_commit(struct otp_txn *txn);

/* otp_txn_abort - discard txn and what it wrote; NULL is fine. */
void otp_txn_abort(struct otp_txn *txn);

/*
 * otp_txn_prefetch - say what txn is about to read, so that an engine that
 * pays a round trip per statement (PostgreSQL) reads it all in one: with
 * OTP_PREFETCH_USER, user's record; OTP_PREFETCH_DEVICES, user's devices
 * (otp_device_list); OTP_PREFETCH_META, the meta value named meta. In a
 * write transaction user's lock is taken first, as any statement on
 * user's records would. The next otp_user_load, otp_device_list or
 * otp_meta_get of the same record in txn is answered from what was read
 * (a write to those records in between drops it), once; LMDB reads
 * nothing ahead. user and meta may be NULL when not asked for; a name the
 * store could not hold is not read. OTP_PREFETCH_ALL says that, in a read
 * transaction that has read nothing yet, these are all the reads that need
 * to agree with each other: the engine may read them each at the latest
 * commit rather than in one snapshot (PostgreSQL then spares the
 * transaction's BEGIN and ROLLBACK); a later read starts the snapshot.
 * Returns OTP_OK, or OTP_ESTORE (the transaction has failed: abort it).
 */
enum {
	OTP_PREFETCH_USER = 1, OTP_PREFETCH_DEVICES = 2, OTP_PREFETCH_META = 4,
	OTP_PREFETCH_ALL = 8
};
int otp_txn_prefetch(struct otp_txn *txn, const char *user, unsigned what, const char *meta);

/* otp_txn_store - the store txn was begun on. */
struct otp_store *otp_txn_store(struct otp_txn *txn);

/*
 * Walks (the *_each functions) call fn once per record, in key order, and
 * stop when fn returns anything but OTP_OK: OTP_EACH_STOP ends the walk
 * with OTP_OK, any other code ends it with that code. A record that does
 * not decode is passed as NULL, for fn to skip or refuse.
 */
#define OTP_EACH_STOP (-1)

/* Record kinds, for otp_store_raw_put. */
enum otp_kind {
	OTP_KIND_USERS, OTP_KIND_DEVICES, OTP_KIND_RECOVERY, OTP_KIND_HOSTS, OTP_KIND_AUDIT,
	OTP_KIND_META, OTP_KIND_COUNT
};

/*
 * meta: small named values (name: 1..64 bytes of text), e.g. the seal key
 * check value (keycheck.h). The schema version is the engine's own.
 * otp_meta_get copies at most cap bytes of the value into buf; *len gets
 * its full length. Returns OTP_OK or OTP_ENOTFOUND.
 * otp_meta_put stores len bytes of val under name, replacing any value.
 * Returns OTP_OK or OTP_EINVAL (name or len out of range).
 */
#define OTP_META_VALUE_MAX 256  /* bytes */
int otp_meta_get(struct otp_txn *txn, const char *name, uint8_t *buf, size_t cap, size_t *len);
int otp_meta_put(struct otp_txn *txn, const char *name, const uint8_t *val, size_t len);

/*
 * users: user -> struct otp_user_rec.
 * Loads return OTP_OK, OTP_ENOTFOUND (also for a name too long to be
 * stored), or OTP_ECORRUPT/OTP_EVERSION (the detail names the user).
 * otp_user_save returns OTP_OK or OTP_EINVAL (a name too long).
 * otp_user_delete returns OTP_OK or OTP_ENOTFOUND (no such record); it
 * leaves the user's other records alone.
 * otp_user_each walks every user record in name order; a record that does
 * not decode stops it with OTP_ECORRUPT ("corrupt user record for USER").
 */
int otp_user_load(struct otp_txn *txn, const char *user, struct otp_user_rec *u);
int otp_user_save(struct otp_txn *txn, const char *user, const struct otp_user_rec *u);
int otp_user_delete(struct otp_txn *txn, const char *user);
int otp_user_each(struct otp_txn *txn,
		  int (*fn)(const char *user, const struct otp_user_rec *u, void *arg), void *arg);

/*
 * devices: (user, id) -> struct otp_device_rec (d->id is the key's id).
 * otp_device_load, otp_device_save: as the user functions; a record is
 * wiped from the engine's buffers once written.
 * otp_device_list - every device of user, in id order, into out (room for
 * OTP_DEVICES_MAX); *n gets the count. A record that does not decode is
 * OTP_ECORRUPT/OTP_EVERSION, more than OTP_DEVICES_MAX is OTP_ECORRUPT.
 * otp_device_delete_all - delete every device of user; *count gets how
 * many went.
 * otp_device_each - every device of every user, in (user, id) order: fn
 * gets user and the record (NULL, and user perhaps "", when the record or
 * its key does not decode; d points into a buffer wiped afterwards). fn
 * may save the device it is given (same user and id) and nothing else.
 */
int otp_device_load(struct otp_txn *txn, const char *user, uint32_t id,
		    struct otp_device_rec *d);
int otp_device_save(struct otp_txn *txn, const char *user, const struct otp_device_rec *d);
int otp_device_list(struct otp_txn *txn, const char *user, struct otp_device_rec *out,
		    unsigned *n);
int otp_device_delete_all(struct otp_txn *txn, const char *user, unsigned *count);
int otp_device_each(struct otp_txn *txn,
		    int (*fn)(const char *user, struct otp_device_rec *d, void *arg), void *arg);

/*
 * recovery: (user, n) -> struct otp_recovery_rec, n from 1.
 * otp_recovery_each walks user's codes in n order (r NULL: does not decode).
 * otp_recovery_put stores r as code n of user, replacing any.
 * otp_recovery_delete_all deletes every code of user; *count gets how many.
 */
int otp_recovery_each(struct otp_txn *txn, const char *user,
		      int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg), void *arg);
int otp_recovery_put(struct otp_txn *txn, const char *user, uint32_t n,
		     const struct otp_recovery_rec *r);
int otp_recovery_delete_all(struct otp_txn *txn, const char *user, unsigned *count);

/*
 * hosts: (user, host) -> struct otp_host_rec; host at most OTP_HOST_MAX
 * bytes (the rules store numeric addresses only, see hosts.h).
 * otp_host_get: OTP_OK, OTP_ENOTFOUND, OTP_ECORRUPT/OTP_EVERSION.
 * otp_host_save: OTP_OK or OTP_EINVAL (user or host too long).
 * otp_host_delete: OTP_OK or OTP_ENOTFOUND.
 * otp_host_each walks user's hosts in host order (h NULL: does not decode).
 * otp_host_delete_if deletes each host of user for which pred returns
 * nonzero (h NULL: does not decode), every one when pred is NULL; *count
 * (may be NULL) gets how many went.
 */
int otp_host_get(struct otp_txn *txn, const char *user, const char *host,
		 struct otp_host_rec *h);
int otp_host_save(struct otp_txn *txn, const char *user, const char *host,
		  const struct otp_host_rec *h);
int otp_host_delete(struct otp_txn *txn, const char *user, const char *host);
int otp_host_each(struct otp_txn *txn, const char *user,
		  int (*fn)(const char *host, const struct otp_host_rec *h, void *arg), void *arg);
int otp_host_delete_if(struct otp_txn *txn, const char *user,
		       int (*pred)(const char *host, const struct otp_host_rec *h, void *arg),
		       void *arg, unsigned *count);

/*
 * audit: (time, seq) -> struct otp_audit_ev (audit.h), in time order.
 * otp_audit_insert stores ev below the summary slots
 * (OTP_AUDIT_SEQ_SUMMARY) and ev->seq gets its number: on LMDB after every
 * record of the same second (writers take turns, so a second's records are
 * numbered in commit order); on PostgreSQL from a sequence, so that
 * writers of different users never wait for each other (a record may then
 * land below one of its second already read: see otp_audit_landed).
 * otp_audit_write_at stores ev at (ev->time, ev->seq), replacing any.
 * Both return OTP_OK or OTP_EINVAL (does not encode).
 * otp_audit_get_at reads the record at (time, seq): OTP_OK, OTP_ENOTFOUND,
 * OTP_ECORRUPT or OTP_EVERSION.
 * otp_audit_each walks from the first record at or after (time, seq)
 * onwards, or with backward nonzero from the last record at or before it
 * back to the oldest; ev NULL: a record that does not decode.
 * otp_audit_prune deletes the oldest records of time before `before`, at
 * most max of them (a bounded cost per write). PostgreSQL, where a prune
 * is a round trip of its own, prunes at one call in 16 of a handle (the
 * first included) and again at the next while the last took max records;
 * max (OTP_AUDIT_PRUNE_BATCH) above 16 keeps the trail bounded.
 */
int otp_audit_insert(struct otp_txn *txn, struct otp_audit_ev *ev);
int otp_audit_write_at(struct otp_txn *txn, const struct otp_audit_ev *ev);
int otp_audit_get_at(struct otp_txn *txn, uint64_t time, uint32_t seq, struct otp_audit_ev *ev);
int otp_audit_each(struct otp_txn *txn, uint64_t time, uint32_t seq, int backward,
		   int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg);
int otp_audit_prune(struct otp_txn *txn, uint64_t before, unsigned max);

/*
 * Landing order: where records land in an order of their own, a reader
 * can go on from where it stopped without missing a record that landed
 * behind its position in time order. PostgreSQL keeps with each record
 * the id of the transaction that wrote it (summaries: that rewrote it
 * last); a read returns only records of transactions that ended before
 * every transaction still open, so a later read never finds a record
 * before the position where an earlier one stopped.
 *
 * otp_store_has_landing - 1 when the store has a landing order
 * (PostgreSQL from schema version 2), 0 when not (LMDB, whose writers take
 * turns: auditscan.h; PostgreSQL schema version 1, numbered as LMDB is
 * until otpctl init upgrades it).
 *
 * otp_audit_landed - hand fn, in landing order, every record that landed
 * after *mark ({0} reads from the first), and move *mark to the last one
 * handed. Records of a transaction still open anywhere on the server, or
 * of one that began after the oldest one still open, are held back for a
 * later read (a transaction left open on the server delays them; none is
 * lost). fn gets NULL for a record that does not decode and returns
 * OTP_OK to go on, OTP_EACH_STOP to stop (OTP_OK returned) or an error.
 * Returns OTP_OK, fn's error, OTP_ESTORE, or OTP_EINVAL on an engine
 * without a landing order.
 */
struct otp_audit_mark {
	uint64_t xid;    /* the writing transaction's id (PostgreSQL's xid8) */
	uint64_t time;   /* the record's key within that transaction */
	uint32_t seq;
};
int otp_store_has_landing(const struct otp_store *st);
int otp_audit_landed(struct otp_txn *txn, struct otp_audit_mark *mark,
		     int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg);

/*
 * otp_store_raw_put - for tests and repair only: store val (vlen bytes;
 * NULL deletes) under key (klen bytes) in kind, as the engine's own bytes
 * (LMDB: the keys and values of store_lmdb_codec.h), so that a test can
 * plant a record the rules would never write.
 * Returns OTP_OK, OTP_ENOTFOUND (nothing to delete), OTP_EINVAL or
 * OTP_ESTORE.
 */
int otp_store_raw_put(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
		      const void *val, size_t vlen);

#endif
