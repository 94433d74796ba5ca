/*
 * pg_bench - the PostgreSQL side of the benchmarks (bench/pg.sh drives it).
 * Logins are timed as bench.c times them, with a commit beside them.
 *   pg_bench floor CONNINFO R   R rounds over one connection, interleaved:
 *       a round trip (a prepared SELECT 1), a one-row UPDATE in its own
 *       transaction with synchronous_commit off, and the same with it on
 *       (the durable commit, the floor of a durable login); prints
 *       "rtt_med rtt_p90 async_med async_p90 commit_med commit_p90" (us)
 *   pg_bench connect CONNINFO R   R new sessions (connect, authenticate,
 *       one SELECT 1, close); prints "median_us p90_us"
 *   pg_bench inproc CONNINFO R SERVICE:N:U:START...   R rounds in this
 *       process; each round makes one durable commit (as floor) and then
 *       one login through libpq of each service in turn (pam_start,
 *       pam_authenticate, pam_end): user k of the service's U spread over
 *       its N ("u%07d", index k*N/U), HOTP code of the RFC 4226 key for
 *       counter START + r/U. So the floor and every login share the
 *       machine's state of the moment. Prints "commit - R 0 median_us
 *       p90_us", then "SERVICE N ok fail median_us p90_us" for each
 *   pg_bench seal CONNINFO KEYFILE SECRET_HEX ID N TABLE   COPY N rows
 *       (name, sealed) into TABLE: users "u%07d" 0..N-1, each with the
 *       secret sealed under the key for that user and device ID (a sealed
 *       secret opens only for its own user and device)
 *   pg_bench procs SERVICE N U R START P   P processes, process i logging
 *       in R times over users i, i+P, ... of the U (spread over N, as
 *       bench.c), HOTP codes of the RFC 4226 key from counter START
 *   pg_bench oneuser SERVICE USER R DIGITS ROUND P...   for each P in
 *       turn: P processes on USER, process i with the codes of device i+1
 *       (key devkey(i), DIGITS digits), R logins each; ROUND (from 0)
 *       invocations with the same levels came before, so device i is at
 *       counter ROUND * R * (the levels with P > i)
 *   pg_bench devkey I   device I's key (I from 0), base32, for otpctl enroll
 * procs and oneuser print "P logins failed seconds logins_per_s median_us
 * p90_us" per level. Each process first makes one login for a name no
 * store knows (loading the module and connecting, as a host that has been
 * running), then all start together (a pipe, no sleeps); the clock runs
 * from that start to the last exit. Codes are computed outside the timed
 * region.
 */
#include "err.h"
#include "otp.h"
#include "seal.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <security/pam_appl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/concurrency/pamhost.h"

#define LEVELS_MAX 16
#define PROCS_MAX 32

static const unsigned char rfc_key[] = "12345678901234567890";

/* Device i's key for oneuser: the RFC key with its last byte changed. */
static void devkey(int i, unsigned char key[20])
{
	memcpy(key, rfc_key, 20);
	key[19] = (unsigned char)('a' + i);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median and p90 of n values (sorts them). */
static void pct(double *v, long n, double *med, double *p90)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	*med = n ? v[n / 2] : 0;
	*p90 = n ? v[n * 9 / 10] : 0;
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

/* ---- floor ---- */

static int exec_ok(PGconn *c, PGresult *r)
{
	int st = PQresultStatus(r), ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "pg_bench: %s", PQerrorMessage(c));
	PQclear(r);
	return ok;
}

static double timed(PGconn *c, const char *stmt)
{
	double t = now_us();

	if (!exec_ok(c, PQexecPrepared(c, stmt, 0, NULL, NULL, NULL, 1)))
		exit(1);
	return now_us() - t;
}

/* A new session: connect, authenticate, one query, close. */
static double connect_once(const char *conninfo)
{
	double t = now_us();
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK || !exec_ok(c, PQexec(c, "SELECT 1")))
		exit(1);
	t = now_us() - t;
	PQfinish(c);
	return t;
}

