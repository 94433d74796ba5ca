/*
 * store_lmdb.h - the LMDB engine's handle and the helpers its files
 * share. Private to common/store_lmdb*.c; nothing else includes lmdb.h.
 *
 * One environment per store, one named database per record kind (enum
 * otp_kind, named as in kind_names), records laid out as
 * store_lmdb_codec.h says.
 */
#ifndef OTP_STORE_LMDB_H
#define OTP_STORE_LMDB_H

#include "store_engine.h"
#include "store_lmdb_codec.h"

#include <lmdb.h>
#include <pthread.h>
#include <sys/types.h>

#define OTP_MAP_MAX ((size_t)1 << 40)  /* bytes: the map never grows past 1 TiB */

struct lmdb_txn {
	struct otp_txn base;
	MDB_txn *mt;
};

/*
 * Threads share one handle (MDB_NOTLS: a read transaction is not tied to
 * its thread's reader slot). LMDB serialises write transactions itself,
 * across threads and processes; what it leaves to us is the map size,
 * which may change only while this process has no transaction open: every
 * transaction holds maplock shared, a map change holds it exclusive.
 */
struct lmdb_store {
	struct otp_store base;
	MDB_env *env;
	MDB_dbi dbi[OTP_KIND_COUNT];
	pthread_rwlock_t maplock;
	pid_t pid;           /* the process that opened env: no other may use it */
	uint64_t tended;     /* when dead readers were last cleared (s; atomic) */
	/* Transactions live here, so a login allocates nothing for them: the
	 * write slot is only touched while LMDB's writer lock is held; the
	 * read slot is taken when free (atomic flag; a second read
	 * transaction at once is allocated). */
	struct lmdb_txn wslot, rslot;
	int rslot_busy;
};

extern const char *const otp_lmdb_kind_names[OTP_KIND_COUNT];

static inline struct lmdb_store *lmdb_of(struct otp_store *st)
{
	return (struct lmdb_store *)st;
}

static inline MDB_txn *lmdb_mt(struct otp_txn *txn)
{
	return ((struct lmdb_txn *)txn)->mt;
}

static inline MDB_dbi lmdb_dbi(struct otp_txn *txn, enum otp_kind kind)
{
	return lmdb_of(txn->st)->dbi[kind];
}

/* lmdb_err - map an LMDB return code to an otp_err, with a detail "WHAT: text". */
int lmdb_err(int mrc, const char *what);

/* lmdb_text - an LMDB return code's text; safe in threads (mdb_strerror
 * hands system errors to strerror). */
const char *lmdb_text(int mrc);

/* lmdb_get - the value under key in kind: OTP_OK, OTP_ENOTFOUND or OTP_ESTORE (detail: what). */
int lmdb_get(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
	     MDB_val *v, const char *what);

/* lmdb_put - store val under key in kind: OTP_OK, OTP_EFULL or OTP_ESTORE (detail: what). */
int lmdb_put(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
	     const void *val, size_t vlen, const char *what);

/*
 * lmdb_walk_user - visit every record of kind whose key starts with
 * "user NUL", in key order: fn gets the cursor (it may delete the current
 * record), key, value and the prefix length. fn returns as a walk's fn
 * (store.h: OTP_OK, OTP_EACH_STOP or an error). A name too long to be
 * stored has no records. Returns OTP_OK, fn's error, or OTP_ESTORE.
 */
int lmdb_walk_user(struct otp_txn *txn, enum otp_kind kind, const char *user,
		   int (*fn)(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, size_t pl,
			     void *arg),
		   void *arg, const char *what);

/* Record kinds (store_lmdb_records.c, store_lmdb_audit.c, store_lmdb_backup.c). */
int lmdb_meta_get(struct otp_txn *txn, const char *name, uint8_t *buf, size_t cap, size_t *len);
int lmdb_meta_put(struct otp_txn *txn, const char *name, const uint8_t *val, size_t len);
int lmdb_user_load(struct otp_txn *txn, const char *user, struct otp_user_rec *u);
int lmdb_user_save(struct otp_txn *txn, const char *user, const struct otp_user_rec *u);
int lmdb_user_delete(struct otp_txn *txn, const char *user);
int lmdb_user_each(struct otp_txn *txn,
		   int (*fn)(const char *user, const struct otp_user_rec *u, void *arg), void *arg);
int lmdb_device_load(struct otp_txn *txn, const char *user, uint32_t id,
		     struct otp_device_rec *d);
int lmdb_device_save(struct otp_txn *txn, const char *user, const struct otp_device_rec *d);
int lmdb_device_list(struct otp_txn *txn, const char *user, struct otp_device_rec *out,
		     unsigned *n);
int lmdb_device_delete_all(struct otp_txn *txn, const char *user, unsigned *count);
int lmdb_device_each(struct otp_txn *txn,
		     int (*fn)(const char *user, struct otp_device_rec *d, void *arg), void *arg);
int lmdb_recovery_each(struct otp_txn *txn, const char *user,
		       int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg),
		       void *arg);
int lmdb_recovery_put(struct otp_txn *txn, const char *user, uint32_t n,
		      const struct otp_recovery_rec *r);
int lmdb_recovery_delete_all(struct otp_txn *txn, const char *user, unsigned *count);
int lmdb_host_get(struct otp_txn *txn, const char *user, const char *host,
		  struct otp_host_rec *h);
int lmdb_host_save(struct otp_txn *txn, const char *user, const char *host,
		   const struct otp_host_rec *h);
int lmdb_host_delete(struct otp_txn *txn, const char *user, const char *host);
int lmdb_host_each(struct otp_txn *txn, const char *user,
		   int (*fn)(const char *host, const struct otp_host_rec *h, void *arg), void *arg);
int lmdb_host_delete_if(struct otp_txn *txn, const char *user,
			int (*pred)(const char *host, const struct otp_host_rec *h, void *arg),
			void *arg, unsigned *count);
int lmdb_audit_insert(struct otp_txn *txn, struct otp_audit_ev *ev);
int lmdb_audit_write_at(struct otp_txn *txn, const struct otp_audit_ev *ev);
int lmdb_audit_get_at(struct otp_txn *txn, uint64_t time, uint32_t seq,
		      struct otp_audit_ev *ev);
int lmdb_audit_each(struct otp_txn *txn, uint64_t time, uint32_t seq, int backward,
		    int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg);
int lmdb_audit_prune(struct otp_txn *txn, uint64_t before, unsigned max);
int lmdb_open_backup(const char *path, struct otp_store **st);
int lmdb_backup(struct otp_store *st, int fd);
int lmdb_replace(struct otp_txn *dst, struct otp_txn *src, unsigned long *records);
int lmdb_stats(struct otp_txn *txn, struct otp_store_stats *s);
int lmdb_raw_put(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
		 const void *val, size_t vlen);

/* lmdb_env_new - a handle named name with a fresh environment, not open yet
 * (*out is set even on error, for the caller to close). */
int lmdb_env_new(struct lmdb_store **out, const char *name);

#endif
