/*
 * store_pg_ahead.c - what a PostgreSQL transaction reads ahead, and the
 * user row it keeps, so that a login reads each row once, writes it once,
 * and waits for few round trips.
 *
 * Read ahead (otp_txn_prefetch): the user's lock (in a write transaction)
 * and the SELECTs asked for go in one exchange; each result waits in a
 * slot for the load that asks for the same statement and key, once. A
 * write to the same records drops it (pg_ahead_drop), so a load never sees
 * less than the transaction wrote. With OTP_PREFETCH_ALL, a read
 * transaction that has read nothing yet reads them without BEGIN (in the
 * exchange's implicit transaction, each statement seeing the latest
 * commits), and then has nothing to end.
 *
 * The user row: a load or save of a user's record is kept (one user at a
 * time); later loads in the transaction are answered from it, and a save
 * only changes it. The row is written (queued, so it travels with the
 * next exchange) at commit, before any statement that reads the users
 * table (pg_queue asks), before another user's row is kept, and before a
 * delete of it. This is exact because the transaction holds the user's
 * lock (taken before the first statement on that user, and at the first
 * save) or, read-only, one snapshot: no one else changes the row meanwhile.
 */
#include "store_pg.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

/* The slot of st on key (in use while its key is set; read once res is). */
static struct pg_ahead *slot_of(struct pg_txn *t, enum pg_stmt st, const char *key)
{
	for (unsigned i = 0; i < PG_AHEAD_MAX; i++) {
		struct pg_ahead *a = &t->ahead[i];

		if (a->key[0] != '\0' && a->st == st && strcmp(a->key, key) == 0)
			return a;
	}
	return NULL;
}

static void free_slot(struct pg_ahead *a)
{
	PQclear(a->res);
	a->res = NULL;
	a->key[0] = '\0';
}

PGresult *pg_ahead_take(struct otp_txn *txn, enum pg_stmt st, const char *key)
{
	struct pg_ahead *a = slot_of(pg_txn_of(txn), st, key);
	PGresult *r;

	if (a == NULL)
		return NULL;
	r = a->res;
	a->res = NULL;
	free_slot(a);
	return r;
}

void pg_ahead_drop(struct otp_txn *txn, enum pg_stmt st)
{
	struct pg_txn *t = pg_txn_of(txn);

	for (unsigned i = 0; i < PG_AHEAD_MAX; i++) {
		if (t->ahead[i].key[0] != '\0' && t->ahead[i].st == st)
			free_slot(&t->ahead[i]);
	}
}

void pg_ahead_clear(struct pg_txn *t)
{
	for (unsigned i = 0; i < PG_AHEAD_MAX; i++)
		free_slot(&t->ahead[i]);
	memset(&t->row, 0, sizeof(t->row));
}

/* Queue st with p, its result for a free slot under key. */
static int ahead(struct otp_txn *txn, enum pg_stmt st, const struct pg_params *p,
		 const char *key, unsigned *n)
{
	struct pg_txn *t = pg_txn_of(txn);

	if (slot_of(t, st, key) != NULL)
		return OTP_OK;
	for (unsigned i = 0; i < PG_AHEAD_MAX; i++) {
		struct pg_ahead *a = &t->ahead[i];
		int rc;

		if (a->key[0] != '\0')
			continue;
		a->st = st;
		snprintf(a->key, sizeof(a->key), "%s", key);
		rc = pg_queue(txn, st, p, &a->res, "read");
		*n += rc == OTP_OK;
		return rc;
	}
	return OTP_OK;  /* no room: the load will read it then */
}

static int meta_ok(const char *name)
{
	size_t n = name ? strnlen(name, 65) : 0;

	return n >= 1 && n <= 64;
}