static int cmd_connect(char **a)
{
	long r = atol(a[1]);
	double *con = calloc((size_t)(r > 0 ? r : 1), sizeof(double)), med, p90;

	if (con == NULL || r < 1)
		return 2;
	for (long i = 0; i < r; i++)
		con[i] = connect_once(a[0]);
	pct(con, r, &med, &p90);
	printf("%.0f %.0f\n", med, p90);
	return 0;
}

static int cmd_floor(char **a)
{
	long r = atol(a[1]);
	double *rtt = calloc((size_t)r, sizeof(double)), *as = calloc((size_t)r, sizeof(double));
	double *dur = calloc((size_t)r, sizeof(double)), m[6];
	PGconn *c = PQconnectdb(a[0]);

	if (PQstatus(c) != CONNECTION_OK || !rtt || !as || !dur || r < 1) {
		fprintf(stderr, "pg_bench: %s", PQerrorMessage(c));
		return 1;
	}
	if (!exec_ok(c, PQprepare(c, "rtt", "SELECT 1", 0, NULL)) ||
	    !exec_ok(c, PQprepare(c, "upd", "UPDATE bench_floor SET v = v + 1 WHERE id = 1", 0,
				  NULL)))
		return 1;
	for (long i = 0; i < r; i++) {
		rtt[i] = timed(c, "rtt");
		exec_ok(c, PQexec(c, "SET synchronous_commit = off"));
		as[i] = timed(c, "upd");
		exec_ok(c, PQexec(c, "SET synchronous_commit = on"));
		dur[i] = timed(c, "upd");
	}
	PQfinish(c);
	pct(rtt, r, &m[0], &m[1]);
	pct(as, r, &m[2], &m[3]);
	pct(dur, r, &m[4], &m[5]);
	printf("%.0f %.0f %.0f %.0f %.0f %.0f\n", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

/* ---- inproc ---- */

struct svc {
	char name[64];
	long n, u, start;
	int fail;
	double *lat;
};

static int parse_svc(const char *arg, struct svc *v, long r)
{
	memset(v, 0, sizeof(*v));
	if (sscanf(arg, "%63[^:]:%ld:%ld:%ld", v->name, &v->n, &v->u, &v->start) != 4 ||
	    v->u < 1 || v->n < v->u)
		return -1;
	v->lat = calloc((size_t)r, sizeof(double));
	return v->lat == NULL ? -1 : 0;
}

static int cmd_inproc(int argc, char **a)
{
	long r = atol(a[1]);
	int nv = argc - 2;
	struct svc *v = calloc((size_t)nv, sizeof(*v));
	double *fl = calloc((size_t)(r > 0 ? r : 1), sizeof(double)), med, p90;
	PGconn *c = PQconnectdb(a[0]);

	if (PQstatus(c) != CONNECTION_OK || v == NULL || fl == NULL || r < 1 ||
	    !exec_ok(c, PQprepare(c, "upd", "UPDATE bench_floor SET v = v + 1 WHERE id = 1", 0,
				  NULL))) {
		fprintf(stderr, "pg_bench: %s", PQerrorMessage(c));
		return 1;
	}
	for (int i = 0; i < nv; i++) {
		if (parse_svc(a[i + 2], &v[i], r) != 0)
			return 2;
	}
	for (long k = 0; k < r; k++) {
		fl[k] = timed(c, "upd");
		for (int i = 0; i < nv; i++) {
			char user[32], code[9];
			double t;

			snprintf(user, sizeof(user), "u%07ld", (k % v[i].u) * (v[i].n / v[i].u));
			otp_hotp(rfc_key, 20, OTP_ALG_SHA1, (uint64_t)(v[i].start + k / v[i].u), 6, code);
			t = now_us();
			v[i].fail += one_login(v[i].name, user, code) != 0;
			v[i].lat[k] = now_us() - t;
		}
	}
	PQfinish(c);
	pct(fl, r, &med, &p90);
	printf("commit - %ld 0 %.0f %.0f\n", r, med, p90);
	for (int i = 0; i < nv; i++) {
		pct(v[i].lat, r, &med, &p90);
		printf("%s %ld %ld %d %.0f %.0f\n", v[i].name, v[i].n, r - v[i].fail, v[i].fail, med,
		       p90);
	}
	return 0;
}

/* ---- seal ---- */

static int unhex(const char *s, unsigned char *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*n = len / 2;
	return 0;
}

/* One COPY text line: the name and the sealed bytes as bytea hex. */
static int copy_row(PGconn *c, const struct otp_seal_key *key, const unsigned char *secret,
		    size_t slen, uint32_t id, long i)
{
	char user[24], line[512];
	uint8_t sealed[OTP_SECRET_MAX + OTP_SEAL_OVERHEAD];
	size_t n = 0;
	int o;

	snprintf(user, sizeof(user), "u%07ld", i);
	if (otp_seal(key, user, id, secret, slen, sealed, sizeof(sealed), &n) != OTP_OK)
		return -1;
	o = snprintf(line, sizeof(line), "%s\t\\\\x", user);
	for (size_t k = 0; k < n; k++)
		o += snprintf(line + o, sizeof(line) - (size_t)o, "%02x", sealed[k]);
	line[o++] = '\n';
	return PQputCopyData(c, line, o) == 1 ? 0 : -1;
}

static int cmd_seal(char **a)
{
	struct otp_seal_key key;
	unsigned char secret[OTP_SECRET_MAX];
	size_t slen = 0;
	long n = atol(a[4]);
	uint32_t id = (uint32_t)atol(a[3]);
	char sql[128];
	PGconn *c = PQconnectdb(a[0]);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK || otp_seal_key_load(a[1], &key) != OTP_OK ||
	    unhex(a[2], secret, sizeof(secret), &slen) != 0) {
		fprintf(stderr, "pg_bench seal: %s %s\n", PQerrorMessage(c), otp_errdetail());
		return 1;
	}
	snprintf(sql, sizeof(sql), "COPY %s (name, sealed) FROM STDIN", a[5]);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "pg_bench seal: %s", PQerrorMessage(c));
		return 1;
	}
	PQclear(r);
	for (long i = 0; i < n; i++) {
		if (copy_row(c, &key, secret, slen, id, i) != 0) {
			fprintf(stderr, "pg_bench seal: row %ld: %s", i, PQerrorMessage(c));
			return 1;
		}
	}
	otp_seal_key_wipe(&key);
	if (PQputCopyEnd(c, NULL) != 1 || !exec_ok(c, PQgetResult(c)))
		return 1;
	PQfinish(c);
	return 0;
}

