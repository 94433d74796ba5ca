/*
 * otpctl migrate --to TARGET [--from SOURCE] [--skip-corrupt] - copy the
 * whole store into another one, LMDB or PostgreSQL (see migrate.h): one
 * read transaction of the source, one write transaction of the target,
 * the counts of both compared before it commits.
 */
#include "ctl.h"
#include "err.h"
#include "migrate.h"

#include <getopt.h>
#include <stdio.h>

static json_t *counts_json(const struct otp_store_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "users", (json_int_t)s->users, "devices",
			 (json_int_t)s->devices, "recovery", (json_int_t)s->recovery, "hosts",
			 (json_int_t)s->hosts, "audit", (json_int_t)s->audit);
}

static int report_json(const char *from, const char *to, const struct otp_migrate_result *r)
{
	return ctl_json_print(json_pack("{s:o,s:o,s:s,s:o,s:o,s:o}", "from", ctl_jstr(from), "to",
					ctl_jstr(to), "source_engine", r->source_engine,
					"source", counts_json(&r->source), "target",
					counts_json(&r->target), "skipped",
					counts_json(&r->skipped)));
}

static void row(const char *what, size_t src, size_t dst, size_t skipped)
{
	printf("  %-17s %10zu %10zu", what, src, dst);
	if (skipped > 0)
		printf("  (%zu corrupt left behind)", skipped);
	printf("\n");
}

static int report(struct ctl *c, const char *from, const char *to,
		  const struct otp_migrate_result *r)
{
	char a[CTL_SHOW_SIZE], b[CTL_SHOW_SIZE];

	if (c->json)
		return report_json(from, to, r);
	printf("migrated the %s store %s into %s (one transaction)\n", r->source_engine,
	       ctl_show(from, a, sizeof(a)), ctl_show(to, b, sizeof(b)));
	printf("  %-17s %10s %10s\n", "", "source", "target");
	row("users", r->source.users, r->target.users, r->skipped.users);
	row("devices", r->source.devices, r->target.devices, r->skipped.devices);
	row("recovery codes", r->source.recovery, r->target.recovery, r->skipped.recovery);
	row("remembered hosts", r->source.hosts, r->target.hosts, r->skipped.hosts);
	row("audit records", r->source.audit, r->target.audit, r->skipped.audit);
	printf("every record copied (the target's audit trail also holds the migrate record)\n");
	return 0;
}

static int failed(struct ctl *c, int rc, const char *from)
{
	if (rc == OTP_EKEY)  /* setup, as every verb's key check: exit 4 */
		return ctl_fail(c, EX_STORE, "%s: seal key does not match the source store %s; "
				"nothing migrated", c->cfg.seal_key, from);
	if (rc == OTP_ECORRUPT)
		return ctl_fail(c, EX_STORE, "%s; nothing migrated (--skip-corrupt leaves corrupt "
				"devices, recovery codes, hosts and audit records behind)", otp_errdetail());
	return ctl_err(c, rc, "migrate");
}

int cmd_migrate(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "skip-corrupt", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *from = c->cfg.store;
	struct otp_migrate_result res;
	struct otp_login who;
	int opt, flags = 0, rc;

	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt == 't')
			to = optarg;
		else if (opt == 'f')
			from = optarg;
		else if (opt == 's')
			flags |= OTP_MIGRATE_SKIP_CORRUPT;
		else
			return ctl_usage(c, EX_USAGE_);
	}
	if (optind != argc || to == NULL || to[0] == '\0' || from[0] == '\0')
		return ctl_usage(c, EX_USAGE_);
	rc = otp_seal_key_load(c->cfg.seal_key, &c->key);
	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "seal key");
	c->key_loaded = 1;
	ctl_who(&who, "");
	rc = otp_migrate(from, to,
			 &(struct otp_store_opts){ c->cfg.map_size_mb, c->cfg.store_timeout },
			 &c->key, &c->cfg, &who, flags, &res);
	return rc == OTP_OK ? report(c, from, to, &res) : failed(c, rc, from);
}
