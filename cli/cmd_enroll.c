#include "base32.h"
#include "ctl.h"
#include "devices.h"
#include "enroll.h"
#include "err.h"
#include "oob.h"
#include "qr.h"
#include "uri.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_uint(struct ctl *c, const char *what, const char *s, unsigned min,
		      unsigned max, unsigned *out)
{
	uint64_t v;

	if (otp_parse_u64(s, min, max, &v) != OTP_OK)
		return ctl_fail(c, EX_USAGE_, "%s: %s", what, otp_errdetail());
	*out = (unsigned)v;
	return 0;
}

static int parse_opt(struct ctl *c, struct enroll_opts *o, int opt, char *arg)
{
	switch (opt) {
	case 'n':
		snprintf(o->req.name, sizeof(o->req.name), "%s", arg);
		return otp_valid_name(arg) == OTP_OK ? 0 :
		       ctl_fail(c, EX_USAGE_, "--name: %s", otp_errdetail());
	case 't':
		return otp_dev_type_parse(arg, &o->req.type) == OTP_OK ? 0 :
		       ctl_fail(c, EX_USAGE_, "--type must be totp, hotp, email or sms");
	case 'T':
		o->to = arg;
		return 0;
	case 'a':
		o->have_alg = 1;
		return otp_alg_parse(arg, &o->req.alg) == OTP_OK ? 0 :
		       ctl_fail(c, EX_USAGE_, "--algorithm: %s", otp_errdetail());
	case 'd':
		o->have_digits = 1;
		return parse_uint(c, "--digits", arg, OTP_DIGITS_MIN, OTP_DIGITS_MAX, &o->req.digits);
	case 'p':
		o->have_period = 1;
		return parse_uint(c, "--period", arg, OTP_PERIOD_MIN, OTP_PERIOD_MAX, &o->req.period);
	case 's':
		o->secret_b32 = arg;
		return 0;
	case 'q':
		o->have_qr = 1;
		if (strcmp(arg, "utf8") && strcmp(arg, "ansi") && strcmp(arg, "none"))
			return ctl_fail(c, EX_USAGE_, "--qr must be utf8, ansi or none");
		o->qr = !strcmp(arg, "ansi") ? QR_ANSI : !strcmp(arg, "none") ? QR_NONE : QR_UTF8;
		return 0;
	case 'f':
		o->qr_file = arg;
		return 0;
	case 'c':
		o->confirm = arg;
		return 0;
	case 'N':
		o->no_confirm = 1;
		return 0;
	case 'F':
		o->force = 1;
		return 0;
	default:
		return ctl_usage(c, EX_USAGE_);
	}
}

/* An email or sms device has a destination, and no secret, QR code or
 * code parameters of its own (its codes follow the oob section). */
static int check_oob_flags(struct ctl *c, const struct enroll_opts *o)
{
	const char *flag = o->secret_b32 ? "--secret" : o->have_qr ? "--qr" :
			   o->qr_file ? "--qr-file" : o->have_alg ? "--algorithm" :
			   o->have_period ? "--period" : o->have_digits ? "--digits" : NULL;

	if (o->to == NULL)
		return ctl_fail(c, EX_USAGE_, "--type %s needs --to %s", otp_dev_type_name(o->req.type),
				o->req.type == OTP_EMAIL ? "ADDRESS" : "+NUMBER");
	if (flag != NULL)
		return ctl_fail(c, EX_USAGE_, "%s is not for email and sms devices (no secret, "
				"QR code or code parameters: see the oob section)", flag);
	if (o->confirm != NULL)
		return ctl_fail(c, EX_USAGE_, "--confirm: the code for an email or sms device is "
				"not known before it is sent; answer the prompt, or use --no-confirm");
	return 0;
}

