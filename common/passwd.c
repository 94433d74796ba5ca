#include "passwd.h"
#include "err.h"
#include "util.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>

/*
 * A fixed hash of nothing in particular, in the default method of Debian
 * (yescrypt), so an unknown user costs the same as a real one.
 */
static const char dummy_hash[] =
	"$y$j9T$kmJhJlPeCLX3jYS7Pu7Ds0$ayxGDznsnBc2cAXktQQuPRyON4wWveDkz8HwrUY6ky3";

static int usable(const char *hash)
{
	return hash != NULL && hash[0] != '\0' && hash[0] != '!' && hash[0] != '*';
}

int otp_password_check(const char *user, const char *password)
{
	struct spwd sp, *res = NULL;
	struct crypt_data *cd;
	char *buf;
	const char *hash, *out;
	int match = 0;

	if (strnlen(password, OTP_PASSWORD_MAX + 1) > OTP_PASSWORD_MAX)
		return otp_seterr(OTP_ETOOLONG, "password longer than %d bytes", OTP_PASSWORD_MAX);
	buf = malloc(16384);
	cd = calloc(1, sizeof(*cd));
	if (buf == NULL || cd == NULL) {
		free(buf);
		free(cd);
		return OTP_ENOMEM;
	}
	if (getspnam_r(user, &sp, buf, 16384, &res) != 0)
		res = NULL;
	hash = res != NULL && usable(res->sp_pwdp) ? res->sp_pwdp : dummy_hash;
	out = crypt_r(password, hash, cd);
	if (out != NULL && out[0] != '*' && hash != dummy_hash && strlen(out) == strlen(hash))
		match = CRYPTO_memcmp(out, hash, strlen(hash)) == 0;
	otp_wipe(cd, sizeof(*cd));
	otp_wipe(buf, 16384);
	free(cd);
	free(buf);
	return match ? OTP_OK : OTP_EBADCODE;
}
