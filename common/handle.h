/*
 * handle.h - what a PAM host keeps from one login to the next, shared by
 * all its threads: the configuration (with the module's arguments), the
 * seal key, and the open store.
 *
 * sshd, sudo and su run one login per process; mail, FTP and RADIUS
 * daemons, web consoles and screen lockers run many, from several threads
 * at once, and fork. Opening the store costs most of an in-process login,
 * and two threads that each open the same LMDB environment break its
 * locks (store.h). So a login takes what it needs here:
 *
 * - one store handle per store and process, opened on first use and kept
 *   after the login, used by every thread (reference-counted: it is
 *   closed only when no configuration and no login refers to it). The
 *   store is checked again at every login as otp_store_recheck does; one
 *   replaced on disk is opened anew once no login uses the old one.
 * - the configuration and its seal key, read once and kept; their files
 *   are checked at every login (every check of a first read: each
 *   directory above, owner, mode) and read again when changed (device,
 *   inode, size, mtime, ctime), so an edited config or a new key takes
 *   effect on the next login. A key is wiped from memory as soon as no
 *   login uses it and a newer one has replaced it, at exit, and in a
 *   forked child.
 * - after fork, the child's first login finds the parent's handles and
 *   drops them (keys wiped, stores forsaken: otp_store_forsake) and opens
 *   its own; a login under way in the parent goes on there untouched.
 *
 * All of it lives as long as the process: pam_otp.so is linked with
 * -z nodelete, so libpam's dlclose at pam_end never unloads it and the
 * next pam_start finds the same handles.
 */
#ifndef OTP_HANDLE_H
#define OTP_HANDLE_H

#include "config.h"
#include "seal.h"
#include "store.h"

#include <sys/types.h>

struct otp_snap;          /* private */
struct otp_shared_store;  /* private */

struct otp_handle {
	const struct otp_config *cfg;    /* read-only */
	const struct otp_seal_key *key;  /* read-only */
	struct otp_store *st;            /* for transactions (store.h) */
	/* private */
	struct otp_snap *snap;
	struct otp_shared_store *ss;
	pid_t pid;
};

/*
 * otp_handle_acquire - the configuration at path with the module
 * arguments overrides applied (as otp_config_load), its seal key and its
 * store, for one login; safe to call from many threads at once.
 * h: filled on success: h->cfg, h->key and h->st stay valid until
 * otp_handle_release(h), which the caller must call exactly once.
 * Returns OTP_OK; the errors of otp_config_load, otp_seal_key_load,
 * otp_store_open (without OTP_STORE_CREATE) and otp_store_recheck, with
 * their details; OTP_ESTORE when the store was replaced on disk while
 * logins of this process still use the one before (a process never opens
 * one store twice: refused until they end); OTP_ENOMEM. On error h is
 * left empty (releasing it is harmless).
 */
int otp_handle_acquire(const char *path, const char *const *overrides, unsigned noverrides,
		       struct otp_handle *h);

/*
 * otp_handle_release - the end of a login's use of h. In a child after
 * fork, releasing a handle the parent acquired does nothing (the child
 * has dropped the parent's handles already). NULL members are fine.
 */
void otp_handle_release(struct otp_handle *h);

#endif
