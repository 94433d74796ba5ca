/*
 * otpctl verify USER [--dry-run] CODE
 * Without --dry-run: the module's code step without the password, so a
 * wrong code counts toward the lockout and a right one is used up. With
 * it: the code is checked against the active devices in a read
 * transaction; nothing is used up or charged, and one `verify` audit
 * record with detail "dry run: ..." says who checked what outcome.
 */
#include "audit.h"
#include "ctl.h"
#include "err.h"
#include "recovery.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Every active device against code, in one read transaction: OTP_OK (how
 * names the device), OTP_EREPLAY, OTP_EBADCODE or an error. *locked: the
 * user is locked now (a login would be refused whatever the code). */
static int dry_check(struct ctl *c, const struct otp_login *who, const char *code, char *how,
		     size_t howlen, int *locked)
{
	struct otp_device_rec *devs = calloc(OTP_DEVICES_MAX, sizeof(*devs));
	struct otp_user_rec u;
	struct otp_txn *txn = NULL;
	unsigned n = 0;
	int rc = devs ? otp_txn_begin(c->st, 0, &txn) : OTP_ENOMEM, out = OTP_EBADCODE;

	if (rc == OTP_OK)
		rc = otp_user_load(txn, who->user, &u);
	if (rc == OTP_OK)
		rc = otp_device_list(txn, who->user, devs, &n);
	otp_txn_abort(txn);
	*locked = rc == OTP_OK && u.locked_until != 0 &&
		  (u.locked_until == OTP_LOCKED_FOREVER || who->now < u.locked_until);
	for (unsigned i = 0; rc == OTP_OK && out != OTP_OK && i < n; i++) {
		int one;

		if (devs[i].state != OTP_ACTIVE)
			continue;
		/* checks a copy: the counter or replay mark it moves is not saved */
		one = otp_device_check(&c->key, &c->cfg, who->user, &devs[i], code, who->now);
		if (one == OTP_OK)
			snprintf(how, howlen, "%s", devs[i].name);
		if (one == OTP_OK || one == OTP_EREPLAY)
			out = one;
		else if (one != OTP_EBADCODE)
			rc = one;
	}
	if (devs != NULL)
		otp_wipe(devs, OTP_DEVICES_MAX * sizeof(*devs));
	free(devs);
	return rc == OTP_OK ? out : rc;
}

/* The dry run's audit record: who checked, and what came out. */
static int dry_audit(struct ctl *c, const struct otp_login *who, int rc, const char *how)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	int wrc = otp_txn_begin(c->st, 1, &txn);

	if (wrc != OTP_OK)
		return wrc;
	otp_audit_from(&ev, who, "verify", rc == OTP_OK ? how : NULL,
		       rc == OTP_OK ? "dry run: valid" :
		       rc == OTP_EREPLAY ? "dry run: already used" : "dry run: invalid");
	return otp_audit_commit(&c->cfg, txn, &ev, 1);
}

static int parse(struct ctl *c, int argc, char **argv, int *dry)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*dry = 0;
	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt != 'n')
			return ctl_usage(c, EX_USAGE_);
		*dry = 1;
	}
	/* as ctl_user_verb expects: verb, USER, CODE */
	if (optind != argc - 2)
		return ctl_usage(c, EX_USAGE_);
	argv[optind - 1] = argv[0];
	return 0;
}

static int report(struct ctl *c, const char *user, int rc, const char *how, int dry, int locked)
{
	char shown[CTL_SHOW_SIZE];
	int out = 0;

	/* how names a stored device: escaped */
	if (c->json && (rc == OTP_OK || rc == OTP_EBADCODE || rc == OTP_EREPLAY))
		out = ctl_json_print(json_pack("{s:s,s:b,s:o,s:b,s:b}", "user", user, "valid",
					       rc == OTP_OK, "by", ctl_jstr(rc == OTP_OK ? how : ""),
					       "dry_run", dry, "locked", locked));
	if (rc == OTP_OK) {
		if (!c->json)
			printf("valid (%s%s)%s\n", ctl_show(how, shown, sizeof(shown)),
			       dry ? "; dry run: not used up" : "",
			       locked ? "; the user is locked: a login is refused until it ends" : "");
		return out;
	}
	if (rc == OTP_ELOCKED)
		return ctl_fail(c, EX_BADCODE, "%s is locked out", user);
	if (rc == OTP_EBADCODE || rc == OTP_EREPLAY) {
		if (!c->json)
			printf("invalid%s%s\n", rc == OTP_EREPLAY ? " (already used)" : "",
			       dry ? " (dry run: not charged)" : "");
		return out != 0 ? out : EX_BADCODE;
	}
	return ctl_err(c, rc, "verify");
}

int cmd_verify(struct ctl *c, int argc, char **argv)
{
	struct otp_login who;
	char how[OTP_NAME_MAX + 32] = "";
	unsigned left = 0;
	int rc, dry, locked = 0, arc;

	rc = parse(c, argc, argv, &dry);
	if (rc != 0)
		return rc;
	argv += optind - 1;
	rc = ctl_user_verb(c, 3, argv, 3, 1, &who);
	if (rc != 0)
		return rc;
	who.event = "verify";
	if (!dry)
		return report(c, argv[1], check(c, &who, argv[2], how, sizeof(how), &left), how, 0, 0);
	rc = dry_check(c, &who, argv[2], how, sizeof(how), &locked);
	if (rc == OTP_OK || rc == OTP_EBADCODE || rc == OTP_EREPLAY) {
		arc = dry_audit(c, &who, rc, how);
		if (arc != OTP_OK)
			return ctl_err(c, arc, "audit");
	}
	return report(c, argv[1], rc, how, 1, locked);
}
