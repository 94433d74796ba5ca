/* libFuzzer: base32 decoding, and encode/decode round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), enc[2 * OTP_BASE32_MAX_TEXT];
	uint8_t out[OTP_BASE32_MAX_TEXT], back[OTP_BASE32_MAX_TEXT];
	size_t n, m;

	memcpy(text, data, size);
	text[size] = '\0';
	if (otp_base32_decode(text, out, sizeof(out), &n) == OTP_OK) {
		if (otp_base32_encode(out, n, size % 2, enc, sizeof(enc)) != OTP_OK ||
		    otp_base32_decode(enc, back, sizeof(back), &m) != OTP_OK || m != n ||
		    memcmp(out, back, n) != 0)
			abort();
	}
	free(text);
	return 0;
}
