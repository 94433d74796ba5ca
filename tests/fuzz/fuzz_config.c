/* libFuzzer: the configuration parser (libconfuse plus our checks). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct otp_config c;
	char *text;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (otp_config_parse_text(text, "fuzz.conf", &c) == OTP_OK) {
		if (c.totp.digits < OTP_DIGITS_MIN || c.totp.digits > OTP_DIGITS_MAX ||
		    c.hotp.digits < OTP_DIGITS_MIN || c.hotp.digits > OTP_DIGITS_MAX ||
		    c.totp.period < OTP_PERIOD_MIN || c.totp.period > OTP_PERIOD_MAX ||
		    c.ntrusted > OTP_TRUSTED_MAX || c.store[0] != '/')
			abort();  /* a value out of range got through */
	}
	free(text);
	return 0;
}
