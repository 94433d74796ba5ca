/*
 * store_pg.c - the PostgreSQL engine: the handle (open, close, fork),
 * transactions and their locks, and what LMDB alone does (backups, raw
 * records, map growth) refused with a clear reason.
 */
#include "store_pg.h"
#include "store_pg_conninfo.h"
#include "pqload.h"
#include "err.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A spec that holds a password, or does not parse: refused before anything
 * is sent, and never echoed (store_pg_conninfo.h). */
static int spec_ok(const char *spec)
{
	int rc;

	if (strlen(spec) >= sizeof(((struct pg_store *)0)->spec))
		return otp_seterr(OTP_ETOOLONG, "store: the conninfo is too long");
	rc = otp_pq_load();  /* a missing libpq named as such, not "out of memory" */
	return rc == OTP_OK ? otp_pg_conninfo_check(spec) : rc;
}

static int pg_open(const char *spec, unsigned timeout, int flags, struct otp_store **out)
{
	struct pg_store *s;
	int rc = spec_ok(spec);

	if (rc != OTP_OK)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	s->base.eng = &otp_engine_pg;
	snprintf(s->base.name, sizeof(s->base.name), "PostgreSQL");
	snprintf(s->spec, sizeof(s->spec), "%s", spec);
	s->timeout = timeout ? timeout : 5;
	s->pid = getpid();
	pthread_mutex_init(&s->mu, NULL);
	rc = pg_connect(s);
	if (rc == OTP_OK)
		rc = pg_schema(s, flags & OTP_STORE_CREATE);
	if (rc != OTP_OK) {
		PQfinish(s->conn);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return rc;
	}
	*out = &s->base;
	return OTP_OK;
}

int otp_pg_open(const char *spec, unsigned timeout, int flags, struct otp_store **st)
{
	return pg_open(spec, timeout, flags, st);
}

static int pg_open_map(const char *spec, unsigned map_mb, int flags, struct otp_store **st)
{
	(void)map_mb;
	return pg_open(spec, 5, flags, st);
}

static int pg_open_backup(const char *path, struct otp_store **st)
{
	(void)path;
	(void)st;
	return otp_seterr(OTP_EINVAL, "backups are LMDB's: back up a PostgreSQL store with "
			  "pg_dump");
}

static void pg_close(struct otp_store *st)
{
	struct pg_store *s = pg_of(st);

	if (s->pid != getpid()) {  /* the parent's session: never end it from here */
		if (s->conn != NULL)
			close(PQsocket(s->conn));
		return;
	}
	PQfinish(s->conn);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* The child's copy of the socket goes; the parent's session stays its own. */
static void pg_forsake(struct otp_store *st)
{
	struct pg_store *s = pg_of(st);

	if (s->conn != NULL)
		close(PQsocket(s->conn));
}

/* Two handles of one process for the same spec text share one store. */
static int pg_identify(const char *spec, char *id, size_t cap)
{
	unsigned char md[32];
	unsigned len = 0;

	if (cap < 2 * 16 + 4)
		return otp_seterr(OTP_ETOOLONG, "store id buffer");
	if (!EVP_Digest(spec, strlen(spec), md, &len, EVP_sha256(), NULL))
		return otp_seterr(OTP_EIO, "store: hashing the conninfo failed");
	memcpy(id, "pg:", 3);
	for (int i = 0; i < 16; i++)
		snprintf(id + 3 + 2 * i, 3, "%02x", md[i]);
	return OTP_OK;
}

static int pg_recheck(struct otp_store *st, int *replaced)
{
	(void)st;
	*replaced = 0;
	return OTP_OK;
}

static int pg_grow(struct otp_store *st)
{
	return pg_fail(pg_of(st), OTP_EFULL, "the database refused to grow (disk full?)");
}

static int pg_backup(struct otp_store *st, int fd)
{
	(void)fd;
	return pg_fail(pg_of(st), OTP_EINVAL, "otpctl backup is LMDB's: use pg_dump");
}

static int pg_replace(struct otp_txn *dst, struct otp_txn *src, unsigned long *records)
{
	(void)src;
	(void)records;
	return pg_fail(pg_of(dst->st), OTP_EINVAL, "otpctl restore is LMDB's: use pg_restore");
}

static int pg_raw_put(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	(void)kind, (void)key, (void)klen, (void)val, (void)vlen;
	return pg_fail(pg_of(txn->st), OTP_EINVAL, "raw records are LMDB's");
}

/* A write transaction's BEGIN and the store's lock: queued, they travel
 * with its first exchange. A read one begins with its first read. */
static int queue_begin(struct otp_txn *txn, int write)
{
	int rc;

	if (!write)
		return OTP_OK;
	pg_txn_of(txn)->begun = 1;
	rc = pg_queue(txn, PG_BEGIN_WRITE, NULL, NULL, "begin");
	if (rc == OTP_OK)
		rc = pg_queue(txn, write == OTP_TXN_EXCLUSIVE ? PG_LOCK_STORE : PG_LOCK_STORE_SHARED,
			      NULL, NULL, "begin");
	return rc;
}

/* A connection to use: made again if it failed, in pipeline mode. */
static int usable(struct pg_store *s)
{
	int rc = OTP_OK;

	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		rc = pg_connect(s);  /* a broken or timed-out connection: a new one */
	if (rc == OTP_OK && PQpipelineStatus(s->conn) == PQ_PIPELINE_OFF &&
	    !PQenterPipelineMode(s->conn))
		rc = pg_broken(s);
	return rc;
}

static void ended(struct pg_store *s)
{
	pg_ahead_clear(&s->txn);
	memset(&s->txn, 0, sizeof(s->txn));
	__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->mu);
}

