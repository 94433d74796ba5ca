/*
 * store_lmdb.c - the LMDB engine: the environment (open, checks, map
 * growth, close), transactions, and the helpers the engine's record files
 * share.
 */
#include "store_lmdb.h"
#include "codec.h"
#include "err.h"
#include "fileck.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEND_INTERVAL 60  /* seconds between two clearings of dead readers */

const char *const otp_lmdb_kind_names[OTP_KIND_COUNT] = {
	"users", "devices", "recovery", "hosts", "audit", "meta"
};

/* Transactions this thread has open (on any LMDB store): a thread that
 * holds one must not wait for the map lock exclusive, it would wait for
 * itself. */
static __thread unsigned txn_depth;

const char *lmdb_text(int mrc)
{
	return mrc > 0 ? otp_syserr(mrc) : mdb_strerror(mrc);
}

int lmdb_err(int mrc, const char *what)
{
	if (mrc == MDB_NOTFOUND)
		return OTP_ENOTFOUND;
	if (mrc == MDB_MAP_FULL)
		return otp_seterr(OTP_EFULL, "%s: store is out of map space (raise map_size_mb)", what);
	return otp_seterr(OTP_ESTORE, "%s: %s", what, lmdb_text(mrc));
}

int lmdb_get(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen, MDB_val *v,
	     const char *what)
{
	MDB_val k = { klen, (void *)key };
	int mrc = mdb_get(lmdb_mt(txn), lmdb_dbi(txn, kind), &k, v);

	if (mrc == MDB_NOTFOUND)
		return OTP_ENOTFOUND;
	return mrc ? lmdb_err(mrc, what) : OTP_OK;
}

int lmdb_put(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
	     const void *val, size_t vlen, const char *what)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int mrc = mdb_put(lmdb_mt(txn), lmdb_dbi(txn, kind), &k, &v, 0);

	return mrc ? lmdb_err(mrc, what) : OTP_OK;
}

int lmdb_walk_user(struct otp_txn *txn, enum otp_kind kind, const char *user,
		   int (*fn)(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, size_t pl,
			     void *arg),
		   void *arg, const char *what)
{
	uint8_t prefix[OTP_KEY_MAX];
	size_t pl;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc, rc = OTP_OK;

	if (otp_key_user(user, prefix, &pl) != OTP_OK)
		return OTP_OK;
	prefix[pl++] = '\0';
	mrc = mdb_cursor_open(lmdb_mt(txn), lmdb_dbi(txn, kind), &cur);
	if (mrc != 0)
		return lmdb_err(mrc, what);
	k.mv_size = pl;
	k.mv_data = prefix;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < pl || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		rc = fn(cur, &k, &v, pl, arg);
		if (rc != OTP_OK)
			break;
	}
	mdb_cursor_close(cur);
	if (rc == OTP_EACH_STOP)
		return OTP_OK;
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = lmdb_err(mrc, what);
	return rc;
}

/*
 * The store directory and its files: no symlinks, no foreign owners, every
 * directory above it checked (otp_open_checked). *dfd keeps the checked
 * directory open, to compare with what LMDB opens by path afterwards.
 */
static int check_dir(const char *dir, int create, int *dfd)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	char path[4200];
	struct stat st;
	int fd, rc;

	rc = otp_open_checked(dir, O_RDONLY | O_DIRECTORY, OTP_FORBID_PRIVATE, &fd);
	if (rc == OTP_ENOTFOUND && create) {
		rc = otp_mkdir_checked(dir, 0700);
		if (rc == OTP_OK)
			rc = otp_open_checked(dir, O_RDONLY | O_DIRECTORY, OTP_FORBID_PRIVATE, &fd);
	}
	if (rc != OTP_OK)
		return rc;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			return otp_seterr(OTP_EPERM, "%s: not a regular file", path);
		}
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			close(fd);
			return otp_seterr(OTP_EPERM, "%s: owned by uid %u, not root", path,
					  (unsigned)st.st_uid);
		}
	}
	*dfd = fd;
	return OTP_OK;
}

/*
 * LMDB opens its lock file and meta descriptor close-on-exec, but not the
 * data file's main descriptor: a handle kept open in a PAM host would hand
 * the store, open for writing, to every program the host execs.
 */
