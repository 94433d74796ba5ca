/*
 * race - start N PAM logins at the same instant and report how many
 * succeeded. usage: race SERVICE[,SERVICE...] USER:CODE [USER:CODE ...]
 * Each login is its own process (as sshd forks one per connection); all of
 * them block on one pipe and start when the parent closes it, so they reach
 * the store together. With several services (one per "host" of a fleet,
 * each naming its own config) the i-th login uses the (i mod n)-th.
 * Prints "success=S failure=F broken=B"; exit 0 unless a child could not
 * run.
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *answer;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	(void)data;
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(answer);
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* The i-th of the comma-separated services, cycling; cut out in place. */
static const char *nth_service(char *list, int i)
{
	int n = 1;
	char *p, *end;

	for (p = list; *p; p++)
		n += *p == ',';
	for (p = list, i %= n; i > 0; i--)
		p = strchr(p, ',') + 1;
	end = strchr(p, ',');
	if (end != NULL)
		*end = '\0';
	return p;
}

static int child(const char *service, char *pair, int gate)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *h = NULL;
	char *colon = strchr(pair, ':'), byte;
	int rc;

	if (colon == NULL)
		return 3;
	*colon = '\0';
	answer = colon + 1;
	if (pam_start(service, pair, &c, &h) != PAM_SUCCESS)
		return 3;
	if (read(gate, &byte, 1) != 0)  /* EOF: the parent closed the gate */
		return 3;
	rc = pam_authenticate(h, 0);
	pam_end(h, rc);
	/* anything but a yes or a plain no means the run itself went wrong */
	return rc == PAM_SUCCESS ? 0 : rc == PAM_AUTH_ERR || rc == PAM_MAXTRIES ? 1 : 3;
}

/* pam_wrapper sets itself up on first use; doing that in the parent keeps
 * twenty children from racing to create its directory. */
static void warm_up(const char *service)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *h = NULL;

	answer = "";
	if (pam_start(service, "warm-up", &c, &h) == PAM_SUCCESS)
		pam_end(h, PAM_SUCCESS);
}

int main(int argc, char **argv)
{
	int gate[2], ok = 0, bad = 0, broken = 0, status;
	char *first;

	if (argc < 3 || pipe(gate) != 0) {
		fprintf(stderr, "usage: race SERVICE[,SERVICE...] USER:CODE...\n");
		return 2;
	}
	first = strdup(argv[1]);
	if (first == NULL)
		return 2;
	warm_up(nth_service(first, 0));  /* one service is enough for pam_wrapper */
	free(first);
	for (int i = 2; i < argc; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 2;
		if (pid == 0) {
			close(gate[1]);
			_exit(child(nth_service(argv[1], i - 2), argv[i], gate[0]));
		}
	}
	close(gate[0]);
	close(gate[1]);  /* go */
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			broken++;
		else if (WEXITSTATUS(status) == 0)
			ok++;
		else
			bad++;
	}
	printf("success=%d failure=%d broken=%d\n", ok, bad, broken);
	return broken ? 1 : 0;
}
