/* Configuration: defaults, every error naming file and line, overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"

static void defaults(void **state)
{
	struct otp_config c;

	(void)state;
	assert_int_equal(otp_config_parse_text("", "t.conf", &c), OTP_OK);
	assert_string_equal(c.store, "/var/lib/pam_otp");
	assert_string_equal(c.seal_key, "/etc/pam_otp/seal.key");
	assert_int_equal(c.password, OTP_PW_SYSTEM);
	assert_int_equal(c.totp.window, 1);
	assert_int_equal(c.totp.period, 30);
	assert_int_equal(c.hotp.window, 10);
	assert_int_equal(c.lockout.deny, 5);
	assert_int_equal(c.lockout.fail_interval, 900);
	assert_int_equal(c.recovery_count, 10);
	assert_int_equal(c.audit_retention_days, 365);
	assert_int_equal(c.audit_syslog, 1);
	assert_int_equal(c.ntrusted, 0);
}

static void full_file(void **state)
{
	struct otp_config c;
	static const char text[] =
		"store = \"/srv/otp\"\nseal_key = \"/srv/k\"\nissuer = \"Acme\"\n"
		"password = \"forward\"\nnullok = true\nmap_size_mb = 64\n"
		"totp { algorithm = \"SHA256\" digits = 8 period = 60 window = 2 }\n"
		"hotp { algorithm = \"SHA512\" digits = 7 window = 20 }\n"
		"lockout { deny = 3 fail_interval = 60 unlock_time = 0 even_deny_root = true }\n"
		"trusted_networks = {\"10.0.0.0/8\", \"2001:db8::/32\"}\n"
		"remember_host = 3600\nrecovery { count = 5 }\n"
		"audit { retention_days = 30 syslog = false }\n";

	(void)state;
	assert_int_equal(otp_config_parse_text(text, "t.conf", &c), OTP_OK);
	assert_string_equal(c.store, "/srv/otp");
	assert_string_equal(c.issuer, "Acme");
	assert_int_equal(c.password, OTP_PW_FORWARD);
	assert_int_equal(c.nullok, 1);
	assert_int_equal(c.totp.alg, OTP_ALG_SHA256);
	assert_int_equal(c.totp.digits, 8);
	assert_int_equal(c.hotp.alg, OTP_ALG_SHA512);
	assert_int_equal(c.hotp.window, 20);
	assert_int_equal(c.lockout.deny, 3);
	assert_int_equal(c.lockout.unlock_time, 0);
	assert_int_equal(c.lockout.even_deny_root, 1);
	assert_int_equal(c.ntrusted, 2);
	assert_true(otp_cidr_match(&c.trusted[0], "10.1.2.3"));
	assert_true(otp_cidr_match(&c.trusted[1], "2001:db8::1"));
	assert_int_equal(c.remember_host, 3600);
	assert_int_equal(c.recovery_count, 5);
	assert_int_equal(c.audit_syslog, 0);
}

static void expect_error(const char *text, const char *fragment)
{
	struct otp_config c;

	assert_int_equal(otp_config_parse_text(text, "t.conf", &c), OTP_ECONFIG);
	if (strstr(otp_errdetail(), fragment) == NULL)
		fail_msg("detail '%s' lacks '%s'", otp_errdetail(), fragment);
}

static void errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("\n\nwindw = 3\n", "t.conf:3:");
	expect_error("totp {\n  window = 5000\n}\n", "t.conf:2:");
	expect_error("totp { digits = 9 }", "digits");
	expect_error("hotp { algorithm = \"MD5\" }", "algorithm");
	expect_error("password = \"maybe\"", "password");
	expect_error("store = \"relative/path\"", "absolute");
	expect_error("lockout { deny = -1 }", "deny");
	expect_error("trusted_networks = {\"10.0.0.1/8\"}", "host bits");
	expect_error("trusted_networks = {\"example.com\"}", "numeric");
	expect_error("totp { period = 0 }", "period");
	expect_error("issuer = \"a:b\"", "issuer");
	expect_error("nullok = maybe", "t.conf:1:");
}

static char *write_conf(const char *text, mode_t mode)
{
	static char path[] = "/tmp/otp-conf-XXXXXX";
	int fd;

	strcpy(path, "/tmp/otp-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
	return path;
}

static void file_and_overrides(void **state)
{
	struct otp_config c;
	const char *ov[] = { "totp.window=3", "password=none", "nullok=true" };
	const char *bad1[] = { "totp.nosuch=1" };
	const char *bad2[] = { "totp.window=99999" };
	const char *bad3[] = { "justakey" };
	char *path = write_conf("totp { window = 2 }\n", 0644);

	(void)state;
	assert_int_equal(otp_config_load(path, ov, 3, &c), OTP_OK);
	assert_int_equal(c.totp.window, 3);
	assert_int_equal(c.password, OTP_PW_NONE);
	assert_int_equal(c.nullok, 1);
	assert_int_equal(otp_config_load(path, bad1, 1, &c), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "totp.nosuch"));
	assert_int_equal(otp_config_load(path, bad2, 1, &c), OTP_ECONFIG);
	assert_int_equal(otp_config_load(path, bad3, 1, &c), OTP_ECONFIG);
	unlink(path);
}

/* A list key as a module argument: comma-separated, replacing the file's. */
static void list_overrides(void **state)
{
	struct otp_config c;
	const char *two[] = { "trusted_networks=10.0.0.0/8,2001:db8::/32" };
	const char *none[] = { "trusted_networks=" };
	const char *bad[] = { "trusted_networks=10.0.0.0/8,not-a-net" };
	const char *empty[] = { "trusted_networks=10.0.0.0/8,,192.0.2.0/24" };
	char *path = write_conf("trusted_networks = {\"192.0.2.0/24\"}\n", 0644);

	(void)state;
	assert_int_equal(otp_config_load(path, two, 1, &c), OTP_OK);
	assert_int_equal(c.ntrusted, 2);
	assert_int_equal(otp_config_load(path, none, 1, &c), OTP_OK);
	assert_int_equal(c.ntrusted, 0);
	assert_int_equal(otp_config_load(path, bad, 1, &c), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "not-a-net"));
	assert_int_equal(otp_config_load(path, empty, 1, &c), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "empty list item"));
	unlink(path);
}

