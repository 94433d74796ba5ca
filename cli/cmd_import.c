/*
 * otpctl import google-authenticator USER FILE | import oath FILE
 * Moves users over from google-authenticator-libpam and pam_oath without
 * re-enrolment. Whatever cannot be read is refused with file and line, and
 * nothing is written for that user.
 */
#include "ctl.h"
#include "err.h"
#include "import.h"
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 1000            /* devices per write transaction */
#define REFUSALS_SHOWN 20

/* A regular file of at most max bytes (see otp_import_open); NULL with the
 * message printed and *code set otherwise. */
static FILE *open_input(struct ctl *c, const char *path, const char *owner, off_t max, int *code)
{
	FILE *fp;
	int fd, rc = otp_import_open(path, owner, max, &fd);

	if (rc != OTP_OK) {
		*code = ctl_err(c, rc == OTP_EPERM ? OTP_EINVAL : rc, "import");
		return NULL;
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		close(fd);
		*code = ctl_fail(c, EX_STORE, "out of memory");
	}
	return fp;
}

static int import_ga(struct ctl *c, const char *user, const char *path)
{
	static struct otp_ga_file g;
	static struct otp_rc_set set;
	const char *codes[OTP_GA_SCRATCH_MAX];
	struct otp_import_item item = { &g.dev, NULL, NULL };
	struct otp_login who;
	char *text = calloc(1, OTP_GA_FILE_MAX + 1), detail[160];
	FILE *fp;
	size_t n;
	int rc;

	if (text == NULL)
		return ctl_fail(c, EX_STORE, "out of memory");
	rc = ctl_check_user(c, user);
	fp = rc == 0 ? open_input(c, path, user, OTP_GA_FILE_MAX, &rc) : NULL;
	if (fp == NULL) {
		free(text);
		return rc;
	}
	/* the size was checked; reading one byte more notices a file that grew */
	n = fread(text, 1, OTP_GA_FILE_MAX + 1, fp);
	rc = ferror(fp) ? otp_seterr(OTP_EIO, "%s: read error", path) :
	     n > OTP_GA_FILE_MAX ? otp_seterr(OTP_EINVAL, "%s: larger than %d bytes", path,
					       OTP_GA_FILE_MAX) :
	     otp_ga_parse(text, path, user, &g);
	fclose(fp);
	otp_wipe(text, OTP_GA_FILE_MAX + 1);
	free(text);
	for (unsigned i = 0; rc == OTP_OK && i < g.nscratch; i++)
		codes[i] = g.scratch[i];
	if (rc == OTP_OK && g.nscratch > 0) {
		rc = otp_recovery_hash_set(codes, g.nscratch, &set);
		item.recovery = &set;
	}
	snprintf(detail, sizeof(detail), "google-authenticator: %s, %u scratch codes",
		 g.dev.hotp ? "hotp" : "totp", g.nscratch);
	item.detail = detail;
	ctl_who(&who, user);
	if (rc == OTP_OK)
		rc = otp_import_batch(c->st, &c->key, &c->cfg, &who, &item, 1);
	otp_wipe(g.dev.secret, sizeof(g.dev.secret));
	otp_wipe(g.scratch, sizeof(g.scratch));
	otp_wipe(&set, sizeof(set));
	if (rc != OTP_OK)
		return ctl_err(c, rc, "import");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:s,s:i,s:s}", "user", user, "type",
			g.dev.hotp ? "hotp" : "totp", "recovery_codes", (int)g.nscratch, "ignored",
			g.ignored));
	printf("%s: imported a %s device and %u scratch codes as recovery codes\n", user,
	       g.dev.hotp ? "HOTP" : "TOTP", g.nscratch);
	if (g.ignored[0])
		printf("%s: not carried over (pam_otp.conf governs): %s\n", user, g.ignored);
	return 0;
}

struct oath_run {
	struct otp_import_dev *devs;
	unsigned n, cap, refused, passwords;
	int oom;
	char (*bad_users)[OTP_USER_MAX + 1];
	unsigned nbad, bad_cap;
};

