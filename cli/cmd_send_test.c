/*
 * otpctl send-test USER DEVICE
 * A message without a code through an email or sms device's delivery
 * command, as a login would send one, so an administrator can check the
 * MTA or gateway setup. Nothing in the store changes: no audit record.
 * Exit 0 sent (the command exited 0); 4 not sent (its exit status, signal
 * or timeout, and its stderr, are printed), or a config problem; 2 no
 * such device; 1 not an email or sms device, or revoked.
 */
#include "ctl.h"
#include "deliver.h"
#include "devices.h"
#include "err.h"
#include "oob.h"
#include "oobaddr.h"
#include "oobmsg.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What one send-test did, for the report. */
struct sent {
	const char *user;
	const struct otp_device_rec *d;
	char masked[OTP_OOB_MASKED_MAX];
	struct otp_delivery_result res;
	int rc;
};

static int find(struct ctl *c, const char *user, const char *ref, struct otp_device_rec *d)
{
	struct otp_txn *txn = NULL;
	char shown[CTL_SHOW_SIZE];
	int rc = otp_txn_begin(c->st, 0, &txn);

	if (rc == OTP_OK)
		rc = otp_device_find(txn, user, ref, d);
	otp_txn_abort(txn);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "send-test");
	if (!OTP_IS_OOB(d->type))
		return ctl_fail(c, EX_USAGE_, "device '%s' of %s is a %s device: only email and sms "
				"devices send messages", ctl_show(d->name, shown, sizeof(shown)), user,
				otp_dev_type_name(d->type));
	if (d->state == OTP_REVOKED || d->sealed_len == 0)
		return ctl_fail(c, EX_USAGE_, "device '%s' of %s is revoked",
				ctl_show(d->name, shown, sizeof(shown)), user);
	return 0;
}

/* Compose the message (no code) and run the command; s->rc its result. */
static int send_one(struct ctl *c, const struct otp_oob *o, struct sent *s)
{
	char host[256];
	struct otp_oob_msg m;

	memset(&m, 0, sizeof(m));
	m.type = (enum otp_dev_type)s->d->type;
	m.to = o->to;
	m.from = c->cfg.oob.from;
	m.user = s->user;
	m.host = otp_host_name(c->cfg.host_name, host, sizeof(host));
	m.service = "otpctl";
	m.code = NULL;
	m.valid = c->cfg.oob.valid;
	m.now = otp_now();
	s->rc = otp_oob_send(&c->cfg, &m, &s->res);
	return s->rc;
}

/* Whether res->status is an exit status (not a signal, a timeout, a
 * command that never started or a status lost) */
static int exited(const struct sent *s)
{
	const struct otp_delivery_result *r = &s->res;

	return r->ran && !r->timed_out && r->signal == 0 &&
	       (s->rc == OTP_OK || strncmp(r->why, "exit ", 5) == 0);
}

static int report_json(const struct sent *s)
{
	return ctl_json_print(json_pack("{s:s,s:o,s:s,s:s,s:b,s:o,s:o,s:o}", "user", s->user,
					"device", ctl_jstr(s->d->name), "type",
					otp_dev_type_name(s->d->type), "to", s->masked, "ok",
					s->rc == OTP_OK, "status", exited(s) ?
					json_integer(s->res.status) : json_null(), "why",
					ctl_jstr(s->res.why), "stderr", ctl_jstr(s->res.err)));
}

static int report(struct ctl *c, const struct sent *s)
{
	const char *how = s->d->type == OTP_EMAIL ? "email" : "SMS";
	int out = 0;

	if (s->rc != OTP_OK && s->rc != OTP_EIO)  /* a config problem: nothing ran */
		return ctl_err(c, s->rc, "send-test");
	if (c->json)
		out = report_json(s);
	else if (s->rc == OTP_OK)
		printf("sent by %s to %s: exit 0\n", how, s->masked);
	else
		fprintf(stderr, "otpctl send-test: not sent by %s to %s: %s\n", how, s->masked,
			s->res.why);
	if (!c->json && s->res.err[0] != '\0')
		fprintf(s->rc == OTP_OK ? stdout : stderr, "  stderr: %s\n", s->res.err);
	return s->rc == OTP_OK ? out : (out != 0 ? out : EX_STORE);
}

int cmd_send_test(struct ctl *c, int argc, char **argv)
{
	struct otp_device_rec d;
	struct otp_oob o;
	struct sent s;
	int rc;

	rc = ctl_user_verb(c, argc, argv, 3, 1, NULL);
	if (rc == 0)
		rc = find(c, argv[1], argv[2], &d);
	if (rc != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	s.user = argv[1];
	s.d = &d;
	rc = otp_oob_open(&c->key, argv[1], &d, &o);
	if (rc == OTP_OK)
		rc = otp_oob_mask((enum otp_dev_type)d.type, o.to, s.masked, sizeof(s.masked));
	if (rc != OTP_OK) {
		otp_oob_wipe(&o);
		return ctl_err(c, rc, "device");
	}
	send_one(c, &o, &s);
	otp_oob_wipe(&o);
	rc = report(c, &s);
	otp_wipe(&d, sizeof(d));
	return rc;
}
