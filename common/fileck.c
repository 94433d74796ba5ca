#include "fileck.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where a walk down a path has got to; on the heap (PAM callers may run
 * on small thread stacks). */
struct walk {
	int fd;                      /* the directory reached, checked */
	unsigned links;              /* symlinks followed so far */
	char at[PATH_MAX];           /* its path, for messages ("" is /) */
	char next[PATH_MAX];         /* the path of the entry being looked at */
	char link[PATH_MAX];         /* a symlink's target */
	char todo[2 * PATH_MAX];     /* the path being walked, from pos on */
	char spare[2 * PATH_MAX];    /* where a symlink's target is spliced in */
	char name[2 * PATH_MAX];     /* the current component; the leaf at the end */
	size_t pos;                  /* where the components still to walk start */
};

/* One directory on the way: root's or ours, and only its owner may change
 * it, or it is sticky (as /tmp), where only an entry's owner may rename
 * that entry, and the next step checks the entry's owner. */
static int check_dir(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	if (!S_ISDIR(st.st_mode))
		return otp_seterr(OTP_EPERM, "%s: not a directory", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return otp_seterr(OTP_EPERM, "%s: directory owned by uid %u, not root", path,
				  (unsigned)st.st_uid);
	if ((st.st_mode & 0022) != 0 && (st.st_mode & S_ISVTX) == 0)
		return otp_seterr(OTP_EPERM, "%s: directory writable by group/other", path);
	return OTP_OK;
}

static int start_at_root(struct walk *w)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return otp_seterr(OTP_EIO, "/: %s", otp_syserr(errno));
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->at[0] = '\0';
	return check_dir(fd, "/");
}

/* Move the next component of w->todo into w->name; *last when nothing
 * follows it. Returns 0 when the path is used up. */
static int next_comp(struct walk *w, int *last)
{
	char *p = w->todo + w->pos, *e;
	size_t len;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	e = strchrnul(p, '/');
	len = (size_t)(e - p);
	memcpy(w->name, p, len);
	w->name[len] = '\0';
	while (*e == '/')
		e++;
	*last = *e == '\0';
	w->pos = (size_t)(e - w->todo);
	return 1;
}

/* w->name is a symlink in w->at: splice its target in front of the rest.
 * Following it is safe: it sits in a checked directory, so only root or
 * the effective user could have made it, and where it leads is walked and
 * checked like the rest of the path. */
static int follow(struct walk *w, const struct stat *st)
{
	const char *rest = w->todo + w->pos;
	ssize_t got;
	int n;

	if (st->st_uid != 0 && st->st_uid != geteuid())
		return otp_seterr(OTP_EPERM, "%s: symlink owned by uid %u, not root", w->next,
				  (unsigned)st->st_uid);
	if (++w->links > OTP_SYMLINKS_MAX)
		return otp_seterr(OTP_ETOOLONG, "%s: too many levels of symlinks", w->next);
	got = readlinkat(w->fd, w->name, w->link, sizeof(w->link));
	if (got <= 0)
		return otp_seterr(OTP_EIO, "%s: %s", w->next, got < 0 ? otp_syserr(errno) : "empty symlink");
	if ((size_t)got >= sizeof(w->link))
		return otp_seterr(OTP_ETOOLONG, "%s: symlink target too long", w->next);
	w->link[got] = '\0';
	n = snprintf(w->spare, sizeof(w->spare), "%s/%s", w->link, rest);
	if (n < 0 || (size_t)n >= sizeof(w->spare))
		return otp_seterr(OTP_ETOOLONG, "%s: symlink target too long", w->next);
	memcpy(w->todo, w->spare, (size_t)n + 1);
	w->pos = 0;
	return w->link[0] == '/' ? start_at_root(w) : OTP_OK;
}

static int stat_error(const char *path, int e)
{
	if (e == ENOENT)
		return otp_seterr(OTP_ENOTFOUND, "%s: no such directory", path);
	if (e == ENOTDIR || e == ELOOP)
		return otp_seterr(OTP_EPERM, "%s: not a directory", path);
	return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(e));
}

