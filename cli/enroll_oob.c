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

/* This host's name for the message: host_name, else gethostname(). */
static void host_of(const struct ctl *c, char *out, size_t n)
{
	char host[256] = "";

	if (c->cfg.host_name[0] == '\0' && gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	snprintf(out, n, "%s", c->cfg.host_name[0] ? c->cfg.host_name : host);
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
	char host[256], msg[OTP_OOB_MESSAGE_MAX];
	struct otp_oob_msg m = { sent->type, sent->to, c->cfg.oob.from, user, NULL, "otpctl",
				 NULL, sent->code, c->cfg.oob.valid, otp_now() };
	size_t len = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	host_of(c, host, sizeof(host));
	m.host = host;
	rc = otp_oob_message(&m, msg, sizeof(msg), &len);
	if (rc == OTP_OK)
		rc = otp_oob_deliver(&c->cfg, sent->type, sent->to, user, host, msg, len, res);
	else
		snprintf(res->why, sizeof(res->why), "cannot compose the message: %s",
			 otp_errdetail()[0] ? otp_errdetail() : otp_strerror(rc));
	otp_wipe(msg, sizeof(msg));
	return rc;
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

/* Ask for the code sent: CONFIRM_TRIES answers; none leaves d pending. */
static int ask(struct ctl *c, const char *user, struct otp_device_rec *d, const char *masked,
	       enum otp_dev_type type)
{
	struct otp_login who;
	char prompt[OTP_OOB_MASKED_MAX + 96], idref[16], *code;
	int rc = OTP_EBADCODE;

	snprintf(idref, sizeof(idref), "%u", d->id);
	for (int left = CONFIRM_TRIES; left > 0; left--) {
		if (left == CONFIRM_TRIES)
			snprintf(prompt, sizeof(prompt), "Type the code sent %s to %s (%d tries): ",
				 how(type), masked, left);
		else
			snprintf(prompt, sizeof(prompt), "Wrong code, %d %s left: ", left,
				 left == 1 ? "try" : "tries");
		code = enroll_ask_code(prompt);
		if (code == NULL)
			return OTP_ENOTFOUND;
		ctl_who(&who, user);
		rc = otp_confirm(c->st, &c->key, &c->cfg, &who, idref, code, d);
		otp_wipe_str(code);
		free(code);
		if (rc != OTP_EBADCODE && rc != OTP_EREPLAY)
			break;
	}
	return rc;
}

int ctl_oob_confirm(struct ctl *c, const char *user, struct otp_device_rec *d)
{
	struct otp_oob_sent sent;
	struct otp_delivery_result res;
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
	rc = ask(c, user, d, masked, sent.type);
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
