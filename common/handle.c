/*
 * handle.c - the process's handles for PAM logins (handle.h): kept
 * configurations with their keys ("snapshots"), one per config file and
 * module arguments, and open stores, one per store.
 *
 * One mutex guards the lists and the reference counts; it is never held
 * while a config is parsed or a file checked (only while a store is
 * opened or closed, so that no store is ever opened twice), and
 * pthread_atfork keeps it usable in a child.
 */
#include "handle.h"
#include "err.h"
#include "fileck.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENTRIES_MAX 32     /* kept configurations; past that, one per login */
#define ARGS_KEY_MAX 4096  /* bytes of path and arguments that name one */

struct otp_shared_store {
	struct otp_shared_store *next;
	char id[OTP_STORE_ID_MAX];  /* otp_store_identify */
	struct otp_store *st;
	unsigned refs;              /* snapshots and logins that hold it */
	int stale;                  /* its path names another store now */
};

struct otp_snap {
	struct otp_snap *next;              /* on the forsaken list, after fork */
	struct otp_config cfg;
	struct otp_seal_key key;
	struct otp_file_id cfg_id, key_id;  /* what was read */
	struct otp_shared_store *ss;        /* its store once looked up (a reference) */
	unsigned users;                     /* logins that hold it */
	int current;                        /* its entry's: kept while no login holds it */
};

struct entry {
	char args[ARGS_KEY_MAX];  /* the config path and each argument, NUL-ended */
	size_t len;
	struct otp_snap *cur;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct entry *entries[ENTRIES_MAX];
static unsigned nentries;
static struct otp_shared_store *stores;
static pid_t owner;  /* the process the handles above belong to */
/* In a child: the parent's handles, kept (and reachable) but never used. */
static struct otp_shared_store *forsaken_stores;
static struct otp_snap *forsaken_snaps;

static void fork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void fork_resume(void)
{
	pthread_mutex_unlock(&lock);
}

static void register_atfork(void)
{
	(void)pthread_atfork(fork_prepare, fork_resume, fork_resume);
}

/* Under lock: drop a reference to ss; the last one closes it. */
static void unref_store(struct otp_shared_store *ss)
{
	struct otp_shared_store **p;

	if (--ss->refs > 0)
		return;
	for (p = &stores; *p != NULL; p = &(*p)->next) {
		if (*p == ss) {
			*p = ss->next;
			break;
		}
	}
	otp_store_close(ss->st);
	free(ss);
}

/* Under lock: a snapshot no login holds and no entry keeps. */
static void free_snap(struct otp_snap *s)
{
	if (s->ss != NULL)
		unref_store(s->ss);
	otp_seal_key_wipe(&s->key);
	free(s);
}

/* Under lock: a login is done with s. */
static void put_snap(struct otp_snap *s)
{
	if (s != NULL && --s->users == 0 && !s->current)
		free_snap(s);
}

/*
 * Under lock: in a child after fork, drop what the parent had. A snapshot
 * a login holds (the parent's, under way when it forked, or one forked
 * from its own conversation) is wiped but not freed: its holder may still
 * read it, and fails closed. Stores are forsaken, never closed, and kept
 * on a list with those snapshots until the child exits or execs.
 */
static void adopt_after_fork(void)
{
	pid_t me = getpid();
	struct otp_shared_store *ss, *next;

	if (owner == me)
		return;
	for (unsigned i = 0; owner != 0 && i < nentries; i++) {
		struct otp_snap *s = entries[i]->cur;

		entries[i]->cur = NULL;
		if (s == NULL)
			continue;
		otp_seal_key_wipe(&s->key);
		if (s->users == 0) {
			free(s);
		} else {
			s->next = forsaken_snaps;
			forsaken_snaps = s;
		}
	}
	for (ss = owner != 0 ? stores : NULL; ss != NULL; ss = next) {
		next = ss->next;
		otp_store_forsake(ss->st);
		ss->next = forsaken_stores;
		forsaken_stores = ss;
	}
	stores = NULL;
	owner = me;
}

/* path and the arguments as one key; 0 when too long to keep. */
static size_t args_key(const char *path, const char *const *ov, unsigned nov, char *key)
{
	size_t len = 0;

	for (unsigned i = 0; i <= nov; i++) {
		const char *a = i == 0 ? path : ov[i - 1];
		size_t n = strlen(a) + 1;

		if (n > ARGS_KEY_MAX - len)
			return 0;
		memcpy(key + len, a, n);
		len += n;
	}
	return len;
}

/* Under lock: the entry for key, made when missing and there is room. */
static struct entry *find_entry(const char *key, size_t len)
{
	struct entry *e;