/* Step from w->at into the directory w->name (not the path's last part). */
static int descend(struct walk *w)
{
	struct stat st;
	int n, fd, rc;

	if (strcmp(w->name, ".") == 0)
		return OTP_OK;
	if (strcmp(w->name, "..") == 0) {
		char *slash = strrchr(w->at, '/');

		snprintf(w->next, sizeof(w->next), "%.*s", slash ? (int)(slash - w->at) : 0, w->at);
	} else {
		n = snprintf(w->next, sizeof(w->next), "%s/%s", w->at, w->name);
		if (n < 0 || (size_t)n >= sizeof(w->next))
			return otp_seterr(OTP_ETOOLONG, "%.64s...: path too long", w->at);
	}
	if (fstatat(w->fd, w->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return stat_error(w->next, errno);
	if (S_ISLNK(st.st_mode))
		return follow(w, &st);
	/* O_PATH: search permission is enough, as for any path lookup */
	fd = openat(w->fd, w->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return stat_error(w->next, errno);
	rc = check_dir(fd, w->next[0] ? w->next : "/");
	if (rc != OTP_OK) {
		close(fd);
		return rc;
	}
	close(w->fd);
	w->fd = fd;
	memcpy(w->at, w->next, sizeof(w->at));
	return OTP_OK;
}

static void walk_free(struct walk *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

/*
 * Walk path down to the directory holding its last part, checking each
 * directory: *out gets the walk, with fd that directory and name the last
 * part ("." for "/"). Free it with walk_free.
 */
static int walk_to_parent(const char *path, struct walk **out)
{
	struct walk *w = calloc(1, sizeof(*w));
	int last = 0, n, rc;

	if (w == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	w->fd = -1;
	if (path[0] == '\0') {
		rc = otp_seterr(OTP_ENOTFOUND, "empty path");
		goto out;
	}
	if (path[0] == '/') {
		n = snprintf(w->todo, sizeof(w->todo), "%s", path);
	} else if (getcwd(w->at, sizeof(w->at)) == NULL) {
		rc = otp_seterr(OTP_EIO, "%s: current directory: %s", path, otp_syserr(errno));
		goto out;
	} else {
		n = snprintf(w->todo, sizeof(w->todo), "%s/%s", w->at, path);
	}
	if (n < 0 || (size_t)n >= PATH_MAX) {
		rc = otp_seterr(OTP_ETOOLONG, "%.64s...: path too long", path);
		goto out;
	}
	rc = start_at_root(w);
	while (rc == OTP_OK) {
		if (!next_comp(w, &last)) {
			snprintf(w->name, sizeof(w->name), ".");
			break;
		}
		if (last)
			break;
		rc = descend(w);
	}
out:
	if (rc != OTP_OK) {
		walk_free(w);
		return rc;
	}
	*out = w;
	return OTP_OK;
}

int otp_check_fd(int fd, const char *path, int want_dir, mode_t forbid)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return otp_seterr(OTP_EPERM, "%s: not a %s", path,
				  want_dir ? "directory" : "regular file");
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return otp_seterr(OTP_EPERM, "%s: owned by uid %u, not root", path,
				  (unsigned)st.st_uid);
	if ((st.st_mode & forbid) != 0)
		return otp_seterr(OTP_EPERM, "%s: mode %04o is too open (must not have %04o)",
				  path, (unsigned)(st.st_mode & 07777), (unsigned)forbid);
	return OTP_OK;
}

static int open_error(const struct walk *w, const char *path, int e)
{
	struct stat st;

	if (e == ENOENT)
		return otp_seterr(OTP_ENOTFOUND, "%s: no such file", path);
	/* O_DIRECTORY on a symlink says ENOTDIR, not ELOOP */
	if (e == ELOOP || (fstatat(w->fd, w->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			   S_ISLNK(st.st_mode)))
		return otp_seterr(OTP_EPERM, "%s: is a symlink", path);
	if (e == ENOTDIR)
		return otp_seterr(OTP_EPERM, "%s: not a directory", path);
	return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(e));
}

int otp_open_checked(const char *path, int flags, mode_t forbid, int *fd)
{
	struct walk *w;
	int f, rc;

	rc = walk_to_parent(path, &w);
	if (rc != OTP_OK)
		return rc;
	/* O_NONBLOCK: a FIFO put in our place must not hang a login */
	f = openat(w->fd, w->name, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (f < 0) {
		rc = open_error(w, path, errno);
	} else {
		rc = otp_check_fd(f, path, (flags & O_DIRECTORY) != 0, forbid);
		if (rc == OTP_OK && (flags & O_NONBLOCK) == 0 &&
		    fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK) != 0)
			rc = otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
		if (rc != OTP_OK)
			close(f);
		else
			*fd = f;
	}
	walk_free(w);
	return rc;
}

int otp_create_checked(const char *path, int flags, mode_t mode, int *fd)
{
	struct walk *w;
	int f, rc = OTP_OK;

	rc = walk_to_parent(path, &w);
	if (rc != OTP_OK)
		return rc;
	f = openat(w->fd, w->name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		   mode);
	if (f < 0 && errno == EEXIST)
		rc = otp_seterr(OTP_EEXIST, "%s: already exists", path);
	else if (f < 0)
		rc = otp_seterr(errno == ENOENT ? OTP_ENOTFOUND : OTP_EIO, "%s: %s", path,
				otp_syserr(errno));
	else
		*fd = f;
	walk_free(w);
	return rc;
}

int otp_mkdir_checked(const char *path, mode_t mode)
{
	struct walk *w;
	int rc;

	rc = walk_to_parent(path, &w);
	if (rc != OTP_OK)
		return rc;
	if (mkdirat(w->fd, w->name, mode) != 0 && errno != EEXIST)
		rc = otp_seterr(errno == ENOENT ? OTP_ENOTFOUND : OTP_EIO, "%s: %s", path,
				otp_syserr(errno));
	walk_free(w);
	return rc;
}

int otp_same_file_at(int dirfd, const char *name, int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &b) != 0)
		return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	if (fstatat(dirfd, name, &a, AT_SYMLINK_NOFOLLOW) != 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return otp_seterr(OTP_EPERM, "%s: not the file that was checked", path);
	return OTP_OK;
}

int otp_file_id_of(int fd, const char *path, struct otp_file_id *id)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	memset(id, 0, sizeof(*id));
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	id->ctime = st.st_ctim;
	return OTP_OK;
}

int otp_file_id_same(const struct otp_file_id *a, const struct otp_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int otp_file_check(const char *path, int flags, mode_t forbid, struct otp_file_id *id)
{
	int fd, rc = otp_open_checked(path, flags, forbid, &fd);

	if (rc != OTP_OK)
		return rc;
	rc = otp_file_id_of(fd, path, id);
	close(fd);
	return rc;
}
