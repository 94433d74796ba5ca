/* Who must give a code: the policy keys, and coverage judged through a
 * stand-in NSS (users, groups, and lookups that fail). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "policy.h"
#include "stats.h"

/* The stand-in directory: groups ops (10), svc (20), wheel (30); users
 * alice (ops), bob (primary group ops), carol (none), dave (ops, svc). */
static const char *fail_group;   /* getgrnam_r of it fails with EIO */
static int lookups;              /* lookups made */
static int range_once;           /* the first getgrnam_r says ERANGE */

static int fake_pw(const char *name, struct passwd *pw, char *buf, size_t n,
		   struct passwd **res)
{
	static const char *const users[] = { "alice", "bob", "carol", "dave" };

	(void)buf;
	(void)n;
	lookups++;
	*res = NULL;
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(name, users[i]) == 0) {
			memset(pw, 0, sizeof(*pw));
			pw->pw_gid = strcmp(name, "bob") == 0 ? 10 : 100;
			*res = pw;
		}
	}
	return 0;
}

static int fake_gr(const char *name, struct group *gr, char *buf, size_t n,
		   struct group **res)
{
	static const struct { const char *name; gid_t gid; } groups[] = {
		{ "ops", 10 }, { "svc", 20 }, { "wheel", 30 },
	};

	(void)buf;
	lookups++;
	*res = NULL;
	if (range_once && n < 8192) {
		return ERANGE;
	}
	if (fail_group != NULL && strcmp(name, fail_group) == 0)
		return EIO;
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(name, groups[i].name) == 0) {
			memset(gr, 0, sizeof(*gr));
			gr->gr_gid = groups[i].gid;
			*res = gr;
		}
	}
	return 0;
}

/* Asks for a larger list first, as glibc does when ngroups is too small. */
static int fake_list(const char *user, gid_t primary, gid_t *g, int *n)
{
	gid_t mine[3] = { primary, 0, 0 };
	int k = 1;

	lookups++;
	if (strcmp(user, "alice") == 0)
		mine[k++] = 10;
	if (strcmp(user, "dave") == 0) {
		mine[k++] = 10;
		mine[k++] = 20;
	}
	if (*n < 70) {  /* more than GROUPS_START: the caller must grow */
		*n = 70;
		return -1;
	}
	memcpy(g, mine, (size_t)k * sizeof(*g));
	*n = k;
	return k;
}

static const struct otp_nss fake = { fake_pw, fake_gr, fake_list };

static void conf(struct otp_config *c, const char *text)
{
	assert_int_equal(otp_config_parse_text(text, "t.conf", c), OTP_OK);
	fail_group = NULL;
	lookups = 0;
	range_once = 0;
}

static int cover(const struct otp_config *c, const char *user, struct otp_coverage *out)
{
	return otp_policy_cover(c, user, &fake, out);
}

static void keys_parse(void **state)
{
	struct otp_config c;

	(void)state;
	conf(&c, "require_group = \" ops , wheel\"\nexempt_group = \"svc\"\n"
	     "exempt_user = \"root,backup\"\nenroll_deadline = \"2027-01-31\"\n");
	assert_int_equal(c.require_group.n, 2);
	assert_string_equal(c.require_group.name[0], "ops");
	assert_string_equal(c.require_group.name[1], "wheel");
	assert_int_equal(c.exempt_user.n, 2);
	assert_string_equal(c.enroll_deadline_text, "2027-01-31");
	assert_int_equal(c.enroll_deadline, 1801353600);  /* 2027-01-31T00:00:00Z */
	conf(&c, "");
	assert_int_equal(otp_policy_set(&c), 0);
	assert_int_equal(c.enroll_deadline, 0);
}

static void expect_error(const char *text, const char *want)
{
	struct otp_config c;

	assert_int_equal(otp_config_parse_text(text, "t.conf", &c), OTP_ECONFIG);
	if (strstr(otp_errdetail(), want) == NULL)
		fail_msg("detail '%s' lacks '%s'", otp_errdetail(), want);
}

