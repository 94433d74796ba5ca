/*
 * security - the benchmarks behind two security claims (bench/security.sh
 * drives it; figures, not pass/fail tests):
 *   security classes SERVICE ROUNDS ANSWER2 USER...   logins through libpam
 *       in this process, the users interleaved (one login of each in turn),
 *       answering "wrong password" then ANSWER2; prints
 *       "median_us p90_us USER" for each: unknown, unenrolled, enrolled
 *       and locked names should cost the same.
 *   security flood CONFIG N SOURCES   N failed attempts for names the store
 *       does not know, through libotp as the module makes them, 100 a
 *       second of simulated time, from SOURCES distinct addresses; prints
 *       "attempts sources audit_records bytes_before bytes_after".
 */
#include "audit.h"
#include "auth.h"
#include "config.h"
#include "err.h"
#include "seal.h"
#include "store.h"

#include <security/pam_appl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *answers[2];

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	unsigned *next = data;

	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(answers[*next < 2 ? (*next)++ : 1]);
	}
	*resp = r;
	return PAM_SUCCESS;
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

static int classes(const char *service, int rounds, const char *answer2, int nusers,
		   char **users)
{
	double *t = calloc((size_t)(rounds * nusers), sizeof(*t));

	answers[0] = "wrong password";
	answers[1] = answer2;
	for (int r = 0; r < rounds; r++) {
		for (int u = 0; u < nusers; u++) {
			unsigned next = 0;
			struct pam_conv c = { conv, &next };
			pam_handle_t *h = NULL;
			double t0 = now_us();

			if (pam_start(service, users[u], &c, &h) != PAM_SUCCESS)
				return 1;
			(void)pam_authenticate(h, 0);
			pam_end(h, PAM_SUCCESS);
			t[u * rounds + r] = now_us() - t0;
		}
	}
	for (int u = 0; u < nusers; u++) {
		double *s = t + u * rounds;

		qsort(s, (size_t)rounds, sizeof(*s), cmp);
		printf("%.0f %.0f %s\n", s[rounds / 2], s[rounds * 9 / 10], users[u]);
	}
	free(t);
	return 0;
}

static struct otp_store_stats stats(struct otp_store *st)
{
	struct otp_store_stats s;
	struct otp_txn *txn = NULL;

	memset(&s, 0, sizeof(s));
	if (otp_txn_begin(st, 0, &txn) == OTP_OK)
		otp_store_stats(txn, &s);
	otp_txn_abort(txn);
	return s;
}

static int flood(const char *conf, long n, long sources)
{
	struct otp_config cfg;
	struct otp_seal_key key;
	struct otp_store *st = NULL;
	struct otp_auth_result res;
	struct otp_store_stats after;
	struct otp_login who;
	char user[32], host[48];
	size_t before;
	uint64_t t0 = (uint64_t)time(NULL);

	if (otp_config_load(conf, NULL, 0, &cfg) != OTP_OK ||
	    otp_seal_key_load(cfg.seal_key, &key) != OTP_OK ||
	    otp_store_open(cfg.store, cfg.map_size_mb, 0, &st) != OTP_OK) {
		fprintf(stderr, "flood: %s\n", otp_errdetail());
		return 1;
	}
	before = (size_t)stats(st).bytes_used;
	memset(&who, 0, sizeof(who));
	who.service = "sshd";
	for (long i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "guess%ld", i);
		snprintf(host, sizeof(host), "2001:db8::%lx", i % sources);
		who.user = user;
		who.rhost = host;
		who.now = t0 + (uint64_t)(i / 100);
		memset(&res, 0, sizeof(res));
		if (otp_auth_code(st, &key, &cfg, &who, "123456", OTP_AUTH_CHARGE | OTP_AUTH_FINAL,
				  &res) != OTP_EBADCODE) {
			fprintf(stderr, "flood: %s\n", otp_errdetail());
			return 1;
		}
	}
	after = stats(st);
	printf("%ld %ld %u %zu %zu\n", n, sources, (unsigned)after.audit, before,
	       (size_t)after.bytes_used);
	otp_seal_key_wipe(&key);
	otp_store_close(st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "classes") == 0)
		return classes(argv[2], atoi(argv[3]), argv[4], argc - 5, argv + 5);
	if (argc == 5 && strcmp(argv[1], "flood") == 0)
		return flood(argv[2], atol(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: security classes SERVICE ROUNDS ANSWER2 USER... | "
		"security flood CONFIG N SOURCES\n");
	return 2;
}
