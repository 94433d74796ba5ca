/*
 * store_pg_audit.c - the PostgreSQL engine's audit trail: (time, seq) ->
 * one record, in time order, and each record's landing order (store.h).
 *
 * An ordinary record is numbered from the sequence pam_otp.audit_seq and
 * keeps the id of the transaction that wrote it: appends never wait for
 * each other, and a reader that must not miss a record landing behind its
 * position reads by transaction id, only ids below the oldest transaction
 * still open (otp_audit_landed). Summary slots (flood.h) are read and
 * rewritten in place: a write transaction takes the lock of their minute
 * first, so two hosts counting the same source add up; a rewrite lands
 * again with its transaction's id. A schema of version 1 (before the
 * sequence) is still numbered its way, within each second under that
 * second's lock, until otpctl init upgrades it.
 */
#include "store_pg.h"
#include "audit.h"
#include "err.h"

#include <string.h>

#define AUDIT_PAGE 512
#define AUDIT_TRIES 8  /* numbers tried for one record */

/* The record's text fields, in the table's column order, with their sizes. */
#define EV_FIELDS 9
static void ev_fields(struct otp_audit_ev *ev, char *f[EV_FIELDS], size_t cap[EV_FIELDS])
{
	char *ff[EV_FIELDS] = { ev->event, ev->user, ev->service, ev->rhost, ev->tty,
				ev->device, ev->detail, ev->host, ev->actor };
	size_t cc[EV_FIELDS] = { sizeof(ev->event), sizeof(ev->user), sizeof(ev->service),
				 sizeof(ev->rhost), sizeof(ev->tty), sizeof(ev->device),
				 sizeof(ev->detail), sizeof(ev->host), sizeof(ev->actor) };

	memcpy(f, ff, sizeof(ff));
	memcpy(cap, cc, sizeof(cc));
}

static void ev_params(struct pg_params *p, struct otp_audit_ev *ev)
{
	char *f[EV_FIELDS];
	size_t cap[EV_FIELDS];

	ev_fields(ev, f, cap);
	for (int i = 0; i < EV_FIELDS; i++)
		pg_param_text(p, f[i]);
}

static int ev_ok(struct otp_audit_ev *ev)
{
	char *f[EV_FIELDS];
	size_t cap[EV_FIELDS];

	ev_fields(ev, f, cap);
	for (int i = 0; i < EV_FIELDS; i++) {
		if (otp_text_problem(f[i], NULL) != NULL)
			return 0;
	}
	return 1;
}

static int ev_from(const PGresult *r, int row, struct otp_audit_ev *ev)
{
	uint64_t seq = 0;
	char *f[EV_FIELDS];
	size_t cap[EV_FIELDS];

	memset(ev, 0, sizeof(*ev));
	ev_fields(ev, f, cap);
	if (pg_get_u64(r, row, 0, &ev->time) != OTP_OK || pg_get_u64(r, row, 1, &seq) != OTP_OK ||
	    seq > UINT32_MAX)
		return OTP_ECORRUPT;
	ev->seq = (uint32_t)seq;
	for (int i = 0; i < EV_FIELDS; i++) {
		if (pg_get_text(r, row, 2 + i, f[i], cap[i]) != OTP_OK)
			return OTP_ECORRUPT;
	}
	return OTP_OK;
}

/* A summary slot's minute locked, in a write transaction. */
static int lock_slot(struct otp_txn *txn, uint64_t time, uint32_t seq)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc;

	if (!pg_txn_of(txn)->write || seq < OTP_AUDIT_SEQ_SUMMARY)
		return OTP_OK;
	pg_param_u64(&p, time);
	rc = pg_run(txn, PG_LOCK_MINUTE, &p, &r, "audit");
	PQclear(r);
	return rc;
}

/* Schema version 1: numbered after every record of its second, under
 * that second's lock held to the commit. */
