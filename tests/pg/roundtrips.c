/*
 * roundtrips.so - preloaded into a PAM host by test_roundtrips.sh: counts
 * the round trips of the process's PostgreSQL connections, as the client
 * lives them. libpq writes with send() and reads with recv(); a round trip
 * is a wait for the server after sending: every first read of data after
 * one or more sends. Sends that are not waited for (a message whose answer
 * is read with a later one) add none. Only sockets whose peer is a
 * PostgreSQL Unix socket (".s.PGSQL.") count. At exit, "SENDS ROUNDTRIPS"
 * is written to the file named by OTP_RT_OUT.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static atomic_long sends, trips;
static atomic_int sent_last;  /* the last counted operation was a send */

static int is_pg(int fd)
{
	struct sockaddr_un a;
	socklen_t n = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getpeername(fd, (struct sockaddr *)&a, &n) != 0 || a.sun_family != AF_UNIX)
		return 0;
	return strstr(a.sun_path, ".s.PGSQL.") != NULL;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);
	ssize_t r;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
	r = real(fd, buf, len, flags);
	if (r > 0 && is_pg(fd)) {
		atomic_fetch_add(&sends, 1);
		atomic_store(&sent_last, 1);
	}
	return r;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	ssize_t r;

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
	r = real(fd, buf, len, flags);
	if (r > 0 && is_pg(fd) && atomic_exchange(&sent_last, 0))
		atomic_fetch_add(&trips, 1);
	return r;
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("OTP_RT_OUT");
	FILE *f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "%ld %ld\n", atomic_load(&sends), atomic_load(&trips));
	fclose(f);
}
