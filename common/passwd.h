/*
 * passwd.h - the password factor for password=system: the local shadow
 * database and libcrypt, with the same work done for a user who does not
 * exist, so neither time nor prompts tell which users do.
 */
#ifndef OTP_PASSWD_H
#define OTP_PASSWD_H

#define OTP_PASSWORD_MAX 512  /* bytes; longer input is refused unhashed */

/*
 * otp_password_check - verify password for user against getspnam_r and
 * crypt_r. A user with no shadow entry, an empty hash or a locked one
 * ('!' or '*') is refused after the same work: a locked hash behind its
 * '!' is computed all the same, anything else is hashed under a fresh
 * setting of libcrypt's default method and cost (crypt_gensalt_rn). A hash
 * of another scheme than the default is followed by one at the default, so
 * every name costs at least the default hash.
 * Returns OTP_OK when the password matches; OTP_EBADCODE when it does not
 * (or the account has no usable password); OTP_ETOOLONG for a password
 * over OTP_PASSWORD_MAX; OTP_ENOMEM. Never logs or keeps the password.
 */
int otp_password_check(const char *user, const char *password);

#endif
