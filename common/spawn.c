/*
 * spawn.c - fork, execve and watch one program under a deadline.
 *
 * The caller may be a multi-threaded PAM host: between fork and execve the
 * child makes only async-signal-safe calls, on data prepared before the
 * fork. Its stdin is one end of a socketpair written with
 * send(MSG_NOSIGNAL): a command that exits without reading makes the send
 * fail with EPIPE instead of raising SIGPIPE in the host, and no thread's
 * signal mask or the process's dispositions need to change for it (a
 * blocked-then-consumed SIGPIPE on a pipe would race with a SIGPIPE the
 * host itself is due). Any reader of stdin copes with a socket.
 * The child's end is seen through a pidfd in the same poll as its stdin
 * and stderr, so no SIGCHLD handler is needed; a kernel without pidfds
 * (before 5.3) falls back to a short waitpid(WNOHANG) tick.
 */
#include "spawn.h"

#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define TICK_MS 50            /* waitpid tick without a pidfd */
#define FD_SCAN_MAX (1 << 20) /* fds marked one by one without close_range */

/* The fds of one run; -1 when closed. */
struct fds {
	int in[2];    /* socketpair: [0] ours, [1] the child's stdin */
	int err[2];   /* pipe: [0] ours, [1] the child's stderr */
	int rep[2];   /* pipe, close-on-exec: the child's report of a failed step */
	int null;     /* /dev/null, the child's stdout */
	int pidfd;
};

/* Prepared before the fork: the child computes nothing. */
struct plan {
	const struct otp_spawn *sp;
	struct sigaction dfl;
	sigset_t none;
	int maxfd;
};

/* What the child writes on rep[1] when it cannot reach execve. */
struct report {
	int stage;
	int err;
};

enum { ST_EXEC, ST_PGID, ST_GROUPS, ST_GID, ST_UID, ST_CHECK, ST_CHDIR, ST_DUP, ST_N };
static const char *const stage_names[ST_N] = {
	"execve", "setpgid", "setgroups", "setgid", "setuid", "root not dropped", "chdir /", "dup2",
};

/* --- SIGCHLD at its default while children run ------------------------ */

/*
 * A host that ignores SIGCHLD has its children reaped by the kernel, and
 * one that reaps in a handler (waitpid(-1)) takes their status: either
 * would hide the command's exit status (pam_unix guards its helper the
 * same way). Counted, so that concurrent runs in threads restore the
 * host's disposition once, after the last of them.
 */
static pthread_mutex_t chld_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t chld_once = PTHREAD_ONCE_INIT;
static unsigned chld_users;
static struct sigaction chld_saved;

static void chld_prepare(void)
{
	pthread_mutex_lock(&chld_lock);
}

static void chld_parent(void)
{
	pthread_mutex_unlock(&chld_lock);
}

/* A child forked by the host while runs were going on has none of them:
 * it gets the host's disposition back. */
static void chld_child(void)
{
	if (chld_users > 0)
		(void)sigaction(SIGCHLD, &chld_saved, NULL);
	chld_users = 0;
	pthread_mutex_unlock(&chld_lock);
}

static void chld_atfork(void)
{
	(void)pthread_atfork(chld_prepare, chld_parent, chld_child);
}

static void chld_hold(void)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)pthread_once(&chld_once, chld_atfork);
	pthread_mutex_lock(&chld_lock);
	if (chld_users++ == 0)
		(void)sigaction(SIGCHLD, &dfl, &chld_saved);
	pthread_mutex_unlock(&chld_lock);
}

static void chld_release(void)
{
	pthread_mutex_lock(&chld_lock);
	if (--chld_users == 0)
		(void)sigaction(SIGCHLD, &chld_saved, NULL);
	pthread_mutex_unlock(&chld_lock);
}

/* --- the child --------------------------------------------------------- */

