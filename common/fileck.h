/*
 * fileck.h - open files the way a PAM module must: never through a
 * symlink, never a file another user could have written.
 */
#ifndef OTP_FILECK_H
#define OTP_FILECK_H

#include <sys/types.h>

/* Mode bits that make a file unsafe for each kind of file we read. */
#define OTP_FORBID_CONFIG  0022   /* config: writable by group/other */
#define OTP_FORBID_PRIVATE 0077   /* seal key, store: any group/other access */

/*
 * otp_open_checked - open path with O_NOFOLLOW|O_CLOEXEC (plus flags, e.g.
 * O_RDONLY or O_DIRECTORY) and check on the open descriptor that it is a
 * regular file (a directory when flags has O_DIRECTORY), owned by root or
 * by the effective user (a non-root administrator running tests can only be
 * deceived by their own files), and has none of the forbid mode bits.
 *
 * fd: receives the open descriptor, owned by the caller, on success.
 * Returns OTP_OK; OTP_ENOTFOUND when path does not exist; OTP_EPERM when it
 * is a symlink, of the wrong type, owner or mode; OTP_EIO otherwise.
 * The detail names the path and the problem.
 */
int otp_open_checked(const char *path, int flags, mode_t forbid, int *fd);

/*
 * otp_check_fd - the same owner/type/mode checks on an open descriptor.
 * want_dir: nonzero to require a directory, zero for a regular file.
 * Returns OTP_OK, OTP_EPERM or OTP_EIO; the detail names path.
 */
int otp_check_fd(int fd, const char *path, int want_dir, mode_t forbid);

#endif