	for (unsigned i = 0; i < nentries; i++) {
		if (entries[i]->len == len && memcmp(entries[i]->args, key, len) == 0)
			return entries[i];
	}
	if (nentries >= ENTRIES_MAX || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->args, key, len);
	e->len = len;
	entries[nentries++] = e;
	return e;
}

/* Whether s still holds what its files hold: 1 yes, 0 read again, or an
 * error negated (a file that is no longer safe refuses the login). */
static int still_fresh(const struct otp_snap *s)
{
	struct otp_file_id id;
	int rc = otp_file_check(s->cfg.path, O_RDONLY, OTP_FORBID_CONFIG, &id);

	if (rc != OTP_OK)
		return -rc;
	if (!otp_file_id_same(&id, &s->cfg_id))
		return 0;
	rc = otp_file_check(s->cfg.seal_key, O_RDONLY, OTP_FORBID_PRIVATE, &id);
	if (rc != OTP_OK)
		return -rc;
	return otp_file_id_same(&id, &s->key_id);
}

/* A new snapshot, held by the caller's login (users = 1). */
static int new_snap(const char *path, const char *const *ov, unsigned nov, struct otp_snap **out)
{
	struct otp_snap *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	rc = otp_config_load_id(path, ov, nov, &s->cfg, &s->cfg_id);
	if (rc == OTP_OK)
		rc = otp_seal_key_load_id(s->cfg.seal_key, &s->key, &s->key_id);
	if (rc != OTP_OK) {
		otp_seal_key_wipe(&s->key);
		free(s);
		return rc;
	}
	s->users = 1;
	*out = s;
	return OTP_OK;
}

/* Under lock: n becomes e's current snapshot (e NULL: n is this login's only). */
static void install(struct entry *e, struct otp_snap *n)
{
	struct otp_snap *old;

	if (e == NULL)
		return;
	old = e->cur;
	e->cur = n;
	n->current = 1;
	if (old != NULL) {
		old->current = 0;
		if (old->users == 0)
			free_snap(old);
	}
}

/* Under lock: whether a replaced store of this id is still in use. */
static int stale_in_use(const char *id)
{
	for (struct otp_shared_store *ss = stores; ss != NULL; ss = ss->next) {
		if (ss->stale && strcmp(ss->id, id) == 0)
			return 1;
	}
	return 0;
}

/* Under lock: open the store cfg names, once (no reference yet). */
static int open_store(const struct otp_config *cfg, struct otp_shared_store **out)
{
	struct otp_shared_store *ss = calloc(1, sizeof(*ss));
	int rc;

	if (ss == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	rc = otp_store_open_with(cfg->store,
				 &(struct otp_store_opts){ cfg->map_size_mb, cfg->store_timeout }, 0, &ss->st);
	if (rc == OTP_OK)  /* now there is what names it (LMDB: lock.mdb) */
		rc = otp_store_identify(cfg->store, ss->id, sizeof(ss->id));
	if (rc != OTP_OK) {
		otp_store_close(ss->st);
		free(ss);
		return rc;
	}
	ss->next = stores;
	stores = ss;
	*out = ss;
	return OTP_OK;
}

/* Under lock: the open store cfg names, or a new one (no reference yet). */
static int find_store(const struct otp_config *cfg, struct otp_shared_store **out)
{
	char id[OTP_STORE_ID_MAX];
	int rc = otp_store_identify(cfg->store, id, sizeof(id));

	if (rc == OTP_ENOTFOUND)  /* nothing open can be it */
		return open_store(cfg, out);
	if (rc != OTP_OK)
		return rc;
	for (struct otp_shared_store *ss = stores; ss != NULL; ss = ss->next) {
		if (!ss->stale && strcmp(ss->id, id) == 0) {
			*out = ss;
			return OTP_OK;
		}
	}
	if (stale_in_use(id))
		return otp_seterr(OTP_ESTORE, "%s: the store was replaced on disk and logins still "
				  "use the one before; refused until they end", cfg->store);
	return open_store(cfg, out);
}

/* Under lock: s's store, with a reference for the login. */
static int take_store(struct otp_snap *s, struct otp_shared_store **out)
{
	int rc;

	if (s->ss != NULL && s->ss->stale) {
		unref_store(s->ss);
		s->ss = NULL;
	}
	if (s->ss == NULL) {
		rc = find_store(&s->cfg, &s->ss);
		if (rc != OTP_OK)
			return rc;
		s->ss->refs++;
	}
	s->ss->refs++;
	*out = s->ss;
	return OTP_OK;
}

/* The store for a login with s, checked again as at an open. */
static int attach(struct otp_snap *s, struct otp_handle *h)
{
	struct otp_shared_store *ss = NULL;
	int rc, replaced;

	for (int tries = 0; tries < 2; tries++) {
		pthread_mutex_lock(&lock);
		rc = take_store(s, &ss);
		pthread_mutex_unlock(&lock);
		if (rc != OTP_OK)
			return rc;
		rc = otp_store_recheck(ss->st, &replaced);
		if (rc == OTP_OK && !replaced) {
			h->st = ss->st;
			h->ss = ss;
			return OTP_OK;
		}
		/* replaced, or no longer safe (the login is refused): either
		 * way not used again, and closed once no login holds it */
		pthread_mutex_lock(&lock);
		ss->stale = 1;
		unref_store(ss);
		pthread_mutex_unlock(&lock);
		if (rc != OTP_OK)
			return rc;
	}
	return otp_seterr(OTP_ESTORE, "%s: the store keeps being replaced on disk", s->cfg.store);
}

static void drop(struct otp_snap *s)
{
	pthread_mutex_lock(&lock);
	put_snap(s);
	pthread_mutex_unlock(&lock);
}

int otp_handle_acquire(const char *path, const char *const *overrides, unsigned noverrides,
		       struct otp_handle *h)
{
	char key[ARGS_KEY_MAX];
	size_t len = args_key(path, overrides, noverrides, key);
	struct entry *e;
	struct otp_snap *s, *n = NULL;
	int rc, fresh;

	memset(h, 0, sizeof(*h));
	(void)pthread_once(&once, register_atfork);
	pthread_mutex_lock(&lock);
	adopt_after_fork();
	e = len > 0 ? find_entry(key, len) : NULL;
	s = e != NULL ? e->cur : NULL;
	if (s != NULL)
		s->users++;
	pthread_mutex_unlock(&lock);
	fresh = s != NULL ? still_fresh(s) : 0;
	if (fresh < 0) {
		drop(s);
		return -fresh;
	}
	if (!fresh) {  /* first use, or a file changed: read again */
		rc = new_snap(path, overrides, noverrides, &n);
		pthread_mutex_lock(&lock);
		if (rc == OTP_OK)
			install(e, n);
		put_snap(s);
		pthread_mutex_unlock(&lock);
		if (rc != OTP_OK)
			return rc;
		s = n;
	}
	rc = attach(s, h);
	if (rc != OTP_OK) {
		memset(h, 0, sizeof(*h));
		drop(s);
		return rc;
	}
	h->cfg = &s->cfg;
	h->key = &s->key;
	h->snap = s;
	h->pid = getpid();
	return OTP_OK;
}

void otp_handle_release(struct otp_handle *h)
{
	if (h->snap != NULL && h->pid == getpid()) {
		pthread_mutex_lock(&lock);
		if (h->ss != NULL)
			unref_store(h->ss);
		put_snap(h->snap);
		pthread_mutex_unlock(&lock);
	}
	memset(h, 0, sizeof(*h));
}

/* At exit: keys no login holds are wiped, with what they were kept with
 * (in a child that never logged in: the parent's, dropped as after fork). */
__attribute__((destructor)) static void handles_at_exit(void)
{
	pthread_mutex_lock(&lock);
	if (owner != 0)
		adopt_after_fork();
	for (unsigned i = 0; i < nentries; i++) {
		struct otp_snap *s = entries[i]->cur;

		if (s != NULL && s->users == 0) {
			entries[i]->cur = NULL;
			free_snap(s);
		}
	}
	pthread_mutex_unlock(&lock);
}
