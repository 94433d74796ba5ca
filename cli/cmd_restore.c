/*
 * otpctl restore FILE [--force] - put a backup back (see restore.h): one
 * write transaction, so logins wait a moment and then see the backup.
 * The seal key is checked against the backup, not against the store it
 * replaces: the backup is what has to open under it afterwards.
 */
#include "ctl.h"
#include "err.h"
#include "restore.h"

#include <getopt.h>
#include <stdio.h>

int cmd_restore(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct otp_login who;
	unsigned long records = 0;
	int opt, flags = 0, rc;

	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt != 'f')
			return ctl_usage(c, EX_USAGE_);
		flags |= OTP_RESTORE_FORCE;
	}
	if (optind != argc - 1)
		return ctl_usage(c, EX_USAGE_);
	rc = ctl_open(c, 0);
	if (rc != 0)
		return rc;
	rc = otp_seal_key_load(c->cfg.seal_key, &c->key);
	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "seal key");
	c->key_loaded = 1;
	ctl_who(&who, "");
	rc = otp_store_restore(c->st, argv[optind], &c->key, &c->cfg, &who, flags, &records);
	if (rc == OTP_EKEY)  /* the host's key is not the backup's: setup, exit 4 */
		return ctl_fail(c, EX_STORE, "%s: seal key does not match the backup %s; nothing "
				"restored (install the backup's seal key there first)",
				c->cfg.seal_key, argv[optind]);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "restore");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:s,s:I}", "restored", argv[optind], "store",
						c->cfg.store, "records", (json_int_t)records));
	printf("%s restored into %s (%lu records, one transaction)\n", argv[optind], c->cfg.store,
	       records);
	return 0;
}
