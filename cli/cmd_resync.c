#include "ctl.h"
#include "devices.h"
#include "err.h"

#include <stdio.h>

int cmd_resync(struct ctl *c, int argc, char **argv)
{
	struct otp_device_rec d;
	struct otp_login who;
	char name[CTL_SHOW_SIZE];
	int rc;

	rc = ctl_user_verb(c, argc, argv, 5, 1, &who);
	if (rc != 0)
		return rc;
	rc = otp_resync(c->st, &c->key, &c->cfg, &who, argv[2], argv[3], argv[4], &d);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "resync");
	if (c->json && d.type == OTP_HOTP)
		return ctl_json_print(json_pack("{s:s,s:I,s:I}", "user", argv[1], "device",
						(json_int_t)d.id, "counter", (json_int_t)d.counter));
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:I,s:i,s:I}", "user", argv[1], "device",
						(json_int_t)d.id, "drift_steps", (int)d.drift,
						"drift_seconds", (json_int_t)d.drift * d.period));
	printf("device %u (%s) of %s resynchronised; ", d.id, ctl_show(d.name, name, sizeof(name)),
	       argv[1]);
	if (d.type == OTP_HOTP)
		printf("next counter %llu\n", (unsigned long long)d.counter);
	else
		printf("clock drift %+d time steps (%+lld s)\n", (int)d.drift,
		       (long long)d.drift * d.period);
	return 0;
}
