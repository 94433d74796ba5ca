/*
 * The oob section of pam_otp.conf: defaults, a full section, and every
 * refusal naming the file, line and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "config.h"
#include "err.h"

static void defaults(void **state)
{
	struct otp_config c;

	(void)state;
	assert_int_equal(otp_config_parse_text("", "t.conf", &c), OTP_OK);
	assert_int_equal(c.oob.digits, 6);
	assert_int_equal(c.oob.valid, 300);
	assert_int_equal(c.oob.max_attempts, 3);
	assert_int_equal(c.oob.resend_after, 60);
	assert_int_equal(c.oob.max_per_hour, 5);
	assert_int_equal(c.oob.send_timeout, 10);
	assert_string_equal(c.oob.run_as, "nobody");
	assert_string_equal(c.oob.from, "");
	assert_int_equal(c.oob.email.argc, 3);
	assert_string_equal(c.oob.email.argv[0], "/usr/sbin/sendmail");
	assert_string_equal(c.oob.email.argv[1], "-t");
	assert_string_equal(c.oob.email.argv[2], "-oi");
	assert_int_equal(c.oob.sms.argc, 0);
}

static void full(void **state)
{
	struct otp_config c;
	const char *text =
		"oob {\n digits = 8\n valid = 600\n max_attempts = 5\n resend_after = 0\n"
		" max_per_hour = 10\n send_timeout = 20\n from = \"otp@example.com\"\n"
		" run_as = \"otpmail\"\n"
		" email_command = {\"/usr/bin/msmtp\", \"-C\", \"/etc/pam_otp/msmtprc\", \"-t\"}\n"
		" sms_command = {\"/usr/bin/curl\", \"--data-urlencode\", \"text@-\", \"%{to}\","
		" \"%{user}\", \"%{host}\", \"x\", \"http://127.0.0.1/sms\"}\n}\n";

	(void)state;
	assert_int_equal(otp_config_parse_text(text, "t.conf", &c), OTP_OK);
	assert_int_equal(c.oob.digits, 8);
	assert_int_equal(c.oob.valid, 600);
	assert_int_equal(c.oob.max_attempts, 5);
	assert_int_equal(c.oob.resend_after, 0);
	assert_int_equal(c.oob.max_per_hour, 10);
	assert_int_equal(c.oob.send_timeout, 20);
	assert_string_equal(c.oob.from, "otp@example.com");
	assert_string_equal(c.oob.run_as, "otpmail");
	assert_int_equal(c.oob.email.argc, 4);
	assert_string_equal(c.oob.email.argv[3], "-t");
	assert_int_equal(c.oob.sms.argc, 8);
	assert_string_equal(c.oob.sms.argv[2], "text@-");
	assert_string_equal(c.oob.sms.argv[3], "%{to}");
}

static void refused(const char *text, const char *want)
{
	struct otp_config c;

	assert_int_equal(otp_config_parse_text(text, "t.conf", &c), OTP_ECONFIG);
	if (strstr(otp_errdetail(), want) == NULL)
		fail_msg("detail '%s' lacks '%s'", otp_errdetail(), want);
	assert_non_null(strstr(otp_errdetail(), "t.conf:"));
}

static void refusals(void **state)
{
	(void)state;
	refused("oob { digits = 9 }", "digits = 9 is out of range 6..8");
	refused("oob { valid = 30 }", "valid = 30 is out of range 60..3600");
	refused("oob { max_attempts = 0 }", "max_attempts");
	refused("oob { max_per_hour = 0 }", "max_per_hour");
	refused("oob { send_timeout = 0 }", "send_timeout");
	refused("oob { run_as = \"root\" }", "run_as");
	refused("oob { run_as = \"bad name\" }", "run_as");
	refused("oob { from = \"a b@example.com\" }", "from");
	refused("oob { from = \"x@example.com\nBcc: y@example.com\" }", "from");
	refused("oob { email_command = {\"sendmail\", \"-t\"} }", "absolute path");
	refused("oob { email_command = {\"/usr/sbin/sendmail\", \"--to=%{to}\"} }", "whole words");
	refused("oob { email_command = {\"/usr/sbin/sendmail\", \"%{shell}\"} }", "whole words");
	refused("oob { sms_command = {\"%{to}\"} }", "absolute path");
	refused("oob { sms_command = {\"/usr/bin/curl\", \"to=%{to}\"} }", "whole words");
	refused("oob { no_such = 1 }", "no_such");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(full),
		cmocka_unit_test(refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
