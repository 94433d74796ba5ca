/*
 * fresh_steps - what a fresh process pays, step by step, before and while
 * pam_otp verifies its first code (bench/fresh_steps.sh drives it).
 *
 *   fresh_steps STEP...
 *
 * Runs the steps in the order given, in this (new) process, and prints one
 * line "STEP us STEP us ..." with the wall time of each. The program links
 * only libc: libcrypto and the module's other libraries are loaded by the
 * steps with dlopen, so their load is timed too. Steps:
 *
 *   lib:NAME     dlopen NAME (e.g. libcrypto.so.3, libpq.so.5), RTLD_NOW
 *   init         OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG): the
 *                library's own set-up, without the configuration
 *   conf         OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG): openssl.cnf
 *   prov         OSSL_PROVIDER_available(NULL, "default"): activates the
 *                providers the configuration left to the fallback
 *   names        a fetch of a name no provider has (EVP_RAND "none"): the
 *                name map, filled from the legacy tables on its first use,
 *                and the small RAND table
 *   mac          EVP_MAC_fetch "HMAC" (the MAC table)
 *   md:NAME      EVP_MD_fetch NAME (the digest table on the first one)
 *   hmac:NAME    one HMAC-NAME with the HMAC fetched by `mac` (or a fetch
 *                of its own when there was none) and a fetched digest
 *   qmac:NAME    one EVP_Q_mac HMAC-NAME (fetches by name at each call)
 *   cipher       EVP_CIPHER_fetch "AES-256-GCM" (the cipher table)
 *   gcm          one AES-256-GCM open of 20 bytes with the fetched cipher
 *   gcmlegacy    the same through EVP_aes_256_gcm() (an implicit fetch)
 *   rand         RAND_bytes of 12 bytes (the DRBG's first seeding)
 *   legacy       OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_CIPHERS |
 *                OPENSSL_INIT_ADD_ALL_DIGESTS): the legacy name tables
 *                that the first fetch copies into the name map
 *   cleanup      OPENSSL_cleanup(): what libcrypto's exit handler does
 *   nostrings    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS):
 *                no error strings in this process (for comparison only:
 *                a module must not decide that for its host)
 *
 * Built with -DFRESH_OTP and linked with libotp (and so with libcrypto,
 * loaded before main), it also has libotp's steps of a login:
 *
 *   otp:config:PATH   otp_config_load (file checks and libconfuse parse)
 *   otp:key           otp_seal_key_load of the config's key
 *   otp:store         otp_store_open of the config's store
 *   otp:keycheck      otp_store_key_check (read of the check value, HMAC)
 *   otp:login:USER:CODE  otp_auth_code with OTP_AUTH_CHARGE | OTP_AUTH_FINAL:
 *                     the login's one write transaction (charge, unseal,
 *                     verify, counter, audit record, durable commit)
 */
#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef FRESH_OTP
#include "auth.h"
#include "config.h"
#include "err.h"
#include "keycheck.h"
#include "seal.h"
#include "store.h"
#endif

/* libcrypto's functions, looked up once it is loaded (typed by its headers) */
#define FN(name) static __typeof__(name) *p_##name
FN(OPENSSL_init_crypto);
FN(OSSL_PROVIDER_available);
FN(EVP_RAND_fetch);
FN(EVP_MAC_fetch);
FN(EVP_MD_fetch);
FN(EVP_MD_get0_name);
FN(EVP_MAC_CTX_new);
FN(EVP_MAC_CTX_free);
FN(EVP_MAC_init);
FN(EVP_MAC_update);
FN(EVP_MAC_final);
FN(OSSL_PARAM_construct_utf8_string);
FN(OSSL_PARAM_construct_end);
FN(EVP_Q_mac);
FN(EVP_CIPHER_fetch);
FN(EVP_aes_256_gcm);
FN(EVP_CIPHER_CTX_new);
FN(EVP_CIPHER_CTX_free);
FN(EVP_CIPHER_CTX_ctrl);
FN(EVP_CipherInit_ex);
FN(EVP_CipherUpdate);
FN(EVP_CipherFinal_ex);
FN(RAND_bytes);
FN(OPENSSL_cleanup);

static void *crypto_lib;
static EVP_MAC *mac;
static EVP_MD *md[8];
static unsigned nmd;
static EVP_CIPHER *cipher;

