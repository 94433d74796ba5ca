/*
 * store_pg_records.c - the PostgreSQL engine's meta values, users, devices,
 * recovery codes and remembered hosts. Every operation on a user's records
 * in a write transaction takes that user's lock first (store_pg.h). Writes
 * are queued: they travel with the next exchange, which fails if they do.
 * Loads take what was read ahead, and the user row kept
 * (store_pg_ahead.c), when there is one.
 */
#include "store_pg.h"
#include "err.h"
#include "oob.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int corrupt(const char *what, const char *user)
{
	return otp_seterr(OTP_ECORRUPT, "corrupt %s record for user %s", what, user);
}

/* Run s on user's records: the user's lock first in a write transaction. */
static int run_user(struct otp_txn *txn, enum pg_stmt s, const struct pg_params *p,
		    const char *user, PGresult **r, const char *what)
{
	int rc = pg_lock_user(txn, user);

	return rc == OTP_OK ? pg_run(txn, s, p, r, what) : rc;
}

/* A write whose result says nothing more: queued. */
static int exec_user(struct otp_txn *txn, enum pg_stmt s, const struct pg_params *p,
		     const char *user, const char *what)
{
	int rc = pg_lock_user(txn, user);

	return rc == OTP_OK ? pg_queue(txn, s, p, NULL, what) : rc;
}

/* A delete: *count gets the rows gone; with count NULL, none is OTP_ENOTFOUND. */
static int delete_user(struct otp_txn *txn, enum pg_stmt s, const struct pg_params *p,
		       const char *user, const char *what, unsigned *count)
{
	PGresult *r = NULL;
	int rc = run_user(txn, s, p, user, &r, what);

	if (rc == OTP_OK && count != NULL)
		*count = pg_affected(r);
	else if (rc == OTP_OK && pg_affected(r) == 0)
		rc = OTP_ENOTFOUND;
	PQclear(r);
	return rc;
}

/* A read of one row: none is OTP_ENOTFOUND; on OTP_OK the caller clears *r. */
static int load_one(struct otp_txn *txn, enum pg_stmt s, const struct pg_params *p,
		    const char *user, PGresult **r)
{
	int rc = (*r = pg_ahead_take(txn, s, user)) != NULL ? OTP_OK :
		 run_user(txn, s, p, user, r, "read");

	if (rc == OTP_OK && PQntuples(*r) == 0)
		rc = OTP_ENOTFOUND;
	if (rc != OTP_OK) {
		PQclear(*r);
		*r = NULL;
	}
	return rc;
}

int pg_meta_get(struct otp_txn *txn, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int n, rc;

	pg_param_text(&p, name);
	r = pg_ahead_take(txn, PG_META_GET, name);
	rc = r != NULL ? OTP_OK : pg_run(txn, PG_META_GET, &p, &r, "meta");
	if (rc == OTP_OK && PQntuples(r) == 0)
		rc = OTP_ENOTFOUND;
	if (rc == OTP_OK) {
		n = PQgetlength(r, 0, 0);
		memcpy(buf, PQgetvalue(r, 0, 0), (size_t)n < cap ? (size_t)n : cap);
		*len = (size_t)n;
	}
	PQclear(r);
	return rc;
}

int pg_meta_put(struct otp_txn *txn, const char *name, const uint8_t *val, size_t len)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc;

	pg_ahead_drop(txn, PG_META_GET);
	pg_param_text(&p, name);
	pg_param_bytes(&p, val, len);
	rc = pg_run(txn, PG_META_PUT, &p, &r, "meta");
	PQclear(r);
	return rc;
}

/* users */

static int user_from(const PGresult *r, int row, int c0, struct otp_user_rec *u)
{
	uint64_t v[7];

	for (int i = 0; i < 7; i++) {
		if (pg_get_u64(r, row, c0 + i, &v[i]) != OTP_OK)
			return OTP_ECORRUPT;
	}
	if (v[0] > UINT32_MAX || v[5] > UINT32_MAX || v[6] > UINT32_MAX)
		return OTP_ECORRUPT;
	u->failures = (uint32_t)v[0];
	u->first_fail = v[1];
	u->locked_until = v[2];
	u->created = v[3];
	u->last_login = v[4];
	u->next_device = (uint32_t)v[5];
	u->flags = (uint32_t)v[6];
	return OTP_OK;
}

