#include "secretdup.h"
#include "err.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdlib.h>

/* The length HMAC effectively sees: trailing zeros are its own padding
 * (every secret fits one block, OTP_SECRET_MAX <= 64 bytes). */
static size_t hmac_len(const uint8_t *s, size_t n)
{
	while (n > 0 && s[n - 1] == 0)
		n--;
	return n;
}

static int same_secret(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	na = hmac_len(a, na);
	nb = hmac_len(b, nb);
	return na == nb && CRYPTO_memcmp(a, b, na) == 0;
}

static int holds(const struct otp_seal_key *key, const char *user,
		 const struct otp_device_rec *d, const uint8_t *secret, size_t n)
{
	uint8_t other[OTP_SECRET_MAX];
	size_t m = 0;
	int rc = otp_unseal(key, user, d->id, d->sealed, d->sealed_len, other, sizeof(other), &m);

	if (rc == OTP_OK && same_secret(secret, n, other, m))
		rc = otp_seterr(OTP_EDUPLICATE, "user %s already has this secret on device '%s' (id %u)",
				user, d->name, d->id);
	otp_wipe(other, sizeof(other));
	return rc;
}

int otp_secret_in_use(struct otp_txn *txn, const struct otp_seal_key *key, const char *user,
		      const uint8_t *secret, size_t n, uint32_t except_id, unsigned states)
{
	struct otp_device_rec *all = calloc(OTP_DEVICES_MAX, sizeof(*all));
	unsigned count = 0;
	int rc;

	if (all == NULL)
		return otp_seterr(OTP_ENOMEM, "out of memory");
	rc = otp_device_list(txn, user, all, &count);
	for (unsigned i = 0; rc == OTP_OK && i < count; i++) {
		/* email and sms devices seal a destination, not a secret */
		if (all[i].id != except_id && all[i].state < 32 && (states & (1u << all[i].state)) &&
		    all[i].sealed_len > 0 && !OTP_IS_OOB(all[i].type))
			rc = holds(key, user, &all[i], secret, n);
	}
	otp_wipe(all, OTP_DEVICES_MAX * sizeof(*all));
	free(all);
	return rc;
}