/* ---- procs, oneuser ---- */

struct level {
	const char *service;
	long n, u, r, start, p;   /* procs: users, login users, logins per process, counter */
	const char *user;         /* oneuser: the user; NULL for procs */
	int digits;
	long dev_next[PROCS_MAX]; /* oneuser: the next counter of each device */
};

/* Process i's login number k (0..r-1): the user and the code. */
static void login_of(const struct level *l, long i, long k, char *user, size_t cap, char code[9])
{
	if (l->user != NULL) {
		unsigned char key[20];

		devkey((int)i, key);
		snprintf(user, cap, "%s", l->user);
		otp_hotp(key, sizeof(key), OTP_ALG_SHA1, (uint64_t)(l->dev_next[i] + k),
			 (unsigned)l->digits, code);
		return;
	}
	long per = l->u / l->p;  /* users of each process */

	snprintf(user, cap, "u%07ld", (i + (k % per) * l->p) * (l->n / l->u));
	otp_hotp(rfc_key, 20, OTP_ALG_SHA1, (uint64_t)(l->start + k / per), 6, code);
}

static void child(const struct level *l, long i, int ready, int go, double *lat, int *fail)
{
	char user[64], code[9], b = 0;

	(void)one_login(l->service, "bench-warm-up", "00000000");
	if (write(ready, &b, 1) != 1 || read(go, &b, 1) != 0)
		_exit(3);
	for (long k = 0; k < l->r; k++) {
		double t;

		login_of(l, i, k, user, sizeof(user), code);
		t = now_us();
		fail[i] += one_login(l->service, user, code) != 0;
		lat[i * l->r + k] = now_us() - t;
	}
	_exit(0);
}

