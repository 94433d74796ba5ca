#include "ctl.h"
#include "devices.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>

static json_t *device_json(const struct otp_device_rec *d)
{
	return json_pack("{s:I,s:o,s:s,s:s,s:i,s:i,s:s,s:o,s:o}", "device", (json_int_t)d->id,
			 "name", ctl_jstr(d->name), "type", d->type == OTP_HOTP ? "hotp" : "totp",
			 "algorithm", otp_alg_name(d->alg), "digits", (int)d->digits, "period",
			 (int)d->period, "state", otp_state_name(d->state), "created",
			 ctl_jtime(d->created), "last_used", ctl_jtime(d->last_used));
}

static void print_table(const struct otp_device_rec *devs, unsigned n)
{
	char cr[32], lu[32], per[16], name[CTL_SHOW_SIZE];

	printf("%-4s %-20s %-5s %-6s %-6s %-6s %-8s %-20s %s\n", "ID", "NAME", "TYPE", "ALG",
	       "DIGITS", "PERIOD", "STATE", "CREATED", "LAST USED");
	for (unsigned i = 0; i < n; i++) {
		const struct otp_device_rec *d = &devs[i];

		/* names stored before they had to be clean UTF-8 are escaped */
		printf("%-4u %-20s %-5s %-6s %-6u %-6s %-8s %-20s %s\n", d->id,
		       ctl_show(d->name, name, sizeof(name)),
		       d->type == OTP_HOTP ? "hotp" : "totp", otp_alg_name(d->alg), d->digits,
		       d->type == OTP_HOTP ? "-" : (snprintf(per, sizeof(per), "%us", d->period), per),
		       otp_state_name(d->state), ctl_time(d->created, cr, sizeof(cr)),
		       ctl_time(d->last_used, lu, sizeof(lu)));
	}
}

int cmd_devices(struct ctl *c, int argc, char **argv)
{
	struct otp_device_rec *devs;
	struct otp_txn *txn = NULL;
	unsigned n = 0;
	int rc;

	rc = ctl_user_verb(c, argc, argv, 2, 0, NULL);
	if (rc != 0)
		return rc;
	devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	if (devs == NULL)
		return ctl_fail(c, EX_STORE, "out of memory");
	rc = otp_txn_begin(c->st, 0, &txn);
	if (rc == OTP_OK)
		rc = otp_device_list(txn, argv[1], devs, &n);
	otp_txn_abort(txn);
	if (rc == OTP_OK && n == 0)
		rc = otp_seterr(OTP_ENOTFOUND, "user %s has no devices", argv[1]);
	if (rc != OTP_OK) {
		free(devs);
		return ctl_err(c, rc, "devices");
	}
	if (c->json) {
		json_t *arr = json_array();

		for (unsigned i = 0; i < n && arr != NULL; i++) {
			if (json_array_append_new(arr, device_json(&devs[i])) != 0) {
				json_decref(arr);  /* no device goes missing: all or an error */
				arr = NULL;
			}
		}
		rc = ctl_json_print(json_pack("{s:s,s:o}", "user", argv[1], "devices", arr));
	} else {
		print_table(devs, n);
	}
	free(devs);
	return rc;
}
