/* args.h - pam_otp.so module arguments (see pam_otp(8)). */
#ifndef PAM_OTP_ARGS_H
#define PAM_OTP_ARGS_H

#include <limits.h>

#define ARGS_OVERRIDES_MAX 32

struct module_args {
	const char *config;                       /* config=PATH */
	const char *overrides[ARGS_OVERRIDES_MAX]; /* key=value for the config */
	unsigned noverrides;
	int authfail;        /* record a failure and fail */
	int debug;
	int use_first_pass;  /* take PAM_AUTHTOK, never prompt for the password */
	int try_first_pass;  /* take PAM_AUTHTOK when set, else prompt */
	int nodelay;         /* no pam_fail_delay (as pam_unix's nodelay) */
	const char *bad;     /* the first argument not understood, if any */
};

/*
 * parse_args - read argc/argv into a. Bare "nullok" becomes the override
 * "nullok=true"; any other key=value is a config override. Returns 0, or
 * -1 with a->bad set.
 */
int parse_args(int argc, const char **argv, struct module_args *a);

#endif
