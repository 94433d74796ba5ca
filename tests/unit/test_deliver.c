/* Delivery of out-of-band codes (issue 15): the configured command runs
 * without a shell, placeholders only as whole words, a clean environment,
 * the message on stdin, as oob.run_as (root runs) in its own process
 * group, killed with its children at oob.send_timeout, its exit status
 * and stderr reported safely, whatever the host does with SIGCHLD. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "err.h"

static char dir[64];
static struct otp_config cfg;

#define TO "alice@example.com"

/* DIR/s-name: an executable sh script; "@D" in body stands for DIR.
 * Returns its path (one of a few buffers, so a test may hold several). */
static const char *script(const char *name, const char *body)
{
	static char paths[4][128];
	static unsigned next;
	char *path = paths[next++ % 4];
	char text[4096];
	size_t n = 0;
	FILE *f;

	for (const char *c = body; *c && n + 80 < sizeof(text); c++) {
		if (c[0] == '@' && c[1] == 'D') {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", dir);
			c++;
		} else {
			text[n++] = *c;
		}
	}
	text[n] = '\0';
	snprintf(path, sizeof(paths[0]), "%s/s-%s", dir, name);  /* apart from what it records */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", text);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* The email command: words, the first a program */
static void command(const char *const *words)
{
	cfg.oob.email.argc = 0;
	for (; *words; words++)
		snprintf(cfg.oob.email.argv[cfg.oob.email.argc++], OTP_OOB_ARG_MAX + 1, "%s", *words);
}

static char *slurp(const char *name, size_t *len)
{
	static char buf[300000];
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int exists(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static int deliver(const char *to, const char *user, const char *msg, size_t len,
		   struct otp_delivery_result *res)
{
	return otp_oob_deliver(&cfg, OTP_EMAIL, to, user, "host.example", msg, len, res);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/otp-deliver-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* root's runs are nobody's: the recording files must be writable by it */
	assert_int_equal(chmod(dir, 0777), 0);
	otp_config_defaults(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "/etc/pam_otp.conf");
	cfg.oob.send_timeout = 10;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void whole_words_only(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("argv", "for a; do printf '%s\\n' \"$a\"; done > @D/argv"),
				"%{to}", "x%{to}", "%{user}", "%{host}", "%{to}x", "%{TO}",
				"%{other}", "%{to", NULL };

	(void)state;
	command(words);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_OK);
	assert_string_equal(slurp("argv", NULL), TO "\nx%{to}\nbob\nhost.example\n%{to}x\n"
			    "%{TO}\n%{other}\n%{to\n");
	assert_int_equal(res.ran, 1);
	assert_string_equal(res.why, "");
}

/* Values with shell syntax reach argv as they are: nothing interprets them */
static void no_shell(void **state)
{
	struct otp_delivery_result res;
	char to[128], user[160];
	const char *words[] = { script("argv2", "for a; do printf '%s\\n' \"$a\"; done > @D/argv"),
				"%{to}", "%{user}", NULL };
	char want[300];

	(void)state;
	command(words);
	/* every character here is atext: a valid address */
	snprintf(to, sizeof(to), "`touch${IFS}%s/p1`'&&touch'@example.com", dir);
	snprintf(user, sizeof(user), ";touch %s/p2;$(touch %s/p3)", dir, dir);
	assert_int_equal(deliver(to, user, "m", 1, &res), OTP_OK);
	snprintf(want, sizeof(want), "%s\n%s\n", to, user);
	assert_string_equal(slurp("argv", NULL), want);
	assert_false(exists("p1"));
	assert_false(exists("p2"));
	assert_false(exists("p3"));
	/* a destination that is no address never gets as far as a command */
	assert_int_equal(unlink(strcat(strcpy(want, dir), "/argv")), 0);
	snprintf(to, sizeof(to), "a@example.com;touch %s/p4", dir);
	assert_int_equal(deliver(to, "bob", "m", 1, &res), OTP_EINVAL);
	assert_false(exists("argv"));
	assert_false(exists("p4"));
	/* nor one that a program would read as an option */
	assert_int_equal(deliver("-oQ@example.com", "bob", "m", 1, &res), OTP_EINVAL);
	assert_int_equal(deliver(TO, "-X/tmp/log", "m", 1, &res), OTP_EINVAL);
	assert_false(exists("argv"));
}

static void clean_environment(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("env", "env > @D/env; pwd > @D/pwd"), NULL };
	char *env, *line, *save = NULL;
	int path = 0, lang = 0;

	(void)state;
	setenv("OTP_LEAK", "1", 1);
	setenv("LD_PRELOAD", "", 1);
	command(words);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_OK);
	unsetenv("OTP_LEAK");
	unsetenv("LD_PRELOAD");
	env = slurp("env", NULL);
	assert_non_null(env);
	for (line = strtok_r(env, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		path += strcmp(line, "PATH=/usr/sbin:/usr/bin:/sbin:/bin") == 0;
		lang += strcmp(line, "LANG=C.UTF-8") == 0;
		/* sh itself exports its working directory, which must be / */
		if (strncmp(line, "PATH=", 5) && strncmp(line, "LANG=", 5))
			assert_string_equal(line, "PWD=/");
	}
	assert_int_equal(path, 1);
	assert_int_equal(lang, 1);
	assert_string_equal(slurp("pwd", NULL), "/\n");
}

static void stdin_is_the_message(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("cat", "cat > @D/stdin"), NULL };
	char msg[4000];
	size_t len;
	char *got;

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	msg[10] = '\n';
	command(words);
	assert_int_equal(deliver(TO, "bob", msg, sizeof(msg), &res), OTP_OK);
	got = slurp("stdin", &len);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(got, msg, sizeof(msg));
}

