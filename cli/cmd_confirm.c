#include "ctl.h"
#include "devices.h"
#include "enroll.h"
#include "err.h"

#include <stdio.h>

/* confirm USER DEVICE, no code: a pending email or sms device gets one
 * sent (again), then asked for; other devices need the code. */
static int send_new(struct ctl *c, const char *user, const char *ref)
{
	struct otp_device_rec d;
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(c->st, 0, &txn);

	if (rc == OTP_OK)
		rc = otp_device_find(txn, user, ref, &d);
	otp_txn_abort(txn);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "confirm");
	if (!OTP_IS_OOB(d.type))
		return ctl_fail(c, EX_USAGE_, "CODE is needed: only an email or sms device is sent "
				"one");
	if (d.state != OTP_PENDING)
		return ctl_fail(c, EX_USAGE_, "device '%s' of %s is %s, not pending", d.name, user,
				otp_state_name(d.state));
	return ctl_oob_confirm(c, user, &d);
}

int cmd_confirm(struct ctl *c, int argc, char **argv)
{
	struct otp_device_rec d;
	struct otp_login who;
	char name[CTL_SHOW_SIZE];
	int rc;

	rc = ctl_user_verb(c, argc, argv, argc == 3 ? 3 : 4, 1, &who);
	if (rc != 0)
		return rc;
	if (argc == 3)
		return send_new(c, argv[1], argv[2]);
	rc = otp_confirm(c->st, &c->key, &c->cfg, &who, argv[2], argv[3], &d);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "confirm");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:I,s:o,s:s}", "user", argv[1], "device",
						(json_int_t)d.id, "name", ctl_jstr(d.name), "state", "active"));
	printf("device %u (%s) of %s is active\n", d.id, ctl_show(d.name, name, sizeof(name)),
	       argv[1]);
	return 0;
}
