/*
 * oob.c - an out-of-band device's sealed payload, and judging a typed
 * code against the last code sent to it.
 */
#include "oob.h"

#include "codec.h"
#include "err.h"
#include "otp.h"
#include "util.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <string.h>

#define PAYLOAD_VERSION 1
#define MAC_INFO "pam_otp oob code"

static const char *const type_names[] = { "totp", "hotp", "email", "sms" };

const char *otp_dev_type_name(unsigned type)
{
	return type <= OTP_DEV_TYPE_LAST ? type_names[type] : "?";
}

int otp_dev_type_parse(const char *s, enum otp_dev_type *type)
{
	for (unsigned i = 0; s != NULL && i <= OTP_DEV_TYPE_LAST; i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*type = (enum otp_dev_type)i;
			return OTP_OK;
		}
	}
	return otp_seterr(OTP_EINVAL, "no device type '%.16s' (totp, hotp, email or sms)",
			  s ? s : "");
}

static int encode(const struct otp_oob *o, uint8_t *out, size_t cap, size_t *n)
{
	struct otp_wbuf w = { out, cap, 0, OTP_OK };

	otp_put_u8(&w, PAYLOAD_VERSION);
	otp_put_str(&w, o->to);
	otp_put_blob(&w, o->mac, sizeof(o->mac));
	otp_put_u64(&w, o->expires);
	otp_put_u64(&w, o->used);
	otp_put_u32(&w, o->tries);
	otp_put_u64(&w, o->sent);
	otp_put_u64(&w, o->hour);
	otp_put_u32(&w, o->count);
	*n = w.len;
	return w.err == OTP_OK ? OTP_OK : otp_seterr(OTP_EINVAL, "payload does not fit");
}

static int decode(const uint8_t *in, size_t n, struct otp_oob *o)
{
	struct otp_rbuf r = { in, n, 0, OTP_OK };
	uint8_t v = otp_get_u8(&r);
	size_t maclen = 0;

	if (r.err != OTP_OK || v == 0)
		return OTP_ECORRUPT;
	if (v > PAYLOAD_VERSION)
		return OTP_EVERSION;
	otp_get_str(&r, o->to, OTP_OOB_TO_MAX);
	otp_get_blob(&r, o->mac, sizeof(o->mac), &maclen);
	o->expires = otp_get_u64(&r);
	o->used = otp_get_u64(&r);
	o->tries = otp_get_u32(&r);
	o->sent = otp_get_u64(&r);
	o->hour = otp_get_u64(&r);
	o->count = otp_get_u32(&r);
	if (otp_get_end(&r) != OTP_OK || maclen != sizeof(o->mac) || o->to[0] == '\0')
		return OTP_ECORRUPT;
	return OTP_OK;
}

int otp_oob_open(const struct otp_seal_key *key, const char *user,
		 const struct otp_device_rec *d, struct otp_oob *o)
{
	uint8_t plain[OTP_SEAL_PLAIN_MAX];
	size_t n = 0;
	int rc;

	memset(o, 0, sizeof(*o));
	if (!OTP_IS_OOB(d->type) || d->sealed_len == 0)
		return otp_seterr(OTP_EINVAL, "device %u of %s is not a live email or sms device",
				  d->id, user);
	rc = otp_unseal(key, user, d->id, d->sealed, d->sealed_len, plain, sizeof(plain), &n);
	if (rc == OTP_OK) {
		rc = decode(plain, n, o);
		if (rc != OTP_OK)
			rc = otp_seterr(rc, "device %u of %s: %s", d->id, user,
					rc == OTP_EVERSION ? "payload of a newer version" :
							     "payload does not decode");
	}
	otp_wipe(plain, sizeof(plain));
	if (rc != OTP_OK)
		otp_oob_wipe(o);
	return rc;
}

int otp_oob_store(const struct otp_seal_key *key, const char *user,
		  struct otp_device_rec *d, const struct otp_oob *o)
{
	uint8_t plain[OTP_SEAL_PLAIN_MAX];
	size_t n = 0;
	int rc;

