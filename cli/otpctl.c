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
#include <getopt.h>
#include <unistd.h>

#ifndef OTP_VERSION
#define OTP_VERSION "unknown"
#endif

static const struct verb verbs[] = {
	{ "init", 1, cmd_init, "",
	  "create the store directory and the seal key (never overwrites a key)" },
	{ "enroll", 1, cmd_enroll,
	  "USER [--name NAME] [--type totp|hotp] [--algorithm SHA1|SHA256|SHA512] [--digits N]\n"
	  "       [--period S] [--secret BASE32] [--qr utf8|ansi|none] [--qr-file FILE.png|.svg]\n"
	  "       [--confirm CODE|--no-confirm] [--force]\n"
	  "  otpctl enroll USER --type email --to ADDRESS | --type sms --to +NUMBER\n"
	  "       [--name NAME] [--no-confirm] [--force]\n"
	  "  --force enrolls a user this system does not know (getpwnam) and replaces an\n"
	  "  existing --qr-file. Without --confirm, a terminal asks for a code: 3 tries\n"
	  "  (email and sms: a code is sent to the device first).",
	  "add a device: show its URI, secret and QR code, then activate it with a code" },
	{ "confirm", 1, cmd_confirm, "USER DEVICE CODE | USER DEVICE",
	  "activate a pending device (without CODE: send a code to an email or sms device, "
	  "then ask for it)" },
	{ "devices", 0, cmd_devices, "USER", "list a user's devices" },
	{ "rename", 1, cmd_rename, "USER DEVICE NAME", "rename a device (DEVICE: id or name)" },
	{ "revoke", 1, cmd_revoke, "USER DEVICE", "revoke a device and wipe its secret" },
	{ "recovery", 1, cmd_recovery, "USER [--count N] | USER --status",
	  "make new recovery codes (the old ones die), printed once; --status: how many are left" },
	{ "status", 0, cmd_status, "USER", "lock state and recent failures" },
	{ "unlock", 1, cmd_unlock, "USER", "clear a user's lock and failure count" },
	{ "hosts", 1, cmd_hosts, "USER [--revoke HOST|--all]", "list or forget remembered hosts" },
	{ "verify", 1, cmd_verify,
	  "USER [--dry-run] CODE\n"
	  "  As a login: a right code is used up, and a wrong one counts toward the lockout\n"
	  "  (deny in pam_otp.conf). --dry-run checks app and token codes without either\n"
	  "  (no recovery codes); every verify is audited.",
	  "check a code as the module would (uses it up; a wrong one counts toward the lockout)" },
	{ "resync", 1, cmd_resync, "USER DEVICE CODE1 CODE2",
	  "HOTP: find two consecutive codes in a wide window and move the counter past them" },
	{ "send-test", 1, cmd_send_test,
	  "USER DEVICE\n"
	  "  A message without a code through the email or sms device's delivery command\n"
	  "  (oob.email_command, oob.sms_command in pam_otp.conf), as a login sends one.\n"
	  "  Prints the command's exit status and stderr; exit 0 sent, 4 not sent (or a\n"
	  "  configuration problem), 2 no such device, 1 not an email or sms device.",
	  "test message through an email/SMS device's delivery command" },
	{ "users", 0, cmd_users,
	  "[--unenrolled [--group G]]\n"
	  "  --unenrolled: the users the policy (require_group, exempt_group, exempt_user)\n"
	  "  covers who have no active device, with why (no_device, pending, revoked):\n"
	  "  the members of group G (from NSS: its member list and the users whose primary\n"
	  "  group it is), else the users of /etc/passwd with a login shell.",
	  "every enrolled user: devices, recovery codes, lock, last login; or who must still enroll" },
	{ "remove", 1, cmd_remove, "USER", "delete all of a user's records" },
	{ "audit", 0, cmd_audit,
	  "[--user U] [--event E] [--since T] [--until T] [--limit N]\n"
	  "       [--format text|json|csv] [--follow]",
	  "dump the audit trail (T: RFC 3339, a date, or 90s, 15m, 1h, 7d, 2w ago)" },
	{ "import", 1, cmd_import, "google-authenticator USER FILE | oath FILE",
	  "migrate from ~/.google_authenticator files and pam_oath usersfiles" },
	{ "backup", 0, cmd_backup, "FILE",
	  "consistent compact copy of the store while logins go on (open it with mdb_stat -n)" },
	{ "restore", 1, cmd_restore, "FILE [--force]",
	  "replace the store's records by a backup's, in one transaction (--force: even\n"
	  "  when the store holds users); the seal key must be the backup's" },
	{ "migrate", 1, cmd_migrate,
	  "--to TARGET [--from SOURCE] [--skip-corrupt]\n"
	  "  TARGET, SOURCE: a directory (LMDB) or a PostgreSQL URI or conninfo; SOURCE is\n"
	  "  the configured store unless given. The target is made if missing and must hold\n"
	  "  no record; one transaction copies every record, and the counts of both are\n"
	  "  compared before it commits. The seal key (the config's) must be the source's.\n"
	  "  --skip-corrupt leaves behind, and counts, records that do not decode.",
	  "copy the whole store into another (LMDB <-> PostgreSQL), in one transaction" },
	{ "rekey", 1, cmd_rekey,
	  "NEWKEY\n"
	  "  NEWKEY is a key file: made (32 random bytes, 0400) when missing, else checked as\n"
	  "  seal_key is. One transaction re-seals every secret; then seal_key is replaced by\n"
	  "  the new key (a NEWKEY made here is moved, one given is left in place).",
	  "re-seal every secret under a new seal key (file NEWKEY, made if missing)" },
	{ "stats", 0, cmd_stats,
	  "[--since T]\n"
	  "  Users and devices now; over the window (T as for audit; default 24h) logins by\n"
	  "  outcome and service, success rate, lockouts, recovery codes used, and the\n"
	  "  remote hosts and users with the most failures.",
	  "users, devices, logins by outcome, success rate, lockouts, top failing sources" },
	{ "metrics", 0, cmd_metrics,
	  "[--textfile DIR] [--state FILE]\n"
	  "  Counters come from the audit trail, read on from where the last run stopped\n"
	  "  (the state: DIR/pam_otp.state with --textfile, else --state FILE; without\n"
	  "  either, the whole trail is read and nothing is kept). --textfile writes\n"
	  "  DIR/pam_otp.prom atomically (0644) for node_exporter's textfile collector.",
	  "Prometheus metrics: logins, lockouts, users, devices, store size" },
	{ "check", 0, cmd_check,
	  "[--module PATH]\n"
	  "  One line per problem; exit 0 ok, 1 warning, 2 critical, 3 unknown (usage, not\n"
	  "  root). Checks the configuration, the seal key (mode, matches the store), the\n"
	  "  store (opens, schema), map and disk use (warning at 80%, critical at 95%),\n"
	  "  the audit trail (takes a record), and the module file (--module, else the\n"
	  "  PAM directories).",
	  "health check for monitoring: exit 0 ok, 1 warning, 2 critical" },
	{ NULL, 0, NULL, NULL, NULL },
};