static void unsafe_files_refused(void **state)
{
	struct otp_config c;
	char *path = write_conf("", 0664), link[64];

	(void)state;
	assert_int_equal(otp_config_load(path, NULL, 0, &c), OTP_EPERM);
	assert_non_null(strstr(otp_errdetail(), path));
	chmod(path, 0644);
	snprintf(link, sizeof(link), "%s.lnk", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(otp_config_load(link, NULL, 0, &c), OTP_EPERM);
	assert_non_null(strstr(otp_errdetail(), "symlink"));
	unlink(link);
	unlink(path);
	assert_int_equal(otp_config_load(path, NULL, 0, &c), OTP_ENOTFOUND);
}

/* store: PostgreSQL specs in both forms pass, as written. */
static void store_postgresql_accepted(void **state)
{
	static const char *const specs[] = {
		"postgresql://db1.example,db2.example/otp?user=pam_otp"
		"&target_session_attrs=read-write&passfile=/etc/pam_otp/pgpass",
		"postgres:///otp?host=/run/postgresql",
		"host=db1.example,db2.example dbname=otp user=pam_otp "
		"target_session_attrs=read-write sslmode=verify-full "
		"sslrootcert=/etc/pam_otp/db-ca.crt sslcert=/etc/pam_otp/db.crt "
		"sslkey=/etc/pam_otp/db.key",
		"host='/run/postgresql' dbname = otp",
		"host=db1.example\n         dbname=otp user=pam_otp",
	};
	struct otp_config c;
	char text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		snprintf(text, sizeof(text), "store = \"%s\"\n", specs[i]);
		if (otp_config_parse_text(text, "t.conf", &c) != OTP_OK)
			fail_msg("'%s' refused: %s", specs[i], otp_errdetail());
		assert_string_equal(c.store, specs[i]);
	}
}

