/*
 * The module as PAM loads it: dlopen, the three entry points resolve, and
 * nothing of libotp or the login flow is reachable by name (only pam_sm_*
 * are exported, so another module cannot call into or clash with ours).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *module(void)
{
	const char *path = getenv("PAM_OTP_MODULE");
	void *h;

	assert_non_null(path);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		fail_msg("dlopen: %s", dlerror());
	return h;
}

static void entry_points_resolve(void **state)
{
	void *h = module();

	(void)state;
	assert_non_null(dlsym(h, "pam_sm_authenticate"));
	assert_non_null(dlsym(h, "pam_sm_setcred"));
	assert_non_null(dlsym(h, "pam_sm_acct_mgmt"));
	dlclose(h);
}

static void internals_hidden(void **state)
{
	static const char *const hidden[] = {
		"otp_hotp", "otp_totp_verify", "otp_store_open", "otp_seal", "otp_unseal",
		"otp_config_load", "otp_auth_code", "otp_password_check", "parse_args",
		"otp_base32_decode", "otp_recovery_use", "otp_qr_text", "otp_base32_grouped",
	};
	void *h = module();

	(void)state;
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		if (dlsym(h, hidden[i]) != NULL)
			fail_msg("%s is exported", hidden[i]);
	}
	dlclose(h);
}

/* Every defined dynamic symbol, as nm lists it, is a pam_sm_* one. */
static void only_pam_sm_exported(void **state)
{
	char cmd[4200], line[512];
	unsigned n = 0;
	FILE *p;

	(void)state;
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", getenv("PAM_OTP_MODULE"));
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char *name = strrchr(line, ' ');

		assert_non_null(name);
		name[strcspn(name, "\n")] = '\0';
		if (strncmp(name + 1, "pam_sm_", 7) != 0)
			fail_msg("unexpected export:%s", name);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(entry_points_resolve),
		cmocka_unit_test(internals_hidden),
		cmocka_unit_test(only_pam_sm_exported),
	};

	return cmocka_run_group_tests_name("exports", tests, NULL, NULL);
}
