#include "hosts.h"
#include "audit.h"
#include "err.h"
#include "net.h"

#include <stdio.h>
#include <string.h>

int otp_host_put(struct otp_store *st, MDB_txn *txn, const char *user, const char *host,
		 uint64_t now, uint64_t until, uint32_t device)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX], addr[16];
	struct otp_host_rec h = { until, now, device };
	size_t kl, vl;
	MDB_val k, v;
	int family, mrc;

	if (otp_addr_parse(host, &family, addr) != OTP_OK ||
	    otp_key_host(user, host, key, &kl) != OTP_OK || otp_host_encode(&h, val, &vl) != OTP_OK)
		return OTP_EINVAL;
	k.mv_size = kl;
	k.mv_data = key;
	v.mv_size = vl;
	v.mv_data = val;
	mrc = mdb_put(txn, st->hosts, &k, &v, 0);
	return mrc ? otp_lmdb_err(mrc, "hosts") : OTP_OK;
}

int otp_host_valid_in(struct otp_store *st, MDB_txn *txn, const char *user, const char *host,
		      uint64_t now)
{
	uint8_t key[OTP_KEY_MAX], addr[16];
	struct otp_host_rec h;
	size_t kl;
	MDB_val k, v;
	int family, mrc;

	if (host == NULL || otp_addr_parse(host, &family, addr) != OTP_OK ||
	    otp_key_host(user, host, key, &kl) != OTP_OK)
		return 0;
	k.mv_size = kl;
	k.mv_data = key;
	mrc = mdb_get(txn, st->hosts, &k, &v);
	if (mrc == 0 && otp_host_decode(v.mv_data, v.mv_size, &h) == OTP_OK)
		return now < h.until;
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return -otp_lmdb_err(mrc, "hosts");
	return 0;
}

int otp_host_remembered(struct otp_store *st, const char *user, const char *host, uint64_t now)
{
	MDB_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn), yes;

	if (rc != OTP_OK)
		return -rc;
	yes = otp_host_valid_in(st, txn, user, host, now);
	otp_txn_abort(txn);
	return yes;
}

int otp_host_list(struct otp_store *st, const char *user, struct otp_host_entry *out,
		  unsigned max, unsigned *n)
{
	uint8_t prefix[OTP_KEY_MAX];
	size_t pl;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int mrc, rc;

	*n = 0;
	if (otp_key_user(user, prefix, &pl) != OTP_OK)
		return OTP_OK;
	prefix[pl++] = '\0';
	rc = otp_txn_begin(st, 0, &txn);
	if (rc != OTP_OK)
		return rc;
	mrc = mdb_cursor_open(txn, st->hosts, &cur);
	k.mv_size = pl;
	k.mv_data = prefix;
	for (mrc = mrc ? mrc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && *n < max;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		size_t hl = k.mv_size - pl;

		if (k.mv_size <= pl || memcmp(k.mv_data, prefix, pl) != 0 || hl > OTP_HOST_MAX)
			break;
		memcpy(out[*n].host, (const char *)k.mv_data + pl, hl);
		out[*n].host[hl] = '\0';
		if (otp_host_decode(v.mv_data, v.mv_size, &out[*n].rec) != OTP_OK) {
			rc = otp_seterr(OTP_ECORRUPT, "corrupt host record for user %s", user);
			break;
		}
		(*n)++;
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	otp_txn_abort(txn);
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = otp_lmdb_err(mrc, "hosts");
	return rc;
}

static int del_one(struct otp_store *st, MDB_txn *txn, const char *user, const char *host,
		   unsigned *count)
{
	uint8_t key[OTP_KEY_MAX];
	size_t kl;
	MDB_val k;
	int mrc;

	if (otp_key_host(user, host, key, &kl) != OTP_OK)
		return otp_seterr(OTP_ENOTFOUND, "user %s has no remembered host %s", user, host);
	k.mv_size = kl;
	k.mv_data = key;
	mrc = mdb_del(txn, st->hosts, &k, NULL);
	if (mrc == MDB_NOTFOUND)
		return otp_seterr(OTP_ENOTFOUND, "user %s has no remembered host %s", user, host);
	*count = mrc == 0;
	return mrc ? otp_lmdb_err(mrc, "hosts") : OTP_OK;
}

int otp_host_revoke(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who, const char *host, unsigned *count)
{
	struct otp_audit_ev ev;
	MDB_txn *txn = NULL;
	char detail[64];
	int rc = otp_txn_begin(st, 1, &txn);

	*count = 0;
	if (rc == OTP_OK)
		rc = host ? del_one(st, txn, who->user, host, count) :
			    otp_del_user_records(txn, st->hosts, who->user, count);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u host%s", *count, *count == 1 ? "" : "s");
	otp_audit_from(&ev, who, "host_revoked", NULL, host ? host : detail);
	return otp_audit_commit(st, cfg, txn, &ev, 1);
}

int otp_host_forget_device(struct otp_store *st, MDB_txn *txn, const char *user,
			   uint32_t device, int all, unsigned *count)
{
	uint8_t prefix[OTP_KEY_MAX];
	struct otp_host_rec h;
	size_t pl;
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned gone = 0;
	int mrc;

	if (count != NULL)
		*count = 0;
	if (otp_key_user(user, prefix, &pl) != OTP_OK)
		return OTP_OK;
	prefix[pl++] = '\0';
	mrc = mdb_cursor_open(txn, st->hosts, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "hosts");
	k.mv_size = pl;
	k.mv_data = prefix;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= pl || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		/* an undecodable record is forgotten too: it vouches for nothing */
		if (!all && otp_host_decode(v.mv_data, v.mv_size, &h) == OTP_OK &&
		    h.device != device && h.device != OTP_VOUCH_UNKNOWN)
			continue;
		mrc = mdb_cursor_del(cur, 0);
		if (mrc != 0)
			break;
		gone++;
	}
	mdb_cursor_close(cur);
	if (count != NULL)
		*count = gone;
	return (mrc == 0 || mrc == MDB_NOTFOUND) ? OTP_OK : otp_lmdb_err(mrc, "hosts");
}
