/*
 * otpctl check [--module PATH]
 *
 * A health check for monitoring systems (Nagios plugin conventions): one
 * line per problem, worst first, and the exit status 0 ok, 1 warning,
 * 2 critical, 3 unknown (the check itself could not run: a usage error,
 * not root). It looks at what makes logins fail: the configuration, the
 * seal key (readable, safe mode, the store's), the store (opens, schema),
 * the room left (map and disk), the audit trail (a write transaction that
 * takes a record, then is thrown away), and the module file.
 */
#include "ctl.h"
#include "err.h"
#include "fileck.h"
#include "keycheck.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARN_RATIO 0.80
#define CRIT_RATIO 0.95
#define PROBE_TIMEOUT_MS 10000  /* a write transaction that cannot start by then: stuck */
#define PROBLEMS_MAX 16
#define EX_UNKNOWN 3

enum sev { SEV_OK, SEV_WARNING, SEV_CRITICAL };
static const char *const sev_names[] = { "OK", "WARNING", "CRITICAL" };

struct problem {
	enum sev sev;
	const char *check;
	char msg[600];
};

struct checks {
	struct problem p[PROBLEMS_MAX];
	unsigned n;
	enum sev worst;
	const char *module;            /* --module, or NULL: look in the PAM directories */
	char module_path[PATH_MAX];    /* the module file found ("" none) */
	int have_store, key_ok, writable;
	uint64_t users;
	double map_ratio, disk_ratio;  /* NAN when unknown */
};

static void problem(struct checks *k, enum sev sev, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct checks *k, enum sev sev, const char *check, const char *fmt, ...)
{
	va_list ap;

	if (sev > k->worst)
		k->worst = sev;
	if (k->n == PROBLEMS_MAX)
		return;
	k->p[k->n].sev = sev;
	k->p[k->n].check = check;
	va_start(ap, fmt);
	vsnprintf(k->p[k->n].msg, sizeof(k->p[k->n].msg), fmt, ap);
	va_end(ap);
	k->n++;
}

static const char *detail(int rc)
{
	return otp_errdetail()[0] != '\0' ? otp_errdetail() : otp_strerror(rc);
}

/* "WHAT PATH: detail", or "WHAT: detail" when the detail names the path. */
static void problem_at(struct checks *k, const char *check, const char *what, const char *path,
		       const char *text)
{
	if (strstr(text, path) != NULL)
		problem(k, SEV_CRITICAL, check, "%s: %s", what, text);
	else
		problem(k, SEV_CRITICAL, check, "%s %s: %s", what, path, text);
}

static void check_ratio(struct checks *k, const char *check, const char *what, double ratio)
{
	if (ratio >= CRIT_RATIO)
		problem(k, SEV_CRITICAL, check, "%s %.0f%% used (critical at %.0f%%)", what,
			100 * ratio, 100 * CRIT_RATIO);
	else if (ratio >= WARN_RATIO)
		problem(k, SEV_WARNING, check, "%s %.0f%% used (warning at %.0f%%)", what,
			100 * ratio, 100 * WARN_RATIO);
}

/* Map and disk room, and how many users, from the open store. */
static void check_room(struct checks *k, struct otp_store *st)
{
	struct otp_store_stats s;
	struct otp_txn *txn = NULL;
	struct statvfs v;
	const char *dir = otp_store_name(st);
	int rc = otp_txn_begin(st, 0, &txn);

	if (rc == OTP_OK)
		rc = otp_store_stats(txn, &s);
	otp_txn_abort(txn);
	if (rc != OTP_OK) {
		problem(k, SEV_CRITICAL, "store", "store %s: %s", dir, detail(rc));
		return;
	}
	k->users = s.users;
	if (s.bytes_max > 0) {
		k->map_ratio = (double)s.bytes_used / (double)s.bytes_max;
		check_ratio(k, "map", "store map", k->map_ratio);
	}
	/* a directory store (LMDB): the disk it grows on, counted as df does */
	if (dir[0] == '/' && statvfs(dir, &v) == 0 && v.f_blocks > 0 &&
	    v.f_blocks >= v.f_bfree) {
		double used = (double)(v.f_blocks - v.f_bfree);

		if (used + (double)v.f_bavail > 0) {
			k->disk_ratio = used / (used + (double)v.f_bavail);
			check_ratio(k, "disk", "disk of the store", k->disk_ratio);
		}
	}
}

