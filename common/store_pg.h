/*
 * store_pg.h - the PostgreSQL engine's private side, shared by its files:
 * store_pg.c (the handle, transactions, locks), store_pg_conn.c
 * (connecting), store_pg_pipe.c (statements sent and answered),
 * store_pg_ahead.c (what a transaction reads ahead and the user row it
 * keeps), store_pg_records.c (meta, users, devices, recovery codes,
 * hosts), store_pg_audit.c, store_pg_schema.c.
 *
 * One connection per handle. A transaction holds the handle's mutex from
 * begin to commit or abort: the threads of a process take turns on the
 * connection. Every answer is awaited with a deadline of the store's
 * timeout (the server's statement_timeout, and on our side a poll on the
 * socket, so a server that stops answering cannot hang a login); a
 * connection that failed is made again at the next begin.
 *
 * Round trips: the connection runs in libpq's pipeline mode once a
 * transaction has begun on it. A statement whose result the caller does
 * not read (BEGIN, a lock, a write) is only queued, and travels with the
 * next statement whose result is read (pg_run) or with COMMIT, whose
 * exchange reads every answer owed, the first error failing the
 * transaction. A read transaction begins (BEGIN) with its first read, and
 * its ROLLBACK is sent and its answer read with the next exchange; reads
 * said ahead to be all it makes (OTP_PREFETCH_ALL) go without either. A transaction can also say ahead which rows it
 * will read (otp_txn_prefetch), to have them in one exchange; and it keeps
 * the user row it reads and writes (store_pg_ahead.c), written once, at
 * commit or before any statement that reads users.
 *
 * Serialisation: write transactions run READ COMMITTED and take
 * transaction-scoped advisory locks: the store lock shared (exclusive for
 * OTP_TXN_EXCLUSIVE), and each user's lock before the first statement on
 * that user's records, so every statement after it sees the user's latest
 * committed state and no other writer of that user runs beside it. Read
 * transactions run REPEATABLE READ READ ONLY: one snapshot.
 */
#ifndef OTP_STORE_PG_H
#define OTP_STORE_PG_H

#include "store_engine.h"
#include "textsafe.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sys/types.h>

#define PG_LOCKED_MAX 4   /* users whose lock a transaction remembers taking */

/* The statements, prepared on a connection at first use (store_pg_sql.c). */
enum pg_stmt {
	PG_META_GET, PG_META_PUT,
	PG_USER_LOAD, PG_USER_SAVE, PG_USER_DELETE, PG_USER_PAGE, PG_USER_FIRST,
	PG_DEV_LOAD, PG_DEV_SAVE, PG_DEV_LIST, PG_DEV_DELETE_ALL, PG_DEV_PAGE, PG_DEV_FIRST,
	PG_RC_LIST, PG_RC_PUT, PG_RC_DELETE_ALL,
	PG_HOST_GET, PG_HOST_SAVE, PG_HOST_DELETE, PG_HOST_LIST,
	PG_AUDIT_INSERT, PG_AUDIT_PUT, PG_AUDIT_GET, PG_AUDIT_FWD, PG_AUDIT_BACK,
	PG_AUDIT_PRUNE, PG_AUDIT_LANDED, PG_AUDIT_INSERT_V1, PG_AUDIT_PUT_V1,
	PG_LOCK_USER, PG_LOCK_SECOND, PG_LOCK_MINUTE, PG_STATS,
	PG_BEGIN_READ, PG_BEGIN_WRITE, PG_LOCK_STORE_SHARED, PG_LOCK_STORE, PG_COMMIT,
	PG_ROLLBACK, PG_AUDIT_INSERT_ABOVE,
	PG_STMT_COUNT
};

struct pg_stmt_def {
	const char *sql;
	int nparams;
};
extern const struct pg_stmt_def pg_stmts[PG_STMT_COUNT];

#define PG_SENT_MAX 64    /* messages awaiting their answer on a connection */
#define PG_AHEAD_MAX 4    /* results a transaction has read ahead */

