/* libFuzzer: hostile text. Whatever the bytes and the room, the cleaned
 * and shown text is clean UTF-8 that shows as itself, and a CSV cell never
 * starts a formula and keeps its quotes balanced. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "textsafe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_csv(const char *cell)
{
	size_t n = strlen(cell), quotes = 0;

	if (strchr("=+-@\t\r", cell[0]) != NULL && cell[0] != '\0')
		abort();
	if (cell[0] == '"') {
		if (n < 2 || cell[n - 1] != '"' || strchr("=+-@", cell[1]) != NULL)
			abort();
		for (size_t i = 1; i + 1 < n; i++)
			quotes += cell[i] == '"';
		if (quotes % 2 != 0)
			abort();
	} else if (strpbrk(cell, ",\"") != NULL) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *a, *b;
	size_t room;

	if (size < 1)
		return 0;
	room = data[0] + 1u;  /* output room 1..256: cuts at every boundary */
	in = malloc(size);
	a = malloc(OTP_TEXT_CSV_SIZE(size));
	b = malloc(OTP_TEXT_CSV_SIZE(size));
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	/* clean: bounded, clean, and shown unchanged */
	if (otp_text_clean(a, room, in) == OTP_OK && strlen(in) >= room)
		abort();
	if (strlen(a) >= room || otp_text_problem(a, NULL) != NULL)
		abort();
	if (otp_text_show(b, OTP_TEXT_SHOW_SIZE(strlen(a)), a) != OTP_OK || strcmp(a, b) != 0)
		abort();
	/* show: all of it fits in the documented room, and it is clean */
	if (otp_text_show(a, OTP_TEXT_SHOW_SIZE(strlen(in)), in) != OTP_OK ||
	    otp_text_problem(a, NULL) != NULL)
		abort();
	/* csv: fits in its documented room; cut or whole, still a safe cell */
	if (otp_text_csv(a, OTP_TEXT_CSV_SIZE(strlen(in)), in) != OTP_OK)
		abort();
	check_csv(a);
	(void)otp_text_csv(b, room, in);
	if (strlen(b) >= room)
		abort();
	check_csv(b);
	free(in);
	free(a);
	free(b);
	return 0;
}
