/*
 * enroll_oob.c - otpctl enroll --type email|sms, and the confirmation of
 * such a device: a code sent to it (otp_oob_request, one write
 * transaction, as a login's), delivered, then asked for.
 */
#include "deliver.h"
#include "enroll.h"
#include "err.h"
#include "oob.h"
#include "oobaddr.h"
#include "oobmsg.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *how(enum otp_dev_type type)
{
	return type == OTP_SMS ? "by SMS" : "by email";
}

/* The device's destination, masked, for what is printed. */
static void masked_of(const struct otp_oob_sent *s, char *out, size_t n)
{
	if (otp_oob_mask(s->type, s->to, out, n) != OTP_OK)
		snprintf(out, n, "?");
}

/* Compose and run the delivery of sent; the code is wiped by the caller. */
static int deliver(struct ctl *c, const char *user, const struct otp_oob_sent *sent,
		   struct otp_delivery_result *res)
{
	char host[256];
	struct otp_oob_msg m = { sent->type, sent->to, c->cfg.oob.from, user,
				 otp_host_name(c->cfg.host_name, host, sizeof(host)), "otpctl",
				 NULL, sent->code, c->cfg.oob.valid, otp_now() };

	return otp_oob_send(&c->cfg, &m, res);
}

static int retry_hint(const char *user, const struct otp_device_rec *d)
{
	fprintf(stderr, "device %u is pending: check the delivery with 'otpctl send-test %s %u', "
		"then send a new code with 'otpctl confirm %s %u'\n", d->id, user, d->id, user,
		d->id);
	return 0;
}

/* A send that did not happen: the device stays pending. An exit code. */
static int not_sent(struct ctl *c, const char *user, const struct otp_device_rec *d, int rc,
		    const struct otp_oob_sent *sent, const struct otp_delivery_result *res)
{
	struct otp_login who;

	if (rc == OTP_ETHROTTLE) {
		ctl_fail(c, EX_STORE, sent->hourly ? "too many codes sent this hour; try again "
			 "later" : "wait %llu seconds before another code is sent",
			 (unsigned long long)sent->wait);
		retry_hint(user, d);
		return EX_STORE;
	}
	if (res == NULL) {
		rc = ctl_err(c, rc, "no code sent");
		retry_hint(user, d);
		return rc;
	}
	ctl_who(&who, user);
	(void)otp_oob_send_failed(c->st, &c->cfg, &who, d->id,
				  res->why[0] ? res->why : otp_strerror(rc));
	ctl_fail(c, EX_STORE, "could not send the code: %s%s%s",
		 res->why[0] ? res->why : otp_strerror(rc), res->err[0] ? "; its stderr: " : "",
		 res->err);
	retry_hint(user, d);
	return EX_STORE;
}


int ctl_oob_confirm(struct ctl *c, const char *user, struct otp_device_rec *d)
{
	struct otp_oob_sent sent;
	struct otp_delivery_result res;
	char first[OTP_OOB_MASKED_MAX + 64];
	struct otp_login who;
	char masked[OTP_OOB_MASKED_MAX];
	int rc;

	ctl_who(&who, user);
	rc = otp_oob_request(c->st, &c->key, &c->cfg, &who, d->id, OTP_OOB_PENDING, &sent);
	if (rc != OTP_OK)
		return not_sent(c, user, d, rc, &sent, NULL);
	rc = deliver(c, user, &sent, &res);
	otp_wipe(sent.code, sizeof(sent.code));
	if (rc != OTP_OK)
		return not_sent(c, user, d, rc, &sent, &res);
	masked_of(&sent, masked, sizeof(masked));
	if (c->json || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "code sent %s to %s; activate device %u with 'otpctl confirm %s %u "
			"CODE'\n", how(sent.type), masked, d->id, user, d->id);
		return 0;
	}
	snprintf(first, sizeof(first), "Type the code sent %s to %s (%d tries): ", how(sent.type),
		 masked, CONFIRM_TRIES);
	rc = enroll_ask_until_valid(c, user, d, first);
	if (rc == OTP_OK) {
		printf("device %u is active\n", d->id);
		return 0;
	}
	fprintf(stderr, "device %u is pending: activate it with 'otpctl confirm %s %u CODE' "
		"(or without CODE for a new one)\n", d->id, user, d->id);
	return rc == OTP_ENOTFOUND ? 0 : ctl_err(c, rc, "device left pending");
}

static int print_enrolled(struct ctl *c, const char *user, const struct otp_device_rec *d,
			  const char *masked)
{
	char name[CTL_SHOW_SIZE];

	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:I,s:o,s:s,s:s,s:s}", "user", user, "device",
						(json_int_t)d->id, "name", ctl_jstr(d->name), "type",
						otp_dev_type_name(d->type), "to", masked, "state",
						otp_state_name(d->state)));
	printf("Device %u (%s): %s to %s\n", d->id, ctl_show(d->name, name, sizeof(name)),
	       otp_dev_type_name(d->type), masked);
	fflush(stdout);
	return 0;
}

int enroll_oob(struct ctl *c, struct enroll_opts *o, const char *user)
{
	struct otp_device_rec d;
	struct otp_login who;
	char masked[OTP_OOB_MASKED_MAX];
	int rc = ctl_check_user(c, user);

	if (rc == 0)
		rc = enroll_check_known(c, user, o->force);
	/* the detail never echoes a control character of the argument */
	if (rc == 0 && (otp_oob_addr_check(o->req.type, o->to) != OTP_OK ||
			otp_oob_mask(o->req.type, o->to, masked, sizeof(masked)) != OTP_OK))
		rc = ctl_fail(c, EX_USAGE_, "--to: %s", otp_errdetail());
	if (rc == 0 && otp_check_request(&o->req, 0) != OTP_OK)
		rc = ctl_fail(c, EX_USAGE_, "%s", otp_errdetail());
	if (rc == 0)
		rc = ctl_open(c, 1);
	if (rc != 0)
		return rc;
	ctl_who(&who, user);
	rc = otp_enroll_oob(c->st, &c->key, &c->cfg, &who, &o->req, o->to, &d);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "nothing enrolled");
	rc = print_enrolled(c, user, &d, masked);
	if (rc == 0 && !o->no_confirm)
		rc = ctl_oob_confirm(c, user, &d);
	return rc;
}