static int parse(struct ctl *c, int argc, char **argv, struct enroll_opts *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "to", required_argument, NULL, 'T' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "digits", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "qr", required_argument, NULL, 'q' },
		{ "qr-file", required_argument, NULL, 'f' },
		{ "confirm", required_argument, NULL, 'c' },
		{ "no-confirm", no_argument, NULL, 'N' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	memset(o, 0, sizeof(*o));
	o->qr = c->json ? QR_NONE : QR_UTF8;
	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		rc = parse_opt(c, o, opt, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind != argc - 1)
		return ctl_usage(c, EX_USAGE_);
	if (o->confirm && o->no_confirm)
		return ctl_fail(c, EX_USAGE_, "--confirm and --no-confirm exclude each other");
	if (OTP_IS_OOB(o->req.type))
		return check_oob_flags(c, o);
	if (o->to != NULL)
		return ctl_fail(c, EX_USAGE_, "--to is for email and sms devices (--type email|sms)");
	if (o->have_period && o->req.type == OTP_HOTP)
		return ctl_fail(c, EX_USAGE_, "--period is for TOTP; an HOTP device counts, "
				"it has no period");
	return 0;
}

/* Defaults for what was not given, from the totp/hotp/oob config sections. */
static void apply_defaults(const struct ctl *c, struct enroll_opts *o)
{
	if (OTP_IS_OOB(o->req.type)) {
		o->req.digits = c->cfg.oob.digits;  /* informative: what codes it is sent */
		return;
	}
	if (!o->have_alg)
		o->req.alg = o->req.type == OTP_HOTP ? c->cfg.hotp.alg : c->cfg.totp.alg;
	if (!o->have_digits)
		o->req.digits = o->req.type == OTP_HOTP ? c->cfg.hotp.digits : c->cfg.totp.digits;
	if (!o->have_period)
		o->req.period = c->cfg.totp.period;
}

/* Whether NSS knows user: 1 yes, 0 no, -1 the lookup failed (errno set). */
static int nss_knows(const char *user)
{
	struct passwd pw, *res = NULL;
	size_t cap = 1024;
	char *buf = NULL, *more;
	int rc;

	for (;;) {
		more = realloc(buf, cap);
		if (more == NULL) {
			free(buf);
			errno = ENOMEM;
			return -1;
		}
		buf = more;
		rc = getpwnam_r(user, &pw, buf, cap, &res);
		if (rc != ERANGE || cap >= 1024 * 1024)
			break;
		cap *= 2;
	}
	free(buf);
	if (res != NULL)
		return 1;
	/* getpwnam_r(3): these, or 0 with no entry, all mean "no such name" */
	if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		return 0;
	errno = rc;
	return -1;
}

/* A name the system does not know is most often a typo: enrolled, it
 * would sit in the store and never log in. --force enrolls it anyway
 * (users of a directory service this host does not see yet). */
int enroll_check_known(struct ctl *c, const char *user, int force)
{
	int k = nss_knows(user);
	char why[128], shown[CTL_SHOW_SIZE];

	if (k == 1)
		return 0;
	if (k == 0)
		snprintf(why, sizeof(why), "is not known to this system (no passwd entry)");
	else
		snprintf(why, sizeof(why), "could not be looked up (%s)", strerror(errno));
	ctl_show(user, shown, sizeof(shown));  /* a name is hostile text */
	if (!force)
		return ctl_fail(c, EX_NOTFOUND, "user '%s' %s: check the name, or enroll it "
				"anyway with --force", shown, why);
	fprintf(stderr, "otpctl enroll: warning: user '%s' %s; enrolling anyway (--force)\n",
		shown, why);
	return 0;
}

static int get_secret(struct ctl *c, const struct enroll_opts *o, uint8_t *secret, size_t *n)
{
	if (o->secret_b32 == NULL) {
		*n = OTP_SECRET_DEFAULT;
		return RAND_bytes(secret, (int)*n) == 1 ? 0 :
		       ctl_fail(c, EX_STORE, "no randomness for a secret");
	}
	if (otp_base32_decode(o->secret_b32, secret, OTP_SECRET_MAX, n) != OTP_OK)
		return ctl_fail(c, EX_USAGE_, "--secret: not base32 of at most %d bytes",
				OTP_SECRET_MAX);
	if (*n < OTP_SECRET_MIN)
		return ctl_fail(c, EX_USAGE_, "--secret: shorter than %d bytes (%d bits)",
				OTP_SECRET_MIN, OTP_SECRET_MIN * 8);
	return 0;
}