/* A message sent (or queued) whose answer is still to be read, in order. */
struct pg_sent {
	const char *what;      /* the operation, for messages */
	PGresult **out;        /* where its result goes; NULL: only its status counts */
	short prep;            /* >= 0: the Parse of this statement, whose flag it settles */
	unsigned char sync;    /* a Sync point: its answer ends a pipeline */
	unsigned char lenient; /* of a transaction already ended: an error does not count */
};

/* A result read ahead (otp_txn_prefetch), for the load that asks for it. */
struct pg_ahead {
	enum pg_stmt st;             /* PG_USER_LOAD, PG_DEV_LIST or PG_META_GET */
	char key[OTP_USER_MAX + 1];  /* the user, or the meta name */
	PGresult *res;
};

/* The user row a transaction has read or written (store_pg_ahead.c). */
enum { PG_ROW_UNKNOWN, PG_ROW_ABSENT, PG_ROW_PRESENT };
struct pg_row {
	char user[OTP_USER_MAX + 1];  /* "" none */
	int state;                    /* PG_ROW_* */
	int dirty;                    /* rec is to be written */
	struct otp_user_rec rec;
};

struct pg_txn {
	struct otp_txn base;
	int write;
	int failed;                 /* a statement failed: only abort is left */
	int begun;                  /* BEGIN is queued (a read one's waits for its first read) */
	int loose;                  /* reads that need no snapshot: no BEGIN for them */
	unsigned rows;              /* rows the last pg_run returned or touched */
	unsigned nlocked;
	char locked[PG_LOCKED_MAX][OTP_USER_MAX + 1];
	struct pg_ahead ahead[PG_AHEAD_MAX];
	struct pg_row row;
};

struct pg_store {
	struct otp_store base;
	PGconn *conn;               /* NULL or bad: connect again at the next begin */
	pid_t pid;                  /* the process that opened it: no other may use it */
	pthread_mutex_t mu;         /* held for the life of a transaction */
	pthread_t owner;            /* the thread holding mu */
	int busy;
	unsigned timeout;           /* seconds */
	int schema;                 /* the schema's version, read at open */
	unsigned prune_wait;        /* audit appends left before the next prune */
	unsigned char prepared[PG_STMT_COUNT];  /* its Parse is sent (and did not fail) */
	unsigned nsent;
	unsigned mark;              /* sent[mark..]: the transaction under way's */
	struct pg_sent sent[PG_SENT_MAX];
	char spec[4096];
	struct pg_txn txn;
};

static inline struct pg_store *pg_of(struct otp_store *st)
{
	return (struct pg_store *)st;
}

static inline struct pg_txn *pg_txn_of(struct otp_txn *txn)
{
	return (struct pg_txn *)txn;
}

/*
 * Parameters of a statement: text values (NULL-terminated strings) or
 * binary ones (bytea). pg_param_* fill one slot; numbers are printed into
 * the slot's own buffer.
 */
