#include "base32.h"
#include "ctl.h"
#include "devices.h"
#include "err.h"
#include "qr.h"
#include "uri.h"
#include "util.h"

#include <getopt.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct enroll_opts {
	struct otp_enroll_req req;
	const char *secret_b32;     /* --secret */
	enum qr_style qr;
	const char *qr_file;
	const char *confirm;        /* --confirm CODE */
	int no_confirm;
};

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
		if (strcmp(arg, "totp") && strcmp(arg, "hotp"))
			return ctl_fail(c, EX_USAGE_, "--type must be totp or hotp");
		o->req.type = strcmp(arg, "hotp") == 0 ? OTP_HOTP : OTP_TOTP;
		return 0;
	case 'a':
		return otp_alg_parse(arg, &o->req.alg) == OTP_OK ? 0 :
		       ctl_fail(c, EX_USAGE_, "--algorithm: %s", otp_errdetail());
	case 'd':
		return parse_uint(c, "--digits", arg, OTP_DIGITS_MIN, OTP_DIGITS_MAX, &o->req.digits);
	case 'p':
		return parse_uint(c, "--period", arg, OTP_PERIOD_MIN, OTP_PERIOD_MAX, &o->req.period);
	case 's':
		o->secret_b32 = arg;
		return 0;
	case 'q':
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
	default:
		return ctl_usage(c, EX_USAGE_);
	}
}

static int parse(struct ctl *c, int argc, char **argv, struct enroll_opts *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "digits", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "qr", required_argument, NULL, 'q' },
		{ "qr-file", required_argument, NULL, 'f' },
		{ "confirm", required_argument, NULL, 'c' },
		{ "no-confirm", no_argument, NULL, 'N' },
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
	return 0;
}

