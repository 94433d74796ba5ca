#include "qr.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUIET 4
#define PNG_SCALE 8

static QRcode *encode(const char *text)
{
	return QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
}

/* Whether module (x, y) is dark; outside the symbol (quiet zone) is light. */
static int dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

static void print_utf8(FILE *out, const QRcode *q)
{
	static const char *const cell[4] = { "\u2588", "\u2580", "\u2584", " " };

	for (int y = -QUIET; y < q->width + QUIET; y += 2) {
		for (int x = -QUIET; x < q->width + QUIET; x++)
			fputs(cell[dark(q, x, y) * 2 + dark(q, x, y + 1)], out);
		fputc('\n', out);
	}
}

static void print_ansi(FILE *out, const QRcode *q)
{
	for (int y = -QUIET; y < q->width + QUIET; y++) {
		for (int x = -QUIET; x < q->width + QUIET; x++)
			fputs(dark(q, x, y) ? "\033[40m  " : "\033[47m  ", out);
		fputs("\033[0m\n", out);
	}
}

int qr_print(FILE *out, const char *text, enum qr_style style)
{
	QRcode *q;

	if (style == QR_NONE)
		return 0;
	q = encode(text);
	if (q == NULL)
		return -1;
	if (style == QR_ANSI)
		print_ansi(out, q);
	else
		print_utf8(out, q);
	QRcode_free(q);
	return 0;
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

int qr_file_open(struct qr_file *f, const char *path, int *usage, char *err, size_t errlen)
{
	int e;

	f->fd = -1;
	f->path = path;
	f->png = ends_with(path, ".png");
	*usage = 1;
	if (!f->png && !ends_with(path, ".svg")) {
		snprintf(err, errlen, "%s: name must end in .png or .svg", path);
		return -1;
	}
	/* The image will hold the secret: ours alone, made new, never through
	 * a symlink, never a file someone else prepared for us to fill. */
	f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (f->fd < 0) {
		e = errno;
		*usage = e == EEXIST || e == ENOENT || e == ENOTDIR || e == EISDIR;
		if (e == EEXIST)
			snprintf(err, errlen, "%s: already exists; not overwritten", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	*usage = 0;
	/* whatever the umask: 0600, not less (the administrator reads it) */
	if (fchmod(f->fd, 0600) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		qr_file_discard(f);
		return -1;
	}
	return 0;
}

/* Remove path if it still names the file open as fd. */
static void remove_if_ours(int fd, const char *path)
{
	struct stat mine, there;

	if (fstat(fd, &mine) == 0 && lstat(path, &there) == 0 && mine.st_dev == there.st_dev &&
	    mine.st_ino == there.st_ino)
		unlink(path);
}

void qr_file_discard(struct qr_file *f)
{
	if (f->fd < 0)
		return;
	remove_if_ours(f->fd, f->path);
	close(f->fd);
	f->fd = -1;
}

int qr_file_write(struct qr_file *f, const char *text, char *err, size_t errlen)
{
	QRcode *q = encode(text);
	FILE *fp;
	int rc = -1;

	if (q == NULL) {
		snprintf(err, errlen, "cannot encode the URI as a QR code");
		qr_file_discard(f);
		return -1;
	}
	fp = fdopen(f->fd, "wb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		QRcode_free(q);
		qr_file_discard(f);
		return -1;
	}
	rc = f->png ? write_png(fp, q) : write_svg(fp, q);
	QRcode_free(q);
	if (fflush(fp) != 0 || ferror(fp))
		rc = -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot write the image", f->path);
		remove_if_ours(f->fd, f->path);
	}
	f->fd = -1;  /* fclose closes it */
	if (fclose(fp) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: cannot write the image", f->path);
		rc = -1;
	}
	return rc;
}
