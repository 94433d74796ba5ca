/* Hostile text (issue 11, item 7): what is stored in the audit trail and
 * what otpctl prints can neither forge a line, drive a terminal, run a
 * spreadsheet formula nor carry invalid UTF-8; device names are clean. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "audit.h"
#include "err.h"
#include "textsafe.h"
#include "util.h"

static char buf[2048];

static const char *clean(const char *s)
{
	assert_int_equal(otp_text_clean(buf, sizeof(buf), s), OTP_OK);
	return buf;
}

static const char *show(const char *s)
{
	assert_int_equal(otp_text_show(buf, sizeof(buf), s), OTP_OK);
	return buf;
}

static const char *csv(const char *s)
{
	assert_int_equal(otp_text_csv(buf, sizeof(buf), s), OTP_OK);
	return buf;
}

static void utf8_is_kept(void **state)
{
	(void)state;
	assert_string_equal(clean("alice"), "alice");
	assert_string_equal(clean("T\xc3\xa9l\xc3\xa9phone"), "T\xc3\xa9l\xc3\xa9phone");
	assert_string_equal(clean("\xe2\x98\x8e \xe6\x89\x8b\xe6\x9c\xba"),
			    "\xe2\x98\x8e \xe6\x89\x8b\xe6\x9c\xba");       /* BMP */
	assert_string_equal(clean("\xf0\x9f\x94\x91" "key"), "\xf0\x9f\x94\x91" "key");  /* 4 bytes */
	assert_string_equal(clean("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");  /* U+10FFFF */
	assert_string_equal(clean(NULL), "");
	assert_string_equal(clean(""), "");
}