static void die(const char *what)
{
	fprintf(stderr, "fresh_steps: %s\n", what);
	exit(1);
}

#define LOOK(name)                                                     \
	do {                                                           \
		*(void **)&p_##name = dlsym(crypto_lib, #name);        \
		if (p_##name == NULL)                                  \
			die("no " #name " in libcrypto");              \
	} while (0)

static void bind_crypto(void)
{
	if (crypto_lib != NULL)
		return;
	crypto_lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_NOLOAD);
	if (crypto_lib == NULL)
		die("libcrypto is not loaded: put lib:libcrypto.so.3 first");
	LOOK(OPENSSL_init_crypto); LOOK(OSSL_PROVIDER_available); LOOK(EVP_RAND_fetch);
	LOOK(EVP_MAC_fetch); LOOK(EVP_MD_fetch); LOOK(EVP_MD_get0_name);
	LOOK(EVP_MAC_CTX_new); LOOK(EVP_MAC_CTX_free); LOOK(EVP_MAC_init);
	LOOK(EVP_MAC_update); LOOK(EVP_MAC_final); LOOK(OSSL_PARAM_construct_utf8_string);
	LOOK(OSSL_PARAM_construct_end); LOOK(EVP_Q_mac); LOOK(EVP_CIPHER_fetch);
	LOOK(EVP_aes_256_gcm); LOOK(EVP_CIPHER_CTX_new); LOOK(EVP_CIPHER_CTX_free);
	LOOK(EVP_CIPHER_CTX_ctrl); LOOK(EVP_CipherInit_ex); LOOK(EVP_CipherUpdate);
	LOOK(EVP_CipherFinal_ex); LOOK(RAND_bytes); LOOK(OPENSSL_cleanup);
}

static const EVP_MD *digest(const char *name)
{
	for (unsigned i = 0; i < nmd; i++) {
		if (strcmp(p_EVP_MD_get0_name(md[i]), name) == 0)
			return md[i];
	}
	if (nmd == 8 || (md[nmd] = p_EVP_MD_fetch(NULL, name, NULL)) == NULL)
		die("digest fetch failed");
	return md[nmd++];
}

static void hmac(const char *name)
{
	static const unsigned char key[20], msg[8];
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t n = 0;
	OSSL_PARAM par[2];
	EVP_MAC_CTX *c;

	if (mac == NULL && (mac = p_EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		die("HMAC fetch failed");
	par[0] = p_OSSL_PARAM_construct_utf8_string("digest",
						    (char *)p_EVP_MD_get0_name(digest(name)), 0);
	par[1] = p_OSSL_PARAM_construct_end();
	c = p_EVP_MAC_CTX_new(mac);
	if (c == NULL || p_EVP_MAC_init(c, key, sizeof(key), par) != 1 ||
	    p_EVP_MAC_update(c, msg, sizeof(msg)) != 1 ||
	    p_EVP_MAC_final(c, out, &n, sizeof(out)) != 1)
		die("HMAC failed");
	p_EVP_MAC_CTX_free(c);
}

static void gcm_open(const EVP_CIPHER *ciph)
{
	static const unsigned char key[32], iv[12], in[20];
	unsigned char out[20], tag[16] = { 0 };
	EVP_CIPHER_CTX *c = p_EVP_CIPHER_CTX_new();
	int len = 0;

	/* the tag is wrong: the open fails at the end, as the work is done */
	if (c == NULL || p_EVP_CipherInit_ex(c, ciph, NULL, NULL, NULL, 0) != 1 ||
	    p_EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    p_EVP_CipherInit_ex(c, NULL, NULL, key, iv, 0) != 1 ||
	    p_EVP_CipherUpdate(c, out, &len, in, sizeof(in)) != 1 ||
	    p_EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		die("AES-256-GCM failed");
	p_EVP_CipherFinal_ex(c, out + len, &len);
	p_EVP_CIPHER_CTX_free(c);
}

#ifdef FRESH_OTP
static struct otp_config cfg;
static struct otp_seal_key key;
static struct otp_store *st;

static void otp_must(int rc, const char *what)
{
	if (rc != OTP_OK) {
		fprintf(stderr, "fresh_steps: %s: %s (%s)\n", what, otp_errdetail(), otp_strerror(rc));
		exit(1);
	}
}

static void otp_step(const char *s)
{
	if (strncmp(s, "config:", 7) == 0) {
		otp_must(otp_config_load(s + 7, NULL, 0, &cfg), "config");
	} else if (strcmp(s, "key") == 0) {
		otp_must(otp_seal_key_load(cfg.seal_key, &key), "key");
	} else if (strcmp(s, "store") == 0) {
		otp_must(otp_store_open(cfg.store, cfg.map_size_mb, 0, &st), "store");
	} else if (strcmp(s, "keycheck") == 0) {
		otp_must(otp_store_key_check(st, &key, 0), "key check");
	} else if (strncmp(s, "login:", 6) == 0) {
		char user[64];
		const char *code = strchr(s + 6, ':');
		struct otp_auth_result res;
		struct otp_login who = { .user = user, .service = "fresh_steps",
					 .now = (uint64_t)time(NULL) };

		if (code == NULL || (size_t)(code - s - 6) >= sizeof(user))
			die("otp:login:USER:CODE");
		snprintf(user, sizeof(user), "%.*s", (int)(code - s - 6), s + 6);
		memset(&res, 0, sizeof(res));
		otp_must(otp_auth_code(st, &key, &cfg, &who, code + 1,
				       OTP_AUTH_CHARGE | OTP_AUTH_FINAL, &res), "login");
	} else {
		die("unknown otp: step");
	}
}
#endif

static void step(const char *s)
{
	static const unsigned char k[20], m[8];
	unsigned char out[EVP_MAX_MD_SIZE], rnd[12];
	size_t n = 0;

	if (strncmp(s, "lib:", 4) == 0) {
		if (dlopen(s + 4, RTLD_NOW | RTLD_GLOBAL) == NULL)
			die(dlerror());
		return;
	}
#ifdef FRESH_OTP
	if (strncmp(s, "otp:", 4) == 0) {
		otp_step(s + 4);
		return;
	}
#endif
	bind_crypto();
	if (strcmp(s, "init") == 0) {
		if (p_OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
			die("init failed");
	} else if (strcmp(s, "conf") == 0) {
		if (p_OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
			die("config load failed");
	} else if (strcmp(s, "legacy") == 0) {
		if (p_OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS,
					  NULL) != 1)
			die("legacy tables failed");
	} else if (strcmp(s, "nostrings") == 0) {
		if (p_OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL) != 1)
			die("init failed");
	} else if (strcmp(s, "cleanup") == 0) {
		p_OPENSSL_cleanup();
	} else if (strcmp(s, "prov") == 0) {
		if (p_OSSL_PROVIDER_available(NULL, "default") != 1)
			die("no default provider");
	} else if (strcmp(s, "names") == 0) {
		if (p_EVP_RAND_fetch(NULL, "none", NULL) != NULL)
			die("a RAND named none?");
	} else if (strcmp(s, "mac") == 0) {
		if ((mac = p_EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
			die("HMAC fetch failed");
	} else if (strncmp(s, "md:", 3) == 0) {
		digest(s + 3);
	} else if (strncmp(s, "hmac:", 5) == 0) {
		hmac(s + 5);
	} else if (strncmp(s, "qmac:", 5) == 0) {
		if (p_EVP_Q_mac(NULL, "HMAC", NULL, s + 5, NULL, k, sizeof(k), m, sizeof(m), out,
				sizeof(out), &n) == NULL)
			die("EVP_Q_mac failed");
	} else if (strcmp(s, "cipher") == 0) {
		if ((cipher = p_EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL)
			die("AES-256-GCM fetch failed");
	} else if (strcmp(s, "gcm") == 0) {
		if (cipher == NULL && (cipher = p_EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL)
			die("AES-256-GCM fetch failed");
		gcm_open(cipher);
	} else if (strcmp(s, "gcmlegacy") == 0) {
		gcm_open(p_EVP_aes_256_gcm());
	} else if (strcmp(s, "rand") == 0) {
		if (p_RAND_bytes(rnd, sizeof(rnd)) != 1)
			die("RAND_bytes failed");
	} else {
		die("unknown step");
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		double t0 = now_us();

		step(argv[i]);
		printf("%s%s %.0f", i > 1 ? " " : "", argv[i], now_us() - t0);
	}
	printf("\n");
	return 0;
}
