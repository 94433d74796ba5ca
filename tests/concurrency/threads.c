/*
 * threads - a multi-threaded PAM host, as mail, FTP and RADIUS daemons are:
 * many threads of one process call pam_start / pam_authenticate / pam_end
 * at once, all with the module loaded once.
 *
 *   threads race SERVICE T USER:CODE...
 *       T threads, released together by a barrier; each tries every pair,
 *       thread t starting at pair t (so every code is tried T times, by
 *       different threads at about the same moment). Prints
 *       "success=S failure=F broken=B once=O": O pairs were accepted
 *       exactly once. Broken: any other PAM answer than success, auth
 *       error or max tries. Exit 0 unless broken.
 *   threads loop SERVICE T PREFIX START
 *       thread t logs PREFIX<t> in with the HOTP codes START, START+1, ...
 *       (RFC 4226 key), one login after the other, forever; prints
 *       "progress N" after every 8th login of the process (for a test to
 *       know that logins are under way) and exits 1 on the first login
 *       that fails.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pamhost.h"

#define THREADS_MAX 64

/* One login: 0 accepted, 1 refused, 2 anything else (the run went wrong). */
static int one_login(const char *service, const char *user, const char *code)
{
	struct pam_conv c = { pamhost_conv, (void *)code };
	pam_handle_t *h = NULL;
	int rc;

	if (pam_start(service, user, &c, &h) != PAM_SUCCESS)
		return 2;
	rc = pam_authenticate(h, 0);
	pam_end(h, rc);
	return rc == PAM_SUCCESS ? 0 : rc == PAM_AUTH_ERR || rc == PAM_MAXTRIES ? 1 : 2;
}

struct race {
	const char *service;
	char **user, **code;
	int npairs, nthreads;
	atomic_int *accepted;  /* per pair */
	atomic_int ok, bad, broken;
	pthread_barrier_t go;
};

struct worker {
	struct race *r;
	int t;
	pthread_t id;
};

static void *race_thread(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;

	pthread_barrier_wait(&r->go);
	for (int k = 0; k < r->npairs; k++) {
		int i = (w->t + k) % r->npairs;
		int rc = one_login(r->service, r->user[i], r->code[i]);

		if (rc == 0) {
			atomic_fetch_add(&r->accepted[i], 1);
			atomic_fetch_add(&r->ok, 1);
		} else {
			atomic_fetch_add(rc == 1 ? &r->bad : &r->broken, 1);
		}
	}
	return NULL;
}

/* pam_wrapper sets itself up on first use: once, before the threads. */
static void warm_up(const char *service)
{
	struct pam_conv c = { pamhost_conv, (void *)"" };
	pam_handle_t *h = NULL;

	if (pam_start(service, "warm-up", &c, &h) == PAM_SUCCESS)
		pam_end(h, PAM_SUCCESS);
}

static int start(struct worker *w, int n, void *(*fn)(void *))
{
	for (int t = 0; t < n; t++) {
		if (pthread_create(&w[t].id, NULL, fn, &w[t]) != 0) {
			fprintf(stderr, "threads: cannot start thread %d\n", t);
			return -1;
		}
	}
	return 0;
}

static int cmd_race(const char *service, int nthreads, int npairs, char **pairs)
{
	struct race r;
	struct worker w[THREADS_MAX];
	int once = 0;

	memset(&r, 0, sizeof(r));
	r.service = service;
	r.npairs = npairs;
	r.nthreads = nthreads;
	r.user = calloc((size_t)npairs, sizeof(char *));
	r.code = calloc((size_t)npairs, sizeof(char *));
	r.accepted = calloc((size_t)npairs, sizeof(atomic_int));
	if (r.user == NULL || r.code == NULL || r.accepted == NULL)
		return 2;
	for (int i = 0; i < npairs; i++) {
		char *colon = strchr(pairs[i], ':');

		if (colon == NULL)
			return 2;
		*colon = '\0';
		r.user[i] = pairs[i];
		r.code[i] = colon + 1;
	}
	warm_up(service);
	pthread_barrier_init(&r.go, NULL, (unsigned)nthreads);
	for (int t = 0; t < nthreads; t++) {
		w[t].r = &r;
		w[t].t = t;
	}
	if (start(w, nthreads, race_thread) != 0)
		return 2;
	for (int t = 0; t < nthreads; t++)
		pthread_join(w[t].id, NULL);
	for (int i = 0; i < npairs; i++)
		once += atomic_load(&r.accepted[i]) == 1;
	printf("success=%d failure=%d broken=%d once=%d\n", atomic_load(&r.ok),
	       atomic_load(&r.bad), atomic_load(&r.broken), once);
	pthread_barrier_destroy(&r.go);
	free(r.user);
	free(r.code);
	free(r.accepted);
	return atomic_load(&r.broken) ? 1 : 0;
}

static const char *loop_service, *loop_prefix;
static long loop_start;
static atomic_long loop_done;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void *loop_thread(void *arg)
{
	struct worker *w = arg;
	char user[64], code[7];

	snprintf(user, sizeof(user), "%s%d", loop_prefix, w->t);
	for (long c = loop_start;; c++) {
		long n;

		pamhost_hotp((uint64_t)c, code);
		if (one_login(loop_service, user, code) != 0) {
			fprintf(stderr, "threads: %s refused code %ld\n", user, c);
			/* not exit(): other threads are inside OpenSSL, whose
			 * exit handler frees what they use */
			_exit(1);
		}
		n = atomic_fetch_add(&loop_done, 1) + 1;
		if (n % 8 == 0) {
			pthread_mutex_lock(&out_lock);
			printf("progress %ld\n", n);
			fflush(stdout);
			pthread_mutex_unlock(&out_lock);
		}
	}
	return NULL;
}

static int cmd_loop(const char *service, int nthreads, const char *prefix, long first)
{
	struct worker w[THREADS_MAX];

	loop_service = service;
	loop_prefix = prefix;
	loop_start = first;
	warm_up(service);
	for (int t = 0; t < nthreads; t++)
		w[t].t = t;
	if (start(w, nthreads, loop_thread) != 0)
		return 2;
	for (int t = 0; t < nthreads; t++)
		pthread_join(w[t].id, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc >= 4 ? atoi(argv[3]) : 0;

	if (n < 1 || n > THREADS_MAX)
		n = 0;
	if (n && argc >= 5 && strcmp(argv[1], "race") == 0)
		return cmd_race(argv[2], n, argc - 4, argv + 4);
	if (n && argc == 6 && strcmp(argv[1], "loop") == 0)
		return cmd_loop(argv[2], n, argv[4], atol(argv[5]));
	fprintf(stderr, "usage: threads race SERVICE THREADS USER:CODE...\n"
		"       threads loop SERVICE THREADS PREFIX START\n");
	return 2;
}
