/*
 * oob_prompt.c - the code prompt, and sending a code by email or SMS from
 * it. A code is sent only when the factors before it passed and the user
 * is not locked; otherwise the prompt says it was sent all the same, so
 * the prompts never tell which factor was wrong.
 */
#include "login.h"

#include "deliver.h"
#include "err.h"
#include "oob.h"
#include "oobaddr.h"
#include "oobmsg.h"
#include "util.h"

#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define CODE_INPUT_MAX 64   /* bytes; anything longer is refused */
#define PROMPT_MAX 4096
#define NOTE_MAX 384

/* Ask with text; *answer is NULL when the answer was unusable. */
static int ask(struct login_ctx *c, const char *text, char **answer)
{
	char *resp = NULL;
	int rc = pam_prompt(c->pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", text);

	*answer = NULL;
	if (rc != PAM_SUCCESS)
		return rc;
	if (resp != NULL && strnlen(resp, CODE_INPUT_MAX + 1) <= CODE_INPUT_MAX)
		*answer = resp;
	else if (resp != NULL) {
		otp_wipe_str(resp);
		free(resp);
	}
	return PAM_SUCCESS;
}

static const char *how(unsigned type)
{
	return type == OTP_SMS ? "SMS" : "email";
}

/* "Verification code (Enter: send one by email to a***@example.com): ", or a menu */
static void first_prompt(const struct otp_auth_state *state, char *out, size_t n)
{
	size_t len;

	if (state->noob == 1) {
		snprintf(out, n, "Verification code (Enter: send one by %s to %s): ",
			 how(state->oob[0].type), state->oob[0].masked);
		return;
	}
	len = (size_t)snprintf(out, n, "Send a code:\n");
	for (unsigned i = 0; i < state->noob && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "  %u) %s to %s\n", i + 1,
					how(state->oob[i].type), state->oob[i].masked);
	if (len < n)
		snprintf(out + len, n - len, "Verification code (Enter or 1-%u: send one): ",
			 state->noob);
}

/* Which device an answer asks to send to (index), or -1: it is a code. */
static int choice_of(const char *answer, unsigned noob)
{
	size_t len;

	if (answer == NULL)
		return -1;
	answer += strspn(answer, " \t");
	len = strcspn(answer, " \t");
	if (len == 0 && answer[0] == '\0')
		return 0;
	if (noob > 1 && len == 1 && answer[0] >= '1' && answer[0] <= (char)('0' + noob) &&
	    answer[1 + strspn(answer + 1, " \t")] == '\0')
		return answer[0] - '1';
	return -1;
}

static void sent_note(struct login_ctx *c, const struct otp_auth_state *state, int k,
		      char *note, size_t n)
{
	unsigned minutes = (c->cfg->oob.valid + 59) / 60;

	snprintf(note, n, "Code sent by %s to %s (valid %u minute%s).", how(state->oob[k].type),
		 state->oob[k].masked, minutes, minutes == 1 ? "" : "s");
}

/* Replace every needle in s (size bytes, at most ERR_MAX) by repl, cut to fit. */
#define ERR_MAX 1024
static void scrub(char *s, size_t size, const char *needle, const char *repl)
{
	char out[ERR_MAX];
	size_t o = 0, nl = strlen(needle), rl = strlen(repl);

	if (nl == 0 || size > sizeof(out))
		return;
	for (const char *p = s; *p != '\0' && o + 1 < size;) {
		if (strncmp(p, needle, nl) == 0) {
			size_t k = rl < size - 1 - o ? rl : size - 1 - o;

			memcpy(out + o, repl, k);
			o += k;
			p += nl;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	memcpy(s, out, o + 1);
	otp_wipe(out, sizeof(out));
}

/* Compose and deliver sent's code; 1 when the command took it. */
static int deliver(struct login_ctx *c, const struct otp_oob_sent *sent)
{
	char host[256] = "", msg[OTP_OOB_MESSAGE_MAX], masked[OTP_OOB_MASKED_MAX];
	struct otp_delivery_result res;
	struct otp_oob_msg m = {
		.type = sent->type, .to = sent->to, .from = c->cfg->oob.from, .user = c->who.user,
		.host = host, .service = c->who.service, .rhost = c->who.rhost, .code = sent->code,
		.valid = c->cfg->oob.valid, .now = c->who.now,
	};
	size_t len = 0;
	int rc;

	if (c->cfg->host_name[0] != '\0')
		snprintf(host, sizeof(host), "%s", c->cfg->host_name);
	else if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	memset(&res, 0, sizeof(res));
	rc = otp_oob_message(&m, msg, sizeof(msg), &len);
	if (rc == OTP_OK)
		rc = otp_oob_deliver(c->cfg, sent->type, sent->to, c->who.user, host, msg, len, &res);
	otp_wipe(msg, sizeof(msg));
	if (rc == OTP_OK)
		return 1;
	if (res.why[0] == '\0')
		snprintf(res.why, sizeof(res.why), "%s", otp_errdetail());
	/* a command may echo its input: the address and the code stay out of syslog */
	if (otp_oob_mask(sent->type, sent->to, masked, sizeof(masked)) != OTP_OK)
		snprintf(masked, sizeof(masked), "(destination)");
	scrub(res.err, sizeof(res.err), sent->to, masked);
	scrub(res.err, sizeof(res.err), sent->code, "******");
	pam_syslog(c->pamh, LOG_ERR, "cannot send a code to %s (device %s): %s%s%s", c->who.user,
		   sent->device_name, res.why, res.err[0] ? ": " : "", res.err);
	if (otp_oob_send_failed(c->st, c->cfg, &c->who, sent->device, res.why) != OTP_OK)
		pam_syslog(c->pamh, LOG_ERR, "cannot record the failed send to %s: %s",
			   c->who.user, otp_errdetail());
	return 0;
}

/* Send a code to device k when the login may; note says what to tell. */
static void send_code(struct login_ctx *c, const struct otp_auth_state *state, int k, int pw_ok,
		      char *note, size_t n)
{
	struct otp_oob_sent sent;
	int rc, flags;

	sent_note(c, state, k, note, n);
	if (c->locked_until != 0)
		return;  /* told after the prompts, as always */
	/* after a wrong password the same bookkeeping runs without a code,
	 * so the limits' notes never tell which factor was wrong */
	flags = OTP_OOB_CHARGE | (pw_ok ? 0 : OTP_OOB_DRY);
	rc = otp_oob_request(c->st, c->key, c->cfg, &c->who, state->oob[k].id, flags, &sent);
	if (login_answered(c, rc))
		rc = otp_oob_request(c->st, c->key, c->cfg, &c->who, state->oob[k].id, flags,
				     &sent);
	if (rc == OTP_OK && pw_ok && !deliver(c, &sent))
		snprintf(note, n, "Could not send the code; use another factor.");
	else if (rc == OTP_ETHROTTLE && sent.hourly)
		snprintf(note, n, "Too many codes sent this hour; use another factor.");
	else if (rc == OTP_ETHROTTLE)
		snprintf(note, n, "Wait %llu second%s before another code is sent.",
			 (unsigned long long)sent.wait, sent.wait == 1 ? "" : "s");
	else if (rc == OTP_ELOCKED)
		c->locked_until = login_lock_end(c);  /* told after the prompts, as always */
	else if (rc != OTP_OK) {
		pam_syslog(c->pamh, LOG_ERR, "cannot make a code for %s: %s (%s)", c->who.user,
			   otp_errdetail(), otp_strerror(rc));
		snprintf(note, n, "Could not send the code; use another factor.");
	}
	otp_wipe(&sent, sizeof(sent));
}

int login_ask_code(struct login_ctx *c, const struct otp_auth_state *state, int pw_ok,
		   char **code)
{
	char text[PROMPT_MAX], note[NOTE_MAX];
	int rc, k;

	if (state->noob == 0 || !c->user_ok)
		return ask(c, "Verification code: ", code);
	first_prompt(state, text, sizeof(text));
	rc = ask(c, text, code);
	if (rc != PAM_SUCCESS || (k = choice_of(*code, state->noob)) < 0)
		return rc;
	otp_wipe_str(*code);
	free(*code);
	*code = NULL;
	c->who.now = otp_now();
	send_code(c, state, k, pw_ok, note, sizeof(note));
	snprintf(text, sizeof(text), "%s\nVerification code: ", note);
	return ask(c, text, code);
}
