/* libFuzzer: otpauth URI parsing; what parses must rebuild and reparse alike. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct otp_uri u, v;
	static char built[OTP_URI_MAX * 4];
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	if (otp_uri_parse(text, &u) == OTP_OK &&
	    otp_uri_build(&u, built, sizeof(built)) == OTP_OK) {
		if (otp_uri_parse(built, &v) != OTP_OK)
			abort();
		/* an issuer-less label keeps its own prefix: compare what must hold */
		if (strcmp(u.secret, v.secret) != 0 || u.hotp != v.hotp || u.alg != v.alg ||
		    u.digits != v.digits || (!u.hotp && u.period != v.period) ||
		    (u.hotp && u.counter != v.counter))
			abort();
	}
	free(text);
	return 0;
}