int pg_user_load(struct otp_txn *txn, const char *user, struct otp_user_rec *u)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc;

	if (!pg_user_ok(user))
		return OTP_ENOTFOUND;
	rc = pg_row_get(txn, user, u);
	if (rc != 1)
		return rc;
	pg_param_text(&p, user);
	rc = load_one(txn, PG_USER_LOAD, &p, user, &r);
	if (rc == OTP_OK && user_from(r, 0, 0, u) != OTP_OK)
		rc = corrupt("user", user);
	if (rc == OTP_OK || rc == OTP_ENOTFOUND) {
		int krc = pg_row_keep(txn, user, rc == OTP_OK ? u : NULL);

		rc = krc == OTP_OK ? rc : krc;
	}
	PQclear(r);
	return rc;
}

/* Kept, and written at commit or before anything reads users (store_pg_ahead.c). */
int pg_user_save(struct otp_txn *txn, const char *user, const struct otp_user_rec *u)
{
	if (!pg_user_ok(user))
		return otp_seterr(OTP_EINVAL, "user record does not encode");
	return pg_row_put(txn, user, u);
}

int pg_user_delete(struct otp_txn *txn, const char *user)
{
	struct pg_params p = { 0 };
	int rc;

	if (!pg_user_ok(user))
		return OTP_ENOTFOUND;
	rc = pg_row_forget(txn, user);
	if (rc != OTP_OK)
		return rc;
	pg_param_text(&p, user);
	return delete_user(txn, PG_USER_DELETE, &p, user, "users", NULL);
}

int pg_user_each(struct otp_txn *txn,
		 int (*fn)(const char *user, const struct otp_user_rec *u, void *arg), void *arg)
{
	char user[OTP_USER_MAX + 1] = "";
	struct otp_user_rec u;
	int rc = OTP_OK, rows;

	do {
		struct pg_params p = { 0 };
		PGresult *r = NULL;

		if (user[0])
			pg_param_text(&p, user);
		rc = pg_run(txn, user[0] ? PG_USER_PAGE : PG_USER_FIRST, &p, &r, "users");
		rows = rc == OTP_OK ? PQntuples(r) : 0;
		for (int i = 0; i < rows && rc == OTP_OK; i++) {
			if (pg_get_text(r, i, 0, user, sizeof(user)) != OTP_OK)
				rc = otp_seterr(OTP_ECORRUPT, "corrupt user name in users");
			else if (user_from(r, i, 1, &u) != OTP_OK)
				rc = otp_seterr(OTP_ECORRUPT, "corrupt user record for %s", user);
			else
				rc = fn(user, &u, arg);
		}
		PQclear(r);
	} while (rc == OTP_OK && rows == 256);
	return rc == OTP_EACH_STOP ? OTP_OK : rc;
}

/* devices */

static int dev_enum(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return i;
	}
	return -1;
}

static const char *const state_names[] = { "pending", "active", "revoked" };
static const char *const alg_names[] = { "SHA1", "SHA256", "SHA512" };

/* A device row from column c0 on (DEV_COLS); d->id from the row. */
static int dev_from(const PGresult *r, int row, int c0, struct otp_device_rec *d)
{
	char t[16];
	uint64_t v[10];
	enum otp_dev_type ty;
	int al, stt;
	static const int nums[] = { 0, 4, 6, 7, 8, 9, 10, 11 };

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (pg_get_u64(r, row, c0 + nums[i], &v[i]) != OTP_OK)
			return OTP_ECORRUPT;
	}
	if (pg_get_text(r, row, c0 + 1, d->name, sizeof(d->name)) != OTP_OK ||
	    pg_get_text(r, row, c0 + 2, t, sizeof(t)) != OTP_OK ||
	    otp_dev_type_parse(t, &ty) != OTP_OK ||
	    pg_get_text(r, row, c0 + 3, t, sizeof(t)) != OTP_OK ||
	    (al = dev_enum(t, alg_names, 3)) < 0 ||
	    pg_get_text(r, row, c0 + 5, t, sizeof(t)) != OTP_OK ||
	    (stt = dev_enum(t, state_names, 3)) < 0 ||
	    pg_get_bytes(r, row, c0 + 12, d->sealed, sizeof(d->sealed), &d->sealed_len) != OTP_OK)
		return OTP_ECORRUPT;
	/* v: id, digits, period, counter, last_step, drift, created, last_used */
	if (v[0] > UINT32_MAX || v[1] < 6 || v[1] > 8 || v[2] > UINT32_MAX ||
	    (int64_t)v[5] < -OTP_DRIFT_MAX || (int64_t)v[5] > OTP_DRIFT_MAX)
		return OTP_ECORRUPT;
	d->id = (uint32_t)v[0];
	d->type = (uint8_t)ty;
	d->alg = (uint8_t)al;
	d->state = (uint8_t)stt;
	d->digits = (uint8_t)v[1];
	d->period = (uint32_t)v[2];
	d->counter = v[3];
	d->last_step = v[4];
	d->drift = (int32_t)(int64_t)v[5];
	d->created = v[6];
	d->last_used = v[7];
	return OTP_OK;
}