char *enroll_ask_code(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;

	fputs(prompt, stderr);
	fflush(stderr);
	got = getline(&line, &cap, stdin);
	if (got > 0)
		line[strcspn(line, "\r\n")] = '\0';
	if (got <= 0 || line[0] == '\0') {
		if (line != NULL)
			otp_wipe(line, cap);
		free(line);
		return NULL;
	}
	return line;
}

static int show(struct ctl *c, const char *user, const struct otp_device_rec *d,
		const struct enroll_opts *o, struct qr_file *qf, const char *b32, const char *uri)
{
	char err[512];
	int rows;

	if (qf->fd >= 0 && qr_file_write(qf, uri, err, sizeof(err)) != 0)
		return ctl_fail(c, EX_STORE, "--qr-file: %s", err);
	if (c->json)
		return ctl_json_print(json_pack(
			"{s:s,s:I,s:s,s:s,s:s,s:i,s:i,s:s,s:s}", "user", user, "device",
			(json_int_t)d->id, "name", d->name, "type", otp_dev_type_name(d->type),
			"algorithm", otp_alg_name(d->alg), "digits", (int)d->digits, "period",
			(int)d->period, "secret", b32, "uri", uri));
	/* the text first: the QR and the prompt below it are what must stay
	 * on an 80x24 screen */
	printf("user:    %s\ndevice:  %u (%s)\nuri:     %s\nsecret:  %s\n", user, d->id, d->name,
	       uri, b32);
	rows = qr_print(stdout, uri, o->qr);
	fflush(stdout);
	if (rows < 0)
		fprintf(stderr, "otpctl enroll: cannot draw this URI as a QR code\n");
	else if (rows > QR_TERM_ROWS)
		fprintf(stderr, "otpctl enroll: QR code too tall for %dx%d (%d rows): use --qr-file "
			"FILE.png\n", QR_TERM_COLS, QR_TERM_ROWS + 1, rows);
	return 0;
}

static int confirm_code(struct ctl *c, const char *user, struct otp_device_rec *d,
			const char *code)
{
	struct otp_login who;
	char idref[16];

	ctl_who(&who, user);
	snprintf(idref, sizeof(idref), "%u", d->id);
	return otp_confirm(c->st, &c->key, &c->cfg, &who, idref, code, d);
}

static int left_pending(const char *user, const struct otp_device_rec *d)
{
	fprintf(stderr, "device %u is pending: activate it with 'otpctl confirm %s %u CODE'\n",
		d->id, user, d->id);
	return 0;
}

int enroll_ask_until_valid(struct ctl *c, const char *user, struct otp_device_rec *d,
			   const char *first)
{
	char prompt[64], *code;
	int rc = OTP_EBADCODE;

	for (int left = CONFIRM_TRIES; left > 0; left--) {
		if (left < CONFIRM_TRIES)
			snprintf(prompt, sizeof(prompt), "Wrong code, %d %s left: ", left,
				 left == 1 ? "try" : "tries");
		code = enroll_ask_code(left == CONFIRM_TRIES ? first : prompt);
		if (code == NULL)
			return OTP_ENOTFOUND;
		rc = confirm_code(c, user, d, code);
		otp_wipe_str(code);
		free(code);
		if (rc != OTP_EBADCODE && rc != OTP_EREPLAY)
			break;
	}
	return rc;
}

static int activate(struct ctl *c, const char *user, struct otp_device_rec *d,
		    const struct enroll_opts *o)
{
	int rc;

	if (o->no_confirm)
		return 0;
	if (o->confirm != NULL)
		rc = confirm_code(c, user, d, o->confirm);
	else if (!c->json && isatty(STDIN_FILENO))
		rc = enroll_ask_until_valid(c, user, d, o->qr == QR_NONE ?
					    "Type the code the app shows (3 tries): " :
					    "Scan the QR code, then type the code the app shows (3 tries): ");
	else
		return left_pending(user, d);
	if (rc == OTP_ENOTFOUND && o->confirm == NULL)
		return left_pending(user, d);
	if (rc != OTP_OK) {
		rc = ctl_err(c, rc, "device left pending");
		if (o->confirm == NULL)
			left_pending(user, d);
		return rc;
	}
	if (!c->json)
		printf("device %u is active\n", d->id);
	return 0;
}