static void exit_status(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("fail", "cat >/dev/null; exit 75"), NULL };
	const char *early[] = { script("early", "exit 0"), NULL };
	char big[4096];

	(void)state;
	command(words);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_EIO);
	assert_int_equal(res.ran, 1);
	assert_int_equal(res.status, 75);
	assert_int_equal(res.timed_out, 0);
	assert_string_equal(res.why, "exit 75");
	/* a command that never reads its stdin is neither a hang nor a SIGPIPE */
	memset(big, 'x', sizeof(big));
	command(early);
	assert_int_equal(deliver(TO, "bob", big, sizeof(big), &res), OTP_OK);
	assert_int_equal(res.timed_out, 0);
}

static long pidfd(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/* Killed with its group at send_timeout: the grandchild it left running
 * too (this process adopts orphans, so the grandchild's end is seen here) */
static void timeout_kills_the_group(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("hang", "sleep 30 & echo $! > @D/gpid; wait"), NULL };
	struct timespec t0, t1;
	struct pollfd pf;
	int st, fd;
	pid_t g;

	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cfg.oob.send_timeout = 1;
	command(words);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_EIO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cfg.oob.send_timeout = 10;
	assert_int_equal(res.timed_out, 1);
	assert_string_equal(res.why, "timeout after 1 s");
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_non_null(slurp("gpid", NULL));
	g = (pid_t)atoi(slurp("gpid", NULL));
	assert_true(g > 1);
	fd = (int)pidfd(g);
	if (fd >= 0) {  /* gone already: ESRCH only if reaped, which only we do */
		pf = (struct pollfd){ .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&pf, 1, 5000), 1);
		close(fd);
	}
	assert_int_equal(waitpid(g, &st, 0), g);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

static void cannot_run(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { "/nonexistent/sendmail", "-t", NULL };

	(void)state;
	command(words);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_EIO);
	assert_int_equal(res.ran, 0);
	assert_string_equal(res.why, "cannot run /nonexistent/sendmail: No such file or directory");
}

static void stderr_captured_safely(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("err", "printf 'bad\\033[31mred\\001\\nnext\\342\\200\\256x\\377\\n' >&2;"
				       " exit 1"), NULL };
	const char *flood[] = { script("flood", "head -c 300000 /dev/zero | tr '\\000' x >&2"), NULL };

	(void)state;
	command(words);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_EIO);
	assert_string_equal(res.why, "exit 1");
	/* ESC, ^A, the newline, U+202E (right-to-left override), a stray byte */
	assert_string_equal(res.err, "bad?[31mred??next???x?");
	/* a flood is cut, and drained so the command does not block on it */
	command(flood);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_OK);
	assert_int_equal(strlen(res.err), sizeof(res.err) - 1);
	assert_int_equal(strspn(res.err, "x"), sizeof(res.err) - 1);
}

