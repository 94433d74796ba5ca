#include "import.h"
#include "base32.h"
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether uid may own an import file of owner (NULL: the effective user). */
static int owner_ok(uid_t uid, const char *owner)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (uid == 0)
		return 1;
	if (owner == NULL)
		return uid == geteuid();
	return getpwnam_r(owner, &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
	       res->pw_uid == uid;
}

static int check_input(int fd, const char *path, const char *owner, off_t max_size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	if (!S_ISREG(st.st_mode))
		return otp_seterr(OTP_EPERM, "%s: not a regular file", path);
	if (!owner_ok(st.st_uid, owner)) {
		if (owner != NULL && strcmp(owner, "root") == 0)
			owner = NULL;
		return otp_seterr(OTP_EPERM, "%s: owned by uid %u, not root or %s", path,
				  (unsigned)st.st_uid, owner ? owner : "you");
	}
	if ((st.st_mode & 0022) != 0)
		return otp_seterr(OTP_EPERM, "%s: mode %04o is writable by group/other", path,
				  (unsigned)(st.st_mode & 07777));
	if (st.st_size > max_size)
		return otp_seterr(OTP_ETOOLONG, "%s: larger than %lld bytes", path,
				  (long long)max_size);
	return OTP_OK;
}

int otp_import_open(const char *path, const char *owner, off_t max_size, int *fd)
{
	int f, rc, e;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	f = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (f < 0) {
		e = errno;
		if (e == ENOENT)
			return otp_seterr(OTP_ENOTFOUND, "%s: no such file", path);
		if (e == ELOOP)
			return otp_seterr(OTP_EPERM, "%s: is a symlink", path);
		return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(e));
	}
	rc = check_input(f, path, owner, max_size);
	if (rc == OTP_OK && fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK) != 0)
		rc = otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	if (rc != OTP_OK) {
		close(f);
		return rc;
	}
	*fd = f;
	return OTP_OK;
}

int otp_import_getline(FILE *fp, char *buf, size_t size, int *toolong)
{
	size_t n = 0;
	int ch = EOF;

	*toolong = 0;
	while (n + 1 < size && (ch = getc(fp)) != EOF) {
		buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	if (n == 0)
		return 0;
	if (buf[n - 1] == '\n' || ch == EOF)
		return 1;
	/* buf is full: the line ends here only if the file does */
	ch = getc(fp);
	if (ch == EOF)
		return 1;
	*toolong = 1;
	while (ch != '\n' && ch != EOF)
		ch = getc(fp);
	return 1;
}

/* Copy line number n of text (from *pos) into buf; 0 at the end. */
static int next_line(const char **pos, char *buf, size_t size, int *toolong)
{
	const char *p = *pos, *e;
	size_t n;

	if (*p == '\0')
		return 0;
	e = strchr(p, '\n');
	n = e ? (size_t)(e - p) : strlen(p);
	*toolong = n >= size;
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[n - 1] = '\0';
	*pos = e ? e + 1 : p + strlen(p);
	return 1;
}

static int ga_option(struct otp_ga_file *g, const char *opt, const char *name, unsigned line)
{
	char word[32];
	uint64_t v;
	int used = 0;

	if (sscanf(opt, "%31s%n", word, &used) != 1)
		return otp_seterr(OTP_EINVAL, "%s:%u: empty option", name, line);
	opt += used;
	while (*opt == ' ')
		opt++;
	if (!strcmp(word, "TOTP_AUTH"))
		return OTP_OK;
	if (!strcmp(word, "HOTP_COUNTER") || !strcmp(word, "STEP_SIZE")) {
		int hotp = word[0] == 'H';

		if (otp_parse_u64(opt, hotp ? 0 : 1, hotp ? UINT64_MAX : 3600, &v) != OTP_OK)
			return otp_seterr(OTP_EINVAL, "%s:%u: bad %s value", name, line, word);
		if (hotp) {
			g->dev.hotp = 1;
			g->dev.counter = v;
		} else {
			g->dev.period = (unsigned)v;
		}
		return OTP_OK;
	}
	if (!strcmp(word, "DISALLOW_REUSE")) {
		char *end;

		for (const char *p = opt; *p;) {
			unsigned long long s = strtoull(p, &end, 10);

			if (end == p)
				return otp_seterr(OTP_EINVAL, "%s:%u: bad DISALLOW_REUSE list", name, line);
			if (s > g->dev.last_step)
				g->dev.last_step = s;
			for (p = end; *p == ' '; p++)
				;
		}
		return OTP_OK;
	}
	if (!strcmp(word, "WINDOW_SIZE") || !strcmp(word, "RATE_LIMIT")) {
		size_t o = strlen(g->ignored);

		snprintf(g->ignored + o, sizeof(g->ignored) - o, "%s%s", o ? ", " : "", word);
		return OTP_OK;
	}
	return otp_seterr(OTP_EINVAL, "%s:%u: unknown option '%s'", name, line, word);
}

static int ga_scratch(struct otp_ga_file *g, const char *s, const char *name, unsigned line)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return otp_seterr(OTP_EINVAL, "%s:%u: not a scratch code", name, line);
	}
	if (n != 8)
		return otp_seterr(OTP_EINVAL, "%s:%u: scratch codes have 8 digits", name, line);
	if (g->nscratch >= OTP_GA_SCRATCH_MAX)
		return otp_seterr(OTP_EINVAL, "%s:%u: more than %d scratch codes", name, line,
				  OTP_GA_SCRATCH_MAX);
	memcpy(g->scratch[g->nscratch++], s, 9);
	return OTP_OK;
}

