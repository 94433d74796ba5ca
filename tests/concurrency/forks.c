/*
 * forks - a PAM host that forks after authenticating, with the module
 * (and its store handle) loaded in the parent.
 *
 *   forks SERVICE T K quiet|busy PREFIX
 *
 * Users are PREFIX followed by p0.., c0 and s0.. (HOTP, RFC 4226 key).
 * The parent logs p0 in (HOTP code 0: the module now holds the store
 * open), then runs T threads: thread t logs p<t+1> in with the HOTP
 * codes 0..K-1, then tries every shared user s0..s<K-1> with its code 0.
 * It forks one child: "quiet" before the threads start, "busy" once they
 * have done T logins between them, so that logins are under way in other
 * threads at the fork. The child (one thread) logs c0 in with the codes
 * 0..K-1 and then tries every shared user too, while the parent goes on.
 * Prints "own=O/WANT child=C/K shared=S/K broken=B": O of the parent's own
 * logins accepted, C of the child's, S shared users accepted exactly once
 * over both processes. Exit 0 unless broken.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pamhost.h"

#define THREADS_MAX 32
#define SHARED_MAX 256

static const char *service, *prefix;
static int nthreads, k, busy;
static atomic_int own_ok, broken, done;
static atomic_int shared_ok[SHARED_MAX];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* One login with HOTP code c: 0 accepted, 1 refused, 2 the run went wrong. */
static int login(const char *user, uint64_t c)
{
	char code[7], name[64];
	struct pam_conv cv_ = { pamhost_conv, code };
	pam_handle_t *h = NULL;
	int rc;

	pamhost_hotp(c, code);
	snprintf(name, sizeof(name), "%s%s", prefix, user);
	if (pam_start(service, name, &cv_, &h) != PAM_SUCCESS)
		return 2;
	rc = pam_authenticate(h, 0);
	pam_end(h, rc);
	return rc == PAM_SUCCESS ? 0 : rc == PAM_AUTH_ERR || rc == PAM_MAXTRIES ? 1 : 2;
}

static void count_done(void)
{
	pthread_mutex_lock(&mu);
	atomic_fetch_add(&done, 1);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Every shared user with its code 0, each acceptance counted in counts. */
static int try_shared(atomic_int *counts)
{
	char user[32];
	int bad = 0;

	for (int i = 0; i < k; i++) {
		int rc;

		snprintf(user, sizeof(user), "s%d", i);
		rc = login(user, 0);
		if (rc == 0)
			atomic_fetch_add(&counts[i], 1);
		bad += rc == 2;
	}
	return bad;
}

static void *parent_thread(void *arg)
{
	int t = (int)(intptr_t)arg, rc;
	char user[32];

	snprintf(user, sizeof(user), "p%d", t + 1);
	for (int c = 0; c < k; c++) {
		rc = login(user, (uint64_t)c);
		atomic_fetch_add(rc == 0 ? &own_ok : &broken, rc != 1 ? 1 : 0);
		count_done();
	}
	atomic_fetch_add(&broken, try_shared(shared_ok));
	return NULL;
}

/* The child: its own user, then the shared ones; down fd "OK BAD BITS",
 * BITS one '0' or '1' per shared user (accepted here). */
static void child(int fd)
{
	static atomic_int mine[SHARED_MAX];
	int ok = 0, bad = 0, rc;
	char line[SHARED_MAX + 64], user[] = "c0";
	size_t o;

	for (int c = 0; c < k; c++) {
		rc = login(user, (uint64_t)c);
		ok += rc == 0;
		bad += rc == 2;
	}
	bad += try_shared(mine);
	o = (size_t)snprintf(line, sizeof(line), "%d %d ", ok, bad);
	for (int i = 0; i < k; i++)
		line[o++] = (char)('0' + atomic_load(&mine[i]));
	line[o++] = '\n';
	line[o] = '\0';
	if (write(fd, line, strlen(line)) < 0)
		_exit(3);
	/* Quiet: exit(), so that the module's exit handler runs in the child
	 * too (and a leak checker looks at it). Busy: the other threads'
	 * logins under way at the fork left their memory in the child without
	 * the stacks that held it, which a leak checker would call lost. */
	if (busy)
		_exit(0);
	exit(0);
}

static pid_t fork_child(int fds[2])
{
	pid_t pid = fork();

	if (pid == 0) {
		close(fds[0]);
		child(fds[1]);
	}
	return pid;
}

/* Each shared user must be accepted exactly once over both processes. */
static int report(int fd, pid_t pid)
{
	char line[SHARED_MAX + 64] = "", bits[SHARED_MAX + 1] = "";
	int c_ok = 0, c_bad = 0, status = 0, once = 0;
	ssize_t got = read(fd, line, sizeof(line) - 1);

	waitpid(pid, &status, 0);
	if (got <= 0 || sscanf(line, "%d %d %256s", &c_ok, &c_bad, bits) != 3 ||
	    strlen(bits) != (size_t)k || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		atomic_fetch_add(&broken, 1);
	atomic_fetch_add(&broken, c_bad);
	for (int i = 0; i < k && bits[i] != '\0'; i++)
		once += atomic_load(&shared_ok[i]) + (bits[i] == '1') == 1;
	printf("own=%d/%d child=%d/%d shared=%d/%d broken=%d\n", atomic_load(&own_ok),
	       nthreads * k + 1, c_ok, k, once, k, atomic_load(&broken));
	fflush(stdout);
	return atomic_load(&broken) ? 1 : 0;
}

int main(int argc, char **argv)
{
	pthread_t id[THREADS_MAX];
	int fds[2], rc;
	pid_t pid = -1;

	if (argc != 6 || (nthreads = atoi(argv[2])) < 1 || nthreads > THREADS_MAX ||
	    (k = atoi(argv[3])) < 1 || k > SHARED_MAX || pipe(fds) != 0) {
		fprintf(stderr, "usage: forks SERVICE THREADS K quiet|busy PREFIX\n");
		return 2;
	}
	service = argv[1];
	prefix = argv[5];
	busy = strcmp(argv[4], "busy") == 0;
	rc = login("p0", 0);
	atomic_fetch_add(rc == 0 ? &own_ok : &broken, rc != 1 ? 1 : 0);
	if (!busy && (pid = fork_child(fds)) < 0)
		return 2;
	for (int t = 0; t < nthreads; t++) {
		if (pthread_create(&id[t], NULL, parent_thread, (void *)(intptr_t)t) != 0)
			return 2;
	}
	if (busy) {  /* fork with logins under way in the other threads */
		pthread_mutex_lock(&mu);
		while (atomic_load(&done) < nthreads)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		if ((pid = fork_child(fds)) < 0)
			return 2;
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(id[t], NULL);
	close(fds[1]);
	return report(fds[0], pid);
}