static void __attribute__((noreturn)) child_fail(int rep, int stage)
{
	struct report r = { stage, errno };
	ssize_t n = write(rep, &r, sizeof(r));

	(void)n;  /* nobody to tell if the parent is gone */
	_exit(127);
}

/* Default dispositions (ignored signals stay ignored across execve
 * otherwise), then nothing blocked: the command starts as from a shell. */
static void child_signals(const struct plan *p)
{
	for (int s = 1; s < NSIG; s++)
		(void)sigaction(s, &p->dfl, NULL);  /* SIGKILL, SIGSTOP, libc's own: EINVAL */
	(void)sigprocmask(SIG_SETMASK, &p->none, NULL);
}

static void child_identity(const struct otp_spawn *sp, int rep)
{
	/* a host that is not root may hold ambient capabilities: not for the
	 * command (prctl is a plain system call, safe after fork) */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);
	if (!sp->drop)
		return;
	if (setgroups(1, &sp->gid) != 0)
		child_fail(rep, ST_GROUPS);
	if (setgid(sp->gid) != 0)
		child_fail(rep, ST_GID);
	if (setuid(sp->uid) != 0)
		child_fail(rep, ST_UID);
	/* a setuid that half worked must not run the command with root left */
	if (getuid() != sp->uid || geteuid() != sp->uid || getgid() != sp->gid ||
	    getegid() != sp->gid || setuid(0) == 0) {
		errno = EPERM;
		child_fail(rep, ST_CHECK);
	}
}

