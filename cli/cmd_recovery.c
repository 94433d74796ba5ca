#include "ctl.h"
#include "err.h"
#include "recovery.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static int show_status(struct ctl *c, const char *user)
{
	unsigned left = 0, total = 0;
	int rc = otp_recovery_count(c->st, user, &left, &total);

	if (rc != OTP_OK)
		return ctl_err(c, rc, "recovery");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:i,s:i}", "user", user, "left", (int)left,
						"total", (int)total));
	printf("%s: %u of %u recovery codes left\n", user, left, total);
	return 0;
}

static int generate(struct ctl *c, const char *user, unsigned count)
{
	char (*codes)[OTP_RC_TEXT] = calloc(count, OTP_RC_TEXT);
	struct otp_login who;
	int rc;

	if (codes == NULL)
		return ctl_fail(c, EX_STORE, "out of memory");
	ctl_who(&who, user);
	rc = otp_recovery_generate(c->st, &c->cfg, &who, count, codes);
	if (rc != OTP_OK) {
		free(codes);
		return ctl_err(c, rc, "recovery");
	}
	if (c->json) {
		json_t *arr = json_array();

		for (unsigned i = 0; i < count; i++)
			json_array_append_new(arr, json_string(codes[i]));
		ctl_json_print(json_pack("{s:s,s:o}", "user", user, "codes", arr));
	} else {
		printf("Recovery codes for %s (each works once; the old ones no longer do):\n", user);
		for (unsigned i = 0; i < count; i++)
			printf("  %s\n", codes[i]);
	}
	otp_wipe(codes, (size_t)count * OTP_RC_TEXT);
	free(codes);
	return 0;
}

int cmd_recovery(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "status", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned count = c->cfg.recovery_count;
	int opt, status = 0, rc;
	uint64_t v;

	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt == 's') {
			status = 1;
		} else if (opt == 'c') {
			if (otp_parse_u64(optarg, 1, OTP_RC_MAX, &v) != OTP_OK)
				return ctl_fail(c, EX_USAGE_, "--count: %s", otp_errdetail());
			count = (unsigned)v;
		} else {
			return ctl_usage(c, EX_USAGE_);
		}
	}
	if (optind != argc - 1)
		return ctl_usage(c, EX_USAGE_);
	rc = ctl_check_user(c, argv[optind]);
	if (rc == 0)
		rc = ctl_open(c, 0);
	if (rc == 0)
		rc = ctl_enrolled(c, argv[optind]);
	if (rc != 0)
		return rc;
	return status ? show_status(c, argv[optind]) : generate(c, argv[optind], count);
}
