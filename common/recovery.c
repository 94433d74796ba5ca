#include "recovery.h"
#include "hosts.h"
#include "audit.h"
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

int otp_recovery_put_set(struct otp_txn *txn, const char *user, const struct otp_rc_set *set)
{
	unsigned gone;
	int rc = otp_recovery_delete_all(txn, user, &gone);

	for (unsigned i = 0; rc == OTP_OK && i < set->count; i++)
		rc = otp_recovery_put(txn, user, i + 1, &set->recs[i]);
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
	struct otp_txn *txn = NULL;
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
		rc = otp_user_load(txn, who->user, &u);
	if (rc == OTP_ENOTFOUND)
		otp_seterr(rc, "user %s is not enrolled", who->user);
	if (rc == OTP_OK)
		rc = otp_recovery_put_set(txn, who->user, set);
	/* the old codes die, and with them the hosts they vouched for */
	if (rc == OTP_OK)
		rc = otp_host_forget_device(txn, who->user, OTP_VOUCH_RECOVERY, 0, NULL);
	otp_wipe(set, sizeof(*set));
	free(set);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u codes", count);
	otp_audit_from(&ev, who, "recovery_generated", NULL, detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

/* Visit every recovery code of user; one that does not decode stops the
 * walk (OTP_ECORRUPT). fn returns as a walk's (store.h). */
struct visit {
	const char *user;
	int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg);
	void *arg;
};

static int visit_one(uint32_t n, const struct otp_recovery_rec *r, void *arg)
{
	struct visit *v = arg;

	if (r == NULL)
		return otp_seterr(OTP_ECORRUPT, "corrupt recovery record for user %s", v->user);
	return v->fn(n, r, v->arg);
}

static int each_code(struct otp_txn *txn, const char *user,
		     int (*fn)(uint32_t n, const struct otp_recovery_rec *r, void *arg), void *arg)
{
	struct visit v = { user, fn, arg };

	return otp_recovery_each(txn, user, visit_one, &v);
}

struct tally { unsigned left, total; struct otp_recovery_rec first; };

static int count_fn(uint32_t n, const struct otp_recovery_rec *r, void *arg)
{
	struct tally *t = arg;

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
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn);

	memset(&t, 0, sizeof(t));
	if (rc == OTP_OK)
		rc = each_code(txn, user, count_fn, &t);
	otp_txn_abort(txn);
	*left = t.left;
	if (total != NULL)
		*total = t.total;
	return rc;
}

/* The walk of a login: the first unused code whose hash is the typed
 * one's is the hit (its number and record kept); the others unused are
 * counted as left. */
struct use {
	uint8_t hash[OTP_RC_HASH];
	int hit;
	uint32_t n;
	struct otp_recovery_rec rec;
	unsigned left;
};

static int use_fn(uint32_t n, const struct otp_recovery_rec *r, void *arg)
{
	struct use *u = arg;

	if (r->used != 0)
		return OTP_OK;
	if (u->hit || CRYPTO_memcmp(r->hash, u->hash, OTP_RC_HASH) != 0) {
		u->left++;
		return OTP_OK;
	}
	u->hit = 1;
	u->n = n;
	u->rec = *r;
	return OTP_OK;
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
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn);

	memset(&t, 0, sizeof(t));
	if (rc == OTP_OK)
		rc = each_code(txn, user, count_fn, &t);
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
	struct otp_txn *txn = NULL;
	int rc, none = 1;

	memset(&u, 0, sizeof(u));
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
		rc = each_code(txn, who->user, use_fn, &u);
	otp_wipe(u.hash, sizeof(u.hash));
	if (rc == OTP_OK && !u.hit)
		rc = OTP_EBADCODE;
	if (rc == OTP_OK) {  /* used up in the transaction that accepts it */
		u.rec.used = who->now;
		rc = otp_recovery_put(txn, who->user, u.n, &u.rec);
	}
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	*left = u.left;
	snprintf(detail, sizeof(detail), "%u left", u.left);
	return otp_auth_record_success(cfg, txn, who, "recovery_used", NULL, OTP_VOUCH_RECOVERY,
				       detail);
}
