/* deliver.c - placeholder until the delivery engine lands */
#include "deliver.h"

#include "err.h"

#include <string.h>

int otp_oob_deliver(const struct otp_config *cfg, enum otp_dev_type type, const char *to,
		    const char *user, const char *host, const char *message, size_t len,
		    struct otp_delivery_result *res)
{
	(void)cfg; (void)type; (void)to; (void)user; (void)host; (void)message; (void)len;
	memset(res, 0, sizeof(*res));
	return otp_seterr(OTP_ECONFIG, "delivery is not built yet");
}
