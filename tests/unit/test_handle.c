/*
 * The process's handles for PAM logins (handle.h): one store handle per
 * store and process, kept across logins and shared by threads; config and
 * key read again when their files change; a store replaced on disk opened
 * anew, never twice; a fresh handle in a forked child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "handle.h"
#include "seal.h"
#include "store.h"

struct fx {
	char dir[64];
	char conf[128], conf2[128], store[128], key[128];
};

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

static void write_conf(const struct fx *f, const char *path, const char *store, const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text), "store = \"%s\"\nseal_key = \"%s\"\npassword = \"none\"\n"
		 "audit { syslog = false }\n%s\n", store, f->key, extra);
	write_file(path, text);
}

static void make_store(const char *path)
{
	struct otp_store *st = NULL;

	assert_int_equal(otp_store_open(path, 16, OTP_STORE_CREATE, &st), OTP_OK);
	otp_store_close(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char spelt[160];

	strcpy(f->dir, "/tmp/otp-handle-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/a.conf", f->dir);
	snprintf(f->conf2, sizeof(f->conf2), "%s/b.conf", f->dir);
	snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/seal.key", f->dir);
	assert_int_equal(otp_seal_key_create(f->key), OTP_OK);
	make_store(f->store);
	write_conf(f, f->conf, f->store, "");
	/* the same store spelt another way */
	snprintf(spelt, sizeof(spelt), "%s/./store/", f->dir);
	write_conf(f, f->conf2, spelt, "");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void acquire(const char *conf, struct otp_handle *h)
{
	int rc = otp_handle_acquire(conf, NULL, 0, h);

	if (rc != OTP_OK)
		fail_msg("acquire %s: %s (%s)", conf, otp_strerror(rc), otp_errdetail());
}

/* One write transaction on h's store: proves it usable. */
static int write_meta(struct otp_store *st, const char *name, const char *val)
{
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 1, &txn);

	if (rc == OTP_OK)
		rc = otp_meta_put(txn, name, (const uint8_t *)val, strlen(val));
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	return otp_txn_commit(txn);
}

static int read_meta(struct otp_store *st, const char *name, char *buf, size_t cap)
{
	struct otp_txn *txn = NULL;
	size_t len = 0;
	int rc = otp_txn_begin(st, 0, &txn);

	if (rc == OTP_OK)
		rc = otp_meta_get(txn, name, (uint8_t *)buf, cap - 1, &len);
	otp_txn_abort(txn);
	buf[rc == OTP_OK ? len : 0] = '\0';
	return rc;
}

static void kept_across_logins(void **state)
{
	struct fx *f = *state;
	struct otp_handle a, b;
	struct otp_store *st;
	const struct otp_config *cfg;

	acquire(f->conf, &a);
	st = a.st;
	cfg = a.cfg;
	otp_handle_release(&a);
	acquire(f->conf, &b);
	assert_ptr_equal(b.st, st);    /* the store stayed open */
	assert_ptr_equal(b.cfg, cfg);  /* the config was not read again */
	assert_int_equal(write_meta(b.st, "t", "1"), OTP_OK);
	otp_handle_release(&b);
}

static void one_store_per_process(void **state)
{
	struct fx *f = *state;
	struct otp_handle a, b;

	acquire(f->conf, &a);
	acquire(f->conf2, &b);  /* another config, the store spelt otherwise */
	assert_ptr_not_equal(a.cfg, b.cfg);
	assert_ptr_equal(a.st, b.st);
	otp_handle_release(&a);
	otp_handle_release(&b);
}

static void config_edit_takes_effect(void **state)
{
	struct fx *f = *state;
	struct otp_handle h;
	struct stat before;
	struct timespec times[2];

	acquire(f->conf, &h);
	assert_int_equal(h.cfg->totp.window, 1);
	otp_handle_release(&h);
	write_conf(f, f->conf, f->store, "totp { window = 2 }");
	acquire(f->conf, &h);
	assert_int_equal(h.cfg->totp.window, 2);
	otp_handle_release(&h);
	/* the same size, the old mtime put back: the change time still tells */
	assert_int_equal(stat(f->conf, &before), 0);
	write_conf(f, f->conf, f->store, "totp { window = 3 }");
	times[0] = before.st_atim;
	times[1] = before.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, f->conf, times, 0), 0);
	acquire(f->conf, &h);
	assert_int_equal(h.cfg->totp.window, 3);
	otp_handle_release(&h);
	/* a bad edit refuses the next login, with the file's own message */
	write_conf(f, f->conf, f->store, "totp { windw = 3 }");
	assert_int_equal(otp_handle_acquire(f->conf, NULL, 0, &h), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "windw"));
	otp_handle_release(&h);  /* harmless on an empty handle */
}

