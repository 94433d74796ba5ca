/*
 * Login flows through a real Linux-PAM stack (pam_wrapper + libpamtest),
 * with codes computed by oathtool. Run by tests/pam/pam_flow.sh, which sets
 * LD_PRELOAD=libpam_wrapper.so, PAM_WRAPPER=1 and PAM_OTP_MODULE, and with
 * OTP_TEST_BACKEND=postgresql also OTP_TEST_STORE (the conninfo of a
 * database of the run's own) and OTP_TEST_PSQL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "base32.h"
#include "devices.h"
#include "err.h"
#include "hosts.h"
#include "recovery.h"
#include "util.h"

/* Other programs must not run inside the PAM test harness (preloads). */
#define NOWRAP "env -u LD_PRELOAD -u PAM_WRAPPER -u PAM_WRAPPER_SERVICE_DIR "

#define RFC_HEX "3132333435363738393031323334353637383930"
#define B32_20 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"   /* "12345678901234567890" */
#define B32_32 B32_20 "GEZDGNBVGY3TQOJQGEZA"
#define B32_64 B32_20 B32_20 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA"

/* pam_wrapper copies the service files once, at its first use: every
 * service is written up front and names one config path, and each test
 * starts from a fresh store, key and config at that same path. */
static char work[64];

/* The store: an LMDB directory per test, or with OTP_TEST_STORE set, that
 * PostgreSQL database, its schema dropped before each test (OTP_TEST_PSQL:
 * the psql that drops it). */
static const char *pg_store;

/* The services and the module arguments each one passes. */
static const struct { const char *name, *args; } services[] = {
	{ "otp", "" },
	{ "otp_nullok", "nullok" },
	{ "otp_bogus", "nullok bogus_flag" },
	{ "otp_badov", "nullok totp.window=99999" },
	{ "otp_forward", "password=forward" },
	{ "otp_system", "password=system" },
	{ "otp_remember", "remember_host=3600" },
	{ "otp_authfail", "authfail" },
	{ "otp_trustarg", "trusted_networks=198.51.100.0/24,2001:db8::/32" },
};

struct fx {
	char dir[96], conf[128], store[1024];
	struct otp_config cfg;
	struct otp_seal_key key;
};

/* What one conversation saw. */
struct talk {
	const char *answers[4];
	unsigned next;
	char prompts[4][128];
	unsigned nprompts;
	char info[256], error[256];
};

static const char *module(void)
{
	const char *m = getenv("PAM_OTP_MODULE");

	assert_non_null(m);
	return m;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static void write_conf(struct fx *f, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "store = \"%s\"\nseal_key = \"%s/seal.key\"\nissuer = \"Test\"\n"
		 "password = \"none\"\naudit { syslog = false }\n%s\n", f->store, f->dir, extra);
	write_file(f->conf, text, 0644);
	assert_int_equal(otp_config_load(f->conf, NULL, 0, &f->cfg), OTP_OK);
}

/* Each service: pam_set_items (PAM_RHOST etc. from the environment),
 * pam_otp with its arguments, then pam_get_items (items into the env). */
static void write_services(void)
{
	char path[256], text[4096];

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		snprintf(path, sizeof(path), "%s/svc/%s", work, services[i].name);
		snprintf(text, sizeof(text),
			 "auth required %s/pam_set_items.so\n"
			 "auth required %s config=%s/pam_otp.conf nodelay %s\n"
			 "auth required %s/pam_get_items.so\n"
			 "account required %s\n",
			 getenv("PAM_WRAPPER_MODULES"), module(), work, services[i].args,
			 getenv("PAM_WRAPPER_MODULES"), module());
		write_file(path, text, 0644);
	}
}

/* Run sql on the PostgreSQL store with psql (as the suite's admin role);
 * the first row's first field, if any, into out (cap bytes). */
