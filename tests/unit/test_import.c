/* Parsers of issue "admin surface": google-authenticator files, pam_oath
 * usersfile lines, audit time expressions, audit record encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "audit.h"
#include "codec.h"
#include "store_lmdb_codec.h"
#include "err.h"
#include "import.h"
#include "timeexpr.h"

static const uint8_t rfc_key[] = "12345678901234567890";

static void ga_totp_file(void **state)
{
	static struct otp_ga_file g;
	static const char text[] =
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" RATE_LIMIT 3 30 1700000000\n"
		"\" WINDOW_SIZE 17\n\" DISALLOW_REUSE 56666666 56666667\n\" TOTP_AUTH\n"
		"\" STEP_SIZE 60\n12345678\n87654321\n";

	(void)state;
	assert_int_equal(otp_ga_parse(text, "ga", "alice", &g), OTP_OK);
	assert_string_equal(g.dev.user, "alice");
	assert_int_equal(g.dev.hotp, 0);
	assert_int_equal(g.dev.period, 60);
	assert_int_equal(g.dev.digits, 6);
	assert_int_equal(g.dev.last_step, 56666667);
	assert_int_equal(g.dev.secret_len, 20);
	assert_memory_equal(g.dev.secret, rfc_key, 20);
	assert_int_equal(g.nscratch, 2);
	assert_string_equal(g.scratch[1], "87654321");
	assert_non_null(strstr(g.ignored, "RATE_LIMIT"));
	assert_non_null(strstr(g.ignored, "WINDOW_SIZE"));
}

static void ga_hotp_file(void **state)
{
	static struct otp_ga_file g;

	(void)state;
	assert_int_equal(otp_ga_parse("JBSWY3DPEHPK3PXP\r\n\" HOTP_COUNTER 42\r\n", "ga", "bob", &g),
			 OTP_OK);
	assert_int_equal(g.dev.hotp, 1);
	assert_int_equal(g.dev.counter, 42);
	assert_int_equal(g.dev.secret_len, 10);
	assert_int_equal(g.nscratch, 0);
}

static void ga_errors_name_line(void **state)
{
	static struct otp_ga_file g;
	static const struct { const char *text, *where; } bad[] = {
		{ "", "empty" },
		{ "not base32!\n", "ga:1:" },
		{ "MZXW6\n", "ga:1:" },  /* too short a secret */
		{ "JBSWY3DPEHPK3PXP\n\" FROBNICATE\n", "ga:2:" },
		{ "JBSWY3DPEHPK3PXP\n\" STEP_SIZE zero\n", "ga:2:" },
		{ "JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n1234567\n", "ga:3:" },
		{ "JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n1234567x\n", "ga:3:" },
		{ "JBSWY3DPEHPK3PXP\n\" DISALLOW_REUSE 1 x\n", "ga:2:" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(otp_ga_parse(bad[i].text, "ga", "u", &g), OTP_EINVAL);
		if (strstr(otp_errdetail(), bad[i].where) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, otp_errdetail(), bad[i].where);
	}
}

static void oath_lines(void **state)
{
	struct otp_import_dev d;
	int skip, pass;

	(void)state;
	assert_int_equal(otp_oath_parse_line("HOTP alice - 3132333435363738393031323334353637383930 7 "
					     "755224 2026-01-01T00:00:00L\n", "f", 3, &d, &skip, &pass),
			 OTP_OK);
	assert_false(skip);
	assert_false(pass);
	assert_string_equal(d.user, "alice");
	assert_int_equal(d.hotp, 1);
	assert_int_equal(d.digits, 6);
	assert_int_equal(d.counter, 8);  /* 7 was used (LASTOTP given): next is 8 */
	assert_int_equal(d.line, 3);
	assert_memory_equal(d.secret, rfc_key, 20);
	assert_int_equal(otp_oath_parse_line("HOTP carl - 3132333435363738393031323334353637383930 7",
					     "f", 3, &d, &skip, &pass), OTP_OK);
	assert_int_equal(d.counter, 7);  /* never used: 7 is next */
	assert_int_equal(otp_oath_parse_line("HOTP/T60/8 bob + 3132333435363738393031323334353637383930",
					     "f", 4, &d, &skip, &pass), OTP_OK);
	assert_int_equal(d.hotp, 0);
	assert_int_equal(d.period, 60);
	assert_int_equal(d.digits, 8);
	assert_false(pass);
	assert_int_equal(otp_oath_parse_line("HOTP/E/7 carol s3cret 3132333435363738393031323334353637383930",
					     "f", 5, &d, &skip, &pass), OTP_OK);
	assert_int_equal(d.digits, 7);
	assert_true(pass);
	assert_int_equal(otp_oath_parse_line("  # a comment", "f", 6, &d, &skip, &pass), OTP_OK);
	assert_true(skip);
	assert_int_equal(otp_oath_parse_line("\n", "f", 7, &d, &skip, &pass), OTP_OK);
	assert_true(skip);
}

