#include "migrate.h"
#include "audit.h"
#include "err.h"
#include "keycheck.h"
#include "textsafe.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The user names whose per-user records (recovery codes, hosts) to copy. */
struct names {
	char **v;
	size_t n, cap;
};

/* One attempt at the copy: the source snapshot and the target transaction. */
struct copy {
	struct otp_txn *src, *dst;
	int flags;
	struct otp_store_stats skipped;
	struct names names;
	const char *user;        /* whose recovery codes or hosts are being copied */
	uint64_t last_time;      /* the last audit record copied, to place a bad one */
	uint32_t last_seq;
	int have_last;
};

/* What every attempt of one migration shares. */
struct job {
	struct otp_store *src, *dst;
	const struct otp_seal_key *key;
	const struct otp_config *cfg;
	const struct otp_login *who;
	int flags;
};

static int names_add(struct names *s, const char *user)
{
	char **v;

	/* devices come in user order: one entry per user is enough */
	if (s->n > 0 && strcmp(s->v[s->n - 1], user) == 0)
		return OTP_OK;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;

		v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return otp_seterr(OTP_ENOMEM, "out of memory for the user names");
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(user);
	if (s->v[s->n] == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory for the user names");
	s->n++;
	return OTP_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, each name once: users and the owners of devices overlap. The
 * engines' own orders (bytes, a collation) need not be strcmp's. */
static void names_unique(struct names *s)
{
	size_t out = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_names);
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->v[i], s->v[out]) == 0)
			free(s->v[i]);
		else
			s->v[++out] = s->v[i];
	}
	s->n = out + 1;
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* A record that does not decode: counted with OTP_MIGRATE_SKIP_CORRUPT,
 * else it stops the copy with what (a printf format) as the detail. */
__attribute__((format(printf, 3, 4)))
static int corrupt(struct copy *c, size_t *count, const char *what, ...)
{
	char msg[400];
	va_list ap;

	if (c->flags & OTP_MIGRATE_SKIP_CORRUPT) {
		(*count)++;
		return OTP_OK;
	}
	va_start(ap, what);
	vsnprintf(msg, sizeof(msg), what, ap);
	va_end(ap);
	return otp_seterr(OTP_ECORRUPT, "%s does not decode in %s", msg,
			  otp_store_name(otp_txn_store(c->src)));
}

/* A user name from the store, fit to print (a corrupt key may hold anything). */
static const char *shown(const char *user, char *buf, size_t n)
{
	(void)otp_text_show(buf, n, user);
	return buf;
}

#define SHOWN_SIZE OTP_TEXT_SHOW_SIZE(64)

static int copy_user(const char *user, const struct otp_user_rec *u, void *arg)
{
	struct copy *c = arg;
	int rc = names_add(&c->names, user);

	return rc == OTP_OK ? otp_user_save(c->dst, user, u) : rc;
}

static int copy_device(const char *user, struct otp_device_rec *d, void *arg)
{
	struct copy *c = arg;
	char buf[SHOWN_SIZE];
	int rc = user[0] != '\0' ? names_add(&c->names, user) : OTP_OK;

	if (rc != OTP_OK)
		return rc;
	if (d == NULL)
		return user[0] != '\0' ?
		       corrupt(c, &c->skipped.devices, "a device record of user '%s'",
			       shown(user, buf, sizeof(buf))) :
		       corrupt(c, &c->skipped.devices, "a device record (and its key)");
	return otp_device_save(c->dst, user, d);
}

static int copy_recovery(uint32_t n, const struct otp_recovery_rec *r, void *arg)
{
	struct copy *c = arg;
	char buf[SHOWN_SIZE];

	if (r == NULL)
		return corrupt(c, &c->skipped.recovery, "recovery code %u of user '%s'", n,
			       shown(c->user, buf, sizeof(buf)));
	return otp_recovery_put(c->dst, c->user, n, r);
}

static int copy_host(const char *host, const struct otp_host_rec *h, void *arg)
{
	struct copy *c = arg;
	char buf[SHOWN_SIZE], hbuf[OTP_TEXT_SHOW_SIZE(OTP_HOST_MAX)];

	if (h == NULL)
		return corrupt(c, &c->skipped.hosts, "remembered host '%s' of user '%s'",
			       shown(host, hbuf, sizeof(hbuf)), shown(c->user, buf, sizeof(buf)));
	return otp_host_save(c->dst, c->user, host, h);
}