	if (o->to[0] == '\0' || strnlen(o->to, sizeof(o->to)) > OTP_OOB_TO_MAX)
		return otp_seterr(OTP_EINVAL, "no destination to seal");
	rc = encode(o, plain, sizeof(plain), &n);
	if (rc == OTP_OK)
		rc = otp_seal(key, user, d->id, plain, n, d->sealed, sizeof(d->sealed),
			      &d->sealed_len);
	otp_wipe(plain, sizeof(plain));
	return rc;
}

void otp_oob_wipe(struct otp_oob *o)
{
	otp_wipe(o, sizeof(*o));
}

/* The MAC key: HKDF-SHA256 (RFC 5869) of the seal key. */
static int mac_key(const struct otp_seal_key *key, uint8_t out[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key->k,
						      sizeof(key->k));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)MAC_INFO,
						      strlen(MAC_INFO));
	params[3] = OSSL_PARAM_construct_end();
	ok = kctx != NULL && EVP_KDF_derive(kctx, out, 32, params) == 1;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? OTP_OK : otp_seterr(OTP_ECRYPTO, "cannot derive the code key");
}

int otp_oob_mac(const struct otp_seal_key *key, const char *user, uint32_t id,
		uint64_t expires, const char *code, uint8_t *out)
{
	/* user with its NUL, id, expires, code: "ab"+"c..." never meets "a"+"bc..." */
	uint8_t k[32], msg[OTP_USER_MAX + 1 + 12 + OTP_OOB_CODE_MAX];
	size_t ul = strnlen(user, OTP_USER_MAX + 1), cl = strnlen(code, OTP_OOB_CODE_MAX + 1);
	unsigned outlen = 0;
	int ok;

	if (ul > OTP_USER_MAX || cl > OTP_OOB_CODE_MAX)
		return otp_seterr(OTP_EINVAL, "user or code too long for a MAC");
	if (mac_key(key, k) != OTP_OK)
		return OTP_ECRYPTO;
	memcpy(msg, user, ul + 1);
	otp_be32(msg + ul + 1, id);
	otp_be64(msg + ul + 5, expires);
	memcpy(msg + ul + 13, code, cl);
	ok = HMAC(EVP_sha256(), k, sizeof(k), msg, ul + 13 + cl, out, &outlen) != NULL &&
	     outlen == OTP_OOB_MAC_LEN;
	otp_wipe(k, sizeof(k));
	otp_wipe(msg, sizeof(msg));
	return ok ? OTP_OK : otp_seterr(OTP_ECRYPTO, "cannot compute the code's MAC");
}

enum otp_oob_verdict otp_oob_try(const struct otp_seal_key *key, const struct otp_config *cfg,
				 const char *user, uint32_t id, struct otp_oob *o,
				 const char *code, uint64_t now, int *changed)
{
	char norm[OTP_CODE_BUF];
	uint8_t mac[OTP_OOB_MAC_LEN];
	int same;

	*changed = 0;
	if (o->expires == 0)
		return OTP_OOB_NONE;
	/* only digits of the configured length can be this code: no MAC work
	 * for anything else, but a wrong code still counts against it */
	same = otp_code_normalize(code, norm) == OTP_OK &&
	       otp_code_wellformed(norm, cfg->oob.digits) == OTP_OK &&
	       otp_oob_mac(key, user, id, o->expires, norm, mac) == OTP_OK &&
	       CRYPTO_memcmp(mac, o->mac, sizeof(mac)) == 0;
	otp_wipe(norm, sizeof(norm));
	otp_wipe(mac, sizeof(mac));
	if (same) {
		if (o->used != 0)
			return OTP_OOB_USED;
		if (now >= o->expires)
			return OTP_OOB_EXPIRED;
		if (o->tries >= cfg->oob.max_attempts)
			return OTP_OOB_EXHAUSTED;
		o->used = now;
		*changed = 1;
		return OTP_OOB_MATCH;
	}
	if (o->used == 0 && now < o->expires && o->tries < cfg->oob.max_attempts) {
		o->tries++;
		*changed = 1;
	}
	return OTP_OOB_NONE;
}
