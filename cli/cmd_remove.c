#include "ctl.h"
#include "err.h"
#include "users.h"

#include <stdio.h>

int cmd_remove(struct ctl *c, int argc, char **argv)
{
	struct otp_login who;
	int rc;

	rc = ctl_user_verb(c, argc, argv, 2, 0, &who);
	if (rc != 0)
		return rc;
	rc = otp_user_remove(c->st, &c->cfg, &who);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "remove");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:b}", "user", argv[1], "removed", 1));
	printf("%s removed: devices, recovery codes and remembered hosts deleted\n", argv[1]);
	return 0;
}
