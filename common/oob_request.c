/* oob_request.c - placeholder until the lead's request transaction lands */
#include "oob.h"

#include "err.h"

#include <string.h>

int otp_oob_request(struct otp_store *st, const struct otp_seal_key *key,
		    const struct otp_config *cfg, const struct otp_login *who,
		    uint32_t device, int flags, struct otp_oob_sent *out)
{
	(void)st; (void)key; (void)cfg; (void)who; (void)device; (void)flags;
	memset(out, 0, sizeof(*out));
	return otp_seterr(OTP_EINVAL, "not built yet");
}

int otp_oob_send_failed(struct otp_store *st, const struct otp_config *cfg,
			const struct otp_login *who, uint32_t device, const char *why)
{
	(void)st; (void)cfg; (void)who; (void)device; (void)why;
	return OTP_OK;
}
