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
#include "oobmsg.h"
#include "util.h"

#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PROMPT_MAX 4096
#define NOTE_MAX 384

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

/* Deliver sent's code; 1 when the command took it. */
static int deliver(struct login_ctx *c, const struct otp_oob_sent *sent)
{
	char host[256];
	struct otp_delivery_result res;
	struct otp_oob_msg m = {
		.type = sent->type, .to = sent->to, .from = c->cfg->oob.from, .user = c->who.user,
		.host = otp_host_name(c->cfg->host_name, host, sizeof(host)),
		.service = c->who.service, .rhost = c->who.rhost, .code = sent->code,
		.valid = c->cfg->oob.valid, .now = c->who.now,
	};

	if (otp_oob_send(c->cfg, &m, &res) == OTP_OK)
		return 1;
	pam_syslog(c->pamh, LOG_ERR, "cannot send a code to %s (device %s): %s%s%s", c->who.user,
		   sent->device_name, res.why, res.err[0] ? ": " : "", res.err);
	if (otp_oob_send_failed(c->st, c->cfg, &c->who, sent->device, res.why) != OTP_OK)
		pam_syslog(c->pamh, LOG_ERR, "cannot record the failed send to %s: %s",
			   c->who.user, otp_errdetail());
	otp_wipe(&res, sizeof(res));
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
		return login_ask(c, "Verification code: ", code);
	first_prompt(state, text, sizeof(text));
	rc = login_ask(c, text, code);
	if (rc != PAM_SUCCESS || (k = choice_of(*code, state->noob)) < 0)
		return rc;
	otp_wipe_str(*code);
	free(*code);
	*code = NULL;
	c->who.now = otp_now();
	send_code(c, state, k, pw_ok, note, sizeof(note));
	snprintf(text, sizeof(text), "%s\nVerification code: ", note);
	return login_ask(c, text, code);
}
