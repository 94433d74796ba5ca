/*
 * qrtext: print otp_qr_text of an argument, as pam_otp.so puts it in a
 * prompt, then a newline (tests/cli/test_qrtext.sh reads it back).
 * usage: qrtext ascii|utf8 TEXT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "qrtext.h"

int main(int argc, char **argv)
{
	enum otp_qr_style style;
	size_t len = 0;
	char *buf;
	int rc;

	if (argc != 3 || (strcmp(argv[1], "ascii") != 0 && strcmp(argv[1], "utf8") != 0)) {
		fprintf(stderr, "usage: qrtext ascii|utf8 TEXT\n");
		return 2;
	}
	style = strcmp(argv[1], "ascii") == 0 ? OTP_QR_ASCII : OTP_QR_UTF8;
	rc = otp_qr_text(argv[2], style, NULL, 0, &len);
	if (rc != OTP_ETOOLONG) {
		fprintf(stderr, "qrtext: %s: %s\n", otp_strerror(rc), otp_errdetail());
		return 1;
	}
	buf = malloc(len + 1);
	if (buf == NULL)
		return 1;
	rc = otp_qr_text(argv[2], style, buf, len + 1, &len);
	if (rc != OTP_OK) {
		fprintf(stderr, "qrtext: %s: %s\n", otp_strerror(rc), otp_errdetail());
		free(buf);
		return 1;
	}
	printf("%s\n", buf);
	free(buf);
	return 0;
}
