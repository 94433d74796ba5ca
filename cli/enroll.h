/* enroll.h - otpctl enroll's options, shared by its app and token path
 * (cmd_enroll.c) and its email and sms path (enroll_oob.c). */
#ifndef OTPCTL_ENROLL_H
#define OTPCTL_ENROLL_H

#include "ctl.h"
#include "devices.h"
#include "qr.h"

struct enroll_opts {
	struct otp_enroll_req req;
	const char *secret_b32;     /* --secret */
	const char *to;             /* --to: email and sms devices */
	enum qr_style qr;
	const char *qr_file;
	const char *confirm;        /* --confirm CODE */
	int no_confirm;
	int force;                  /* --force: unknown user, replace --qr-file */
	int have_alg, have_digits, have_period, have_qr;  /* given, not from the config */
};

/* Answers the confirmation prompt takes before it leaves the device pending */
#define CONFIRM_TRIES 3

/*
 * enroll_check_known - 0 when NSS knows user; else with force a warning
 * and 0, without it exit 2 with a message naming the user (escaped).
 */
int enroll_check_known(struct ctl *c, const char *user, int force);

/*
 * enroll_ask_code - print prompt on stderr and read one line from stdin;
 * NULL at the end of input or for an empty line. The caller wipes
 * (otp_wipe_str) and frees it.
 */
char *enroll_ask_code(const char *prompt);

/*
 * enroll_ask_until_valid - confirm pending device d of user from the
 * terminal: first is the first prompt (it says CONFIRM_TRIES tries), each
 * wrong answer is told with the tries left; no answer (an empty line, end
 * of input) leaves the device pending. Returns an OTP_ code of otp_confirm;
 * OTP_ENOTFOUND: no answer.
 */
int enroll_ask_until_valid(struct ctl *c, const char *user, struct otp_device_rec *d,
			   const char *first);

/*
 * enroll_oob - otpctl enroll for an email or sms device (o->req.type):
 * o->to checked, the device enrolled (active with --no-confirm), else a
 * code sent to it and asked for on a terminal. Returns an exit code.
 */
int enroll_oob(struct ctl *c, struct enroll_opts *o, const char *user);

/*
 * ctl_oob_confirm - send a code to the pending email or sms device d of
 * user and, on a terminal without --json, ask for it (CONFIRM_TRIES
 * answers) to activate d. A send that fails or is throttled leaves d
 * pending, saying why and how to retry. Returns an exit code.
 */
int ctl_oob_confirm(struct ctl *c, const char *user, struct otp_device_rec *d);

#endif
