/*
 * Files that can leak a seed or be swapped under us: every directory above
 * the config, seal key and store is checked from / down (sticky directories
 * as /tmp accepted, symlinks on the way resolved and checked), the store's
 * data file is the one checked, and import files are regular files read
 * with bounded lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileck.h"
#include "import.h"
#include "store.h"

#define NOBODY 65534

static char base[64];

/* path of a name under base, in one of a few rotating buffers */
static const char *at(const char *name)
{
	static char buf[4][256];
	static unsigned i;
	char *p = buf[i++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", base, name);
	return p;
}

static void mkdir_mode(const char *name, mode_t mode)
{
	assert_int_equal(mkdir(at(name), 0700), 0);
	assert_int_equal(chmod(at(name), mode), 0);
}

static void file(const char *name)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
}

/* open name under base for reading as the config is; rc and detail */
static int try_open(const char *name)
{
	int fd = -1, rc = otp_open_checked(at(name), O_RDONLY, OTP_FORBID_CONFIG, &fd);

	if (rc == OTP_OK)
		close(fd);
	return rc;
}

static void detail_has(const char *want)
{
	if (strstr(otp_errdetail(), want) == NULL)
		fail_msg("detail '%s' lacks '%s'", otp_errdetail(), want);
}

static int setup(void **state)
{
	(void)state;
	strcpy(base, "/tmp/otp-fileck-XXXXXX");
	assert_non_null(mkdtemp(base));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void safe_tree_opens(void **state)
{
	(void)state;
	mkdir_mode("a", 0755);
	mkdir_mode("a/b", 0700);
	file("a/b/f");
	assert_int_equal(try_open("a/b/f"), OTP_OK);
	assert_int_equal(try_open("a/b/missing"), OTP_ENOTFOUND);
	assert_int_equal(try_open("nodir/f"), OTP_ENOTFOUND);
	detail_has("nodir: no such directory");
	/* extra slashes, "." and ".." are walked like the kernel walks them */
	assert_int_equal(try_open("a//./b/../b/f"), OTP_OK);
}

static void writable_directory_refused(void **state)
{
	(void)state;
	mkdir_mode("open", 0777);
	mkdir_mode("open/deep", 0755);
	file("open/deep/f");
	mkdir_mode("grp", 0775);
	file("grp/f");
	assert_int_equal(try_open("open/deep/f"), OTP_EPERM);
	detail_has(at("open: directory writable by group/other"));
	assert_int_equal(try_open("grp/f"), OTP_EPERM);
	detail_has(at("grp: directory writable by group/other"));
	/* ".." does not get around it */
	mkdir_mode("ok", 0755);
	assert_int_equal(try_open("ok/../open/deep/f"), OTP_EPERM);
	detail_has("open: directory writable by group/other");
}

static void sticky_directory_accepted(void **state)
{
	(void)state;
	mkdir_mode("tmp", 01777);
	mkdir_mode("tmp/sub", 0755);
	file("tmp/f");
	file("tmp/sub/f");
	assert_int_equal(try_open("tmp/f"), OTP_OK);
	assert_int_equal(try_open("tmp/sub/f"), OTP_OK);
}

static void foreign_owner_refused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	mkdir_mode("theirs", 0755);
	file("theirs/f");
	assert_int_equal(chown(at("theirs"), NOBODY, 0), 0);
	assert_int_equal(try_open("theirs/f"), OTP_EPERM);
	detail_has(at("theirs: directory owned by uid 65534, not root"));
	/* a sticky directory is safe only for entries that are root's */
	mkdir_mode("tmp", 01777);
	mkdir_mode("tmp/sub", 0755);
	file("tmp/sub/f");
	assert_int_equal(chown(at("tmp/sub"), NOBODY, 0), 0);
	assert_int_equal(try_open("tmp/sub/f"), OTP_EPERM);
	detail_has("tmp/sub: directory owned by uid 65534");
	/* and a symlink there must be too */
	mkdir_mode("real", 0755);
	file("real/f");
	assert_int_equal(symlink(at("real"), at("tmp/link")), 0);
	assert_int_equal(lchown(at("tmp/link"), NOBODY, 0), 0);
	assert_int_equal(try_open("tmp/link/f"), OTP_EPERM);
	detail_has("tmp/link: symlink owned by uid 65534");
}

