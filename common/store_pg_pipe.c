/*
 * store_pg_pipe.c - the PostgreSQL engine's statements on the wire, in
 * libpq's pipeline mode: queued, sent together, and every answer read in
 * order within the store's timeout.
 *
 * Every message sent has an entry in s->sent until its answer is read:
 * the Parse of a statement the connection has not prepared yet, each
 * statement, and the Sync point that ends each exchange. An exchange
 * (pg_sync) adds a Sync, flushes, and reads every answer owed, in order,
 * each within the deadline. An error, an answer missing or of the wrong
 * kind, a broken connection or the deadline is an error, never a
 * success: the first error is the cause, and after it the server skips
 * the rest of the exchange (PGRES_PIPELINE_ABORTED), so only ROLLBACK is
 * left for the transaction. A connection whose answers cannot be read in
 * order any more is closed (the server rolls back what it had).
 */
#include "store_pg.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

static void name_of(enum pg_stmt st, char name[16])
{
	snprintf(name, 16, "otp%d", (int)st);
}

static void note(struct pg_store *s, const char *what, PGresult **out, int prep, int sync)
{
	struct pg_sent *m = &s->sent[s->nsent++];

	m->what = what;
	m->out = out;
	m->prep = (short)prep;
	m->sync = (unsigned char)sync;
	m->lenient = 0;
	if (out != NULL)
		*out = NULL;
}

/* The last message sent is a Sync: nothing is queued past it. */
static int synced(const struct pg_store *s)
{
	return s->nsent == 0 || s->sent[s->nsent - 1].sync;
}

/* Statement st with p into libpq's buffer (a Parse first if need be). */
static int send_stmt(struct pg_store *s, enum pg_stmt st, const struct pg_params *p,
		     PGresult **out, const char *what)
{
	char name[16];

	name_of(st, name);
	if (!s->prepared[st]) {
		if (!PQsendPrepare(s->conn, name, pg_stmts[st].sql, pg_stmts[st].nparams, NULL))
			return pg_broken(s);
		note(s, what, NULL, (int)st, 0);
		s->prepared[st] = 1;
	}
	if (!PQsendQueryPrepared(s->conn, name, p ? p->n : 0, p ? p->val : NULL,
				 p ? p->len : NULL, p ? p->fmt : NULL, 1))
		return pg_broken(s);
	note(s, what, out, -1, 0);
	return OTP_OK;
}

int pg_push(struct pg_store *s)
{
	double deadline = pg_now() + s->timeout + 0.5;
	const char *what = s->nsent ? s->sent[s->nsent - 1].what : "sync";
	int f;

	if (!PQpipelineSync(s->conn))
		return pg_broken(s);
	note(s, what, NULL, -1, 1);
	while ((f = PQflush(s->conn)) == 1) {
		if (pg_wait_fd(PQsocket(s->conn), 1, deadline) <= 0)
			return pg_timed_out(s, what);
	}
	return f == 0 ? OTP_OK : pg_broken(s);
}

/* The next result, within the deadline; NULL in *r ends a statement's. */
static int next_result(struct pg_store *s, const char *what, PGresult **r)
{
	double deadline = pg_now() + s->timeout + 0.5;

	while (PQisBusy(s->conn)) {
		int ready = pg_wait_fd(PQsocket(s->conn), 0, deadline);

		if (ready == 0)
			return pg_timed_out(s, what);
		if (ready < 0 || !PQconsumeInput(s->conn))
			return pg_broken(s);
	}
	*r = PQgetResult(s->conn);
	return OTP_OK;
}

/* Results handed out by an exchange that then failed are taken back. */
static void take_back(struct pg_store *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (s->sent[i].out != NULL) {
			PQclear(*s->sent[i].out);
			*s->sent[i].out = NULL;
		}
	}
}

/* The answer to message m: *err gets the first error that counts. */
static int answer(struct pg_store *s, const struct pg_sent *m, int *err)
{
	PGresult *r = NULL;
	int rc = next_result(s, m->what, &r), st, ok;

	if (rc != OTP_OK)
		return rc;
	if (r == NULL)
		return pg_broken(s);
	st = PQresultStatus(r);
	if (m->sync || st == PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return m->sync && st == PGRES_PIPELINE_SYNC ? OTP_OK : pg_broken(s);
	}
	ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok && st != PGRES_FATAL_ERROR && st != PGRES_PIPELINE_ABORTED) {
		PQclear(r);
		return pg_broken(s);
	}
	if (m->prep >= 0 && !ok)
		s->prepared[m->prep] = 0;
	if (st == PGRES_FATAL_ERROR && *err == OTP_OK && !m->lenient)
		*err = pg_result_error(s, r, m->what);
	if (ok && m->out != NULL)
		*m->out = r;
	else
		PQclear(r);
	/* one result per statement, then NULL */
	rc = next_result(s, m->what, &r);
	if (rc == OTP_OK && r != NULL) {
		PQclear(r);
		rc = pg_broken(s);
	}
	return rc;
}

