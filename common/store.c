#include "store.h"
#include "codec.h"
#include "err.h"
#include "fileck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int otp_lmdb_err(int mrc, const char *what)
{
	if (mrc == MDB_NOTFOUND)
		return OTP_ENOTFOUND;
	if (mrc == MDB_MAP_FULL)
		return otp_seterr(OTP_EFULL, "%s: store is out of map space (raise map_size_mb)", what);
	return otp_seterr(OTP_ESTORE, "%s: %s", what, mdb_strerror(mrc));
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
 * LMDB opens dir/data.mdb by path: refuse unless that is the data.mdb of
 * the directory checked through dfd (a directory swapped in between would
 * bring its own records, e.g. recovery codes already used).
 */
static int same_env(struct otp_store *st, int dfd)
{
	char path[4200];
	int efd;

	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	if (mdb_env_get_fd(st->env, &efd) != 0)
		return otp_seterr(OTP_ESTORE, "%s: no data file open", path);
	return otp_same_file_at(dfd, "data.mdb", efd, path);
}

static int check_schema(struct otp_store *st, MDB_txn *txn, int create)
{
	MDB_val k = { 6, "schema" }, v;
	uint8_t buf[4];
	int mrc = mdb_get(txn, st->meta, &k, &v);

	if (mrc == MDB_NOTFOUND && create) {
		otp_be32(buf, OTP_SCHEMA_VERSION);
		v.mv_size = 4;
		v.mv_data = buf;
		mrc = mdb_put(txn, st->meta, &k, &v, 0);
		return mrc ? otp_lmdb_err(mrc, st->dir) : OTP_OK;
	}
	if (mrc != 0)
		return otp_lmdb_err(mrc, st->dir);
	if (v.mv_size != 4)
		return otp_seterr(OTP_ECORRUPT, "%s: bad schema record", st->dir);
	if (otp_rd32(v.mv_data) > OTP_SCHEMA_VERSION)
		return otp_seterr(OTP_EVERSION, "%s: store schema %u is newer than this pam_otp (%u)",
				  st->dir, otp_rd32(v.mv_data), OTP_SCHEMA_VERSION);
	return OTP_OK;
}

static int open_dbis(struct otp_store *st, int create)
{
	const char *names[] = { "users", "devices", "recovery", "hosts", "audit", "meta" };
	MDB_dbi *dbis[] = { &st->users, &st->devices, &st->recovery, &st->hosts, &st->audit,
			    &st->meta };
	MDB_txn *txn = NULL;
	int rc, mrc;

	mrc = mdb_txn_begin(st->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (mrc != 0)
		return otp_lmdb_err(mrc, st->dir);
	for (size_t i = 0; i < 6; i++) {
		mrc = mdb_dbi_open(txn, names[i], create ? MDB_CREATE : 0, dbis[i]);
		if (mrc == MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return otp_seterr(OTP_ENOTFOUND, "%s: store not initialised (run otpctl init)",
					  st->dir);
		}
		if (mrc != 0) {
			mdb_txn_abort(txn);
			return otp_lmdb_err(mrc, st->dir);
		}
	}
	rc = check_schema(st, txn, create);
	if (rc != OTP_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	mrc = mdb_txn_commit(txn);
	return mrc ? otp_lmdb_err(mrc, st->dir) : OTP_OK;
}

/*
 * Grow the map when the data is three quarters of it, so a busy store does
 * not run out of space mid-login. Safe here: no transaction is open in this
 * process yet, and other processes adopt the new size (MDB_MAP_RESIZED).
 */
int otp_store_grow(struct otp_store *st)
{
	MDB_envinfo info;

	if (mdb_env_info(st->env, &info) != 0 || info.me_mapsize >= OTP_MAP_MAX ||
	    mdb_env_set_mapsize(st->env, info.me_mapsize * 2 > OTP_MAP_MAX ? OTP_MAP_MAX :
				info.me_mapsize * 2) != 0)
		return otp_seterr(OTP_EFULL, "%s: cannot grow the map", st->dir);
	return OTP_OK;
}

static int grow_if_needed(struct otp_store *st)
{
	MDB_envinfo info;
	MDB_stat stat;
	size_t used;

	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0)
		return OTP_OK;
	used = (info.me_last_pgno + 1) * (size_t)stat.ms_psize;
	if (used / 3 < info.me_mapsize / 4 || info.me_mapsize >= OTP_MAP_MAX)
		return OTP_OK;
	return otp_store_grow(st);
}

int otp_store_open(const char *dir, unsigned map_mb, int flags, struct otp_store **out)
{
	struct otp_store *st;
	int rc, mrc, dfd;

	if (strlen(dir) >= sizeof(st->dir))
		return otp_seterr(OTP_ETOOLONG, "store path too long");
	rc = check_dir(dir, flags & OTP_STORE_CREATE, &dfd);
	if (rc != OTP_OK)
		return rc == OTP_ENOTFOUND ?
		       otp_seterr(OTP_ENOTFOUND, "%s: no store (run otpctl init)", dir) : rc;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		close(dfd);
		return otp_seterr(OTP_ENOMEM, "out of memory");
	}
	snprintf(st->dir, sizeof(st->dir), "%s", dir);
	mrc = mdb_env_create(&st->env);
	if (mrc == 0)
		mrc = mdb_env_set_maxdbs(st->env, 8);
	if (mrc == 0)
		mrc = mdb_env_set_mapsize(st->env, (size_t)map_mb << 20);
	if (mrc == 0)
		mrc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
	rc = mrc ? otp_lmdb_err(mrc, dir) : same_env(st, dfd);
	close(dfd);
	/* free the reader slots of processes that died (kill -9) */
	if (rc == OTP_OK && (mrc = mdb_reader_check(st->env, NULL)) != 0)
		rc = otp_lmdb_err(mrc, dir);
	if (rc == OTP_OK)
		rc = grow_if_needed(st);
	if (rc == OTP_OK)
		rc = open_dbis(st, flags & OTP_STORE_CREATE);
	if (rc != OTP_OK) {
		otp_store_close(st);
		return rc;
	}
	*out = st;
	return OTP_OK;
}

void otp_store_close(struct otp_store *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
}

int otp_txn_begin(struct otp_store *st, int write, MDB_txn **txn)
{
	int mrc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, txn);

	if (mrc == MDB_MAP_RESIZED) {  /* another process grew the map: adopt it */
		mrc = mdb_env_set_mapsize(st->env, 0);
		if (mrc == 0)
			mrc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, txn);
	}

	return mrc ? otp_lmdb_err(mrc, st->dir) : OTP_OK;
}