/* The URI the device will have, from the request: built before anything
 * is written, so a name it cannot carry enrolls nothing. */
static int make_uri(struct ctl *c, const char *user, const struct otp_enroll_req *req,
		    const uint8_t *secret, size_t n, struct otp_uri *u, char *uri, size_t urisz)
{
	int rc;

	memset(u, 0, sizeof(*u));
	u->hotp = req->type == OTP_HOTP;
	otp_uri_issuer(c->cfg.issuer, u->issuer, sizeof(u->issuer));
	snprintf(u->user, sizeof(u->user), "%s", user);
	otp_base32_encode(secret, n, 0, u->secret, sizeof(u->secret));
	u->alg = req->alg;
	u->digits = req->digits;
	u->period = req->period;
	u->counter = req->counter;
	rc = otp_uri_build(u, uri, urisz);
	return rc == OTP_OK ? 0 : ctl_err(c, rc, "otpauth URI");
}

/*
 * Every argument, before anything is written: the request, the user (a
 * name NSS knows, or --force), the secret, the URI, the --qr-file name.
 */
static int validate(struct ctl *c, struct enroll_opts *o, const char *user, uint8_t *secret,
		    size_t *n, struct otp_uri *u, char *uri, size_t urisz)
{
	char err[512];
	int rc = ctl_check_user(c, user);

	if (rc == 0)
		rc = enroll_check_known(c, user, o->force);
	if (rc == 0)
		rc = get_secret(c, o, secret, n);
	if (o->secret_b32 != NULL)  /* keep the seed out of ps(1) from now on */
		memset((char *)o->secret_b32, 'x', strlen(o->secret_b32));
	if (rc == 0 && otp_check_request(&o->req, *n) != OTP_OK)
		rc = ctl_fail(c, EX_USAGE_, "%s", otp_errdetail());
	if (rc == 0)
		rc = make_uri(c, user, &o->req, secret, *n, u, uri, urisz);
	if (rc == 0 && o->qr_file != NULL && qr_file_check(o->qr_file, o->force, err,
							    sizeof(err)) != 0)
		rc = ctl_fail(c, EX_USAGE_, "--qr-file: %s", err);
	return rc;
}

int cmd_enroll(struct ctl *c, int argc, char **argv)
{
	struct enroll_opts o;
	struct otp_device_rec d;
	struct otp_login who;
	struct otp_uri u;
	struct qr_file qf = QR_FILE_INIT;
	uint8_t secret[OTP_SECRET_MAX];
	char uri[OTP_URI_MAX + 1], err[512];
	const char *user;
	size_t n = 0;
	int rc, usage;

	rc = parse(c, argc, argv, &o);
	if (rc != 0)
		return rc;
	apply_defaults(c, &o);
	o.req.active = o.no_confirm;
	user = argv[optind];
	if (OTP_IS_OOB(o.req.type))
		return enroll_oob(c, &o, user);
	rc = validate(c, &o, user, secret, &n, &u, uri, sizeof(uri));
	if (rc == 0)
		rc = ctl_open(c, 1);
	if (rc != 0)
		goto out;
	/* the image file is made before the device: a name that cannot be
	 * used (taken since it was checked) leaves nothing enrolled */
	if (o.qr_file != NULL &&
	    qr_file_open(&qf, o.qr_file, o.force, &usage, err, sizeof(err)) != 0) {
		rc = ctl_fail(c, usage ? EX_USAGE_ : EX_STORE, "--qr-file: %s", err);
		goto out;
	}
	ctl_who(&who, user);
	rc = otp_enroll(c->st, &c->key, &c->cfg, &who, &o.req, secret, n, &d);
	if (rc != OTP_OK) {
		rc = ctl_err(c, rc, "nothing enrolled");
		goto out;
	}
	rc = show(c, user, &d, &o, &qf, u.secret, uri);
	if (rc == 0)
		rc = activate(c, user, &d, &o);
out:
	qr_file_discard(&qf);  /* still open: not written, nothing to keep */
	otp_wipe(&u, sizeof(u));
	otp_wipe(uri, sizeof(uri));
	otp_wipe(secret, sizeof(secret));
	return rc;
}
