/* oobmsg.c - placeholder until the message composer lands */
#include "oobmsg.h"

#include "err.h"

int otp_oob_message(const struct otp_oob_msg *m, char *out, size_t outsz, size_t *len)
{
	(void)m; (void)out; (void)outsz;
	*len = 0;
	return otp_seterr(OTP_EINVAL, "messages are not built yet");
}