/* Run one level: P processes, R logins each; print its line. */
static int run_level(const struct level *l)
{
	size_t nlat = (size_t)(l->p * l->r);
	double *lat = mmap(NULL, nlat * sizeof(double) + PROCS_MAX * sizeof(int),
			   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int *fail = (int *)(lat + nlat), rp[2], gp[2], status, failed = 0;
	double t, med, p90;
	char b;

	if (lat == MAP_FAILED || pipe(rp) != 0 || pipe(gp) != 0)
		return 1;
	fflush(stdout);
	for (long i = 0; i < l->p; i++) {
		if (fork() == 0) {
			close(rp[0]);
			close(gp[1]);
			child(l, i, rp[1], gp[0], lat, fail);
		}
	}
	close(rp[1]);
	close(gp[0]);
	for (long i = 0; i < l->p; i++) {
		if (read(rp[0], &b, 1) != 1)
			return 1;
	}
	t = now_us();
	close(gp[1]);  /* every child's read returns: go */
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	t = (now_us() - t) / 1e6;
	close(rp[0]);
	for (long i = 0; i < l->p; i++)
		failed += fail[i];
	pct(lat, (long)nlat, &med, &p90);
	printf("%ld %ld %d %.3f %.0f %.0f %.0f\n", l->p, (long)nlat, failed, t, (double)nlat / t,
	       med, p90);
	munmap(lat, nlat * sizeof(double) + PROCS_MAX * sizeof(int));
	return 0;
}

static int cmd_procs(char **a)
{
	struct level l = { .service = a[0], .n = atol(a[1]), .u = atol(a[2]), .r = atol(a[3]),
			   .start = atol(a[4]), .p = atol(a[5]) };

	if (l.p < 1 || l.p > PROCS_MAX || l.u % l.p || l.n < l.u || l.r < 1)
		return 2;
	return run_level(&l);
}

static int cmd_oneuser(int argc, char **a)
{
	struct level l = { .service = a[0], .user = a[1], .r = atol(a[2]), .digits = atoi(a[3]) };
	long round = atol(a[4]);

	if (l.r < 1 || l.digits < 6 || l.digits > 8 || round < 0)
		return 2;
	for (int k = 5; k < argc; k++) {
		for (long i = 0; i < atol(a[k]) && i < PROCS_MAX; i++)
			l.dev_next[i] += round * l.r;
	}
	for (int k = 5; k < argc; k++) {
		l.p = atol(a[k]);
		if (l.p < 1 || l.p > PROCS_MAX || run_level(&l) != 0)
			return 2;
		for (long i = 0; i < l.p; i++)
			l.dev_next[i] += l.r;
	}
	return 0;
}

static int cmd_devkey(const char *arg)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char key[20];
	unsigned bits = 0, acc = 0;

	devkey(atoi(arg), key);
	for (int i = 0; i < 20; i++) {
		acc = acc << 8 | key[i];
		for (bits += 8; bits >= 5; bits -= 5)
			putchar(b32[(acc >> (bits - 5)) & 31]);
	}
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "floor") == 0)
		return cmd_floor(argv + 2);
	if (argc == 4 && strcmp(argv[1], "connect") == 0)
		return cmd_connect(argv + 2);
	if (argc >= 5 && strcmp(argv[1], "inproc") == 0)
		return cmd_inproc(argc - 2, argv + 2);
	if (argc == 8 && strcmp(argv[1], "seal") == 0)
		return cmd_seal(argv + 2);
	if (argc == 8 && strcmp(argv[1], "procs") == 0)
		return cmd_procs(argv + 2);
	if (argc >= 8 && strcmp(argv[1], "oneuser") == 0)
		return cmd_oneuser(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "devkey") == 0)
		return cmd_devkey(argv[2]);
	fprintf(stderr, "usage: pg_bench floor CONNINFO R | connect CONNINFO R | inproc CONNINFO R SERVICE:N:U:START..."
		" | seal CONNINFO KEYFILE SECRET_HEX ID N TABLE"
		" | procs SERVICE N U R START P | oneuser SERVICE USER R DIGITS ROUND P... | devkey I\n");
	return 2;
}
