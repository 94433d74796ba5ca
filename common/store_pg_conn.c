/*
 * store_pg_conn.c - the PostgreSQL engine's connection: connecting, the
 * session's setup and the schema's queries (several statements in one
 * string, before the pipeline: store_pg_pipe.c), within the store's
 * timeout whatever the server does.
 *
 * libpq's own waits are unbounded once connected (statement_timeout is the
 * server's: a server that stops answering, or a network that drops
 * packets, would hang sshd), so every exchange is sent asynchronously and
 * awaited with poll() against a deadline; a connection that missed it is
 * closed (the server rolls back what it had) and made again later.
 */
#include "store_pg.h"
#include "err.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double pg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pg_wait_fd(int fd, int for_write, double deadline)
{
	struct pollfd p = { .fd = fd, .events = for_write ? POLLOUT : POLLIN };

	for (;;) {
		double left = deadline - pg_now();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return 1;
		if (rc == 0)
			continue;  /* the loop looks at the clock */
		if (errno != EINTR)
			return -1;
	}
}

/* The first line of a libpq message, without its "FATAL:  " and the like. */
static void first_line(const char *msg, char *out, size_t cap)
{
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	n = strcspn(msg, "\n");
	snprintf(out, cap, "%.*s", (int)n, msg);
}

/* "PostgreSQL HOST:PORT/DB", for every message about s. */
static void describe(struct pg_store *s)
{
	const char *h = s->conn ? PQhost(s->conn) : NULL;
	const char *p = s->conn ? PQport(s->conn) : NULL;
	const char *d = s->conn ? PQdb(s->conn) : NULL;

	snprintf(s->base.name, sizeof(s->base.name), "PostgreSQL %s:%s/%s",
		 h && *h ? h : "(default)", p && *p ? p : "5432", d && *d ? d : "(default)");
}

int pg_fail(struct pg_store *s, int err, const char *problem)
{
	return otp_seterr(err, "%s: %s", s->base.name, problem);
}

void pg_drop(struct pg_store *s)
{
	PQfinish(s->conn);
	s->conn = NULL;
	s->nsent = s->mark = 0;  /* no answer will come */
}

static int drop_conn(struct pg_store *s, int err, const char *problem)
{
	int rc = pg_fail(s, err, problem);

	pg_drop(s);
	return rc;
}

int pg_broken(struct pg_store *s)
{
	char msg[256];

	first_line(PQerrorMessage(s->conn), msg, sizeof(msg));
	return drop_conn(s, OTP_ESTORE, msg);
}

int pg_timed_out(struct pg_store *s, const char *what)
{
	char msg[320];

	snprintf(msg, sizeof(msg), "%s: timed out after %u s", what, s->timeout);
	return drop_conn(s, OTP_ESTORE, msg);
}

/* Poll libpq's connection state machine to the end, or to the deadline. */
static int connect_poll(struct pg_store *s, double deadline)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	char msg[256];

	while (st != PGRES_POLLING_OK) {
		int ready;

		if (st == PGRES_POLLING_FAILED) {
			describe(s);
			return pg_broken(s);
		}
		ready = pg_wait_fd(PQsocket(s->conn), st == PGRES_POLLING_WRITING, deadline);
		if (ready <= 0) {
			describe(s);
			snprintf(msg, sizeof(msg), "could not connect within %u s", s->timeout);
			return drop_conn(s, OTP_ESTORE, msg);
		}
		st = PQconnectPoll(s->conn);
	}
	describe(s);
	return PQsetnonblocking(s->conn, 1) == 0 ? OTP_OK :
	       drop_conn(s, OTP_ESTORE, "could not make the connection non-blocking");
}

/* Statement timeout, and no transaction left idle longer than a login may take. */
static int session_setup(struct pg_store *s)
{
	char sql[320], msg[64];
	PGresult *r = NULL;
	int rc;

	snprintf(sql, sizeof(sql),
		 "SET statement_timeout = %u; SET idle_in_transaction_session_timeout = %u; "
		 "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'",
		 s->timeout * 1000, s->timeout * 2000);
	rc = pg_exec_simple(s, sql, &r, "session setup");
	if (rc != OTP_OK)
		return rc;
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		PQclear(r);
		snprintf(msg, sizeof(msg), "server is read-only (a standby?)");
		return drop_conn(s, OTP_ESTORE, msg);
	}
	PQclear(r);
	memset(s->prepared, 0, sizeof(s->prepared));
	return OTP_OK;
}

