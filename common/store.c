/*
 * store.c - the engine-neutral side of store.h: choosing the engine, and
 * handing each operation to the engine of its store.
 */
#include "store_engine.h"
#include "err.h"

#include <string.h>

/*
 * A PostgreSQL spec: a URI, or a libpq conninfo ("host=db1 dbname=otp"),
 * i.e. a keyword and then '='. A directory path never starts so (the
 * configuration asks for an absolute one).
 */
int otp_store_is_postgresql(const char *spec)
{
	size_t n;

	if (strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0)
		return 1;
	spec += strspn(spec, " \t\n");
	n = strspn(spec, "abcdefghijklmnopqrstuvwxyz_");
	return n > 0 && spec[n + strspn(spec + n, " \t\n")] == '=';
}

int otp_store_open(const char *spec, unsigned map_mb, int flags, struct otp_store **st)
{
	struct otp_store_opts o = { map_mb, 5 };

	return otp_store_open_with(spec, &o, flags, st);
}

int otp_store_open_with(const char *spec, const struct otp_store_opts *o, int flags,
			struct otp_store **st)
{
	unsigned map_mb = o->map_mb;

	/* the spec is not echoed: a conninfo may hold what no log should */
	if (otp_store_is_postgresql(spec))
		return otp_pg_open(spec, o->timeout, flags, st);
	return otp_engine_lmdb.open(spec, map_mb, flags, st);
}

int otp_store_open_backup(const char *path, struct otp_store **st)
{
	return otp_engine_lmdb.open_backup(path, st);
}

void otp_store_close(struct otp_store *st)
{
	if (st != NULL)
		st->eng->close(st);
}

int otp_store_identify(const char *spec, char *id, size_t cap)
{
	if (otp_store_is_postgresql(spec))
		return otp_engine_pg.identify(spec, id, cap);
	return otp_engine_lmdb.identify(spec, id, cap);
}

int otp_store_recheck(struct otp_store *st, int *replaced)
{
	*replaced = 0;
	return st->eng->recheck(st, replaced);
}

void otp_store_forsake(struct otp_store *st)
{
	if (st != NULL)
		st->eng->forsake(st);
}

const char *otp_store_name(const struct otp_store *st)
{
	return st->name;
}

const char *otp_store_engine(const struct otp_store *st)
{
	return st->eng->name;
}

int otp_store_grow(struct otp_store *st)
{
	return st->eng->grow(st);
}

int otp_store_backup(struct otp_store *st, int fd)
{
	return st->eng->backup(st, fd);
}

int otp_store_replace(struct otp_txn *dst, struct otp_txn *src, unsigned long *records)
{
	*records = 0;
	if (dst->st->eng != src->st->eng)
		return otp_seterr(OTP_EINVAL, "%s: a backup of another kind of store",
				  src->st->name);
	return dst->st->eng->replace(dst, src, records);
}

int otp_store_stats(struct otp_txn *txn, struct otp_store_stats *s)
{
	memset(s, 0, sizeof(*s));
	return txn->st->eng->stats(txn, s);
}

int otp_store_raw_put(struct otp_txn *txn, enum otp_kind kind, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	if ((unsigned)kind >= OTP_KIND_COUNT)
		return otp_seterr(OTP_EINVAL, "no such record kind");
	return txn->st->eng->raw_put(txn, kind, key, klen, val, vlen);
}

int otp_txn_begin(struct otp_store *st, int write, struct otp_txn **txn)
{
	return st->eng->begin(st, write, txn);
}

int otp_txn_commit(struct otp_txn *txn)
{
	return txn->st->eng->commit(txn);
}

void otp_txn_abort(struct otp_txn *txn)
{
	if (txn != NULL)
		txn->st->eng->abort(txn);
}

int otp_txn_prefetch(struct otp_txn *txn, const char *user, unsigned what, const char *meta)
{
	if (txn->st->eng->prefetch == NULL)
		return OTP_OK;
	return txn->st->eng->prefetch(txn, user, what, meta);
}

struct otp_store *otp_txn_store(struct otp_txn *txn)
{
	return txn->st;
}

static int meta_name_ok(const char *name)
{
	size_t n = strnlen(name, 65);

	return n >= 1 && n <= 64;
}

int otp_meta_get(struct otp_txn *txn, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	*len = 0;
	if (!meta_name_ok(name))
		return OTP_ENOTFOUND;
	return txn->st->eng->meta_get(txn, name, buf, cap, len);
}

int otp_meta_put(struct otp_txn *txn, const char *name, const uint8_t *val, size_t len)
{
	if (!meta_name_ok(name) || len > OTP_META_VALUE_MAX)
		return otp_seterr(OTP_EINVAL, "meta value '%.64s' out of range", name);
	return txn->st->eng->meta_put(txn, name, val, len);
}