static int copy_audit(const struct otp_audit_ev *ev, void *arg)
{
	struct copy *c = arg;
	int rc;

	if (ev == NULL)
		return c->have_last ?
		       corrupt(c, &c->skipped.audit, "the audit record after (time %llu, seq %lu)",
			       (unsigned long long)c->last_time, (unsigned long)c->last_seq) :
		       corrupt(c, &c->skipped.audit, "the first audit record");
	/* at its own (time, seq): summaries stay summaries, and the order holds */
	rc = otp_audit_write_at(c->dst, ev);
	c->last_time = ev->time;
	c->last_seq = ev->seq;
	c->have_last = 1;
	return rc;
}

/* Recovery codes and hosts are walked per user: every name seen. */
static int copy_per_user(struct copy *c)
{
	int rc = OTP_OK;

	names_unique(&c->names);
	for (size_t i = 0; rc == OTP_OK && i < c->names.n; i++) {
		c->user = c->names.v[i];
		rc = otp_recovery_each(c->src, c->user, copy_recovery, c);
		if (rc == OTP_OK)
			rc = otp_host_each(c->src, c->user, copy_host, c);
	}
	return rc;
}

/* The source's key check value, or for an older store without one the
 * key's (the key was proven against the source already). */
static int copy_kcv(struct copy *c, const struct otp_seal_key *key)
{
	uint8_t val[OTP_META_VALUE_MAX];
	size_t len = 0;
	int rc = otp_meta_get(c->src, OTP_KEYCHECK_META, val, sizeof(val), &len);

	if (rc == OTP_ENOTFOUND) {
		otp_clearerr();
		return otp_store_key_record(c->dst, key);
	}
	if (rc == OTP_OK && len > sizeof(val))
		rc = otp_seterr(OTP_ECORRUPT, "%s: bad seal key check record",
				otp_store_name(otp_txn_store(c->src)));
	return rc == OTP_OK ? otp_meta_put(c->dst, OTP_KEYCHECK_META, val, len) : rc;
}

static int copy_all(struct copy *c, const struct otp_seal_key *key)
{
	int rc = otp_user_each(c->src, copy_user, c);

	if (rc == OTP_OK)
		rc = otp_device_each(c->src, copy_device, c);
	if (rc == OTP_OK)
		rc = copy_per_user(c);
	if (rc == OTP_OK)
		rc = otp_audit_each(c->src, 0, 0, 0, copy_audit, c);
	if (rc == OTP_OK)
		rc = copy_kcv(c, key);
	return rc;
}

/* The five record kinds of s, in one order for comparisons and messages. */
static void kinds(const struct otp_store_stats *s, size_t k[5])
{
	k[0] = s->users;
	k[1] = s->devices;
	k[2] = s->recovery;
	k[3] = s->hosts;
	k[4] = s->audit;
}

static void describe(const struct otp_store_stats *s, char *buf, size_t n)
{
	snprintf(buf, n, "%zu users, %zu devices, %zu recovery codes, %zu remembered hosts, "
		 "%zu audit records", s->users, s->devices, s->recovery, s->hosts, s->audit);
}

static int target_empty(struct otp_txn *dst)
{
	struct otp_store_stats s;
	char held[200];
	int rc = otp_store_stats(dst, &s);

	if (rc != OTP_OK || s.users + s.devices + s.recovery + s.hosts + s.audit == 0)
		return rc;
	describe(&s, held, sizeof(held));
	return otp_seterr(OTP_EEXIST, "%s is not empty (%s); nothing migrated",
			  otp_store_name(otp_txn_store(dst)), held);
}

/* Every record of the source is in the target, but those left behind. */
static int verify_counts(struct otp_txn *dst, const struct otp_migrate_result *res)
{
	struct otp_store_stats t;
	size_t want[5], skip[5], got[5];
	char a[200], b[200];
	int rc = otp_store_stats(dst, &t);

	if (rc != OTP_OK)
		return rc;
	kinds(&res->source, want);
	kinds(&res->skipped, skip);
	kinds(&t, got);
	for (int i = 0; i < 5; i++) {
		if (got[i] + skip[i] != want[i]) {
			describe(&t, a, sizeof(a));
			describe(&res->source, b, sizeof(b));
			return otp_seterr(OTP_ESTORE, "after the copy the target holds %s, the source "
					  "%s (%zu left behind as corrupt); nothing migrated", a, b,
					  skip[0] + skip[1] + skip[2] + skip[3] + skip[4]);
		}
	}
	return OTP_OK;
}

static size_t skipped_total(const struct otp_store_stats *s)
{
	return s->devices + s->recovery + s->hosts + s->audit;
}

/* The `migrate` record, added without pruning: the copied trail stays whole. */
static int audit_and_commit(struct copy *c, const struct job *j,
			    struct otp_migrate_result *res)
{
	struct otp_txn *dst = c->dst;
	struct otp_audit_ev ev;
	char detail[512], counts[200];  /* cut to OTP_AUDIT_FIELD_MAX when stored */
	int rc;

