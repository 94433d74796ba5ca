/*
 * restore.h - put a backup (otpctl backup: otp_store_backup, store.h)
 * back into a store (otpctl restore).
 */
#ifndef OTP_RESTORE_H
#define OTP_RESTORE_H

#include "auth.h"

/* Flags of otp_store_restore. */
enum {
	/* replace a store that holds users, devices, recovery codes or
	 * remembered hosts (without it such a store is refused) */
	OTP_RESTORE_FORCE = 1,
};

/*
 * otp_store_restore - replace every record of st (users, devices,
 * recovery codes, hosts, the audit trail and `meta`, with its seal key
 * check value) by the backup's, in ONE write transaction with a `restore`
 * audit record (detail: the file and how many records): logins wait for
 * the writer lock meanwhile and then see the whole backup, never a part.
 *
 * path:  the backup, opened as the store is: no symlink, a regular file
 *        owned by root (or the effective user) with no group/other
 *        access, every directory above it checked (otp_open_checked);
 *        the engine must open that very file (otp_store_open_backup). It
 *        is only read.
 * key:   the seal key of this host. It must be the backup's (its check
 *        value, or for an older backup without one, a sealed secret that
 *        opens): a backup sealed under another key is refused before
 *        anything is written. The restored store keeps the backup's check
 *        value (or gets key's recorded).
 * flags: OTP_RESTORE_FORCE, or 0.
 * who:   the administrator, for the audit record (user may be "").
 * records: receives how many records were copied (the audit record
 *        excluded).
 * A full map is grown and the copy redone.
 * Returns OTP_OK; OTP_EEXIST (st is not empty and no OTP_RESTORE_FORCE;
 * the detail says what it holds); OTP_EKEY (another key's backup);
 * OTP_EINVAL (not a pam_otp store); OTP_EVERSION (a newer schema);
 * OTP_ENOTFOUND, OTP_EPERM, OTP_EIO (the file, as otp_open_checked);
 * OTP_ECORRUPT; OTP_ECRYPTO; OTP_ENOMEM; OTP_EFULL; OTP_ESTORE.
 */
int otp_store_restore(struct otp_store *st, const char *path, const struct otp_seal_key *key,
		      const struct otp_config *cfg, const struct otp_login *who, int flags,
		      unsigned long *records);

#endif