int otp_user_load(struct otp_txn *txn, const char *user, struct otp_user_rec *u)
{
	return txn->st->eng->user_load(txn, user, u);
}

int otp_user_save(struct otp_txn *txn, const char *user, const struct otp_user_rec *u)
{
	return txn->st->eng->user_save(txn, user, u);
}

int otp_user_delete(struct otp_txn *txn, const char *user)
{
	return txn->st->eng->user_delete(txn, user);
}

int otp_user_each(struct otp_txn *txn,
		  int (*fn)(const char *user, const struct otp_user_rec *u, void *arg), void *arg)
{
	return txn->st->eng->user_each(txn, fn, arg);
}

int otp_device_load(struct otp_txn *txn, const char *user, uint32_t id,
		    struct otp_device_rec *d)
{
	return txn->st->eng->device_load(txn, user, id, d);
}

int otp_device_save(struct otp_txn *txn, const char *user, const struct otp_device_rec *d)
{
	return txn->st->eng->device_save(txn, user, d);
}

int otp_device_list(struct otp_txn *txn, const char *user, struct otp_device_rec *out,
		    unsigned *n)
{
	*n = 0;
	return txn->st->eng->device_list(txn, user, out, n);
}

int otp_device_delete_all(struct otp_txn *txn, const char *user, unsigned *count)
{
	*count = 0;
	return txn->st->eng->device_delete_all(txn, user, count);
}

int otp_device_each(struct otp_txn *txn,
		    int (*fn)(const char *user, struct otp_device_rec *d, void *arg), void *arg)
{
	return txn->st->eng->device_each(txn, fn, arg);
}

int otp_recovery_each(struct otp_txn *txn, const char *user,
		      int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg), void *arg)
{
	return txn->st->eng->recovery_each(txn, user, fn, arg);
}

int otp_recovery_put(struct otp_txn *txn, const char *user, uint32_t n,
		     const struct otp_recovery_rec *r)
{
	return txn->st->eng->recovery_put(txn, user, n, r);
}

int otp_recovery_delete_all(struct otp_txn *txn, const char *user, unsigned *count)
{
	*count = 0;
	return txn->st->eng->recovery_delete_all(txn, user, count);
}

int otp_host_get(struct otp_txn *txn, const char *user, const char *host,
		 struct otp_host_rec *h)
{
	return txn->st->eng->host_get(txn, user, host, h);
}

int otp_host_save(struct otp_txn *txn, const char *user, const char *host,
		  const struct otp_host_rec *h)
{
	return txn->st->eng->host_save(txn, user, host, h);
}

int otp_host_delete(struct otp_txn *txn, const char *user, const char *host)
{
	return txn->st->eng->host_delete(txn, user, host);
}

int otp_host_each(struct otp_txn *txn, const char *user,
		  int (*fn)(const char *host, const struct otp_host_rec *h, void *arg), void *arg)
{
	return txn->st->eng->host_each(txn, user, fn, arg);
}

int otp_host_delete_if(struct otp_txn *txn, const char *user,
		       int (*pred)(const char *host, const struct otp_host_rec *h, void *arg),
		       void *arg, unsigned *count)
{
	unsigned n = 0;
	int rc = txn->st->eng->host_delete_if(txn, user, pred, arg, &n);

	if (count != NULL)
		*count = n;
	return rc;
}

int otp_audit_insert(struct otp_txn *txn, struct otp_audit_ev *ev)
{
	return txn->st->eng->audit_insert(txn, ev);
}

int otp_audit_write_at(struct otp_txn *txn, const struct otp_audit_ev *ev)
{
	return txn->st->eng->audit_write_at(txn, ev);
}

int otp_audit_get_at(struct otp_txn *txn, uint64_t time, uint32_t seq, struct otp_audit_ev *ev)
{
	return txn->st->eng->audit_get_at(txn, time, seq, ev);
}

int otp_audit_each(struct otp_txn *txn, uint64_t time, uint32_t seq, int backward,
		   int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg)
{
	return txn->st->eng->audit_each(txn, time, seq, backward, fn, arg);
}

int otp_audit_prune(struct otp_txn *txn, uint64_t before, unsigned max)
{
	return txn->st->eng->audit_prune(txn, before, max);
}

int otp_store_has_landing(const struct otp_store *st)
{
	return st->eng->has_landing != NULL && st->eng->has_landing(st);
}

int otp_audit_landed(struct otp_txn *txn, struct otp_audit_mark *mark,
		     int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg)
{
	if (!otp_store_has_landing(txn->st))
		return otp_seterr(OTP_EINVAL, "%s: the store has no landing order",
				  txn->st->name);
	return txn->st->eng->audit_landed(txn, mark, fn, arg);
}
