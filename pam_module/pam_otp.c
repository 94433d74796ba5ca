/*
 * pam_otp.c - the PAM entry points and the login flow.
 *
 * Flow: charge (a lock is decided here, not yet shown) -> password (per
 * password=) -> trusted network / remembered host -> "Verification code: "
 * -> every active device, then recovery codes -> outcome recorded. Both
 * prompts are shown whichever factor is wrong and whether the user is
 * unknown, unenrolled, enrolled or locked, with the same password-hash
 * work and the same store commits, and one generic failure is returned;
 * syslog (through the audit trail) says which factor failed, never its
 * value. A locked user is told so only after the prompts.
 */
#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT

#include "auth.h"
#include "err.h"
#include "hosts.h"
#include "keycheck.h"
#include "login.h"
#include "passwd.h"
#include "policy.h"
#include "recovery.h"
#include "util.h"

#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* Everything is hidden (-fvisibility=hidden) but the PAM entry points. */
#define PAM_OTP_EXPORT __attribute__((visibility("default")))

#define FAIL_DELAY_USEC 2000000u  /* as pam_unix: slows a guessing loop */

/* What NSS says of the user, asked once a login (a directory is slow). */
static void look_up(struct login_ctx *c)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (c->nss_asked)
		return;
	c->nss_asked = 1;
	c->nss_known = getpwnam_r(c->who.user, &pw, buf, sizeof(buf), &res) == 0 && res != NULL;
	c->nss_root = c->nss_known && res->pw_uid == 0;
}

static int is_root(struct login_ctx *c)
{
	look_up(c);
	return c->nss_root;
}

static int known_to_system(struct login_ctx *c)
{
	look_up(c);
	return c->nss_known;
}

static const char *item(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	if (pam_get_item(pamh, type, &v) != PAM_SUCCESS)
		return NULL;
	return v;
}

/* A login refused before anything is checked; a wrong key names the key file too. */
static int refusing(struct login_ctx *c, int rc)
{
	pam_syslog(c->pamh, LOG_ERR, "refusing login: %s%s%s (%s)",
		   rc == OTP_EKEY ? c->cfg->seal_key : "", rc == OTP_EKEY ? ": " : "",
		   otp_errdetail(), otp_strerror(rc));
	return PAM_ABORT;
}

/*
 * Configuration, seal key and store: any problem fails closed. They are
 * the process's, kept across logins and threads (handle.h): the files are
 * checked at every login and read again when changed. The key must be the
 * store's before anything is verified or written: its check value is read
 * and judged (one HMAC) at every login, in the login's first read of the
 * store (login()). A store from before check values is judged read-only by
 * unsealing a stored secret; the module never records one (otpctl does,
 * on its first write), so a login's commits stay the same.
 */
static int setup(struct login_ctx *c)
{
	int rc;

	rc = otp_handle_acquire(c->args.config, c->args.overrides, c->args.noverrides, &c->h);
	if (rc == OTP_OK) {
		c->cfg = c->h.cfg;
		c->key = c->h.key;
		c->st = c->h.st;
	}
	return rc == OTP_OK ? PAM_SUCCESS : refusing(c, rc);
}

/*
 * A locked user is refused after the usual prompts, with the lock's terms.
 * PAM_MAXTRIES: sshd then stops offering keyboard-interactive on this
 * connection; sudo (which counts it as a failed try) asks again, and each
 * try is refused the same way without any factor being checked.
 */
static int refused_locked(struct login_ctx *c, uint64_t until)
{
	if (until == OTP_LOCKED_FOREVER) {
		pam_error(c->pamh, "Account locked after too many failed attempts; "
			  "ask an administrator to unlock it.");
	} else {
		uint64_t left = until > c->who.now ? until - c->who.now : 0;

		pam_error(c->pamh, "Account locked after too many failed attempts; "
			  "try again in %llu minute%s.", (unsigned long long)(left + 59) / 60,
			  left > 60 ? "s" : "");
	}
	return PAM_MAXTRIES;
}

