#include "passwd.h"
#include "err.h"
#include "util.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>

/* Used only if libcrypt cannot make a setting: Debian's default (yescrypt). */
static const char fallback_setting[] = "$y$j9T$kmJhJlPeCLX3jYS7Pu7Ds0";

static int usable(const char *hash)
{
	return hash != NULL && hash[0] != '\0' && hash[0] != '!' && hash[0] != '*';
}

/*
 * What to hash the password against when it cannot match: a locked
 * account's real hash behind its '!' (the user's own scheme and cost), or
 * else a fresh setting of libcrypt's default method and cost, the one new
 * passwords get. So an unknown name, an account without a password and a
 * real one cost the same, unless a real hash uses a cheaper scheme than
 * the default (rehash it with passwd).
 */
static const char *dummy_for(const char *hash, char *buf, size_t len)
{
	while (hash != NULL && hash[0] == '!')
		hash++;
	if (hash != NULL && hash[0] == '$')
		return hash;
	if (crypt_gensalt_rn(NULL, 0, NULL, 0, buf, (int)len) != NULL)
		return buf;
	return fallback_setting;
}

int otp_password_check(const char *user, const char *password)
{
	struct spwd sp, *res = NULL;
	struct crypt_data *cd;
	char *buf, setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *hash, *out;
	int match = 0, real;

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
	real = res != NULL && usable(res->sp_pwdp);
	hash = real ? res->sp_pwdp : dummy_for(res ? res->sp_pwdp : NULL, setting, sizeof(setting));
	out = crypt_r(password, hash, cd);
	if (real && out != NULL && out[0] != '*' && strlen(out) == strlen(hash))
		match = CRYPTO_memcmp(out, hash, strlen(hash)) == 0;
	otp_wipe(cd, sizeof(*cd));
	otp_wipe(buf, 16384);
	free(cd);
	free(buf);
	return match ? OTP_OK : OTP_EBADCODE;
}
