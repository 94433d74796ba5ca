#include "ctl.h"
#include "devices.h"
#include "err.h"
#include "oob.h"
#include "oobaddr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A user's devices, with the masked destination of each live email or sms
 * device (to[i]; "" for the others). */
struct listing {
	struct otp_device_rec devs[OTP_DEVICES_MAX];
	char to[OTP_DEVICES_MAX][OTP_OOB_MASKED_MAX];
	unsigned n;
};

static json_t *device_json(const struct otp_device_rec *d, const char *to)
{
	int oob = OTP_IS_OOB(d->type);
	json_t *o = json_pack("{s:I,s:o,s:s,s:o,s:i,s:i,s:s,s:o,s:o}", "device",
			      (json_int_t)d->id, "name", ctl_jstr(d->name), "type",
			      otp_dev_type_name(d->type), "algorithm",
			      oob ? json_null() : json_string(otp_alg_name(d->alg)), "digits",
			      (int)d->digits, "period", (int)d->period, "state",
			      otp_state_name(d->state), "created", ctl_jtime(d->created),
			      "last_used", ctl_jtime(d->last_used));

	/* the masked form only, never the destination itself */
	if (o != NULL && oob && json_object_set_new(o, "to", to[0] ? json_string(to) :
								    json_null()) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static void print_table(const struct listing *l)
{
	char cr[32], lu[32], per[16], name[CTL_SHOW_SIZE];

	printf("%-4s %-20s %-5s %-6s %-6s %-6s %-8s %-20s %-20s %s\n", "ID", "NAME", "TYPE",
	       "ALG", "DIGITS", "PERIOD", "STATE", "CREATED", "LAST USED", "TO");
	for (unsigned i = 0; i < l->n; i++) {
		const struct otp_device_rec *d = &l->devs[i];

		/* names stored before they had to be clean UTF-8 are escaped */
		printf("%-4u %-20s %-5s %-6s %-6u %-6s %-8s %-20s %-20s %s\n", d->id,
		       ctl_show(d->name, name, sizeof(name)), otp_dev_type_name(d->type),
		       OTP_IS_OOB(d->type) ? "-" : otp_alg_name(d->alg), d->digits,
		       d->type != OTP_TOTP ? "-" : (snprintf(per, sizeof(per), "%us", d->period), per),
		       otp_state_name(d->state), ctl_time(d->created, cr, sizeof(cr)),
		       ctl_time(d->last_used, lu, sizeof(lu)), l->to[i][0] ? l->to[i] : "-");
	}
}

/* A live email or sms device: its destination is sealed (a revoked one's
 * was wiped with it). */
static int has_to(const struct otp_device_rec *d)
{
	return OTP_IS_OOB(d->type) && d->sealed_len > 0;
}

/* Whether the listing needs the seal key: a user with apps alone does not. */
static int needs_key(const struct listing *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (has_to(&l->devs[i]))
			return 1;
	}
	return 0;
}

/* The masked destinations, from payloads opened with the seal key. */
static int mask_all(const struct ctl *c, const char *user, struct listing *l)
{
	struct otp_oob o;
	int rc = OTP_OK;

	for (unsigned i = 0; rc == OTP_OK && i < l->n; i++) {
		const struct otp_device_rec *d = &l->devs[i];

		if (!has_to(d))
			continue;
		rc = otp_oob_open(&c->key, user, d, &o);
		if (rc == OTP_OK)
			rc = otp_oob_mask(d->type, o.to, l->to[i], sizeof(l->to[i]));
		otp_oob_wipe(&o);
	}
	return rc;
}

static int print_json(const char *user, const struct listing *l)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < l->n && arr != NULL; i++) {
		if (json_array_append_new(arr, device_json(&l->devs[i], l->to[i])) != 0) {
			json_decref(arr);  /* no device goes missing: all or an error */
			arr = NULL;
		}
	}
	return ctl_json_print(json_pack("{s:s,s:o}", "user", user, "devices", arr));
}

/* The listing, printed once every destination is masked; an exit code. */
static int show(struct ctl *c, const char *user, struct listing *l)
{
	int rc = needs_key(l) ? ctl_load_key(c) : 0;

	if (rc != 0)
		return rc;
	rc = mask_all(c, user, l);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "devices");
	if (c->json)
		return print_json(user, l);
	print_table(l);
	return 0;
}

int cmd_devices(struct ctl *c, int argc, char **argv)
{
	struct listing *l;
	struct otp_txn *txn = NULL;
	int rc;

	rc = ctl_user_verb(c, argc, argv, 2, 0, NULL);
	if (rc != 0)
		return rc;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ctl_fail(c, EX_STORE, "out of memory");
	rc = otp_txn_begin(c->st, 0, &txn);
	if (rc == OTP_OK)
		rc = otp_device_list(txn, argv[1], l->devs, &l->n);
	otp_txn_abort(txn);
	if (rc == OTP_OK && l->n == 0)
		rc = otp_seterr(OTP_ENOTFOUND, "user %s has no devices", argv[1]);
	rc = rc == OTP_OK ? show(c, argv[1], l) : ctl_err(c, rc, "devices");
	otp_wipe(l, sizeof(*l));
	free(l);
	return rc;
}
