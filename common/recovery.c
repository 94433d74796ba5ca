#include "recovery.h"
#include "audit.h"
#include "codec.h"
#include "err.h"
#include "util.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char rc_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

int otp_recovery_normalize(const char *in, char *out)
{
	size_t o = 0;

	if (strnlen(in, OTP_RC_INPUT_MAX * 2 + 1) > OTP_RC_INPUT_MAX * 2)
		return OTP_EINVAL;
	for (const char *p = in; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '-')
			continue;
		if (!isalnum(c) || o >= OTP_RC_INPUT_MAX)
			return OTP_EINVAL;
		out[o++] = (char)toupper(c);
	}
	out[o] = '\0';
	return o >= 8 ? OTP_OK : OTP_EINVAL;
}

static int rc_hash(const char *norm, const struct otp_recovery_rec *r, uint8_t out[OTP_RC_HASH])
{
	uint64_t n = (uint64_t)1 << r->log2n;

	if (EVP_PBE_scrypt(norm, strlen(norm), r->salt, OTP_RC_SALT, n, r->r, r->p,
			   (uint64_t)256 << 20, out, OTP_RC_HASH) != 1)
		return otp_seterr(OTP_ECRYPTO, "scrypt failed");
	return OTP_OK;
}

static int put_code(struct otp_store *st, MDB_txn *txn, const char *user, uint32_t n,
		    const struct otp_recovery_rec *r)
{
	uint8_t key[OTP_KEY_MAX], val[OTP_REC_MAX];
	size_t kl, vl;
	MDB_val k, v;
	int mrc;

	if (otp_key_sub(user, n, key, &kl) != OTP_OK || otp_recovery_encode(r, val, &vl) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "recovery record does not encode");
	k.mv_size = kl;
	k.mv_data = key;
	v.mv_size = vl;
	v.mv_data = val;
	mrc = mdb_put(txn, st->recovery, &k, &v, 0);
	return mrc ? otp_lmdb_err(mrc, "recovery") : OTP_OK;
}

int otp_recovery_hash_set(const char *const *texts, unsigned count, struct otp_rc_set *set)
{
	char norm[OTP_RC_INPUT_MAX + 1];
	struct otp_recovery_rec *r;
	int rc = OTP_OK;

	if (count < 1 || count > OTP_RC_MAX)
		return otp_seterr(OTP_EINVAL, "count must be 1..%d", OTP_RC_MAX);
	memset(set, 0, sizeof(*set));
	r = &set->recs[0];
	r->log2n = OTP_RC_LOG2N;
	r->r = 8;
	r->p = 1;
	if (RAND_bytes(r->salt, OTP_RC_SALT) != 1)
		return otp_seterr(OTP_ECRYPTO, "no randomness for a salt");
	for (unsigned i = 0; rc == OTP_OK && i < count; i++) {
		set->recs[i] = *r;
		rc = otp_recovery_normalize(texts[i], norm);
		if (rc != OTP_OK)
			rc = otp_seterr(OTP_EINVAL, "recovery code %u has a bad form", i + 1);
		if (rc == OTP_OK)
			rc = rc_hash(norm, &set->recs[i], set->recs[i].hash);
	}
	otp_wipe(norm, sizeof(norm));
	set->count = rc == OTP_OK ? count : 0;
	return rc;
}

int otp_recovery_put_set(struct otp_store *st, MDB_txn *txn, const char *user,
			 const struct otp_rc_set *set)
{
	unsigned gone;
	int rc = otp_del_user_records(txn, st->recovery, user, &gone);

	for (unsigned i = 0; rc == OTP_OK && i < set->count; i++)
		rc = put_code(st, txn, user, i + 1, &set->recs[i]);
	return rc;
}

static int make_codes(unsigned count, char (*codes)[OTP_RC_TEXT])
{
	uint8_t rnd[OTP_RC_SYMBOLS];

	for (unsigned i = 0; i < count; i++) {
		unsigned o = 0;

		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return otp_seterr(OTP_ECRYPTO, "no randomness for recovery codes");
		for (unsigned j = 0; j < OTP_RC_SYMBOLS; j++) {
			if (j > 0 && j % 4 == 0)
				codes[i][o++] = '-';
			codes[i][o++] = rc_alphabet[rnd[j] & 31];  /* 32 symbols: no bias */
		}
		codes[i][o] = '\0';
	}
	otp_wipe(rnd, sizeof(rnd));
	return OTP_OK;
}

int otp_recovery_generate(struct otp_store *st, const struct otp_config *cfg,
			  const struct otp_login *who, unsigned count,
			  char (*codes)[OTP_RC_TEXT])
{
	const char *texts[OTP_RC_MAX];
	struct otp_rc_set *set;
	struct otp_user_rec u;
	struct otp_audit_ev ev;
	MDB_txn *txn = NULL;
	char detail[32];
	int rc;

	if (count < 1 || count > OTP_RC_MAX)
		return otp_seterr(OTP_EINVAL, "count must be 1..%d", OTP_RC_MAX);
	set = calloc(1, sizeof(*set));
	if (set == NULL)
		return OTP_ENOMEM;
	rc = make_codes(count, codes);
	for (unsigned i = 0; i < count; i++)
		texts[i] = codes[i];
	/* Hash before taking the write lock: logins must not wait on scrypt. */
	if (rc == OTP_OK)
		rc = otp_recovery_hash_set(texts, count, set);
	if (rc == OTP_OK)
		rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = otp_user_load(st, txn, who->user, &u);
	if (rc == OTP_ENOTFOUND)
		otp_seterr(rc, "user %s is not enrolled", who->user);
	if (rc == OTP_OK)
		rc = otp_recovery_put_set(st, txn, who->user, set);
	otp_wipe(set, sizeof(*set));
	free(set);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u codes", count);
	otp_audit_from(&ev, who, "recovery_generated", NULL, detail);
	return otp_audit_commit(st, cfg, txn, &ev, 1);
}