static void symlinked_directories_resolved_and_checked(void **state)
{
	(void)state;
	mkdir_mode("real", 0755);
	file("real/f");
	mkdir_mode("open", 0777);
	mkdir_mode("open/in", 0755);
	file("open/in/f");
	assert_int_equal(symlink("real", at("rel")), 0);          /* relative target */
	assert_int_equal(symlink(at("real"), at("abs")), 0);      /* absolute target */
	assert_int_equal(symlink("open/in", at("bad")), 0);
	assert_int_equal(symlink("rel", at("chain")), 0);
	assert_int_equal(try_open("rel/f"), OTP_OK);
	assert_int_equal(try_open("abs/f"), OTP_OK);
	assert_int_equal(try_open("chain/f"), OTP_OK);
	/* where the link leads is checked: the open directory is named */
	assert_int_equal(try_open("bad/f"), OTP_EPERM);
	detail_has(at("open: directory writable by group/other"));
	/* the file itself behind a symlink: refused as before */
	assert_int_equal(symlink(at("real/f"), at("flink")), 0);
	assert_int_equal(try_open("flink"), OTP_EPERM);
	detail_has("flink: is a symlink");
	/* a loop ends */
	assert_int_equal(symlink("loop2", at("loop1")), 0);
	assert_int_equal(symlink("loop1", at("loop2")), 0);
	assert_int_equal(try_open("loop1/f"), OTP_ETOOLONG);
}

static void relative_path_walks_from_root(void **state)
{
	char cwd[4096];
	int fd = -1;

	(void)state;
	mkdir_mode("open", 0777);
	mkdir_mode("open/in", 0755);
	file("open/in/f");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(at("open/in")), 0);
	assert_int_equal(otp_open_checked("f", O_RDONLY, OTP_FORBID_CONFIG, &fd), OTP_EPERM);
	detail_has("open: directory writable by group/other");
	assert_int_equal(chdir(cwd), 0);
}

static void create_and_mkdir_check_parents(void **state)
{
	int fd = -1;
	struct stat st;

	(void)state;
	mkdir_mode("ok", 0755);
	mkdir_mode("open", 0777);
	assert_int_equal(otp_create_checked(at("ok/key"), O_WRONLY, 0400, &fd), OTP_OK);
	close(fd);
	assert_int_equal(otp_create_checked(at("ok/key"), O_WRONLY, 0400, &fd), OTP_EEXIST);
	assert_int_equal(otp_create_checked(at("open/key"), O_WRONLY, 0400, &fd), OTP_EPERM);
	assert_int_equal(lstat(at("open/key"), &st), -1);  /* nothing made there */
	assert_int_equal(otp_mkdir_checked(at("ok/d"), 0700), OTP_OK);
	assert_int_equal(otp_mkdir_checked(at("ok/d"), 0700), OTP_OK);
	assert_int_equal(otp_mkdir_checked(at("open/d"), 0700), OTP_EPERM);
	assert_int_equal(lstat(at("open/d"), &st), -1);
}

static void store_under_open_directory_refused(void **state)
{
	struct otp_store *st = NULL;

	(void)state;
	mkdir_mode("open", 0777);
	assert_int_equal(otp_store_open(at("open/store"), 16, OTP_STORE_CREATE, &st), OTP_EPERM);
	detail_has("open: directory writable by group/other");
	assert_null(st);
	mkdir_mode("tmp", 01777);
	assert_int_equal(otp_store_open(at("tmp/store"), 16, OTP_STORE_CREATE, &st), OTP_OK);
	otp_store_close(st);
}

/* What the store checks after LMDB opened by path: the data file it has
 * open (here opened by path the same way) must be the checked
 * directory's data.mdb. */
static void data_file_must_be_the_checked_one(void **state)
{
	struct otp_store *a = NULL, *b = NULL;
	int efd, da, db;

	(void)state;
	mkdir_mode("p", 0755);
	assert_int_equal(otp_store_open(at("p/a"), 16, OTP_STORE_CREATE, &a), OTP_OK);
	assert_int_equal(otp_store_open(at("p/b"), 16, OTP_STORE_CREATE, &b), OTP_OK);
	efd = open(at("p/a/data.mdb"), O_RDONLY | O_CLOEXEC);
	assert_true(efd >= 0);
	assert_int_equal(otp_open_checked(at("p/a"), O_RDONLY | O_DIRECTORY, OTP_FORBID_PRIVATE,
					  &da), OTP_OK);
	assert_int_equal(otp_open_checked(at("p/b"), O_RDONLY | O_DIRECTORY, OTP_FORBID_PRIVATE,
					  &db), OTP_OK);
	assert_int_equal(otp_same_file_at(da, "data.mdb", efd, "a/data.mdb"), OTP_OK);
	assert_int_equal(otp_same_file_at(db, "data.mdb", efd, "b/data.mdb"), OTP_EPERM);
	detail_has("b/data.mdb: not the file that was checked");
	assert_int_equal(otp_same_file_at(da, "lock.mdb", efd, "a/lock.mdb"), OTP_EPERM);
	assert_int_equal(otp_same_file_at(da, "gone", efd, "a/gone"), OTP_EPERM);
	close(da);
	close(db);
	close(efd);
	otp_store_close(a);
	otp_store_close(b);
}

