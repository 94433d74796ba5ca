/*
 * otpctl.c - the administrator's tool: global options, the verb table,
 * dispatch. Each verb lives in cmd_<verb>.c.
 */
#include "ctl.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const struct verb verbs[] = {
	{ "init", 1, cmd_init, "",
	  "create the store directory and the seal key (never overwrites a key)" },
	{ "enroll", 1, cmd_enroll,
	  "USER [--name NAME] [--type totp|hotp] [--algorithm SHA1|SHA256|SHA512] [--digits N]\n"
	  "       [--period S] [--secret BASE32] [--qr utf8|ansi|none] [--qr-file FILE.png|.svg]\n"
	  "       [--confirm CODE|--no-confirm] [--force]\n"
	  "  --force enrolls a user this system does not know (getpwnam) and replaces an\n"
	  "  existing --qr-file. Without --confirm, a terminal asks for a code: 3 tries.",
	  "add a device: show its URI, secret and QR code, then activate it with a code" },
	{ "confirm", 1, cmd_confirm, "USER DEVICE CODE", "activate a pending device" },
	{ "devices", 0, cmd_devices, "USER", "list a user's devices" },
	{ "rename", 1, cmd_rename, "USER DEVICE NAME", "rename a device (DEVICE: id or name)" },
	{ "revoke", 1, cmd_revoke, "USER DEVICE", "revoke a device and wipe its secret" },
	{ "recovery", 1, cmd_recovery, "USER [--count N] | USER --status",
	  "make new recovery codes (the old ones die), printed once; --status: how many are left" },
	{ "status", 0, cmd_status, "USER", "lock state and recent failures" },
	{ "unlock", 1, cmd_unlock, "USER", "clear a user's lock and failure count" },
	{ "hosts", 1, cmd_hosts, "USER [--revoke HOST|--all]", "list or forget remembered hosts" },
	{ "verify", 1, cmd_verify, "USER CODE",
	  "check a code as the module would (uses it up; audited)" },
	{ "resync", 1, cmd_resync, "USER DEVICE CODE1 CODE2",
	  "HOTP: find two consecutive codes in a wide window and move the counter past them" },
	{ "users", 0, cmd_users, "", "every enrolled user: devices, recovery codes, lock, last login" },
	{ "remove", 1, cmd_remove, "USER", "delete all of a user's records" },
	{ "audit", 0, cmd_audit,
	  "[--user U] [--event E] [--since T] [--until T] [--limit N]\n"
	  "       [--format text|json|csv] [--follow]",
	  "dump the audit trail (T: RFC 3339, a date, or 90s, 15m, 1h, 7d, 2w ago)" },
	{ "import", 1, cmd_import, "google-authenticator USER FILE | oath FILE",
	  "migrate from ~/.google_authenticator files and pam_oath usersfiles" },
	{ "backup", 0, cmd_backup, "FILE",
	  "consistent compact copy of the store while logins go on (open it with mdb_stat -n)" },
	{ "rekey", 1, cmd_rekey,
	  "NEWKEY\n"
	  "  NEWKEY is a key file: made (32 random bytes, 0400) when missing, else checked as\n"
	  "  seal_key is. One transaction re-seals every secret; then seal_key is replaced by\n"
	  "  the new key (a NEWKEY made here is moved, one given is left in place).",
	  "re-seal every secret under a new seal key (file NEWKEY, made if missing)" },
	{ NULL, 0, NULL, NULL, NULL },
};

const struct verb *ctl_verbs(void)
{
	return verbs;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: otpctl [--config PATH] [--json] VERB [ARGS]\n\nverbs:\n");
	for (const struct verb *v = verbs; v->name; v++)
		fprintf(out, "  %-9s %s\n", v->name, v->help);
	fprintf(out, "\n'otpctl VERB -h' shows a verb's usage. Exit codes: 0 ok, 1 usage, "
		"2 not found,\n3 invalid code, 4 store/config error, 5 permission.\n");
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	return 0;
}

static int run_verb(struct ctl *c, const struct verb *v, int argc, char **argv)
{
	int rc;

	if (wants_help(argc, argv))
		return ctl_usage(c, 0);
	if (v->writes && geteuid() != 0)
		return ctl_fail(c, EX_PERM, "must be run as root");
	rc = otp_config_load(c->config_path, NULL, 0, &c->cfg);
	if (rc == OTP_ENOTFOUND && strcmp(v->name, "init") == 0)
		otp_config_defaults(&c->cfg);
	else if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "configuration");
	return v->run(c, argc, argv);
}

int main(int argc, char **argv)
{
	struct ctl c;
	int i = 1, rc;

	memset(&c, 0, sizeof(c));
	c.config_path = OTP_DEFAULT_CONFIG;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = 1;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			c.config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c.config_path = argv[i] + 9;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "otpctl: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	openlog("otpctl", LOG_PID, LOG_AUTHPRIV);
	for (const struct verb *v = verbs; v->name; v++) {
		if (strcmp(v->name, argv[i]) == 0) {
			c.verb = v->name;
			rc = run_verb(&c, v, argc - i, argv + i);
			if (c.key_loaded)
				otp_seal_key_wipe(&c.key);
			otp_store_close(c.st);
			return rc;
		}
	}
	fprintf(stderr, "otpctl: unknown verb '%s' (otpctl -h lists them)\n", argv[i]);
	return EX_USAGE_;
}
