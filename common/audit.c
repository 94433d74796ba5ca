#include "audit.h"
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
	char name[256];

	copy_field(ev->host, otp_host_name(host, name, sizeof(name)));
	copy_field(ev->actor, actor);
}

int otp_audit_user_is(const struct otp_audit_ev *ev, const char *user)
{
	char stored[OTP_AUDIT_FIELD_MAX + 1];

	if (otp_text_clean(stored, sizeof(stored), user) == OTP_OK && strcmp(ev->user, stored) == 0)
		return 1;
	return strcmp(ev->user, user) == 0;
}

/* Drop the oldest records past retention, a bounded number per write. */
static int prune(struct otp_txn *txn, uint64_t now, unsigned days)
{
	uint64_t cutoff = now > (uint64_t)days * 86400 ? now - (uint64_t)days * 86400 : 0;

	return otp_audit_prune(txn, cutoff, OTP_AUDIT_PRUNE_BATCH);
}

int otp_audit_append(struct otp_txn *txn, struct otp_audit_ev *ev, unsigned retention_days)
{
	int rc = prune(txn, ev->time, retention_days);

	return rc == OTP_OK ? otp_audit_insert(txn, ev) : rc;
}

int otp_audit_put_at(struct otp_txn *txn, const struct otp_audit_ev *ev,
		     unsigned retention_days)
{
	int rc = prune(txn, ev->time, retention_days);

	return rc == OTP_OK ? otp_audit_write_at(txn, ev) : rc;
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
	static const char *const bad[] = { "auth_failure", "replay", "locked", "lockout",
					   "oob_expired", "oob_exhausted", "oob_send_failed" };

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
