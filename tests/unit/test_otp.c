/* HOTP and TOTP against RFC 4226 Appendix D and RFC 6238 Appendix B. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "err.h"
#include "otp.h"

static const uint8_t key20[] = "12345678901234567890";
static const uint8_t key32[] = "12345678901234567890123456789012";
static const uint8_t key64[] =
	"1234567890123456789012345678901234567890123456789012345678901234";

static void rfc4226_appendix_d(void **state)
{
	static const char *const want[] = { "755224", "287082", "359152", "969429", "338314",
					    "254676", "287922", "162583", "399871", "520489" };
	char code[OTP_CODE_BUF];

	(void)state;
	for (uint64_t c = 0; c < 10; c++) {
		assert_int_equal(otp_hotp(key20, 20, OTP_ALG_SHA1, c, 6, code), OTP_OK);
		assert_string_equal(code, want[c]);
	}
}

static void rfc6238_appendix_b(void **state)
{
	static const struct { uint64_t t; const char *sha1, *sha256, *sha512; } v[] = {
		{ 59, "94287082", "46119246", "90693936" },
		{ 1111111109, "07081804", "68084774", "25091201" },
		{ 1111111111, "14050471", "67062674", "99943326" },
		{ 1234567890, "89005924", "91819424", "93441116" },
		{ 2000000000, "69279037", "90698825", "38618901" },
		{ 20000000000ull, "65353130", "77737706", "47863826" },
	};
	char code[OTP_CODE_BUF];
	uint64_t step;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(otp_totp_step(v[i].t, 0, 30, &step), OTP_OK);
		assert_int_equal(otp_hotp(key20, 20, OTP_ALG_SHA1, step, 8, code), OTP_OK);
		assert_string_equal(code, v[i].sha1);
		assert_int_equal(otp_hotp(key32, 32, OTP_ALG_SHA256, step, 8, code), OTP_OK);
		assert_string_equal(code, v[i].sha256);
		assert_int_equal(otp_hotp(key64, 64, OTP_ALG_SHA512, step, 8, code), OTP_OK);
		assert_string_equal(code, v[i].sha512);
	}
}

static void hotp_lookahead_returns_match(void **state)
{
	uint64_t m = 99;

	(void)state;
	/* counter 7's code, searched from 3 with a window of 10 */
	assert_int_equal(otp_hotp_verify(key20, 20, OTP_ALG_SHA1, 6, 3, 10, "162583", &m), OTP_OK);
	assert_int_equal(m, 7);
	/* outside the window: from 3 with window 3 reaches counter 6 only */
	assert_int_equal(otp_hotp_verify(key20, 20, OTP_ALG_SHA1, 6, 3, 3, "162583", &m),
			 OTP_EBADCODE);
	/* behind the counter: never accepted */
	assert_int_equal(otp_hotp_verify(key20, 20, OTP_ALG_SHA1, 6, 8, 10, "162583", &m),
			 OTP_EBADCODE);
}

static void totp_window_and_replay(void **state)
{
	uint64_t m = 0;

	(void)state;
	/* the code for t=59 (step 1) is accepted at t=89 (step 2) with window 1 */
	assert_int_equal(otp_totp_verify(key20, 20, OTP_ALG_SHA1, 8, 30, 0, 89, 1, 0, "94287082",
					 &m), OTP_OK);
	assert_int_equal(m, 1);
	/* not with window 0 */
	assert_int_equal(otp_totp_verify(key20, 20, OTP_ALG_SHA1, 8, 30, 0, 89, 0, 0, "94287082",
					 &m), OTP_EBADCODE);
	/* a step at or before the last accepted one is a replay */
	assert_int_equal(otp_totp_verify(key20, 20, OTP_ALG_SHA1, 8, 30, 0, 59, 1, 1, "94287082",
					 &m), OTP_EREPLAY);
	assert_int_equal(otp_totp_verify(key20, 20, OTP_ALG_SHA1, 8, 30, 0, 59, 1, 5, "94287082",
					 &m), OTP_EREPLAY);
}

static void malformed_codes_refused(void **state)
{
	uint64_t m;
	static const char *const bad[] = { "", "12345", "1234567", "12345a", " 755224",
					   "755224 ", "+55224", "7552240" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(otp_hotp_verify(key20, 20, OTP_ALG_SHA1, 6, 0, 10, bad[i], &m),
				 OTP_EBADCODE);
	assert_int_equal(otp_code_wellformed(NULL, 6), OTP_EBADCODE);
}

static void bad_parameters_refused(void **state)
{
	char code[OTP_CODE_BUF];
	uint64_t s;
	enum otp_alg a;

	(void)state;
	assert_int_equal(otp_hotp(key20, 9, OTP_ALG_SHA1, 0, 6, code), OTP_EINVAL);
	assert_int_equal(otp_hotp(key20, 20, OTP_ALG_SHA1, 0, 5, code), OTP_EINVAL);
	assert_int_equal(otp_hotp(key20, 20, OTP_ALG_SHA1, 0, 9, code), OTP_EINVAL);
	assert_int_equal(otp_totp_step(10, 0, 0, &s), OTP_EINVAL);
	assert_int_equal(otp_totp_step(10, 20, 30, &s), OTP_EINVAL);
	assert_int_equal(otp_alg_parse("sha256", &a), OTP_OK);
	assert_int_equal(a, OTP_ALG_SHA256);
	assert_int_equal(otp_alg_parse("MD5", &a), OTP_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4226_appendix_d),
		cmocka_unit_test(rfc6238_appendix_b),
		cmocka_unit_test(hotp_lookahead_returns_match),
		cmocka_unit_test(totp_window_and_replay),
		cmocka_unit_test(malformed_codes_refused),
		cmocka_unit_test(bad_parameters_refused),
	};

	return cmocka_run_group_tests_name("otp", tests, NULL, NULL);
}
