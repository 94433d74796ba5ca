/*
 * store_lmdb_backup.c - the LMDB engine's whole-store operations: the
 * backup file (a compacted copy of the environment's data file), opening
 * one for a restore, replacing every record by a backup's, and counts.
 */
#include "store_lmdb.h"
#include "codec.h"
#include "err.h"
#include "fileck.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mdb_env_copyfd2 copies in one read transaction: logins go on. Like
 * any transaction of a shared handle it holds the map lock shared. */
int lmdb_backup(struct otp_store *st, int fd)
{
	struct lmdb_store *s = lmdb_of(st);
	int mrc;

	pthread_rwlock_rdlock(&s->maplock);
	mrc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	pthread_rwlock_unlock(&s->maplock);
	return mrc ? otp_seterr(OTP_ESTORE, "%s", lmdb_text(mrc)) : OTP_OK;
}

/* The backup's schema: present and not newer than this code's. */
static int backup_schema(struct lmdb_store *bk, MDB_txn *txn)
{
	MDB_val k = { 6, "schema" }, v;
	int mrc = mdb_get(txn, bk->dbi[OTP_KIND_META], &k, &v);

	if (mrc == MDB_NOTFOUND || (mrc == 0 && v.mv_size != 4))
		return otp_seterr(OTP_EINVAL, "%s: not a pam_otp store backup (no schema)",
				  bk->base.name);
	if (mrc != 0)
		return lmdb_err(mrc, bk->base.name);
	if (otp_rd32(v.mv_data) > OTP_SCHEMA_VERSION)
		return otp_seterr(OTP_EVERSION, "%s: backup schema %u is newer than this pam_otp (%u)",
				  bk->base.name, otp_rd32(v.mv_data), OTP_SCHEMA_VERSION);
	return OTP_OK;
}

/* The databases of the backup, and its schema, in one read transaction
 * whose commit keeps the handles for the transactions to come. */
static int backup_dbis(struct lmdb_store *bk)
{
	MDB_txn *txn = NULL;
	int mrc, rc = OTP_OK;

	mrc = mdb_txn_begin(bk->env, NULL, MDB_RDONLY, &txn);
	if (mrc != 0)
		return lmdb_err(mrc, bk->base.name);
	for (int i = 0; rc == OTP_OK && i < OTP_KIND_COUNT; i++) {
		if (mdb_dbi_open(txn, otp_lmdb_kind_names[i], 0, &bk->dbi[i]) != 0)
			rc = otp_seterr(OTP_EINVAL, "%s: not a pam_otp store backup (no %s database)",
					bk->base.name, otp_lmdb_kind_names[i]);
	}
	if (rc == OTP_OK)
		rc = backup_schema(bk, txn);
	if (rc != OTP_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	mrc = mdb_txn_commit(txn);
	return mrc ? lmdb_err(mrc, bk->base.name) : OTP_OK;
}

/*
 * Open the backup read-only (no lock file: nothing else writes it), after
 * the file checks; LMDB must have opened the file that was checked.
 */
static int open_checked(struct lmdb_store *bk, const char *path)
{
	struct stat a, b;
	int fd, efd, mrc, rc = otp_open_checked(path, O_RDONLY, OTP_FORBID_PRIVATE, &fd);

	if (rc != OTP_OK)
		return rc;
	mrc = mdb_env_open(bk->env, path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0600);
	if (mrc != 0)
		rc = otp_seterr(OTP_EINVAL, "%s: not a pam_otp store backup (%s)", path,
				lmdb_text(mrc));
	else if (mdb_env_get_fd(bk->env, &efd) != 0 || fstat(fd, &a) != 0 || fstat(efd, &b) != 0 ||
		 a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		rc = otp_seterr(OTP_EPERM, "%s: not the file that was checked", path);
	close(fd);
	return rc;
}

int lmdb_open_backup(const char *path, struct otp_store **out)
{
	struct lmdb_store *bk = NULL;
	int rc;

	if (strlen(path) >= sizeof(bk->base.name))
		return otp_seterr(OTP_ETOOLONG, "%s: path too long", path);
	rc = lmdb_env_new(&bk, path);
	if (rc == OTP_OK)
		rc = open_checked(bk, path);
	if (rc == OTP_OK)
		rc = backup_dbis(bk);
	if (rc != OTP_OK) {
		otp_store_close(bk != NULL ? &bk->base : NULL);
		return rc;
	}
	*out = &bk->base;
	return OTP_OK;
}

/* Empty db kind of dst and copy src's records into it. */
static int copy_db(struct otp_txn *dst, struct otp_txn *src, enum otp_kind kind,
		   unsigned long *records)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int mrc = mdb_drop(lmdb_mt(dst), lmdb_dbi(dst, kind), 0);

	if (mrc == 0)
		mrc = mdb_cursor_open(lmdb_mt(src), lmdb_dbi(src, kind), &cur);
	for (mrc = mrc ? mrc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		/* same key order on both sides: appending is exact and fast */
		mrc = mdb_put(lmdb_mt(dst), lmdb_dbi(dst, kind), &k, &v, MDB_APPEND);
		if (mrc != 0)
			break;
		++*records;
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	return mrc == 0 || mrc == MDB_NOTFOUND ? OTP_OK : lmdb_err(mrc, dst->st->name);
}

int lmdb_replace(struct otp_txn *dst, struct otp_txn *src, unsigned long *records)
{
	int rc = OTP_OK;

	for (int i = 0; rc == OTP_OK && i < OTP_KIND_COUNT; i++)
		rc = copy_db(dst, src, (enum otp_kind)i, records);
	return rc;
}

int lmdb_stats(struct otp_txn *txn, struct otp_store_stats *s)
{
	size_t *counts[OTP_KIND_META] = { &s->users, &s->devices, &s->recovery, &s->hosts,
					  &s->audit };
	MDB_env *env = lmdb_of(txn->st)->env;
	MDB_envinfo info;
	MDB_stat ms;
	int mrc = 0;

	for (int i = 0; mrc == 0 && i < OTP_KIND_META; i++) {
		mrc = mdb_stat(lmdb_mt(txn), lmdb_dbi(txn, (enum otp_kind)i), &ms);
		*counts[i] = ms.ms_entries;
	}
	if (mrc == 0)
		mrc = mdb_env_info(env, &info);
	if (mrc == 0)
		mrc = mdb_env_stat(env, &ms);
	if (mrc != 0)
		return lmdb_err(mrc, txn->st->name);
	s->commits = info.me_last_txnid;
	s->bytes_used = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
	s->bytes_max = info.me_mapsize;
	return OTP_OK;
}