static void run_as_nobody(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("id", "id -u > @D/uid; id -G > @D/groups"), NULL };
	struct passwd *pw;
	char want[64];

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	pw = getpwnam("nobody");
	assert_non_null(pw);
	command(words);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_OK);
	snprintf(want, sizeof(want), "%u\n", (unsigned)pw->pw_uid);
	assert_string_equal(slurp("uid", NULL), want);
	snprintf(want, sizeof(want), "%u\n", (unsigned)pw->pw_gid);
	assert_string_equal(slurp("groups", NULL), want);
	/* never root, whatever the configuration says */
	snprintf(cfg.oob.run_as, sizeof(cfg.oob.run_as), "root");
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_ECONFIG);
	snprintf(cfg.oob.run_as, sizeof(cfg.oob.run_as), "otp-no-such-user");
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_ECONFIG);
	assert_non_null(strstr(otp_errdetail(), "otp-no-such-user"));
	snprintf(cfg.oob.run_as, sizeof(cfg.oob.run_as), "nobody");
}

static void no_command(void **state)
{
	struct otp_delivery_result res;

	(void)state;
	assert_int_equal(cfg.oob.sms.argc, 0);
	assert_int_equal(otp_oob_deliver(&cfg, OTP_SMS, "+4915112345678", "bob", "h", "m", 1,
					 &res), OTP_ECONFIG);
	assert_string_equal(otp_errdetail(), "no sms_command in /etc/pam_otp.conf");
	assert_string_equal(res.why, "cannot run: no sms_command in /etc/pam_otp.conf");
	assert_int_equal(otp_oob_deliver(&cfg, OTP_TOTP, TO, "bob", "h", "m", 1, &res),
			 OTP_EINVAL);
}

static pid_t stolen;
static void reaper(int sig)
{
	int st;

	(void)sig;
	while (waitpid(-1, &st, WNOHANG) > 0)
		stolen = 1;
}

/* Neither a host that ignores SIGCHLD nor one that reaps every child in
 * its handler takes the command's status; the host's setting is back
 * afterwards. */
static void host_sigchld(void **state)
{
	struct otp_delivery_result res;
	const char *words[] = { script("three", "exit 3"), NULL };
	struct sigaction sa, now;

	(void)state;
	command(words);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &sa, NULL);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_EIO);
	assert_string_equal(res.why, "exit 3");
	sigaction(SIGCHLD, NULL, &now);
	assert_true(now.sa_handler == SIG_IGN);
	sa.sa_handler = reaper;
	sigaction(SIGCHLD, &sa, NULL);
	assert_int_equal(deliver(TO, "bob", "m", 1, &res), OTP_EIO);
	assert_string_equal(res.why, "exit 3");
	assert_int_equal(stolen, 0);
	sigaction(SIGCHLD, NULL, &now);
	assert_true(now.sa_handler == reaper);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
}

/* Threads deliver at once: each gets its own command's status */
static void *one_thread(void *arg)
{
	struct otp_delivery_result res;
	struct otp_config *c = arg;
	char user[16];

	snprintf(user, sizeof(user), "u%u", c->oob.digits);
	otp_oob_deliver(c, OTP_EMAIL, TO, user, "h", "m", 1, &res);
	return (void *)(long)res.status;
}

static void threads(void **state)
{
	const char *words[] = { script("st", "cat >/dev/null; exit \"${1#u}\""), "%{user}", NULL };
	static struct otp_config c[8];
	pthread_t t[8];
	void *st;

	(void)state;
	command(words);
	for (unsigned i = 0; i < 8; i++) {
		c[i] = cfg;
		c[i].oob.digits = i + 1;  /* the status the thread's command exits with */
		assert_int_equal(pthread_create(&t[i], NULL, one_thread, &c[i]), 0);
	}
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], &st), 0);
		assert_int_equal((long)st, (long)i + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_words_only),
		cmocka_unit_test(no_shell),
		cmocka_unit_test(clean_environment),
		cmocka_unit_test(stdin_is_the_message),
		cmocka_unit_test(exit_status),
		cmocka_unit_test(timeout_kills_the_group),
		cmocka_unit_test(cannot_run),
		cmocka_unit_test(stderr_captured_safely),
		cmocka_unit_test(run_as_nobody),
		cmocka_unit_test(no_command),
		cmocka_unit_test(host_sigchld),
		cmocka_unit_test(threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
