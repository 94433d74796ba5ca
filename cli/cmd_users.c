#include "ctl.h"
#include "err.h"
#include "oob.h"
#include "users.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct out { int json; json_t *arr; uint64_t now; int bad; };

static int locked(const struct otp_user_rec *u, uint64_t now)
{
	return u->locked_until != 0 && (u->locked_until == OTP_LOCKED_FOREVER || now < u->locked_until);
}

/* Active devices by type: {"totp": N, "hotp": N, "email": N, "sms": N}. */
static json_t *types_json(const struct otp_user_summary *s)
{
	json_t *t = json_object();

	for (unsigned i = 0; t != NULL && i <= OTP_DEV_TYPE_LAST; i++) {
		if (json_object_set_new(t, otp_dev_type_name(i),
					json_integer(s->active_by_type[i])) != 0) {
			json_decref(t);
			t = NULL;
		}
	}
	return t;
}

/* The types of the active devices, "totp,email"; "-" for none. */
static const char *types_text(const struct otp_user_summary *s, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i <= OTP_DEV_TYPE_LAST; i++) {
		if (s->active_by_type[i] > 0)
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s",
						len ? "," : "", otp_dev_type_name(i));
	}
	return buf[0] ? buf : "-";
}

static int one(const struct otp_user_summary *s, void *arg)
{
	struct out *o = arg;
	char t1[32], types[32], user[CTL_SHOW_SIZE];

	/* user names come from the store's keys: escaped all the same */
	if (o->json) {
		/* types last: scripts match the flat fields before it */
		if (json_array_append_new(o->arr, json_pack("{s:o,s:i,s:i,s:i,s:b,s:o,s:o,s:o}",
			"user", ctl_jstr(s->user), "devices", (int)s->devices, "active",
			(int)s->active, "recovery_left", (int)s->recovery_left, "locked",
			locked(&s->rec, o->now), "locked_until",
			ctl_jtime(locked(&s->rec, o->now) ? s->rec.locked_until : 0),
			"last_login", ctl_jtime(s->rec.last_login), "types", types_json(s))) != 0)
			o->bad = 1;
		return 0;
	}
	printf("%-20s %3u/%-3u  %8u  %-6s %-20s %s\n", ctl_show(s->user, user, sizeof(user)),
	       s->active, s->devices, s->recovery_left, locked(&s->rec, o->now) ? "yes" : "no",
	       ctl_time(s->rec.last_login, t1, sizeof(t1)), types_text(s, types, sizeof(types)));
	return 0;
}

int cmd_users(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "unenrolled", no_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct out o = { c->json, NULL, otp_now(), 0 };
	const char *group = NULL;
	int rc, opt, unenrolled = 0;

	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt == 'u')
			unenrolled = 1;
		else if (opt == 'g')
			group = optarg;
		else
			return ctl_usage(c, EX_USAGE_);
	}
	if (optind != argc || (group != NULL && !unenrolled))
		return ctl_usage(c, EX_USAGE_);
	if (unenrolled)
		return ctl_users_unenrolled(c, group);
	rc = ctl_open(c, 0);
	if (rc != 0)
		return rc;
	if (o.json)
		o.arr = json_array();
	else
		printf("%-20s %-8s %8s  %-6s %-20s %s\n", "USER", "ACTIVE", "RECOVERY", "LOCKED",
		       "LAST LOGIN", "TYPES");
	rc = otp_users_each(c->st, one, &o);
	if (rc != OTP_OK) {
		json_decref(o.arr);
		return ctl_err(c, rc, "users");
	}
	if (o.json && o.bad) {
		json_decref(o.arr);  /* a user missing from the list is an error */
		o.arr = NULL;
	}
	if (o.json)
		return ctl_json_print(json_pack("{s:o}", "users", o.arr));
	return 0;
}