/* Remember a refused user; -1 when out of memory. */
static int add_bad(struct oath_run *r, const char *user)
{
	if (r->nbad == r->bad_cap) {
		unsigned ncap = r->bad_cap ? r->bad_cap * 2 : 256;
		void *b = realloc(r->bad_users, ncap * sizeof(*r->bad_users));

		if (b == NULL)
			return -1;
		r->bad_users = b;
		r->bad_cap = ncap;
	}
	snprintf(r->bad_users[r->nbad++], OTP_USER_MAX + 1, "%s", user);
	return 0;
}

static int user_is_bad(const struct oath_run *r, const char *user)
{
	for (unsigned i = 0; i < r->nbad; i++) {
		if (strcmp(r->bad_users[i], user) == 0)
			return 1;
	}
	return 0;
}

/* A line that does not parse still names its user when it has two words. */
static void refuse(struct ctl *c, struct oath_run *r, const char *line)
{
	char type[32], user[OTP_USER_MAX + 1];

	if (r->refused++ < REFUSALS_SHOWN)
		fprintf(stderr, "otpctl import: %s\n", otp_errdetail());
	if (sscanf(line, "%31s %256s", type, user) == 2 && !user_is_bad(r, user) &&
	    add_bad(r, user) != 0)
		r->oom = 1;
	(void)c;
}

static int read_oath(struct ctl *c, FILE *fp, const char *path, struct oath_run *r)
{
	char line[OTP_IMPORT_LINE_MAX];
	unsigned lineno = 0;
	int skip, pass, toolong, rc = 0;

	while (rc == 0 && otp_import_getline(fp, line, sizeof(line), &toolong)) {
		lineno++;
		if (r->n == r->cap) {
			unsigned ncap = r->cap ? r->cap * 2 : 1024;
			void *d = realloc(r->devs, ncap * sizeof(*r->devs));

			if (d == NULL) {
				rc = ctl_fail(c, EX_STORE, "out of memory");
				break;
			}
			r->devs = d;
			r->cap = ncap;
		}
		if (toolong) {
			otp_seterr(OTP_EINVAL, "%s:%u: line longer than %d bytes", path, lineno,
				   OTP_IMPORT_LINE_MAX - 2);
			refuse(c, r, line);
			continue;
		}
		if (otp_oath_parse_line(line, path, lineno, &r->devs[r->n], &skip, &pass) != OTP_OK) {
			refuse(c, r, line);
			continue;
		}
		if (skip)
			continue;
		if (pass && r->passwords++ < REFUSALS_SHOWN)
			fprintf(stderr, "otpctl import: %s:%u: %s has a static password in the "
				"usersfile; it is not imported\n", path, lineno, r->devs[r->n].user);
		r->n++;
	}
	if (rc == 0 && ferror(fp))
		rc = ctl_fail(c, EX_STORE, "%s: read error", path);
	otp_wipe(line, sizeof(line));
	return rc;
}

static int by_user(const void *a, const void *b)
{
	const struct otp_import_dev *const *x = a, *const *y = b;

	return strcmp((*x)->user, (*y)->user);
}

static void mark_bad(struct oath_run *r, const char *user, const char *why)
{
	if (user_is_bad(r, user))
		return;
	if (r->refused++ < REFUSALS_SHOWN)
		fprintf(stderr, "otpctl import: %s: %s; not imported\n", user, why);
	if (add_bad(r, user) != 0)
		r->oom = 1;
}

/* Users named on two lines, or already enrolled, are refused whole: a
 * second device with the same seed would let one code pass twice. */
