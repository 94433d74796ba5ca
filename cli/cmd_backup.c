#include "ctl.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A target that exists is a usage error, a missing directory "not found". */
static int open_code(int err)
{
	switch (err) {
	case EEXIST: return EX_USAGE_;
	case ENOENT: case ENOTDIR: return EX_NOTFOUND;
	case EACCES: case EPERM: return EX_PERM;
	default: return EX_STORE;
	}
}

/*
 * A compacted copy in one read transaction (otp_store_backup): consistent,
 * and logins go on while it is written.
 */
int cmd_backup(struct ctl *c, int argc, char **argv)
{
	char why[256] = "";
	struct stat st;
	int fd, rc;

	if (argc != 2)
		return ctl_usage(c, EX_USAGE_);
	rc = ctl_open(c, 0);
	if (rc != 0)
		return rc;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ctl_fail(c, open_code(errno), "%s: %s%s", argv[1], strerror(errno),
				errno == EEXIST ? " (not overwritten)" : "");
	rc = otp_store_backup(c->st, fd);
	if (rc != OTP_OK)
		snprintf(why, sizeof(why), "%s", otp_errdetail());
	else if (fsync(fd) != 0)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	else
		fstat(fd, &st);
	close(fd);
	if (why[0] != '\0') {
		unlink(argv[1]);
		return ctl_fail(c, EX_STORE, "%s: %s", argv[1], why);
	}
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:I}", "backup", argv[1], "bytes",
						(json_int_t)st.st_size));
	printf("backup written to %s (%lld bytes)\n", argv[1], (long long)st.st_size);
	return 0;
}
