/*
 * outfile.h - files otpctl metrics keeps beside node_exporter's textfile
 * directory: read back checked, replaced atomically.
 */
#ifndef OTPCTL_OUTFILE_H
#define OTPCTL_OUTFILE_H

#include "ctl.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * outfile_dir - open directory dir (not a symlink; owned by root or the
 * effective user; not writable by group/other) into *dfd and, with lock
 * nonzero, take an exclusive lock on it (flock) that lasts until *dfd is
 * closed, so that two runs never interleave. Only dir itself is checked:
 * Debian's /var/lib/prometheus, above the textfile directory, belongs to
 * the prometheus user.
 * Returns 0 or an exit code, the message printed.
 */
int outfile_dir(struct ctl *c, const char *dir, int lock, int *dfd);

/*
 * outfile_read - read name in the directory dfd (path: its name for
 * messages): a regular file, not a symlink, owned by root or the effective
 * user, with none of the forbid mode bits, at most max bytes. *data gets
 * a malloc'd NUL-terminated copy (NULL when the file does not exist) and
 * *len its length. Returns 0 or an exit code, the message printed.
 */
int outfile_read(struct ctl *c, int dfd, const char *name, const char *path, mode_t forbid,
		 size_t max, char **data, size_t *len);

/*
 * outfile_replace - make name in the directory dfd hold the n bytes of
 * data, with mode, atomically: a new file (O_EXCL, never through a
 * symlink) written and synced, then renamed over name, then the directory
 * synced. Readers see the old file or the new one, never a part.
 * Returns 0 or an exit code, the message printed.
 */
int outfile_replace(struct ctl *c, int dfd, const char *name, const char *path, mode_t mode,
		    const char *data, size_t n);

#endif
