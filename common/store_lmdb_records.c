/*
 * store_lmdb_records.c - the LMDB engine's users, devices, recovery codes,
 * remembered hosts and meta values (keys and encodings: store_lmdb_codec.h).
 */
#include "store_lmdb.h"
#include "codec.h"
#include "err.h"
#include "util.h"

#include <string.h>

static int decoded(int rc, const char *what, const char *user)
{
	if (rc == OTP_ECORRUPT)
		return otp_seterr(rc, "corrupt %s record for user %s", what, user);
	if (rc == OTP_EVERSION)
		return otp_seterr(rc, "%s record for user %s is of a newer version", what, user);
	return rc;
}

int lmdb_meta_get(struct otp_txn *txn, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	MDB_val v;
	int rc = lmdb_get(txn, OTP_KIND_META, name, strlen(name), &v, txn->st->name);

	if (rc != OTP_OK)
		return rc;
	memcpy(buf, v.mv_data, v.mv_size < cap ? v.mv_size : cap);
	*len = v.mv_size;
	return OTP_OK;
}

int lmdb_meta_put(struct otp_txn *txn, const char *name, const uint8_t *val, size_t len)
{
	return lmdb_put(txn, OTP_KIND_META, name, strlen(name), val, len, txn->st->name);
}

int lmdb_user_load(struct otp_txn *txn, const char *user, struct otp_user_rec *u)
{
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	MDB_val v;
	int rc;

	if (otp_key_user(user, key, &kl) != OTP_OK)
		return OTP_ENOTFOUND;
	rc = lmdb_get(txn, OTP_KIND_USERS, key, kl, &v, "read");
	if (rc != OTP_OK)
		return rc;
	return decoded(otp_user_decode(v.mv_data, v.mv_size, u), "user", user);
}

int lmdb_user_save(struct otp_txn *txn, const char *user, const struct otp_user_rec *u)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX];
	size_t kl, vl;

	if (otp_key_user(user, key, &kl) != OTP_OK || otp_user_encode(u, val, &vl) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "user record does not encode");
	return lmdb_put(txn, OTP_KIND_USERS, key, kl, val, vl, "write");
}

int lmdb_user_delete(struct otp_txn *txn, const char *user)
{
	uint8_t key[OTP_KEY_MAX];
	MDB_val k = { 0, key };
	int mrc;

	if (otp_key_user(user, key, &k.mv_size) != OTP_OK)
		return OTP_ENOTFOUND;
	mrc = mdb_del(lmdb_mt(txn), lmdb_dbi(txn, OTP_KIND_USERS), &k, NULL);
	if (mrc == MDB_NOTFOUND)
		return OTP_ENOTFOUND;
	return mrc ? lmdb_err(mrc, "users") : OTP_OK;
}

int lmdb_user_each(struct otp_txn *txn,
		   int (*fn)(const char *user, const struct otp_user_rec *u, void *arg), void *arg)
{
	char user[OTP_USER_MAX + 1];
	struct otp_user_rec u;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc, rc = OTP_OK;

	mrc = mdb_cursor_open(lmdb_mt(txn), lmdb_dbi(txn, OTP_KIND_USERS), &cur);
	if (mrc != 0)
		return lmdb_err(mrc, "users");
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == OTP_OK;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > OTP_USER_MAX)
			continue;
		memcpy(user, k.mv_data, k.mv_size);
		user[k.mv_size] = '\0';
		if (otp_user_decode(v.mv_data, v.mv_size, &u) != OTP_OK)
			rc = otp_seterr(OTP_ECORRUPT, "corrupt user record for %s", user);
		else
			rc = fn(user, &u, arg);
	}
	mdb_cursor_close(cur);
	if (rc == OTP_EACH_STOP)
		return OTP_OK;
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = lmdb_err(mrc, "users");
	return rc;
}

int lmdb_device_load(struct otp_txn *txn, const char *user, uint32_t id,
		     struct otp_device_rec *d)
{
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	MDB_val v;
	int rc;

	if (otp_key_sub(user, id, key, &kl) != OTP_OK)
		return OTP_ENOTFOUND;
	rc = lmdb_get(txn, OTP_KIND_DEVICES, key, kl, &v, "read");
	if (rc != OTP_OK)
		return rc;
	d->id = id;
	return decoded(otp_device_decode(v.mv_data, v.mv_size, d), "device", user);
}

int lmdb_device_save(struct otp_txn *txn, const char *user, const struct otp_device_rec *d)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX];
	size_t kl, vl;
	int rc;

	if (otp_key_sub(user, d->id, key, &kl) != OTP_OK || otp_device_encode(d, val, &vl) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "device record does not encode");
	rc = lmdb_put(txn, OTP_KIND_DEVICES, key, kl, val, vl, "write");
	otp_wipe(val, sizeof(val));
	return rc;
}