/* The error names file, line and problem, and never echoes the secret. */
static void expect_store_error(const char *spec, const char *fragment)
{
	struct otp_config c;
	char text[1024];

	snprintf(text, sizeof(text), "issuer = \"Acme\"\nstore = \"%s\"\n", spec);
	assert_int_equal(otp_config_parse_text(text, "t.conf", &c), OTP_ECONFIG);
	if (strstr(otp_errdetail(), "t.conf:2: store: ") == NULL ||
	    strstr(otp_errdetail(), fragment) == NULL)
		fail_msg("detail '%s' lacks 't.conf:2: store: ' or '%s'", otp_errdetail(),
			 fragment);
	if (strstr(otp_errdetail(), "s3cret") != NULL)
		fail_msg("detail '%s' echoes the password", otp_errdetail());
}

static void store_password_refused(void **state)
{
	static const char *const specs[] = {
		"host=db1 dbname=otp user=pam_otp password=s3cret",
		"host=db1 password='s3cret with blanks'",
		"host=db1 password=",
		"host=db1 sslpassword=s3cret",
		"postgresql://pam_otp:s3cret@db1/otp",
		"postgres://db1/otp?user=pam_otp&password=s3cret",
		"dbname=postgresql://pam_otp:s3cret@db1/otp",
	};
	static const char why[] = "a password in the conninfo is refused; use a passfile "
				  "(PGPASSFILE, ~/.pgpass) or client certificates";

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		expect_store_error(specs[i], why);
}

/* libpq's reason, with option names but without pieces of the spec. */
static void store_bad_conninfo_refused(void **state)
{
	(void)state;
	expect_store_error("host=db1 passwrd=s3cret",
			   "not a valid PostgreSQL URI or conninfo: invalid connection option "
			   "\"passwrd\"");
	expect_store_error("host=db1 password=s3cret more", "missing \"=\" after \"...\"");
	expect_store_error("host='db1 password=s3cret", "unterminated quoted string");
	expect_store_error("postgresql://pam_otp:s3cr%zzet@db1/otp",
			   "invalid percent-encoded token: \"...\"");
	expect_store_error("postgresql://pam_otp:s3cret@[::1/otp", "IPv6");
	expect_store_error("postgresql://db1/otp?s3cret=1", "invalid URI query parameter");
	expect_error("store = \"relative/dir\"",
		     "t.conf:1: store must be an absolute path (LMDB) or a PostgreSQL URI");
}

/* A spec given as a module argument is checked, and not echoed either. */
static void store_module_argument(void **state)
{
	struct otp_config c;
	const char *good[] = { "store=postgresql://db1/otp?user=pam_otp" };
	const char *bad[] = { "store=postgresql://pam_otp:s3cret@db1/otp" };
	char *path = write_conf("store = \"/srv/otp\"\n", 0644);

	(void)state;
	assert_int_equal(otp_config_load(path, good, 1, &c), OTP_OK);
	assert_string_equal(c.store, "postgresql://db1/otp?user=pam_otp");
	assert_int_equal(otp_config_load(path, bad, 1, &c), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "module argument 'store'"));
	assert_non_null(strstr(otp_errdetail(), "password in the conninfo is refused"));
	assert_null(strstr(otp_errdetail(), "s3cret"));
	unlink(path);
}

static void store_timeout_range(void **state)
{
	struct otp_config c;

	(void)state;
	assert_int_equal(otp_config_parse_text("", "t.conf", &c), OTP_OK);
	assert_int_equal(c.store_timeout, 5);
	assert_int_equal(otp_config_parse_text("store_timeout = 60\n", "t.conf", &c), OTP_OK);
	assert_int_equal(c.store_timeout, 60);
	expect_error("store_timeout = 0\n", "t.conf:1: store_timeout = 0 is out of range 1..60");
	expect_error("\nstore_timeout = 61\n", "t.conf:2:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(full_file),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(file_and_overrides),
		cmocka_unit_test(list_overrides),
		cmocka_unit_test(unsafe_files_refused),
		cmocka_unit_test(store_postgresql_accepted),
		cmocka_unit_test(store_password_refused),
		cmocka_unit_test(store_bad_conninfo_refused),
		cmocka_unit_test(store_module_argument),
		cmocka_unit_test(store_timeout_range),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
