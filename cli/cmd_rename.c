#include "ctl.h"
#include "devices.h"
#include "err.h"

#include <stdio.h>

int cmd_rename(struct ctl *c, int argc, char **argv)
{
	struct otp_login who;
	char ref[CTL_SHOW_SIZE];
	int rc;

	rc = ctl_user_verb(c, argc, argv, 4, 0, &who);
	if (rc != 0)
		return rc;
	rc = otp_rename(c->st, &c->cfg, &who, argv[2], argv[3]);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "rename");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:o,s:s}", "user", argv[1], "device",
						ctl_jstr(argv[2]), "name", argv[3]));
	/* the reference may be an old stored name: escaped; the new one is valid */
	printf("device %s of %s is now '%s'\n", ctl_show(argv[2], ref, sizeof(ref)), argv[1],
	       argv[3]);
	return 0;
}