static void unsafe_files_refused_again(void **state)
{
	struct fx *f = *state;
	struct otp_handle h;

	acquire(f->conf, &h);
	otp_handle_release(&h);
	assert_int_equal(chmod(f->conf, 0666), 0);
	assert_int_equal(otp_handle_acquire(f->conf, NULL, 0, &h), OTP_EPERM);
	assert_int_equal(chmod(f->conf, 0644), 0);
	assert_int_equal(chmod(f->key, 0444), 0);
	assert_int_equal(otp_handle_acquire(f->conf, NULL, 0, &h), OTP_EPERM);
	assert_int_equal(chmod(f->key, 0400), 0);
	assert_int_equal(chmod(f->store, 0755), 0);
	assert_int_equal(otp_handle_acquire(f->conf, NULL, 0, &h), OTP_EPERM);
	assert_int_equal(chmod(f->store, 0700), 0);
	acquire(f->conf, &h);
	assert_int_equal(write_meta(h.st, "t", "2"), OTP_OK);
	otp_handle_release(&h);
}

static void new_key_read_at_next_login(void **state)
{
	struct fx *f = *state;
	struct otp_handle a, b;
	struct otp_seal_key old;

	acquire(f->conf, &a);
	old = *a.key;
	assert_int_equal(unlink(f->key), 0);
	assert_int_equal(otp_seal_key_create(f->key), OTP_OK);
	acquire(f->conf, &b);
	assert_memory_not_equal(b.key->k, old.k, sizeof(old.k));
	/* the login that holds the old key still has it intact */
	assert_memory_equal(a.key->k, old.k, sizeof(old.k));
	assert_ptr_equal(a.st, b.st);  /* and both use the one store */
	otp_handle_release(&a);
	otp_handle_release(&b);
	otp_seal_key_wipe(&old);
}

static void replaced_store_opened_anew(void **state)
{
	struct fx *f = *state;
	struct otp_handle h;
	char moved[160], buf[32];

	acquire(f->conf, &h);
	assert_int_equal(write_meta(h.st, "which", "old"), OTP_OK);
	otp_handle_release(&h);
	snprintf(moved, sizeof(moved), "%s/store.old", f->dir);
	assert_int_equal(rename(f->store, moved), 0);
	make_store(f->store);
	acquire(f->conf, &h);
	assert_int_equal(read_meta(h.st, "which", buf, sizeof(buf)), OTP_ENOTFOUND);
	otp_handle_release(&h);
	/* gone altogether: refused, as at a first open */
	snprintf(moved, sizeof(moved), "%s/store.gone", f->dir);
	assert_int_equal(rename(f->store, moved), 0);
	assert_int_equal(otp_handle_acquire(f->conf, NULL, 0, &h), OTP_ENOTFOUND);
}

static void data_file_swapped_under_a_login(void **state)
{
	struct fx *f = *state;
	struct otp_handle a, b;
	char other[160], from[200], to[200], buf[32];

	acquire(f->conf, &a);
	/* another data.mdb moved into the directory, beside the same lock.mdb */
	snprintf(other, sizeof(other), "%s/other", f->dir);
	make_store(other);
	{
		struct otp_store *st = NULL;

		assert_int_equal(otp_store_open(other, 16, 0, &st), OTP_OK);
		assert_int_equal(write_meta(st, "which", "new"), OTP_OK);
		otp_store_close(st);
	}
	snprintf(from, sizeof(from), "%s/data.mdb", other);
	snprintf(to, sizeof(to), "%s/data.mdb", f->store);
	assert_int_equal(rename(from, to), 0);
	/* while a login holds the old one, the new one is not opened beside it */
	assert_int_equal(otp_handle_acquire(f->conf, NULL, 0, &b), OTP_ESTORE);
	assert_non_null(strstr(otp_errdetail(), "replaced"));
	otp_handle_release(&a);
	acquire(f->conf, &b);
	assert_int_equal(read_meta(b.st, "which", buf, sizeof(buf)), OTP_OK);
	assert_string_equal(buf, "new");
	otp_handle_release(&b);
}