/*
 * The transaction ends on the server without a wait for its ROLLBACK:
 * read with the next exchange. None when it never began (a read one that
 * read nothing, or only outside a snapshot), or when nothing is owed and
 * the server says no transaction is open (a COMMIT the server turned into
 * ROLLBACK): ROLLBACK would only draw a warning. A connection that cannot
 * send it goes.
 */
static void end_unawaited(struct pg_store *s)
{
	int rollback;

	if (s->conn == NULL)
		return;
	rollback = s->txn.begun && (s->nsent > 0 || PQtransactionStatus(s->conn) != PQTRANS_IDLE);
	if (pg_send_end(s, rollback) != OTP_OK)
		pg_drop(s);
}

static int pg_begin(struct otp_store *st, int write, struct otp_txn **out)
{
	struct pg_store *s = pg_of(st);
	int rc;

	if (s->pid != getpid())  /* first: the parent's mutex may be held forever here */
		return otp_seterr(OTP_ESTORE, "%s: store handle of the parent process, used "
				  "after fork", st->name);
	/* this thread's own transaction would wait for itself */
	if (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE) &&
	    pthread_equal(__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE), pthread_self()))
		return pg_fail(s, OTP_ESTORE, "a second transaction in one thread");
	pthread_mutex_lock(&s->mu);
	__atomic_store_n(&s->owner, pthread_self(), __ATOMIC_RELEASE);
	__atomic_store_n(&s->busy, 1, __ATOMIC_RELEASE);
	memset(&s->txn, 0, sizeof(s->txn));
	s->txn.base.st = st;
	s->txn.write = write;
	rc = usable(s);
	s->mark = s->nsent;  /* what is owed before is an ended transaction's */
	if (rc == OTP_OK)
		rc = queue_begin(&s->txn.base, write);
	if (rc != OTP_OK) {
		end_unawaited(s);
		ended(s);
		return rc;
	}
	*out = &s->txn.base;
	return OTP_OK;
}

