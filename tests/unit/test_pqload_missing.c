/*
 * A host without libpq (pqload.h): pqload.c built here with a library
 * name that is not installed. A PostgreSQL store then fails as a store or
 * configuration error that names the missing library, never as "out of
 * memory" and never with a crash; nothing is loaded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#define PQ_SONAME "libpq-not-installed.so.5"
#include "pqload.c"

#include "store.h"

static void load_fails_and_says_why(void **state)
{
	(void)state;
	assert_int_equal(otp_pq_load(), OTP_ESTORE);
	assert_non_null(strstr(otp_errdetail(), "libpq-not-installed.so.5: cannot be loaded"));
	/* tried again, not remembered as loaded */
	assert_int_equal(otp_pq_load(), OTP_ESTORE);
}

static void parse_gives_the_reason(void **state)
{
	char *err = NULL;

	(void)state;
	assert_null(PQconninfoParse("host=db1 dbname=otp", &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "libpq-not-installed.so.5: cannot be loaded"));
	PQfreemem(err);
	assert_null(PQconninfoParse("host=db1 dbname=otp", NULL));
}

static void connect_fails(void **state)
{
	static const char *const keys[] = { "host", NULL }, *const vals[] = { "db1", NULL };
	PGconn *c = PQconnectStartParams(keys, vals, 0);

	(void)state;
	assert_null(c);
	assert_int_equal(PQstatus(c), CONNECTION_BAD);
	PQfinish(c);
}

static void store_open_names_it(void **state)
{
	struct otp_store *st = NULL;
	int rc = otp_store_open("host=/nonexistent dbname=otp", 0, 0, &st);

	(void)state;
	assert_int_not_equal(rc, OTP_OK);
	assert_int_not_equal(rc, OTP_ENOMEM);
	assert_null(st);
	assert_non_null(strstr(otp_errdetail(), "libpq-not-installed.so.5: cannot be loaded"));
}

#define THREADS 8

static pthread_barrier_t start;

static void *load_one(void *arg)
{
	pthread_barrier_wait(&start);
	*(int *)arg = otp_pq_load();
	return NULL;
}

static void threads_fail_alike(void **state)
{
	pthread_t t[THREADS];
	int rc[THREADS];

	(void)state;
	assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, load_one, &rc[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(rc[i], OTP_ESTORE);
	}
	pthread_barrier_destroy(&start);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_fails_and_says_why),
		cmocka_unit_test(parse_gives_the_reason),
		cmocka_unit_test(connect_fails),
		cmocka_unit_test(store_open_names_it),
		cmocka_unit_test(threads_fail_alike),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
