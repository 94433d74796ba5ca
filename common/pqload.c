/*
 * pqload.c - libpq, loaded the first time a PostgreSQL store needs it
 * (pqload.h says why). The two calls that begin every use of libpq, a
 * conninfo parse and a connection, load it; every other call takes an
 * object that only a loaded libpq can have made, so it never loads it and,
 * when it is not loaded, answers as libpq does for a NULL object.
 */
#include "pqload.h"
#include "err.h"

#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifndef PQ_SONAME  /* a test builds this file with a name that is not there */
#define PQ_SONAME "libpq.so.5"
#endif

/* Every libpq function libotp calls; a new one must be added here too. */
#define PQ_FUNCTIONS(X)                                                    \
	X(PQclear) X(PQcmdStatus) X(PQcmdTuples) X(PQconnectPoll)          \
	X(PQconnectStartParams) X(PQconninfoFree) X(PQconninfoParse)       \
	X(PQconsumeInput) X(PQdb) X(PQenterPipelineMode) X(PQerrorMessage) \
	X(PQexitPipelineMode) X(PQfinish) X(PQflush)                       \
	X(PQfreemem) X(PQgetResult) X(PQgetisnull) X(PQgetlength)         \
	X(PQgetvalue) X(PQhost) X(PQisBusy) X(PQntuples)                  \
	X(PQpipelineStatus) X(PQpipelineSync) X(PQport)                    \
	X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus)    \
	X(PQsendPrepare) X(PQsendQuery) X(PQsendQueryPrepared)             \
	X(PQsetnonblocking) X(PQsocket) X(PQstatus) X(PQtransactionStatus)

/* Typed by <libpq-fe.h>: a wrapper below that disagrees does not compile. */
struct pq_fns {
#define PQ_MEMBER(f) __typeof__(f) *f;
	PQ_FUNCTIONS(PQ_MEMBER)
#undef PQ_MEMBER
};

static struct pq_fns fns;
static _Atomic(const struct pq_fns *) loaded;  /* &fns once all are found */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static int load_locked(void)
{
	struct pq_fns t;
	const char *missing = NULL;
	void *h = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		const char *why = dlerror();

		return otp_seterr(OTP_ESTORE, "%s: cannot be loaded (%.200s)", PQ_SONAME,
				  why ? why : "unknown reason");
	}
	/* dlsym's object pointer into a function pointer, as POSIX allows */
#define PQ_LOOK(f)                                                 \
	if (missing == NULL && (*(void **)&t.f = dlsym(h, #f)) == NULL) \
		missing = #f;
	PQ_FUNCTIONS(PQ_LOOK)
#undef PQ_LOOK
	if (missing != NULL) {
		dlclose(h);
		return otp_seterr(OTP_ESTORE, "%s: no %s in it", PQ_SONAME, missing);
	}
	fns = t;
	atomic_store_explicit(&loaded, &fns, memory_order_release);
	return OTP_OK;
}

int otp_pq_load(void)
{
	int rc = OTP_OK;

	if (atomic_load_explicit(&loaded, memory_order_acquire) != NULL)
		return OTP_OK;
	pthread_mutex_lock(&load_lock);
	if (atomic_load_explicit(&loaded, memory_order_relaxed) == NULL)
		rc = load_locked();
	pthread_mutex_unlock(&load_lock);
	return rc;
}

/* libpq if loaded, without loading it. */
static const struct pq_fns *have(void)
{
	return atomic_load_explicit(&loaded, memory_order_acquire);
}

/* libpq, loaded if need be; NULL when it cannot be. */
static const struct pq_fns *need(void)
{
	return otp_pq_load() == OTP_OK ? have() : NULL;
}

#define PQ_RETURN(get, f, fail, ...)                            \
	do {                                                    \
		const struct pq_fns *t_ = get();                \
		return t_ != NULL ? t_->f(__VA_ARGS__) : (fail); \
	} while (0)
#define PQ_DO(f, ...)                           \
	do {                                    \
		const struct pq_fns *t_ = have(); \
		if (t_ != NULL)                 \
			t_->f(__VA_ARGS__);     \
	} while (0)

/* The two ways in: they load libpq. */

PGconn *PQconnectStartParams(const char *const *keywords, const char *const *values,
			     int expand_dbname)
{
	PQ_RETURN(need, PQconnectStartParams, NULL, keywords, values, expand_dbname);
}

/* Without libpq, its message says why (every spec is parsed before any
 * connection is made, so this is where a missing libpq shows). */
PQconninfoOption *PQconninfoParse(const char *conninfo, char **errmsg)
{
	const struct pq_fns *t = need();

	if (t != NULL)
		return t->PQconninfoParse(conninfo, errmsg);
	if (errmsg != NULL)
		*errmsg = strdup(otp_errdetail());
	return NULL;
}

/* The rest: what libpq answers for a NULL object when it is not loaded. */

PostgresPollingStatusType PQconnectPoll(PGconn *conn)
{
	PQ_RETURN(have, PQconnectPoll, PGRES_POLLING_FAILED, conn);
}

void PQfinish(PGconn *conn)
{
	PQ_DO(PQfinish, conn);
}

void PQconninfoFree(PQconninfoOption *connOptions)
{
	PQ_DO(PQconninfoFree, connOptions);
}

void PQclear(PGresult *res)
{
	PQ_DO(PQclear, res);
}

/* libpq's is free(): ours frees the message PQconninfoParse made without it. */
void PQfreemem(void *ptr)
{
	const struct pq_fns *t = have();

	if (t != NULL)
		t->PQfreemem(ptr);
	else
		free(ptr);
}

char *PQdb(const PGconn *conn)
{
	PQ_RETURN(have, PQdb, NULL, conn);
}

char *PQhost(const PGconn *conn)
{
	PQ_RETURN(have, PQhost, NULL, conn);
}

char *PQport(const PGconn *conn)
{
	PQ_RETURN(have, PQport, NULL, conn);
}

ConnStatusType PQstatus(const PGconn *conn)
{
	PQ_RETURN(have, PQstatus, CONNECTION_BAD, conn);
}

PGTransactionStatusType PQtransactionStatus(const PGconn *conn)
{
	PQ_RETURN(have, PQtransactionStatus, PQTRANS_UNKNOWN, conn);
}

char *PQerrorMessage(const PGconn *conn)
{
	PQ_RETURN(have, PQerrorMessage, (char *)"", conn);
}

int PQsocket(const PGconn *conn)
{
	PQ_RETURN(have, PQsocket, -1, conn);
}

int PQsendQuery(PGconn *conn, const char *query)
{
	PQ_RETURN(have, PQsendQuery, 0, conn, query);
}

int PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
		  const Oid *paramTypes)
{
	PQ_RETURN(have, PQsendPrepare, 0, conn, stmtName, query, nParams, paramTypes);
}

int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams,
			const char *const *paramValues, const int *paramLengths,
			const int *paramFormats, int resultFormat)
{
	PQ_RETURN(have, PQsendQueryPrepared, 0, conn, stmtName, nParams, paramValues,
		  paramLengths, paramFormats, resultFormat);
}

