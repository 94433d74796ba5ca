/* Record encodings: round trips, and strict refusal of anything else. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "err.h"
#include "store_lmdb_codec.h"

static struct otp_device_rec sample_device(void)
{
	struct otp_device_rec d;

	memset(&d, 0, sizeof(d));
	d.id = 3;
	strcpy(d.name, "phone");
	d.type = OTP_HOTP;
	d.alg = OTP_ALG_SHA256;
	d.digits = 8;
	d.state = OTP_ACTIVE;
	d.period = 0;
	d.counter = 1234567890123ull;
	d.last_step = 0;
	d.created = 1700000000;
	d.last_used = 1700000100;
	d.sealed_len = 40;
	memset(d.sealed, 0xab, d.sealed_len);
	return d;
}

static void device_round_trip(void **state)
{
	struct otp_device_rec d = sample_device(), e;
	uint8_t buf[OTP_REC_MAX];
	size_t n;

	(void)state;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	memset(&e, 0x5a, sizeof(e));
	e.id = 3;
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_OK);
	assert_string_equal(e.name, "phone");
	assert_int_equal(e.type, OTP_HOTP);
	assert_int_equal(e.alg, OTP_ALG_SHA256);
	assert_int_equal(e.digits, 8);
	assert_int_equal(e.counter, d.counter);
	assert_int_equal(e.created, d.created);
	assert_int_equal(e.last_used, d.last_used);
	assert_int_equal(e.sealed_len, 40);
	assert_memory_equal(e.sealed, d.sealed, 40);
	/* the TOTP drift, negative too, and its bound */
	d.drift = -7;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_OK);
	assert_int_equal(e.drift, -7);
	/* a version 1 record (no drift) still reads, with drift 0 */
	buf[0] = 1;
	assert_int_equal(otp_device_decode(buf, n - 4, &e), OTP_OK);
	assert_int_equal(e.drift, 0);
	assert_int_equal(e.counter, d.counter);
	buf[0] = 3;
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_EVERSION);
	d.drift = OTP_DRIFT_MAX + 1;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_ECORRUPT);
}

static void device_truncated_and_trailing(void **state)
{
	struct otp_device_rec d = sample_device(), e;
	uint8_t buf[OTP_REC_MAX + 1];
	size_t n;

	(void)state;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(otp_device_decode(buf, cut, &e), OTP_ECORRUPT);
	buf[n] = 0;
	assert_int_equal(otp_device_decode(buf, n + 1, &e), OTP_ECORRUPT);
}

static void device_out_of_range(void **state)
{
	struct otp_device_rec d = sample_device(), e;
	uint8_t buf[OTP_REC_MAX];
	size_t n;

	(void)state;
	d.digits = 9;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_ECORRUPT);
	d = sample_device();
	d.type = OTP_TOTP;
	d.period = 0;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_ECORRUPT);
}

static void oversized_blob_refused(void **state)
{
	struct otp_device_rec d = sample_device(), e;
	uint8_t buf[OTP_REC_MAX];
	size_t n;

	(void)state;
	assert_int_equal(otp_device_encode(&d, buf, &n), OTP_OK);
	/* the sealed blob's length field sits 2 + 40 bytes before the drift's 4 */
	buf[n - 46] = 0x01;  /* claim 296 bytes */
	assert_int_equal(otp_device_decode(buf, n, &e), OTP_ECORRUPT);
}

static void newer_version_reported(void **state)
{
	struct otp_user_rec u = { 1, 2, 3, 4, 5, 6, 0 }, v;
	uint8_t buf[OTP_REC_MAX];
	size_t n;

	(void)state;
	assert_int_equal(otp_user_encode(&u, buf, &n), OTP_OK);
	assert_int_equal(otp_user_decode(buf, n, &v), OTP_OK);
	assert_int_equal(v.failures, 1);
	assert_int_equal(v.first_fail, 2);
	assert_int_equal(v.locked_until, 3);
	assert_int_equal(v.created, 4);
	assert_int_equal(v.last_login, 5);
	assert_int_equal(v.next_device, 6);
	buf[0] = OTP_REC_VERSION + 1;
	assert_int_equal(otp_user_decode(buf, n, &v), OTP_EVERSION);
	buf[0] = 0;
	assert_int_equal(otp_user_decode(buf, n, &v), OTP_ECORRUPT);
}

static void recovery_and_host_round_trip(void **state)
{
	struct otp_recovery_rec r, r2;
	struct otp_host_rec h = { 99, 7, 3 }, h2;
	static const uint8_t v1[] = { 1, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0, 7 };
	uint8_t buf[OTP_REC_MAX];
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(r.salt, 1, sizeof(r.salt));
	memset(r.hash, 2, sizeof(r.hash));
	r.log2n = 14;
	r.r = 8;
	r.p = 1;
	r.used = 5;
	assert_int_equal(otp_recovery_encode(&r, buf, &n), OTP_OK);
	assert_int_equal(otp_recovery_decode(buf, n, &r2), OTP_OK);
	assert_memory_equal(r.salt, r2.salt, sizeof(r.salt));
	assert_memory_equal(r.hash, r2.hash, sizeof(r.hash));
	assert_int_equal(r2.used, 5);
	assert_int_equal(r2.log2n, 14);
	assert_int_equal(otp_recovery_decode(buf, n - 1, &r2), OTP_ECORRUPT);
	assert_int_equal(otp_host_encode(&h, buf, &n), OTP_OK);
	assert_int_equal(otp_host_decode(buf, n, &h2), OTP_OK);
	assert_int_equal(h2.until, 99);
	assert_int_equal(h2.device, 3);
	assert_int_equal(otp_host_decode(buf, n - 1, &h2), OTP_ECORRUPT);
	/* a record from before vouchers were kept still reads, voucher unknown */
	assert_int_equal(otp_host_decode(v1, sizeof(v1), &h2), OTP_OK);
	assert_int_equal(h2.until, 99);
	assert_int_equal(h2.device, OTP_VOUCH_UNKNOWN);
	assert_int_equal(otp_host_decode(v1, sizeof(v1) - 1, &h2), OTP_ECORRUPT);
	buf[0] = 3;
	assert_int_equal(otp_host_decode(buf, n, &h2), OTP_EVERSION);
}

static void keys_group_by_user(void **state)
{
	uint8_t k[OTP_KEY_MAX];
	size_t n;
	char longname[OTP_USER_MAX + 2];

	(void)state;
	assert_int_equal(otp_key_sub("al", 258, k, &n), OTP_OK);
	assert_int_equal(n, 7);
	assert_memory_equal(k, "al\0\0\0\x01\x02", 7);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(otp_key_user(longname, k, &n), OTP_ETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(device_round_trip),
		cmocka_unit_test(device_truncated_and_trailing),
		cmocka_unit_test(device_out_of_range),
		cmocka_unit_test(oversized_blob_refused),
		cmocka_unit_test(newer_version_reported),
		cmocka_unit_test(recovery_and_host_round_trip),
		cmocka_unit_test(keys_group_by_user),
	};

	return cmocka_run_group_tests_name("records", tests, NULL, NULL);
}