int otp_txn_commit(MDB_txn *txn)
{
	int mrc = mdb_txn_commit(txn);

	return mrc ? otp_lmdb_err(mrc, "commit") : OTP_OK;
}

void otp_txn_abort(MDB_txn *txn)
{
	if (txn != NULL)
		mdb_txn_abort(txn);
}

static int get_rec(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t klen, MDB_val *v)
{
	MDB_val k = { klen, (void *)key };
	int mrc = mdb_get(txn, dbi, &k, v);

	if (mrc == MDB_NOTFOUND)
		return OTP_ENOTFOUND;
	return mrc ? otp_lmdb_err(mrc, "read") : OTP_OK;
}

static int put_rec(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t klen,
		   const uint8_t *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int mrc = mdb_put(txn, dbi, &k, &v, 0);

	return mrc ? otp_lmdb_err(mrc, "write") : OTP_OK;
}

static int decoded(int rc, const char *what, const char *user)
{
	if (rc == OTP_ECORRUPT)
		return otp_seterr(rc, "corrupt %s record for user %s", what, user);
	if (rc == OTP_EVERSION)
		return otp_seterr(rc, "%s record for user %s is of a newer version", what, user);
	return rc;
}

int otp_user_load(struct otp_store *st, MDB_txn *txn, const char *user, struct otp_user_rec *u)
{
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	MDB_val v;
	int rc;

	if (otp_key_user(user, key, &kl) != OTP_OK)
		return OTP_ENOTFOUND;
	rc = get_rec(txn, st->users, key, kl, &v);
	if (rc != OTP_OK)
		return rc;
	return decoded(otp_user_decode(v.mv_data, v.mv_size, u), "user", user);
}

int otp_user_save(struct otp_store *st, MDB_txn *txn, const char *user, const struct otp_user_rec *u)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX];
	size_t kl, vl;

	if (otp_key_user(user, key, &kl) != OTP_OK || otp_user_encode(u, val, &vl) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "user record does not encode");
	return put_rec(txn, st->users, key, kl, val, vl);
}

