#include "stats.h"
#include "err.h"
#include "textsafe.h"
#include "users.h"

#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[OTP_OUT_COUNT] = {
	"success", "failure", "replay", "locked", "trusted_network", "remembered_host",
	"recovery_code", "nullok", "unenrolled_pass",
};

const char *const otp_tally_admin_events[OTP_TALLY_ADMIN_EVENTS] = {
	"enroll", "confirm", "rename", "revoke", "resync", "recovery_generated", "host_revoked",
	"user_removed", "import", "verify", "rekey", "restore", "unlock",
};

const char *const otp_census_types[OTP_CENSUS_TYPES] = { "totp", "hotp", "email", "sms",
							 "other" };
const char *const otp_census_states[OTP_CENSUS_STATES] = { "pending", "active", "revoked",
							   "other" };

const char *otp_outcome_name(enum otp_outcome o)
{
	return (unsigned)o < OTP_OUT_COUNT ? outcome_names[o] : "?";
}

int otp_outcome_admitted(enum otp_outcome o)
{
	return o == OTP_OUT_SUCCESS || o == OTP_OUT_TRUSTED_NETWORK ||
	       o == OTP_OUT_REMEMBERED_HOST || o == OTP_OUT_RECOVERY_CODE || o == OTP_OUT_NULLOK ||
	       o == OTP_OUT_UNENROLLED_PASS;
}

int otp_outcome_of(const struct otp_audit_ev *ev)
{
	static const struct { const char *event; enum otp_outcome o; } map[] = {
		{ "auth_failure", OTP_OUT_FAILURE }, { "replay", OTP_OUT_REPLAY },
		/* a sent code past its expiry or its attempts: a failed login */
		{ "oob_expired", OTP_OUT_FAILURE }, { "oob_exhausted", OTP_OUT_FAILURE },
		{ "locked", OTP_OUT_LOCKED }, { "trusted_network", OTP_OUT_TRUSTED_NETWORK },
		{ "trusted_host", OTP_OUT_REMEMBERED_HOST },
		{ "recovery_used", OTP_OUT_RECOVERY_CODE },
		{ "unenrolled_pass", OTP_OUT_UNENROLLED_PASS },
	};

	if (strcmp(ev->event, "auth_success") == 0)
		return strcmp(ev->detail, "nullok") == 0 ? OTP_OUT_NULLOK : OTP_OUT_SUCCESS;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(ev->event, map[i].event) == 0)
			return (int)map[i].o;
	}
	return -1;
}

void otp_tally_init(struct otp_tally *t)
{
	memset(t, 0, sizeof(*t));
}

struct otp_tally_service *otp_tally_service(struct otp_tally *t, const char *name)
{
	char key[OTP_TALLY_SERVICE_MAX + 1];
	struct otp_tally_service *s;

	/* escaped and cut at a character boundary: valid UTF-8 for labels and JSON */
	(void)otp_text_show(key, sizeof(key), name[0] != '\0' ? name : OTP_TALLY_NONE);
	for (unsigned i = 0; i < t->nservices; i++) {
		if (strcmp(t->svc[i].name, key) == 0)
			return &t->svc[i];
	}
	if (t->nservices == OTP_TALLY_SERVICES) {  /* full: everything else is OTHER */
		s = &t->svc[t->nservices++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", OTP_TALLY_OTHER);
		return s;
	}
	if (t->nservices > OTP_TALLY_SERVICES)
		return &t->svc[OTP_TALLY_SERVICES];
	s = &t->svc[t->nservices++];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, key, sizeof(key));
	return s;
}

static int admin_index(const char *event)
{
	for (int i = 0; i < OTP_TALLY_ADMIN_EVENTS; i++) {
		if (strcmp(otp_tally_admin_events[i], event) == 0)
			return i;
	}
	return -1;
}

void otp_tally_add(struct otp_tally *t, const struct otp_audit_ev *ev, uint64_t n)
{
	int o, a;

	t->records++;
	if (ev->seq >= OTP_AUDIT_SEQ_SUMMARY) {
		struct otp_tally_service *s = otp_tally_service(t, ev->service);

		s->logins[OTP_OUT_FAILURE] += n;
		s->unknown_failures += n;
		return;
	}
	o = otp_outcome_of(ev);
	if (o >= 0) {
		otp_tally_service(t, ev->service)->logins[o] += n;
	} else if (strcmp(ev->event, "lockout") == 0) {
		otp_tally_service(t, ev->service)->lockouts += n;
	} else if ((a = admin_index(ev->event)) >= 0) {
		t->admin[a] += n;
	}
}

static int locked_at(const struct otp_user_rec *u, uint64_t now)
{
	return u->locked_until != 0 &&
	       (u->locked_until == OTP_LOCKED_FOREVER || now < u->locked_until);
}

struct census_walk { struct otp_census *c; uint64_t now; };

static int census_user(const struct otp_user_summary *s, void *arg)
{
	struct census_walk *w = arg;
	struct otp_census *c = w->c;

	c->users++;
	c->users_locked += locked_at(&s->rec, w->now);
	if (s->active == 0)
		return 0;
	c->users_active++;
	c->users_no_recovery += s->recovery_left == 0;
	if (!c->recovery_known || s->recovery_left < c->recovery_left_min)
		c->recovery_left_min = s->recovery_left;
	c->recovery_known = 1;
	return 0;
}

static int census_device(const char *user, struct otp_device_rec *d, void *arg)
{
	struct otp_census *c = arg;
	unsigned type, state;

	(void)user;
	if (d == NULL)  /* does not decode: left out */
		return OTP_OK;
	type = d->type <= OTP_DEV_TYPE_LAST ? d->type : OTP_CENSUS_TYPES - 1;
	state = d->state <= OTP_REVOKED ? d->state : OTP_CENSUS_STATES - 1;
	c->devices[type][state]++;
	return OTP_OK;
}

int otp_census(struct otp_store *st, uint64_t now, struct otp_census *c)
{
	struct census_walk w = { c, now };
	struct otp_txn *txn = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = otp_users_each(st, census_user, &w);
	if (rc == OTP_OK)
		rc = otp_txn_begin(st, 0, &txn);
	if (rc == OTP_OK)
		rc = otp_device_each(txn, census_device, c);
	if (rc == OTP_OK)
		rc = otp_store_stats(txn, &c->store);
	otp_txn_abort(txn);
	return rc;
}