	describe(&res->source, counts, sizeof(counts));
	snprintf(detail, sizeof(detail), "from %s %.60s: %s, %zu corrupt left behind",
		 res->source_engine, otp_store_name(otp_txn_store(c->src)), counts,
		 skipped_total(&res->skipped));
	otp_audit_from(&ev, j->who, "migrate", NULL, detail);
	rc = otp_audit_insert(dst, &ev);
	if (rc == OTP_OK)
		rc = otp_store_stats(dst, &res->target);
	if (rc != OTP_OK) {
		otp_txn_abort(dst);
		return rc;
	}
	rc = otp_txn_commit(dst);
	if (rc == OTP_OK && j->cfg->audit_syslog)
		otp_audit_syslog(&ev);
	return rc;
}

/* One attempt from one snapshot of the source into one write transaction. */
static int copy_once(const struct job *j, struct otp_txn *src, struct otp_migrate_result *res)
{
	struct copy c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&res->skipped, 0, sizeof(res->skipped));
	c.src = src;
	c.flags = j->flags;
	rc = otp_txn_begin(j->dst, OTP_TXN_EXCLUSIVE, &c.dst);
	if (rc != OTP_OK)
		return rc;
	rc = target_empty(c.dst);
	if (rc == OTP_OK)
		rc = copy_all(&c, j->key);
	res->skipped = c.skipped;
	names_free(&c.names);
	if (rc == OTP_OK)
		rc = verify_counts(c.dst, res);
	if (rc != OTP_OK) {
		otp_txn_abort(c.dst);
		return rc;
	}
	return audit_and_commit(&c, j, res);
}

/*
 * A snapshot of the source: the key judged on it (nothing is made or
 * written for another key's store) and its counts taken; then, with a
 * target, the copy. Each attempt takes a fresh snapshot: the target's map
 * can only grow while this thread holds no transaction (store.h).
 */
static int from_snapshot(const struct job *j, struct otp_migrate_result *res)
{
	struct otp_txn *src = NULL;
	int rc = otp_txn_begin(j->src, 0, &src);

	if (rc == OTP_OK)
		rc = otp_store_key_check_txn(src, j->key, 0);
	if (rc == OTP_OK)
		rc = otp_store_stats(src, &res->source);
	if (rc == OTP_OK && j->dst != NULL)
		rc = copy_once(j, src, res);
	otp_txn_abort(src);
	return rc;
}

/* Refuse a target that is the source itself, before it is opened a second
 * time (a process must not open one store twice). */
static int same_store(const char *from, const char *to)
{
	char a[OTP_STORE_ID_MAX], b[OTP_STORE_ID_MAX];
	int rc = otp_store_identify(to, b, sizeof(b));

	if (rc == OTP_ENOTFOUND) {  /* not made yet: not the source */
		otp_clearerr();
		return OTP_OK;
	}
	if (rc == OTP_OK)
		rc = otp_store_identify(from, a, sizeof(a));
	if (rc == OTP_OK && strcmp(a, b) == 0)
		rc = otp_seterr(OTP_EINVAL, "the target is the source store; nothing migrated");
	return rc;
}

static int migrate_into(struct job *j, const char *from, const char *to,
			const struct otp_store_opts *o, struct otp_migrate_result *res)
{
	int rc = from_snapshot(j, res);  /* the key, before the target is touched */

	if (rc == OTP_OK)
		rc = same_store(from, to);
	if (rc == OTP_OK)
		rc = otp_store_open_with(to, o, OTP_STORE_CREATE, &j->dst);
	if (rc == OTP_OK)
		rc = from_snapshot(j, res);
	while (rc == OTP_EFULL && otp_store_grow(j->dst) == OTP_OK) {
		otp_clearerr();
		rc = from_snapshot(j, res);
	}
	otp_store_close(j->dst);
	j->dst = NULL;
	return rc;
}

int otp_migrate(const char *from, const char *to, const struct otp_store_opts *o,
		const struct otp_seal_key *key, const struct otp_config *cfg,
		const struct otp_login *who, int flags, struct otp_migrate_result *res)
{
	struct job j = { NULL, NULL, key, cfg, who, flags };
	int rc;

	memset(res, 0, sizeof(*res));
	rc = otp_store_open_with(from, o, 0, &j.src);
	if (rc != OTP_OK)
		return rc;
	snprintf(res->source_engine, sizeof(res->source_engine), "%s", otp_store_engine(j.src));
	rc = migrate_into(&j, from, to, o, res);
	otp_store_close(j.src);
	return rc;
}
