/*
 * bench - the in-process side of the benchmarks (bench/run.sh drives it).
 *   bench login N U SERVICE:START:R...   logins through libpam, in this
 *       process, the services interleaved (one login of each in turn):
 *       R logins each, user k of U spread over N ("u%07d", index k*N/U),
 *       HOTP code for counter START + r/U (RFC 4226 key); prints a line
 *       "SERVICE ok fail median_us p90_us" for each
 *   bench parallel SERVICE N U R START P   P processes, each R logins on
 *       its own U/P users; prints "logins failed seconds logins_per_s"
 *   bench threads SERVICE N U R START T   the same with T threads of one
 *       process (a threaded PAM host: the module loaded once, its store
 *       handle shared); prints "logins failed seconds logins_per_s"
 *   bench lmdb DIR R     R bare LMDB write transactions (one put, fsync'd
 *       commit): the floor for a durable login; prints "median_us p90_us"
 * Codes are computed in process (OpenSSL HMAC), outside the timed region.
 */
#include <lmdb.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/concurrency/pamhost.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int one_login(const char *service, const char *user, char *answer)
{
	struct pam_conv c = { pamhost_conv, answer };
	pam_handle_t *h = NULL;
	int rc;

	if (pam_start(service, user, &c, &h) != PAM_SUCCESS)
		return -1;
	rc = pam_authenticate(h, 0);
	pam_end(h, rc);
	return rc == PAM_SUCCESS ? 0 : -1;
}

/* Logins r = first..first+count-1 of the sequence; latencies into lat. */
static int run(const char *service, long n, long u, long r0, long count, long start,
	       long ustep0, long ustride, double *lat)
{
	char user[32], answer[16];
	int fail = 0;

	for (long r = r0; r < r0 + count; r++) {
		long k = ustep0 + (r % u) * ustride;
		double t;

		snprintf(user, sizeof(user), "u%07ld", k * (n / (u * ustride)));
		pamhost_hotp((uint64_t)(start + r / u), answer);
		t = now_us();
		fail += one_login(service, user, answer) != 0;
		if (lat != NULL)
			lat[r - r0] = now_us() - t;
	}
	return fail;
}

struct svc {
	char name[64];
	long start, r;
	double *lat;
	int fail;
};

static int parse_svc(const char *arg, struct svc *v)
{
	memset(v, 0, sizeof(*v));
	if (sscanf(arg, "%63[^:]:%ld:%ld", v->name, &v->start, &v->r) != 3 || v->r < 1)
		return -1;
	v->lat = calloc((size_t)v->r, sizeof(double));
	return v->lat == NULL ? -1 : 0;
}

static int cmd_login(int argc, char **a)
{
	long n = atol(a[0]), u = atol(a[1]), most = 0;
	int nv = argc - 2;
	struct svc *v = calloc((size_t)nv, sizeof(*v));

	for (int i = 0; i < nv; i++) {
		if (v == NULL || parse_svc(a[i + 2], &v[i]) != 0)
			return 2;
		most = v[i].r > most ? v[i].r : most;
	}
	for (long r = 0; r < most; r++) {
		for (int i = 0; i < nv; i++) {
			if (r < v[i].r)
				v[i].fail += run(v[i].name, n, u, r, 1, v[i].start, 0, 1, &v[i].lat[r]);
		}
	}
	for (int i = 0; i < nv; i++) {
		qsort(v[i].lat, (size_t)v[i].r, sizeof(double), cmp);
		printf("%s %ld %d %.0f %.0f\n", v[i].name, v[i].r - v[i].fail, v[i].fail,
		       v[i].lat[v[i].r / 2], v[i].lat[v[i].r * 9 / 10]);
		free(v[i].lat);
	}
	free(v);
	return 0;
}

static int cmd_parallel(char **a)
{
	long n = atol(a[1]), u = atol(a[2]), r = atol(a[3]), start = atol(a[4]), p = atol(a[5]);
	int fail = 0, status;
	double t = now_us();

	for (long i = 0; i < p; i++) {
		if (fork() == 0) {  /* child i: users i, i+p, i+2p, ... of the u */
			int f = run(a[0], n, u / p, 0, r, start, i, p, NULL);

			_exit(f > 254 ? 254 : f);  /* its failed logins; 255: crashed */
		}
	}
	while (wait(&status) > 0)
		fail += WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	t = (now_us() - t) / 1e6;
	printf("%ld %d %.3f %.0f\n", p * r, fail, t, (double)(p * r) / t);
	return 0;
}

struct worker {
	const char *service;
	long n, u, r, start, i, p;
	int fail;
	pthread_t id;
};

static void *worker(void *arg)
{
	struct worker *w = arg;

	/* as a process of cmd_parallel: users i, i+p, i+2p, ... of the u */
	w->fail = run(w->service, w->n, w->u / w->p, 0, w->r, w->start, w->i, w->p, NULL);
	return NULL;
}

static int cmd_threads(char **a)
{
	long p = atol(a[5]);
	struct worker *w = calloc((size_t)(p > 0 ? p : 1), sizeof(*w));
	int fail = 0;
	double t;

	if (w == NULL || p < 1)
		return 2;
	/* one login first (a name no store knows): the module loaded and its
	 * store open, as in a host that has been running for a while */
	(void)one_login(a[0], "bench-warm-up", "000000");
	t = now_us();
	for (long i = 0; i < p; i++) {
		w[i] = (struct worker){ a[0], atol(a[1]), atol(a[2]), atol(a[3]), atol(a[4]), i, p,
					0, 0 };
		if (pthread_create(&w[i].id, NULL, worker, &w[i]) != 0)
			return 2;
	}
	for (long i = 0; i < p; i++) {
		pthread_join(w[i].id, NULL);
		fail += w[i].fail;
	}
	t = (now_us() - t) / 1e6;
	printf("%ld %d %.3f %.0f\n", p * w[0].r, fail, t, (double)(p * w[0].r) / t);
	free(w);
	return 0;
}

static int cmd_lmdb(char **a)
{
	long r = atol(a[1]);
	double *lat = calloc((size_t)r, sizeof(double));
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 8, NULL }, v = { 64, NULL };
	char buf[64] = { 0 };

	mdb_env_create(&env);
	mdb_env_set_mapsize(env, 64 << 20);
	if (mdb_env_open(env, a[0], 0, 0600) != 0)
		return 1;
	v.mv_data = buf;
	for (long i = 0; i < r; i++) {
		double t = now_us();

		k.mv_data = &i;
		mdb_txn_begin(env, NULL, 0, &txn);
		mdb_dbi_open(txn, NULL, 0, &dbi);
		mdb_put(txn, dbi, &k, &v, 0);
		mdb_txn_commit(txn);
		lat[i] = now_us() - t;
	}
	mdb_env_close(env);
	qsort(lat, (size_t)r, sizeof(double), cmp);
	printf("%.0f %.0f\n", lat[r / 2], lat[r * 9 / 10]);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "login") == 0)
		return cmd_login(argc - 2, argv + 2);
	if (argc == 8 && strcmp(argv[1], "parallel") == 0)
		return cmd_parallel(argv + 2);
	if (argc == 8 && strcmp(argv[1], "threads") == 0)
		return cmd_threads(argv + 2);
	if (argc == 4 && strcmp(argv[1], "lmdb") == 0)
		return cmd_lmdb(argv + 2);
	fprintf(stderr, "usage: bench login N U SERVICE:START:R... | parallel SERVICE N U R START P"
		" | threads SERVICE N U R START T | lmdb DIR R\n");
	return 2;
}