static int insert_v1(struct otp_txn *txn, struct otp_audit_ev *ev, PGresult **r)
{
	struct pg_params p = { 0 };
	int rc;

	pg_param_u64(&p, ev->time);
	rc = pg_run(txn, PG_LOCK_SECOND, &p, r, "audit");
	PQclear(*r);
	*r = NULL;
	if (rc != OTP_OK)
		return rc;
	ev_params(&p, ev);
	return pg_run(txn, PG_AUDIT_INSERT_V1, &p, r, "audit");
}

int pg_audit_insert(struct otp_txn *txn, struct otp_audit_ev *ev)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	uint64_t seq = 0;
	int rc;

	if (!ev_ok(ev))
		return otp_seterr(OTP_EINVAL, "audit record does not encode");
	pg_param_u64(&p, ev->time);
	ev_params(&p, ev);
	/* a number taken by a record written at its place (migrate, an older
	 * schema) or one of the sequence's past cycles: go above every number
	 * of the second (again if a writer beside took that one first) */
	for (int tries = 0; tries < AUDIT_TRIES; tries++) {
		if (pg_of(txn->st)->schema < 2) {
			rc = insert_v1(txn, ev, &r);
			break;
		}
		rc = pg_run(txn, tries == 0 ? PG_AUDIT_INSERT : PG_AUDIT_INSERT_ABOVE, &p, &r,
			    "audit");
		if (rc != OTP_OK || PQntuples(r) == 1)
			break;
		PQclear(r);
		r = NULL;
	}
	if (rc == OTP_OK && (PQntuples(r) != 1 || pg_get_u64(r, 0, 0, &seq) != OTP_OK ||
			     seq >= OTP_AUDIT_SEQ_SUMMARY))
		rc = otp_seterr(OTP_ESTORE, "%s: audit: no free sequence number in second %llu",
				txn->st->name, (unsigned long long)ev->time);
	if (rc == OTP_OK)
		ev->seq = (uint32_t)seq;
	PQclear(r);
	return rc;
}

/*
 * A record written at its place may come from an older store (migrate)
 * whose fields were kept raw: a field that is not clean text is stored
 * cleaned (textsafe.h), as every output would show it, never refused.
 */
static void clean_fields(struct otp_audit_ev *ev)
{
	char buf[OTP_AUDIT_FIELD_MAX + 1];
	char *f[EV_FIELDS];
	size_t cap[EV_FIELDS];

	ev_fields(ev, f, cap);
	for (int i = 0; i < EV_FIELDS; i++) {
		if (otp_text_problem(f[i], NULL) == NULL)
			continue;
		otp_text_clean(buf, cap[i] < sizeof(buf) ? cap[i] : sizeof(buf), f[i]);
		memcpy(f[i], buf, strlen(buf) + 1);
	}
}

int pg_audit_write_at(struct otp_txn *txn, const struct otp_audit_ev *in)
{
	struct pg_params p = { 0 };
	struct otp_audit_ev copy = *in, *ev = &copy;
	PGresult *r = NULL;
	int rc;

	clean_fields(ev);
	rc = lock_slot(txn, ev->time, ev->seq);
	if (rc != OTP_OK)
		return rc;
	pg_param_u64(&p, ev->time);
	pg_param_u64(&p, ev->seq);
	ev_params(&p, ev);
	rc = pg_run(txn, pg_of(txn->st)->schema < 2 ? PG_AUDIT_PUT_V1 : PG_AUDIT_PUT, &p, &r,
		    "audit");
	PQclear(r);
	return rc;
}

int pg_audit_get_at(struct otp_txn *txn, uint64_t time, uint32_t seq, struct otp_audit_ev *ev)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc = lock_slot(txn, time, seq);

	if (rc != OTP_OK)
		return rc;
	pg_param_u64(&p, time);
	pg_param_u64(&p, seq);
	rc = pg_run(txn, PG_AUDIT_GET, &p, &r, "audit");
	if (rc == OTP_OK && PQntuples(r) == 0)
		rc = OTP_ENOTFOUND;
	if (rc == OTP_OK && ev_from(r, 0, ev) != OTP_OK)
		rc = otp_seterr(OTP_ECORRUPT, "corrupt audit record");
	PQclear(r);
	return rc;
}

