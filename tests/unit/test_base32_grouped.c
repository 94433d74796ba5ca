/*
 * otp_base32_grouped: a secret as a person copies it from a prompt, in
 * groups of four, and read back by otp_base32_decode to the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "base32.h"
#include "err.h"

static void groups_of_four(void **state)
{
	static const struct { const char *in, *want; } v[] = {
		{ "", "" },
		{ "J", "J" },
		{ "JBSW", "JBSW" },
		{ "JBSWY", "JBSW Y" },
		{ "JBSWY3DPEHPK3PXP", "JBSW Y3DP EHPK 3PXP" },
		{ "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
		  "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP" },
		{ "MZXW6YTBOI", "MZXW 6YTB OI" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(otp_base32_grouped(v[i].in, out, sizeof(out)), OTP_OK);
		assert_string_equal(out, v[i].want);
		assert_int_equal(OTP_BASE32_GROUPED_SIZE(strlen(v[i].in)), strlen(v[i].want) + 1);
	}
}

static void decodes_to_the_same_bytes(void **state)
{
	static const uint8_t seed[20] = { 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe,
					  0xef, 0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x10, 0x20,
					  0x30, 0x40 };
	char b32[40], grouped[OTP_BASE32_GROUPED_SIZE(32)];
	uint8_t back[20];
	size_t n = 0;

	(void)state;
	assert_int_equal(otp_base32_encode(seed, sizeof(seed), 0, b32, sizeof(b32)), OTP_OK);
	assert_int_equal(otp_base32_grouped(b32, grouped, sizeof(grouped)), OTP_OK);
	assert_int_equal(strlen(grouped), 39);
	assert_int_equal(otp_base32_decode(grouped, back, sizeof(back), &n), OTP_OK);
	assert_int_equal(n, sizeof(seed));
	assert_memory_equal(back, seed, sizeof(seed));
}

static void buffer_exact(void **state)
{
	char out[OTP_BASE32_GROUPED_SIZE(8)];

	(void)state;
	assert_int_equal(sizeof(out), 10);
	assert_int_equal(otp_base32_grouped("MZXW6YTB", out, sizeof(out)), OTP_OK);
	assert_string_equal(out, "MZXW 6YTB");
	memset(out, 'x', sizeof(out));
	assert_int_equal(otp_base32_grouped("MZXW6YTB", out, sizeof(out) - 1), OTP_ETOOLONG);
	assert_string_equal(out, "");
	assert_int_equal(otp_base32_grouped("MZXW6YTB", NULL, 0), OTP_ETOOLONG);
}

static void refused(void **state)
{
	static char huge[OTP_BASE32_MAX_TEXT + 2];
	char out[64];

	(void)state;
	/* only what the encoder writes: no padding, spaces, lower case */
	assert_int_equal(otp_base32_grouped("MZXW6===", out, sizeof(out)), OTP_EINVAL);
	assert_int_equal(otp_base32_grouped("MZXW 6YTB", out, sizeof(out)), OTP_EINVAL);
	assert_int_equal(otp_base32_grouped("mzxw6ytb", out, sizeof(out)), OTP_EINVAL);
	assert_int_equal(otp_base32_grouped("MZXW1", out, sizeof(out)), OTP_EINVAL);
	assert_string_equal(out, "");
	memset(huge, 'A', sizeof(huge) - 1);
	assert_int_equal(otp_base32_grouped(huge, out, sizeof(out)), OTP_ETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(groups_of_four),
		cmocka_unit_test(decodes_to_the_same_bytes),
		cmocka_unit_test(buffer_exact),
		cmocka_unit_test(refused),
	};

	return cmocka_run_group_tests_name("base32_grouped", tests, NULL, NULL);
}
