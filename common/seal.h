/*
 * seal.h - OTP secrets at rest: AES-256-GCM under the host's seal key.
 *
 * A sealed secret is  version(1) || nonce(12) || ciphertext || tag(16);
 * the additional authenticated data binds it to one user and one device
 * id, so a sealed blob copied to another record does not open.
 */
#ifndef OTP_SEAL_H
#define OTP_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define OTP_SEAL_KEY_LEN 32
#define OTP_SEAL_OVERHEAD (1 + 12 + 16)
/* bytes a seal holds: an OTP secret (otp.h) or an out-of-band device's
 * payload (oob.h: its destination and code state) */
#define OTP_SEAL_PLAIN_MAX 352

struct otp_seal_key {
	uint8_t k[OTP_SEAL_KEY_LEN];
};

/*
 * otp_seal_key_load - read the key file at path: a regular file, not a
 * symlink, owned by root (or the effective user), with no group/other
 * access, exactly OTP_SEAL_KEY_LEN bytes, below directories that pass the
 * checks of otp_open_checked (fileck.h).
 * Returns OTP_OK; OTP_ENOTFOUND; OTP_EPERM (unsafe file); OTP_EINVAL
 * (wrong length); OTP_EIO. The detail names the file.
 */
int otp_seal_key_load(const char *path, struct otp_seal_key *key);

struct otp_file_id;  /* fileck.h */

/*
 * otp_seal_key_load_id - otp_seal_key_load, and *id (unless NULL) gets
 * the identity of the file the key was read from (fileck.h), for a
 * caller that keeps the key and reloads it when the file changes.
 * Returns as otp_seal_key_load.
 */
int otp_seal_key_load_id(const char *path, struct otp_seal_key *key, struct otp_file_id *id);

/*
 * otp_seal_key_create - make a new random key file at path, mode 0400,
 * in a directory that passes the checks of otp_open_checked (fileck.h).
 * Never replaces an existing file: returns OTP_EEXIST if path exists.
 * Returns OTP_OK, OTP_EEXIST, OTP_ECRYPTO (no randomness), OTP_EPERM (an
 * unsafe directory above it), OTP_ENOTFOUND (no such directory) or OTP_EIO.
 */
int otp_seal_key_create(const char *path);

/* otp_seal_key_wipe - erase a loaded key from memory. */
void otp_seal_key_wipe(struct otp_seal_key *key);

/*
 * otp_seal - encrypt n bytes of secret (1..OTP_SEAL_PLAIN_MAX) for
 * (user, device id).
 * out: outsz bytes, at least n + OTP_SEAL_OVERHEAD; *outlen gets the size.
 * Returns OTP_OK, OTP_EINVAL (buffer too small) or OTP_ECRYPTO.
 */
int otp_seal(const struct otp_seal_key *key, const char *user, uint32_t id,
	     const uint8_t *secret, size_t n, uint8_t *out, size_t outsz, size_t *outlen);

/*
 * otp_unseal - decrypt and authenticate a sealed blob for (user, id).
 * out: outsz bytes; *outlen gets the secret length. The caller wipes out.
 * Returns OTP_OK; OTP_ECRYPTO when the tag does not verify (wrong key,
 * wrong record, tampering); OTP_EVERSION for a newer format; OTP_EINVAL.
 */
int otp_unseal(const struct otp_seal_key *key, const char *user, uint32_t id,
	       const uint8_t *sealed, size_t n, uint8_t *out, size_t outsz, size_t *outlen);

#endif