/*
 * In a child process: a write transaction takes an audit record as a
 * login's would, then is aborted (nothing is written). A map too small is
 * grown as a writer would. Reports "CODE DETAIL" on fd.
 */
static void probe_child(const struct otp_config *cfg, int fd)
{
	struct otp_store *st = NULL;
	struct otp_txn *txn = NULL;
	struct otp_audit_ev ev;
	char line[512];
	int rc = otp_store_open_with(cfg->store,
				 &(struct otp_store_opts){ cfg->map_size_mb, cfg->store_timeout }, 0, &st);

	for (int tries = 0; rc == OTP_OK && tries < 2; tries++) {
		otp_audit_set(&ev, otp_now(), "check", "", NULL, "otpctl check: never committed");
		rc = otp_txn_begin(st, 1, &txn);
		if (rc == OTP_OK)
			rc = otp_audit_insert(txn, &ev);
		otp_txn_abort(txn);
		txn = NULL;
		if (rc != OTP_EFULL || otp_store_grow(st) != OTP_OK)
			break;
	}
	snprintf(line, sizeof(line), "%d %s", rc, rc == OTP_OK ? "" : detail(rc));
	if (write(fd, line, strlen(line)) < 0)
		_exit(1);
	_exit(0);  /* the store is left to the exit: nothing of it is flushed twice */
}

/* Read the child's report within the timeout; 0, or -1 on timeout. */
static int read_report(int fd, char *buf, size_t n)
{
	struct timespec start, now;
	size_t got = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long spent;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= PROBE_TIMEOUT_MS || poll(&p, 1, (int)(PROBE_TIMEOUT_MS - spent)) == 0)
			return -1;
		r = read(fd, buf + got, n - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (got += (size_t)r) == n - 1)
			break;
	}
	buf[got] = '\0';
	return 0;
}

/* The audit trail takes a record: in a child, so a stuck writer shows as
 * a timeout rather than a check that hangs. */