int pg_device_load(struct otp_txn *txn, const char *user, uint32_t id,
		   struct otp_device_rec *d)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc;

	if (!pg_user_ok(user))
		return OTP_ENOTFOUND;
	pg_param_text(&p, user);
	pg_param_u64(&p, id);
	rc = load_one(txn, PG_DEV_LOAD, &p, user, &r);
	if (rc == OTP_OK && dev_from(r, 0, 0, d) != OTP_OK)
		rc = corrupt("device", user);
	PQclear(r);
	return rc;
}

int pg_device_save(struct otp_txn *txn, const char *user, const struct otp_device_rec *d)
{
	struct pg_params p = { 0 };

	int schema = pg_of(txn->st)->schema;

	if (!pg_user_ok(user) || d->type > OTP_DEV_TYPE_LAST || d->alg > OTP_ALG_SHA512 ||
	    d->state > OTP_REVOKED || d->sealed_len > sizeof(d->sealed) ||
	    otp_text_problem(d->name, NULL) != NULL)
		return otp_seterr(OTP_EINVAL, "device record does not encode");
	/* the CHECK of an older schema would refuse the row at commit, far
	 * from here and without saying what to do */
	if (OTP_IS_OOB(d->type) && schema < PG_SCHEMA_OOB)
		return otp_seterr(OTP_EVERSION, "the PostgreSQL schema is version %d; email and "
				  "SMS devices need version %d: run otpctl init (as the owner "
				  "role) to upgrade it", schema, PG_SCHEMA_OOB);
	pg_ahead_drop(txn, PG_DEV_LIST);
	pg_param_text(&p, user);
	pg_param_u64(&p, d->id);
	pg_param_text(&p, d->name);
	pg_param_text(&p, otp_dev_type_name(d->type));
	pg_param_text(&p, alg_names[d->alg]);
	pg_param_u64(&p, d->digits);
	pg_param_text(&p, state_names[d->state]);
	pg_param_u64(&p, d->period);
	pg_param_u64(&p, d->counter);
	pg_param_u64(&p, d->last_step);
	pg_param_i64(&p, d->drift);
	pg_param_u64(&p, d->created);
	pg_param_u64(&p, d->last_used);
	pg_param_bytes(&p, d->sealed, d->sealed_len);
	return exec_user(txn, PG_DEV_SAVE, &p, user, "write");
}

int pg_device_list(struct otp_txn *txn, const char *user, struct otp_device_rec *out,
		   unsigned *n)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc, rows;

	if (!pg_user_ok(user))
		return OTP_OK;
	pg_param_text(&p, user);
	r = pg_ahead_take(txn, PG_DEV_LIST, user);
	rc = r != NULL ? OTP_OK : run_user(txn, PG_DEV_LIST, &p, user, &r, "devices");
	rows = rc == OTP_OK ? PQntuples(r) : 0;
	if (rows > OTP_DEVICES_MAX)
		rc = otp_seterr(OTP_ECORRUPT, "user %s has more than %d devices", user,
				OTP_DEVICES_MAX);
	for (int i = 0; i < rows && rc == OTP_OK; i++) {
		if (dev_from(r, i, 0, &out[i]) != OTP_OK)
			rc = corrupt("device", user);
		else
			*n = (unsigned)i + 1;
	}
	PQclear(r);
	return rc;
}

int pg_device_delete_all(struct otp_txn *txn, const char *user, unsigned *count)
{
	struct pg_params p = { 0 };

	if (!pg_user_ok(user))
		return OTP_OK;
	pg_ahead_drop(txn, PG_DEV_LIST);
	pg_param_text(&p, user);
	return delete_user(txn, PG_DEV_DELETE_ALL, &p, user, "devices", count);
}

/* One page of device_each: fn on each row, the last key kept for the next. */
static int dev_page(PGresult *r, int rows, char *user, uint64_t *id,
		    int (*fn)(const char *user, struct otp_device_rec *d, void *arg), void *arg)
{
	struct otp_device_rec d;
	int rc = OTP_OK;

	for (int i = 0; i < rows && rc == OTP_OK; i++) {
		int ok = pg_get_text(r, i, 0, user, OTP_USER_MAX + 1) == OTP_OK;

		if (!ok || pg_get_u64(r, i, 1, id) != OTP_OK)
			return otp_seterr(OTP_ECORRUPT, "corrupt device key");
		rc = fn(user, dev_from(r, i, 1, &d) == OTP_OK ? &d : NULL, arg);
		otp_wipe(&d, sizeof(d));
	}
	return rc;
}