static int ga_secret(struct otp_ga_file *g, const char *s, const char *name)
{
	if (otp_base32_decode(s, g->dev.secret, sizeof(g->dev.secret), &g->dev.secret_len) !=
	    OTP_OK || g->dev.secret_len < OTP_SECRET_MIN)
		return otp_seterr(OTP_EINVAL, "%s:1: the first line is not a base32 secret", name);
	return OTP_OK;
}

int otp_ga_parse(const char *text, const char *name, const char *user, struct otp_ga_file *out)
{
	char buf[OTP_IMPORT_LINE_MAX];
	const char *pos = text;
	unsigned line = 0;
	int toolong, rc = OTP_OK;

	memset(out, 0, sizeof(*out));
	snprintf(out->dev.user, sizeof(out->dev.user), "%s", user);
	out->dev.digits = 6;
	out->dev.period = 30;
	out->dev.line = 1;
	while (rc == OTP_OK && next_line(&pos, buf, sizeof(buf), &toolong)) {
		line++;
		if (toolong)
			rc = otp_seterr(OTP_EINVAL, "%s:%u: line too long", name, line);
		else if (line == 1)
			rc = ga_secret(out, buf, name);
		else if (buf[0] == '"' && buf[1] == ' ')
			rc = ga_option(out, buf + 2, name, line);
		else if (buf[0] != '\0')
			rc = ga_scratch(out, buf, name, line);
	}
	otp_wipe(buf, sizeof(buf));
	if (rc == OTP_OK && line == 0)
		rc = otp_seterr(OTP_EINVAL, "%s: empty file", name);
	if (rc == OTP_OK && out->dev.hotp)
		out->dev.last_step = 0;
	else if (rc == OTP_OK)
		out->dev.counter = 0;
	return rc;
}

/* TYPE: HOTP, HOTP/E[/N], HOTP/T30[/N], HOTP/T60[/N]. */
static int oath_type(const char *t, struct otp_import_dev *d)
{
	const char *rest;
	uint64_t v;

	d->hotp = 1;
	d->digits = 6;
	d->period = 0;
	if (strncmp(t, "HOTP", 4) != 0)
		return -1;
	rest = t + 4;
	if (*rest == '\0')
		return 0;
	if (strncmp(rest, "/E", 2) == 0) {
		rest += 2;
	} else if (strncmp(rest, "/T30", 4) == 0 || strncmp(rest, "/T60", 4) == 0) {
		d->hotp = 0;
		d->period = rest[2] == '3' ? 30 : 60;
		rest += 4;
	} else {
		return -1;
	}
	if (*rest == '\0')
		return 0;
	if (*rest != '/' || otp_parse_u64(rest + 1, OTP_DIGITS_MIN, OTP_DIGITS_MAX, &v) != OTP_OK)
		return -1;
	d->digits = (unsigned)v;
	return 0;
}

static int hex_secret(const char *hex, struct otp_import_dev *d)
{
	size_t n = strlen(hex);

	if (n % 2 != 0 || n / 2 < OTP_SECRET_MIN || n / 2 > OTP_SECRET_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		d->secret[i] = (uint8_t)v;
	}
	d->secret_len = n / 2;
	return 0;
}

int otp_oath_parse_line(const char *line, const char *name, unsigned lineno,
			struct otp_import_dev *out, int *skip, int *has_pass)
{
	char type[32], user[OTP_USER_MAX + 1], pass[256], hex[2 * OTP_SECRET_MAX + 2], counter[32];
	char lastotp[32];
	int n;

	memset(out, 0, sizeof(*out));
	*skip = 0;
	*has_pass = 0;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#' || *line == '\n' || *line == '\r') {
		*skip = 1;
		return OTP_OK;
	}
	if (strnlen(line, OTP_IMPORT_LINE_MAX) >= OTP_IMPORT_LINE_MAX)
		return otp_seterr(OTP_EINVAL, "%s:%u: line too long", name, lineno);
	counter[0] = '\0';
	n = sscanf(line, "%31s %256s %255s %129s %31s %31s", type, user, pass, hex, counter, lastotp);
	if (n < 4)
		return otp_seterr(OTP_EINVAL, "%s:%u: expected TYPE USER PASS SECRET", name, lineno);
	if (oath_type(type, out) != 0)
		return otp_seterr(OTP_EINVAL, "%s:%u: unknown token type '%s'", name, lineno, type);
	if (strlen(user) >= OTP_USER_MAX || otp_valid_user(user) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "%s:%u: bad user name", name, lineno);
	snprintf(out->user, sizeof(out->user), "%s", user);
	*has_pass = strcmp(pass, "-") != 0 && strcmp(pass, "+") != 0;
	otp_wipe(pass, sizeof(pass));
	if (hex_secret(hex, out) != 0) {
		otp_wipe(hex, sizeof(hex));
		return otp_seterr(OTP_EINVAL, "%s:%u: the secret is not hex of %d..%d bytes", name,
				  lineno, OTP_SECRET_MIN, OTP_SECRET_MAX);
	}
	otp_wipe(hex, sizeof(hex));
	if (n >= 5 && out->hotp && otp_parse_u64(counter, 0, UINT64_MAX - 2, &out->counter) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "%s:%u: bad counter", name, lineno);
	/* With a LASTOTP, pam_oath's COUNTER is that of the code last used:
	 * the next one to accept is after it, or the used code would pass again. */
	if (n >= 6 && out->hotp)
		out->counter++;
	out->line = lineno;
	return OTP_OK;
}
