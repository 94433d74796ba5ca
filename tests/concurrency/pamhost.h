/*
 * pamhost.h - what the PAM hosts of the tests and benchmarks share (the
 * threaded and forking hosts, bench/bench.c, bench/pg_bench.c): a
 * conversation that answers every prompt, and HOTP codes computed apart
 * from the module (with OpenSSL directly), so that a host needs neither
 * libotp nor oathtool in its loop.
 */
#ifndef OTP_TESTS_PAMHOST_H
#define OTP_TESTS_PAMHOST_H

#include <openssl/evp.h>
#include <security/pam_appl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A PAM conversation: every prompt, echoed or not, gets the text data. */
static inline int pamhost_conv(int n, const struct pam_message **msg,
			       struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(data);
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* RFC 4226 HOTP, 6 digits, with the Appendix D key. */
static inline void pamhost_hotp(uint64_t counter, char out[7])
{
	static const unsigned char key[] = "12345678901234567890";
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	size_t len = 0;
	uint32_t bin;
	unsigned off;

	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)counter;
	EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, 20, msg, 8, mac, sizeof(mac), &len);
	off = mac[len - 1] & 15;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	       (uint32_t)mac[off + 2] << 8 | mac[off + 3]) % 1000000;
	snprintf(out, 7, "%06u", bin);
}

#endif