static int data_fd_cloexec(struct lmdb_store *s)
{
	int fd, fl;

	if (mdb_env_get_fd(s->env, &fd) != 0 || (fl = fcntl(fd, F_GETFD)) < 0 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) != 0)
		return otp_seterr(OTP_EIO, "%s: cannot make the data file close-on-exec",
				  s->base.name);
	return OTP_OK;
}

/*
 * LMDB opens dir/data.mdb by path: refuse unless that is the data.mdb of
 * the directory checked through dfd (a directory swapped in between would
 * bring its own records, e.g. recovery codes already used).
 */
static int same_env(struct lmdb_store *s, int dfd)
{
	char path[4200];
	int efd;

	snprintf(path, sizeof(path), "%s/data.mdb", s->base.name);
	if (mdb_env_get_fd(s->env, &efd) != 0)
		return otp_seterr(OTP_ESTORE, "%s: no data file open", path);
	return otp_same_file_at(dfd, "data.mdb", efd, path);
}

static int check_schema(struct lmdb_store *s, MDB_txn *txn, int create)
{
	MDB_val k = { 6, "schema" }, v;
	uint8_t buf[4];
	int mrc = mdb_get(txn, s->dbi[OTP_KIND_META], &k, &v);

	if (mrc == MDB_NOTFOUND && create) {
		otp_be32(buf, OTP_SCHEMA_VERSION);
		v.mv_size = 4;
		v.mv_data = buf;
		mrc = mdb_put(txn, s->dbi[OTP_KIND_META], &k, &v, 0);
		return mrc ? lmdb_err(mrc, s->base.name) : OTP_OK;
	}
	if (mrc != 0)
		return lmdb_err(mrc, s->base.name);
	if (v.mv_size != 4)
		return otp_seterr(OTP_ECORRUPT, "%s: bad schema record", s->base.name);
	if (otp_rd32(v.mv_data) > OTP_SCHEMA_VERSION)
		return otp_seterr(OTP_EVERSION, "%s: store schema %u is newer than this pam_otp (%u)",
				  s->base.name, otp_rd32(v.mv_data), OTP_SCHEMA_VERSION);
	return OTP_OK;
}

static int open_dbis(struct lmdb_store *s, int create)
{
	MDB_txn *txn = NULL;
	int rc, mrc;

	mrc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (mrc != 0)
		return lmdb_err(mrc, s->base.name);
	for (size_t i = 0; i < OTP_KIND_COUNT; i++) {
		mrc = mdb_dbi_open(txn, otp_lmdb_kind_names[i], create ? MDB_CREATE : 0, &s->dbi[i]);
		if (mrc == MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return otp_seterr(OTP_ENOTFOUND, "%s: store not initialised (run otpctl init)",
					  s->base.name);
		}
		if (mrc != 0) {
			mdb_txn_abort(txn);
			return lmdb_err(mrc, s->base.name);
		}
	}
	rc = check_schema(s, txn, create);
	if (rc != OTP_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	/* a read-only commit too: it keeps the database handles */
	mrc = mdb_txn_commit(txn);
	return mrc ? lmdb_err(mrc, s->base.name) : OTP_OK;
}

/* Double the map (up to OTP_MAP_MAX). The caller holds maplock exclusive
 * (or is opening s, which no other thread can see yet). */
static int grow_map(struct lmdb_store *s)
{
	MDB_envinfo info;

	if (mdb_env_info(s->env, &info) != 0 || info.me_mapsize >= OTP_MAP_MAX ||
	    mdb_env_set_mapsize(s->env, info.me_mapsize * 2 > OTP_MAP_MAX ? OTP_MAP_MAX :
				info.me_mapsize * 2) != 0)
		return otp_seterr(OTP_EFULL, "%s: cannot grow the map", s->base.name);
	return OTP_OK;
}

/* For a writer that hit OTP_EFULL: waits for the other threads' transactions. */
static int lmdb_grow(struct otp_store *st)
{
	struct lmdb_store *s = lmdb_of(st);
	int rc;

	if (txn_depth > 0)
		return otp_seterr(OTP_EFULL, "%s: cannot grow the map with a transaction open",
				  st->name);
	pthread_rwlock_wrlock(&s->maplock);
	rc = grow_map(s);
	pthread_rwlock_unlock(&s->maplock);
	return rc;
}

/* Whether the data fill three quarters of the map (and it may grow). */
static int needs_room(struct lmdb_store *s)
{
	MDB_envinfo info;
	MDB_stat stat;
	size_t used;

	if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &stat) != 0)
		return 0;
	used = (info.me_last_pgno + 1) * (size_t)stat.ms_psize;
	return used / 3 >= info.me_mapsize / 4 && info.me_mapsize < OTP_MAP_MAX;
}