/* In the child: exit 0 when everything holds, else the step that failed. */
static int in_child(const struct fx *f, struct otp_store *parents)
{
	struct otp_handle h;
	struct otp_txn *txn = NULL;

	if (otp_txn_begin(parents, 0, &txn) != OTP_ESTORE)
		return 10;  /* the parent's environment must not serve the child */
	if (otp_handle_acquire(f->conf, NULL, 0, &h) != OTP_OK)
		return 11;
	if (h.st == parents)
		return 12;
	if (write_meta(h.st, "child", "yes") != OTP_OK)
		return 13;
	otp_handle_release(&h);
	return 0;
}

static void fork_gets_a_fresh_handle(void **state)
{
	struct fx *f = *state;
	struct otp_handle h;
	struct otp_store *parents;
	char buf[32];
	int status = 0;
	pid_t pid;

	acquire(f->conf, &h);
	parents = h.st;
	otp_handle_release(&h);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(in_child(f, parents));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	acquire(f->conf, &h);  /* the parent's goes on */
	assert_ptr_equal(h.st, parents);
	assert_int_equal(read_meta(h.st, "child", buf, sizeof(buf)), OTP_OK);
	assert_int_equal(write_meta(h.st, "parent", "yes"), OTP_OK);
	otp_handle_release(&h);
}

/* A host that execs a program must not hand it the store it keeps open. */
static void store_not_inherited_by_exec(void **state)
{
	struct fx *f = *state;
	struct otp_handle h;
	char link[300], target[256];
	unsigned seen = 0;
	struct dirent *e;
	DIR *d;

	acquire(f->conf, &h);
	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		ssize_t n;
		int fd = atoi(e->d_name);

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, f->store, strlen(f->store)) != 0)
			continue;
		seen++;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			fail_msg("%s open without close-on-exec", target);
	}
	closedir(d);
	assert_true(seen >= 2);  /* data.mdb and lock.mdb at least */
	otp_handle_release(&h);
}

struct loop {
	const struct fx *f;
	int failures;
};

static void *login_loop(void *arg)
{
	struct loop *l = arg;
	struct otp_handle h;
	char name[32], buf[32];
	int rc;

	snprintf(name, sizeof(name), "t%p", (void *)l);
	for (int i = 0; i < 100; i++) {
		if (otp_handle_acquire(i % 2 ? l->f->conf : l->f->conf2, NULL, 0, &h) != OTP_OK) {
			l->failures++;
			continue;
		}
		rc = i % 3 ? write_meta(h.st, name, "x") : read_meta(h.st, name, buf, sizeof(buf));
		l->failures += rc != OTP_OK && rc != OTP_ENOTFOUND;
		otp_handle_release(&h);
	}
	return NULL;
}

static void threads_share_it(void **state)
{
	struct fx *f = *state;
	pthread_t id[8];
	struct loop l[8];

	for (int t = 0; t < 8; t++) {
		l[t].f = f;
		l[t].failures = 0;
		assert_int_equal(pthread_create(&id[t], NULL, login_loop, &l[t]), 0);
	}
	for (int t = 0; t < 8; t++) {
		pthread_join(id[t], NULL);
		assert_int_equal(l[t].failures, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kept_across_logins, setup, teardown),
		cmocka_unit_test_setup_teardown(one_store_per_process, setup, teardown),
		cmocka_unit_test_setup_teardown(config_edit_takes_effect, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_files_refused_again, setup, teardown),
		cmocka_unit_test_setup_teardown(new_key_read_at_next_login, setup, teardown),
		cmocka_unit_test_setup_teardown(replaced_store_opened_anew, setup, teardown),
		cmocka_unit_test_setup_teardown(data_file_swapped_under_a_login, setup, teardown),
		cmocka_unit_test_setup_teardown(fork_gets_a_fresh_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(store_not_inherited_by_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(threads_share_it, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
