/*
 * otpctl rekey NEWKEY - re-seal every secret under a new seal key and
 * install that key where seal_key points.
 *
 * NEWKEY is a path. When nothing is there, a new random key is made there
 * (0400, O_EXCL, as init makes seal.key) and moved into place at the end;
 * an existing NEWKEY must pass the checks the seal key passes, and is left
 * where it is. The order makes sure the store always has a key that opens
 * it on disk:
 *   1. the new key is copied to a temporary file beside seal_key (0400,
 *      fsynced), so installing it is one rename within one directory;
 *   2. otp_rekey: one write transaction re-seals every secret and records
 *      the new key's check value; if it fails nothing has changed;
 *   3. the temporary file is renamed over seal_key, the directory synced.
 * Between 2 and 3 logins are refused (key and store do not match). If 3
 * fails, the message gives the one command that finishes the job.
 */
#include "ctl.h"
#include "err.h"
#include "rekey.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rekey_job {
	const char *newpath;
	int created;                      /* NEWKEY was made by this run */
	struct otp_seal_key newkey;
	char tmp[PATH_MAX];               /* the copy beside seal_key */
};

/* NEWKEY: made when missing, then read with the seal key's checks. */
static int load_new_key(struct ctl *c, struct rekey_job *j)
{
	struct stat st;
	int rc = OTP_OK;

	if (lstat(j->newpath, &st) != 0 && errno == ENOENT) {
		rc = otp_seal_key_create(j->newpath);
		j->created = rc == OTP_OK;
	}
	if (rc == OTP_OK)
		rc = otp_seal_key_load(j->newpath, &j->newkey);
	if (rc != OTP_OK)
		return ctl_setup_err(c, rc, "new seal key");
	if (CRYPTO_memcmp(j->newkey.k, c->key.k, sizeof(c->key.k)) == 0)
		return ctl_fail(c, EX_USAGE_, "%s holds the current seal key; nothing changed",
				j->newpath);
	return 0;
}

/* Step 1: the new key, durable, in seal_key's directory. */
static int stage_copy(struct ctl *c, struct rekey_job *j)
{
	int fd, ok;

	if ((size_t)snprintf(j->tmp, sizeof(j->tmp), "%s.rekey-XXXXXX", c->cfg.seal_key) >=
	    sizeof(j->tmp))
		return ctl_fail(c, EX_STORE, "%s: path too long", c->cfg.seal_key);
	fd = mkostemp(j->tmp, O_CLOEXEC);
	if (fd < 0) {
		ctl_fail(c, EX_STORE, "%s: %s; nothing changed", j->tmp, strerror(errno));
		j->tmp[0] = '\0';
		return EX_STORE;
	}
	ok = fchmod(fd, 0400) == 0 &&
	     write(fd, j->newkey.k, sizeof(j->newkey.k)) == (ssize_t)sizeof(j->newkey.k) &&
	     fsync(fd) == 0;
	if (!ok)
		ctl_fail(c, EX_STORE, "%s: %s; nothing changed", j->tmp, strerror(errno));
	close(fd);
	return ok ? 0 : EX_STORE;
}

static void sync_dir_of(const char *path)
{
	char buf[PATH_MAX];
	int fd;

	snprintf(buf, sizeof(buf), "%s", path);
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Step 3. The store is already sealed under the new key: say exactly
 * what is left to do if the rename does not happen. */
static int install(struct ctl *c, struct rekey_job *j)
{
	if (rename(j->tmp, c->cfg.seal_key) != 0) {
		return ctl_fail(c, EX_STORE, "the store is now sealed under the new key, but %s "
				"was not replaced (%s); logins are refused until you run: "
				"mv -f %s %s", c->cfg.seal_key, strerror(errno), j->tmp,
				c->cfg.seal_key);
	}
	j->tmp[0] = '\0';
	sync_dir_of(c->cfg.seal_key);
	if (j->created)
		unlink(j->newpath);  /* moved into place: no second copy lying about */
	return 0;
}

static int report(struct ctl *c, const struct rekey_job *j, unsigned count)
{
	if (c->json)
		return ctl_json_print(json_pack("{s:i,s:s,s:s,s:b}", "resealed", (int)count,
						 "seal_key", c->cfg.seal_key, "new_key", j->newpath,
						 "key_created", j->created));
	printf("re-sealed %u secret%s under the new key (one transaction)\n", count,
	       count == 1 ? "" : "s");
	printf("%s now holds the new key; the old key no longer opens this store\n",
	       c->cfg.seal_key);
	if (j->created)
		printf("the new key was made at %s and moved there\n", j->newpath);
	else
		printf("%s still holds a copy of the new key: keep it safe or delete it\n",
		       j->newpath);
	printf("store backups made before now still need the old key\n");
	return 0;
}

/* Before the commit: leave nothing behind but what was there. */
static void undo(const struct rekey_job *j)
{
	if (j->tmp[0] != '\0')
		unlink(j->tmp);
	if (j->created)
		unlink(j->newpath);
}

/* Step 2. */
static int reseal(struct ctl *c, struct rekey_job *j, unsigned *count)
{
	struct otp_login who;
	int rc;

	ctl_who(&who, "");
	rc = otp_rekey(c->st, &c->key, &j->newkey, &c->cfg, &who, count);
	if (rc == OTP_OK)
		return 0;
	return ctl_fail(c, rc == OTP_EINVAL ? EX_USAGE_ : EX_STORE, "%s; nothing changed",
			otp_errdetail()[0] ? otp_errdetail() : otp_strerror(rc));
}

int cmd_rekey(struct ctl *c, int argc, char **argv)
{
	struct rekey_job j;
	unsigned count = 0;
	int rc;

	if (argc != 2)
		return ctl_usage(c, EX_USAGE_);
	memset(&j, 0, sizeof(j));
	j.newpath = argv[1];
	rc = ctl_open(c, 1);
	if (rc == 0)
		rc = load_new_key(c, &j);
	if (rc == 0)
		rc = stage_copy(c, &j);
	if (rc == 0)
		rc = reseal(c, &j, &count);
	if (rc == 0)
		rc = install(c, &j);  /* on failure it says what to do; nothing is undone */
	else
		undo(&j);
	otp_seal_key_wipe(&j.newkey);
	return rc == 0 ? report(c, &j, count) : rc;
}
