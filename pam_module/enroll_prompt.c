/*
 * enroll_prompt.c - enrollment at login (enroll_on_login): a user with no
 * active device, once a first factor is proven in this login, is shown a
 * new secret (QR code, base32, otpauth URI) in the prompt's text and types
 * a code from the app to activate it. Everything is prompt text: sshd
 * holds informational messages until authentication ends.
 */
#include "login.h"

#include "base32.h"
#include "err.h"
#include "qrtext.h"
#include "recovery.h"
#include "selfenroll.h"
#include "uri.h"
#include "util.h"

#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define TRIES 3
/* how a conversation ended, besides a PAM code negated */
enum { ENROLLED = 1, SKIPPED, LOCKED, NOT_OFFERED };
#define QR_MAX 16384
#define PROMPT_MAX (QR_MAX + 1024)

/*
 * OpenSSH's sshd puts the methods that already succeeded (whatever
 * ExposeAuthInfo says, which governs only the session's copy) in the
 * PAM environment, one per line ("publickey ssh-ed25519 AAAA..."). The
 * client cannot set it: a publickey line there is sshd's word that a key
 * was proven in this connection.
 */
static int key_proven(pam_handle_t *pamh)
{
	const char *info = pam_getenv(pamh, "SSH_AUTH_INFO_0");

	for (const char *p = info; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (strncmp(p, "publickey ", 10) == 0)
			return 1;
	}
	return 0;
}

int login_may_enroll(struct login_ctx *c, const struct otp_auth_state *state, int pw_ok)
{
	const void *authtok = NULL;

	if (!c->cfg->enroll_on_login || !c->user_ok || state->active != 0 ||
	    c->locked_until != 0 || state->locked_until != 0)
		return 0;
	if (c->cfg->password == OTP_PW_SYSTEM)
		return pw_ok;
	/* a password asked by a module before this one may have been wrong, and
	 * PAM runs this module all the same: with one, only password=system proves */
	if (pam_get_item(c->pamh, PAM_AUTHTOK, &authtok) != PAM_SUCCESS || authtok != NULL)
		return 0;
	return c->cfg->password == OTP_PW_NONE && !c->args.authfail && key_proven(c->pamh);
}

/* What Enter does, for the prompt: "" when it may not skip. */
#define HINT_MAX 48
static const char *skip_hint(const struct login_ctx *c, int skip, char hint[HINT_MAX])
{
	if (skip == OTP_SKIP_DEADLINE)
		snprintf(hint, HINT_MAX, " (Enter: skip until %s)", c->cfg->enroll_deadline_text);
	else if (skip == OTP_SKIP_NULLOK)
		snprintf(hint, HINT_MAX, " (Enter: skip for now)");
	else
		hint[0] = '\0';
	return hint;
}

/* The first prompt: QR, secret, URI, and what Enter does. */
static int first_prompt(struct login_ctx *c, const uint8_t *secret, int skip, char *out,
			size_t n)
{
	struct otp_uri u;
	char uri[OTP_URI_MAX + 1], grouped[2 * OTP_URI_SECRET_MAX], qr[QR_MAX], tail[HINT_MAX];
	const char *rhost = c->who.rhost;
	size_t qrlen = 0;
	int rc;

	memset(&u, 0, sizeof(u));
	otp_uri_issuer(c->cfg->issuer, u.issuer, sizeof(u.issuer));
	snprintf(u.user, sizeof(u.user), "%s", c->who.user);
	rc = otp_base32_encode(secret, OTP_SELF_SECRET_LEN, 0, u.secret, sizeof(u.secret));
	u.alg = c->cfg->totp.alg;
	u.digits = c->cfg->totp.digits;
	u.period = c->cfg->totp.period;
	if (rc == OTP_OK)
		rc = otp_uri_build(&u, uri, sizeof(uri));
	if (rc == OTP_OK)
		rc = otp_base32_grouped(u.secret, grouped, sizeof(grouped));
	/* OpenSSH clients escape non-ASCII prompt text: remote logins get ASCII */
	if (rc == OTP_OK)
		rc = otp_qr_text(uri, rhost != NULL && *rhost ? OTP_QR_ASCII : OTP_QR_UTF8, qr,
				 sizeof(qr), &qrlen);
	skip_hint(c, skip, tail);
	if (rc == OTP_OK &&
	    (size_t)snprintf(out, n, "You have no authenticator device yet: enroll one now.\n"
			     "Scan this QR code with an authenticator app, or type the secret "
			     "into it.\n%s\nSecret: %s\nURI: %s\nCode from the app%s: ", qr, grouped,
			     uri, tail) >= n)
		rc = otp_seterr(OTP_ETOOLONG, "enrollment prompt too long");
	otp_wipe(&u, sizeof(u));
	otp_wipe(uri, sizeof(uri));
	otp_wipe(grouped, sizeof(grouped));
	otp_wipe(qr, sizeof(qr));
	return rc;
}

#define RC_HEAD "Device enrolled. Recovery codes, each usable once (store them safely):\n"
#define RC_TAIL "\nPress Enter to continue: "