int pg_prefetch(struct otp_txn *txn, const char *user, unsigned what, const char *meta)
{
	struct pg_txn *t = pg_txn_of(txn);
	struct pg_params pm = { 0 }, pu = { 0 };
	struct otp_user_rec u;
	unsigned n = 0;
	int rc = OTP_OK;

	/* all a read transaction reads, before it began: no snapshot to share,
	 * so neither BEGIN nor ROLLBACK (a read after them begins one) */
	t->loose = (what & OTP_PREFETCH_ALL) && !t->write && !t->begun;
	if ((what & OTP_PREFETCH_META) && meta_ok(meta)) {
		pg_param_text(&pm, meta);
		rc = ahead(txn, PG_META_GET, &pm, meta, &n);
	}
	if (user != NULL && pg_user_ok(user) && (what & (OTP_PREFETCH_USER | OTP_PREFETCH_DEVICES))) {
		pg_param_text(&pu, user);
		if (rc == OTP_OK)
			rc = pg_lock_user(txn, user);
		if (rc == OTP_OK && (what & OTP_PREFETCH_USER) && pg_row_get(txn, user, &u) == 1)
			rc = ahead(txn, PG_USER_LOAD, &pu, user, &n);
		if (rc == OTP_OK && (what & OTP_PREFETCH_DEVICES))
			rc = ahead(txn, PG_DEV_LIST, &pu, user, &n);
	}
	if (rc == OTP_OK && n > 0)
		rc = pg_sync(txn);
	t->loose = 0;
	return rc;
}

int pg_row_get(struct otp_txn *txn, const char *user, struct otp_user_rec *u)
{
	const struct pg_row *w = &pg_txn_of(txn)->row;

	if (w->state == PG_ROW_UNKNOWN || strcmp(w->user, user) != 0)
		return 1;
	if (w->state == PG_ROW_ABSENT)
		return OTP_ENOTFOUND;
	*u = w->rec;
	return OTP_OK;
}

/* The parameters of PG_USER_SAVE for user's row u. */
static void user_params(struct pg_params *p, const char *user, const struct otp_user_rec *u)
{
	pg_param_text(p, user);
	pg_param_u64(p, u->failures);
	pg_param_u64(p, u->first_fail);
	pg_param_u64(p, u->locked_until);
	pg_param_u64(p, u->created);
	pg_param_u64(p, u->last_login);
	pg_param_u64(p, u->next_device);
	pg_param_u64(p, u->flags);
}

int pg_row_flush(struct otp_txn *txn)
{
	struct pg_row *w = &pg_txn_of(txn)->row;
	struct pg_params p = { 0 };

	if (!w->dirty)
		return OTP_OK;
	w->dirty = 0;  /* first: pg_queue would flush it again */
	user_params(&p, w->user, &w->rec);
	return pg_queue(txn, PG_USER_SAVE, &p, NULL, "write");
}

/* The row of user becomes the one kept: another user's is written first. */
static int switch_to(struct otp_txn *txn, const char *user)
{
	struct pg_row *w = &pg_txn_of(txn)->row;
	int rc = OTP_OK;

	if (w->state != PG_ROW_UNKNOWN && strcmp(w->user, user) != 0) {
		rc = pg_row_flush(txn);
		w->state = PG_ROW_UNKNOWN;
	}
	snprintf(w->user, sizeof(w->user), "%s", user);
	return rc;
}

int pg_row_keep(struct otp_txn *txn, const char *user, const struct otp_user_rec *u)
{
	struct pg_row *w = &pg_txn_of(txn)->row;
	int rc = switch_to(txn, user);

	if (rc != OTP_OK)
		return rc;
	w->state = u != NULL ? PG_ROW_PRESENT : PG_ROW_ABSENT;
	if (u != NULL)
		w->rec = *u;
	w->dirty = 0;
	return OTP_OK;
}

int pg_row_put(struct otp_txn *txn, const char *user, const struct otp_user_rec *u)
{
	struct pg_row *w = &pg_txn_of(txn)->row;
	int rc = pg_lock_user(txn, user);  /* as a write sent now would */

	if (rc == OTP_OK)
		rc = switch_to(txn, user);
	if (rc != OTP_OK)
		return rc;
	pg_ahead_drop(txn, PG_USER_LOAD);
	w->state = PG_ROW_PRESENT;
	w->rec = *u;
	w->dirty = 1;
	return OTP_OK;
}

int pg_row_forget(struct otp_txn *txn, const char *user)
{
	struct pg_row *w = &pg_txn_of(txn)->row;
	int rc = OTP_OK;

	pg_ahead_drop(txn, PG_USER_LOAD);
	if (w->state == PG_ROW_UNKNOWN || strcmp(w->user, user) != 0)
		return OTP_OK;
	rc = pg_row_flush(txn);
	w->state = PG_ROW_UNKNOWN;
	w->user[0] = '\0';
	return rc;
}