/* The key after (or before) (time, seq); 0 when there is none. */
static int step(uint64_t *time, uint32_t *seq, int backward)
{
	if (!backward) {
		if (*seq < UINT32_MAX) {
			(*seq)++;
			return 1;
		}
		if (*time == UINT64_MAX)
			return 0;
		(*time)++;
		*seq = 0;
		return 1;
	}
	if (*seq > 0) {
		(*seq)--;
		return 1;
	}
	if (*time == 0)
		return 0;
	(*time)--;
	*seq = UINT32_MAX;
	return 1;
}

int pg_audit_each(struct otp_txn *txn, uint64_t time, uint32_t seq, int backward,
		  int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg)
{
	static __thread struct otp_audit_ev ev;
	int rc, rows, more = 1;

	/* bigint keys: times past INT64_MAX would read as negative */
	if (time > INT64_MAX)
		time = INT64_MAX;
	do {
		struct pg_params p = { 0 };
		PGresult *r = NULL;

		pg_param_u64(&p, time);
		pg_param_u64(&p, seq);
		rc = pg_run(txn, backward ? PG_AUDIT_BACK : PG_AUDIT_FWD, &p, &r, "audit");
		rows = rc == OTP_OK ? PQntuples(r) : 0;
		for (int i = 0; i < rows && rc == OTP_OK; i++) {
			int ok = ev_from(r, i, &ev) == OTP_OK;

			if (ok) {
				time = ev.time;
				seq = ev.seq;
			}
			rc = fn(ok ? &ev : NULL, arg);
		}
		PQclear(r);
		if (rows > 0)
			more = step(&time, &seq, backward);
	} while (rc == OTP_OK && rows == AUDIT_PAGE && more);
	return rc == OTP_EACH_STOP ? OTP_OK : rc;
}

int pg_audit_prune(struct otp_txn *txn, uint64_t before, unsigned max)
{
	struct pg_params p = { 0 };
	PGresult *r = NULL;
	int rc;

	if (before == 0 || max == 0)
		return OTP_OK;
	pg_param_u64(&p, before);
	pg_param_u64(&p, max);
	rc = pg_run(txn, PG_AUDIT_PRUNE, &p, &r, "audit");
	PQclear(r);
	return rc;
}

int pg_has_landing(const struct otp_store *st)
{
	return ((const struct pg_store *)st)->schema >= 2;
}

int pg_audit_landed(struct otp_txn *txn, struct otp_audit_mark *mark,
		    int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg)
{
	static __thread struct otp_audit_ev ev;
	int rc, rows;

	do {
		struct pg_params p = { 0 };
		PGresult *r = NULL;

		pg_param_u64(&p, mark->xid);
		pg_param_u64(&p, mark->time);
		pg_param_u64(&p, mark->seq);
		rc = pg_run(txn, PG_AUDIT_LANDED, &p, &r, "audit");
		rows = rc == OTP_OK ? PQntuples(r) : 0;
		for (int i = 0; i < rows && rc == OTP_OK; i++) {
			uint64_t xid, time, seq;

			/* the key moves the mark even when the rest does not decode */
			if (pg_get_u64(r, i, 2 + EV_FIELDS, &xid) != OTP_OK ||
			    pg_get_u64(r, i, 0, &time) != OTP_OK ||
			    pg_get_u64(r, i, 1, &seq) != OTP_OK || seq > UINT32_MAX) {
				rc = otp_seterr(OTP_ECORRUPT, "%s: audit: a record without its key",
						txn->st->name);
				break;
			}
			*mark = (struct otp_audit_mark){ xid, time, (uint32_t)seq };
			rc = fn(ev_from(r, i, &ev) == OTP_OK ? &ev : NULL, arg);
		}
		PQclear(r);
	} while (rc == OTP_OK && rows == AUDIT_PAGE);
	return rc == OTP_EACH_STOP ? OTP_OK : rc;
}
