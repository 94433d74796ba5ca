/* libFuzzer: strict record decoding; whatever decodes re-encodes to the
 * same bytes (one encoding per record). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "err.h"
#include "store_lmdb_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const uint8_t *a, size_t n, const uint8_t *b, size_t m)
{
	if (n != m || memcmp(a, b, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct otp_device_rec d;
	struct otp_user_rec u;
	struct otp_recovery_rec r;
	struct otp_host_rec h;
	static struct otp_audit_ev ev;
	uint8_t out[OTP_REC_MAX];
	size_t n;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (otp_user_decode(data + 1, size - 1, &u) == OTP_OK &&
		    otp_user_encode(&u, out, &n) == OTP_OK)
			same(out, n, data + 1, size - 1);
		break;
	case 1:
		if (otp_device_decode(data + 1, size - 1, &d) == OTP_OK &&
		    otp_device_encode(&d, out, &n) == OTP_OK && data[1] == OTP_DEVICE_REC_VERSION)
			same(out, n, data + 1, size - 1);
		break;
	case 2:
		if (otp_recovery_decode(data + 1, size - 1, &r) == OTP_OK &&
		    otp_recovery_encode(&r, out, &n) == OTP_OK)
			same(out, n, data + 1, size - 1);
		break;
	case 3:
		/* a v1 record re-encodes as v2: compare only current ones */
		if (otp_host_decode(data + 1, size - 1, &h) == OTP_OK &&
		    otp_host_encode(&h, out, &n) == OTP_OK && data[1] == OTP_HOST_REC_VERSION)
			same(out, n, data + 1, size - 1);
		break;
	default:
		if (size >= 13)
			(void)otp_audit_decode(data + 1, 12, data + 13, size - 13, &ev);
		break;
	}
	return 0;
}
