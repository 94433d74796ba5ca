/*
 * otp_qr_text: the QR code a PAM prompt carries. ASCII (remote logins):
 * square, "##" or two spaces a module, every line the same width, a
 * 2-module quiet zone, level L so a usual otpauth URI fits 80 columns;
 * UTF-8 (local logins): half blocks, 23 lines at most for the same URI;
 * a buffer too small is refused with the size it needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "err.h"
#include "qrtext.h"

#define URI "otpauth://totp/edge-1:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=edge-1"
/* level M at version 5 is 45 + 8 modules tall: 27 lines; L fits 23 */
#define LONG_URI "otpauth://totp/Test%20Host%201234567890:root?" \
	"secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Test%20Host%201234567890"

static char buf[70000];

static size_t draw(const char *text, enum otp_qr_style style)
{
	size_t len = 99;

	assert_int_equal(otp_qr_text(text, style, buf, sizeof(buf), &len), OTP_OK);
	assert_int_equal(len, strlen(buf));
	return len;
}

/* Lines of buf and the width of each in characters (UTF-8 aware); fails
 * when widths differ. */
static size_t lines_of(size_t *width)
{
	size_t lines = 0, w = 0;
	const char *p = buf;

	*width = 0;
	for (;; p++) {
		if (*p == '\n' || *p == '\0') {
			if (lines > 0)
				assert_int_equal(w, *width);
			*width = w;
			w = 0;
			lines++;
			if (*p == '\0')
				return lines;
		} else if (((unsigned char)*p & 0xc0) != 0x80) {
			w++;
		}
	}
}

static void ascii_square_fits_80(void **state)
{
	size_t len = draw(URI, OTP_QR_ASCII), width, lines = lines_of(&width);

	(void)state;
	/* version 4: 33 modules and 2 + 2 of quiet zone, two characters each */
	assert_int_equal(lines, 37);
	assert_int_equal(width, 74);
	assert_int_equal(len, lines * width + lines - 1);
	assert_true(buf[len - 1] != '\n');
}

static void ascii_only_pairs_of_hashes(void **state)
{
	size_t len = draw(URI, OTP_QR_ASCII), col = 0;

	(void)state;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			col = 0;
			continue;
		}
		assert_true(buf[i] == '#' || buf[i] == ' ');
		if (col % 2 == 1)
			assert_int_equal(buf[i], buf[i - 1]);
		col++;
	}
}

static void ascii_quiet_zone_and_finder(void **state)
{
	size_t width, lines;
	char row[80];

	(void)state;
	draw(URI, OTP_QR_ASCII);
	lines = lines_of(&width);
	memset(row, ' ', width);
	/* two light lines above and below */
	assert_memory_equal(buf, row, width);
	assert_memory_equal(buf + width + 1, row, width);
	assert_memory_equal(buf + (lines - 1) * (width + 1), row, width);
	/* the first symbol row: 2 light modules, then a finder's 7 dark */
	assert_memory_equal(buf + 2 * (width + 1), "    ##############  ", 20);
	for (size_t l = 0; l < lines; l++)
		assert_memory_equal(buf + l * (width + 1) + width - 4, "    ", 4);
}

static void utf8_fits_the_terminal(void **state)
{
	static const char *const glyphs[] = { " ", "\u2580", "\u2584", "\u2588" };
	size_t width, lines;

	(void)state;
	draw(URI, OTP_QR_UTF8);
	lines = lines_of(&width);
	assert_true(lines <= OTP_QR_TERM_ROWS);
	assert_int_equal(width, 2 * lines - 1);  /* one column a module, two rows a line */
	for (const char *p = buf; *p != '\0';) {
		size_t i;

		if (*p == '\n') {
			p++;
			continue;
		}
		for (i = 0; i < 4 && strncmp(p, glyphs[i], strlen(glyphs[i])) != 0; i++)
			;
		assert_true(i < 4);
		p += strlen(glyphs[i]);
	}
	/* the quiet zone is light, and light is drawn: full blocks */
	assert_memory_equal(buf, "\u2588\u2588\u2588\u2588", 12);
}

static void utf8_drops_to_level_l(void **state)
{
	size_t width;

	(void)state;
	draw(LONG_URI, OTP_QR_UTF8);
	assert_int_equal(lines_of(&width), 23);
	assert_int_equal(width, 45);
}

static void buffer_too_small(void **state)
{
	size_t need = 0, len = 0;
	char small[100];

	(void)state;
	for (int style = OTP_QR_ASCII; style <= OTP_QR_UTF8; style++) {
		assert_int_equal(otp_qr_text(URI, style, NULL, 0, &need), OTP_ETOOLONG);
		assert_true(need > sizeof(small));
		memset(small, 'x', sizeof(small));
		assert_int_equal(otp_qr_text(URI, style, small, sizeof(small), &len), OTP_ETOOLONG);
		assert_int_equal(len, need);
		assert_string_equal(small, "");
		/* exactly what it said: one byte less is refused, the size itself works */
		assert_int_equal(otp_qr_text(URI, style, buf, need, &len), OTP_ETOOLONG);
		assert_int_equal(otp_qr_text(URI, style, buf, need + 1, &len), OTP_OK);
		assert_int_equal(len, need);
		assert_int_equal(strlen(buf), need);
	}
}

static void unencodable(void **state)
{
	static char huge[OTP_QR_TEXT_MAX_INPUT + 2];
	size_t len = 99;

	(void)state;
	assert_int_equal(otp_qr_text("", OTP_QR_ASCII, buf, sizeof(buf), &len), OTP_EINVAL);
	assert_int_equal(len, 0);
	assert_int_equal(otp_qr_text(NULL, OTP_QR_ASCII, buf, sizeof(buf), &len), OTP_EINVAL);
	assert_int_equal(otp_qr_text(URI, (enum otp_qr_style)7, buf, sizeof(buf), &len),
			 OTP_EINVAL);
	memset(huge, 'x', sizeof(huge) - 1);
	assert_int_equal(otp_qr_text(huge, OTP_QR_ASCII, buf, sizeof(buf), &len), OTP_EINVAL);
	assert_string_equal(buf, "");
	/* the cap itself is the largest symbol (version 40, 177 modules),
	 * which level M cannot hold: UTF-8 takes level L then */
	huge[OTP_QR_TEXT_MAX_INPUT] = '\0';
	assert_int_equal(otp_qr_text(huge, OTP_QR_UTF8, buf, sizeof(buf), &len), OTP_OK);
	assert_int_equal(strcspn(buf, "\n"), 3 * (177 + 8));
	assert_int_equal(otp_qr_text(huge, OTP_QR_ASCII, buf, sizeof(buf), &len), OTP_OK);
	assert_int_equal(strcspn(buf, "\n"), 2 * (177 + 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ascii_square_fits_80),
		cmocka_unit_test(ascii_only_pairs_of_hashes),
		cmocka_unit_test(ascii_quiet_zone_and_finder),
		cmocka_unit_test(utf8_fits_the_terminal),
		cmocka_unit_test(utf8_drops_to_level_l),
		cmocka_unit_test(buffer_too_small),
		cmocka_unit_test(unencodable),
	};

	return cmocka_run_group_tests_name("qrtext", tests, NULL, NULL);
}