static void check_writable(struct checks *k, const struct otp_config *cfg)
{
	char buf[512] = "";
	int fds[2], status, code = -1, pos = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		problem(k, SEV_CRITICAL, "audit", "audit trail: cannot start the write check: %s",
			strerror(errno));
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		probe_child(cfg, fds[1]);
	}
	close(fds[1]);
	if (read_report(fds[0], buf, sizeof(buf)) != 0) {
		kill(pid, SIGKILL);
		problem(k, SEV_CRITICAL, "audit", "audit trail: no write transaction within %d s "
			"(a stuck writer holds the store?)", PROBE_TIMEOUT_MS / 1000);
	} else if (sscanf(buf, "%d %n", &code, &pos) < 1 || code != OTP_OK) {
		problem(k, SEV_CRITICAL, "audit", "audit trail: not writable: %s",
			code < 0 ? "the check died" : buf + pos);
	} else {
		k->writable = 1;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* The module file: the one given, or the first in the usual PAM directories. */
static void check_module(struct checks *k)
{
	static const char *const where = "/{lib,usr/lib,lib64,usr/lib64}/{*/,}security/pam_otp.so";
	glob_t g;
	int fd, rc;

	memset(&g, 0, sizeof(g));
	if (k->module != NULL)
		snprintf(k->module_path, sizeof(k->module_path), "%s", k->module);
	else if (glob(where, GLOB_BRACE | GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0)
		snprintf(k->module_path, sizeof(k->module_path), "%s", g.gl_pathv[0]);
	globfree(&g);
	if (k->module_path[0] == '\0') {
		problem(k, SEV_CRITICAL, "module", "module: no pam_otp.so in the PAM directories "
			"(/lib/<arch>/security and the like)");
		return;
	}
	rc = otp_open_checked(k->module_path, O_RDONLY, OTP_FORBID_CONFIG, &fd);
	if (rc != OTP_OK) {
		problem_at(k, "module", "module", k->module_path, detail(rc));
		k->module_path[0] = '\0';
		return;
	}
	close(fd);
}

/* The groups the policy names: one that does not exist counts as empty at
 * every login (a typo would exempt everyone from require_group). */
static void check_groups(struct checks *k, const char *key, const struct otp_namelist *l)
{
	gid_t gid;
	int exists;

	for (unsigned i = 0; i < l->n; i++) {
		if (otp_policy_group_gid(NULL, l->name[i], &gid, &exists) != OTP_OK)
			problem(k, SEV_WARNING, "policy", "policy: %s: %s", key, otp_errdetail());
		else if (!exists)
			problem(k, SEV_WARNING, "policy", "policy: %s: no group named '%s' (counted as a "
				"group without members)", key, l->name[i]);
	}
}

static void run_checks(struct ctl *c, struct checks *k)
{
	struct otp_seal_key key;
	int krc = otp_seal_key_load(c->cfg.seal_key, &key), rc;

	if (krc != OTP_OK)
		problem_at(k, "seal_key", "seal key", c->cfg.seal_key, detail(krc));
	rc = otp_store_open_with(c->cfg.store,
				 &(struct otp_store_opts){ c->cfg.map_size_mb, c->cfg.store_timeout }, 0, &c->st);
	if (rc != OTP_OK) {
		problem_at(k, "store", "store", c->cfg.store, detail(rc));
	} else {
		k->have_store = 1;
		if (krc == OTP_OK) {
			rc = otp_store_key_check(c->st, &key, 0);
			k->key_ok = rc == OTP_OK;
			if (rc != OTP_OK)
				problem_at(k, "seal_key", "seal key", c->cfg.seal_key, detail(rc));
		}
		check_room(k, c->st);
		otp_store_close(c->st);  /* the write check opens its own, in a child */
		c->st = NULL;
		check_writable(k, &c->cfg);
	}
	if (krc == OTP_OK)
		otp_seal_key_wipe(&key);
	check_module(k);
	check_groups(k, "require_group", &c->cfg.require_group);
	check_groups(k, "exempt_group", &c->cfg.exempt_group);
}

static json_t *ratio_json(double r)
{
	return isnan(r) ? json_null() : json_real(r);
}

static int report(struct ctl *c, struct checks *k)
{
	static const char *const lower[] = { "ok", "warning", "critical" };
	json_t *arr;

	if (c->json) {
		arr = json_array();
		for (unsigned i = 0; arr != NULL && i < k->n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "severity",
					      lower[k->p[i].sev], "check", k->p[i].check, "message",
					      ctl_jstr(k->p[i].msg)));
		(void)ctl_json_print(json_pack("{s:s,s:i,s:o,s:o,s:o,s:o,s:o}", "status",
			lower[k->worst], "exit", (int)k->worst, "problems", arr, "users",
			k->have_store ? json_integer((json_int_t)k->users) : json_null(),
			"map_used_ratio", ratio_json(k->map_ratio), "disk_used_ratio",
			ratio_json(k->disk_ratio), "module",
			k->module_path[0] ? json_string(k->module_path) : json_null()));
		return (int)k->worst;
	}
	for (int sev = SEV_CRITICAL; sev > SEV_OK; sev--) {
		for (unsigned i = 0; i < k->n; i++) {
			char shown[CTL_SHOW_SIZE * 3];

			if ((int)k->p[i].sev == sev)
				printf("%s: %s\n", sev_names[sev],
				       ctl_show(k->p[i].msg, shown, sizeof(shown)));
		}
	}
	if (k->worst == SEV_OK)
		printf("OK: pam_otp: store %s (%llu users), seal key matches, map %.0f%% used, "
		       "disk %.0f%% used, audit trail writable, module %s\n", c->cfg.store,
		       (unsigned long long)k->users, isnan(k->map_ratio) ? 0 : 100 * k->map_ratio,
		       isnan(k->disk_ratio) ? 0 : 100 * k->disk_ratio, k->module_path);
	fflush(stdout);
	return (int)k->worst;
}

int cmd_check(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "module", required_argument, NULL, 'm' }, { NULL, 0, NULL, 0 },
	};
	static struct checks k;
	int opt;

	memset(&k, 0, sizeof(k));
	k.map_ratio = k.disk_ratio = NAN;
	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt != 'm')
			return ctl_usage(c, EX_UNKNOWN);
		k.module = optarg;
	}
	if (optind != argc)
		return ctl_usage(c, EX_UNKNOWN);
	if (geteuid() != 0)
		return ctl_fail(c, EX_UNKNOWN, "must be run as root");
	if (c->config_rc != OTP_OK) {  /* nothing else is known without it */
		problem_at(&k, "config", "configuration", c->config_path, c->config_err);
		check_module(&k);
	} else {
		run_checks(c, &k);
	}
	return report(c, &k);
}