static void keys_refused(void **state)
{
	char many[40 * 3 + 1] = "";

	(void)state;
	expect_error("\nrequire_group = \"op s\"", "t.conf:2: require_group: name 1 holds a blank");
	expect_error("exempt_user = \"a,,b\"", "t.conf:1: exempt_user: name 2 is empty");
	expect_error("exempt_group = \"a\tb\"", "name 1 holds a blank");
	expect_error("exempt_user = \"x:y\"", "name 1 holds");
	expect_error("exempt_user = \"a\\nb\"", "name 1 holds");
	expect_error("require_group = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
		     "name 1 is longer than 64 bytes");
	for (int i = 0; i < 33; i++)
		strcat(many, i ? ",g" : "g");
	{
		char text[200];

		snprintf(text, sizeof(text), "require_group = \"%s\"", many);
		expect_error(text, "more than 32 names");
	}
	expect_error("enroll_deadline = \"2027-02-30\"", "t.conf:1: enroll_deadline: use a date");
	expect_error("enroll_deadline = \"2027-1-31\"", "enroll_deadline");
	expect_error("enroll_deadline = \"31.01.2027\"", "enroll_deadline");
	expect_error("enroll_deadline = \"2027-01-31 \"", "enroll_deadline");
}

static void no_policy_no_lookup(void **state)
{
	struct otp_config c;
	struct otp_coverage cov;

	(void)state;
	conf(&c, "");
	assert_int_equal(cover(&c, "carol", &cov), OTP_OK);
	assert_true(cov.covered);
	assert_int_equal(cov.why, OTP_COVER_EVERYONE);
	assert_int_equal(lookups, 0);
}

static void required_members(void **state)
{
	struct otp_config c;
	struct otp_coverage cov;

	(void)state;
	conf(&c, "require_group = \"wheel,ops\"");
	assert_int_equal(cover(&c, "alice", &cov), OTP_OK);
	assert_true(cov.covered);
	assert_int_equal(cov.why, OTP_COVER_GROUP);
	assert_string_equal(cov.group, "ops");
	assert_int_equal(cover(&c, "bob", &cov), OTP_OK);  /* primary group */
	assert_true(cov.covered);
	assert_int_equal(cover(&c, "carol", &cov), OTP_OK);
	assert_false(cov.covered);
	assert_int_equal(cov.why, OTP_OUTSIDE_GROUPS);
	/* a name NSS does not know: covered, the unknown-name path */
	assert_int_equal(cover(&c, "mallory", &cov), OTP_OK);
	assert_true(cov.covered);
	assert_int_equal(cov.why, OTP_COVER_UNKNOWN);
	assert_false(cov.known);
	/* a name the store could not hold is not even looked up */
	lookups = 0;
	assert_int_equal(cover(&c, "a b", &cov), OTP_OK);
	assert_true(cov.covered);
	assert_int_equal(lookups, 0);
}

static void exemptions(void **state)
{
	struct otp_config c;
	struct otp_coverage cov;

	(void)state;
	conf(&c, "require_group = \"ops\"\nexempt_group = \"svc\"\nexempt_user = \"alice\"");
	assert_int_equal(cover(&c, "alice", &cov), OTP_OK);
	assert_false(cov.covered);
	assert_int_equal(cov.why, OTP_EXEMPT_USER);
	assert_int_equal(lookups, 0);  /* by name alone */
	assert_int_equal(cover(&c, "dave", &cov), OTP_OK);  /* in ops, and in svc */
	assert_false(cov.covered);
	assert_int_equal(cov.why, OTP_EXEMPT_GROUP);
	assert_string_equal(cov.group, "svc");
	/* exempt lists without require_group: everyone else is covered */
	conf(&c, "exempt_group = \"svc\"");
	assert_int_equal(cover(&c, "carol", &cov), OTP_OK);
	assert_true(cov.covered);
	assert_int_equal(cov.why, OTP_COVER_EVERYONE);
}

