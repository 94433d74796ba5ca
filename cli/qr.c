#include "qr.h"
#include "err.h"
#include "qrtext.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUIET 4
#define PNG_SCALE 8

/* Black on white from the 256-colour cube (16 and 231): themes remap the
 * 16 base colours, rarely these, so the code reads alike on light and dark
 * terminals. */
#define ANSI_COLOURS "\033[38;5;16;48;5;231m"
#define ANSI_RESET "\033[0m"

static QRcode *encode(const char *text, QRecLevel level)
{
	return QRcode_encodeString(text, 0, level, QR_MODE_8, 1);
}

/* Whether module (x, y) is dark; outside the symbol (quiet zone) is light. */
static int dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

/*
 * QR_ANSI: the UTF-8 drawing (light modules drawn) turned inside out, so
 * the foreground draws the dark modules, black on white explicitly. Each
 * line is wrapped in the colours: a line break never carries them.
 */
static void print_ansi(FILE *out, const char *s)
{
	static const char *const swap[][2] = {
		{ " ", "\u2588" }, { "\u2588", " " }, { "\u2580", "\u2584" }, { "\u2584", "\u2580" },
	};

	fputs(ANSI_COLOURS, out);
	while (*s != '\0') {
		size_t i;

		if (*s == '\n') {
			fputs(ANSI_RESET "\n" ANSI_COLOURS, out);
			s++;
			continue;
		}
		for (i = 0; i < 4 && strncmp(s, swap[i][0], strlen(swap[i][0])) != 0; i++)
			;
		if (i == 4) {  /* not drawn by otp_qr_text: never happens */
			s++;
			continue;
		}
		fputs(swap[i][1], out);
		s += strlen(swap[i][0]);
	}
	fputs(ANSI_RESET, out);
}

/* The lines of a drawing: one more than its line breaks. */
static int count_rows(const char *s)
{
	int rows = 1;

	for (; *s != '\0'; s++)
		rows += *s == '\n';
	return rows;
}

int qr_print(FILE *out, const char *text, enum qr_style style)
{
	size_t len = 0;
	char *buf;
	int rows;

	if (style == QR_NONE)
		return 0;
	if (otp_qr_text(text, OTP_QR_UTF8, NULL, 0, &len) != OTP_ETOOLONG)
		return -1;
	buf = malloc(len + 1);
	if (buf == NULL || otp_qr_text(text, OTP_QR_UTF8, buf, len + 1, &len) != OTP_OK) {
		free(buf);
		return -1;
	}
	if (style == QR_ANSI)
		print_ansi(out, buf);
	else
		fputs(buf, out);
	fputc('\n', out);
	rows = count_rows(buf);
	otp_wipe(buf, len);
	free(buf);
	return rows;
}

static int write_png(FILE *fp, const QRcode *q)
{
	int side = (q->width + 2 * QUIET) * PNG_SCALE;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	png_bytep row = calloc((size_t)side, 1);
	int rc = -1;

	if (png == NULL || info == NULL || row == NULL)
		goto out;
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, fp);
	png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++)
			row[x] = dark(q, x / PNG_SCALE - QUIET, y / PNG_SCALE - QUIET) ? 0 : 255;
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	rc = 0;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	return rc;
}

static int write_svg(FILE *fp, const QRcode *q)
{
	int side = q->width + 2 * QUIET;

	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
		side, side, side * 8, side * 8, side, side);
	for (int y = 0; y < q->width; y++) {
		for (int x = 0; x < q->width; x++) {
			if (dark(q, x, y))
				fprintf(fp, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
		}
	}
	fprintf(fp, "\"/>\n</svg>\n");
	return ferror(fp) ? -1 : 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Open path's directory (symlinks above the name are the caller's choice). */
static int open_dir(const char *path, const char **name, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd, e;

	*name = slash ? slash + 1 : path;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else {
		snprintf(err, errlen, "%s: name too long", path);
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", dir,
			 e == ENOENT ? "no such directory" : e == ENOTDIR ? "not a directory" :
			 strerror(e));
	}
	return fd;
}

/* Whether name in dir may be created (absent) or, with force, replaced. */
static int check_target(int dir, const char *name, const char *path, int force, char *err,
			size_t errlen)
{
	struct stat st;

	if (strlen(name) > NAME_MAX) {
		snprintf(err, errlen, "%s: name too long", path);
		return -1;
	}
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode))
		snprintf(err, errlen, "%s: is a symlink; never followed or replaced", path);
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: exists and is not a regular file", path);
	else if (!force)
		snprintf(err, errlen, "%s: already exists; not overwritten (--force replaces it)",
			 path);
	else
		return 0;
	return -1;
}