#define PG_PARAMS_MAX 16
struct pg_params {
	int n;
	const char *val[PG_PARAMS_MAX];
	int len[PG_PARAMS_MAX];
	int fmt[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
};
void pg_param_text(struct pg_params *p, const char *s);
void pg_param_u64(struct pg_params *p, uint64_t v);   /* as bigint, two's complement */
void pg_param_i64(struct pg_params *p, int64_t v);
void pg_param_bytes(struct pg_params *p, const void *b, size_t n);

/*
 * pg_run - run prepared statement s with p in txn; binary results. Every
 * statement queued before it travels in the same exchange, and their
 * answers are read first. On success *res gets the result (PQclear it)
 * and OTP_OK; else (this statement or one queued before it failed) the
 * transaction is marked failed and the error (OTP_ESTORE, detail naming
 * the server and the problem) is returned. what names the operation.
 */
int pg_run(struct otp_txn *txn, enum pg_stmt s, const struct pg_params *p, PGresult **res,
	   const char *what);

/*
 * pg_queue - queue statement s with p in txn (p is copied), to travel with
 * the next exchange; out, when not NULL, gets its result then (PQclear it),
 * else only its success counts: an error fails that exchange and the
 * transaction. A dirty user row is written first when s reads users.
 * Returns OTP_OK, or OTP_ESTORE (the connection failed; the transaction
 * is marked failed).
 */
int pg_queue(struct otp_txn *txn, enum pg_stmt s, const struct pg_params *p, PGresult **out,
	     const char *what);

/* pg_sync - one exchange: send what txn queued, read every answer owed.
 * Returns OTP_OK or the first error (the transaction is marked failed). */
int pg_sync(struct otp_txn *txn);

/* pg_lock_user - queue user's lock in a write transaction (no-op in a read one). */
int pg_lock_user(struct otp_txn *txn, const char *user);

/* pg_user_ok - whether user can be a key (1..OTP_USER_MAX bytes of valid UTF-8). */
int pg_user_ok(const char *user);

/* Binary result fields: a bigint, a text copied into buf (cap bytes), bytes. */
int pg_get_u64(const PGresult *r, int row, int col, uint64_t *v);
int pg_get_text(const PGresult *r, int row, int col, char *buf, size_t cap);
int pg_get_bytes(const PGresult *r, int row, int col, uint8_t *buf, size_t cap, size_t *len);

/* pg_affected - rows a DELETE/UPDATE touched. */
unsigned pg_affected(const PGresult *r);

/* The record operations (store_pg_records.c, store_pg_audit.c). */
int pg_meta_get(struct otp_txn *txn, const char *name, uint8_t *buf, size_t cap, size_t *len);
int pg_meta_put(struct otp_txn *txn, const char *name, const uint8_t *val, size_t len);
int pg_user_load(struct otp_txn *txn, const char *user, struct otp_user_rec *u);
int pg_user_save(struct otp_txn *txn, const char *user, const struct otp_user_rec *u);
int pg_user_delete(struct otp_txn *txn, const char *user);
int pg_user_each(struct otp_txn *txn,
		 int (*fn)(const char *user, const struct otp_user_rec *u, void *arg), void *arg);
int pg_device_load(struct otp_txn *txn, const char *user, uint32_t id,
		   struct otp_device_rec *d);
int pg_device_save(struct otp_txn *txn, const char *user, const struct otp_device_rec *d);
int pg_device_list(struct otp_txn *txn, const char *user, struct otp_device_rec *out,
		   unsigned *n);
int pg_device_delete_all(struct otp_txn *txn, const char *user, unsigned *count);
int pg_device_each(struct otp_txn *txn,
		   int (*fn)(const char *user, struct otp_device_rec *d, void *arg), void *arg);
int pg_recovery_each(struct otp_txn *txn, const char *user,
		     int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg), void *arg);
int pg_recovery_put(struct otp_txn *txn, const char *user, uint32_t n,
		    const struct otp_recovery_rec *r);
int pg_recovery_delete_all(struct otp_txn *txn, const char *user, unsigned *count);
int pg_host_get(struct otp_txn *txn, const char *user, const char *host,
		struct otp_host_rec *h);
int pg_host_save(struct otp_txn *txn, const char *user, const char *host,
		 const struct otp_host_rec *h);
int pg_host_delete(struct otp_txn *txn, const char *user, const char *host);
int pg_host_each(struct otp_txn *txn, const char *user,
		 int (*fn)(const char *host, const struct otp_host_rec *h, void *arg), void *arg);
int pg_host_delete_if(struct otp_txn *txn, const char *user,
		      int (*pred)(const char *host, const struct otp_host_rec *h, void *arg),
		      void *arg, unsigned *count);
int pg_audit_insert(struct otp_txn *txn, struct otp_audit_ev *ev);
int pg_audit_write_at(struct otp_txn *txn, const struct otp_audit_ev *ev);
int pg_audit_get_at(struct otp_txn *txn, uint64_t time, uint32_t seq, struct otp_audit_ev *ev);
int pg_audit_each(struct otp_txn *txn, uint64_t time, uint32_t seq, int backward,
		  int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg);
int pg_audit_prune(struct otp_txn *txn, uint64_t before, unsigned max);
int pg_has_landing(const struct otp_store *st);
int pg_audit_landed(struct otp_txn *txn, struct otp_audit_mark *mark,
		    int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg);

