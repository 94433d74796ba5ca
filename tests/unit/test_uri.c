/* otpauth:// URIs: the Key Uri Format, built and parsed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "err.h"
#include "uri.h"

static void builds_totp(void **state)
{
	struct otp_uri u;
	char out[OTP_URI_MAX + 1];

	(void)state;
	memset(&u, 0, sizeof(u));
	strcpy(u.issuer, "Acme Co");
	strcpy(u.user, "alice@example.com");
	strcpy(u.secret, "JBSWY3DPEHPK3PXP");
	u.alg = OTP_ALG_SHA256;
	u.digits = 8;
	u.period = 60;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "otpauth://totp/Acme%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXP"
				 "&issuer=Acme%20Co&algorithm=SHA256&digits=8&period=60");
}

static void builds_hotp_without_issuer(void **state)
{
	struct otp_uri u;
	char out[OTP_URI_MAX + 1];

	(void)state;
	memset(&u, 0, sizeof(u));
	strcpy(u.user, "bob");
	strcpy(u.secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	u.hotp = 1;
	u.alg = OTP_ALG_SHA1;
	u.digits = 6;
	u.counter = 42;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "otpauth://hotp/bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
				 "&counter=42");
}

/* SHA1, 6 digits and 30 s are the format's defaults: left out, so the QR
 * code of a usual enrollment fits an 80x24 terminal. */
static void defaults_left_out(void **state)
{
	struct otp_uri u, p;
	char out[OTP_URI_MAX + 1];

	(void)state;
	memset(&u, 0, sizeof(u));
	strcpy(u.issuer, "host");
	strcpy(u.user, "alice");
	strcpy(u.secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	u.alg = OTP_ALG_SHA1;
	u.digits = 6;
	u.period = 30;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "otpauth://totp/host:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
				 "&issuer=host");
	assert_int_equal(otp_uri_parse(out, &p), OTP_OK);
	assert_int_equal(p.alg, OTP_ALG_SHA1);
	assert_int_equal(p.digits, 6);
	assert_int_equal(p.period, 30);
	assert_int_equal(p.hotp, 0);
}

/* Each parameter that differs from its default is written on its own. */
static void only_non_defaults_written(void **state)
{
	struct otp_uri u;
	char out[OTP_URI_MAX + 1];

	(void)state;
	memset(&u, 0, sizeof(u));
	strcpy(u.user, "alice");
	strcpy(u.secret, "JBSWY3DPEHPK3PXP");
	u.alg = OTP_ALG_SHA1;
	u.digits = 8;
	u.period = 30;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=8");
	u.digits = 6;
	u.period = 60;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=60");
	u.period = 30;
	u.alg = OTP_ALG_SHA512;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA512");
	u.alg = OTP_ALG_SHA1;
	u.hotp = 1;
	u.counter = 0;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=0");
}

/* URIs written by other tools (and by older otpctl) name every parameter. */
static void parses_full_uri(void **state)
{
	struct otp_uri p;

	(void)state;
	assert_int_equal(otp_uri_parse("otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP"
				       "&issuer=Acme&algorithm=SHA1&digits=6&period=30", &p), OTP_OK);
	assert_int_equal(p.alg, OTP_ALG_SHA1);
	assert_int_equal(p.digits, 6);
	assert_int_equal(p.period, 30);
	assert_int_equal(otp_uri_parse("otpauth://hotp/Acme:bob?secret=JBSWY3DPEHPK3PXP"
				       "&issuer=Acme&algorithm=SHA256&digits=8&counter=7", &p), OTP_OK);
	assert_int_equal(p.hotp, 1);
	assert_int_equal(p.alg, OTP_ALG_SHA256);
	assert_int_equal(p.digits, 8);
	assert_int_equal(p.counter, 7);
}

static void round_trip(void **state)
{
	struct otp_uri u, p;
	char out[OTP_URI_MAX + 1];

	(void)state;
	memset(&u, 0, sizeof(u));
	strcpy(u.issuer, "host-1 & co");
	strcpy(u.user, "j.doe+ops");
	strcpy(u.secret, "MZXW6YTBOIMZXW6YTBOI");
	u.alg = OTP_ALG_SHA512;
	u.digits = 7;
	u.period = 45;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_OK);
	assert_int_equal(otp_uri_parse(out, &p), OTP_OK);
	assert_string_equal(p.issuer, u.issuer);
	assert_string_equal(p.user, u.user);
	assert_string_equal(p.secret, u.secret);
	assert_int_equal(p.alg, OTP_ALG_SHA512);
	assert_int_equal(p.digits, 7);
	assert_int_equal(p.period, 45);
	assert_int_equal(p.hotp, 0);
}

static void colon_in_label_refused(void **state)
{
	struct otp_uri u;
	char out[OTP_URI_MAX + 1];

	(void)state;
	memset(&u, 0, sizeof(u));
	strcpy(u.issuer, "a:b");  /* found by fuzz_uri: would reparse as issuer "a" */
	strcpy(u.user, "alice");
	strcpy(u.secret, "JBSWY3DPEHPK3PXP");
	u.digits = 6;
	u.period = 30;
	assert_int_equal(otp_uri_build(&u, out, sizeof(out)), OTP_EINVAL);
}

static void parse_defaults_and_unknown_params(void **state)
{
	struct otp_uri p;

	(void)state;
	assert_int_equal(otp_uri_parse("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP"
				       "&image=https%3A%2F%2Fx", &p), OTP_OK);  /* 80-bit seed */
	assert_string_equal(p.issuer, "Example");
	assert_string_equal(p.user, "alice");
	assert_int_equal(p.alg, OTP_ALG_SHA1);
	assert_int_equal(p.digits, 6);
	assert_int_equal(p.period, 30);
}

static void parse_rejects(void **state)
{
	static const char *const bad[] = {
		"http://totp/a?secret=AA",
		"otpauth://totp/alice",
		"otpauth://totp/alice?issuer=x",
		"otpauth://totp/?secret=JBSWY3DP",
		"otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=9",
		"otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=0",
		"otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
		"otpauth://totp/al%2",
		"otpauth://totp/al%00ice?secret=JBSWY3DPEHPK3PXP",
		"otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=-1",
		"otpauth://totp/alice?secret=JBSWY3DPEHPK3PX%25",  /* found by fuzz_uri */
		"otpauth://totp/alice?secret=JBSW%20Y3DPEHPK3PXP",
		"otpauth://totp/alice?secret=MZXW6",                /* shorter than 80 bits */
		"otpauth://totp/+?secret=JBSWY3DPEHPK3PXP",        /* found by fuzz_uri */
		"otpauth://totp/Acme:%20?secret=JBSWY3DPEHPK3PXP",
	};
	struct otp_uri p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(otp_uri_parse(bad[i], &p), OTP_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_totp),
		cmocka_unit_test(builds_hotp_without_issuer),
		cmocka_unit_test(defaults_left_out),
		cmocka_unit_test(only_non_defaults_written),
		cmocka_unit_test(parses_full_uri),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(colon_in_label_refused),
		cmocka_unit_test(parse_defaults_and_unknown_params),
		cmocka_unit_test(parse_rejects),
	};

	return cmocka_run_group_tests_name("uri", tests, NULL, NULL);
}