static void controls_become_escapes(void **state)
{
	(void)state;
	assert_string_equal(clean("1.2.3.4\nforged"), "1.2.3.4\\nforged");
	assert_string_equal(clean("a\rb\tc"), "a\\rb\\tc");
	assert_string_equal(clean("\x1b[31mred"), "\\x1b[31mred");
	assert_string_equal(clean("bell\a"), "bell\\x07");
	assert_string_equal(clean("del\x7f"), "del\\x7f");
	assert_string_equal(clean("\x01"), "\\x01");
	/* C1 controls (U+0085 NEL, U+009B CSI) are valid UTF-8 but controls */
	assert_string_equal(clean("a\xc2\x85" "b"), "a\\xc2\\x85b");
	assert_string_equal(clean("\xc2\x9b" "31m"), "\\xc2\\x9b31m");
	/* U+00A0 right after the C1 range is an ordinary character */
	assert_string_equal(clean("\xc2\xa0"), "\xc2\xa0");
	/* line separator and a right-to-left override reorder the line */
	assert_string_equal(clean("x\xe2\x80\xa8y"), "x\\xe2\\x80\\xa8y");
	assert_string_equal(clean("\xe2\x80\xae" "cod.exe"), "\\xe2\\x80\\xaecod.exe");
	assert_string_equal(clean("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");  /* U+2066 isolate */
}

static void invalid_bytes_become_escapes(void **state)
{
	(void)state;
	assert_string_equal(clean("\xff"), "\\xff");
	assert_string_equal(clean("a\xfe\xff" "b"), "a\\xfe\\xffb");
	assert_string_equal(clean("\x80"), "\\x80");                    /* stray continuation */
	assert_string_equal(clean("pts/\xc3"), "pts/\\xc3");            /* cut sequence at end */
	assert_string_equal(clean("\xc3(x"), "\\xc3(x");                /* lead without its tail */
	assert_string_equal(clean("\xc0\xaf"), "\\xc0\\xaf");           /* overlong '/' */
	assert_string_equal(clean("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");  /* overlong, 3 bytes */
	assert_string_equal(clean("\xed\xa0\x80"), "\\xed\\xa0\\x80");  /* UTF-16 surrogate */
	assert_string_equal(clean("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  /* > U+10FFFF */
	assert_string_equal(clean("\xf8\x88\x80\x80\x80"), "\\xf8\\x88\\x80\\x80\\x80");
	/* a bad byte does not swallow the valid character after it */
	assert_string_equal(clean("\xe2\x98" "\xc3\xa9"), "\\xe2\\x98\xc3\xa9");
}

static void backslash_is_unambiguous(void **state)
{
	char a[64], b[64];

	(void)state;
	/* a literal backslash-n and a real newline are stored differently */
	assert_int_equal(otp_text_clean(a, sizeof(a), "a\\nb"), OTP_OK);
	assert_int_equal(otp_text_clean(b, sizeof(b), "a\nb"), OTP_OK);
	assert_string_equal(a, "a\\\\nb");
	assert_string_equal(b, "a\\nb");
	assert_string_not_equal(a, b);
	assert_string_equal(clean("DOMAIN\\alice"), "DOMAIN\\\\alice");
	/* shown text leaves a backslash alone: stored text prints unchanged */
	assert_string_equal(show("DOMAIN\\\\alice"), "DOMAIN\\\\alice");
}

static void show_is_identity_on_stored_text(void **state)
{
	static const char *const in[] = {
		"plain", "a\nb", "\x1b[2J", "\xff\xfe", "\xc2\x85", "back\\slash",
		"T\xc3\xa9l\xc3\xa9phone", "\xe2\x80\xae" "x", "tab\there",
	};
	char stored[256], shown[1100];

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(otp_text_clean(stored, sizeof(stored), in[i]), OTP_OK);
		assert_int_equal(otp_text_show(shown, sizeof(shown), stored), OTP_OK);
		assert_string_equal(shown, stored);
		assert_null(otp_text_problem(shown, NULL));
	}
	/* raw text (an old record) comes out as safe as stored text would */
	assert_string_equal(show("1.2.3.4\nforged \x1b[31m\xff"), "1.2.3.4\\nforged \\x1b[31m\\xff");
}

static void cut_at_a_boundary(void **state)
{
	char d[8];
	char big[600], out[OTP_AUDIT_FIELD_MAX + 1];

	(void)state;
	/* "ab" + e-acute (2 bytes) needs 5 bytes with the NUL */
	assert_int_equal(otp_text_clean(d, 5, "ab\xc3\xa9"), OTP_OK);
	assert_string_equal(d, "ab\xc3\xa9");
	assert_int_equal(otp_text_clean(d, 4, "ab\xc3\xa9"), OTP_ETOOLONG);
	assert_string_equal(d, "ab");
	/* an escape is never cut: "\x1b" needs 4 bytes */
	assert_int_equal(otp_text_clean(d, 5, "a\x1b"), OTP_ETOOLONG);
	assert_string_equal(d, "a");
	assert_int_equal(otp_text_clean(d, 6, "a\x1b"), OTP_OK);
	assert_string_equal(d, "a\\x1b");
	/* a multibyte control is all its escapes or none */
	assert_int_equal(otp_text_clean(d, 8, "\xc2\x85"), OTP_ETOOLONG);
	assert_string_equal(d, "");
	assert_int_equal(otp_text_clean(d, 3, "a\\"), OTP_ETOOLONG);
	assert_string_equal(d, "a");
	/* 4-byte character at the edge */
	assert_int_equal(otp_text_show(d, 7, "ab\xf0\x9f\x94\x91"), OTP_OK);
	assert_int_equal(otp_text_show(d, 6, "ab\xf0\x9f\x94\x91"), OTP_ETOOLONG);
	assert_string_equal(d, "ab");
	assert_int_equal(otp_text_show(d, 1, "x"), OTP_ETOOLONG);
	assert_string_equal(d, "");
	/* an audit field of 300 two-byte characters: 128 kept, valid UTF-8 */
	for (size_t i = 0; i + 1 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(otp_text_clean(out, sizeof(out), big), OTP_ETOOLONG);
	assert_int_equal(strlen(out), 256);
	assert_null(otp_text_problem(out, NULL));
	memset(big, 'x', sizeof(big));
	big[OTP_AUDIT_FIELD_MAX - 1] = '\n';
	big[OTP_AUDIT_FIELD_MAX + 10] = '\0';
	assert_int_equal(otp_text_clean(out, sizeof(out), big), OTP_ETOOLONG);
	assert_int_equal(strlen(out), OTP_AUDIT_FIELD_MAX - 1);  /* "\n" would not fit */
}

static void csv_guards_formulas(void **state)
{
	(void)state;
	assert_string_equal(csv("=1+2"), "'=1+2");
	assert_string_equal(csv("+cmd|calc!A0"), "'+cmd|calc!A0");
	assert_string_equal(csv("-2+3"), "'-2+3");
	assert_string_equal(csv("@SUM(A1)"), "'@SUM(A1)");
	assert_string_equal(csv("\t=1"), "'\\t=1");
	assert_string_equal(csv("\r=1"), "'\\r=1");
	assert_string_equal(csv("=HYPERLINK(\"http://x\",\"y\")"),
			    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	/* only the first character matters; plain text is left as it is */
	assert_string_equal(csv("a=1"), "a=1");
	assert_string_equal(csv("2026-11-30T09:00:00Z"), "2026-11-30T09:00:00Z");
	assert_string_equal(csv(""), "");
	assert_string_equal(csv("1.2.3.4\nforged"), "1.2.3.4\\nforged");
	assert_string_equal(csv("\xff"), "\\xff");
}

static void csv_quotes_per_rfc4180(void **state)
{
	char d[8];

	(void)state;
	assert_string_equal(csv("a,b"), "\"a,b\"");
	assert_string_equal(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(csv(" edge"), "\" edge\"");
	assert_string_equal(csv("edge "), "\"edge \"");
	assert_string_equal(csv("in side"), "in side");
	/* a cut cell keeps its closing quote and never splits a "" pair */
	assert_int_equal(otp_text_csv(d, 6, "a,bcdef"), OTP_ETOOLONG);
	assert_string_equal(d, "\"a,b\"");
	assert_int_equal(otp_text_csv(d, 6, "a\"\"\"\""), OTP_ETOOLONG);
	assert_string_equal(d, "\"a\"\"\"");
	/* a cut formula cell keeps its guard or loses its text too */
	assert_int_equal(otp_text_csv(d, 1, "=1"), OTP_ETOOLONG);
	assert_string_equal(d, "");
	assert_int_equal(otp_text_csv(d, 3, "=1+2"), OTP_ETOOLONG);
	assert_string_equal(d, "'=");
}

static void problems_are_named(void **state)
{
	size_t at = 99;

	(void)state;
	assert_null(otp_text_problem("T\xc3\xa9l\xc3\xa9phone \xe2\x98\x8e", &at));
	assert_null(otp_text_problem("back\\slash", NULL));
	assert_string_equal(otp_text_problem("ab\xff", &at), "is not valid UTF-8");
	assert_int_equal(at, 2);
	assert_string_equal(otp_text_problem("a\x1b[0m", &at),
			    "has a control or invisible layout character");
	assert_int_equal(at, 1);
	assert_non_null(otp_text_problem("\xc2\x85", NULL));
	assert_non_null(otp_text_problem("\xe2\x80\xae", NULL));
	assert_non_null(otp_text_problem("x\x7f", NULL));
}

static void device_names_must_be_clean(void **state)
{
	(void)state;
	assert_int_equal(otp_valid_name("T\xc3\xa9l\xc3\xa9phone \xe2\x98\x8e"), OTP_OK);
	assert_int_equal(otp_valid_name("yubikey\\2"), OTP_OK);
	assert_int_equal(otp_valid_name("phone\xff"), OTP_EINVAL);
	assert_non_null(strstr(otp_errdetail(), "not valid UTF-8"));
	assert_non_null(strstr(otp_errdetail(), "byte 6"));
	assert_int_equal(otp_valid_name("ph\xc3"), OTP_EINVAL);
	assert_non_null(strstr(otp_errdetail(), "not valid UTF-8"));
	assert_int_equal(otp_valid_name("a\x1b[2J"), OTP_EINVAL);
	assert_non_null(strstr(otp_errdetail(), "control"));
	assert_int_equal(otp_valid_name("a\xc2\x9b" "2J"), OTP_EINVAL);
	assert_non_null(strstr(otp_errdetail(), "control"));
	assert_int_equal(otp_valid_name("a\nb"), OTP_EINVAL);
	assert_int_equal(otp_valid_name("\xe2\x80\xae" "enohp"), OTP_EINVAL);
	assert_int_equal(otp_valid_name("12"), OTP_EINVAL);  /* still: not all digits */
}

static void audit_fields_are_stored_clean(void **state)
{
	struct otp_audit_ev ev;

	(void)state;
	otp_audit_set(&ev, 1, "auth_failure", "DOMAIN\\alice", "ph\xff", "x\ny");
	otp_audit_set_origin(&ev, "sshd", "1.2.3.4\nforged", "\x1b[31m");
	assert_string_equal(ev.user, "DOMAIN\\\\alice");
	assert_string_equal(ev.device, "ph\\xff");
	assert_string_equal(ev.detail, "x\\ny");
	assert_string_equal(ev.service, "sshd");
	assert_string_equal(ev.rhost, "1.2.3.4\\nforged");
	assert_string_equal(ev.tty, "\\x1b[31m");
	/* the user filter finds the stored form and the raw form of old records */
	assert_true(otp_audit_user_is(&ev, "DOMAIN\\alice"));
	assert_false(otp_audit_user_is(&ev, "alice"));
	strcpy(ev.user, "DOMAIN\\bob");
	assert_true(otp_audit_user_is(&ev, "DOMAIN\\bob"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_is_kept),
		cmocka_unit_test(controls_become_escapes),
		cmocka_unit_test(invalid_bytes_become_escapes),
		cmocka_unit_test(backslash_is_unambiguous),
		cmocka_unit_test(show_is_identity_on_stored_text),
		cmocka_unit_test(cut_at_a_boundary),
		cmocka_unit_test(csv_guards_formulas),
		cmocka_unit_test(csv_quotes_per_rfc4180),
		cmocka_unit_test(problems_are_named),
		cmocka_unit_test(device_names_must_be_clean),
		cmocka_unit_test(audit_fields_are_stored_clean),
	};

	return cmocka_run_group_tests_name("textsafe", tests, NULL, NULL);
}