/* The name's checks, on the directory opened as dir. */
static int check(int dir, const char *path, const char *name, int force, char *err,
		 size_t errlen)
{
	if (!ends_with(name, ".png") && !ends_with(name, ".svg")) {
		snprintf(err, errlen, "%s: name must end in .png or .svg", path);
		return -1;
	}
	return check_target(dir, name, path, force, err, errlen);
}

int qr_file_check(const char *path, int force, char *err, size_t errlen)
{
	const char *name;
	int dir = open_dir(path, &name, err, errlen), rc;

	if (dir < 0)
		return -1;
	rc = check(dir, path, name, force, err, errlen);
	close(dir);
	return rc;
}

/* A new file in f->dir, 0600, never through a symlink: f->name, or when
 * replacing, a fresh temporary name beside it (f->tmp). */
static int create(struct qr_file *f)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	unsigned char rnd[8];

	if (!f->replace)
		return openat(f->dir, f->name, flags, 0600);
	for (int tries = 0; tries < 8; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -1;
		snprintf(f->tmp, sizeof(f->tmp), ".otpctl-qr-%02x%02x%02x%02x%02x%02x%02x%02x",
			 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		f->fd = openat(f->dir, f->tmp, flags, 0600);
		if (f->fd >= 0 || errno != EEXIST)
			return f->fd;
	}
	return -1;
}

/* The name the file we made has now. */
static const char *made_name(const struct qr_file *f)
{
	return f->tmp[0] ? f->tmp : f->name;
}

int qr_file_open(struct qr_file *f, const char *path, int force, int *usage, char *err,
		 size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = path;
	*usage = 1;
	f->dir = open_dir(path, &f->name, err, errlen);
	if (f->dir < 0 || check(f->dir, path, f->name, force, err, errlen) != 0)
		goto fail;
	f->png = ends_with(f->name, ".png");
	/* The image will hold the secret: ours alone, made new, never through
	 * a symlink, never a file someone else prepared for us to fill. With
	 * force an existing file is replaced at the end by a rename: until
	 * then it is left as it was. */
	f->replace = force;
	f->fd = create(f);
	if (f->fd < 0) {
		*usage = errno == EEXIST || errno == ELOOP;
		snprintf(err, errlen, "%s: %s", path, errno == EEXIST ?
			 "already exists; not overwritten (--force replaces it)" : strerror(errno));
		goto fail;
	}
	*usage = 0;
	/* whatever the umask: 0600, not less (the administrator reads it) */
	if (fchmod(f->fd, 0600) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	qr_file_discard(f);
	return -1;
}

/* Remove the file we made if its name still names it (fd open on it). */
static void remove_if_ours(const struct qr_file *f)
{
	struct stat mine, there;

	if (fstat(f->fd, &mine) == 0 &&
	    fstatat(f->dir, made_name(f), &there, AT_SYMLINK_NOFOLLOW) == 0 &&
	    mine.st_dev == there.st_dev && mine.st_ino == there.st_ino)
		unlinkat(f->dir, made_name(f), 0);
}

void qr_file_discard(struct qr_file *f)
{
	if (f->fd >= 0) {
		remove_if_ours(f);
		close(f->fd);
		f->fd = -1;
	}
	if (f->dir >= 0)
		close(f->dir);
	f->dir = -1;
}

/* Write the image into f->fd; 0 or -1. The fd stays open. */
static int write_image(struct qr_file *f, const QRcode *q)
{
	int fd = dup(f->fd), rc;
	FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;

	if (fp == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = f->png ? write_png(fp, q) : write_svg(fp, q);
	if (fflush(fp) != 0 || ferror(fp))
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

int qr_file_write(struct qr_file *f, const char *text, char *err, size_t errlen)
{
	QRcode *q = encode(text, QR_ECLEVEL_M);
	int rc;

	if (q == NULL) {
		snprintf(err, errlen, "cannot encode the URI as a QR code");
		qr_file_discard(f);
		return -1;
	}
	rc = write_image(f, q);
	QRcode_free(q);
	if (rc == 0 && f->tmp[0] != '\0') {
		/* --force: the whole new image takes the name in one step */
		rc = fsync(f->fd) == 0 && renameat(f->dir, f->tmp, f->dir, f->name) == 0 ? 0 : -1;
		if (rc == 0)
			f->tmp[0] = '\0';
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot write the image", f->path);
		qr_file_discard(f);
		return -1;
	}
	close(f->fd);
	f->fd = -1;
	qr_file_discard(f);  /* the directory */
	return 0;
}