/* Visit every recovery record of user; stop early when fn returns nonzero. */
static int each_code(struct otp_store *st, MDB_txn *txn, const char *user,
		     int (*fn)(MDB_cursor *, uint32_t, struct otp_recovery_rec *, void *), void *arg)
{
	uint8_t prefix[OTP_KEY_MAX];
	size_t pl;
	MDB_cursor *cur;
	MDB_val k, v;
	struct otp_recovery_rec r;
	int mrc, rc = OTP_OK;

	if (otp_key_user(user, prefix, &pl) != OTP_OK)
		return OTP_OK;
	prefix[pl++] = '\0';
	mrc = mdb_cursor_open(txn, st->recovery, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "recovery");
	k.mv_size = pl;
	k.mv_data = prefix;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == OTP_OK;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != pl + 4 || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		if (otp_recovery_decode(v.mv_data, v.mv_size, &r) != OTP_OK) {
			rc = otp_seterr(OTP_ECORRUPT, "corrupt recovery record for user %s", user);
			break;
		}
		rc = fn(cur, otp_rd32((const uint8_t *)k.mv_data + pl), &r, arg);
	}
	mdb_cursor_close(cur);
	if (rc == OTP_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = otp_lmdb_err(mrc, "recovery");
	return rc;
}

struct tally { unsigned left, total; struct otp_recovery_rec first; };

static int count_fn(MDB_cursor *cur, uint32_t n, struct otp_recovery_rec *r, void *arg)
{
	struct tally *t = arg;

	(void)cur;
	(void)n;
	if (t->total++ == 0)
		t->first = *r;
	if (r->used == 0)
		t->left++;
	return OTP_OK;
}

int otp_recovery_count(struct otp_store *st, const char *user, unsigned *left, unsigned *total)
{
	struct tally t;
	MDB_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn);

	memset(&t, 0, sizeof(t));
	if (rc == OTP_OK)
		rc = each_code(st, txn, user, count_fn, &t);
	otp_txn_abort(txn);
	*left = t.left;
	if (total != NULL)
		*total = t.total;
	return rc;
}

struct use { uint8_t hash[OTP_RC_HASH]; uint64_t now; int hit; unsigned left; };

static int use_fn(MDB_cursor *cur, uint32_t n, struct otp_recovery_rec *r, void *arg)
{
	struct use *u = arg;
	uint8_t val[OTP_REC_MAX];
	size_t vl;
	MDB_val k, v;
	int mrc;

	(void)n;
	if (r->used != 0)
		return OTP_OK;
	if (u->hit || CRYPTO_memcmp(r->hash, u->hash, OTP_RC_HASH) != 0) {
		u->left++;
		return OTP_OK;
	}
	u->hit = 1;
	r->used = u->now;
	if (otp_recovery_encode(r, val, &vl) != OTP_OK)
		return OTP_EINVAL;
	mrc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "recovery");
	v.mv_size = vl;
	v.mv_data = val;
	mrc = mdb_cursor_put(cur, &k, &v, MDB_CURRENT);
	return mrc ? otp_lmdb_err(mrc, "recovery") : OTP_OK;
}

/*
 * The set's salt and cost, read without holding the write lock. With no
 * unused code (or no such user) the hash is made all the same, under a
 * throw-away salt at the default cost, so that the time taken does not
 * tell who has codes left; *none is then set.
 */
static int set_params(struct otp_store *st, const char *user, struct otp_recovery_rec *first,
		      int *none)
{
	struct tally t;
	MDB_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn);

	memset(&t, 0, sizeof(t));
	if (rc == OTP_OK)
		rc = each_code(st, txn, user, count_fn, &t);
	otp_txn_abort(txn);
	*first = t.first;
	*none = t.left == 0;
	if (rc == OTP_OK && *none) {
		memset(first, 0, sizeof(*first));
		first->log2n = OTP_RC_LOG2N;
		first->r = 8;
		first->p = 1;
		if (RAND_bytes(first->salt, OTP_RC_SALT) != 1)
			rc = otp_seterr(OTP_ECRYPTO, "no randomness for a salt");
	}
	return rc;
}

int otp_recovery_use(struct otp_store *st, const struct otp_config *cfg,
		     const struct otp_login *who, const char *code, unsigned *left)
{
	struct otp_recovery_rec first;
	struct use u;
	char norm[OTP_RC_INPUT_MAX + 1], detail[32];
	MDB_txn *txn = NULL;
	int rc, none = 1;

	memset(&u, 0, sizeof(u));
	u.now = who->now;
	*left = 0;
	if (otp_recovery_normalize(code, norm) != OTP_OK)
		return OTP_EBADCODE;
	rc = set_params(st, who->user, &first, &none);
	if (rc == OTP_OK)
		rc = rc_hash(norm, &first, u.hash);
	otp_wipe(norm, sizeof(norm));
	if (rc == OTP_OK && none)
		rc = OTP_EBADCODE;
	if (rc == OTP_OK)
		rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = each_code(st, txn, who->user, use_fn, &u);
	otp_wipe(u.hash, sizeof(u.hash));
	if (rc == OTP_OK && !u.hit)
		rc = OTP_EBADCODE;
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	*left = u.left;
	snprintf(detail, sizeof(detail), "%u left", u.left);
	return otp_auth_record_success(st, cfg, txn, who, "recovery_used", NULL, OTP_VOUCH_RECOVERY,
				       detail);
}