const struct verb *ctl_verbs(void)
{
	return verbs;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: otpctl [--config PATH] [--json] VERB [ARGS]\n"
		"       otpctl --version\n\nverbs:\n");
	for (const struct verb *v = verbs; v->name; v++)
		fprintf(out, "  %-9s %s\n", v->name, v->help);
	fprintf(out, "\n'otpctl VERB -h' shows a verb's usage. Exit codes: 0 ok, 1 usage, "
		"2 not found,\n3 invalid code, 4 store/config error, 5 permission. With --json (before\n"
		"or after the verb) an error is one line on stdout: {\"error\": ..., \"exit\": N}.\n");
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
	if (rc == OTP_ENOTFOUND && strcmp(v->name, "init") == 0) {
		otp_config_defaults(&c->cfg);
	} else if (rc != OTP_OK && strcmp(v->name, "check") == 0) {
		/* check reports a bad configuration as one of its problems */
		c->config_rc = rc;
		snprintf(c->config_err, sizeof(c->config_err), "%s",
			 otp_errdetail()[0] ? otp_errdetail() : otp_strerror(rc));
		return v->run(c, argc, argv);
	} else if (rc != OTP_OK) {
		return ctl_setup_err(c, rc, "configuration");
	}
	ctl_who_host(c->cfg.host_name);
	return v->run(c, argc, argv);
}

/*
 * One global option at argv[*i] (--json, --config PATH, --config=PATH):
 * applied and *i moved past it, returns 1; 0 for anything else.
 */
static int global_opt(struct ctl *c, int argc, char **argv, int *i)
{
	if (strcmp(argv[*i], "--json") == 0) {
		c->json = 1;
	} else if (strcmp(argv[*i], "--config") == 0 && *i + 1 < argc) {
		c->config_path = argv[++*i];
	} else if (strncmp(argv[*i], "--config=", 9) == 0) {
		c->config_path = argv[*i] + 9;
	} else {
		return 0;
	}
	++*i;
	return 1;
}

/*
 * The global options may follow the verb too ("otpctl users --json"):
 * they are taken out of the verb's arguments, up to a "--".
 */
static int take_globals(struct ctl *c, int argc, char **argv)
{
	int in = 1, out = 1;

	while (in < argc) {
		if (strcmp(argv[in], "--") == 0) {
			while (in < argc)
				argv[out++] = argv[in++];
			break;
		}
		if (!global_opt(c, argc, argv, &in))
			argv[out++] = argv[in++];
	}
	argv[out] = NULL;
	return out;
}

static int version(const struct ctl *c)
{
	if (c->json)
		return ctl_json_print(json_pack("{s:s}", "version", OTP_VERSION));
	printf("otpctl %s\n", OTP_VERSION);
	return 0;
}

static int json_anywhere(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c;
	char msg[512];
	int i = 1, rc;

	memset(&c, 0, sizeof(c));
	c.config_path = OTP_DEFAULT_CONFIG;
	c.json = json_anywhere(argc, argv);  /* errors before the verb are JSON too */
	while (i < argc && argv[i][0] == '-') {
		if (global_opt(&c, argc, argv, &i))
			continue;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0)
			return version(&c);
		snprintf(msg, sizeof(msg), "unknown option '%s' (otpctl -h lists them)", argv[i]);
		if (!c.json)
			usage(stderr);
		return ctl_report(c.json, NULL, EX_USAGE_, msg);
	}
	if (i >= argc) {
		if (!c.json)
			usage(stderr);
		return ctl_report(c.json, NULL, EX_USAGE_, "no verb given (otpctl -h lists them)");
	}
	openlog("otpctl", LOG_PID, LOG_AUTHPRIV);
	opterr = !c.json;  /* getopt's own complaints are not JSON */
	for (const struct verb *v = verbs; v->name; v++) {
		if (strcmp(v->name, argv[i]) == 0) {
			c.verb = v->name;
			rc = run_verb(&c, v, take_globals(&c, argc - i, argv + i), argv + i);
			if (c.key_loaded)
				otp_seal_key_wipe(&c.key);
			otp_store_close(c.st);
			return rc;
		}
	}
	snprintf(msg, sizeof(msg), "unknown verb '%.64s' (otpctl -h lists them)", argv[i]);
	return ctl_report(c.json, NULL, EX_USAGE_, msg);
}