/*
 * Before a write transaction of a thread that holds none: grow the map when
 * the data fill three quarters of it, so a busy store does not run out of
 * space mid-login (other processes adopt the new size: MDB_MAP_RESIZED),
 * and, once a minute, free the reader slots of processes that died
 * (kill -9), which would otherwise keep old pages from reuse. A handle
 * kept open across logins gets here what each open used to do.
 */
static void tend(struct lmdb_store *s)
{
	uint64_t now = otp_now(), last = __atomic_load_n(&s->tended, __ATOMIC_RELAXED);
	unsigned flags = 0;
	int grow;

	if (mdb_env_get_flags(s->env, &flags) != 0 || (flags & MDB_RDONLY))
		return;  /* a backup: never written */
	pthread_rwlock_rdlock(&s->maplock);
	grow = needs_room(s);
	pthread_rwlock_unlock(&s->maplock);
	if (grow) {
		pthread_rwlock_wrlock(&s->maplock);
		if (needs_room(s))
			(void)grow_map(s);
		pthread_rwlock_unlock(&s->maplock);
	}
	if ((now < last || now - last >= TEND_INTERVAL) &&
	    __atomic_compare_exchange_n(&s->tended, &last, now, 0, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		(void)mdb_reader_check(s->env, NULL);
}

int lmdb_env_new(struct lmdb_store **out, const char *name)
{
	struct lmdb_store *s = calloc(1, sizeof(*s));
	pthread_rwlockattr_t attr;
	int mrc;

	if (s == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	/* readers first: a thread may begin a transaction inside another */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_READER_NP);
	pthread_rwlock_init(&s->maplock, &attr);
	pthread_rwlockattr_destroy(&attr);
	s->pid = getpid();
	s->base.eng = &otp_engine_lmdb;
	snprintf(s->base.name, sizeof(s->base.name), "%s", name);
	s->wslot.base.st = &s->base;
	s->rslot.base.st = &s->base;
	mrc = mdb_env_create(&s->env);
	if (mrc == 0)
		mrc = mdb_env_set_maxdbs(s->env, 8);
	*out = s;
	return mrc ? lmdb_err(mrc, name) : OTP_OK;
}

static int lmdb_open(const char *dir, unsigned map_mb, int flags, struct otp_store **out)
{
	struct lmdb_store *s = NULL;
	int rc, mrc, dfd;

	if (strlen(dir) >= sizeof(s->base.name))
		return otp_seterr(OTP_ETOOLONG, "store path too long");
	rc = check_dir(dir, flags & OTP_STORE_CREATE, &dfd);
	if (rc != OTP_OK)
		return rc == OTP_ENOTFOUND ?
		       otp_seterr(OTP_ENOTFOUND, "%s: no store (run otpctl init)", dir) : rc;
	rc = lmdb_env_new(&s, dir);
	mrc = rc == OTP_OK ? mdb_env_set_mapsize(s->env, (size_t)map_mb << 20) : 0;
	if (rc == OTP_OK && mrc == 0)
		mrc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
	if (rc == OTP_OK)
		rc = mrc ? lmdb_err(mrc, dir) : same_env(s, dfd);
	if (rc == OTP_OK)
		rc = data_fd_cloexec(s);
	close(dfd);
	/* free the reader slots of processes that died (kill -9) */
	if (rc == OTP_OK && (mrc = mdb_reader_check(s->env, NULL)) != 0)
		rc = lmdb_err(mrc, dir);
	if (rc == OTP_OK)
		s->tended = otp_now();
	if (rc == OTP_OK && needs_room(s))
		rc = grow_map(s);
	if (rc == OTP_OK)
		rc = open_dbis(s, flags & OTP_STORE_CREATE);
	if (rc != OTP_OK) {
		if (s != NULL)
			otp_engine_lmdb.close(&s->base);
		return rc;
	}
	*out = &s->base;
	return OTP_OK;
}

static void lmdb_close(struct otp_store *st)
{
	struct lmdb_store *s = lmdb_of(st);

	if (s->env != NULL)
		mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->maplock);
	free(s);
}

/*
 * In a child after fork: leave the parent's environment alone. Using it
 * is forbidden (lmdb_begin refuses), and mdb_env_close is too: it would
 * try the lock file's exclusive lock and, once the parent is gone, destroy
 * the shared mutexes of lock.mdb that other processes hold. The handle,
 * its mappings and its descriptors (close-on-exec) are left to the child's
 * exit or exec: a few hundred bytes of the child's copy of the heap.
 */
static void lmdb_forsake(struct otp_store *st)
{
	(void)st;
}

/*
 * The lock file's device and inode: what must never be opened twice is
 * that file (a second environment on it in one process takes its lock
 * over). An open environment keeps it open, so its inode cannot be reused
 * by another file meanwhile, as a removed directory's can.
 */
static int lmdb_identify(const char *dir, char *id, size_t cap)
{
	char path[4200];
	struct stat st;

	if (strlen(dir) >= sizeof(((struct otp_store *)NULL)->name))
		return otp_seterr(OTP_ETOOLONG, "store path too long");
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	if (stat(path, &st) != 0)
		return errno == ENOENT ? otp_seterr(OTP_ENOTFOUND, "%s: no lock file yet", dir) :
		       otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	snprintf(id, cap, "lmdb:%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	return OTP_OK;
}

/* The checks of lmdb_open again, and whether the data file is still ours. */
static int lmdb_recheck(struct otp_store *st, int *replaced)
{
	int dfd, rc = check_dir(st->name, 0, &dfd);

	if (rc == OTP_ENOTFOUND)
		return otp_seterr(OTP_ENOTFOUND, "%s: no store (run otpctl init)", st->name);
	if (rc != OTP_OK)
		return rc;
	rc = same_env(lmdb_of(st), dfd);
	close(dfd);
	if (rc == OTP_EPERM) {  /* another data.mdb, or none: open it anew */
		*replaced = 1;
		otp_clearerr();
		return OTP_OK;
	}
	return rc;
}

/* A slot of the store's, or an allocated one for a second reader at once. */
static struct lmdb_txn *take_slot(struct lmdb_store *s, int write)
{
	struct lmdb_txn *t;

	if (write)
		return &s->wslot;
	if (!__atomic_exchange_n(&s->rslot_busy, 1, __ATOMIC_ACQUIRE))
		return &s->rslot;
	t = calloc(1, sizeof(*t));
	if (t != NULL)
		t->base.st = &s->base;
	return t;
}

static void give_slot(struct lmdb_txn *t)
{
	struct lmdb_store *s = lmdb_of(t->base.st);

	t->mt = NULL;
	if (t == &s->rslot)
		__atomic_store_n(&s->rslot_busy, 0, __ATOMIC_RELEASE);
	else if (t != &s->wslot)
		free(t);
}

/* Another process grew the map: adopt its size, with no transaction of
 * this process open (the map lock exclusive). */
static int adopt_map(struct lmdb_store *s)
{
	int mrc;

	pthread_rwlock_unlock(&s->maplock);
	pthread_rwlock_wrlock(&s->maplock);
	mrc = mdb_env_set_mapsize(s->env, 0);
	pthread_rwlock_unlock(&s->maplock);
	pthread_rwlock_rdlock(&s->maplock);
	return mrc;
}

/* mdb_txn_begin with maplock held shared, which stays held on success. */
static int begin_mt(struct lmdb_store *s, int write, MDB_txn **mt)
{
	unsigned flags = write ? 0 : MDB_RDONLY;
	int mrc;

	pthread_rwlock_rdlock(&s->maplock);
	mrc = mdb_txn_begin(s->env, NULL, flags, mt);
	for (int i = 0; mrc == MDB_MAP_RESIZED && txn_depth == 0 && i < 3; i++) {
		mrc = adopt_map(s);
		if (mrc == 0)
			mrc = mdb_txn_begin(s->env, NULL, flags, mt);
	}
	if (mrc != 0) {
		pthread_rwlock_unlock(&s->maplock);
		return lmdb_err(mrc, s->base.name);
	}
	return OTP_OK;
}

static int lmdb_begin(struct otp_store *st, int write, struct otp_txn **out)
{
	struct lmdb_store *s = lmdb_of(st);
	MDB_txn *mt = NULL;
	struct lmdb_txn *t;
	int rc;

	/* first, and touching nothing of s: in a child after fork its locks
	 * may be held by threads that exist only in the parent */
	if (s->pid != getpid())
		return otp_seterr(OTP_ESTORE, "%s: store handle of the parent process, "
				  "used after fork", st->name);
	if (write && txn_depth == 0)
		tend(s);
	rc = begin_mt(s, write, &mt);
	if (rc != OTP_OK)
		return rc;
	t = take_slot(s, write);  /* a write slot: under the writer lock now */
	if (t == NULL) {
		mdb_txn_abort(mt);
		pthread_rwlock_unlock(&s->maplock);
		return otp_seterr(OTP_ENOMEM, "out of memory");
	}
	t->mt = mt;
	txn_depth++;
	*out = &t->base;
	return OTP_OK;
}

/* After a transaction ends: the map lock and this thread's count. */
static void ended(struct lmdb_store *s)
{
	pthread_rwlock_unlock(&s->maplock);
	txn_depth--;
}

static int lmdb_commit(struct otp_txn *txn)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;
	struct lmdb_store *s = lmdb_of(txn->st);
	MDB_txn *mt = t->mt;
	int mrc;

	give_slot(t);  /* before the writer lock goes with the commit */
	mrc = mdb_txn_commit(mt);
	ended(s);
	return mrc ? lmdb_err(mrc, "commit") : OTP_OK;
}

static void lmdb_abort(struct otp_txn *txn)
{
	struct lmdb_txn *t = (struct lmdb_txn *)txn;
	struct lmdb_store *s = lmdb_of(txn->st);
	MDB_txn *mt = t->mt;

	give_slot(t);
	mdb_txn_abort(mt);
	ended(s);
}

const struct otp_engine otp_engine_lmdb = {
	.name = "lmdb",
	.open = lmdb_open,
	.open_backup = lmdb_open_backup,
	.close = lmdb_close,
	.identify = lmdb_identify,
	.recheck = lmdb_recheck,
	.forsake = lmdb_forsake,
	.grow = lmdb_grow,
	.backup = lmdb_backup,
	.begin = lmdb_begin,
	.commit = lmdb_commit,
	.abort = lmdb_abort,
	.replace = lmdb_replace,
	.stats = lmdb_stats,
	.raw_put = lmdb_raw_put,
	.meta_get = lmdb_meta_get,
	.meta_put = lmdb_meta_put,
	.user_load = lmdb_user_load,
	.user_save = lmdb_user_save,
	.user_delete = lmdb_user_delete,
	.user_each = lmdb_user_each,
	.device_load = lmdb_device_load,
	.device_save = lmdb_device_save,
	.device_list = lmdb_device_list,
	.device_delete_all = lmdb_device_delete_all,
	.device_each = lmdb_device_each,
	.recovery_each = lmdb_recovery_each,
	.recovery_put = lmdb_recovery_put,
	.recovery_delete_all = lmdb_recovery_delete_all,
	.host_get = lmdb_host_get,
	.host_save = lmdb_host_save,
	.host_delete = lmdb_host_delete,
	.host_each = lmdb_host_each,
	.host_delete_if = lmdb_host_delete_if,
	.audit_insert = lmdb_audit_insert,
	.audit_write_at = lmdb_audit_write_at,
	.audit_get_at = lmdb_audit_get_at,
	.audit_each = lmdb_audit_each,
	.audit_prune = lmdb_audit_prune,
};
