#include "outfile.h"
#include "err.h"
#include "fileck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int outfile_dir(struct ctl *c, const char *dir, int lock, int *dfd)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return ctl_fail(c, errno == ENOENT ? EX_NOTFOUND : EX_STORE, "%s: %s", dir,
				strerror(errno));
	rc = otp_check_fd(fd, dir, 1, OTP_FORBID_CONFIG);
	if (rc != OTP_OK) {
		close(fd);
		return ctl_err(c, rc, NULL);
	}
	while (lock && flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			rc = errno;
			close(fd);
			return ctl_fail(c, EX_STORE, "%s: cannot lock: %s", dir, strerror(rc));
		}
	}
	*dfd = fd;
	return 0;
}

/* Read all of fd, at most max bytes; 0 or an errno value (EFBIG: too big). */
static int read_all(int fd, size_t max, char **data, size_t *len)
{
	char *buf = malloc(max + 1);
	size_t n = 0;
	ssize_t got;

	if (buf == NULL)
		return ENOMEM;
	while ((got = read(fd, buf + n, max + 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || (n += (size_t)got) > max) {
			int e = got < 0 ? errno : EFBIG;

			free(buf);
			return e;
		}
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int outfile_read(struct ctl *c, int dfd, const char *name, const char *path, mode_t forbid,
		 size_t max, char **data, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int rc;

	*data = NULL;
	*len = 0;
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return ctl_fail(c, EX_STORE, "%s: %s", path,
				errno == ELOOP ? "is a symlink" : strerror(errno));
	rc = otp_check_fd(fd, path, 0, forbid);
	if (rc != OTP_OK) {
		close(fd);
		return ctl_err(c, rc, NULL);
	}
	rc = read_all(fd, max, data, len);
	close(fd);
	if (rc == EFBIG)
		return ctl_fail(c, EX_STORE, "%s: larger than %zu bytes", path, max);
	return rc == 0 ? 0 : ctl_fail(c, EX_STORE, "%s: %s", path, strerror(rc));
}

static int write_all(int fd, const char *data, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, data, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

int outfile_replace(struct ctl *c, int dfd, const char *name, const char *path, mode_t mode,
		    const char *data, size_t n)
{
	char tmp[256];
	int fd, e;

	/* not ending in .prom: node_exporter never reads a half-written file */
	snprintf(tmp, sizeof(tmp), ".%.200s.%ld.tmp", name, (long)getpid());
	(void)unlinkat(dfd, tmp, 0);  /* left by a run of ours that died (same pid) */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return ctl_fail(c, EX_STORE, "%s: cannot create a new copy: %s", path,
				strerror(errno));
	if (fchmod(fd, mode) != 0 || write_all(fd, data, n) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		(void)unlinkat(dfd, tmp, 0);
		return ctl_fail(c, EX_STORE, "%s: cannot write: %s", path, strerror(e));
	}
	if (close(fd) != 0 || renameat(dfd, tmp, dfd, name) != 0) {
		e = errno;
		(void)unlinkat(dfd, tmp, 0);
		return ctl_fail(c, EX_STORE, "%s: cannot replace: %s", path, strerror(e));
	}
	(void)fsync(dfd);  /* the rename itself durable; a failure here loses no data */
	return 0;
}
