/*
 * Audit records of version 2: host and actor kept through the store, old
 * version 1 records still read, the syslog line's pam_syslog prefix, and
 * the host_name config key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "auth.h"
#include "codec.h"
#include "store_lmdb_codec.h"
#include "config.h"
#include "err.h"
#include "store.h"

static void round_trip_through_the_store(void **state)
{
	char dir[64] = "/tmp/otp-audit2-XXXXXX", store[96], cmd[128];
	struct otp_store *st = NULL;
	struct otp_audit_ev a, b;
	struct otp_txn *txn = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(store, sizeof(store), "%s/store", dir);
	assert_int_equal(otp_store_open(store, 16, OTP_STORE_CREATE, &st), OTP_OK);
	otp_audit_set(&a, 1700000000, "revoke", "alice", "phone", NULL);
	otp_audit_set_origin(&a, "otpctl", NULL, "/dev/pts/1");
	otp_audit_set_by(&a, "web1", "loginuid=1000(admin),sudo_user=admin");
	assert_int_equal(otp_txn_begin(st, 1, &txn), OTP_OK);
	assert_int_equal(otp_audit_append(txn, &a, 365), OTP_OK);
	assert_int_equal(otp_txn_commit(txn), OTP_OK);
	assert_int_equal(otp_txn_begin(st, 0, &txn), OTP_OK);
	assert_int_equal(otp_audit_get_at(txn, a.time, a.seq, &b), OTP_OK);
	otp_txn_abort(txn);
	assert_string_equal(b.event, "revoke");
	assert_string_equal(b.tty, "/dev/pts/1");
	assert_string_equal(b.host, "web1");
	assert_string_equal(b.actor, "loginuid=1000(admin),sudo_user=admin");
	otp_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A record as version 1 wrote it: seven strings, no host, no actor. */
static size_t v1_record(uint8_t *val, size_t cap)
{
	struct otp_wbuf w = { val, cap, 0, OTP_OK };
	const char *f[7] = { "auth_failure", "bob", "sshd", "192.0.2.9", "ssh", "", "code" };

	otp_put_u8(&w, 1);
	for (int i = 0; i < 7; i++)
		otp_put_str(&w, f[i]);
	assert_int_equal(w.err, OTP_OK);
	return w.len;
}

static void version_1_still_read(void **state)
{
	uint8_t key[12], val[512];
	struct otp_audit_ev e;
	size_t n = v1_record(val, sizeof(val));

	(void)state;
	otp_be64(key, 1600000000);
	otp_be32(key + 8, 0);
	assert_int_equal(otp_audit_decode(key, 12, val, n, &e), OTP_OK);
	assert_string_equal(e.user, "bob");
	assert_string_equal(e.rhost, "192.0.2.9");
	assert_string_equal(e.detail, "code");
	assert_string_equal(e.host, "");
	assert_string_equal(e.actor, "");
	/* a v2 byte on a v1 body is short two fields: refused, not guessed */
	val[0] = 2;
	assert_int_equal(otp_audit_decode(key, 12, val, n, &e), OTP_ECORRUPT);
	val[0] = OTP_AUDIT_REC_VERSION + 1;
	assert_int_equal(otp_audit_decode(key, 12, val, n, &e), OTP_EVERSION);
	val[0] = 0;
	assert_int_equal(otp_audit_decode(key, 12, val, n, &e), OTP_ECORRUPT);
}

static void host_defaults_to_this_host(void **state)
{
	struct otp_audit_ev e;
	char name[256] = "";

	(void)state;
	assert_int_equal(gethostname(name, sizeof(name) - 1), 0);
	otp_audit_set(&e, 1, "auth_success", "carol", NULL, NULL);
	otp_audit_set_by(&e, NULL, NULL);
	assert_string_equal(e.host, name);
	assert_string_equal(e.actor, "");
	otp_audit_set_by(&e, "", "x\ny");
	assert_string_equal(e.host, name);
	assert_string_equal(e.actor, "x\\ny");  /* stored cleaned */
}

static void audit_from_takes_host_and_actor(void **state)
{
	struct otp_login who;
	struct otp_audit_ev e;

	(void)state;
	memset(&who, 0, sizeof(who));
	who.user = "dave";
	who.service = "sshd";
	who.host = "edge-3";
	otp_audit_from(&e, &who, "auth_failure", NULL, "code");
	assert_string_equal(e.host, "edge-3");
	assert_string_equal(e.actor, "");
	who.actor = "loginuid=unset";
	otp_audit_from(&e, &who, "unlock", NULL, NULL);
	assert_string_equal(e.actor, "loginuid=unset");
}

static void syslog_line_has_the_pam_prefix(void **state)
{
	struct otp_audit_ev e;
	char line[OTP_AUDIT_LINE_MAX];

	(void)state;
	otp_audit_set(&e, 1, "auth_failure", "alice", NULL, "code");
	otp_audit_set_origin(&e, "sshd", "192.0.2.1", "ssh");
	assert_string_equal(otp_audit_line(&e, line, sizeof(line)),
			    "pam_otp(sshd:auth): event=auth_failure user=alice service=sshd "
			    "rhost=192.0.2.1 tty=ssh detail=code");
	/* a service cannot close the prefix early or add a field */
	otp_audit_set_origin(&e, "a b):x", NULL, NULL);
	assert_true(strncmp(otp_audit_line(&e, line, sizeof(line)), "pam_otp(a?b??x:auth): ",
			    22) == 0);
	otp_audit_set_origin(&e, NULL, NULL, NULL);
	assert_true(strncmp(otp_audit_line(&e, line, sizeof(line)), "pam_otp(<unknown>:auth): ",
			    25) == 0);
	/* an otpctl change: its own prefix, never taken for a login, and the actor */
	otp_audit_set(&e, 1, "revoke", "alice", "phone", NULL);
	otp_audit_set_origin(&e, "otpctl", NULL, NULL);
	otp_audit_set_by(&e, "web1", "loginuid=1000(admin)");
	assert_string_equal(otp_audit_line(&e, line, sizeof(line)),
			    "pam_otp(otpctl): event=revoke user=alice service=otpctl device=phone "
			    "actor=\"loginuid=1000(admin)\"");
}

static void host_name_config_key(void **state)
{
	struct otp_config c;

	(void)state;
	assert_int_equal(otp_config_parse_text("", "t", &c), OTP_OK);
	assert_string_equal(c.host_name, "");
	assert_int_equal(otp_config_parse_text("host_name = \"web-1.example\"\n", "t", &c), OTP_OK);
	assert_string_equal(c.host_name, "web-1.example");
	assert_int_equal(otp_config_parse_text("host_name = \"two words\"\n", "t", &c),
			 OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "host_name"));
	assert_int_equal(otp_config_parse_text(
		"host_name = \"0123456789012345678901234567890123456789012345678901234567890123x\"\n",
		"t", &c), OTP_ECONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_through_the_store),
		cmocka_unit_test(version_1_still_read),
		cmocka_unit_test(host_defaults_to_this_host),
		cmocka_unit_test(audit_from_takes_host_and_actor),
		cmocka_unit_test(syslog_line_has_the_pam_prefix),
		cmocka_unit_test(host_name_config_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