int pg_device_each(struct otp_txn *txn,
		   int (*fn)(const char *user, struct otp_device_rec *d, void *arg), void *arg)
{
	char user[OTP_USER_MAX + 1] = "";
	uint64_t id = 0;
	int rc, rows, first = 1;

	do {
		struct pg_params p = { 0 };
		PGresult *r = NULL;

		if (!first) {
			pg_param_text(&p, user);
			pg_param_u64(&p, id);
		}
		rc = pg_run(txn, first ? PG_DEV_FIRST : PG_DEV_PAGE, &p, &r, "devices");
		rows = rc == OTP_OK ? PQntuples(r) : 0;
		if (rc == OTP_OK)
			rc = dev_page(r, rows, user, &id, fn, arg);
		PQclear(r);
		first = 0;
	} while (rc == OTP_OK && rows == 256);
	return rc == OTP_EACH_STOP ? OTP_OK : rc;
}

/* recovery codes */

static int rc_from(const PGresult *r, int row, struct otp_recovery_rec *rec)
{
	uint64_t v[4];
	size_t sl, hl;

	if (pg_get_bytes(r, row, 1, rec->salt, sizeof(rec->salt), &sl) != OTP_OK ||
	    pg_get_bytes(r, row, 2, rec->hash, sizeof(rec->hash), &hl) != OTP_OK ||
	    sl != OTP_RC_SALT || hl != OTP_RC_HASH)
		return OTP_ECORRUPT;
	for (int i = 0; i < 4; i++) {
		if (pg_get_u64(r, row, 3 + i, &v[i]) != OTP_OK)
			return OTP_ECORRUPT;
	}
	if (v[0] > 255 || v[1] > 255 || v[2] > 255)
		return OTP_ECORRUPT;
	rec->log2n = (uint8_t)v[0];
	rec->r = (uint8_t)v[1];
	rec->p = (uint8_t)v[2];
	rec->used = v[3];
	return OTP_OK;
}

int pg_recovery_each(struct otp_txn *txn, const char *user,
		     int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg), void *arg)
{
	struct pg_params p = { 0 };
	struct otp_recovery_rec rec;
	PGresult *r = NULL;
	int rc, rows;

	if (!pg_user_ok(user))
		return OTP_OK;
	pg_param_text(&p, user);
	rc = run_user(txn, PG_RC_LIST, &p, user, &r, "recovery");
	rows = rc == OTP_OK ? PQntuples(r) : 0;
	for (int i = 0; i < rows && rc == OTP_OK; i++) {
		uint64_t n = 0;

		if (pg_get_u64(r, i, 0, &n) != OTP_OK || n > UINT32_MAX)
			rc = corrupt("recovery", user);
		else
			rc = fn((uint32_t)n, rc_from(r, i, &rec) == OTP_OK ? &rec : NULL, arg);
	}
	otp_wipe(&rec, sizeof(rec));
	PQclear(r);
	return rc == OTP_EACH_STOP ? OTP_OK : rc;
}

int pg_recovery_put(struct otp_txn *txn, const char *user, uint32_t n,
		    const struct otp_recovery_rec *rec)
{
	struct pg_params p = { 0 };

	if (!pg_user_ok(user))
		return otp_seterr(OTP_EINVAL, "recovery record does not encode");
	pg_param_text(&p, user);
	pg_param_u64(&p, n);
	pg_param_bytes(&p, rec->salt, sizeof(rec->salt));
	pg_param_bytes(&p, rec->hash, sizeof(rec->hash));
	pg_param_u64(&p, rec->log2n);
	pg_param_u64(&p, rec->r);
	pg_param_u64(&p, rec->p);
	pg_param_u64(&p, rec->used);
	return exec_user(txn, PG_RC_PUT, &p, user, "write");
}

int pg_recovery_delete_all(struct otp_txn *txn, const char *user, unsigned *count)
{
	struct pg_params p = { 0 };

	if (!pg_user_ok(user))
		return OTP_OK;
	pg_param_text(&p, user);
	return delete_user(txn, PG_RC_DELETE_ALL, &p, user, "recovery", count);
}

/* remembered hosts */