static int screen_users(struct ctl *c, struct oath_run *r)
{
	const struct otp_import_dev **order = calloc(r->n ? r->n : 1, sizeof(*order));
	unsigned active;

	if (order == NULL)
		return ctl_fail(c, EX_STORE, "out of memory");
	for (unsigned i = 0; i < r->n; i++)
		order[i] = &r->devs[i];
	qsort(order, r->n, sizeof(*order), by_user);
	for (unsigned i = 1; i < r->n; i++) {
		if (strcmp(order[i]->user, order[i - 1]->user) == 0)
			mark_bad(r, order[i]->user, "named on more than one line");
	}
	free(order);
	for (unsigned i = 0; i < r->n; i++) {
		if (otp_auth_active(c->st, r->devs[i].user, &active) == OTP_OK && active > 0)
			mark_bad(r, r->devs[i].user, "already has an active device");
	}
	/* without the full list of refused users nothing may be written */
	return r->oom ? ctl_fail(c, EX_STORE, "out of memory") : 0;
}

static void progress(unsigned done, unsigned total)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\rimported %u/%u", done, total);
}

static int write_oath(struct ctl *c, struct oath_run *r, unsigned *imported)
{
	struct otp_import_item *items = calloc(BATCH, sizeof(*items));
	struct otp_login who;
	unsigned n = 0;
	int rc = OTP_OK;

	if (items == NULL)
		return OTP_ENOMEM;
	ctl_who(&who, "");
	*imported = 0;
	for (unsigned i = 0; rc == OTP_OK && i <= r->n; i++) {
		if (i < r->n && !user_is_bad(r, r->devs[i].user)) {
			items[n].dev = &r->devs[i];
			items[n++].detail = r->devs[i].hotp ? "pam_oath: hotp" : "pam_oath: totp";
		}
		if (n == BATCH || (i == r->n && n > 0)) {
			rc = otp_import_batch(c->st, &c->key, &c->cfg, &who, items, n);
			*imported += rc == OTP_OK ? n : 0;
			n = 0;
			progress(*imported, r->n);
		}
	}
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
	free(items);
	return rc;
}

static int import_oath(struct ctl *c, const char *path)
{
	struct oath_run r;
	unsigned imported = 0;
	int rc = 0;
	FILE *fp = open_input(c, path, NULL, OTP_OATH_FILE_MAX, &rc);

	if (fp == NULL)
		return rc;
	memset(&r, 0, sizeof(r));
	rc = read_oath(c, fp, path, &r);
	fclose(fp);
	if (rc == 0)
		rc = screen_users(c, &r);
	if (rc == 0 && (rc = write_oath(c, &r, &imported)) != OTP_OK)
		rc = ctl_err(c, rc, "import");
	if (r.devs != NULL)
		otp_wipe(r.devs, r.cap * sizeof(*r.devs));
	free(r.devs);
	free(r.bad_users);
	if (rc != 0)
		return rc;
	if (c->json && r.refused > 0)  /* a partial import is an error: say so in the object */
		return ctl_json_print(json_pack("{s:s,s:i,s:i,s:i,s:s,s:i}", "file", path, "imported",
						(int)imported, "refused_lines", (int)r.refused,
						"static_passwords", (int)r.passwords, "error",
						"lines refused: nothing imported for their users",
						"exit", EX_USAGE_)) ?: EX_USAGE_;
	if (c->json)
		ctl_json_print(json_pack("{s:s,s:i,s:i,s:i}", "file", path, "imported", (int)imported,
					 "refused_lines", (int)r.refused, "static_passwords",
					 (int)r.passwords));
	else
		printf("%s: imported %u devices; refused %u lines; %u static passwords not imported\n",
		       path, imported, r.refused, r.passwords);
	return r.refused > 0 ? EX_USAGE_ : 0;
}

int cmd_import(struct ctl *c, int argc, char **argv)
{
	int rc;

	if (argc == 4 && strcmp(argv[1], "google-authenticator") == 0) {
		rc = ctl_open(c, 1);
		return rc ? rc : import_ga(c, argv[2], argv[3]);
	}
	if (argc == 3 && strcmp(argv[1], "oath") == 0) {
		rc = ctl_open(c, 1);
		return rc ? rc : import_oath(c, argv[2]);
	}
	return ctl_usage(c, EX_USAGE_);
}
