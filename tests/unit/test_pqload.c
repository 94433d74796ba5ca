/*
 * libpq loaded on first use (pqload.h): an LMDB store, and libpq calls on
 * objects libpq never made, leave it unloaded; the first conninfo parse
 * or connection loads it, once, from any number of threads at once; then
 * libotp's libpq functions are libpq's own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "pqload.h"
#include "store.h"

static int libpq_loaded(void)
{
	void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_NOLOAD);

	if (h == NULL)
		return 0;
	dlclose(h);
	return 1;
}

/* Runs first: nothing before it in this process touched a PostgreSQL store. */
static void lmdb_store_leaves_it_unloaded(void **state)
{
	char dir[] = "/tmp/otp-pqload-XXXXXX", path[64], cmd[96];
	struct otp_store *st = NULL;
	struct otp_txn *txn = NULL;

	(void)state;
	assert_false(libpq_loaded());
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store", dir);
	assert_int_equal(otp_store_open(path, 0, OTP_STORE_CREATE, &st), OTP_OK);
	assert_int_equal(otp_txn_begin(st, 1, &txn), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	otp_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_false(libpq_loaded());
}

static void null_objects_leave_it_unloaded(void **state)
{
	(void)state;
	PQfinish(NULL);
	PQclear(NULL);
	PQfreemem(NULL);
	PQconninfoFree(NULL);
	/* what libpq itself answers for NULL */
	assert_int_equal(PQstatus(NULL), CONNECTION_BAD);
	assert_int_equal(PQsocket(NULL), -1);
	assert_int_equal(PQresultStatus(NULL), PGRES_FATAL_ERROR);
	assert_int_equal(PQntuples(NULL), 0);
	assert_null(PQgetvalue(NULL, 0, 0));
	assert_non_null(PQerrorMessage(NULL));
	assert_int_equal(PQsendQuery(NULL, "SELECT 1"), 0);
	assert_false(libpq_loaded());
}

#define THREADS 8

static pthread_barrier_t start;

static void *load_one(void *arg)
{
	pthread_barrier_wait(&start);
	*(int *)arg = otp_pq_load();
	return NULL;
}

static void threads_load_it_once(void **state)
{
	pthread_t t[THREADS];
	int rc[THREADS];

	(void)state;
	assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, load_one, &rc[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(rc[i], OTP_OK);
	}
	pthread_barrier_destroy(&start);
	assert_true(libpq_loaded());
	assert_int_equal(otp_pq_load(), OTP_OK);
}

static void parse_is_libpqs(void **state)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse("host=db1 port=5433 dbname=otp", &err);
	int seen = 0;

	(void)state;
	assert_non_null(opts);
	assert_null(err);
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			seen += o->val && strcmp(o->val, "db1") == 0;
		if (strcmp(o->keyword, "port") == 0)
			seen += o->val && strcmp(o->val, "5433") == 0;
	}
	assert_int_equal(seen, 2);
	PQconninfoFree(opts);
	/* a malformed conninfo: libpq's own message */
	assert_null(PQconninfoParse("host", &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "host"));
	PQfreemem(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lmdb_store_leaves_it_unloaded),
		cmocka_unit_test(null_objects_leave_it_unloaded),
		cmocka_unit_test(threads_load_it_once),
		cmocka_unit_test(parse_is_libpqs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