static void failed_lookups(void **state)
{
	struct otp_config c;
	struct otp_coverage cov;

	(void)state;
	conf(&c, "require_group = \"ops\"\nexempt_group = \"svc\"");
	fail_group = "svc";
	/* alice is in ops: whether she is exempt is unknown, so no answer */
	assert_int_equal(cover(&c, "alice", &cov), OTP_ENSS);
	assert_string_equal(otp_errdetail(), "group 'svc': Input/output error");
	/* carol is in no required group: not covered, whatever svc holds */
	assert_int_equal(cover(&c, "carol", &cov), OTP_OK);
	assert_false(cov.covered);
	fail_group = "ops";
	assert_int_equal(cover(&c, "carol", &cov), OTP_ENSS);
	assert_string_equal(otp_errdetail(), "group 'ops': Input/output error");
	/* a required group that answered decides for its member */
	conf(&c, "require_group = \"wheel,ops\"");
	fail_group = "wheel";
	assert_int_equal(cover(&c, "alice", &cov), OTP_OK);
	assert_true(cov.covered);
	assert_int_equal(cover(&c, "carol", &cov), OTP_ENSS);
}

static void missing_groups_and_growth(void **state)
{
	struct otp_config c;
	struct otp_coverage cov;

	(void)state;
	conf(&c, "require_group = \"opps,ops\"");
	range_once = 1;  /* every lookup first needs a larger buffer */
	assert_int_equal(cover(&c, "carol", &cov), OTP_OK);
	assert_false(cov.covered);
	assert_int_equal(cov.nmissing, 1);
	assert_string_equal(cov.missing[0], "opps");
	assert_int_equal(cover(&c, "alice", &cov), OTP_OK);
	assert_true(cov.covered);
}

static void deadline(void **state)
{
	struct otp_config c;

	(void)state;
	conf(&c, "");
	assert_int_equal(otp_deadline_at(&c, 1801353600), OTP_DEADLINE_NONE);
	conf(&c, "enroll_deadline = \"2027-01-31\"");
	assert_int_equal(otp_deadline_at(&c, 1801353599), OTP_DEADLINE_OPEN);
	assert_int_equal(otp_deadline_at(&c, 1801353600), OTP_DEADLINE_PASSED);
	/* a module argument with no value turns it off for that service */
	{
		const char *ov[] = { "enroll_deadline=" };
		char path[] = "/tmp/otp-policy-conf-XXXXXX";
		int fd = mkstemp(path);
		FILE *fp = fdopen(fd, "w");

		fputs("enroll_deadline = \"2027-01-31\"\n", fp);
		fclose(fp);
		chmod(path, 0644);
		assert_int_equal(otp_config_load(path, ov, 1, &c), OTP_OK);
		unlink(path);
		assert_int_equal(c.enroll_deadline, 0);
	}
}

static void outcome_counted(void **state)
{
	struct otp_audit_ev ev;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	otp_audit_set(&ev, 1, "unenrolled_pass", "bob", NULL, "deadline 2027-01-31");
	assert_int_equal(otp_outcome_of(&ev), OTP_OUT_UNENROLLED_PASS);
	assert_string_equal(otp_outcome_name(OTP_OUT_UNENROLLED_PASS), "unenrolled_pass");
	assert_true(otp_outcome_admitted(OTP_OUT_UNENROLLED_PASS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_parse),
		cmocka_unit_test(keys_refused),
		cmocka_unit_test(no_policy_no_lookup),
		cmocka_unit_test(required_members),
		cmocka_unit_test(exemptions),
		cmocka_unit_test(failed_lookups),
		cmocka_unit_test(missing_groups_and_growth),
		cmocka_unit_test(deadline),
		cmocka_unit_test(outcome_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
