/* CIDR parsing and matching for trusted_networks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "net.h"

static void ipv4(void **state)
{
	struct otp_cidr c;

	(void)state;
	assert_int_equal(otp_cidr_parse("192.0.2.0/24", &c), OTP_OK);
	assert_true(otp_cidr_match(&c, "192.0.2.77"));
	assert_false(otp_cidr_match(&c, "192.0.3.1"));
	assert_true(otp_cidr_match(&c, "::ffff:192.0.2.9"));  /* IPv4-mapped */
	assert_int_equal(otp_cidr_parse("10.0.0.0/9", &c), OTP_OK);
	assert_true(otp_cidr_match(&c, "10.127.255.255"));
	assert_false(otp_cidr_match(&c, "10.128.0.0"));
	assert_int_equal(otp_cidr_parse("0.0.0.0/0", &c), OTP_OK);
	assert_true(otp_cidr_match(&c, "8.8.8.8"));
	assert_false(otp_cidr_match(&c, "2001:db8::1"));
	assert_int_equal(otp_cidr_parse("127.0.0.1", &c), OTP_OK);
	assert_true(otp_cidr_match(&c, "127.0.0.1"));
	assert_false(otp_cidr_match(&c, "127.0.0.2"));
}

static void ipv6(void **state)
{
	struct otp_cidr c;

	(void)state;
	assert_int_equal(otp_cidr_parse("2001:db8::/32", &c), OTP_OK);
	assert_true(otp_cidr_match(&c, "2001:db8:ffff::1"));
	assert_false(otp_cidr_match(&c, "2001:db9::1"));
	assert_false(otp_cidr_match(&c, "192.0.2.1"));
	assert_int_equal(otp_cidr_parse("fe80::/10", &c), OTP_OK);
	assert_true(otp_cidr_match(&c, "febf::1"));
	assert_false(otp_cidr_match(&c, "fec0::1"));
}

static void names_never_match(void **state)
{
	struct otp_cidr c;

	(void)state;
	assert_int_equal(otp_cidr_parse("0.0.0.0/0", &c), OTP_OK);
	assert_false(otp_cidr_match(&c, "localhost"));
	assert_false(otp_cidr_match(&c, "10.0.0.1.example.com"));
	assert_false(otp_cidr_match(&c, ""));
	assert_false(otp_cidr_match(&c, NULL));
}

static void bad_networks(void **state)
{
	static const char *const bad[] = { "10.0.0.1/8", "10.0.0.0/33", "2001:db8::/129",
					   "10.0.0.0/", "10.0.0.0/-1", "host.example", "",
					   "10.0.0.0/8/8", "2001:db8::1/32" };
	struct otp_cidr c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(otp_cidr_parse(bad[i], &c), OTP_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4),
		cmocka_unit_test(ipv6),
		cmocka_unit_test(names_never_match),
		cmocka_unit_test(bad_networks),
	};

	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