int pg_connect(struct pg_store *s)
{
	char tmo[16];
	const char *keys[] = { "dbname", "connect_timeout", "client_encoding",
			       "fallback_application_name", NULL };
	const char *vals[] = { s->spec, tmo, "UTF8", "pam_otp", NULL };
	int rc;

	pg_drop(s);
	/* libpq takes at least 2 s; our own deadline below is the bound */
	snprintf(tmo, sizeof(tmo), "%u", s->timeout < 2 ? 2 : s->timeout);
	s->conn = PQconnectStartParams(keys, vals, 1);
	if (s->conn == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	if (PQstatus(s->conn) == CONNECTION_BAD) {
		describe(s);
		return pg_broken(s);
	}
	rc = connect_poll(s, pg_now() + s->timeout);
	return rc == OTP_OK ? session_setup(s) : rc;
}

int pg_result_error(struct pg_store *s, const PGresult *r, const char *what)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *prim = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	char msg[320];

	if (state != NULL && strcmp(state, "57014") == 0)
		snprintf(msg, sizeof(msg), "%s: timed out after %u s", what, s->timeout);
	else if (state != NULL && strcmp(state, "25006") == 0)
		snprintf(msg, sizeof(msg), "%s: server is read-only (a standby?)", what);
	else if (state != NULL && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0))
		snprintf(msg, sizeof(msg), "%s: schema pam_otp is missing: run otpctl init", what);
	else if (prim != NULL)
		snprintf(msg, sizeof(msg), "%s: %s", what, prim);
	else {
		char line[256];

		first_line(PQresultErrorMessage(r), line, sizeof(line));
		snprintf(msg, sizeof(msg), "%s: %s", what, line);
	}
	return pg_fail(s, OTP_ESTORE, msg);
}

/*
 * Await every result of a simple query; keep the last (or the first
 * error). On the deadline, or a broken connection, the connection is
 * dropped.
 */
static int collect(struct pg_store *s, PGresult **out, const char *what)
{
	double deadline = pg_now() + s->timeout + 0.5;
	PGresult *keep = NULL, *r;
	int f;

	while ((f = PQflush(s->conn)) == 1) {
		if (pg_wait_fd(PQsocket(s->conn), 1, deadline) <= 0)
			goto timeout;
	}
	if (f < 0)
		goto broken;
	for (;;) {
		while (PQisBusy(s->conn)) {
			int ready = pg_wait_fd(PQsocket(s->conn), 0, deadline);

			if (ready == 0)
				goto timeout;
			if (ready < 0 || !PQconsumeInput(s->conn))
				goto broken;
		}
		r = PQgetResult(s->conn);
		if (r == NULL)
			break;
		if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);  /* the first error is the cause */
			continue;
		}
		PQclear(keep);
		keep = r;
	}
	if (keep == NULL)
		goto broken;
	f = PQresultStatus(keep);
	if (f != PGRES_COMMAND_OK && f != PGRES_TUPLES_OK) {
		int rc = pg_result_error(s, keep, what);

		PQclear(keep);
		if (PQstatus(s->conn) == CONNECTION_BAD)
			pg_drop(s);
		return rc;
	}
	*out = keep;
	return OTP_OK;
timeout:
	PQclear(keep);
	return pg_timed_out(s, what);
broken:
	PQclear(keep);
	return pg_broken(s);
}

int pg_exec_simple(struct pg_store *s, const char *sql, PGresult **res, const char *what)
{
	PGresult *r = NULL;
	int rc;

	if (s->conn == NULL)
		return pg_fail(s, OTP_ESTORE, "not connected");
	/* several statements in one string: not in pipeline mode */
	if (PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF) {
		rc = pg_settle(s);
		if (rc != OTP_OK)
			return rc;
		if (!PQexitPipelineMode(s->conn))
			return pg_broken(s);
	}
	if (!PQsendQuery(s->conn, sql))
		return pg_broken(s);
	rc = collect(s, &r, what);
	if (rc == OTP_OK && res != NULL)
		*res = r;
	else
		PQclear(r);
	return rc;
}

void pg_param_text(struct pg_params *p, const char *v)
{
	p->val[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

void pg_param_i64(struct pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
	pg_param_text(p, p->num[p->n]);
}

void pg_param_u64(struct pg_params *p, uint64_t v)
{
	pg_param_i64(p, (int64_t)v);
}

void pg_param_bytes(struct pg_params *p, const void *b, size_t n)
{
	p->val[p->n] = b;
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

int pg_get_u64(const PGresult *r, int row, int col, uint64_t *v)
{
	const unsigned char *b = (const unsigned char *)PQgetvalue(r, row, col);
	uint64_t x = 0;

	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
		return OTP_ECORRUPT;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	*v = x;
	return OTP_OK;
}

int pg_get_text(const PGresult *r, int row, int col, char *buf, size_t cap)
{
	int n = PQgetlength(r, row, col);

	if (PQgetisnull(r, row, col) || n < 0 || (size_t)n >= cap)
		return OTP_ECORRUPT;
	memcpy(buf, PQgetvalue(r, row, col), (size_t)n);
	buf[n] = '\0';
	return strlen(buf) == (size_t)n ? OTP_OK : OTP_ECORRUPT;
}

int pg_get_bytes(const PGresult *r, int row, int col, uint8_t *buf, size_t cap, size_t *len)
{
	int n = PQgetlength(r, row, col);

	if (PQgetisnull(r, row, col) || n < 0 || (size_t)n > cap)
		return OTP_ECORRUPT;
	memcpy(buf, PQgetvalue(r, row, col), (size_t)n);
	*len = (size_t)n;
	return OTP_OK;
}

unsigned pg_affected(const PGresult *r)
{
	const char *t = PQcmdTuples((PGresult *)r);

	return t && *t ? (unsigned)strtoul(t, NULL, 10) : 0;
}
