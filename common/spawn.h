/*
 * spawn.h - run a program to completion or to a deadline: bytes on its
 * stdin, its stdout thrown away, the start of its stderr kept, in its own
 * process group, optionally as another user. The engine under deliver.h.
 */
#ifndef OTP_SPAWN_H
#define OTP_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#define OTP_SPAWN_ERR_MAX 1024  /* bytes of stderr kept, NUL included */

/* What to run. Everything is prepared by the caller before the fork. */
struct otp_spawn {
	const char *path;       /* absolute path of the program (no PATH search) */
	char *const *argv;      /* NULL-terminated; argv[0] as the program sees it */
	char *const *envp;      /* NULL-terminated: its whole environment */
	int drop;               /* nonzero: become uid/gid (the caller is root) */
	uid_t uid;              /* with drop: never 0 */
	gid_t gid;              /* with drop: the only group left (setgroups) */
	const char *in;         /* written to its stdin, then stdin is closed */
	size_t inlen;           /* bytes at in */
	unsigned timeout;       /* seconds from the fork; then SIGKILL to the group */
};

/* How it went. */
struct otp_spawn_out {
	int started;            /* execve succeeded */
	int exited;             /* it exited: status holds the exit status */
	int status;
	int signal;             /* the signal that ended it, 0 none */
	int timed_out;          /* killed (with its group) at the deadline */
	int lost;               /* ended, but its status was taken by someone else */
	const char *stage;      /* !started: the step that failed ("execve", "setuid", ...) */
	int err;                /* !started: that step's errno */
	char stderr_text[OTP_SPAWN_ERR_MAX]; /* the start of its stderr, raw bytes, NUL-ended */
	size_t stderr_len;      /* bytes of it (a NUL in it is kept as a byte) */
};

/*
 * otp_spawn_run - fork and execve sp->path. The child gets default signal
 * dispositions and an empty signal mask, its own process group, "/" as
 * working directory, only fds 0, 1, 2 (stdin: a socket carrying sp->in,
 * stdout: /dev/null, stderr: a pipe to us); with sp->drop it takes
 * sp->gid as its only group, then sp->gid and sp->uid, and stops before
 * execve unless it can no longer become root. The parent writes stdin and
 * reads stderr without blocking until the child is reaped (by its pid,
 * never wait(-1)) or sp->timeout seconds (monotonic clock) have passed:
 * then SIGKILL goes to the child's group and the child is reaped.
 * A child that exits without reading its stdin is not an error; nothing
 * of a write to a closed stdin reaches the caller as SIGPIPE. While
 * children run, SIGCHLD is held at its default disposition so that a host
 * that ignores it (auto-reaping) or reaps in a handler cannot take the
 * status; the host's disposition is restored when the last one is reaped.
 * Safe in threads (each call waits for its own child only).
 * Returns OTP_OK when the program ran or could not start (out says how);
 * OTP_EINVAL (no path, argv or envp; a drop to uid 0); OTP_EIO (a pipe,
 * socket or fork failed: detail names the call).
 */
int otp_spawn_run(const struct otp_spawn *sp, struct otp_spawn_out *out);

#endif
