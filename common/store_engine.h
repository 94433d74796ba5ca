/*
 * store_engine.h - what a storage engine provides, for store.c to dispatch
 * to. Private to common/store*.c: the rules use store.h only.
 *
 * An engine embeds struct otp_store and struct otp_txn as the first member
 * of its own handle and transaction, and fills one struct otp_engine. Each
 * operation has the meaning, arguments and errors of the store.h function
 * of the same name; store.c has already checked what is engine-neutral.
 *
 * Threads: an engine's handle is shared by the threads of a process
 * (store.h); each engine makes its own transactions safe for that, and
 * refuses a handle used in a child after fork.
 *
 * Choosing the engine (otp_store_open): a spec that starts with
 * "postgresql://" or "postgres://", or reads as a libpq "key=value"
 * conninfo, is PostgreSQL (store_pg*.c); anything else is an LMDB
 * directory.
 */
#ifndef OTP_STORE_ENGINE_H
#define OTP_STORE_ENGINE_H

#include "store.h"

struct otp_engine;

struct otp_store {
	const struct otp_engine *eng;
	char name[4096];  /* the spec, for messages */
};

struct otp_txn {
	struct otp_store *st;
};

struct otp_engine {
	const char *name;  /* "lmdb", "postgresql" */
	int (*open)(const char *spec, unsigned map_mb, int flags, struct otp_store **st);
	int (*open_backup)(const char *path, struct otp_store **st);
	void (*close)(struct otp_store *st);
	int (*identify)(const char *spec, char *id, size_t cap);
	int (*recheck)(struct otp_store *st, int *replaced);
	void (*forsake)(struct otp_store *st);
	int (*grow)(struct otp_store *st);
	int (*backup)(struct otp_store *st, int fd);
	int (*begin)(struct otp_store *st, int write, struct otp_txn **txn);
	int (*commit)(struct otp_txn *txn);
	void (*abort)(struct otp_txn *txn);
	int (*replace)(struct otp_txn *dst, struct otp_txn *src, unsigned long *records);
	int (*stats)(struct otp_txn *txn, struct otp_store_stats *s);
	int (*raw_put)(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
		       const void *val, size_t vlen);

	int (*meta_get)(struct otp_txn *txn, const char *name, uint8_t *buf, size_t cap,
			size_t *len);
	int (*meta_put)(struct otp_txn *txn, const char *name, const uint8_t *val, size_t len);

	int (*user_load)(struct otp_txn *txn, const char *user, struct otp_user_rec *u);
	int (*user_save)(struct otp_txn *txn, const char *user, const struct otp_user_rec *u);
	int (*user_delete)(struct otp_txn *txn, const char *user);
	int (*user_each)(struct otp_txn *txn,
			 int (*fn)(const char *user, const struct otp_user_rec *u, void *arg),
			 void *arg);

	int (*device_load)(struct otp_txn *txn, const char *user, uint32_t id,
			   struct otp_device_rec *d);
	int (*device_save)(struct otp_txn *txn, const char *user, const struct otp_device_rec *d);
	int (*device_list)(struct otp_txn *txn, const char *user, struct otp_device_rec *out,
			   unsigned *n);
	int (*device_delete_all)(struct otp_txn *txn, const char *user, unsigned *count);
	int (*device_each)(struct otp_txn *txn,
			   int (*fn)(const char *user, struct otp_device_rec *d, void *arg),
			   void *arg);

	int (*recovery_each)(struct otp_txn *txn, const char *user,
			     int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg),
			     void *arg);
	int (*recovery_put)(struct otp_txn *txn, const char *user, uint32_t n,
			    const struct otp_recovery_rec *r);
	int (*recovery_delete_all)(struct otp_txn *txn, const char *user, unsigned *count);

	int (*host_get)(struct otp_txn *txn, const char *user, const char *host,
			struct otp_host_rec *h);
	int (*host_save)(struct otp_txn *txn, const char *user, const char *host,
			 const struct otp_host_rec *h);
	int (*host_delete)(struct otp_txn *txn, const char *user, const char *host);
	int (*host_each)(struct otp_txn *txn, const char *user,
			 int (*fn)(const char *host, const struct otp_host_rec *h, void *arg),
			 void *arg);
	int (*host_delete_if)(struct otp_txn *txn, const char *user,
			      int (*pred)(const char *host, const struct otp_host_rec *h, void *arg),
			      void *arg, unsigned *count);

	int (*audit_insert)(struct otp_txn *txn, struct otp_audit_ev *ev);
	int (*audit_write_at)(struct otp_txn *txn, const struct otp_audit_ev *ev);
	int (*audit_get_at)(struct otp_txn *txn, uint64_t time, uint32_t seq,
			    struct otp_audit_ev *ev);
	int (*audit_each)(struct otp_txn *txn, uint64_t time, uint32_t seq, int backward,
			  int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg);
	int (*audit_prune)(struct otp_txn *txn, uint64_t before, unsigned max);
	int (*has_landing)(const struct otp_store *st);  /* NULL: none */
	int (*audit_landed)(struct otp_txn *txn, struct otp_audit_mark *mark,
			    int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg);

	/* NULL: nothing to read ahead (LMDB reads from memory) */
	int (*prefetch)(struct otp_txn *txn, const char *user, unsigned what, const char *meta);
};

/* The LMDB engine (store_lmdb*.c): a directory, or a backup file. */
extern const struct otp_engine otp_engine_lmdb;

/* The PostgreSQL engine (store_pg*.c): a URI or conninfo; timeout in seconds. */
extern const struct otp_engine otp_engine_pg;
int otp_pg_open(const char *spec, unsigned timeout, int flags, struct otp_store **st);

#endif