static void oath_errors(void **state)
{
	static const char *const bad[] = {
		"HOTP alice -",
		"TOTP alice - 3132333435363738393031323334353637383930",
		"HOTP/T45 alice - 3132333435363738393031323334353637383930",
		"HOTP/E/9 alice - 3132333435363738393031323334353637383930",
		"HOTP alice - 31323",
		"HOTP alice - 313233343536373839zz",
		"HOTP alice - 3132333435363738393031323334353637383930 -5",
		"HOTP a:b - 3132333435363738393031323334353637383930",
	};
	struct otp_import_dev d;
	int skip, pass;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(otp_oath_parse_line(bad[i], "users.oath", 9, &d, &skip, &pass),
				 OTP_EINVAL);
		assert_non_null(strstr(otp_errdetail(), "users.oath:9:"));
	}
}

static void time_expressions(void **state)
{
	uint64_t t;
	const uint64_t now = 1800000000;

	(void)state;
	assert_int_equal(otp_time_parse("2026-11-21T10:00:00Z", now, &t), OTP_OK);
	assert_int_equal(t, 1795255200);
	assert_int_equal(otp_time_parse("2026-11-21t12:00:00.123+02:00", now, &t), OTP_OK);
	assert_int_equal(t, 1795255200);
	assert_int_equal(otp_time_parse("2026-11-21 05:30:00-04:30", now, &t), OTP_OK);
	assert_int_equal(t, 1795255200);
	assert_int_equal(otp_time_parse("2026-11-21", now, &t), OTP_OK);
	assert_int_equal(t, 1795219200);
	assert_int_equal(otp_time_parse("1h", now, &t), OTP_OK);
	assert_int_equal(t, now - 3600);
	assert_int_equal(otp_time_parse("7d", now, &t), OTP_OK);
	assert_int_equal(t, now - 7 * 86400);
	assert_int_equal(otp_time_parse("90s", now, &t), OTP_OK);
	assert_int_equal(t, now - 90);
	assert_int_equal(otp_time_parse("2w", now, &t), OTP_OK);
	assert_int_equal(t, now - 14 * 86400);
	assert_int_equal(otp_time_parse("now", now, &t), OTP_OK);
	assert_int_equal(t, now);
	static const char *const bad[] = { "", "1y", "h", "-1h", "2026-13-01", "2026-02-30",
					   "2026-11-21T25:00:00Z", "2026-11-21T10:00:00",
					   "2026-11-21T10:00Z", "yesterday", "1969-12-31" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(otp_time_parse(bad[i], now, &t), OTP_EINVAL);
}

static void audit_record_round_trip(void **state)
{
	struct otp_audit_ev a, b;
	uint8_t key[12], val[4096];
	struct otp_wbuf w = { val, sizeof(val), 0, OTP_OK };

	(void)state;
	otp_audit_set(&a, 1700000000, "auth_failure", "alice", "phone", "code");
	otp_be64(key, a.time);
	otp_be32(key + 8, 3);
	otp_put_u8(&w, OTP_REC_VERSION);
	otp_put_str(&w, a.event);
	otp_put_str(&w, a.user);
	otp_put_str(&w, "sshd");
	otp_put_str(&w, "192.0.2.1");
	otp_put_str(&w, "ssh");
	otp_put_str(&w, a.device);
	otp_put_str(&w, a.detail);
	assert_int_equal(otp_audit_decode(key, 12, val, w.len, &b), OTP_OK);
	assert_int_equal(b.time, 1700000000);
	assert_int_equal(b.seq, 3);
	assert_string_equal(b.event, "auth_failure");
	assert_string_equal(b.rhost, "192.0.2.1");
	assert_string_equal(b.detail, "code");
	assert_int_equal(otp_audit_decode(key, 11, val, w.len, &b), OTP_ECORRUPT);
	assert_int_equal(otp_audit_decode(key, 12, val, w.len - 1, &b), OTP_ECORRUPT);
	val[0] = OTP_AUDIT_REC_VERSION + 1;  /* v1 and v2 are read; v3 is newer */
	assert_int_equal(otp_audit_decode(key, 12, val, w.len, &b), OTP_EVERSION);
}

static void audit_fields_are_capped(void **state)
{
	struct otp_audit_ev a;
	char big[1000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	otp_audit_set(&a, 1, "verify", big, NULL, big);
	assert_int_equal(strlen(a.user), OTP_AUDIT_FIELD_MAX);
	assert_int_equal(strlen(a.detail), OTP_AUDIT_FIELD_MAX);
	assert_string_equal(a.device, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ga_totp_file),
		cmocka_unit_test(ga_hotp_file),
		cmocka_unit_test(ga_errors_name_line),
		cmocka_unit_test(oath_lines),
		cmocka_unit_test(oath_errors),
		cmocka_unit_test(time_expressions),
		cmocka_unit_test(audit_record_round_trip),
		cmocka_unit_test(audit_fields_are_capped),
	};

	return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
