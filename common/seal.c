#include "seal.h"
#include "codec.h"
#include "err.h"
#include "fileck.h"
#include "records.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_VERSION 1
#define NONCE_LEN 12
#define TAG_LEN 16

int otp_seal_key_load_id(const char *path, struct otp_seal_key *key, struct otp_file_id *id)
{
	struct stat st;
	ssize_t got;
	int fd, rc;

	rc = otp_open_checked(path, O_RDONLY, OTP_FORBID_PRIVATE, &fd);
	if (rc != OTP_OK)
		return rc;
	if (fstat(fd, &st) != 0 || st.st_size != OTP_SEAL_KEY_LEN) {
		close(fd);
		return otp_seterr(OTP_EINVAL, "%s: seal key must be exactly %d bytes", path,
				  OTP_SEAL_KEY_LEN);
	}
	rc = id != NULL ? otp_file_id_of(fd, path, id) : OTP_OK;
	got = rc == OTP_OK ? read(fd, key->k, OTP_SEAL_KEY_LEN) : 0;
	close(fd);
	if (rc != OTP_OK)
		return rc;
	if (got != OTP_SEAL_KEY_LEN) {
		otp_seal_key_wipe(key);
		return otp_seterr(OTP_EIO, "%s: short read", path);
	}
	return OTP_OK;
}

int otp_seal_key_load(const char *path, struct otp_seal_key *key)
{
	return otp_seal_key_load_id(path, key, NULL);
}

int otp_seal_key_create(const char *path)
{
	uint8_t k[OTP_SEAL_KEY_LEN];
	int fd, rc = OTP_OK;

	rc = otp_create_checked(path, O_WRONLY, 0400, &fd);
	if (rc != OTP_OK)
		return rc == OTP_EEXIST ?
		       otp_seterr(OTP_EEXIST, "%s: already exists; not replaced", path) : rc;
	if (RAND_bytes(k, sizeof(k)) != 1)
		rc = otp_seterr(OTP_ECRYPTO, "no randomness for the seal key");
	else if (write(fd, k, sizeof(k)) != (ssize_t)sizeof(k) || fsync(fd) != 0)
		rc = otp_seterr(OTP_EIO, "%s: %s", path, otp_syserr(errno));
	otp_wipe(k, sizeof(k));
	close(fd);
	if (rc != OTP_OK)
		unlink(path);
	return rc;
}

void otp_seal_key_wipe(struct otp_seal_key *key)
{
	otp_wipe(key->k, sizeof(key->k));
}

#define AAD_MAX (64 + OTP_USER_MAX + 1 + 4)

/*
 * AAD: a fixed label with its NUL, the user, a NUL and be32(device id), so
 * blobs stay put: a sealed secret opens for that user and device only,
 * whatever store it is kept in.
 */
static int make_aad(const char *user, uint32_t id, uint8_t *aad, size_t *n)
{
	static const char label[] = "pam_otp seal v1";
	size_t ul = strnlen(user, OTP_USER_MAX + 1), o = sizeof(label);

	if (ul > OTP_USER_MAX)
		return OTP_EINVAL;
	memcpy(aad, label, sizeof(label));
	memcpy(aad + o, user, ul);
	o += ul;
	aad[o++] = '\0';
	otp_be32(aad + o, id);
	*n = o + 4;
	return OTP_OK;
}

static int gcm(int enc, const struct otp_seal_key *key, const uint8_t *nonce,
	       const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n,
	       uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok;

	if (c == NULL)
		return OTP_ENOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	     EVP_CipherInit_ex(c, NULL, NULL, key->k, nonce, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) == 1 &&
	     EVP_CipherUpdate(c, out, &len, in, (int)n) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + len, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? OTP_OK : OTP_ECRYPTO;
}

int otp_seal(const struct otp_seal_key *key, const char *user, uint32_t id,
	     const uint8_t *secret, size_t n, uint8_t *out, size_t outsz, size_t *outlen)
{
	uint8_t aad[AAD_MAX];
	size_t aadlen;
	int rc;

	if (n == 0 || n > OTP_SEAL_PLAIN_MAX || outsz < n + OTP_SEAL_OVERHEAD ||
	    make_aad(user, id, aad, &aadlen) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "bad seal arguments");
	out[0] = SEAL_VERSION;
	if (RAND_bytes(out + 1, NONCE_LEN) != 1)
		return otp_seterr(OTP_ECRYPTO, "no randomness for a nonce");
	rc = gcm(1, key, out + 1, aad, aadlen, secret, n, out + 1 + NONCE_LEN,
		 out + 1 + NONCE_LEN + n);
	if (rc != OTP_OK)
		return otp_seterr(rc, "sealing failed");
	*outlen = n + OTP_SEAL_OVERHEAD;
	return OTP_OK;
}

int otp_unseal(const struct otp_seal_key *key, const char *user, uint32_t id,
	       const uint8_t *sealed, size_t n, uint8_t *out, size_t outsz, size_t *outlen)
{
	uint8_t aad[AAD_MAX], tag[TAG_LEN];
	size_t aadlen, ctlen;
	int rc;

	if (n <= OTP_SEAL_OVERHEAD || make_aad(user, id, aad, &aadlen) != OTP_OK)
		return otp_seterr(OTP_EINVAL, "sealed secret too short");
	if (sealed[0] != SEAL_VERSION)
		return otp_seterr(sealed[0] > SEAL_VERSION ? OTP_EVERSION : OTP_ECORRUPT,
				  "sealed secret of unknown version %u", sealed[0]);
	ctlen = n - OTP_SEAL_OVERHEAD;
	if (outsz < ctlen)
		return otp_seterr(OTP_EINVAL, "unseal buffer too small");
	memcpy(tag, sealed + 1 + NONCE_LEN + ctlen, TAG_LEN);
	rc = gcm(0, key, sealed + 1, aad, aadlen, sealed + 1 + NONCE_LEN, ctlen, out, tag);
	if (rc != OTP_OK) {
		otp_wipe(out, ctlen);
		return otp_seterr(OTP_ECRYPTO, "secret of %s device %u does not open with this seal key",
				  user, id);
	}
	*outlen = ctlen;
	return OTP_OK;
}