/*
 * What a transaction reads ahead and the user row it keeps
 * (store_pg_ahead.c). pg_prefetch is the engine's otp_txn_prefetch.
 * pg_ahead_take hands over the result read ahead for statement st on key
 * (NULL if none; PQclear it); pg_ahead_drop forgets those of st.
 * pg_row_get copies the kept row of user into u: OTP_OK, OTP_ENOTFOUND
 * (known absent) or 1 (not kept). pg_row_keep keeps u (NULL: absent) as
 * read; pg_row_put keeps u as written (to be written by pg_row_flush,
 * which queues it); pg_row_forget flushes and forgets user's row.
 * pg_ahead_clear ends it all with the transaction.
 */
int pg_prefetch(struct otp_txn *txn, const char *user, unsigned what, const char *meta);
PGresult *pg_ahead_take(struct otp_txn *txn, enum pg_stmt st, const char *key);
void pg_ahead_drop(struct otp_txn *txn, enum pg_stmt st);
int pg_row_get(struct otp_txn *txn, const char *user, struct otp_user_rec *u);
int pg_row_keep(struct otp_txn *txn, const char *user, const struct otp_user_rec *u);
int pg_row_put(struct otp_txn *txn, const char *user, const struct otp_user_rec *u);
int pg_row_forget(struct otp_txn *txn, const char *user);
int pg_row_flush(struct otp_txn *txn);
void pg_ahead_clear(struct pg_txn *t);

/*
 * The schema (store_pg_schema.c): check it, or make/upgrade it with create;
 * s->schema gets its version. Version 1 (audit numbered within each second
 * under that second's lock, no landing order) is still written as such, so
 * that hosts of the older pam_otp and of this one share it until otpctl
 * init upgrades it once all run this one. Before version 3 the devices'
 * type CHECK allows only totp and hotp: saving an email or sms device
 * there is OTP_EVERSION.
 */
#define PG_SCHEMA_VERSION 3
#define PG_SCHEMA_OOB 3       /* the first version with email and sms devices */
int pg_schema(struct pg_store *s, int create);

/* pg_exec_simple - run sql (no parameters, several statements allowed)
 * outside any transaction of ours, with the deadline (the connection
 * leaves pipeline mode once every answer owed is read). */
int pg_exec_simple(struct pg_store *s, const char *sql, PGresult **res, const char *what);

/*
 * The connection's exchanges (store_pg_pipe.c), outside a transaction's
 * bookkeeping. pg_push sends what is queued with a Sync point, without
 * awaiting the answers; pg_settle reads every answer owed (the first
 * error that counts is returned). pg_send_end ends the transaction on the
 * connection without awaiting it: with rollback, ROLLBACK in a pipeline
 * of its own, sent (else only what is queued); the errors of the
 * statements before it no longer count, its own answer is read with the
 * next exchange. Each returns OTP_OK or
 * OTP_ESTORE (a connection that failed or missed the deadline is closed).
 */
int pg_push(struct pg_store *s);
int pg_settle(struct pg_store *s);
int pg_send_end(struct pg_store *s, int rollback);

/* pg_connect - (re)connect s within its timeout, set the session up, and
 * refuse a read-only server. */
int pg_connect(struct pg_store *s);

/* pg_fail - the detail for problem on s: "PostgreSQL SERVER: problem". */
int pg_fail(struct pg_store *s, int err, const char *problem);

/*
 * The connection's failures (store_pg_conn.c): pg_drop closes it (no
 * answer owed any more); pg_broken fails with libpq's reason and drops
 * it; pg_timed_out fails with "WHAT: timed out after N s" and drops it;
 * pg_result_error fails with the server's message for the failed result r
 * of what. Each returns OTP_ESTORE, the detail set.
 */
void pg_drop(struct pg_store *s);
int pg_broken(struct pg_store *s);
int pg_timed_out(struct pg_store *s, const char *what);
int pg_result_error(struct pg_store *s, const PGresult *r, const char *what);

/* pg_now - a monotonic clock, seconds. pg_wait_fd - wait until fd is
 * readable (or writable): 1 ready, 0 deadline (pg_now) passed, -1 error. */
double pg_now(void);
int pg_wait_fd(int fd, int for_write, double deadline);

#endif