struct dev_list { const char *user; struct otp_device_rec *out; unsigned *n; };

static int list_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, size_t pl, void *arg)
{
	struct dev_list *l = arg;
	struct otp_device_rec *d;
	int rc;

	(void)cur;
	if (k->mv_size != pl + 4)
		return OTP_EACH_STOP;
	if (*l->n >= OTP_DEVICES_MAX)
		return otp_seterr(OTP_ECORRUPT, "user %s has too many devices", l->user);
	d = &l->out[*l->n];
	d->id = otp_rd32((const uint8_t *)k->mv_data + pl);
	rc = decoded(otp_device_decode(v->mv_data, v->mv_size, d), "device", l->user);
	*l->n += rc == OTP_OK;
	return rc;
}

int lmdb_device_list(struct otp_txn *txn, const char *user, struct otp_device_rec *out,
		     unsigned *n)
{
	struct dev_list l = { user, out, n };

	return lmdb_walk_user(txn, OTP_KIND_DEVICES, user, list_one, &l, "cursor");
}

static int delete_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, size_t pl, void *arg)
{
	unsigned *count = arg;
	int mrc;

	(void)k;
	(void)v;
	(void)pl;
	mrc = mdb_cursor_del(cur, 0);
	if (mrc != 0)
		return lmdb_err(mrc, "delete");
	(*count)++;
	return OTP_OK;
}

int lmdb_device_delete_all(struct otp_txn *txn, const char *user, unsigned *count)
{
	return lmdb_walk_user(txn, OTP_KIND_DEVICES, user, delete_one, count, "cursor");
}

/*
 * One device of a walk over all: fn may rewrite it, so the cursor is put
 * back on its key afterwards (a record that does not decode is not
 * rewritten, and a key too long to copy is not a device's).
 */
static int each_device_one(MDB_cursor *cur, MDB_val *k, const MDB_val *v,
			   int (*fn)(const char *user, struct otp_device_rec *d, void *arg),
			   void *arg)
{
	char user[OTP_USER_MAX + 1] = "";
	uint8_t key[OTP_KEY_MAX];
	struct otp_device_rec d;
	size_t klen = k->mv_size;
	MDB_val data;
	int ok, rc, mrc;

	memset(&d, 0, sizeof(d));
	ok = klen <= sizeof(key) && otp_device_key_parse(k->mv_data, klen, user, &d.id) == OTP_OK &&
	     otp_device_decode(v->mv_data, v->mv_size, &d) == OTP_OK;
	if (ok)
		memcpy(key, k->mv_data, klen);
	rc = fn(user, ok ? &d : NULL, arg);
	otp_wipe(&d, sizeof(d));
	if (rc == OTP_OK && ok) {
		k->mv_size = klen;
		k->mv_data = key;
		mrc = mdb_cursor_get(cur, k, &data, MDB_SET);
		if (mrc != 0)
			rc = lmdb_err(mrc, "cursor");
	}
	return rc;
}

int lmdb_device_each(struct otp_txn *txn,
		     int (*fn)(const char *user, struct otp_device_rec *d, void *arg), void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc, rc = OTP_OK;

	mrc = mdb_cursor_open(lmdb_mt(txn), lmdb_dbi(txn, OTP_KIND_DEVICES), &cur);
	if (mrc != 0)
		return lmdb_err(mrc, "cursor");
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == OTP_OK;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		rc = each_device_one(cur, &k, &v, fn, arg);
	mdb_cursor_close(cur);
	if (rc == OTP_EACH_STOP)
		return OTP_OK;
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = lmdb_err(mrc, "cursor");
	return rc;
}

struct rc_walk {
	int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg);
	void *arg;
};

static int recovery_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, size_t pl,
			void *arg)
{
	struct rc_walk *w = arg;
	struct otp_recovery_rec r;
	int ok;

	(void)cur;
	if (k->mv_size != pl + 4)
		return OTP_EACH_STOP;
	ok = otp_recovery_decode(v->mv_data, v->mv_size, &r) == OTP_OK;
	return w->fn(otp_rd32((const uint8_t *)k->mv_data + pl), ok ? &r : NULL, w->arg);
}

int lmdb_recovery_each(struct otp_txn *txn, const char *user,
		       int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg),
		       void *arg)
{
	struct rc_walk w = { fn, arg };

	return lmdb_walk_user(txn, OTP_KIND_RECOVERY, user, recovery_one, &w, "recovery");
}