int otp_device_load(struct otp_store *st, MDB_txn *txn, const char *user, uint32_t id,
		    struct otp_device_rec *d)
{
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	MDB_val v;
	int rc;

	if (otp_key_sub(user, id, key, &kl) != OTP_OK)
		return OTP_ENOTFOUND;
	rc = get_rec(txn, st->devices, key, kl, &v);
	if (rc != OTP_OK)
		return rc;
	d->id = id;
	return decoded(otp_device_decode(v.mv_data, v.mv_size, d), "device", user);
}

int otp_device_save(struct otp_store *st, MDB_txn *txn, const char *user,
		    const struct otp_device_rec *d)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX];
	size_t kl, vl;
	int rc;

	if (otp_key_sub(user, d->id, key, &kl) != OTP_OK || otp_device_encode(d, val, &vl) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "device record does not encode");
	rc = put_rec(txn, st->devices, key, kl, val, vl);
	otp_wipe(val, sizeof(val));
	return rc;
}

int otp_device_list(struct otp_store *st, MDB_txn *txn, const char *user,
		    struct otp_device_rec *out, unsigned *n)
{
	uint8_t prefix[OTP_KEY_MAX];
	size_t pl;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc, rc = OTP_OK;

	*n = 0;
	if (otp_key_user(user, prefix, &pl) != OTP_OK)
		return OTP_OK;
	prefix[pl++] = '\0';
	mrc = mdb_cursor_open(txn, st->devices, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "cursor");
	k.mv_size = pl;
	k.mv_data = prefix;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != pl + 4 || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		if (*n >= OTP_DEVICES_MAX) {
			rc = otp_seterr(OTP_ECORRUPT, "user %s has too many devices", user);
			break;
		}
		out[*n].id = otp_rd32((const uint8_t *)k.mv_data + pl);
		rc = decoded(otp_device_decode(v.mv_data, v.mv_size, &out[*n]), "device", user);
		if (rc != OTP_OK)
			break;
		(*n)++;
	}
	mdb_cursor_close(cur);
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = otp_lmdb_err(mrc, "cursor");
	return rc;
}

int otp_device_find(struct otp_store *st, MDB_txn *txn, const char *user,
		    const char *ref, struct otp_device_rec *d)
{
	struct otp_device_rec *all;
	unsigned n = 0;
	uint64_t id;
	int rc, revoked = -1;

	if (otp_parse_u64(ref, 1, UINT32_MAX, &id) == OTP_OK) {
		rc = otp_device_load(st, txn, user, (uint32_t)id, d);
		return rc == OTP_ENOTFOUND ?
		       otp_seterr(rc, "no device '%s' for user %s", ref, user) : rc;
	}
	otp_clearerr();
	all = calloc(OTP_DEVICES_MAX, sizeof(*all));
	if (all == NULL)
		return OTP_ENOMEM;
	rc = otp_device_list(st, txn, user, all, &n);
	if (rc == OTP_OK)
		rc = OTP_ENOTFOUND;
	for (unsigned i = 0; rc == OTP_ENOTFOUND && i < n; i++) {
		if (strcmp(all[i].name, ref) != 0)
			continue;
		if (all[i].state != OTP_REVOKED) {
			*d = all[i];
			rc = OTP_OK;
		} else {
			revoked = (int)i;  /* the newest of that name, if no live one */
		}
	}
	if (rc == OTP_ENOTFOUND && revoked >= 0) {
		*d = all[revoked];
		rc = OTP_OK;
	}
	otp_wipe(all, OTP_DEVICES_MAX * sizeof(*all));
	free(all);
	return rc == OTP_ENOTFOUND ? otp_seterr(rc, "no device '%s' for user %s", ref, user) : rc;
}

int otp_del_user_records(MDB_txn *txn, MDB_dbi dbi, const char *user, unsigned *count)
{
	uint8_t prefix[OTP_KEY_MAX];
	size_t pl;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	*count = 0;
	if (otp_key_user(user, prefix, &pl) != OTP_OK)
		return OTP_OK;
	prefix[pl++] = '\0';
	mrc = mdb_cursor_open(txn, dbi, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "cursor");
	k.mv_size = pl;
	k.mv_data = prefix;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < pl || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		mrc = mdb_cursor_del(cur, 0);
		if (mrc != 0)
			break;
		(*count)++;
	}
	mdb_cursor_close(cur);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return otp_lmdb_err(mrc, "delete");
	return OTP_OK;
}
