/*
 * deliver.h - running an out-of-band delivery command (oob.email_command,
 * oob.sms_command): argv without a shell, the message on stdin, a clean
 * environment, as oob.run_as, bounded by oob.send_timeout.
 */
#ifndef OTP_DELIVER_H
#define OTP_DELIVER_H

#include "config.h"
#include "records.h"

#include <stddef.h>

/* How a delivery went. */
struct otp_delivery_result {
	int ran;          /* the command was started */
	int status;       /* its exit status, when it exited */
	int signal;       /* the signal that ended it, 0 none */
	int timed_out;    /* killed after oob.send_timeout */
	char why[160];    /* "" on success; "exit 75", "timeout after 10 s", "signal 9",
			     "cannot run /usr/sbin/sendmail: ..." (for the audit detail) */
	char err[1024];   /* the start of its stderr, control characters made safe */
};

/*
 * otp_oob_deliver - send message (len bytes, on the command's stdin) to
 * `to` through the command configured for type (cfg->oob.email for
 * OTP_EMAIL, cfg->oob.sms for OTP_SMS). The words "%{to}", "%{user}" and
 * "%{host}" are replaced by to, user and host; nothing else is expanded
 * and no shell runs. The command runs in its own process group with only
 * PATH and LANG in its environment, as cfg->oob.run_as when the caller is
 * root (as the caller otherwise), and is killed with its group after
 * cfg->oob.send_timeout seconds. The caller's signal handlers are not
 * relied on (the child is reaped by pid).
 * The values replace whole words only, so they need no quoting, but one
 * starting with '-' is refused (a program would read it as an option).
 * A command that exits 0 without reading its stdin has succeeded; a
 * process it leaves running after it exits is not waited for or killed.
 * res->why is set on every failure ("cannot run: " and the detail when
 * nothing was started for a reason other than OTP_EIO's).
 * res->err: the first bytes of its stderr, trailing blanks dropped, every
 * control character, invalid UTF-8 byte and layout character a '?'.
 * Safe in threads; see spawn.h for SIGCHLD.
 * Returns OTP_OK (exit status 0); OTP_EIO (it failed, timed out or could
 * not start: res says how, and the detail is res->why); OTP_ECONFIG (no
 * command configured for type: "no sms_command in FILE"; run_as unknown,
 * or with uid or gid 0; a caller with real uid 0 that is not effectively
 * root); OTP_EINVAL (type not email or sms, to not a destination of that
 * type (oobaddr.h), an empty value or one starting with '-', a message
 * longer than OTP_OOB_MESSAGE_MAX); OTP_ENOMEM.
 */
int otp_oob_deliver(const struct otp_config *cfg, enum otp_dev_type type, const char *to,
		    const char *user, const char *host, const char *message, size_t len,
		    struct otp_delivery_result *res);

struct otp_oob_msg;  /* oobmsg.h */

/*
 * otp_oob_send - compose m (oobmsg.h: m->host must be set) and deliver it
 * through the command for m->type to m->to, as otp_oob_deliver does; the
 * composed message (code and destination in clear) is wiped, and in
 * res->err the destination is masked and the code blanked (a command may
 * echo its input).
 * Returns as otp_oob_deliver, or otp_oob_message's error with res->why
 * "cannot compose the message: ...".
 */
int otp_oob_send(const struct otp_config *cfg, const struct otp_oob_msg *m,
		 struct otp_delivery_result *res);

#endif