static int host_from(const PGresult *r, int row, int c0, struct otp_host_rec *h)
{
	uint64_t dev = 0;

	if (pg_get_u64(r, row, c0, &h->until) != OTP_OK ||
	    pg_get_u64(r, row, c0 + 1, &h->created) != OTP_OK ||
	    pg_get_u64(r, row, c0 + 2, &dev) != OTP_OK || dev > UINT32_MAX)
		return OTP_ECORRUPT;
	h->device = (uint32_t)dev;
	return OTP_OK;
}

static int host_ok(const char *user, const char *host)
{
	size_t hl = strnlen(host, OTP_HOST_MAX + 1);

	return pg_user_ok(user) && hl >= 1 && hl <= OTP_HOST_MAX &&
	       otp_text_problem(host, NULL) == NULL;
}

int pg_host_get(struct otp_txn *txn, const char *user, const char *host,
		struct otp_host_rec *h)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc;

	if (!host_ok(user, host))
		return OTP_ENOTFOUND;
	pg_param_text(&p, user);
	pg_param_text(&p, host);
	rc = load_one(txn, PG_HOST_GET, &p, user, &r);
	if (rc == OTP_OK && host_from(r, 0, 0, h) != OTP_OK)
		rc = corrupt("host", user);
	PQclear(r);
	return rc;
}

int pg_host_save(struct otp_txn *txn, const char *user, const char *host,
		 const struct otp_host_rec *h)
{
	struct pg_params p = { 0 };

	if (!host_ok(user, host))
		return otp_seterr(OTP_EINVAL, "host record does not encode");
	pg_param_text(&p, user);
	pg_param_text(&p, host);
	pg_param_u64(&p, h->until);
	pg_param_u64(&p, h->created);
	pg_param_u64(&p, h->device);
	return exec_user(txn, PG_HOST_SAVE, &p, user, "write");
}

int pg_host_delete(struct otp_txn *txn, const char *user, const char *host)
{
	struct pg_params p = { 0 };

	if (!host_ok(user, host))
		return OTP_ENOTFOUND;
	pg_param_text(&p, user);
	pg_param_text(&p, host);
	return delete_user(txn, PG_HOST_DELETE, &p, user, "hosts", NULL);
}

int pg_host_each(struct otp_txn *txn, const char *user,
		 int (*fn)(const char *host, const struct otp_host_rec *h, void *arg), void *arg)
{
	struct pg_params p = { 0 };
	struct otp_host_rec h;
	char host[OTP_HOST_MAX + 1];
	PGresult *r = NULL;
	int rc, rows;

	if (!pg_user_ok(user))
		return OTP_OK;
	pg_param_text(&p, user);
	rc = run_user(txn, PG_HOST_LIST, &p, user, &r, "hosts");
	rows = rc == OTP_OK ? PQntuples(r) : 0;
	for (int i = 0; i < rows && rc == OTP_OK; i++) {
		if (pg_get_text(r, i, 0, host, sizeof(host)) != OTP_OK)
			continue;  /* no key the rules could name */
		rc = fn(host, host_from(r, i, 1, &h) == OTP_OK ? &h : NULL, arg);
	}
	PQclear(r);
	return rc == OTP_EACH_STOP ? OTP_OK : rc;
}

struct doomed {
	int (*pred)(const char *host, const struct otp_host_rec *h, void *arg);
	void *arg;
	unsigned n, cap;
	char (*host)[OTP_HOST_MAX + 1];
};

static int mark(const char *host, const struct otp_host_rec *h, void *arg)
{
	struct doomed *d = arg;

	if (d->pred != NULL && !d->pred(host, h, d->arg))
		return OTP_OK;
	if (d->n == d->cap) {
		unsigned cap = d->cap ? 2 * d->cap : 16;
		void *m = realloc(d->host, cap * sizeof(d->host[0]));

		if (m == NULL)
			return otp_seterr(OTP_ENOMEM, "out of memory");
		d->host = m;
		d->cap = cap;
	}
	snprintf(d->host[d->n++], sizeof(d->host[0]), "%s", host);
	return OTP_OK;
}

int pg_host_delete_if(struct otp_txn *txn, const char *user,
		      int (*pred)(const char *host, const struct otp_host_rec *h, void *arg),
		      void *arg, unsigned *count)
{
	struct doomed d = { pred, arg, 0, 0, NULL };
	int rc = pg_host_each(txn, user, mark, &d);

	for (unsigned i = 0; i < d.n && rc == OTP_OK; i++) {
		rc = pg_host_delete(txn, user, d.host[i]);
		if (rc == OTP_OK)
			(*count)++;
	}
	free(d.host);
	return rc;
}
