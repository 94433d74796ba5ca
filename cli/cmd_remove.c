#include "ctl.h"
#include "err.h"
#include "users.h"

#include <stdio.h>

int cmd_remove(struct ctl *c, int argc, char **argv)
{
	struct otp_login who;
	int rc;

	if (argc != 2)
		return ctl_usage(c, EX_USAGE_);
	rc = ctl_check_user(c, argv[1]);
	if (rc == 0)
		rc = ctl_open(c, 0);
	if (rc != 0)
		return rc;
	ctl_who(&who, argv[1]);
	rc = otp_user_remove(c->st, &c->cfg, &who);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "remove");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:b}", "user", argv[1], "removed", 1));
	printf("%s removed: devices, recovery codes and remembered hosts deleted\n", argv[1]);
	return 0;
}