static void psql(const char *sql, char *out, size_t cap)
{
	const char *bin = getenv("OTP_TEST_PSQL");
	char cmd[2048], path[96], line[128] = "";
	FILE *p;

	snprintf(path, sizeof(path), "%s/query.sql", work);
	write_file(path, sql, 0600);
	/* the conninfo is quoted for the shell: it must hold no quote */
	assert_null(strchr(pg_store, '\''));
	snprintf(cmd, sizeof(cmd), NOWRAP "PGOPTIONS='-c client_min_messages=warning' '%s' '%s' "
		 "-X -A -t -q -v ON_ERROR_STOP=1 -f '%s'", bin ? bin : "psql", pg_store, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	while (fgetc(p) != EOF)
		;
	assert_int_equal(pclose(p), 0);
	line[strcspn(line, "\n")] = '\0';
	if (out)
		snprintf(out, cap, "%s", line);
}

/* Drop what the previous test left in the PostgreSQL store (and the
 * count of pg_count_writes). */
static void pg_empty(void)
{
	psql("DROP SCHEMA IF EXISTS pam_otp, pam_flow CASCADE", NULL, 0);
}

/* PostgreSQL: from now on, note each transaction that changes a row of the
 * store (a row trigger on every table of the schema pam_otp), for commits().
 * The transaction ids the server hands out would count the same, but they
 * are the cluster's: autovacuum's ANALYZE takes some too. */
static void pg_count_writes(void)
{
	if (pg_store == NULL)
		return;
	psql("CREATE SCHEMA pam_flow;\n"
	     "CREATE TABLE pam_flow.writes (xid xid8 PRIMARY KEY);\n"
	     "CREATE FUNCTION pam_flow.note() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	     "BEGIN\n"
	     "  INSERT INTO pam_flow.writes VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;\n"
	     "  RETURN NULL;\n"
	     "END $$;\n"
	     "DO $$ DECLARE t text; BEGIN\n"
	     "  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'pam_otp' LOOP\n"
	     "    EXECUTE format('CREATE TRIGGER pam_flow_note AFTER INSERT OR UPDATE OR DELETE '\n"
	     "                   'ON pam_otp.%I FOR EACH ROW EXECUTE FUNCTION pam_flow.note()', t);\n"
	     "  END LOOP;\n"
	     "END $$;\n", NULL, 0);
}

/* A check of LMDB files skips itself on PostgreSQL, saying what it is. */
static void lmdb_only(const char *what)
{
	if (pg_store == NULL)
		return;
	print_message("# skip %s (LMDB)\n", what);
	skip();
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct otp_store *st = NULL;
	char path[128];

	snprintf(f->dir, sizeof(f->dir), "%s/t", work);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	snprintf(f->conf, sizeof(f->conf), "%s/pam_otp.conf", work);
	snprintf(path, sizeof(path), "%s/seal.key", f->dir);
	assert_int_equal(otp_seal_key_create(path), OTP_OK);
	assert_int_equal(otp_seal_key_load(path, &f->key), OTP_OK);
	if (pg_store) {
		pg_empty();
		assert_true(strlen(pg_store) < sizeof(f->store));
		snprintf(f->store, sizeof(f->store), "%s", pg_store);
	} else {
		snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	}
	assert_int_equal(otp_store_open(f->store, 16, OTP_STORE_CREATE, &st), OTP_OK);
	otp_store_close(st);
	write_conf(f, "");
	unsetenv("PAM_RHOST");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", f->dir, f->conf);
	assert_int_equal(system(cmd), 0);
	otp_seal_key_wipe(&f->key);
	free(f);
	return 0;
}

static struct otp_store *open_store(struct fx *f)
{
	struct otp_store *st = NULL;

	assert_int_equal(otp_store_open(f->cfg.store, 16, 0, &st), OTP_OK);
	return st;
}

/* Enroll user with a base32 secret; returns the device id. */
static uint32_t enroll(struct fx *f, const char *user, const char *b32, enum otp_dev_type type,
		       enum otp_alg alg, unsigned digits, unsigned period, int active)
{
	struct otp_store *st = open_store(f);
	struct otp_enroll_req req;
	struct otp_device_rec d;
	struct otp_login who;
	uint8_t secret[64];
	size_t n;

	assert_int_equal(otp_base32_decode(b32, secret, sizeof(secret), &n), OTP_OK);
	memset(&req, 0, sizeof(req));
	req.type = type;
	req.alg = alg;
	req.digits = digits;
	req.period = period;
	req.active = active;
	memset(&who, 0, sizeof(who));
	who.user = user;
	who.now = otp_now();
	assert_int_equal(otp_enroll(st, &f->key, &f->cfg, &who, &req, secret, n, &d), OTP_OK);
	otp_store_close(st);
	return d.id;
}

/* A code from oathtool, the independent implementation. */
static void oath(char *out, const char *fmt, ...)
{
	char args[256], cmd[384];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), NOWRAP "oathtool %s", args);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, 16, p));
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(pclose(p), 0);
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct talk *t = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	for (int i = 0; i < n; i++) {
		const struct pam_message *m = msg[i];

		if (m->msg_style == PAM_TEXT_INFO) {
			snprintf(t->info, sizeof(t->info), "%s", m->msg);
		} else if (m->msg_style == PAM_ERROR_MSG) {
			snprintf(t->error, sizeof(t->error), "%s", m->msg);
		} else {
			if (t->nprompts < 4)
				snprintf(t->prompts[t->nprompts++], 128, "%s", m->msg);
			if (t->answers[t->next] == NULL) {
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strdup(t->answers[t->next++]);
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Authenticate user through service, answering the prompts in order;
 * returns PAM's result. */
static int auth_svc(const char *service, const char *user, struct talk *t)
{
	struct pam_testcase tests[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };

	/* the header's run_pamtest_conv macro lacks a parenthesis: call it plainly */
	_pamtest_conv(service, user, conv, t, tests, 1, NULL);
	return tests[0].op_rv;
}

static int auth_talk(const char *user, struct talk *t)
{
	return auth_svc("otp", user, t);
}

static int auth_in(const char *service, const char *user, const char *a1, const char *a2)
{
	struct talk t;

	memset(&t, 0, sizeof(t));
	t.answers[0] = a1;
	t.answers[1] = a2;
	return auth_svc(service, user, &t);
}

static int auth1(const char *user, const char *a1)
{
	struct talk t;

	memset(&t, 0, sizeof(t));
	t.answers[0] = a1;
	return auth_talk(user, &t);
}

static void totp_with_oathtool(void **state)
{
	struct fx *f = *state;
	struct talk t;
	char code[16];

	enroll(f, "alice", B32_20, OTP_TOTP, OTP_ALG_SHA1, 6, 30, 1);
	oath(code, "--totp -b %s", B32_20);
	memset(&t, 0, sizeof(t));
	t.answers[0] = code;
	assert_int_equal(auth_talk("alice", &t), PAM_SUCCESS);
	assert_int_equal(t.nprompts, 1);
	assert_string_equal(t.prompts[0], "Verification code: ");
	/* the same code again is a replay */
	assert_int_equal(auth1("alice", code), PAM_AUTH_ERR);
}

static void totp_algorithms_digits_periods(void **state)
{
	static const struct { const char *user, *b32, *alg; enum otp_alg a; unsigned d, p; } v[] = {
		{ "s1d6", B32_20, "sha1", OTP_ALG_SHA1, 6, 30 },
		{ "s1d8", B32_20, "sha1", OTP_ALG_SHA1, 8, 60 },
		{ "s256d6", B32_32, "sha256", OTP_ALG_SHA256, 6, 60 },
		{ "s256d8", B32_32, "sha256", OTP_ALG_SHA256, 8, 30 },
		{ "s512d6", B32_64, "sha512", OTP_ALG_SHA512, 6, 30 },
		{ "s512d8", B32_64, "sha512", OTP_ALG_SHA512, 8, 60 },
	};
	struct fx *f = *state;
	char code[16];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enroll(f, v[i].user, v[i].b32, OTP_TOTP, v[i].a, v[i].d, v[i].p, 1);
		oath(code, "--totp=%s -d %u -s %us -b %s", v[i].alg, v[i].d, v[i].p, v[i].b32);
		assert_int_equal(auth1(v[i].user, code), PAM_SUCCESS);
		assert_int_equal(auth1(v[i].user, code), PAM_AUTH_ERR);
	}
}

static void hotp_rfc4226_key(void **state)
{
	struct fx *f = *state;
	char code[16];

	enroll(f, "bob", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	oath(code, "--hotp -c 0 %s", RFC_HEX);
	assert_string_equal(code, "755224");
	assert_int_equal(auth1("bob", code), PAM_SUCCESS);
	assert_int_equal(auth1("bob", code), PAM_AUTH_ERR);
	oath(code, "--hotp -c 5 %s", RFC_HEX);  /* inside the look-ahead window */
	assert_int_equal(auth1("bob", code), PAM_SUCCESS);
	oath(code, "--hotp -c 3 %s", RFC_HEX);  /* the counter never goes back */
	assert_int_equal(auth1("bob", code), PAM_AUTH_ERR);
	oath(code, "--hotp -c 17 %s", RFC_HEX); /* beyond 6 + 10 */
	assert_int_equal(auth1("bob", code), PAM_AUTH_ERR);
	oath(code, "--hotp -c 6 %s", RFC_HEX);
	assert_int_equal(auth1("bob", code), PAM_SUCCESS);
}

static void bad_codes_refused(void **state)
{
	struct fx *f = *state;
	char *huge = malloc(100001);

	write_conf(f, "lockout { deny = 0 }");
	enroll(f, "carol", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	memset(huge, '7', 100000);
	huge[100000] = '\0';
	assert_int_equal(auth1("carol", "000000"), PAM_AUTH_ERR);
	assert_int_equal(auth1("carol", ""), PAM_AUTH_ERR);
	assert_int_equal(auth1("carol", "75522"), PAM_AUTH_ERR);
	assert_int_equal(auth1("carol", "7552244"), PAM_AUTH_ERR);
	assert_int_equal(auth1("carol", "75522a"), PAM_AUTH_ERR);
	assert_int_equal(auth1("carol", huge), PAM_AUTH_ERR);
	/* none of that moved the counter: the first code still works */
	assert_int_equal(auth1("carol", "755224"), PAM_SUCCESS);
	free(huge);
}

static void pending_and_revoked_refused(void **state)
{
	struct fx *f = *state;
	struct otp_store *st;
	struct otp_device_rec d;
	struct otp_login who;

	enroll(f, "dave", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 0);
	assert_int_equal(auth1("dave", "755224"), PAM_AUTH_ERR);
	enroll(f, "erin", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	st = open_store(f);
	memset(&who, 0, sizeof(who));
	who.user = "erin";
	assert_int_equal(otp_revoke(st, &f->cfg, &who, "1", &d), OTP_OK);
	otp_store_close(st);
	assert_int_equal(auth1("erin", "755224"), PAM_AUTH_ERR);
}

static unsigned audit_count(struct fx *f, const char *event, const char *detail);

static void no_device_needs_nullok(void **state)
{
	struct fx *f = *state;
	struct talk t;

	memset(&t, 0, sizeof(t));
	t.answers[0] = "123456";
	assert_int_equal(auth_talk("nobody-enrolled", &t), PAM_AUTH_ERR);
	assert_int_equal(t.nprompts, 1);  /* same prompt as an enrolled user */
	memset(&t, 0, sizeof(t));
	assert_int_equal(auth_svc("otp_nullok", "nobody", &t), PAM_SUCCESS);
	assert_int_equal(t.nprompts, 0);
	/* a name the system does not know either: asked, refused, summarised */
	memset(&t, 0, sizeof(t));
	t.answers[0] = "123456";
	assert_int_equal(auth_svc("otp_nullok", "nobody-enrolled", &t), PAM_AUTH_ERR);
	assert_int_equal(t.nprompts, 1);
	assert_int_equal(audit_count(f, "auth_success", NULL), 1);
	/* nullok does not excuse a user who has a device */
	enroll(f, "fred", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(auth_in("otp_nullok", "fred", "000000", NULL), PAM_AUTH_ERR);
	assert_int_equal(auth_in("otp_nullok", "fred", "755224", NULL), PAM_SUCCESS);
}

static void fails_closed_on_bad_setup(void **state)
{
	struct fx *f = *state;
	char path[160], cmd[1024];

	enroll(f, "gina", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	write_file(f->conf, "windw = 1\n", 0644);          /* unknown key */
	assert_int_equal(auth_in("otp_nullok", "gina", "755224", NULL), PAM_ABORT);
	write_conf(f, "");
	chmod(f->conf, 0666);                               /* world-writable */
	assert_int_equal(auth_in("otp_nullok", "gina", "755224", NULL), PAM_ABORT);
	chmod(f->conf, 0644);
	/* unknown argument; bad override */
	assert_int_equal(auth_in("otp_bogus", "gina", "755224", NULL), PAM_ABORT);
	assert_int_equal(auth_in("otp_badov", "gina", "755224", NULL), PAM_ABORT);
	snprintf(path, sizeof(path), "%s/seal.key", f->dir);
	snprintf(cmd, sizeof(cmd), "mv %s %s.away", path, path);
	assert_int_equal(system(cmd), 0);                   /* missing key */
	assert_int_equal(auth1("gina", "755224"), PAM_ABORT);
	snprintf(cmd, sizeof(cmd), "head -c 32 /dev/urandom > %s && chmod 400 %s", path, path);
	assert_int_equal(system(cmd), 0);                   /* wrong key: not this store's */
	assert_int_equal(auth1("gina", "755224"), PAM_ABORT);
	snprintf(cmd, sizeof(cmd), "rm -f %s && mv %s.away %s", path, path, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(auth1("gina", "755224"), PAM_SUCCESS);
}

static void fails_closed_on_store_symlink(void **state)
{
	struct fx *f = *state;
	char cmd[1024];

	lmdb_only("a store directory behind a symlink");
	enroll(f, "gina", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	snprintf(cmd, sizeof(cmd), "mv %s/store %s/store.real && ln -s %s/store.real %s/store",
		 f->dir, f->dir, f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(auth1("gina", "755224"), PAM_ABORT);
	snprintf(cmd, sizeof(cmd), "rm %s/store && mv %s/store.real %s/store", f->dir, f->dir,
		 f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(auth1("gina", "755224"), PAM_SUCCESS);
}


/* --- the full login (password modes, lockout, trusted hosts, recovery) --- */

#define TUSER "otp_test_user"
#define TPASS "Corr3ct horse battery"

/* A local user with a known password; needs root (skipped otherwise). */
static void make_local_user(void)
{
	if (geteuid() != 0)
		skip();
	(void)!system(NOWRAP "userdel " TUSER " >/dev/null 2>&1");
	assert_int_equal(system(NOWRAP "useradd -M -s /usr/sbin/nologin " TUSER), 0);
	assert_int_equal(system("echo '" TUSER ":" TPASS "' | " NOWRAP "chpasswd"), 0);
}

static void drop_local_user(void)
{
	(void)!system(NOWRAP "userdel " TUSER " >/dev/null 2>&1");
}

static void password_system(void **state)
{
	struct fx *f = *state;
	struct talk t;

	make_local_user();
	enroll(f, TUSER, B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	memset(&t, 0, sizeof(t));
	t.answers[0] = TPASS;
	t.answers[1] = "755224";
	assert_int_equal(auth_svc("otp_system", TUSER, &t), PAM_SUCCESS);
	assert_int_equal(t.nprompts, 2);
	assert_string_equal(t.prompts[0], "Password: ");
	assert_string_equal(t.prompts[1], "Verification code: ");
	/* wrong password, right code: both prompts, one generic failure */
	memset(&t, 0, sizeof(t));
	t.answers[0] = "wrong";
	t.answers[1] = "287082";
	assert_int_equal(auth_svc("otp_system", TUSER, &t), PAM_AUTH_ERR);
	assert_int_equal(t.nprompts, 2);
	assert_string_equal(t.error, "");
	/* the code was not used up by the failed login */
	assert_int_equal(auth_in("otp_system", TUSER, TPASS, "000000"), PAM_AUTH_ERR);
	assert_int_equal(auth_in("otp_system", TUSER, TPASS, "287082"), PAM_SUCCESS);
	/* an unknown user sees the same two prompts */
	memset(&t, 0, sizeof(t));
	t.answers[0] = TPASS;
	t.answers[1] = "123456";
	assert_int_equal(auth_svc("otp_system", "otp_no_such_user", &t), PAM_AUTH_ERR);
	assert_int_equal(t.nprompts, 2);
	/* an old SHA-512-crypt hash still verifies (and is timed with the
	 * default's cost as well: bench/security.sh) */
	assert_int_equal(system("echo '" TUSER ":" TPASS "' | " NOWRAP "chpasswd -c SHA512"), 0);
	assert_int_equal(auth_in("otp_system", TUSER, TPASS, "359152"), PAM_SUCCESS);
	assert_int_equal(auth_in("otp_system", TUSER, "wrong", "969429"), PAM_AUTH_ERR);
	drop_local_user();
}

static void password_forward_sets_authtok(void **state)
{
	struct fx *f = *state;
	struct talk t;
	struct pam_testcase tests[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS),
	};
	int found = 0;

	enroll(f, "kate", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	memset(&t, 0, sizeof(t));
	t.answers[0] = "any password";
	t.answers[1] = "755224";
	assert_int_equal(_pamtest_conv("otp_forward", "kate", conv, &t, tests, 2, NULL),
			 PAMTEST_ERR_OK);
	for (char **e = tests[1].case_out.envlist; e && *e; e++)
		found |= strcmp(*e, "PAM_AUTHTOK=any password") == 0;
	pamtest_free_env(tests[1].case_out.envlist);
	assert_true(found);
	assert_int_equal(t.nprompts, 2);
}

static void lockout_after_deny(void **state)
{
	struct fx *f = *state;
	struct otp_store *st;
	struct otp_login who;
	struct talk t;

	write_conf(f, "lockout { deny = 3 fail_interval = 600 unlock_time = 600 }");
	enroll(f, "liam", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth1("liam", "000000"), PAM_AUTH_ERR);
	memset(&t, 0, sizeof(t));
	t.answers[0] = "755224";
	/* the same prompt as anyone, then refused without checking the code */
	assert_int_equal(auth_talk("liam", &t), PAM_MAXTRIES);
	assert_int_equal(t.nprompts, 1);
	assert_string_equal(t.prompts[0], "Verification code: ");
	assert_non_null(strstr(t.error, "locked"));
	assert_non_null(strstr(t.error, "10 minutes"));
	/* with a password first: both prompts, as an unknown user gets them */
	memset(&t, 0, sizeof(t));
	t.answers[0] = "pw";
	t.answers[1] = "287082";
	assert_int_equal(auth_svc("otp_forward", "liam", &t), PAM_MAXTRIES);
	assert_int_equal(t.nprompts, 2);
	assert_non_null(strstr(t.error, "locked"));
	memset(&t, 0, sizeof(t));
	t.answers[0] = "pw";
	t.answers[1] = "287082";
	assert_int_equal(auth_svc("otp_forward", "nobody_known", &t), PAM_AUTH_ERR);
	assert_int_equal(t.nprompts, 2);
	st = open_store(f);
	memset(&who, 0, sizeof(who));
	who.user = "liam";
	who.now = otp_now();
	assert_int_equal(otp_unlock(st, &f->cfg, &who), OTP_OK);
	otp_store_close(st);
	assert_int_equal(auth1("liam", "755224"), PAM_SUCCESS);
}

static void root_exempt_unless_even_deny_root(void **state)
{
	struct fx *f = *state;

	write_conf(f, "lockout { deny = 2 }");
	enroll(f, "root", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(auth1("root", "000000"), PAM_AUTH_ERR);
	assert_int_equal(auth1("root", "755224"), PAM_SUCCESS);
	write_conf(f, "lockout { deny = 2 even_deny_root = true }");
	for (int i = 0; i < 2; i++)
		assert_int_equal(auth1("root", "000000"), PAM_AUTH_ERR);
	assert_int_equal(auth1("root", "287082"), PAM_MAXTRIES);
}

static int prompts_for(const char *service, const char *user, const char *rhost,
		       const char *a1, int *rv)
{
	struct talk t;

	memset(&t, 0, sizeof(t));
	t.answers[0] = a1;
	if (rhost)
		setenv("PAM_RHOST", rhost, 1);
	else
		unsetenv("PAM_RHOST");
	*rv = auth_svc(service, user, &t);
	unsetenv("PAM_RHOST");
	return (int)t.nprompts;
}

static void trusted_networks_skip_code(void **state)
{
	struct fx *f = *state;
	int rv;

	write_conf(f, "trusted_networks = {\"127.0.0.0/8\", \"2001:db8::/32\"}");
	enroll(f, "mia", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(prompts_for("otp", "mia", "127.0.0.1", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(prompts_for("otp", "mia", "2001:db8::7", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	/* host names never match, nor addresses outside the networks */
	assert_int_equal(prompts_for("otp", "mia", "localhost", "000000", &rv), 1);
	assert_int_equal(rv, PAM_AUTH_ERR);
	assert_int_equal(prompts_for("otp", "mia", "10.0.0.1", "755224", &rv), 1);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(prompts_for("otp", "mia", "2001:db9::1", "000000", &rv), 1);
	assert_int_equal(rv, PAM_AUTH_ERR);
}

static void trusted_network_still_checks_password(void **state)
{
	struct fx *f = *state;
	int rv;

	make_local_user();
	write_conf(f, "trusted_networks = {\"127.0.0.0/8\"}");
	enroll(f, TUSER, B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(prompts_for("otp_system", TUSER, "127.0.0.1", "wrong", &rv), 1);
	assert_int_equal(rv, PAM_AUTH_ERR);
	assert_int_equal(prompts_for("otp_system", TUSER, "127.0.0.1", TPASS, &rv), 1);
	assert_int_equal(rv, PAM_SUCCESS);
	drop_local_user();
}

static void remembered_host_then_revoked(void **state)
{
	struct fx *f = *state;
	struct otp_store *st;
	struct otp_login who;
	unsigned n;
	int rv;

	enroll(f, "noah", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(prompts_for("otp_remember", "noah", "192.0.2.5", "755224", &rv), 1);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(prompts_for("otp_remember", "noah", "192.0.2.5", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(prompts_for("otp_remember", "noah", "192.0.2.6", "000000", &rv), 1);
	assert_int_equal(rv, PAM_AUTH_ERR);
	st = open_store(f);
	memset(&who, 0, sizeof(who));
	who.user = "noah";
	who.now = otp_now();
	assert_int_equal(otp_host_revoke(st, &f->cfg, &who, "192.0.2.5", &n), OTP_OK);
	otp_store_close(st);
	assert_int_equal(prompts_for("otp_remember", "noah", "192.0.2.5", "287082", &rv), 1);
	assert_int_equal(rv, PAM_SUCCESS);
}

static void recovery_code_once(void **state)
{
	struct fx *f = *state;
	struct otp_store *st;
	struct otp_login who;
	char codes[3][OTP_RC_TEXT], old[OTP_RC_TEXT];
	struct talk t;

	enroll(f, "olga", B32_20, OTP_TOTP, OTP_ALG_SHA1, 6, 30, 1);
	st = open_store(f);
	memset(&who, 0, sizeof(who));
	who.user = "olga";
	who.now = otp_now();
	assert_int_equal(otp_recovery_generate(st, &f->cfg, &who, 3, codes), OTP_OK);
	otp_store_close(st);
	memset(&t, 0, sizeof(t));
	t.answers[0] = codes[0];
	assert_int_equal(auth_talk("olga", &t), PAM_SUCCESS);
	assert_string_equal(t.info, "Recovery code accepted; 2 left.");
	assert_int_equal(auth1("olga", codes[0]), PAM_AUTH_ERR);
	strcpy(old, codes[1]);
	st = open_store(f);
	assert_int_equal(otp_recovery_generate(st, &f->cfg, &who, 3, codes), OTP_OK);
	otp_store_close(st);
	assert_int_equal(auth1("olga", old), PAM_AUTH_ERR);
	assert_int_equal(auth1("olga", codes[2]), PAM_SUCCESS);
}

static void authfail_counts_failures(void **state)
{
	struct fx *f = *state;

	write_conf(f, "lockout { deny = 2 }");
	enroll(f, "pete", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(auth_in("otp_authfail", "pete", NULL, NULL), PAM_AUTH_ERR);
	assert_int_equal(auth_in("otp_authfail", "pete", NULL, NULL), PAM_AUTH_ERR);
	assert_int_equal(auth1("pete", "755224"), PAM_MAXTRIES);
}

/* Write transactions that changed the store, committed so far. LMDB:
 * the store's count (a write transaction that changed nothing leaves it).
 * PostgreSQL: the store's count (pg_stat_database) takes in read
 * transactions and arrives late, so there: the transactions that
 * pg_count_writes noted. */
static size_t commits(struct fx *f)
{
	struct otp_store *st;
	struct otp_store_stats s;
	struct otp_txn *txn;
	char n[32];

	if (pg_store) {
		psql("SELECT count(*) FROM pam_flow.writes", n, sizeof(n));
		assert_true(n[0] >= '0' && n[0] <= '9');
		return (size_t)strtoull(n, NULL, 10);
	}
	st = open_store(f);
	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_int_equal(otp_store_stats(txn, &s), OTP_OK);
	otp_txn_abort(txn);
	otp_store_close(st);
	return s.commits;
}

/* Walk the audit trail with fn; every record must decode. */
static void audit_walk(struct fx *f, int (*fn)(const struct otp_audit_ev *, void *), void *arg)
{
	struct otp_store *st = open_store(f);
	struct otp_txn *txn;

	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_int_equal(otp_audit_each(txn, 0, 0, 0, fn, arg), OTP_OK);
	otp_txn_abort(txn);
	otp_store_close(st);
}

struct counting { const char *event, *detail; unsigned n; };

static int count_one(const struct otp_audit_ev *ev, void *arg)
{
	struct counting *c = arg;

	assert_non_null(ev);
	c->n += strcmp(ev->event, c->event) == 0 &&
		(c->detail == NULL || strcmp(ev->detail, c->detail) == 0);
	return OTP_OK;
}

static unsigned audit_count(struct fx *f, const char *event, const char *detail)
{
	struct counting c = { event, detail, 0 };

	audit_walk(f, count_one, &c);
	return c.n;
}

static unsigned hosts_of(struct fx *f, const char *user)
{
	struct otp_store *st = open_store(f);
	struct otp_host_entry h[8];
	unsigned n = 0;

	assert_int_equal(otp_host_list(st, user, h, 8, &n), OTP_OK);
	otp_store_close(st);
	return n;
}

/* Logins that skipped the code never start a remembered-host window. */
static void codeless_logins_remember_nothing(void **state)
{
	struct fx *f = *state;
	int rv;

	write_conf(f, "remember_host = 3600\ntrusted_networks = {\"192.0.2.0/24\"}");
	enroll(f, "quinn", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(prompts_for("otp", "quinn", "192.0.2.9", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(hosts_of(f, "quinn"), 0);
	/* so a service without the trusted network asks for the code */
	write_conf(f, "remember_host = 3600");
	assert_int_equal(prompts_for("otp", "quinn", "192.0.2.9", "000000", &rv), 1);
	assert_int_equal(rv, PAM_AUTH_ERR);
	/* nullok before enrollment: let in, nothing remembered */
	assert_int_equal(prompts_for("otp_nullok", "nobody", "192.0.2.9", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(hosts_of(f, "nobody"), 0);
	/* a verified code does remember, and the remembered login adds nothing */
	assert_int_equal(prompts_for("otp", "quinn", "192.0.2.9", "755224", &rv), 1);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(hosts_of(f, "quinn"), 1);
	assert_int_equal(prompts_for("otp", "quinn", "192.0.2.9", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(audit_count(f, "trusted_host", NULL), 1);
}

/* Seal device id of user under another key: a device no key here opens. */
static void reseal_elsewhere(struct fx *f, const char *user, uint32_t id)
{
	struct otp_store *st = open_store(f);
	struct otp_seal_key other;
	struct otp_device_rec d;
	struct otp_txn *txn;
	uint8_t secret[20];

	memset(&other, 7, sizeof(other));
	memcpy(secret, "12345678901234567890", 20);
	assert_int_equal(otp_txn_begin(st, 1, &txn), OTP_OK);
	assert_int_equal(otp_device_load(txn, user, id, &d), OTP_OK);
	assert_int_equal(otp_seal(&other, user, id, secret, 20, d.sealed, sizeof(d.sealed),
				  &d.sealed_len), OTP_OK);
	assert_int_equal(otp_device_save(txn, user, &d), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	otp_store_close(st);
}

/* A device that does not unseal refuses the login, and every such
 * attempt is still charged and audited: guesses cannot go uncounted. */
static void error_paths_are_charged(void **state)
{
	struct fx *f = *state;
	struct otp_store *st;
	struct otp_auth_state peek;
	uint32_t bad;

	write_conf(f, "lockout { deny = 5 fail_interval = 600 unlock_time = 600 }");
	enroll(f, "sara", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	bad = enroll(f, "sara", B32_32, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	reseal_elsewhere(f, "sara", bad);
	for (int i = 0; i < 4; i++)
		assert_int_equal(auth1("sara", "000000"), PAM_AUTH_ERR);
	st = open_store(f);
	assert_int_equal(otp_auth_peek(st, "sara", otp_now(), &peek), OTP_OK);
	otp_store_close(st);
	assert_int_equal(peek.locked_until, 0);
	assert_int_equal(audit_count(f, "auth_failure", "error"), 4);
	/* the good device's right code is refused too, and charged: locked */
	assert_int_equal(auth1("sara", "755224"), PAM_AUTH_ERR);
	assert_int_equal(audit_count(f, "auth_failure", "error"), 5);
	assert_int_equal(auth1("sara", "755224"), PAM_MAXTRIES);
	/* recovery-shaped answers and the early charge (password first) too */
	st = open_store(f);
	{
		struct otp_login who;

		memset(&who, 0, sizeof(who));
		who.user = "sara";
		who.now = otp_now();
		assert_int_equal(otp_unlock(st, &f->cfg, &who), OTP_OK);
	}
	otp_store_close(st);
	assert_int_equal(auth1("sara", "ABCD-EFGH-JKLM"), PAM_AUTH_ERR);
	assert_int_equal(auth_in("otp_forward", "sara", "pw", "000000"), PAM_AUTH_ERR);
	assert_int_equal(audit_count(f, "auth_failure", "error"), 7);
	st = open_store(f);
	assert_int_equal(otp_auth_peek(st, "sara", otp_now(), &peek), OTP_OK);
	otp_store_close(st);
	assert_int_equal(peek.locked_until, 0);
	assert_int_equal(auth_in("otp_forward", "sara", "pw", "000000"), PAM_AUTH_ERR);
	assert_int_equal(auth_in("otp_forward", "sara", "pw", "000000"), PAM_AUTH_ERR);
	assert_int_equal(auth_in("otp_forward", "sara", "pw", "000000"), PAM_AUTH_ERR);
	assert_int_equal(auth_in("otp_forward", "sara", "pw", "000000"), PAM_MAXTRIES);
}

/* Enrolled, locked, unknown and invalid names: the same prompts and the
 * same number of store commits, with the password first or not. */
static void classes_commit_alike(void **state)
{
	struct fx *f = *state;
	static const char *const svcs[] = { "otp", "otp_forward" };
	static const char *const users[] = { "tina", "locky", "nobody_here", "bad name" };
	struct otp_store *st;
	struct otp_login who;
	size_t before;
	struct talk t;

	write_conf(f, "lockout { deny = 1 fail_interval = 600 unlock_time = 600 }");
	pg_count_writes();
	enroll(f, "tina", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	enroll(f, "locky", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(auth1("locky", "000000"), PAM_AUTH_ERR);  /* deny = 1: locked */
	memset(&who, 0, sizeof(who));
	who.user = "tina";
	for (unsigned s = 0; s < 2; s++) {
		for (size_t u = 0; u < 4; u++) {
			memset(&t, 0, sizeof(t));
			t.answers[0] = s == 0 ? "000000" : "pw";
			t.answers[1] = "000000";
			before = commits(f);
			(void)auth_svc(svcs[s], users[u], &t);
			assert_int_equal(t.nprompts, s + 1);
			/* one commit with the code alone, charge + outcome with a password */
			assert_int_equal(commits(f) - before, s + 1);
		}
		st = open_store(f);
		who.now = otp_now();
		assert_int_equal(otp_unlock(st, &f->cfg, &who), OTP_OK);  /* tina locked herself */
		otp_store_close(st);
	}
}

struct summaries { unsigned records, counted; };

static int summary_one(const struct otp_audit_ev *ev, void *arg)
{
	struct summaries *s = arg;

	assert_non_null(ev);
	s->records++;
	assert_string_equal(ev->user, "(unknown)");
	assert_string_equal(ev->rhost, "203.0.113.5");
	s->counted += (unsigned)strtoul(ev->detail, NULL, 10);
	return OTP_OK;
}

/* Failures for names the store does not know: counted, not recorded one by one. */
static void unknown_names_bounded(void **state)
{
	struct fx *f = *state;
	struct summaries s = { 0, 0 };
	char name[32];

	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "ghost%d", i);
		setenv("PAM_RHOST", "203.0.113.5", 1);
		assert_int_equal(auth1(name, "000000"), PAM_AUTH_ERR);
	}
	unsetenv("PAM_RHOST");
	audit_walk(f, summary_one, &s);
	assert_true(s.records >= 1 && s.records <= 2);  /* a minute may turn meanwhile */
	assert_int_equal(s.counted, 40);
}

/* A list key as a module argument, and codes typed as apps show them. */
static void list_argument_and_spaced_codes(void **state)
{
	struct fx *f = *state;
	int rv;

	enroll(f, "vic", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	assert_int_equal(prompts_for("otp_trustarg", "vic", "198.51.100.7", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(prompts_for("otp_trustarg", "vic", "2001:db8::9", NULL, &rv), 0);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(prompts_for("otp_trustarg", "vic", "192.0.2.1", "755 224", &rv), 1);
	assert_int_equal(rv, PAM_SUCCESS);
	assert_int_equal(auth1("vic", "287-082"), PAM_SUCCESS);
}

/* PAM_SILENT: no informational message (the recovery code's count). */
static void silent_means_no_info(void **state)
{
	struct fx *f = *state;
	struct otp_store *st;
	struct otp_login who;
	char codes[2][OTP_RC_TEXT];
	struct pam_testcase tests[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
	struct talk t;

	enroll(f, "uma", B32_20, OTP_HOTP, OTP_ALG_SHA1, 6, 0, 1);
	st = open_store(f);
	memset(&who, 0, sizeof(who));
	who.user = "uma";
	who.now = otp_now();
	assert_int_equal(otp_recovery_generate(st, &f->cfg, &who, 2, codes), OTP_OK);
	otp_store_close(st);
	memset(&t, 0, sizeof(t));
	t.answers[0] = codes[0];
	tests[0].flags = PAM_SILENT;
	_pamtest_conv("otp", "uma", conv, &t, tests, 1, NULL);
	assert_int_equal(tests[0].op_rv, PAM_SUCCESS);
	assert_string_equal(t.info, "");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(totp_with_oathtool),
		T(totp_algorithms_digits_periods),
		T(hotp_rfc4226_key),
		T(bad_codes_refused),
		T(pending_and_revoked_refused),
		T(no_device_needs_nullok),
		T(fails_closed_on_bad_setup),
		T(fails_closed_on_store_symlink),
		T(password_system),
		T(password_forward_sets_authtok),
		T(lockout_after_deny),
		T(root_exempt_unless_even_deny_root),
		T(trusted_networks_skip_code),
		T(trusted_network_still_checks_password),
		T(remembered_host_then_revoked),
		T(recovery_code_once),
		T(authfail_counts_failures),
		T(codeless_logins_remember_nothing),
		T(error_paths_are_charged),
		T(classes_commit_alike),
		T(unknown_names_bounded),
		T(silent_means_no_info),
		T(list_argument_and_spaced_codes),
	};

	char cmd[96];
	int rc;

	pg_store = getenv("OTP_TEST_STORE");
	if (pg_store && *pg_store == '\0')
		pg_store = NULL;
	if (pg_store && !otp_store_is_postgresql(pg_store)) {
		fprintf(stderr, "OTP_TEST_STORE: not a PostgreSQL conninfo\n");
		return 1;
	}
	strcpy(work, "/tmp/otp-pam-XXXXXX");
	if (mkdtemp(work) == NULL)
		return 1;
	snprintf(cmd, sizeof(cmd), "%s/svc", work);
	mkdir(cmd, 0755);
	setenv("PAM_WRAPPER_SERVICE_DIR", cmd, 1);
	write_services();
	rc = cmocka_run_group_tests_name("pam", tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
