/* The messages an out-of-band code travels in (issue 15): an email with
 * every header a mail system expects, once each, that hostile text (user,
 * service, remote address, even the host) cannot add a header to; an SMS
 * of at most 160 GSM-7 characters that holds the code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "oobmsg.h"

static char out[OTP_OOB_MESSAGE_MAX];
static size_t len;

static struct otp_oob_msg email(void)
{
	struct otp_oob_msg m = {
		.type = OTP_EMAIL, .to = "alice@example.com", .from = "", .user = "alice",
		.host = "web1.example.com", .service = "sshd", .rhost = "192.0.2.7",
		.code = "123456", .valid = 300, .now = 1700000000,  /* 2023-11-14 22:13:20Z */
	};
	return m;
}

static struct otp_oob_msg sms(void)
{
	struct otp_oob_msg m = email();

	m.type = OTP_SMS;
	m.to = "+4915112345678";
	return m;
}

/* The header section: up to the first empty line */
static const char *header(void)
{
	static char h[OTP_OOB_MESSAGE_MAX];
	const char *end = strstr(out, "\n\n");

	assert_non_null(end);
	snprintf(h, sizeof(h), "%.*s\n", (int)(end - out), out);
	return h;
}

/* Lines of s that start with prefix */
static int lines_with(const char *s, const char *prefix)
{
	int n = 0;

	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += strncmp(l, prefix, strlen(prefix)) == 0;
	return n;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void email_headers_once(void **state)
{
	static const char *const names[] = {
		"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: <", "MIME-Version: 1.0",
		"Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit",
		"Auto-Submitted: auto-generated",
	};
	struct otp_oob_msg m = email();
	const char *h;

	(void)state;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_int_equal(len, strlen(out));
	h = header();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(lines_with(h, names[i]), 1);
	assert_int_equal(lines(h), 9);  /* and nothing else */
	assert_int_equal(lines_with(h, "From: pam_otp@web1.example.com\n"), 1);
	assert_int_equal(lines_with(h, "To: alice@example.com\n"), 1);
	assert_int_equal(lines_with(h, "Subject: Verification code for web1.example.com\n"), 1);
	assert_int_equal(lines_with(h, "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"), 1);
	m.from = "otp@example.org";
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_int_equal(lines_with(header(), "From: otp@example.org\n"), 1);
}

static void message_id_random(void **state)
{
	struct otp_oob_msg m = email();
	char a[80], b[80];
	const char *id;

	(void)state;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	id = strstr(out, "Message-ID: <") + 13;
	snprintf(a, sizeof(a), "%.*s", (int)(strchr(id, '\n') - id), id);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_string_equal(a + 32, "@web1.example.com>");
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	id = strstr(out, "Message-ID: <") + 13;
	snprintf(b, sizeof(b), "%.*s", (int)(strchr(id, '\n') - id), id);
	assert_string_not_equal(a, b);
}

static void email_body(void **state)
{
	struct otp_oob_msg m = email();
	const char *body;

	(void)state;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	body = strstr(out, "\n\n") + 2;
	assert_int_equal(strncmp(body, "Your verification code is 123456\n", 33), 0);
	assert_non_null(strstr(body, "User: alice\n"));
	assert_non_null(strstr(body, "Host: web1.example.com\n"));
	assert_non_null(strstr(body, "Service: sshd\n"));
	assert_non_null(strstr(body, "Remote address: 192.0.2.7\n"));
	assert_non_null(strstr(body, "Valid for: 5 minutes\n"));
	assert_non_null(strstr(body, "If you did not ask for it, tell your administrator.\n"));
	/* no remote address, no service: no line for them */
	m.rhost = NULL;
	m.service = "";
	m.valid = 60;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_null(strstr(out, "Remote address"));
	assert_null(strstr(out, "Service"));
	assert_non_null(strstr(out, "Valid for: 1 minute\n"));
}

static void no_header_injection(void **state)
{
	struct otp_oob_msg m = email();

	(void)state;
	m.user = "eve\r\nBcc: x@evil.example";
	m.service = "sshd\nBcc: y@evil.example";
	m.rhost = "1.2.3.4\r\n\r\nBcc: z@evil.example";
	m.host = "web1\r\nBcc: h@evil.example";
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_int_equal(lines_with(out, "Bcc"), 0);
	assert_null(strchr(out, '\r'));
	assert_int_equal(lines(header()), 9);
	assert_non_null(strstr(out, "User: eve\\r\\nBcc: x@evil.example\n"));
	assert_non_null(strstr(out, "Remote address: 1.2.3.4\\r\\n\\r\\nBcc: z@evil.example\n"));
	assert_non_null(strstr(out, "Subject: Verification code for web1--Bcc--h-evil.example\n"));
	/* what only checked values may fill: refused when they are not */
	m = email();
	m.to = "alice@example.com\nBcc: x@evil.example";
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_EINVAL);
	m = email();
	m.from = "x@example.com\r\nBcc: y@evil.example";
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_EINVAL);
	m = email();
	m.code = "123\n456";
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_EINVAL);
}

static void test_message_has_no_code(void **state)
{
	struct otp_oob_msg m = email();

	(void)state;
	m.code = NULL;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_null(strstr(out, "code is"));
	assert_null(strstr(out, "Valid for"));
	assert_int_equal(lines(header()), 9);
	m = sms();
	m.code = NULL;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_string_equal(out, "Test from pam_otp for alice@web1.example.com: no code, nothing to do.");
}

/* GSM 03.38 basic set, its ASCII part */
static int gsm7(const char *s)
{
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(" !\"#$%&'()*+,-./:;<=>?@_", *s)))
			return 0;
	}
	return 1;
}

static void sms_text(void **state)
{
	struct otp_oob_msg m = sms();
	char user[300];

	(void)state;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_string_equal(out, "123456 is your verification code for alice@web1.example.com "
			    "(valid 5 min).");
	assert_int_equal(len, strlen(out));
	/* a long user and host are cut to fit; the code and validity stay */
	memset(user, 'u', 250);
	user[250] = '\0';
	m.user = user;
	m.host = "a-very-long-host-name-of-a-machine-that-goes-on.and-on.example.com";
	m.code = "12345678";
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_true(len <= 160);
	assert_int_equal(strncmp(out, "12345678 is your verification code for uuu", 42), 0);
	assert_non_null(strstr(out, "@a-very-long-host-name-of-a-machine-that-goes-on (valid 5 min)."));
	assert_true(gsm7(out));
	/* text outside GSM-7 (UTF-8, control characters, brackets) is a '?' each */
	m = sms();
	m.user = "j\xc3\xb6rg\n[x]";
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_OK);
	assert_string_equal(out, "123456 is your verification code for j?rg??x?@web1.example.com "
			    "(valid 5 min).");
}

static void too_small(void **state)
{
	struct otp_oob_msg m = email();
	char small[64];

	(void)state;
	assert_int_equal(otp_oob_message(&m, small, sizeof(small), &len), OTP_ETOOLONG);
	assert_int_equal(len, 0);
	assert_null(memchr(small, '1', sizeof(small)));  /* nothing of the code is left */
	m.type = OTP_TOTP;
	assert_int_equal(otp_oob_message(&m, out, sizeof(out), &len), OTP_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(email_headers_once),
		cmocka_unit_test(message_id_random),
		cmocka_unit_test(email_body),
		cmocka_unit_test(no_header_injection),
		cmocka_unit_test(test_message_has_no_code),
		cmocka_unit_test(sms_text),
		cmocka_unit_test(too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
