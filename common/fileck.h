/*
 * fileck.h - open files the way a PAM module must: never through a
 * symlink, never a file another user could have written, never below a
 * directory another user could have changed.
 *
 * Every directory from / down to a file is checked like sshd's StrictModes:
 * owned by root or the effective user, and not writable by group/other,
 * unless it has the sticky bit (as /tmp): there only the owner of an entry
 * may rename or remove it, and the entry below is required to be root's or
 * the effective user's. A symlink on the way (not the file itself) is
 * followed and the directories it leads to are checked the same way: it
 * sits in a checked directory, so only root (or the effective user) could
 * have placed it, and systems that link /var or /opt elsewhere keep
 * working. The walk goes from descriptor to descriptor (openat), so what
 * was checked is what gets opened, whatever is renamed meanwhile.
 */
#ifndef OTP_FILECK_H
#define OTP_FILECK_H

#include <sys/types.h>
#include <time.h>

/* Mode bits that make a file unsafe for each kind of file we read. */
#define OTP_FORBID_CONFIG  0022   /* config: writable by group/other */
#define OTP_FORBID_PRIVATE 0077   /* seal key, store: any group/other access */

#define OTP_SYMLINKS_MAX 40       /* symlinks followed in one path, as the kernel */

/*
 * otp_open_checked - open path with O_NOFOLLOW|O_CLOEXEC (plus flags, e.g.
 * O_RDONLY or O_DIRECTORY) after checking every directory above it (see
 * the top of this file), and check on the open descriptor that it is a
 * regular file (a directory when flags has O_DIRECTORY), owned by root or
 * by the effective user (a non-root administrator running tests can only be
 * deceived by their own files), and has none of the forbid mode bits.
 * A relative path is taken from the current directory, which is checked
 * from / down as well.
 *
 * fd: receives the open descriptor, owned by the caller, on success.
 * Returns OTP_OK; OTP_ENOTFOUND when path (or a directory above it) does
 * not exist; OTP_EPERM when it is a symlink, of the wrong type, owner or
 * mode, or a directory above it is (detail e.g. "/srv/otp: directory
 * writable by group/other"); OTP_ETOOLONG for a path past PATH_MAX or
 * more than OTP_SYMLINKS_MAX symlinks; OTP_ENOMEM; OTP_EIO otherwise.
 * The detail names the path or the directory and the problem.
 */
int otp_open_checked(const char *path, int flags, mode_t forbid, int *fd);

/*
 * otp_create_checked - create path exclusively (O_CREAT|O_EXCL|O_NOFOLLOW|
 * O_CLOEXEC plus flags, e.g. O_WRONLY) with mode, after checking every
 * directory above it as otp_open_checked does.
 * fd: receives the descriptor, owned by the caller, on success.
 * Returns OTP_OK; OTP_EEXIST when path exists (a symlink included; never
 * replaced); OTP_ENOTFOUND, OTP_EPERM, OTP_ETOOLONG, OTP_ENOMEM, OTP_EIO
 * as otp_open_checked.
 */
int otp_create_checked(const char *path, int flags, mode_t mode, int *fd);

/*
 * otp_mkdir_checked - make directory path with mode after checking every
 * directory above it; an existing one is left as it is (open it with
 * otp_open_checked to check it).
 * Returns OTP_OK, or the errors of otp_create_checked except OTP_EEXIST.
 */
int otp_mkdir_checked(const char *path, mode_t mode);

/*
 * otp_check_fd - the same owner/type/mode checks on an open descriptor.
 * want_dir: nonzero to require a directory, zero for a regular file.
 * Returns OTP_OK, OTP_EPERM or OTP_EIO; the detail names path.
 */
int otp_check_fd(int fd, const char *path, int want_dir, mode_t forbid);

/*
 * otp_same_file_at - whether name in directory dirfd (not followed if a
 * symlink) is the very file open as fd (same device and inode): for a
 * library that reopens by path what was checked through a descriptor.
 * path: the file's name for the detail.
 * Returns OTP_OK; OTP_EPERM when they differ ("PATH: not the file that
 * was checked") or name is gone; OTP_EIO when fd cannot be examined.
 */
int otp_same_file_at(int dirfd, const char *name, int fd, const char *path);

/*
 * A file's identity and version, to tell whether what was read from it
 * once is still what it holds: device, inode, size, and the modification
 * and change times (to the nanosecond; ctime moves with any write, rename
 * into place, chmod or chown, and cannot be set back by touch).
 */
struct otp_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* otp_file_id_of - the identity of the file open as fd. Returns OTP_OK or
 * OTP_EIO (fstat failed; the detail names path). */
int otp_file_id_of(int fd, const char *path, struct otp_file_id *id);

/* otp_file_id_same - 1 when a and b are the same file in the same version, else 0. */
int otp_file_id_same(const struct otp_file_id *a, const struct otp_file_id *b);

/*
 * otp_file_check - open path as otp_open_checked does (every check of it
 * and of the directories above it), take its identity into *id, and close
 * it: for a cache that keeps what it read and must notice both a changed
 * file and one that is no longer safe to read.
 * Returns as otp_open_checked.
 */
int otp_file_check(const char *path, int flags, mode_t forbid, struct otp_file_id *id);

#endif
