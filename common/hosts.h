/*
 * hosts.h - remembered hosts (remember_host): after a verified code typed
 * from a numeric PAM_RHOST, that (user, host) skips the code until it
 * expires. Only a verified code (device or recovery code) starts a window;
 * a login that skipped the code never creates or extends one, and revoking
 * the device that vouched forgets the hosts it vouched for.
 */
#ifndef OTP_HOSTS_H
#define OTP_HOSTS_H

#include "auth.h"

/*
 * otp_host_put - inside txn, remember host for user until `until`
 * (seconds since epoch), vouched for by device (a device id, or
 * OTP_VOUCH_RECOVERY). host must be a numeric address: anything else
 * is OTP_EINVAL and nothing is stored. Returns OTP_OK or store errors.
 */
int otp_host_put(struct otp_txn *txn, const char *user, const char *host, uint64_t now,
		 uint64_t until, uint32_t device);

/*
 * otp_host_valid_in - inside txn (read or write), whether (user, host) is
 * remembered at time now. A record whose voucher was not kept (written
 * before vouchers were) never is. Returns 1, 0, or a negative otp_err negated.
 */
int otp_host_valid_in(struct otp_txn *txn, const char *user, const char *host, uint64_t now);

/*
 * otp_host_forget_device - inside the write transaction txn, delete the
 * hosts of user that device vouched for, and those whose voucher is not
 * known (records from before vouchers were kept); with all nonzero, every
 * host of user. *count (may be NULL) gets how many went.
 * Returns OTP_OK or store errors.
 */
int otp_host_forget_device(struct otp_txn *txn, const char *user, uint32_t device, int all,
			   unsigned *count);

/*
 * otp_host_remembered - whether (user, host) is remembered at time now
 * (read transaction). A host name never is.
 * Returns 1, 0, or a negative otp_err negated on a store error.
 */
int otp_host_remembered(struct otp_store *st, const char *user, const char *host, uint64_t now);

struct otp_host_entry {
	char host[OTP_HOST_MAX + 1];
	struct otp_host_rec rec;
};

/*
 * otp_host_list - up to max of user's remembered hosts (expired ones too;
 * the caller shows them as such), in one read transaction. *n gets the
 * count. Returns OTP_OK, OTP_ECORRUPT (a record that does not decode) or
 * store errors.
 */
int otp_host_list(struct otp_store *st, const char *user, struct otp_host_entry *out,
		  unsigned max, unsigned *n);

/*
 * otp_host_revoke - forget host (NULL: every host) of who->user in one
 * write transaction audited as `host_revoked`. *count gets how many went.
 * Returns OTP_OK, OTP_ENOTFOUND (no such host) or store errors.
 */
int otp_host_revoke(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who, const char *host, unsigned *count);

#endif