/*
 * The password factor. Returns 1 when it passes (or is not ours to
 * check), 0 when it fails, or a negative PAM code negated on a
 * conversation error.
 */
static int password_step(struct login_ctx *c)
{
	const char *pw = NULL;
	int rc;

	if (c->cfg->password == OTP_PW_NONE)
		return 1;
	/* pam_get_authtok honours use_first_pass/try_first_pass and sets
	 * PAM_AUTHTOK, which is what password=forward hands on. */
	rc = pam_get_authtok(c->pamh, PAM_AUTHTOK, &pw, NULL);
	if (rc != PAM_SUCCESS || pw == NULL)
		return c->args.use_first_pass ? 0 : -(rc == PAM_SUCCESS ? PAM_CONV_ERR : rc);
	if (c->cfg->password == OTP_PW_FORWARD)
		return 1;
	/* the same hash work for every name, then the answer counts only
	 * for a name the store can hold (who.user is "(invalid)" otherwise) */
	return otp_password_check(c->who.user, pw) == OTP_OK && c->user_ok;
}

#define NO_SKIP (-1)

/* Which rule lets this login skip the code (enum otp_skip), or NO_SKIP. */
static int skip_reason(struct login_ctx *c, const struct otp_auth_state *state)
{
	const char *rhost = c->who.rhost;

	if (!c->user_ok)
		return NO_SKIP;
	for (unsigned i = 0; rhost != NULL && *rhost && i < c->cfg->ntrusted; i++) {
		if (otp_cidr_match(&c->cfg->trusted[i], rhost))
			return OTP_SKIP_TRUSTED_NETWORK;
	}
	if (rhost != NULL && *rhost && c->cfg->remember_host > 0 &&
	    otp_host_remembered(c->st, c->who.user, rhost, c->who.now) == 1)
		return OTP_SKIP_TRUSTED_HOST;
	if (state->active != 0)
		return NO_SKIP;
	/* with enroll_deadline set, it decides for unenrolled users, not nullok */
	switch (otp_deadline_at(c->cfg, c->who.now)) {
	case OTP_DEADLINE_OPEN:
		return OTP_SKIP_DEADLINE;
	case OTP_DEADLINE_PASSED:
		/* refused as without nullok; enrollment at login would be offered here */
		return NO_SKIP;
	default:
		return c->cfg->nullok ? OTP_SKIP_NULLOK : NO_SKIP;
	}
}

static int failed(struct login_ctx *c, const char *event, const char *detail)
{
	int rc = otp_auth_failed(c->st, c->cfg, &c->who, event, detail);

	if (rc != OTP_OK)
		pam_syslog(c->pamh, LOG_ERR, "cannot record failure of %s: %s", c->who.user,
			   otp_errdetail());
	return PAM_AUTH_ERR;
}

/* The outcome for a user the charge found locked: audited, then told. */
static int locked_outcome(struct login_ctx *c)
{
	int rc = otp_auth_refuse_locked(c->st, c->cfg, &c->who);

	if (rc != OTP_ELOCKED)
		pam_syslog(c->pamh, LOG_ERR, "cannot record refusal of %s: %s", c->who.user,
			   otp_errdetail());
	return refused_locked(c, c->locked_until);
}

/* A recovery code is 8 or more letters and digits; a plain 6-digit code
 * never is, so its failure is final at once. */
static int may_be_recovery(const char *code)
{
	char norm[OTP_RC_INPUT_MAX + 1];
	int yes = otp_recovery_normalize(code, norm) == OTP_OK;

	otp_wipe(norm, sizeof(norm));
	return yes;
}

/*
 * Root is never charged or locked unless even_deny_root. Whether a name is
 * root takes an NSS lookup (slow with a directory behind it, and for names
 * it does not know); libotp asks for it only when a lock is at stake.
 */
static void decide_exempt(struct login_ctx *c, const struct otp_auth_state *state)
{
	c->who.exempt = state->enrolled && c->cfg->lockout.deny > 0 &&
			!c->cfg->lockout.even_deny_root ? OTP_EXEMPT_ASK : 0;
}

