/*
 * warm.so - preloaded into pamtester to stand for a host that already uses
 * OpenSSL before PAM runs (sshd does its key exchange with it): loads
 * libcrypto and fetches HMAC-SHA1 and AES-256-GCM once, in a constructor.
 * bench/run.sh preloads it for every module alike, so the difference from
 * a fresh process is what OpenSSL 3's first use costs a login.
 */
#include <openssl/evp.h>

__attribute__((constructor)) static void warm(void)
{
	static const unsigned char key[20], msg[8];
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t len = 0;
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);

	EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, sizeof(key), msg, sizeof(msg), mac,
		  sizeof(mac), &len);
	EVP_CIPHER_free(c);
}
