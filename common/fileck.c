#include "fileck.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int otp_check_fd(int fd, const char *path, int want_dir, mode_t forbid)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return otp_seterr(OTP_EIO, "%s: %s", path, strerror(errno));
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

int otp_open_checked(const char *path, int flags, mode_t forbid, int *fd)
{
	struct stat st;
	int f, rc;

	f = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (f < 0) {
		int e = errno;

		if (e == ENOENT)
			return otp_seterr(OTP_ENOTFOUND, "%s: no such file", path);
		/* O_DIRECTORY on a symlink says ENOTDIR, not ELOOP */
		if (e == ELOOP || (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
			return otp_seterr(OTP_EPERM, "%s: is a symlink", path);
		if (e == ENOTDIR)
			return otp_seterr(OTP_EPERM, "%s: not a directory", path);
		return otp_seterr(OTP_EIO, "%s: %s", path, strerror(e));
	}
	rc = otp_check_fd(f, path, (flags & O_DIRECTORY) != 0, forbid);
	if (rc != OTP_OK) {
		close(f);
		return rc;
	}
	*fd = f;
	return OTP_OK;
}