int login_ask(struct login_ctx *c, const char *text, char **answer)
{
	char *resp = NULL;
	int rc = pam_prompt(c->pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", text);

	*answer = NULL;
	if (rc != PAM_SUCCESS)
		return rc;
	if (resp != NULL && strnlen(resp, LOGIN_ANSWER_MAX + 1) <= LOGIN_ANSWER_MAX)
		*answer = resp;
	else if (resp != NULL) {
		otp_wipe_str(resp);
		free(resp);
	}
	return PAM_SUCCESS;
}

/* libotp asked (OTP_EEXEMPT, nothing written): answer, and say to call again. */
int login_answered(struct login_ctx *c, int rc)
{
	if (rc != OTP_EEXEMPT)
		return 0;
	c->who.exempt = is_root(c);
	return 1;
}

static int charge(struct login_ctx *c, struct otp_auth_result *res)
{
	int rc = otp_auth_charge(c->st, c->cfg, &c->who, res);

	return login_answered(c, rc) ? otp_auth_charge(c->st, c->cfg, &c->who, res) : rc;
}

/* When a lock found by a write transaction ends, for the message. */
uint64_t login_lock_end(struct login_ctx *c)
{
	struct otp_auth_state state;

	if (otp_auth_peek(c->st, c->who.user, c->who.now, &state) != OTP_OK ||
	    state.locked_until == 0)
		return OTP_LOCKED_FOREVER;
	return state.locked_until;
}

/* A login that skipped the code; the store still refuses a locked user. */
static int succeeded(struct login_ctx *c, enum otp_skip why)
{
	int rc = otp_auth_succeeded(c->st, c->cfg, &c->who, why);

	if (login_answered(c, rc))
		rc = otp_auth_succeeded(c->st, c->cfg, &c->who, why);
	if (rc == OTP_OK) {
		if (why == OTP_SKIP_DEADLINE && !c->silent)
			pam_info(c->pamh, "Enroll a device before %s.", c->cfg->enroll_deadline_text);
		return PAM_SUCCESS;
	}
	if (rc == OTP_ELOCKED)
		return refused_locked(c, login_lock_end(c));
	if (rc == OTP_EBADCODE)  /* the host was forgotten, or a device enrolled, meanwhile */
		return failed(c, "auth_failure", why == OTP_SKIP_NULLOK ? "nullok" :
			      why == OTP_SKIP_DEADLINE ? "deadline" : "host");
	pam_syslog(c->pamh, LOG_ERR, "cannot record login of %s: %s", c->who.user,
		   otp_errdetail());
	return PAM_AUTH_ERR;
}

int login_pass(struct login_ctx *c, int why)
{
	return succeeded(c, (enum otp_skip)why);
}

int login_fail(struct login_ctx *c, const char *detail)
{
	return failed(c, "auth_failure", detail);
}

int login_locked(struct login_ctx *c)
{
	c->locked_until = login_lock_end(c);
	return locked_outcome(c);
}

static int verify_code(struct login_ctx *c, const char *code, int flags,
		       struct otp_auth_result *res)
{
	int rc = otp_auth_code(c->st, c->key, c->cfg, &c->who, code, flags, res);

	if (!login_answered(c, rc))
		return rc;
	memset(res, 0, sizeof(*res));
	return otp_auth_code(c->st, c->key, c->cfg, &c->who, code, flags, res);
}

/*
 * The code step, once the password step has run. Unless charged already,
 * the lock check and the charge happen in the code's own transaction: one
 * fsync for the whole login. Every path ends in one recorded outcome.
 */
static int code_step(struct login_ctx *c, int pw_ok, const char *code, int charged)
{
	struct otp_auth_result res;
	const char *event;
	unsigned left = 0;
	int rc, flags;

	if (c->locked_until != 0)
		return locked_outcome(c);
	if (!pw_ok)
		return failed(c, "auth_failure", "password");
	if (code == NULL)
		code = "";  /* unusable input fails like a wrong code, and is charged */
	flags = (charged ? 0 : OTP_AUTH_CHARGE) | (may_be_recovery(code) ? 0 : OTP_AUTH_FINAL);
	memset(&res, 0, sizeof(res));
	rc = verify_code(c, code, flags, &res);
	if (rc == OTP_OK)
		return PAM_SUCCESS;
	if (rc == OTP_ELOCKED)
		return refused_locked(c, res.locked_until);
	if (rc != OTP_EBADCODE && rc != OTP_EREPLAY) {
		/* libotp charged and audited the attempt before saying so */
		pam_syslog(c->pamh, LOG_ERR, "refusing login of %s: %s (%s)", c->who.user,
			   otp_errdetail(), otp_strerror(rc));
		return PAM_AUTH_ERR;
	}
	if (flags & OTP_AUTH_FINAL)
		return PAM_AUTH_ERR;  /* charged and audited in that transaction */
	event = res.event != NULL ? res.event : "auth_failure";
	rc = otp_recovery_use(c->st, c->cfg, &c->who, code, &left);
	if (rc == OTP_OK) {
		if (!c->silent)
			pam_info(c->pamh, "Recovery code accepted; %u left.", left);
		return PAM_SUCCESS;
	}
	if (rc != OTP_EBADCODE)
		pam_syslog(c->pamh, LOG_ERR, "recovery code of %s not checked: %s (%s)",
			   c->who.user, otp_errdetail(), otp_strerror(rc));
	return failed(c, rc == OTP_EBADCODE ? event : "auth_failure",
		      rc == OTP_EBADCODE ? "code" : "error");
}

/*
 * Charge before any prompt when a slow factor (the password) comes before
 * the code, for every name alike; otherwise the code's own transaction
 * charges. A lock found here is kept for after the prompts. Returns 1
 * when this attempt is charged (or exempt), 0 when not yet, or a PAM code
 * negated.
 */
static int charge_early(struct login_ctx *c)
{
	struct otp_auth_result res;
	int rc;

	if (c->cfg->password == OTP_PW_NONE && !c->args.authfail)
		return 0;
	memset(&res, 0, sizeof(res));
	rc = charge(c, &res);
	if (rc == OTP_ELOCKED)
		c->locked_until = res.locked_until;
	if (rc == OTP_OK || rc == OTP_ELOCKED)
		return 1;
	pam_syslog(c->pamh, LOG_ERR, "refusing login: %s", otp_errdetail());
	return -PAM_ABORT;
}

/*
 * Who must give a code (policy.h), once per login, before any prompt or
 * store write. Returns PAM_SUCCESS to go on, PAM_IGNORE for a user the
 * policy does not cover (the stack's other modules decide), PAM_AUTH_ERR
 * when a lookup that decides failed, or PAM_ABORT (the seal key is not
 * the store's, for a user not covered).
 */
static int policy_step(struct login_ctx *c, const char *user)
{
	struct otp_coverage cov;
	char why[OTP_POLICY_NAME_MAX + 32];
	int rc;

	if (!otp_policy_set(c->cfg))
		return PAM_SUCCESS;
	rc = otp_policy_cover(c->cfg, user, NULL, &cov);
	if (rc != OTP_OK) {
		pam_syslog(c->pamh, LOG_ERR, "refusing login of %s: %s (%s)", c->who.user,
			   otp_errdetail(), otp_strerror(rc));
		return PAM_AUTH_ERR;
	}
	for (unsigned i = 0; i < cov.nmissing && i < OTP_POLICY_MISSING_MAX; i++)
		pam_syslog(c->pamh, LOG_WARNING, "no group named '%s' (counted as a group "
			   "without members)", cov.missing[i]);
	if (cov.covered)
		return PAM_SUCCESS;
	if (c->args.debug)
		pam_syslog(c->pamh, LOG_DEBUG, "user %s: not covered (%s): ignored", c->who.user,
			   otp_cover_reason(&cov, why, sizeof(why)));
	/* a wrong seal key refuses every login, this one too (a covered
	 * user's login judges the key in its first read: login()) */
	rc = otp_store_key_check(c->st, c->key, 0);
	return rc == OTP_OK ? PAM_IGNORE : refusing(c, rc);
}

static int login(struct login_ctx *c)
{
	struct otp_auth_state state;
	char *code = NULL;
	int pw_ok, rc, charged, skip;

	/* the seal key first, with the user's state in the same read */
	rc = otp_auth_peek_keyed(c->st, c->key, c->who.user, c->who.now, &state);
	if (rc != OTP_OK)
		return refusing(c, rc);
	decide_exempt(c, &state);
	charged = charge_early(c);
	if (charged < 0)
		return -charged;
	if (c->args.authfail)
		return c->locked_until ? locked_outcome(c) : failed(c, "auth_failure", "authfail");
	pw_ok = password_step(c);
	if (pw_ok < 0)
		return -pw_ok;
	c->who.now = otp_now();  /* a prompt may have waited: judge at the answer's time */
	skip = skip_reason(c, &state);
	/* a name neither the store nor the system knows never skips the code:
	 * its failure is then counted with the others of its source, not
	 * recorded as a success of its own */
	if (skip != NO_SKIP && !state.enrolled && !known_to_system(c))
		skip = NO_SKIP;
	if (skip != OTP_SKIP_TRUSTED_NETWORK && skip != OTP_SKIP_TRUSTED_HOST &&
	    login_may_enroll(c, &state, pw_ok) && known_to_system(c)) {
		rc = login_enroll(c, skip);
		if (rc != LOGIN_GO_ON)
			return rc;
		skip = NO_SKIP;
	}
	if (skip != NO_SKIP && c->locked_until != 0)
		return locked_outcome(c);
	if (skip != NO_SKIP)
		return pw_ok ? succeeded(c, (enum otp_skip)skip) : failed(c, "auth_failure", "password");
	rc = login_ask_code(c, &state, pw_ok, &code);
	if (rc != PAM_SUCCESS)
		return rc;
	c->who.now = otp_now();
	rc = code_step(c, pw_ok, code, charged);
	if (code != NULL) {
		otp_wipe_str(code);
		free(code);
	}
	return rc;
}

PAM_OTP_EXPORT PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct login_ctx c;
	const char *user = NULL;
	int rc = PAM_AUTH_ERR;

	memset(&c, 0, sizeof(c));
	c.pamh = pamh;
	c.silent = (flags & PAM_SILENT) != 0;
	if (parse_args(argc, argv, &c.args) != 0) {
		pam_syslog(pamh, LOG_ERR, "refusing login: unknown module argument '%.64s'",
			   c.args.bad);
		rc = PAM_ABORT;
		goto out;
	}
	if (!c.args.nodelay)
		pam_fail_delay(pamh, FAIL_DELAY_USEC);
	rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS || user == NULL) {
		rc = rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
		goto out;
	}
	rc = setup(&c);
	if (rc != PAM_SUCCESS)
		goto out;
	c.user_ok = otp_valid_user(user) == OTP_OK;
	c.who.user = c.user_ok ? user : "(invalid)";
	c.who.service = item(pamh, PAM_SERVICE);
	c.who.rhost = item(pamh, PAM_RHOST);
	c.who.tty = item(pamh, PAM_TTY);
	c.who.now = otp_now();
	c.who.remember = c.cfg->remember_host;
	c.who.host = c.cfg->host_name;  /* "": this host's name */
	rc = policy_step(&c, user);
	if (rc == PAM_SUCCESS)
		rc = login(&c);
	if (c.args.debug)
		pam_syslog(pamh, LOG_DEBUG, "user %s: %s", c.who.user, pam_strerror(pamh, rc));
out:
	otp_handle_release(&c.h);
	return rc;
}

PAM_OTP_EXPORT PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

PAM_OTP_EXPORT PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