static void import_open_regular_files_only(void **state)
{
	int fd = -1;

	(void)state;
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	/* returns at once: no writer is waited for */
	assert_int_equal(otp_import_open(at("fifo"), NULL, 1000, &fd), OTP_EPERM);
	detail_has("fifo: not a regular file");
	assert_int_equal(otp_import_open("/dev/zero", NULL, 1000, &fd), OTP_EPERM);
	file("f");
	assert_int_equal(symlink(at("f"), at("link")), 0);
	assert_int_equal(otp_import_open(at("link"), NULL, 1000, &fd), OTP_EPERM);
	detail_has("link: is a symlink");
	assert_int_equal(otp_import_open(at("f"), NULL, 1, &fd), OTP_ETOOLONG);
	assert_int_equal(otp_import_open(at("f"), NULL, 2, &fd), OTP_OK);
	/* blocking again, for stdio */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	assert_int_equal(chmod(at("f"), 0664), 0);
	assert_int_equal(otp_import_open(at("f"), NULL, 2, &fd), OTP_EPERM);
	detail_has("writable by group/other");
	assert_int_equal(otp_import_open(at("missing"), NULL, 2, &fd), OTP_ENOTFOUND);
}

static void import_owner_is_root_or_the_user(void **state)
{
	int fd = -1;

	(void)state;
	if (geteuid() != 0)
		skip();
	file("ga");
	assert_int_equal(chown(at("ga"), NOBODY, NOBODY), 0);
	assert_int_equal(otp_import_open(at("ga"), "root", 100, &fd), OTP_EPERM);
	detail_has("owned by uid 65534, not root or you");
	assert_int_equal(otp_import_open(at("ga"), "nobody", 100, &fd), OTP_OK);
	close(fd);
	assert_int_equal(otp_import_open(at("ga"), "no-such-user-here", 100, &fd), OTP_EPERM);
}

static void import_lines_are_bounded(void **state)
{
	char buf[8];
	int toolong;
	FILE *fp;

	(void)state;
	/* "abcdef\n" fits 8 bytes; "0123456789\n" does not; "xyzuvwq" (7
	 * bytes, no newline at the end of the file) fits exactly */
	fp = fmemopen((void *)"abcdef\n0123456789\nok\nxyzuvwq", 28, "r");
	assert_non_null(fp);
	assert_int_equal(otp_import_getline(fp, buf, sizeof(buf), &toolong), 1);
	assert_string_equal(buf, "abcdef\n");
	assert_int_equal(toolong, 0);
	assert_int_equal(otp_import_getline(fp, buf, sizeof(buf), &toolong), 1);
	assert_int_equal(toolong, 1);
	assert_int_equal(otp_import_getline(fp, buf, sizeof(buf), &toolong), 1);
	assert_string_equal(buf, "ok\n");
	assert_int_equal(toolong, 0);
	assert_int_equal(otp_import_getline(fp, buf, sizeof(buf), &toolong), 1);
	assert_string_equal(buf, "xyzuvwq");
	assert_int_equal(toolong, 0);
	assert_int_equal(otp_import_getline(fp, buf, sizeof(buf), &toolong), 0);
	fclose(fp);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(safe_tree_opens),
		T(writable_directory_refused),
		T(sticky_directory_accepted),
		T(foreign_owner_refused),
		T(symlinked_directories_resolved_and_checked),
		T(relative_path_walks_from_root),
		T(create_and_mkdir_check_parents),
		T(store_under_open_directory_refused),
		T(data_file_must_be_the_checked_one),
		T(import_open_regular_files_only),
		T(import_owner_is_root_or_the_user),
		T(import_lines_are_bounded),
	};

	return cmocka_run_group_tests_name("fileck", tests, NULL, NULL);
}
