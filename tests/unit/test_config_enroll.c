/*
 * enroll_on_login and enroll_on_login_recovery: defaults, and the one
 * combination that can only be unsafe (password = forward) refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"

static void defaults_and_set(void **state)
{
	struct otp_config c;

	(void)state;
	assert_int_equal(otp_config_parse_text("", "t.conf", &c), OTP_OK);
	assert_false(c.enroll_on_login);
	assert_false(c.enroll_on_login_recovery);
	assert_int_equal(otp_config_parse_text("enroll_on_login = true\n"
					       "enroll_on_login_recovery = true\n", "t.conf", &c),
			 OTP_OK);
	assert_true(c.enroll_on_login);
	assert_true(c.enroll_on_login_recovery);
	assert_int_equal(otp_config_parse_text("enroll_on_login = true\npassword = \"none\"\n",
					       "t.conf", &c), OTP_OK);
}

static void forward_refused(void **state)
{
	struct otp_config c;

	(void)state;
	assert_int_equal(otp_config_parse_text("enroll_on_login = true\npassword = \"forward\"\n",
					       "t.conf", &c), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "t.conf"));
	assert_non_null(strstr(otp_errdetail(), "enroll_on_login needs password = system"));
}

/* ... nor by a module argument over a file that allows it */
static void forward_by_argument(void **state)
{
	struct otp_config c;
	const char *ov[] = { "password=forward" };
	const char *text = "enroll_on_login = true\n";
	char path[] = "/tmp/otp-conf-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, 0644);
	assert_int_equal(otp_config_load(path, NULL, 0, &c), OTP_OK);
	assert_int_equal(otp_config_load(path, ov, 1, &c), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "enroll_on_login needs password = system"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_and_set),
		cmocka_unit_test(forward_refused),
		cmocka_unit_test(forward_by_argument),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
