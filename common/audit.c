#include "audit.h"
#include "codec.h"
#include "err.h"
#include "textsafe.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* Fields come from outsiders (PAM_RHOST, PAM_TTY, names): stored cleaned,
 * cut at a character boundary when too long. */
static void copy_field(char *dst, const char *src)
{
	(void)otp_text_clean(dst, OTP_AUDIT_FIELD_MAX + 1, src);
}

void otp_audit_set(struct otp_audit_ev *ev, uint64_t now, const char *event,
		   const char *user, const char *device, const char *detail)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = now;
	(void)otp_text_clean(ev->event, sizeof(ev->event), event);
	copy_field(ev->user, user);
	copy_field(ev->device, device);
	copy_field(ev->detail, detail);
}

void otp_audit_set_origin(struct otp_audit_ev *ev, const char *service, const char *rhost,
			  const char *tty)
{
	copy_field(ev->service, service);
	copy_field(ev->rhost, rhost);
	copy_field(ev->tty, tty);
}

void otp_audit_set_by(struct otp_audit_ev *ev, const char *host, const char *actor)
{
	char name[256] = "";

	if (host == NULL || host[0] == '\0') {
		if (gethostname(name, sizeof(name) - 1) != 0)
			name[0] = '\0';
		host = name;
	}
	copy_field(ev->host, host);
	copy_field(ev->actor, actor);
}

int otp_audit_user_is(const struct otp_audit_ev *ev, const char *user)
{
	char stored[OTP_AUDIT_FIELD_MAX + 1];

	if (otp_text_clean(stored, sizeof(stored), user) == OTP_OK && strcmp(ev->user, stored) == 0)
		return 1;
	return strcmp(ev->user, user) == 0;
}

static int next_seq(struct otp_store *st, MDB_txn *txn, uint64_t t, uint32_t *seq)
{
	uint8_t kb[12];
	MDB_cursor *cur;
	MDB_val k = { sizeof(kb), kb }, v;
	int mrc;

	otp_be64(kb, t);
	otp_be32(kb + 8, OTP_AUDIT_SEQ_SUMMARY - 1);  /* summaries sort after */
	*seq = 0;
	mrc = mdb_cursor_open(txn, st->audit, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "audit");
	/* The last key before (t, summaries) tells the highest seq in t. */
	mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (mrc == 0)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	else if (mrc == MDB_NOTFOUND)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (mrc == 0 && k.mv_size == 12 && otp_rd64(k.mv_data) == t)
		*seq = otp_rd32((const uint8_t *)k.mv_data + 8) + 1;
	mdb_cursor_close(cur);
	return (mrc == 0 || mrc == MDB_NOTFOUND) ? OTP_OK : otp_lmdb_err(mrc, "audit");
}

static int prune(struct otp_store *st, MDB_txn *txn, uint64_t now, unsigned days)
{
	uint64_t cutoff = now > (uint64_t)days * 86400 ? now - (uint64_t)days * 86400 : 0;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc, n = 0;

	mrc = mdb_cursor_open(txn, st->audit, &cur);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "audit");
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	     mrc == 0 && n < OTP_AUDIT_PRUNE_BATCH;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
		if (k.mv_size != 12 || otp_rd64(k.mv_data) >= cutoff)
			break;
		mrc = mdb_cursor_del(cur, 0);
		if (mrc != 0)
			break;
	}
	mdb_cursor_close(cur);
	return (mrc == 0 || mrc == MDB_NOTFOUND) ? OTP_OK : otp_lmdb_err(mrc, "audit prune");
}

/* Encode ev and put it at (ev->time, ev->seq). */
static int put_at(struct otp_store *st, MDB_txn *txn, const struct otp_audit_ev *ev)
{
	uint8_t kb[12], vb[10 * (OTP_AUDIT_FIELD_MAX + 2) + 64];
	struct otp_wbuf w = { vb, sizeof(vb), 0, OTP_OK };
	MDB_val k = { sizeof(kb), kb }, v;
	int mrc;

	otp_be64(kb, ev->time);
	otp_be32(kb + 8, ev->seq);
	otp_put_u8(&w, OTP_AUDIT_REC_VERSION);
	otp_put_str(&w, ev->event);
	otp_put_str(&w, ev->user);
	otp_put_str(&w, ev->service);
	otp_put_str(&w, ev->rhost);
	otp_put_str(&w, ev->tty);
	otp_put_str(&w, ev->device);
	otp_put_str(&w, ev->detail);
	otp_put_str(&w, ev->host);
	otp_put_str(&w, ev->actor);
	if (w.err != OTP_OK)
		return otp_seterr(OTP_EINVAL, "audit record does not encode");
	v.mv_size = w.len;
	v.mv_data = vb;
	mrc = mdb_put(txn, st->audit, &k, &v, 0);
	return mrc ? otp_lmdb_err(mrc, "audit") : OTP_OK;
}

int otp_audit_append(struct otp_store *st, MDB_txn *txn, struct otp_audit_ev *ev,
		     unsigned retention_days)
{
	int rc = prune(st, txn, ev->time, retention_days);

	if (rc == OTP_OK)
		rc = next_seq(st, txn, ev->time, &ev->seq);
	return rc == OTP_OK ? put_at(st, txn, ev) : rc;
}

