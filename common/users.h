/*
 * users.h - whole-user operations: removal, and the summary `otpctl users`
 * shows, and imported devices written in batches.
 */
#ifndef OTP_USERS_H
#define OTP_USERS_H

#include "auth.h"
#include "import.h"
#include "recovery.h"

/*
 * otp_user_remove - delete every record of who->user (user, devices,
 * recovery codes, remembered hosts) in one write transaction audited as
 * `user_removed` (the audit trail keeps the user's history).
 * Returns OTP_OK, OTP_ENOTFOUND (nothing stored) or store errors.
 */
int otp_user_remove(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who);

struct otp_user_summary {
	char user[OTP_USER_MAX + 1];
	struct otp_user_rec rec;
	unsigned devices, active;
	unsigned active_by_type[OTP_DEV_TYPE_LAST + 1]; /* active devices, by enum otp_dev_type */
	unsigned recovery_left;
};

/*
 * otp_users_each - call fn for every user record, in name order, inside
 * one read transaction (a consistent view; logins go on meanwhile).
 * fn returns nonzero to stop. Returns OTP_OK or store errors.
 */
int otp_users_each(struct otp_store *st, int (*fn)(const struct otp_user_summary *, void *),
		   void *arg);

/* One imported device and, optionally, its hashed recovery set. */
struct otp_import_item {
	const struct otp_import_dev *dev;
	const struct otp_rc_set *recovery;  /* NULL: none */
	const char *detail;                 /* for the audit record */
};

/*
 * otp_import_batch - create n imported devices (each active, named
 * "imported", or "imported2"... when taken) in one write transaction, each
 * audited as `import`. All or nothing: any error aborts the batch. When
 * the map is full it is grown and the batch redone.
 * Returns OTP_OK or as otp_enroll.
 */
int otp_import_batch(struct otp_store *st, const struct otp_seal_key *key,
		     const struct otp_config *cfg, const struct otp_login *who_template,
		     const struct otp_import_item *items, unsigned n);

#endif