/* fds 0..2; everything else the host has open is closed by execve */
static void child_fds(const struct plan *p, const struct fds *f, int rep)
{
	if (dup2(f->in[1], 0) < 0 || dup2(f->null, 1) < 0 || dup2(f->err[1], 2) < 0)
		child_fail(rep, ST_DUP);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	for (int fd = 3; fd < p->maxfd; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void __attribute__((noreturn)) child(const struct plan *p, const struct fds *f)
{
	int rep = f->rep[1];

	child_signals(p);
	if (setpgid(0, 0) != 0)
		child_fail(rep, ST_PGID);
	child_identity(p->sp, rep);
	if (chdir("/") != 0)
		child_fail(rep, ST_CHDIR);
	child_fds(p, f, rep);
	execve(p->sp->path, p->sp->argv, p->sp->envp);
	child_fail(rep, ST_EXEC);
}

/* --- fds --------------------------------------------------------------- */

static void fds_close(struct fds *f)
{
	int *all[] = { &f->in[0], &f->in[1], &f->err[0], &f->err[1], &f->rep[0], &f->rep[1],
		       &f->null, &f->pidfd };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (*all[i] >= 0)
			close(*all[i]);
		*all[i] = -1;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A host daemon may run with 0..2 closed: ours must not sit there, or the
 * child's dup2 onto 0..2 would overwrite one with another. */
static int above_stdio(int *fd)
{
	int high;

	if (*fd > 2)
		return 0;
	high = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	close(*fd);
	*fd = high;
	return high < 0 ? -1 : 0;
}

static int fds_open(struct fds *f)
{
	int *all[] = { &f->in[0], &f->in[1], &f->err[0], &f->err[1], &f->rep[0], &f->rep[1],
		       &f->null };

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->in) != 0)
		return otp_seterr(OTP_EIO, "delivery: socketpair: %s", otp_syserr(errno));
	if (pipe2(f->err, O_CLOEXEC) != 0 || pipe2(f->rep, O_CLOEXEC) != 0)
		return otp_seterr(OTP_EIO, "delivery: pipe: %s", otp_syserr(errno));
	f->null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (f->null < 0)
		return otp_seterr(OTP_EIO, "delivery: /dev/null: %s", otp_syserr(errno));
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (above_stdio(all[i]) != 0)
			return otp_seterr(OTP_EIO, "delivery: fcntl: %s", otp_syserr(errno));
	}
	/* ours never block: the deadline is kept by poll */
	if (fcntl(f->in[0], F_SETFL, O_NONBLOCK) != 0 || fcntl(f->err[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(f->rep[0], F_SETFL, O_NONBLOCK) != 0)
		return otp_seterr(OTP_EIO, "delivery: fcntl: %s", otp_syserr(errno));
	return OTP_OK;
}

/* --- the parent -------------------------------------------------------- */

struct watch {
	const struct otp_spawn *sp;
	struct fds *f;
	pid_t pid;
	size_t off;          /* bytes of sp->in sent */
	struct report rep;
	size_t replen;       /* bytes of rep read */
	int reaped, lost, killed, wstatus;
	struct otp_spawn_out *out;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* stdin: as much as the socket takes; closed when all is sent (the
 * command's EOF) or when the command is gone */
static void feed(struct watch *w)
{
	while (w->f->in[0] >= 0 && w->off < w->sp->inlen) {
		ssize_t n = send(w->f->in[0], w->sp->in + w->off, w->sp->inlen - w->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			w->off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		} else {
			break;  /* EPIPE, ECONNRESET: it stopped reading, which is its business */
		}
	}
	close_fd(&w->f->in[0]);
}

/* stderr: the start kept, the rest read and dropped so the command never
 * blocks on a full pipe */
static void drain_err(struct watch *w)
{
	char sink[512];
	struct otp_spawn_out *o = w->out;

	while (w->f->err[0] >= 0) {
		size_t room = sizeof(o->stderr_text) - 1 - o->stderr_len;
		char *to = room > 0 ? o->stderr_text + o->stderr_len : sink;
		ssize_t n = read(w->f->err[0], to, room > 0 ? room : sizeof(sink));

		if (n > 0 && room > 0)
			o->stderr_len += (size_t)n;
		else if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		else
			close_fd(&w->f->err[0]);
	}
}

static void drain_rep(struct watch *w)
{
	while (w->f->rep[0] >= 0) {
		ssize_t n = w->replen < sizeof(w->rep) ?
			read(w->f->rep[0], (char *)&w->rep + w->replen, sizeof(w->rep) - w->replen) : 0;

		if (n > 0)
			w->replen += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		else
			close_fd(&w->f->rep[0]);
	}
}

/* By pid only: other children of the host are none of our business. */
static void reap(struct watch *w, int flags)
{
	pid_t r;

	do
		r = waitpid(w->pid, &w->wstatus, flags);
	while (r < 0 && errno == EINTR);
	if (r == w->pid) {
		w->reaped = 1;
	} else if (r < 0) {  /* ECHILD: reaped behind our back despite chld_hold */
		w->reaped = 1;
		w->lost = 1;
	}
}

/* The group first (its children too), then the child itself in case it
 * died before its setpgid; it is still unreaped, so the ids are its own. */
static void kill_all(struct watch *w)
{
	(void)kill(-w->pid, SIGKILL);
	(void)kill(w->pid, SIGKILL);
	w->killed = 1;
	reap(w, 0);
}

static void poll_once(struct watch *w, int ms)
{
	struct pollfd pf[4];
	nfds_t n = 0;
	int r;

	if (w->f->in[0] >= 0)
		pf[n++] = (struct pollfd){ .fd = w->f->in[0], .events = POLLOUT };
	if (w->f->err[0] >= 0)
		pf[n++] = (struct pollfd){ .fd = w->f->err[0], .events = POLLIN };
	if (w->f->rep[0] >= 0)
		pf[n++] = (struct pollfd){ .fd = w->f->rep[0], .events = POLLIN };
	if (w->f->pidfd >= 0)
		pf[n++] = (struct pollfd){ .fd = w->f->pidfd, .events = POLLIN };
	r = poll(pf, n, ms);
	if (r <= 0)
		return;  /* EINTR or the time is up: the loop looks again */
	for (nfds_t i = 0; i < n; i++) {
		if (pf[i].revents == 0)
			continue;
		if (pf[i].fd == w->f->in[0])
			feed(w);
		else if (pf[i].fd == w->f->err[0])
			drain_err(w);
		else if (pf[i].fd == w->f->rep[0])
			drain_rep(w);
	}
}

static void watch(struct watch *w)
{
	uint64_t deadline = now_ms() + (uint64_t)w->sp->timeout * 1000u;

	feed(w);
	for (;;) {
		uint64_t t;
		int ms;

		reap(w, WNOHANG);
		if (w->reaped)
			break;
		t = now_ms();
		if (t >= deadline) {
			kill_all(w);
			break;
		}
		ms = (int)(deadline - t);
		if (w->f->pidfd < 0 && ms > TICK_MS)
			ms = TICK_MS;
		poll_once(w, ms);
	}
	/* what it wrote before it ended is in the pipes; a grandchild that
	 * still holds stderr open is not waited for */
	drain_err(w);
	drain_rep(w);
}

static void conclude(const struct watch *w, struct otp_spawn_out *out)
{
	if (w->replen == sizeof(w->rep) && w->rep.stage >= 0 && w->rep.stage < ST_N) {
		out->stage = stage_names[w->rep.stage];
		out->err = w->rep.err;
	} else {
		out->started = 1;
	}
	out->stderr_text[out->stderr_len] = '\0';
	if (w->lost) {
		out->lost = 1;
	} else if (WIFEXITED(w->wstatus)) {
		out->exited = 1;
		out->status = WEXITSTATUS(w->wstatus);
	} else if (WIFSIGNALED(w->wstatus)) {
		out->signal = WTERMSIG(w->wstatus);
	}
	/* a command that exited on its own just before the deadline was not killed */
	out->timed_out = w->killed && !out->exited;
}

static void plan_init(struct plan *p, const struct otp_spawn *sp)
{
	long max = sysconf(_SC_OPEN_MAX);

	memset(p, 0, sizeof(*p));
	p->sp = sp;
	p->dfl.sa_handler = SIG_DFL;
	sigemptyset(&p->dfl.sa_mask);
	sigemptyset(&p->none);
	p->maxfd = max < 3 || max > FD_SCAN_MAX ? FD_SCAN_MAX : (int)max;
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);  /* close-on-exec by itself */
#else
	(void)pid;
	return -1;
#endif
}

/* fork with every signal blocked: no host handler runs in the child
 * before it has set the defaults */
static pid_t start(const struct plan *p, struct fds *f)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child(p, f);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

int otp_spawn_run(const struct otp_spawn *sp, struct otp_spawn_out *out)
{
	struct fds f = { { -1, -1 }, { -1, -1 }, { -1, -1 }, -1, -1 };
	struct watch w;
	struct plan p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sp == NULL || sp->path == NULL || sp->argv == NULL || sp->envp == NULL ||
	    (sp->in == NULL && sp->inlen != 0) || (sp->drop && sp->uid == 0))
		return otp_seterr(OTP_EINVAL, "delivery: nothing to run, or as root");
	plan_init(&p, sp);
	rc = fds_open(&f);
	if (rc != OTP_OK) {
		fds_close(&f);
		return rc;
	}
	chld_hold();
	memset(&w, 0, sizeof(w));
	w.pid = start(&p, &f);
	if (w.pid < 0) {
		rc = otp_seterr(OTP_EIO, "delivery: fork: %s", otp_syserr(errno));
		chld_release();
		fds_close(&f);
		return rc;
	}
	(void)setpgid(w.pid, w.pid);  /* as the child does: the group exists before any kill */
	close_fd(&f.in[1]);
	close_fd(&f.err[1]);
	close_fd(&f.rep[1]);
	close_fd(&f.null);
	f.pidfd = pidfd_of(w.pid);
	w.sp = sp;
	w.f = &f;
	w.out = out;
	watch(&w);
	chld_release();
	fds_close(&f);
	conclude(&w, out);
	return OTP_OK;
}
