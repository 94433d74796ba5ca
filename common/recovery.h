/*
 * recovery.h - single-use recovery codes, typed at the code prompt when
 * the authenticator is lost.
 *
 * A code is 12 symbols of a 32-symbol alphabet without look-alikes
 * (0/O, 1/I), i.e. 60 bits, shown as XXXX-XXXX-XXXX. The store keeps only
 * an scrypt hash (RFC 7914) per code; one random salt serves the whole
 * set, so a login hashes what was typed once, outside any transaction,
 * and then compares it with every unused code inside one.
 */
#ifndef OTP_RECOVERY_H
#define OTP_RECOVERY_H

#include "auth.h"

#define OTP_RC_SYMBOLS 12
#define OTP_RC_TEXT 16          /* "XXXX-XXXX-XXXX" and its NUL */
#define OTP_RC_INPUT_MAX 32     /* longest accepted input, bytes */
#define OTP_RC_MAX 100          /* codes per set */
#define OTP_RC_LOG2N 14         /* scrypt N = 2^14, r = 8, p = 1: 16 MiB */

/*
 * otp_recovery_normalize - the canonical form of typed text: spaces and
 * '-' dropped, letters upper-cased. out has OTP_RC_INPUT_MAX + 1 bytes.
 * Returns OTP_OK when the result is 8..OTP_RC_INPUT_MAX letters or digits
 * (a recovery code or an imported 8-digit scratch code), else OTP_EINVAL.
 */
int otp_recovery_normalize(const char *in, char *out);

/*
 * otp_recovery_generate - replace who->user's codes by count new ones
 * (1..OTP_RC_MAX), in one write transaction audited as
 * `recovery_generated`; the hosts that an old recovery code vouched for
 * are forgotten with it. codes receives count texts of OTP_RC_TEXT bytes,
 * for the caller to show once and wipe.
 * Returns OTP_OK; OTP_ENOTFOUND (user not enrolled); OTP_EINVAL;
 * OTP_ECRYPTO; store errors.
 */
int otp_recovery_generate(struct otp_store *st, const struct otp_config *cfg,
			  const struct otp_login *who, unsigned count,
			  char (*codes)[OTP_RC_TEXT]);

/* A hashed set, made outside any transaction. */
struct otp_rc_set {
	struct otp_recovery_rec recs[OTP_RC_MAX];
	unsigned count;
};

/*
 * otp_recovery_hash_set - normalize and hash count texts (1..OTP_RC_MAX)
 * under one fresh salt into set. Slow (one scrypt per code): call it
 * before opening the write transaction. Returns OTP_OK, OTP_EINVAL (a text
 * that is not a code) or OTP_ECRYPTO.
 */
int otp_recovery_hash_set(const char *const *texts, unsigned count, struct otp_rc_set *set);

/*
 * otp_recovery_put_set - inside the write transaction txn, delete user's
 * old codes and store set as the new ones (no audit record: the caller
 * audits). Returns OTP_OK or store errors.
 */
int otp_recovery_put_set(struct otp_txn *txn, const char *user, const struct otp_rc_set *set);

/*
 * otp_recovery_use - accept code if it is one of who->user's unused
 * recovery codes: marks it used, clears failures and the lock, sets
 * last_login and audits `recovery_used`, all in one write transaction.
 * *left receives how many unused codes remain.
 * Returns OTP_OK; OTP_EBADCODE (no such unused code, or no codes);
 * OTP_ECRYPTO; store errors.
 */
int otp_recovery_use(struct otp_store *st, const struct otp_config *cfg,
		     const struct otp_login *who, const char *code, unsigned *left);

/*
 * otp_recovery_count - unused codes of user (read transaction).
 * *total gets the size of the set. Returns OTP_OK or store errors.
 */
int otp_recovery_count(struct otp_store *st, const char *user, unsigned *left, unsigned *total);

#endif