int lmdb_recovery_put(struct otp_txn *txn, const char *user, uint32_t n,
		      const struct otp_recovery_rec *r)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX];
	size_t kl, vl;

	if (otp_key_sub(user, n, key, &kl) != OTP_OK || otp_recovery_encode(r, val, &vl) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "recovery record does not encode");
	return lmdb_put(txn, OTP_KIND_RECOVERY, key, kl, val, vl, "recovery");
}

int lmdb_recovery_delete_all(struct otp_txn *txn, const char *user, unsigned *count)
{
	return lmdb_walk_user(txn, OTP_KIND_RECOVERY, user, delete_one, count, "cursor");
}

int lmdb_host_get(struct otp_txn *txn, const char *user, const char *host,
		  struct otp_host_rec *h)
{
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	MDB_val v;
	int rc;

	if (otp_key_host(user, host, key, &kl) != OTP_OK)
		return OTP_ENOTFOUND;
	rc = lmdb_get(txn, OTP_KIND_HOSTS, key, kl, &v, "hosts");
	return rc == OTP_OK ? otp_host_decode(v.mv_data, v.mv_size, h) : rc;
}

int lmdb_host_save(struct otp_txn *txn, const char *user, const char *host,
		   const struct otp_host_rec *h)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX];
	size_t kl, vl;

	if (otp_key_host(user, host, key, &kl) != OTP_OK || otp_host_encode(h, val, &vl) != OTP_OK)
		return OTP_EINVAL;
	return lmdb_put(txn, OTP_KIND_HOSTS, key, kl, val, vl, "hosts");
}

int lmdb_host_delete(struct otp_txn *txn, const char *user, const char *host)
{
	uint8_t key[OTP_KEY_MAX];
	MDB_val k = { 0, key };
	int mrc;

	if (otp_key_host(user, host, key, &k.mv_size) != OTP_OK)
		return OTP_ENOTFOUND;
	mrc = mdb_del(lmdb_mt(txn), lmdb_dbi(txn, OTP_KIND_HOSTS), &k, NULL);
	if (mrc == MDB_NOTFOUND)
		return OTP_ENOTFOUND;
	return mrc ? lmdb_err(mrc, "hosts") : OTP_OK;
}

/* The host of a hosts key, cut to OTP_HOST_MAX bytes; 0 when it was longer. */
static int host_of(const MDB_val *k, size_t pl, char host[OTP_HOST_MAX + 1])
{
	size_t hl = k->mv_size - pl;
	int whole = hl <= OTP_HOST_MAX;

	if (!whole)
		hl = OTP_HOST_MAX;
	memcpy(host, (const char *)k->mv_data + pl, hl);
	host[hl] = '\0';
	return whole;
}

struct host_walk {
	int (*fn)(const char *host, const struct otp_host_rec *h, void *arg);
	void *arg;
	unsigned *count;  /* NULL: a plain walk; else delete where fn says so */
};

static int host_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, size_t pl, void *arg)
{
	struct host_walk *w = arg;
	char host[OTP_HOST_MAX + 1];
	struct otp_host_rec h;
	int ok, whole, mrc;

	if (k->mv_size <= pl)
		return OTP_EACH_STOP;
	whole = host_of(k, pl, host);
	ok = otp_host_decode(v->mv_data, v->mv_size, &h) == OTP_OK;
	if (w->count == NULL)  /* a listing stops at a host too long to show */
		return whole ? w->fn(host, ok ? &h : NULL, w->arg) : OTP_EACH_STOP;
	if (w->fn != NULL && !w->fn(host, ok ? &h : NULL, w->arg))
		return OTP_OK;
	mrc = mdb_cursor_del(cur, 0);
	if (mrc != 0)
		return lmdb_err(mrc, "hosts");
	(*w->count)++;
	return OTP_OK;
}

int lmdb_host_each(struct otp_txn *txn, const char *user,
		   int (*fn)(const char *host, const struct otp_host_rec *h, void *arg), void *arg)
{
	struct host_walk w = { fn, arg, NULL };

	return lmdb_walk_user(txn, OTP_KIND_HOSTS, user, host_one, &w, "hosts");
}

int lmdb_host_delete_if(struct otp_txn *txn, const char *user,
			int (*pred)(const char *host, const struct otp_host_rec *h, void *arg),
			void *arg, unsigned *count)
{
	struct host_walk w = { pred, arg, count };

	return lmdb_walk_user(txn, OTP_KIND_HOSTS, user, host_one, &w, "hosts");
}

int lmdb_raw_put(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
		 const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key };
	int mrc;

	if (val != NULL)
		return lmdb_put(txn, kind, key, klen, val, vlen, otp_lmdb_kind_names[kind]);
	mrc = mdb_del(lmdb_mt(txn), lmdb_dbi(txn, kind), &k, NULL);
	return mrc ? lmdb_err(mrc, otp_lmdb_kind_names[kind]) : OTP_OK;
}