/* New recovery codes, shown once in a prompt (enroll_on_login_recovery). */
static void show_recovery(struct login_ctx *c)
{
	unsigned count = c->cfg->recovery_count;
	size_t size = sizeof(RC_HEAD) + sizeof(RC_TAIL) + (size_t)count * OTP_RC_TEXT;
	char (*codes)[OTP_RC_TEXT] = calloc(count, OTP_RC_TEXT);
	char *text = calloc(1, size), *answer = NULL;
	size_t len;
	int rc = codes && text ? otp_recovery_generate(c->st, c->cfg, &c->who, count, codes) :
				 OTP_ENOMEM;

	if (rc == OTP_OK) {
		len = (size_t)snprintf(text, size, "%s", RC_HEAD);
		for (unsigned i = 0; i < count; i++)
			len += (size_t)snprintf(text + len, size - len, "%s%s", i ? " " : "", codes[i]);
		snprintf(text + len, size - len, "%s", RC_TAIL);
		(void)login_ask(c, text, &answer);
	} else {
		pam_syslog(c->pamh, LOG_ERR, "no recovery codes for %s after enrollment: %s",
			   c->who.user, otp_errdetail());
	}
	if (answer != NULL) {
		otp_wipe_str(answer);
		free(answer);
	}
	if (codes != NULL)
		otp_wipe(codes, (size_t)count * OTP_RC_TEXT);
	if (text != NULL)
		otp_wipe(text, size);
	free(codes);
	free(text);
}

/* One answer: ENROLLED, 0 wrong code, LOCKED, or a PAM code negated. */
static int try_answer(struct login_ctx *c, uint32_t id, const char *answer)
{
	int rc = otp_self_confirm(c->st, c->key, c->cfg, &c->who, id, answer);

	if (login_answered(c, rc))
		rc = otp_self_confirm(c->st, c->key, c->cfg, &c->who, id, answer);
	if (rc == OTP_OK)
		return ENROLLED;
	if (rc == OTP_EBADCODE)
		return 0;
	if (rc == OTP_ELOCKED)
		return LOCKED;
	pam_syslog(c->pamh, LOG_ERR, "enrollment of %s not completed: %s (%s)", c->who.user,
		   otp_errdetail(), otp_strerror(rc));
	return -PAM_AUTH_ERR;
}

static int blank(const char *s)
{
	return s != NULL && s[strspn(s, " \t")] == '\0';
}

/* The conversation, once the pending device holds secret: up to TRIES codes. */
static int converse(struct login_ctx *c, uint32_t id, const uint8_t *secret, int skip)
{
	char *text = malloc(PROMPT_MAX), *answer = NULL, hint[HINT_MAX];
	int rc = text ? first_prompt(c, secret, skip, text, PROMPT_MAX) : OTP_ENOMEM, done = 0;

	if (rc != OTP_OK) {
		pam_syslog(c->pamh, LOG_ERR, "cannot offer enrollment to %s: %s", c->who.user,
			   otp_errdetail());
		free(text);
		return NOT_OFFERED;
	}
	for (int left = TRIES; left > 0 && done == 0; left--) {
		if (left < TRIES)
			snprintf(text, PROMPT_MAX, "Wrong code; %d %s left.\nCode from the app%s: ",
				 left, left == 1 ? "try" : "tries", skip_hint(c, skip, hint));
		rc = login_ask(c, text, &answer);
		c->who.now = otp_now();  /* scanning a QR code takes a while */
		if (rc != PAM_SUCCESS)
			done = -rc;
		else if (blank(answer) && skip >= 0)
			done = SKIPPED;
		else if (answer != NULL && !blank(answer))
			done = try_answer(c, id, answer);
		if (answer != NULL) {
			otp_wipe_str(answer);
			free(answer);
			answer = NULL;
		}
	}
	otp_wipe(text, PROMPT_MAX);
	free(text);
	return done;
}

int login_enroll(struct login_ctx *c, int skip)
{
	uint8_t secret[OTP_SELF_SECRET_LEN];
	uint32_t id = 0;
	int rc = otp_self_begin(c->st, c->key, c->cfg, &c->who, secret, &id);

	if (rc == OTP_EEXIST)
		return LOGIN_GO_ON;  /* a device became active meanwhile: ask for its code */
	if (rc != OTP_OK)
		pam_syslog(c->pamh, LOG_ERR, "cannot offer enrollment to %s: %s (%s)", c->who.user,
			   otp_errdetail(), otp_strerror(rc));
	rc = rc == OTP_OK ? converse(c, id, secret, skip) : NOT_OFFERED;
	otp_wipe(secret, sizeof(secret));
	if (rc == ENROLLED) {
		if (c->cfg->enroll_on_login_recovery)
			show_recovery(c);
		else if (!c->silent)
			pam_info(c->pamh, "Device enrolled.");
		return PAM_SUCCESS;
	}
	if (rc == LOCKED)
		return login_locked(c);
	/* trouble offering it never refuses a login that could pass without */
	if ((rc == SKIPPED || rc == NOT_OFFERED) && skip >= 0)
		return login_pass(c, skip);
	if (rc < 0 && rc != -PAM_AUTH_ERR)
		return -rc;  /* the conversation failed */
	return login_fail(c, rc == NOT_OFFERED ? "enrollment not offered" : "enrollment");
}
