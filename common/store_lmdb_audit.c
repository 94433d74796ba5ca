/*
 * store_lmdb_audit.c - the LMDB engine's audit trail: records keyed by
 * be64(time) be32(seq), so a cursor walks them in time order.
 */
#include "store_lmdb.h"
#include "codec.h"
#include "err.h"

#include <string.h>

/* The highest seq below the summary slots in second t, plus one (0: none). */
static int next_seq(struct otp_txn *txn, uint64_t t, uint32_t *seq)
{
	uint8_t kb[OTP_AUDIT_KEY_LEN];
	MDB_cursor *cur;
	MDB_val k = { sizeof(kb), kb }, v;
	int mrc;

	otp_key_audit(t, OTP_AUDIT_SEQ_SUMMARY - 1, kb);  /* summaries sort after */
	*seq = 0;
	mrc = mdb_cursor_open(lmdb_mt(txn), lmdb_dbi(txn, OTP_KIND_AUDIT), &cur);
	if (mrc != 0)
		return lmdb_err(mrc, "audit");
	/* The last key before (t, summaries) tells the highest seq in t. */
	mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (mrc == 0)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	else if (mrc == MDB_NOTFOUND)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (mrc == 0 && k.mv_size == OTP_AUDIT_KEY_LEN && otp_rd64(k.mv_data) == t)
		*seq = otp_rd32((const uint8_t *)k.mv_data + 8) + 1;
	mdb_cursor_close(cur);
	return (mrc == 0 || mrc == MDB_NOTFOUND) ? OTP_OK : lmdb_err(mrc, "audit");
}

int lmdb_audit_write_at(struct otp_txn *txn, const struct otp_audit_ev *ev)
{
	uint8_t kb[OTP_AUDIT_KEY_LEN], vb[OTP_AUDIT_REC_MAX];
	size_t vl = 0;

	otp_key_audit(ev->time, ev->seq, kb);
	if (otp_audit_encode(ev, vb, sizeof(vb), &vl) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "audit record does not encode");
	return lmdb_put(txn, OTP_KIND_AUDIT, kb, sizeof(kb), vb, vl, "audit");
}

int lmdb_audit_insert(struct otp_txn *txn, struct otp_audit_ev *ev)
{
	int rc = next_seq(txn, ev->time, &ev->seq);

	return rc == OTP_OK ? lmdb_audit_write_at(txn, ev) : rc;
}

int lmdb_audit_get_at(struct otp_txn *txn, uint64_t time, uint32_t seq,
		      struct otp_audit_ev *ev)
{
	uint8_t kb[OTP_AUDIT_KEY_LEN];
	MDB_val v;
	int rc;

	otp_key_audit(time, seq, kb);
	rc = lmdb_get(txn, OTP_KIND_AUDIT, kb, sizeof(kb), &v, "audit");
	return rc == OTP_OK ? otp_audit_decode(kb, sizeof(kb), v.mv_data, v.mv_size, ev) : rc;
}

/* Put cur on the first record of the walk: at or after (time, seq), or
 * backward at or before it. */
static int walk_start(MDB_cursor *cur, MDB_val *k, MDB_val *v, uint8_t kb[OTP_AUDIT_KEY_LEN],
		      int backward)
{
	int mrc;

	k->mv_size = OTP_AUDIT_KEY_LEN;
	k->mv_data = kb;
	mrc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (!backward)
		return mrc;
	if (mrc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	if (mrc == 0 && (k->mv_size != OTP_AUDIT_KEY_LEN || memcmp(k->mv_data, kb, OTP_AUDIT_KEY_LEN)))
		return mdb_cursor_get(cur, k, v, MDB_PREV);
	return mrc;
}

int lmdb_audit_each(struct otp_txn *txn, uint64_t time, uint32_t seq, int backward,
		    int (*fn)(const struct otp_audit_ev *ev, void *arg), void *arg)
{
	uint8_t kb[OTP_AUDIT_KEY_LEN];
	struct otp_audit_ev ev;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc, rc = OTP_OK;

	otp_key_audit(time, seq, kb);
	mrc = mdb_cursor_open(lmdb_mt(txn), lmdb_dbi(txn, OTP_KIND_AUDIT), &cur);
	if (mrc != 0)
		return lmdb_err(mrc, "audit");
	for (mrc = walk_start(cur, &k, &v, kb, backward); mrc == 0 && rc == OTP_OK;
	     mrc = mdb_cursor_get(cur, &k, &v, backward ? MDB_PREV : MDB_NEXT)) {
		int ok = otp_audit_decode(k.mv_data, k.mv_size, v.mv_data, v.mv_size, &ev) == OTP_OK;

		rc = fn(ok ? &ev : NULL, arg);
	}
	mdb_cursor_close(cur);
	if (rc == OTP_EACH_STOP)
		return OTP_OK;
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = lmdb_err(mrc, "audit");
	return rc;
}

int lmdb_audit_prune(struct otp_txn *txn, uint64_t before, unsigned max)
{
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned n = 0;
	int mrc;

	mrc = mdb_cursor_open(lmdb_mt(txn), lmdb_dbi(txn, OTP_KIND_AUDIT), &cur);
	if (mrc != 0)
		return lmdb_err(mrc, "audit");
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && n < max;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
		if (k.mv_size != OTP_AUDIT_KEY_LEN || otp_rd64(k.mv_data) >= before)
			break;
		mrc = mdb_cursor_del(cur, 0);
		if (mrc != 0)
			break;
	}
	mdb_cursor_close(cur);
	return (mrc == 0 || mrc == MDB_NOTFOUND) ? OTP_OK : lmdb_err(mrc, "audit prune");
}
