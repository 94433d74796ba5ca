#include "ctl.h"
#include "devices.h"
#include "err.h"

#include <stdio.h>

int cmd_revoke(struct ctl *c, int argc, char **argv)
{
	struct otp_device_rec d;
	struct otp_login who;
	char name[CTL_SHOW_SIZE];
	int rc;

	rc = ctl_user_verb(c, argc, argv, 3, 0, &who);
	if (rc != 0)
		return rc;
	rc = otp_revoke(c->st, &c->cfg, &who, argv[2], &d);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "revoke");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:I,s:o,s:s}", "user", argv[1], "device",
						(json_int_t)d.id, "name", ctl_jstr(d.name), "state", "revoked"));
	printf("device %u (%s) of %s is revoked; its secret is wiped\n", d.id,
	       ctl_show(d.name, name, sizeof(name)), argv[1]);
	return 0;
}
