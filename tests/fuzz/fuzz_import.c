/* libFuzzer: google-authenticator files and pam_oath usersfile lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct otp_ga_file g;
	struct otp_import_dev d;
	char *text = malloc(size + 1), *line, *save = NULL;
	int skip, pass;
	unsigned n = 0;

	memcpy(text, data, size);
	text[size] = '\0';
	if (otp_ga_parse(text, "ga", "fuzz", &g) == OTP_OK &&
	    (g.dev.secret_len < OTP_SECRET_MIN || g.dev.secret_len > OTP_SECRET_MAX ||
	     g.nscratch > OTP_GA_SCRATCH_MAX))
		abort();
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (otp_oath_parse_line(line, "users", ++n, &d, &skip, &pass) == OTP_OK && !skip &&
		    (d.secret_len < OTP_SECRET_MIN || d.digits < OTP_DIGITS_MIN ||
		     d.digits > OTP_DIGITS_MAX))
			abort();
	}
	free(text);
	return 0;
}