int pg_settle(struct pg_store *s)
{
	int err = OTP_OK, rc = OTP_OK;
	unsigned i;

	if (s->conn == NULL)
		return pg_fail(s, OTP_ESTORE, "not connected");
	if (!synced(s) && (rc = pg_push(s)) != OTP_OK)
		return rc;
	for (i = 0; i < s->nsent && rc == OTP_OK; i++)
		rc = answer(s, &s->sent[i], &err);
	if (rc != OTP_OK) {  /* the connection is gone, and with it what was sent */
		take_back(s, i);
		s->nsent = s->mark = 0;
		return rc;
	}
	if (err != OTP_OK)
		take_back(s, s->nsent);
	s->nsent = s->mark = 0;
	if (PQstatus(s->conn) == CONNECTION_BAD)
		pg_drop(s);
	return err;
}

/* Room for a Parse, a statement and a Sync; else the queue is read first. */
static int room(struct pg_store *s)
{
	return s->nsent + 3 <= PG_SENT_MAX ? OTP_OK : pg_settle(s);
}

/* Whether st reads the users table: a user row kept unwritten goes first. */
static int reads_users(enum pg_stmt st)
{
	return strstr(pg_stmts[st].sql, "pam_otp.users") != NULL;
}

static int failed(struct pg_txn *t, int rc)
{
	if (rc != OTP_OK)
		t->failed = 1;
	return rc;
}

int pg_queue(struct otp_txn *txn, enum pg_stmt st, const struct pg_params *p, PGresult **out,
	     const char *what)
{
	struct pg_store *s = pg_of(txn->st);
	struct pg_txn *t = pg_txn_of(txn);
	int rc;

	if (out != NULL)
		*out = NULL;
	if (t->failed || s->conn == NULL)
		return failed(t, pg_fail(s, OTP_ESTORE, "the transaction failed before"));
	if (t->row.dirty && reads_users(st) && (rc = pg_row_flush(txn)) != OTP_OK)
		return rc;
	rc = room(s);
	/* a read transaction's snapshot begins with its first read */
	if (rc == OTP_OK && !t->begun && !t->loose) {
		rc = send_stmt(s, PG_BEGIN_READ, NULL, NULL, "begin");
		t->begun = rc == OTP_OK;
	}
	if (rc == OTP_OK)
		rc = send_stmt(s, st, p, out, what);
	return failed(t, rc);
}

int pg_sync(struct otp_txn *txn)
{
	struct pg_store *s = pg_of(txn->st);
	struct pg_txn *t = pg_txn_of(txn);

	if (t->failed || s->conn == NULL)
		return failed(t, pg_fail(s, OTP_ESTORE, "the transaction failed before"));
	return failed(t, pg_settle(s));
}

int pg_run(struct otp_txn *txn, enum pg_stmt st, const struct pg_params *p, PGresult **res,
	   const char *what)
{
	int rc = pg_queue(txn, st, p, res, what);

	if (rc == OTP_OK)
		rc = pg_sync(txn);
	if (rc == OTP_OK)
		pg_txn_of(txn)->rows = pg_affected(*res);
	return rc;
}

int pg_send_end(struct pg_store *s, int rollback)
{
	int rc = OTP_OK;

	if (s->conn == NULL)
		return OTP_OK;
	/* ROLLBACK in a pipeline of its own: an error before it cannot skip it */
	if (!synced(s))
		rc = pg_push(s);
	if (rc == OTP_OK && rollback)
		rc = room(s);
	for (unsigned i = s->mark; rc == OTP_OK && i < s->nsent; i++)
		s->sent[i].lenient = 1;
	s->mark = s->nsent;
	if (rc == OTP_OK && rollback)
		rc = send_stmt(s, PG_ROLLBACK, NULL, NULL, "rollback");
	if (rc == OTP_OK && rollback)
		rc = pg_push(s);
	return rc;
}