/* Defaults for what was not given, from the totp/hotp config sections. */
static void apply_defaults(const struct ctl *c, struct enroll_opts *o, int have_alg,
			   int have_digits)
{
	if (!have_alg)
		o->req.alg = o->req.type == OTP_HOTP ? c->cfg.hotp.alg : c->cfg.totp.alg;
	if (!have_digits)
		o->req.digits = o->req.type == OTP_HOTP ? c->cfg.hotp.digits : c->cfg.totp.digits;
	if (o->req.period == 0)
		o->req.period = c->cfg.totp.period;
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

static void issuer_of(const struct ctl *c, char *out, size_t n)
{
	char host[256] = "";

	if (c->cfg.issuer[0] != '\0') {
		snprintf(out, n, "%s", c->cfg.issuer);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++) {
		if (*p == ':')
			*p = '-';
	}
	snprintf(out, n, "%s", host);
}

/* Ask for a code on a terminal; NULL when there is no terminal or no answer. */
static char *ask_code(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;

	if (!isatty(STDIN_FILENO))
		return NULL;
	fprintf(stderr, "Scan the QR code, then type the code the app shows: ");
	fflush(stderr);
	got = getline(&line, &cap, stdin);
	if (got <= 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static int show(struct ctl *c, const char *user, const struct otp_device_rec *d,
		const struct enroll_opts *o, struct qr_file *qf, const char *b32, const char *uri)
{
	char err[512];

	if (qf->fd >= 0 && qr_file_write(qf, uri, err, sizeof(err)) != 0)
		return ctl_fail(c, EX_STORE, "--qr-file: %s", err);
	if (c->json)
		return ctl_json_print(json_pack(
			"{s:s,s:I,s:s,s:s,s:s,s:i,s:i,s:s,s:s}", "user", user, "device",
			(json_int_t)d->id, "name", d->name, "type", d->type == OTP_HOTP ? "hotp" : "totp",
			"algorithm", otp_alg_name(d->alg), "digits", (int)d->digits, "period",
			(int)d->period, "secret", b32, "uri", uri));
	qr_print(stdout, uri, o->qr);
	printf("user:    %s\ndevice:  %u (%s)\nuri:     %s\nsecret:  %s\n", user, d->id, d->name,
	       uri, b32);
	fflush(stdout);
	return 0;
}

static int activate(struct ctl *c, const char *user, struct otp_device_rec *d,
		    const struct enroll_opts *o)
{
	struct otp_login who;
	char *asked = NULL, idref[16];
	const char *code = o->confirm;
	int rc;

	if (o->no_confirm)
		return 0;
	if (code == NULL && !c->json)
		code = asked = ask_code();
	if (code == NULL) {
		fprintf(stderr, "device %u is pending: activate it with 'otpctl confirm %s %u CODE'\n",
			d->id, user, d->id);
		return 0;
	}
	ctl_who(&who, user);
	snprintf(idref, sizeof(idref), "%u", d->id);
	rc = otp_confirm(c->st, &c->key, &c->cfg, &who, idref, code, d);
	if (asked != NULL) {
		otp_wipe_str(asked);
		free(asked);
	}
	if (rc != OTP_OK)
		return ctl_err(c, rc, "device left pending");
	if (!c->json)
		printf("device %u is active\n", d->id);
	return 0;
}

int cmd_enroll(struct ctl *c, int argc, char **argv)
{
	struct enroll_opts o;
	struct otp_device_rec d;
	struct otp_login who;
	struct otp_uri u;
	struct qr_file qf = { -1, 0, NULL };
	uint8_t secret[OTP_SECRET_MAX];
	char uri[OTP_URI_MAX + 1], err[512];
	const char *user;
	size_t n = 0;
	int rc, have_alg, have_digits, usage;

	have_alg = have_digits = 0;
	for (int i = 1; i < argc; i++) {
		have_alg |= strncmp(argv[i], "--algorithm", 11) == 0;
		have_digits |= strncmp(argv[i], "--digits", 8) == 0;
	}
	rc = parse(c, argc, argv, &o);
	if (rc != 0)
		return rc;
	apply_defaults(c, &o, have_alg, have_digits);
	o.req.active = o.no_confirm;
	user = argv[optind];
	rc = ctl_check_user(c, user);
	if (rc == 0)
		rc = ctl_open(c, 1);
	if (rc == 0)
		rc = get_secret(c, &o, secret, &n);
	if (o.secret_b32 != NULL)  /* keep the seed out of ps(1) from now on */
		memset((char *)o.secret_b32, 'x', strlen(o.secret_b32));
	if (rc != 0)
		goto out;
	/* the image file is made before the device: a name that cannot be
	 * used leaves nothing enrolled */
	if (o.qr_file != NULL && qr_file_open(&qf, o.qr_file, &usage, err, sizeof(err)) != 0) {
		rc = ctl_fail(c, usage ? EX_USAGE_ : EX_STORE, "--qr-file: %s", err);
		goto out;
	}
	ctl_who(&who, user);
	rc = otp_enroll(c->st, &c->key, &c->cfg, &who, &o.req, secret, n, &d);
	if (rc != OTP_OK) {
		rc = ctl_err(c, rc, "enroll");
		goto out;
	}
	memset(&u, 0, sizeof(u));
	u.hotp = d.type == OTP_HOTP;
	issuer_of(c, u.issuer, sizeof(u.issuer));
	snprintf(u.user, sizeof(u.user), "%s", user);
	otp_base32_encode(secret, n, 0, u.secret, sizeof(u.secret));
	u.alg = d.alg;
	u.digits = d.digits;
	u.period = d.period;
	u.counter = d.counter;
	rc = otp_uri_build(&u, uri, sizeof(uri));
	rc = rc == OTP_OK ? show(c, user, &d, &o, &qf, u.secret, uri) : ctl_err(c, rc, "uri");
	if (rc == 0)
		rc = activate(c, user, &d, &o);
	otp_wipe(&u, sizeof(u));
	otp_wipe(uri, sizeof(uri));
out:
	qr_file_discard(&qf);  /* still open: not written, nothing to keep */
	otp_wipe(secret, sizeof(secret));
	return rc;
}
