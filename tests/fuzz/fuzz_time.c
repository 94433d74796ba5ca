/* libFuzzer: audit time expressions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "timeexpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	uint64_t t;

	memcpy(text, data, size);
	text[size] = '\0';
	(void)otp_time_parse(text, 1800000000, &t);
	free(text);
	return 0;
}
