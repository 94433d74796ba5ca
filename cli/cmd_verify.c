#include "ctl.h"
#include "err.h"
#include "recovery.h"

#include <stdio.h>

/* The module's code step, without the password: charge, code, recovery. */
static int check(struct ctl *c, struct otp_login *who, const char *code, char *how,
		 size_t howlen, unsigned *left)
{
	struct otp_auth_result res;
	int rc = otp_auth_charge(c->st, &c->cfg, who, &res);

	if (rc == OTP_ELOCKED)  /* counted by the charge; audited as the module does */
		return otp_auth_refuse_locked(c->st, &c->cfg, who);
	if (rc != OTP_OK)
		return rc;
	rc = otp_auth_code(c->st, &c->key, &c->cfg, who, code, 0, &res);
	snprintf(how, howlen, "%s", res.device_name);
	if (rc != OTP_EBADCODE && rc != OTP_EREPLAY)
		return rc;
	if (otp_recovery_use(c->st, &c->cfg, who, code, left) == OTP_OK) {
		snprintf(how, howlen, "recovery code, %u left", *left);
		return OTP_OK;
	}
	otp_auth_failed(c->st, &c->cfg, who, "verify", rc == OTP_EREPLAY ? "replay" : "rejected");
	return rc;
}

int cmd_verify(struct ctl *c, int argc, char **argv)
{
	struct otp_login who;
	char how[OTP_NAME_MAX + 32] = "", shown[CTL_SHOW_SIZE];
	unsigned left = 0;
	int rc, out = 0;

	rc = ctl_user_verb(c, argc, argv, 3, 1, &who);
	if (rc != 0)
		return rc;
	who.event = "verify";
	rc = check(c, &who, argv[2], how, sizeof(how), &left);
	/* how names a stored device: escaped */
	if (c->json && (rc == OTP_OK || rc == OTP_EBADCODE || rc == OTP_EREPLAY))
		out = ctl_json_print(json_pack("{s:s,s:b,s:o}", "user", argv[1], "valid",
					       rc == OTP_OK, "by", ctl_jstr(rc == OTP_OK ? how : "")));
	if (rc == OTP_OK) {
		if (!c->json)
			printf("valid (%s)\n", ctl_show(how, shown, sizeof(shown)));
		return out;
	}
	if (rc == OTP_ELOCKED)
		return ctl_fail(c, EX_BADCODE, "%s is locked out", argv[1]);
	if (rc == OTP_EBADCODE || rc == OTP_EREPLAY) {
		if (!c->json)
			printf("invalid%s\n", rc == OTP_EREPLAY ? " (already used)" : "");
		return EX_BADCODE;
	}
	return ctl_err(c, rc, "verify");
}
