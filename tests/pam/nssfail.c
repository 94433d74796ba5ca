/*
 * nssfail.c - preloaded by tests/pam/test_policy.sh: getgrnam_r of the
 * group named in NSSFAIL_GROUP fails with EIO, as a directory (LDAP,
 * SSSD) that does not answer makes it fail; every other lookup is the C
 * library's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

typedef int (*getgrnam_r_fn)(const char *, struct group *, char *, size_t, struct group **);

int getgrnam_r(const char *name, struct group *grp, char *buf, size_t len,
	       struct group **res)
{
	const char *fail = getenv("NSSFAIL_GROUP");
	getgrnam_r_fn real = (getgrnam_r_fn)dlsym(RTLD_NEXT, "getgrnam_r");

	if (fail != NULL && strcmp(name, fail) == 0) {
		*res = NULL;
		return EIO;
	}
	return real ? real(name, grp, buf, len, res) : ENOSYS;
}
