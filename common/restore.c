#include "restore.h"
#include "audit.h"
#include "codec.h"
#include "err.h"
#include "fileck.h"
#include "keycheck.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NDBS 6
static const char *const db_names[NDBS] = { "users", "devices", "recovery", "hosts", "audit",
					    "meta" };

static MDB_dbi *dbi_of(struct otp_store *st, int i)
{
	MDB_dbi *dbis[NDBS] = { &st->users, &st->devices, &st->recovery, &st->hosts, &st->audit,
				&st->meta };

	return dbis[i];
}

/* The backup's schema: present and not newer than this code's. */
static int backup_schema(struct otp_store *bk, MDB_txn *txn)
{
	MDB_val k = { 6, "schema" }, v;
	int mrc = mdb_get(txn, bk->meta, &k, &v);

	if (mrc == MDB_NOTFOUND || (mrc == 0 && v.mv_size != 4))
		return otp_seterr(OTP_EINVAL, "%s: not a pam_otp store backup (no schema)", bk->dir);
	if (mrc != 0)
		return otp_lmdb_err(mrc, bk->dir);
	if (otp_rd32(v.mv_data) > OTP_SCHEMA_VERSION)
		return otp_seterr(OTP_EVERSION, "%s: backup schema %u is newer than this pam_otp (%u)",
				  bk->dir, otp_rd32(v.mv_data), OTP_SCHEMA_VERSION);
	return OTP_OK;
}

/*
 * Open the backup read-only (no lock file: nothing else writes it) and
 * its databases in *txn, after the file checks; LMDB must have opened
 * the file that was checked.
 */
static int open_backup(const char *path, struct otp_store *bk, MDB_txn **txn)
{
	struct stat a, b;
	int fd, efd, mrc, rc = otp_open_checked(path, O_RDONLY, OTP_FORBID_PRIVATE, &fd);

	if (rc != OTP_OK)
		return rc;
	snprintf(bk->dir, sizeof(bk->dir), "%s", path);
	mrc = mdb_env_create(&bk->env);
	if (mrc == 0)
		mrc = mdb_env_set_maxdbs(bk->env, 8);
	if (mrc == 0)
		mrc = mdb_env_open(bk->env, path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS,
				   0600);
	if (mrc != 0)
		rc = otp_seterr(OTP_EINVAL, "%s: not a pam_otp store backup (%s)", path,
				mdb_strerror(mrc));
	else if (mdb_env_get_fd(bk->env, &efd) != 0 || fstat(fd, &a) != 0 || fstat(efd, &b) != 0 ||
		 a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		rc = otp_seterr(OTP_EPERM, "%s: not the file that was checked", path);
	close(fd);
	if (rc == OTP_OK && (mrc = mdb_txn_begin(bk->env, NULL, MDB_RDONLY, txn)) != 0)
		rc = otp_lmdb_err(mrc, path);
	for (int i = 0; rc == OTP_OK && i < NDBS; i++) {
		mrc = mdb_dbi_open(*txn, db_names[i], 0, dbi_of(bk, i));
		if (mrc != 0)
			rc = otp_seterr(OTP_EINVAL, "%s: not a pam_otp store backup (no %s database)",
					path, db_names[i]);
	}
	return rc == OTP_OK ? backup_schema(bk, *txn) : rc;
}

/* What st holds besides its audit trail and meta; "" when nothing. */
static int contents(struct otp_store *st, MDB_txn *txn, char *what, size_t n)
{
	MDB_stat s[4];
	int mrc = 0;

	for (int i = 0; mrc == 0 && i < 4; i++)
		mrc = mdb_stat(txn, *dbi_of(st, i), &s[i]);
	if (mrc != 0)
		return otp_lmdb_err(mrc, st->dir);
	what[0] = '\0';
	if (s[0].ms_entries + s[1].ms_entries + s[2].ms_entries + s[3].ms_entries > 0)
		snprintf(what, n, "%zu users, %zu devices, %zu recovery codes, %zu remembered hosts",
			 s[0].ms_entries, s[1].ms_entries, s[2].ms_entries, s[3].ms_entries);
	return OTP_OK;
}

/* Empty db i of st and copy the backup's records into it. */
static int copy_db(struct otp_store *st, MDB_txn *wtxn, struct otp_store *bk, MDB_txn *rtxn,
		   int i, unsigned long *records)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int mrc = mdb_drop(wtxn, *dbi_of(st, i), 0);

	if (mrc == 0)
		mrc = mdb_cursor_open(rtxn, *dbi_of(bk, i), &cur);
	for (mrc = mrc ? mrc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		/* same key order on both sides: appending is exact and fast */
		mrc = mdb_put(wtxn, *dbi_of(st, i), &k, &v, MDB_APPEND);
		if (mrc != 0)
			break;
		++*records;
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	return mrc == 0 || mrc == MDB_NOTFOUND ? OTP_OK : otp_lmdb_err(mrc, st->dir);
}

static int restore_once(struct otp_store *st, struct otp_store *bk, MDB_txn *rtxn,
			const struct otp_seal_key *key, const struct otp_config *cfg,
			const struct otp_login *who, int flags, unsigned long *records)
{
	struct otp_audit_ev ev;
	MDB_txn *wtxn = NULL;
	char held[160], detail[OTP_AUDIT_FIELD_MAX + 1];
	int rc = otp_txn_begin(st, 1, &wtxn);

	*records = 0;
	if (rc == OTP_OK)
		rc = contents(st, wtxn, held, sizeof(held));
	if (rc == OTP_OK && held[0] != '\0' && !(flags & OTP_RESTORE_FORCE))
		rc = otp_seterr(OTP_EEXIST, "%s is not empty (%s); nothing restored", st->dir, held);
	for (int i = 0; rc == OTP_OK && i < NDBS; i++)
		rc = copy_db(st, wtxn, bk, rtxn, i, records);
	/* judged again on what was copied; records the check value of an
	 * older backup that had none */
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(st, wtxn, key, OTP_KEYCHECK_RECORD | OTP_KEYCHECK_CLAIM);
	if (rc != OTP_OK) {
		otp_txn_abort(wtxn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%lu records from %.200s", *records, bk->dir);
	otp_audit_from(&ev, who, "restore", NULL, detail);
	return otp_audit_commit(st, cfg, wtxn, &ev, 1);
}

int otp_store_restore(struct otp_store *st, const char *path, const struct otp_seal_key *key,
		      const struct otp_config *cfg, const struct otp_login *who, int flags,
		      unsigned long *records)
{
	struct otp_store bk;
	MDB_txn *rtxn = NULL;
	int rc;

	memset(&bk, 0, sizeof(bk));
	*records = 0;
	if (strlen(path) >= sizeof(bk.dir))
		return otp_seterr(OTP_ETOOLONG, "%s: path too long", path);
	rc = open_backup(path, &bk, &rtxn);
	/* the backup's key first: nothing is written for another key's */
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(&bk, rtxn, key, 0);
	if (rc == OTP_OK)
		rc = restore_once(st, &bk, rtxn, key, cfg, who, flags, records);
	while (rc == OTP_EFULL && otp_store_grow(st) == OTP_OK) {
		otp_clearerr();
		rc = restore_once(st, &bk, rtxn, key, cfg, who, flags, records);
	}
	if (rtxn != NULL)
		mdb_txn_abort(rtxn);
	if (bk.env != NULL)
		mdb_env_close(bk.env);
	return rc;
}
