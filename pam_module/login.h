/* login.h - one login's state, shared by the files of the login flow. */
#ifndef PAM_OTP_LOGIN_H
#define PAM_OTP_LOGIN_H

#include "args.h"
#include "auth.h"
#include "handle.h"

#include <security/pam_modules.h>
#include <stdint.h>

struct login_ctx {
	pam_handle_t *pamh;
	struct module_args args;
	struct otp_handle h;             /* kept by the process across logins */
	const struct otp_config *cfg;    /* h's */
	const struct otp_seal_key *key;
	struct otp_store *st;
	struct otp_login who;
	int user_ok;                 /* the name is one the store can hold */
	int silent;                  /* PAM_SILENT: no informational messages */
	uint64_t locked_until;       /* nonzero: the charge found the user locked */
	int nss_asked;               /* NSS was asked about who.user (pam_otp.c look_up) */
	int nss_known, nss_root;     /* its answers: the system knows the user; uid 0 */
};

/*
 * login_answered - libotp asked whether the user is exempt from lockout
 * (rc OTP_EEXEMPT, nothing written): decide it in c->who and return 1 (call
 * again); 0 for any other rc.
 */
int login_answered(struct login_ctx *c, int rc);

/*
 * login_ask - one prompt (echo off) showing text. *answer gets the reply,
 * or NULL when it is longer than LOGIN_ANSWER_MAX bytes (refused, wiped);
 * the caller wipes and frees it. Returns PAM_SUCCESS or the conversation's error.
 */
#define LOGIN_ANSWER_MAX 64
int login_ask(struct login_ctx *c, const char *text, char **answer);

/* login_lock_end - when the lock a write transaction found ends (a peek). */
uint64_t login_lock_end(struct login_ctx *c);

/*
 * login_ask_code - the code prompt (oob_prompt.c). For a user with active
 * email or sms devices (state->noob) it offers to send a code: Enter (or
 * a device's number) sends one, when the factors before it passed, and
 * the code is asked for again with what happened in that prompt's text
 * (sshd shows no message before authentication ends). pw_ok: the password
 * step passed. *code gets the answer (NULL when unusable; the caller wipes
 * and frees it). Returns PAM_SUCCESS or a conversation error.
 */
int login_ask_code(struct login_ctx *c, const struct otp_auth_state *state, int pw_ok,
		   char **code);

/*
 * login_may_enroll - whether this login is offered enrollment at login
 * (enroll_on_login): the user can be stored, has no active device, is not
 * locked, and a first factor was proven in this login: our own password
 * check (password=system, pw_ok), or with password=none sshd's word that
 * a public key was (SSH_AUTH_INFO_0). The caller checks
 * the policy and that the system knows the user.
 */
int login_may_enroll(struct login_ctx *c, const struct otp_auth_state *state, int pw_ok);

/* What pam_otp.c does for the other files of the flow (each returns the PAM code). */
int login_pass(struct login_ctx *c, int why);  /* a login that skips the code (enum otp_skip) */
int login_fail(struct login_ctx *c, const char *detail);  /* auth_failure, detail */
int login_locked(struct login_ctx *c);  /* the refusal of a locked user */

#define LOGIN_GO_ON (-1)  /* login_enroll: not enrolled here; ask for a code as usual */

/*
 * login_enroll - enrollment at login (enroll_prompt.c). skip: the reason
 * (enum otp_skip) an empty answer, or trouble offering enrollment, lets
 * the login pass as it would have; -1 when nothing may. Returns
 * PAM_SUCCESS once a device is enrolled; what login_pass, login_fail or
 * login_locked return; a conversation error; or LOGIN_GO_ON when a
 * device became active meanwhile (the caller asks for a code).
 */
int login_enroll(struct login_ctx *c, int skip);

#endif