PGresult *PQgetResult(PGconn *conn)
{
	PQ_RETURN(have, PQgetResult, NULL, conn);
}

int PQisBusy(PGconn *conn)
{
	PQ_RETURN(have, PQisBusy, 0, conn);
}

int PQconsumeInput(PGconn *conn)
{
	PQ_RETURN(have, PQconsumeInput, 0, conn);
}

int PQsetnonblocking(PGconn *conn, int arg)
{
	PQ_RETURN(have, PQsetnonblocking, -1, conn, arg);
}

int PQflush(PGconn *conn)
{
	PQ_RETURN(have, PQflush, -1, conn);
}

int PQenterPipelineMode(PGconn *conn)
{
	PQ_RETURN(have, PQenterPipelineMode, 0, conn);
}

int PQexitPipelineMode(PGconn *conn)
{
	PQ_RETURN(have, PQexitPipelineMode, 0, conn);
}

PGpipelineStatus PQpipelineStatus(const PGconn *conn)
{
	PQ_RETURN(have, PQpipelineStatus, PQ_PIPELINE_OFF, conn);
}

int PQpipelineSync(PGconn *conn)
{
	PQ_RETURN(have, PQpipelineSync, 0, conn);
}

ExecStatusType PQresultStatus(const PGresult *res)
{
	PQ_RETURN(have, PQresultStatus, PGRES_FATAL_ERROR, res);
}

char *PQresultErrorMessage(const PGresult *res)
{
	PQ_RETURN(have, PQresultErrorMessage, (char *)"", res);
}

char *PQresultErrorField(const PGresult *res, int fieldcode)
{
	PQ_RETURN(have, PQresultErrorField, NULL, res, fieldcode);
}

int PQntuples(const PGresult *res)
{
	PQ_RETURN(have, PQntuples, 0, res);
}

char *PQcmdStatus(PGresult *res)
{
	PQ_RETURN(have, PQcmdStatus, NULL, res);
}

char *PQcmdTuples(PGresult *res)
{
	PQ_RETURN(have, PQcmdTuples, (char *)"", res);
}

char *PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
	PQ_RETURN(have, PQgetvalue, NULL, res, tup_num, field_num);
}

int PQgetlength(const PGresult *res, int tup_num, int field_num)
{
	PQ_RETURN(have, PQgetlength, 0, res, tup_num, field_num);
}

int PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
	PQ_RETURN(have, PQgetisnull, 1, res, tup_num, field_num);
}
