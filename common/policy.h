/*
 * policy.h - who must give a code: require_group, exempt_group and
 * exempt_user of pam_otp.conf, judged through NSS (local files, LDAP,
 * SSSD), and the enrollment deadline.
 *
 * A user the policy covers goes through the login as ever; one it does not
 * cover is left to the other modules of the stack (PAM_IGNORE). A name NSS
 * does not know is covered: it takes the unknown-name path unchanged. A
 * lookup that fails (not "no such name") leaves coverage undecided, and
 * the caller refuses the login rather than guess.
 */
#ifndef OTP_POLICY_H
#define OTP_POLICY_H

#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * otp_namelist_parse - split text ("ops, wheel") at commas into out,
 * blanks around each name dropped; "" gives an empty list.
 * Returns OTP_OK; OTP_ETOOLONG (more than OTP_POLICY_NAMES_MAX names, or
 * one longer than OTP_POLICY_NAME_MAX bytes); OTP_EINVAL (an empty name,
 * or one holding a blank, a control character, ':' or ','). The detail
 * names the problem and the item's position, never the text itself.
 */
int otp_namelist_parse(const char *text, struct otp_namelist *out);

/* otp_namelist_has - 1 when name is in l, else 0. */
int otp_namelist_has(const struct otp_namelist *l, const char *name);

/*
 * otp_date_parse - "YYYY-MM-DD" (a calendar date, years 1970..9999) into
 * *t, the start of that day in UTC, seconds since the epoch.
 * Returns OTP_OK or OTP_EINVAL.
 */
int otp_date_parse(const char *text, uint64_t *t);

/* otp_policy_set - 1 when require_group or an exempt list is configured. */
int otp_policy_set(const struct otp_config *cfg);

/*
 * The NSS lookups the policy makes, replaceable for tests; NULL in
 * otp_policy_cover means the C library's. They follow the C library's
 * contracts (0 with a NULL result: no such name; ERANGE: a larger buffer).
 */
struct otp_nss {
	int (*getpwnam_r)(const char *, struct passwd *, char *, size_t, struct passwd **);
	int (*getgrnam_r)(const char *, struct group *, char *, size_t, struct group **);
	int (*getgrouplist)(const char *, gid_t, gid_t *, int *);
};

enum otp_cover_why {
	OTP_COVER_EVERYONE,     /* no require_group: everyone is */
	OTP_COVER_GROUP,        /* a member of require_group `group` */
	OTP_COVER_UNKNOWN,      /* NSS does not know the name */
	OTP_EXEMPT_USER,        /* in exempt_user */
	OTP_EXEMPT_GROUP,       /* a member of exempt_group `group` */
	OTP_OUTSIDE_GROUPS,     /* in no require_group group */
};

#define OTP_POLICY_MISSING_MAX 4  /* configured groups NSS does not know, named */

struct otp_coverage {
	int covered;                            /* 1: must give a code */
	enum otp_cover_why why;
	char group[OTP_POLICY_NAME_MAX + 1];    /* the group that decided, or "" */
	int known;                              /* NSS knows the user */
	/* configured groups NSS says do not exist (typos, removed groups):
	 * each counts as a group without members */
	unsigned nmissing;
	char missing[OTP_POLICY_MISSING_MAX][OTP_POLICY_NAME_MAX + 1];
};

/*
 * otp_policy_cover - whether the policy of cfg covers user, for one login.
 * exempt_user is matched by name, with no lookup; then, when any group is
 * configured, one getpwnam_r (the primary group), one getgrouplist (every
 * group, its buffer grown as needed) and one getgrnam_r per configured
 * group. An exempt user or exempt-group member is not covered, whatever
 * require_group says; with require_group set, only its members are.
 * nss: the lookups (NULL: the C library's).
 * Returns OTP_OK with *out filled; OTP_ENSS when a lookup that decides
 * failed (the detail names the user or group and the error, e.g. "group
 * 'ops': Connection refused"): a lookup that could only have made an
 * uncovered user covered, or the other way round, leaves no answer;
 * OTP_ETOOLONG (a user or group record larger than 16 MiB, more than
 * 65536 groups); OTP_ENOMEM.
 */
int otp_policy_cover(const struct otp_config *cfg, const char *user, const struct otp_nss *nss,
		     struct otp_coverage *out);

/*
 * otp_policy_group_gid - the gid of group name (one getgrnam_r, its buffer
 * grown as needed); *exists 0 when NSS has no such group. nss: NULL for
 * the C library's. Returns OTP_OK, OTP_ENSS (the lookup failed: the
 * detail names the group and the error), OTP_ETOOLONG or OTP_ENOMEM.
 */
int otp_policy_group_gid(const struct otp_nss *nss, const char *name, gid_t *gid, int *exists);

/* otp_cover_reason - a short text for out's reason, e.g. "require_group ops",
 * "exempt_user", "everyone", written into buf (n bytes); returns buf. */
const char *otp_cover_reason(const struct otp_coverage *out, char *buf, size_t n);

/*
 * The enrollment deadline for a covered user with no active device, at
 * time now (seconds since the epoch).
 */
enum otp_deadline {
	OTP_DEADLINE_NONE,    /* enroll_deadline unset: nullok decides, as ever */
	OTP_DEADLINE_OPEN,    /* before it: the user passes the code step */
	OTP_DEADLINE_PASSED,  /* at or after it: refused */
};

/* otp_deadline_at - which of these holds for cfg at time now. */
enum otp_deadline otp_deadline_at(const struct otp_config *cfg, uint64_t now);

#endif