static int pg_commit(struct otp_txn *txn)
{
	struct pg_store *s = pg_of(txn->st);
	PGresult *r = NULL;
	int rc;

	if (pg_txn_of(txn)->failed) {
		end_unawaited(s);
		ended(s);
		return pg_fail(s, OTP_ESTORE, "commit of a transaction that failed");
	}
	/* the row kept unwritten and COMMIT travel with the writes queued */
	rc = pg_row_flush(txn);
	if (rc == OTP_OK && !pg_txn_of(txn)->begun) {  /* a read one that read nothing */
		end_unawaited(s);
		ended(s);
		return OTP_OK;
	}
	if (rc == OTP_OK)
		rc = pg_queue(txn, PG_COMMIT, NULL, &r, "commit");
	if (rc == OTP_OK)
		rc = pg_sync(txn);
	/* a transaction the server had aborted "commits" as ROLLBACK */
	if (rc == OTP_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = pg_fail(s, OTP_ESTORE, "commit: the server rolled the transaction back");
	PQclear(r);
	if (rc != OTP_OK)
		end_unawaited(s);
	ended(s);
	return rc;
}

static void pg_abort(struct otp_txn *txn)
{
	struct pg_store *s = pg_of(txn->st);

	end_unawaited(s);
	ended(s);
}

int pg_user_ok(const char *user)
{
	size_t n = strnlen(user, OTP_USER_MAX + 1);

	return n >= 1 && n <= OTP_USER_MAX && otp_text_problem(user, NULL) == NULL;
}

int pg_lock_user(struct otp_txn *txn, const char *user)
{
	struct pg_txn *t = pg_txn_of(txn);
	struct pg_params p = { 0 };
	int rc;

	/* an exclusive one holds the store lock alone: no other writer runs,
	 * and a lock per user would fill the server's lock table (migrate) */
	if (!t->write || t->write == OTP_TXN_EXCLUSIVE)
		return OTP_OK;
	for (unsigned i = 0; i < t->nlocked; i++) {
		if (strcmp(t->locked[i], user) == 0)
			return OTP_OK;
	}
	pg_param_text(&p, user);
	rc = pg_queue(txn, PG_LOCK_USER, &p, NULL, "lock");
	if (rc == OTP_OK && t->nlocked < PG_LOCKED_MAX)
		snprintf(t->locked[t->nlocked++], sizeof(t->locked[0]), "%s", user);
	return rc;
}

/*
 * The retention prune costs a round trip of its own: it runs at one append
 * in PG_PRUNE_EVERY of a handle (the first included, so a process that
 * makes one login prunes as before), and again at the next append while
 * the last one took a full batch of max records. So the trail stays
 * bounded: while more than max records are past retention, every append
 * takes max (OTP_AUDIT_PRUNE_BATCH) of them; below that, the records that
 * expire between two prunes come from as many appends as went by, one
 * each, fewer than max (and a prune takes max).
 */
#define PG_PRUNE_EVERY 16
static int pg_prune_sometimes(struct otp_txn *txn, uint64_t before, unsigned max)
{
	struct pg_store *s = pg_of(txn->st);
	int rc;

	if (before == 0 || max == 0)
		return OTP_OK;
	if (s->prune_wait > 0) {
		s->prune_wait--;
		return OTP_OK;
	}
	rc = pg_audit_prune(txn, before, max);
	if (rc == OTP_OK)
		s->prune_wait = pg_txn_of(txn)->rows < max ? PG_PRUNE_EVERY - 1 : 0;
	return rc;
}

static int count_of(PGresult *r, int col, size_t *n)
{
	uint64_t v = 0;
	int rc = pg_get_u64(r, 0, col, &v);

	*n = (size_t)v;
	return rc;
}

static int pg_stats(struct otp_txn *txn, struct otp_store_stats *st)
{
	PGresult *r = NULL;
	uint64_t commits = 0, bytes = 0;
	int rc = pg_run(txn, PG_STATS, NULL, &r, "stats");

	if (rc == OTP_OK && PQntuples(r) != 1)
		rc = pg_fail(pg_of(txn->st), OTP_ESTORE, "stats: no row");
	if (rc == OTP_OK && (count_of(r, 0, &st->users) || count_of(r, 1, &st->devices) ||
			     count_of(r, 2, &st->recovery) || count_of(r, 3, &st->hosts) ||
			     count_of(r, 4, &st->audit)))
		rc = pg_fail(pg_of(txn->st), OTP_ESTORE, "stats: unexpected counts");
	if (rc == OTP_OK) {
		/* statistics the server may not keep: zero then */
		if (pg_get_u64(r, 0, 5, &commits) == OTP_OK)
			st->commits = commits;
		if (pg_get_u64(r, 0, 6, &bytes) == OTP_OK)
			st->bytes_used = bytes;
		st->bytes_max = 0;  /* no fixed room: the database's disk */
	}
	PQclear(r);
	return rc;
}

const struct otp_engine otp_engine_pg = {
	.name = "postgresql",
	.open = pg_open_map,
	.open_backup = pg_open_backup,
	.close = pg_close,
	.identify = pg_identify,
	.recheck = pg_recheck,
	.forsake = pg_forsake,
	.grow = pg_grow,
	.backup = pg_backup,
	.begin = pg_begin,
	.commit = pg_commit,
	.abort = pg_abort,
	.replace = pg_replace,
	.stats = pg_stats,
	.raw_put = pg_raw_put,
	.meta_get = pg_meta_get,
	.meta_put = pg_meta_put,
	.user_load = pg_user_load,
	.user_save = pg_user_save,
	.user_delete = pg_user_delete,
	.user_each = pg_user_each,
	.device_load = pg_device_load,
	.device_save = pg_device_save,
	.device_list = pg_device_list,
	.device_delete_all = pg_device_delete_all,
	.device_each = pg_device_each,
	.recovery_each = pg_recovery_each,
	.recovery_put = pg_recovery_put,
	.recovery_delete_all = pg_recovery_delete_all,
	.host_get = pg_host_get,
	.host_save = pg_host_save,
	.host_delete = pg_host_delete,
	.host_each = pg_host_each,
	.host_delete_if = pg_host_delete_if,
	.audit_insert = pg_audit_insert,
	.audit_write_at = pg_audit_write_at,
	.audit_get_at = pg_audit_get_at,
	.audit_each = pg_audit_each,
	.audit_prune = pg_prune_sometimes,
	.has_landing = pg_has_landing,
	.audit_landed = pg_audit_landed,
	.prefetch = pg_prefetch,
};
