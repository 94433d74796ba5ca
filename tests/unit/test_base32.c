/* Base32 against RFC 4648 section 10, and the input forms people type. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "base32.h"
#include "err.h"

static const struct { const char *plain, *padded, *bare; } v[] = {
	{ "", "", "" },
	{ "f", "MY======", "MY" },
	{ "fo", "MZXQ====", "MZXQ" },
	{ "foo", "MZXW6===", "MZXW6" },
	{ "foob", "MZXW6YQ=", "MZXW6YQ" },
	{ "fooba", "MZXW6YTB", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI======", "MZXW6YTBOI" },
};

static void rfc4648_encode(void **state)
{
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].plain);

		assert_int_equal(otp_base32_encode((const uint8_t *)v[i].plain, n, 1, out, sizeof(out)),
				 OTP_OK);
		assert_string_equal(out, v[i].padded);
		assert_int_equal(otp_base32_encode((const uint8_t *)v[i].plain, n, 0, out, sizeof(out)),
				 OTP_OK);
		assert_string_equal(out, v[i].bare);
		assert_int_equal(otp_base32_enclen(n, 1), strlen(v[i].padded));
	}
}

static void check_decode(const char *in, const char *want)
{
	uint8_t out[64];
	size_t n = 99;

	assert_int_equal(otp_base32_decode(in, out, sizeof(out), &n), OTP_OK);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void rfc4648_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		check_decode(v[i].padded, v[i].plain);
		check_decode(v[i].bare, v[i].plain);
	}
}

static void typed_forms_accepted(void **state)
{
	(void)state;
	check_decode("mzxw6ytboi", "foobar");
	check_decode("MZXW 6YTB OI", "foobar");
	check_decode("mzxw-6ytb-oi======", "foobar");
	check_decode("\tMZXW6YTBOI ", "foobar");
}

static void garbage_refused(void **state)
{
	static const char *const bad[] = {
		"MZXW6YTBO1",  /* '1' is not in the alphabet */
		"MZXW6YTB8I",  /* nor '8' */
		"MZ=XW6YTBOI", /* padding in the middle */
		"M",           /* 1 symbol: no encoder writes that */
		"MZX",         /* 3 */
		"MZXW6Y",      /* 6 */
		"MY=====",     /* wrong amount of padding */
		"MZXW6YTBOI!",
	};
	uint8_t out[64];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(otp_base32_decode(bad[i], out, sizeof(out), &n), OTP_EINVAL);
}

static void limits_enforced(void **state)
{
	char big[OTP_BASE32_MAX_TEXT + 2];
	uint8_t out[4];
	char small[4];
	size_t n;

	(void)state;
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(otp_base32_decode(big, out, sizeof(out), &n), OTP_ETOOLONG);
	/* output buffer too small */
	assert_int_equal(otp_base32_decode("MZXW6YTBOI", out, sizeof(out), &n), OTP_EINVAL);
	assert_int_equal(otp_base32_encode((const uint8_t *)"foobar", 6, 0, small, sizeof(small)),
			 OTP_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4648_encode),
		cmocka_unit_test(rfc4648_decode),
		cmocka_unit_test(typed_forms_accepted),
		cmocka_unit_test(garbage_refused),
		cmocka_unit_test(limits_enforced),
	};

	return cmocka_run_group_tests_name("base32", tests, NULL, NULL);
}