int otp_audit_put_at(struct otp_store *st, MDB_txn *txn, const struct otp_audit_ev *ev,
		     unsigned retention_days)
{
	int rc = prune(st, txn, ev->time, retention_days);

	return rc == OTP_OK ? put_at(st, txn, ev) : rc;
}

int otp_audit_get_at(struct otp_store *st, MDB_txn *txn, uint64_t time, uint32_t seq,
		     struct otp_audit_ev *ev)
{
	uint8_t kb[12];
	MDB_val k = { sizeof(kb), kb }, v;
	int mrc;

	otp_be64(kb, time);
	otp_be32(kb + 8, seq);
	mrc = mdb_get(txn, st->audit, &k, &v);
	if (mrc != 0)
		return otp_lmdb_err(mrc, "audit");
	return otp_audit_decode(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ev);
}

int otp_audit_decode(const void *key, size_t klen, const void *val, size_t vlen,
		     struct otp_audit_ev *ev)
{
	struct otp_rbuf r = { val, vlen, 0, OTP_OK };
	uint8_t ver;

	if (klen != 12)
		return OTP_ECORRUPT;
	memset(ev, 0, sizeof(*ev));
	ev->time = otp_rd64(key);
	ev->seq = otp_rd32((const uint8_t *)key + 8);
	ver = otp_get_u8(&r);
	if (r.err == OTP_OK && ver > OTP_AUDIT_REC_VERSION)
		return OTP_EVERSION;
	if (r.err != OTP_OK || ver == 0)
		return OTP_ECORRUPT;
	otp_get_str(&r, ev->event, sizeof(ev->event) - 1);
	otp_get_str(&r, ev->user, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->service, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->rhost, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->tty, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->device, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->detail, OTP_AUDIT_FIELD_MAX);
	if (ver >= 2) {
		otp_get_str(&r, ev->host, OTP_AUDIT_FIELD_MAX);
		otp_get_str(&r, ev->actor, OTP_AUDIT_FIELD_MAX);
	}
	return otp_get_end(&r);
}

/*
 * Append " key=value" when value is not empty. The value is escaped as
 * otpctl shows it (records stored before fields were cleaned may hold raw
 * bytes) and a quote becomes '?', so a hostile PAM_RHOST can neither forge
 * a syslog field or line nor put invalid UTF-8 in the log.
 */
static void kv(char *line, size_t sz, const char *k, const char *v)
{
	char clean[OTP_TEXT_SHOW_SIZE(OTP_AUDIT_FIELD_MAX)];
	size_t o = strlen(line);

	if (*v == '\0')
		return;
	(void)otp_text_show(clean, sizeof(clean), v);
	for (char *p = clean; (p = strchr(p, '"')) != NULL; p++)
		*p = '?';
	snprintf(line + o, sz - o, strpbrk(clean, " =") ? " %s=\"%s\"" : " %s=%s", k, clean);
}

static int is_warning(const char *event)
{
	static const char *const bad[] = { "auth_failure", "replay", "locked", "lockout" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strcmp(event, bad[i]) == 0)
			return 1;
	}
	return 0;
}

/* pam_syslog's "pam_otp(SERVICE:auth): ", the service made one safe token. */
static void prefix(char *line, size_t sz, const struct otp_audit_ev *ev)
{
	char svc[OTP_TEXT_SHOW_SIZE(OTP_AUDIT_FIELD_MAX)];

	if (ev->actor[0] != '\0') {
		snprintf(line, sz, "pam_otp(otpctl): ");
		return;
	}
	(void)otp_text_show(svc, sizeof(svc), ev->service[0] ? ev->service : "<unknown>");
	for (char *p = svc; *p; p++) {
		if (*p == ' ' || *p == '(' || *p == ')' || *p == ':')
			*p = '?';
	}
	snprintf(line, sz, "pam_otp(%s:auth): ", svc);
}

const char *otp_audit_line(const struct otp_audit_ev *ev, char *line, size_t sz)
{
	char event[OTP_TEXT_SHOW_SIZE(sizeof(ev->event))];
	size_t o;

	prefix(line, sz, ev);
	o = strlen(line);
	(void)otp_text_show(event, sizeof(event), ev->event);
	snprintf(line + o, sz - o, "event=%s", event);
	kv(line, sz, "user", ev->user);
	kv(line, sz, "service", ev->service);
	kv(line, sz, "rhost", ev->rhost);
	kv(line, sz, "tty", ev->tty);
	kv(line, sz, "device", ev->device);
	kv(line, sz, "detail", ev->detail);
	kv(line, sz, "actor", ev->actor);
	return line;
}

void otp_audit_syslog(const struct otp_audit_ev *ev)
{
	/* room for every field at its widest, so no value is ever cut */
	char line[OTP_AUDIT_LINE_MAX];

	syslog(LOG_AUTHPRIV | (is_warning(ev->event) ? LOG_WARNING : LOG_NOTICE), "%s",
	       otp_audit_line(ev, line, sizeof(line)));
}
