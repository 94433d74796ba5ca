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
 * The scheme of a hash or setting: "$id$[params$]" up to the salt, so
 * "$y$j9T$" for yescrypt at the default cost, "$6$" for SHA-512-crypt.
 * A setting ends with its salt, a full hash with salt '$' hash.
 */
static size_t scheme_len(const char *s, int full)
{
	const char *last = strrchr(s, '$'), *p;

	if (s[0] != '$' || last == NULL)
		return 0;
	if (!full)
		return (size_t)(last - s) + 1;
	for (p = last - 1; p > s && *p != '$'; p--)
		;
	return p > s ? (size_t)(p - s) + 1 : 0;
}

/*
 * The work for one password: hash it against `hash` (the user's real
 * hash, a locked one behind its '!', or else a fresh setting of
 * libcrypt's default method and cost), and when that is another scheme
 * than the default, against the default as well. Every name then costs at
 * least one hash at the default cost, so an unknown name and a user whose
 * old hash is cheap ($6$) answer alike. Returns crypt_r's result for hash.
 */
static const char *hash_work(const char *password, const char *hash, struct crypt_data *cd,
			     struct crypt_data *spare)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *def = crypt_gensalt_rn(NULL, 0, NULL, 0, setting, (int)sizeof(setting));
	const char *out;
	size_t n;

	if (def == NULL)
		def = fallback_setting;
	while (hash != NULL && hash[0] == '!')
		hash++;
	if (hash == NULL || hash[0] != '$')
		hash = def;
	out = crypt_r(password, hash, cd);
	n = scheme_len(def, 0);
	if (hash != def && (n == 0 || scheme_len(hash, 1) != n || strncmp(hash, def, n) != 0))
		(void)crypt_r(password, def, spare);
	otp_wipe(setting, sizeof(setting));
	return out;
}

int otp_password_check(const char *user, const char *password)
{
	struct spwd sp, *res = NULL;
	struct crypt_data *cd;
	char *buf;
	const char *hash, *out;
	int match = 0, real;

	if (strnlen(password, OTP_PASSWORD_MAX + 1) > OTP_PASSWORD_MAX)
		return otp_seterr(OTP_ETOOLONG, "password longer than %d bytes", OTP_PASSWORD_MAX);
	buf = malloc(16384);
	cd = calloc(2, sizeof(*cd));
	if (buf == NULL || cd == NULL) {
		free(buf);
		free(cd);
		return OTP_ENOMEM;
	}
	if (getspnam_r(user, &sp, buf, 16384, &res) != 0)
		res = NULL;
	hash = res != NULL ? res->sp_pwdp : NULL;
	real = usable(hash);
	out = hash_work(password, hash, &cd[0], &cd[1]);
	if (real && out != NULL && out[0] != '*' && strlen(out) == strlen(hash))
		match = CRYPTO_memcmp(out, hash, strlen(hash)) == 0;
	otp_wipe(cd, 2 * sizeof(*cd));
	otp_wipe(buf, 16384);
	free(cd);
	free(buf);
	return match ? OTP_OK : OTP_EBADCODE;
}
