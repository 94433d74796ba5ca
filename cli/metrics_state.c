#include "metrics_state.h"
#include "err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define STATE_FORMAT "pam_otp metrics state"
#define STATE_VERSION 1
#define COUNT_MAX ((json_int_t)1 << 62)

static json_t *counts_json(const uint64_t *v, const char *const *names, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < n; i++) {
		if (json_object_set_new(o, names[i], json_integer((json_int_t)v[i])) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *services_json(const struct otp_tally *t)
{
	const char *outs[OTP_OUT_COUNT];
	json_t *arr = json_array();

	for (int i = 0; i < OTP_OUT_COUNT; i++)
		outs[i] = otp_outcome_name((enum otp_outcome)i);
	for (unsigned i = 0; arr != NULL && i < t->nservices; i++) {
		const struct otp_tally_service *s = &t->svc[i];

		if (json_array_append_new(arr, json_pack("{s:s,s:o,s:I,s:I}", "service", s->name,
			"logins", counts_json(s->logins, outs, OTP_OUT_COUNT), "lockouts",
			(json_int_t)s->lockouts, "unknown_user_failures",
			(json_int_t)s->unknown_failures)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *window_json(const struct otp_scan_state *s)
{
	json_t *secs = json_array(), *sums = json_array();
	int bad = secs == NULL || sums == NULL;

	for (size_t i = 0; !bad && i < s->nseconds; i++)
		bad = json_array_append_new(secs, json_pack("[I,I]", (json_int_t)s->seconds[i].time,
					    (json_int_t)s->seconds[i].seq)) != 0;
	for (size_t i = 0; !bad && i < s->nsummaries; i++)
		bad = json_array_append_new(sums, json_pack("[I,I,I]",
			(json_int_t)s->summaries[i].time, (json_int_t)s->summaries[i].seq,
			(json_int_t)s->summaries[i].taken)) != 0;
	if (bad) {
		json_decref(secs);
		json_decref(sums);
		return NULL;
	}
	if (!s->landed)
		return json_pack("{s:o,s:o}", "seconds", secs, "summaries", sums);
	return json_pack("{s:o,s:o,s:[I,I,I]}", "seconds", secs, "summaries", sums, "landed",
			 (json_int_t)s->mark.xid, (json_int_t)s->mark.time,
			 (json_int_t)s->mark.seq);
}

int mstate_format(const struct otp_scan_state *s, const struct otp_tally *t, char **out)
{
	json_t *j = json_pack("{s:s,s:i,s:b,s:I,s:I,s:o,s:o,s:o}", "format", STATE_FORMAT,
			      "version", STATE_VERSION, "have", s->have, "newest",
			      (json_int_t)s->newest, "counted", (json_int_t)s->counted, "window",
			      window_json(s), "services", services_json(t), "admin",
			      counts_json(t->admin, otp_tally_admin_events,
					  OTP_TALLY_ADMIN_EVENTS));

	*out = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return *out != NULL ? OTP_OK : OTP_ENOMEM;
}

/* A whole number in [0, max] from v. */
static int count_of(const json_t *v, json_int_t max, uint64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return otp_seterr(OTP_EINVAL, "a count is not a whole number");
	n = json_integer_value(v);
	if (n < 0 || n > max)
		return otp_seterr(OTP_EINVAL, "a count out of range");
	*out = (uint64_t)n;
	return OTP_OK;
}

/* The n named counts of o into v; the names past the first `older` may be
 * missing (a state written before they were counted): 0. */
static int counts_parse(const json_t *o, const char *const *names, size_t older, size_t n,
			uint64_t *v)
{
	size_t seen = 0;
	int rc = OTP_OK;

	if (!json_is_object(o) || json_object_size(o) < older || json_object_size(o) > n)
		return otp_seterr(OTP_EINVAL, "a set of counts is not the expected one");
	for (size_t i = 0; rc == OTP_OK && i < n; i++) {
		const json_t *c = json_object_get(o, names[i]);

		v[i] = 0;
		if (c == NULL && i >= older)
			continue;
		seen++;
		rc = count_of(c, COUNT_MAX, &v[i]);
	}
	if (rc == OTP_OK && seen != json_object_size(o))
		return otp_seterr(OTP_EINVAL, "a set of counts is not the expected one");
	return rc;
}

/* One service entry; OTP_TALLY_OTHER only in the last place, once the
 * named ones are full (as otp_tally_service makes it). */
static int service_parse(const json_t *o, struct otp_tally *t)
{
	const char *outs[OTP_OUT_COUNT];
	struct otp_tally_service *s;
	const char *name;
	json_t *logins, *lock, *unknown;
	int rc, other;

	for (int i = 0; i < OTP_OUT_COUNT; i++)
		outs[i] = otp_outcome_name((enum otp_outcome)i);
	if (json_unpack((json_t *)o, "{s:s,s:o,s:o,s:o!}", "service", &name, "logins", &logins,
			"lockouts", &lock, "unknown_user_failures", &unknown) != 0 ||
	    name[0] == '\0' || strlen(name) > OTP_TALLY_SERVICE_MAX)
		return otp_seterr(OTP_EINVAL, "a service entry is malformed");
	other = strcmp(name, OTP_TALLY_OTHER) == 0;
	if (other != (t->nservices == OTP_TALLY_SERVICES))
		return otp_seterr(OTP_EINVAL, "services: %s out of place", OTP_TALLY_OTHER);
	for (unsigned i = 0; i < t->nservices; i++) {
		if (strcmp(t->svc[i].name, name) == 0)
			return otp_seterr(OTP_EINVAL, "service '%.64s' twice", name);
	}
	s = &t->svc[t->nservices++];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, strlen(name) + 1);
	rc = counts_parse(logins, outs, OTP_OUT_COUNT_V1, OTP_OUT_COUNT, s->logins);
	if (rc == OTP_OK)
		rc = count_of(lock, COUNT_MAX, &s->lockouts);
	if (rc == OTP_OK)
		rc = count_of(unknown, COUNT_MAX, &s->unknown_failures);
	return rc;
}

static int services_parse(const json_t *arr, struct otp_tally *t)
{
	int rc = OTP_OK;

	if (!json_is_array(arr) || json_array_size(arr) > OTP_TALLY_SERVICES + 1)
		return otp_seterr(OTP_EINVAL, "services: not a list of at most %d",
				  OTP_TALLY_SERVICES + 1);
	for (size_t i = 0; rc == OTP_OK && i < json_array_size(arr); i++)
		rc = service_parse(json_array_get(arr, i), t);
	return rc;
}

static int window_parse(const json_t *w, struct otp_scan_state *s)
{
	json_t *secs = NULL, *sums = NULL, *landed = NULL, *e;
	json_int_t a, b, c;
	size_t i;

	if (json_unpack((json_t *)w, "{s:o,s:o,s?o!}", "seconds", &secs, "summaries", &sums,
			"landed", &landed) != 0 ||
	    !json_is_array(secs) || !json_is_array(sums) ||
	    json_array_size(secs) > OTP_SCAN_SECONDS_MAX ||
	    json_array_size(sums) > OTP_SCAN_SUMMARIES_MAX)
		return otp_seterr(OTP_EINVAL, "window: malformed");
	json_array_foreach(secs, i, e) {
		if (json_unpack(e, "[II!]", &a, &b) != 0 || a < 0 || b < 0 ||
		    b >= (json_int_t)OTP_AUDIT_SEQ_SUMMARY)
			return otp_seterr(OTP_EINVAL, "window: a malformed second");
		s->seconds[s->nseconds++] = (struct otp_scan_second){ (uint64_t)a, (uint32_t)b };
	}
	json_array_foreach(sums, i, e) {
		if (json_unpack(e, "[III!]", &a, &b, &c) != 0 || a < 0 || b < 0 ||
		    b > (json_int_t)UINT32_MAX || c < 0 || c > (json_int_t)UINT32_MAX)
			return otp_seterr(OTP_EINVAL, "window: a malformed summary");
		s->summaries[s->nsummaries++] =
			(struct otp_scan_summary){ (uint64_t)a, (uint32_t)b, (uint32_t)c };
	}
	if (landed == NULL)
		return OTP_OK;
	/* where a store with a landing order was read to (store.h) */
	if (json_unpack(landed, "[III!]", &a, &b, &c) != 0 || a < 0 || b < 0 || c < 0 ||
	    c > (json_int_t)UINT32_MAX)
		return otp_seterr(OTP_EINVAL, "window: a malformed landing mark");
	s->landed = 1;
	s->mark = (struct otp_audit_mark){ (uint64_t)a, (uint64_t)b, (uint32_t)c };
	return OTP_OK;
}

static int parse_root(json_t *j, struct otp_scan_state *s, struct otp_tally *t)
{
	const char *format;
	json_t *newest, *counted, *window, *services, *admin;
	int version, have, rc;

	if (json_unpack(j, "{s:s,s:i,s:b,s:o,s:o,s:o,s:o,s:o!}", "format", &format, "version",
			&version, "have", &have, "newest", &newest, "counted", &counted, "window",
			&window, "services", &services, "admin", &admin) != 0 ||
	    strcmp(format, STATE_FORMAT) != 0)
		return otp_seterr(OTP_EINVAL, "not a pam_otp metrics state");
	if (version != STATE_VERSION)
		return otp_seterr(OTP_EINVAL, "state version %d, this otpctl reads %d", version,
				  STATE_VERSION);
	s->have = have;
	rc = count_of(newest, COUNT_MAX, &s->newest);
	if (rc == OTP_OK)
		rc = count_of(counted, COUNT_MAX, &s->counted);
	if (rc == OTP_OK)
		rc = window_parse(window, s);
	if (rc == OTP_OK)
		rc = services_parse(services, t);
	if (rc == OTP_OK)
		rc = counts_parse(admin, otp_tally_admin_events, OTP_TALLY_ADMIN_EVENTS,
				  OTP_TALLY_ADMIN_EVENTS, t->admin);
	return rc == OTP_OK ? otp_scan_valid(s) : rc;
}

int mstate_parse(const char *text, struct otp_scan_state *s, struct otp_tally *t)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	otp_scan_init(s);
	otp_tally_init(t);
	if (j == NULL)
		return otp_seterr(OTP_EINVAL, "not JSON (line %d: %.80s)", jerr.line, jerr.text);
	rc = parse_root(j, s, t);
	json_decref(j);
	if (rc != OTP_OK) {
		otp_scan_init(s);
		otp_tally_init(t);
	}
	return rc;
}
