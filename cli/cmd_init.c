#include "ctl.h"
#include "err.h"
#include "keycheck.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The key's directory: made 0700 when missing, as the design's layout has it. */
static int make_key_dir(struct ctl *c)
{
	char path[PATH_MAX];
	char *dir;

	snprintf(path, sizeof(path), "%s", c->cfg.seal_key);
	dir = dirname(path);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ctl_fail(c, EX_STORE, "%s: %s", dir, strerror(errno));
	return 0;
}

/*
 * The store takes the key's check value: a new or empty store from this
 * key, an older store once the key opens one of its secrets. A key just
 * made for a store sealed under another one is no use: it goes again.
 */
static int record_key(struct ctl *c, int key_new)
{
	int rc = otp_store_key_check(c->st, &c->key, OTP_KEYCHECK_RECORD | OTP_KEYCHECK_CLAIM);

	if (rc == OTP_EKEY && key_new) {
		unlink(c->cfg.seal_key);
		return ctl_fail(c, EX_STORE, "%s: %s; the store's secrets are sealed under another "
				"key: restore that key (the new one is removed)", c->cfg.seal_key,
				otp_errdetail());
	}
	return rc == OTP_OK ? 0 : ctl_setup_err(c, rc, c->cfg.seal_key);
}

int cmd_init(struct ctl *c, int argc, char **argv)
{
	int rc, key_new = 1;

	(void)argv;
	if (argc != 1)
		return ctl_usage(c, EX_USAGE_);
	rc = otp_store_open_with(c->cfg.store,
				 &(struct otp_store_opts){ c->cfg.map_size_mb, c->cfg.store_timeout }, OTP_STORE_CREATE, &c->st);
	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "store");
	rc = make_key_dir(c);
	if (rc != 0)
		return rc;
	rc = otp_seal_key_create(c->cfg.seal_key);
	if (rc == OTP_EEXIST) {
		key_new = 0;
		rc = OTP_OK;
	}
	if (rc == OTP_OK)
		rc = otp_seal_key_load(c->cfg.seal_key, &c->key);  /* the checks a login makes */
	c->key_loaded = rc == OTP_OK;
	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "seal key");
	rc = record_key(c, key_new);
	if (rc != 0)
		return rc;
	if (c->json) {
		return ctl_json_print(json_pack("{s:s,s:s,s:b}", "store", c->cfg.store, "seal_key",
						c->cfg.seal_key, "key_created", key_new));
	}
	printf("store:    %s\n", c->cfg.store);
	printf("seal key: %s (%s)\n", c->cfg.seal_key, key_new ? "created" : "kept as it was");
	return 0;
}
