/*
 * store_lmdb_codec.h - the LMDB engine's on-disk format: the keys and the
 * strict value encodings of each record kind. Only the LMDB engine (and
 * tests of the format) use it; the rules see typed records (store.h).
 *
 * Every value starts with a version byte; a decoder accepts exactly its
 * own version's layout and length (older versions that stores still hold
 * are read too), and reports a newer version as OTP_EVERSION rather than
 * guessing.
 */
#ifndef OTP_STORE_LMDB_CODEC_H
#define OTP_STORE_LMDB_CODEC_H

#include "audit.h"
#include "records.h"

#include <stddef.h>
#include <stdint.h>

#define OTP_REC_VERSION 1
#define OTP_REC_MAX 512               /* bytes, largest encoded value */
#define OTP_KEY_MAX (OTP_USER_MAX + 1 + 64) /* bytes, largest key */
#define OTP_DEVICE_REC_VERSION 2      /* v1 had no `drift` */
#define OTP_HOST_REC_VERSION 2        /* v1 had no `device` */
#define OTP_AUDIT_REC_VERSION 2       /* v1 had no host and actor; still read */
#define OTP_AUDIT_KEY_LEN 12          /* be64(time) be32(seq) */
#define OTP_AUDIT_REC_MAX (10 * (OTP_AUDIT_FIELD_MAX + 2) + 64) /* bytes */
#define OTP_SCHEMA_VERSION 1          /* meta "schema": be32 */

/* Encoders: write into out (OTP_REC_MAX bytes); *n gets the length. */
int otp_user_encode(const struct otp_user_rec *u, uint8_t *out, size_t *n);
int otp_device_encode(const struct otp_device_rec *d, uint8_t *out, size_t *n);
int otp_recovery_encode(const struct otp_recovery_rec *r, uint8_t *out, size_t *n);
int otp_host_encode(const struct otp_host_rec *h, uint8_t *out, size_t *n);

/*
 * Decoders: parse exactly n bytes. Return OTP_OK; OTP_EVERSION for a newer
 * version byte; OTP_ECORRUPT for anything truncated, oversized, trailing
 * or out of range. otp_device_decode keeps d->id (it is in the key).
 */
int otp_user_decode(const uint8_t *in, size_t n, struct otp_user_rec *u);
int otp_device_decode(const uint8_t *in, size_t n, struct otp_device_rec *d);
int otp_recovery_decode(const uint8_t *in, size_t n, struct otp_recovery_rec *r);
int otp_host_decode(const uint8_t *in, size_t n, struct otp_host_rec *h);

/*
 * otp_audit_encode - ev's fields (not time and seq: they are the key) into
 * out (cap bytes; OTP_AUDIT_REC_MAX suffice); *n gets the length.
 * Returns OTP_OK or OTP_ETOOLONG.
 */
int otp_audit_encode(const struct otp_audit_ev *ev, uint8_t *out, size_t cap, size_t *n);

/*
 * otp_audit_decode - one stored record (key and value as LMDB gives them),
 * of version 2 or of version 1 (host and actor then empty).
 * Returns OTP_OK, OTP_ECORRUPT or OTP_EVERSION (newer than 2).
 */
int otp_audit_decode(const void *key, size_t klen, const void *val, size_t vlen,
		     struct otp_audit_ev *ev);

/*
 * Keys. A user's records sort together because each key starts with the
 * user name and a NUL, which no user name contains.
 * otp_key_user:   user                      -> *n bytes in out
 * otp_key_sub:    user NUL be32(id)         (devices, recovery codes)
 * otp_key_host:   user NUL host
 * out holds OTP_KEY_MAX bytes. Return OTP_OK or OTP_ETOOLONG.
 * otp_key_audit:  be64(time) be32(seq) into out (OTP_AUDIT_KEY_LEN bytes).
 */
int otp_key_user(const char *user, uint8_t *out, size_t *n);
int otp_key_sub(const char *user, uint32_t id, uint8_t *out, size_t *n);
int otp_key_host(const char *user, const char *host, uint8_t *out, size_t *n);
void otp_key_audit(uint64_t time, uint32_t seq, uint8_t *out);

/*
 * otp_device_key_parse - split a `devices` key (user NUL be32(id)) into
 * user (OTP_USER_MAX + 1 bytes) and *id, for walks over every device.
 * Returns OTP_OK or OTP_ECORRUPT.
 */
int otp_device_key_parse(const void *key, size_t klen, char *user, uint32_t *id);

#endif
