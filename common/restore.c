#include "restore.h"
#include "audit.h"
#include "err.h"
#include "keycheck.h"

#include <stdio.h>

/* What st holds besides its audit trail and meta; "" when nothing. */
static int contents(struct otp_txn *txn, char *what, size_t n)
{
	struct otp_store_stats s;
	int rc = otp_store_stats(txn, &s);

	what[0] = '\0';
	/* an audit trail alone is worth keeping too: replacing it needs --force */
	if (rc == OTP_OK && s.users + s.devices + s.recovery + s.hosts + s.audit > 0)
		snprintf(what, n, "%zu users, %zu devices, %zu recovery codes, %zu remembered hosts, "
			 "%zu audit records", s.users, s.devices, s.recovery, s.hosts, s.audit);
	return rc;
}

static int restore_once(struct otp_store *st, struct otp_txn *rtxn,
			const struct otp_seal_key *key, const struct otp_config *cfg,
			const struct otp_login *who, int flags, unsigned long *records)
{
	struct otp_audit_ev ev;
	struct otp_txn *wtxn = NULL;
	char held[160], detail[OTP_AUDIT_FIELD_MAX + 1];
	int rc = otp_txn_begin(st, OTP_TXN_EXCLUSIVE, &wtxn);

	*records = 0;
	if (rc == OTP_OK)
		rc = contents(wtxn, held, sizeof(held));
	if (rc == OTP_OK && held[0] != '\0' && !(flags & OTP_RESTORE_FORCE))
		rc = otp_seterr(OTP_EEXIST, "%s is not empty (%s); nothing restored",
				otp_store_name(st), held);
	if (rc == OTP_OK)
		rc = otp_store_replace(wtxn, rtxn, records);
	/* judged again on what was copied; records the check value of an
	 * older backup that had none */
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(wtxn, key, OTP_KEYCHECK_RECORD | OTP_KEYCHECK_CLAIM);
	if (rc != OTP_OK) {
		otp_txn_abort(wtxn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%lu records from %.200s", *records,
		 otp_store_name(otp_txn_store(rtxn)));
	otp_audit_from(&ev, who, "restore", NULL, detail);
	return otp_audit_commit(cfg, wtxn, &ev, 1);
}

int otp_store_restore(struct otp_store *st, const char *path, const struct otp_seal_key *key,
		      const struct otp_config *cfg, const struct otp_login *who, int flags,
		      unsigned long *records)
{
	struct otp_store *bk = NULL;
	struct otp_txn *rtxn = NULL;
	int rc;

	*records = 0;
	rc = otp_store_open_backup(path, &bk);
	if (rc == OTP_OK)
		rc = otp_txn_begin(bk, 0, &rtxn);
	/* the backup's key first: nothing is written for another key's */
	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(rtxn, key, 0);
	if (rc == OTP_OK)
		rc = restore_once(st, rtxn, key, cfg, who, flags, records);
	/* the map grows only while this thread holds no transaction: the
	 * backup's read one ends first (a backup never changes) */
	while (rc == OTP_EFULL) {
		otp_txn_abort(rtxn);
		rtxn = NULL;
		if (otp_store_grow(st) != OTP_OK || otp_txn_begin(bk, 0, &rtxn) != OTP_OK)
			break;
		otp_clearerr();
		rc = restore_once(st, rtxn, key, cfg, who, flags, records);
	}
	otp_txn_abort(rtxn);
	otp_store_close(bk);
	return rc;
}
