#include "store_lmdb_codec.h"
#include "codec.h"
#include "err.h"

#include <string.h>

#define WBUF(out) { (out), OTP_REC_MAX, 0, OTP_OK }

static int finish(const struct otp_wbuf *w, size_t *n)
{
	*n = w->len;
	return w->err;
}

static int check_version(struct otp_rbuf *r)
{
	uint8_t v = otp_get_u8(r);

	if (r->err != OTP_OK)
		return OTP_ECORRUPT;
	if (v > OTP_REC_VERSION)
		return OTP_EVERSION;
	return v == OTP_REC_VERSION ? OTP_OK : OTP_ECORRUPT;
}

int otp_user_encode(const struct otp_user_rec *u, uint8_t *out, size_t *n)
{
	struct otp_wbuf w = WBUF(out);

	otp_put_u8(&w, OTP_REC_VERSION);
	otp_put_u32(&w, u->failures);
	otp_put_u64(&w, u->first_fail);
	otp_put_u64(&w, u->locked_until);
	otp_put_u64(&w, u->created);
	otp_put_u64(&w, u->last_login);
	otp_put_u32(&w, u->next_device);
	otp_put_u32(&w, u->flags);
	return finish(&w, n);
}

int otp_user_decode(const uint8_t *in, size_t n, struct otp_user_rec *u)
{
	struct otp_rbuf r = { in, n, 0, OTP_OK };
	int rc = check_version(&r);

	if (rc != OTP_OK)
		return rc;
	u->failures = otp_get_u32(&r);
	u->first_fail = otp_get_u64(&r);
	u->locked_until = otp_get_u64(&r);
	u->created = otp_get_u64(&r);
	u->last_login = otp_get_u64(&r);
	u->next_device = otp_get_u32(&r);
	u->flags = otp_get_u32(&r);
	return otp_get_end(&r);
}

int otp_device_encode(const struct otp_device_rec *d, uint8_t *out, size_t *n)
{
	struct otp_wbuf w = WBUF(out);

	otp_put_u8(&w, OTP_DEVICE_REC_VERSION);
	otp_put_str(&w, d->name);
	otp_put_u8(&w, d->type);
	otp_put_u8(&w, d->alg);
	otp_put_u8(&w, d->digits);
	otp_put_u8(&w, d->state);
	otp_put_u32(&w, d->period);
	otp_put_u64(&w, d->counter);
	otp_put_u64(&w, d->last_step);
	otp_put_u64(&w, d->created);
	otp_put_u64(&w, d->last_used);
	otp_put_blob(&w, d->sealed, d->sealed_len);
	otp_put_u32(&w, (uint32_t)d->drift);
	return finish(&w, n);
}

static int device_in_range(const struct otp_device_rec *d)
{
	return d->type <= OTP_DEV_TYPE_LAST && d->alg <= OTP_ALG_SHA512 &&
	       d->digits >= OTP_DIGITS_MIN && d->digits <= OTP_DIGITS_MAX &&
	       d->state <= OTP_REVOKED && d->drift >= -OTP_DRIFT_MAX && d->drift <= OTP_DRIFT_MAX &&
	       (d->type != OTP_TOTP ||
		(d->period >= OTP_PERIOD_MIN && d->period <= OTP_PERIOD_MAX));
}

int otp_device_decode(const uint8_t *in, size_t n, struct otp_device_rec *d)
{
	struct otp_rbuf r = { in, n, 0, OTP_OK };
	uint32_t id = d->id;
	uint8_t v = otp_get_u8(&r);
	int rc;

	/* version 1 (no drift) is still read: stores written before it exist */
	if (r.err != OTP_OK || v == 0)
		return OTP_ECORRUPT;
	if (v > OTP_DEVICE_REC_VERSION)
		return OTP_EVERSION;
	memset(d, 0, sizeof(*d));
	d->id = id;
	otp_get_str(&r, d->name, OTP_NAME_MAX);
	d->type = otp_get_u8(&r);
	d->alg = otp_get_u8(&r);
	d->digits = otp_get_u8(&r);
	d->state = otp_get_u8(&r);
	d->period = otp_get_u32(&r);
	d->counter = otp_get_u64(&r);
	d->last_step = otp_get_u64(&r);
	d->created = otp_get_u64(&r);
	d->last_used = otp_get_u64(&r);
	otp_get_blob(&r, d->sealed, sizeof(d->sealed), &d->sealed_len);
	if (v >= 2)
		d->drift = (int32_t)otp_get_u32(&r);
	rc = otp_get_end(&r);
	if (rc == OTP_OK && !device_in_range(d))
		rc = OTP_ECORRUPT;
	return rc;
}

int otp_recovery_encode(const struct otp_recovery_rec *rr, uint8_t *out, size_t *n)
{
	struct otp_wbuf w = WBUF(out);

	otp_put_u8(&w, OTP_REC_VERSION);
	otp_put_blob(&w, rr->salt, OTP_RC_SALT);
	otp_put_blob(&w, rr->hash, OTP_RC_HASH);
	otp_put_u8(&w, rr->log2n);
	otp_put_u8(&w, rr->r);
	otp_put_u8(&w, rr->p);
	otp_put_u64(&w, rr->used);
	return finish(&w, n);
}

int otp_recovery_decode(const uint8_t *in, size_t n, struct otp_recovery_rec *rr)
{
	struct otp_rbuf r = { in, n, 0, OTP_OK };
	size_t sl = 0, hl = 0;
	int rc = check_version(&r);

	if (rc != OTP_OK)
		return rc;
	otp_get_blob(&r, rr->salt, OTP_RC_SALT, &sl);
	otp_get_blob(&r, rr->hash, OTP_RC_HASH, &hl);
	rr->log2n = otp_get_u8(&r);
	rr->r = otp_get_u8(&r);
	rr->p = otp_get_u8(&r);
	rr->used = otp_get_u64(&r);
	rc = otp_get_end(&r);
	if (rc == OTP_OK && (sl != OTP_RC_SALT || hl != OTP_RC_HASH ||
			     rr->log2n < 10 || rr->log2n > 20 || rr->r == 0 || rr->p == 0))
		rc = OTP_ECORRUPT;
	return rc;
}

int otp_host_encode(const struct otp_host_rec *h, uint8_t *out, size_t *n)
{
	struct otp_wbuf w = WBUF(out);

	otp_put_u8(&w, OTP_HOST_REC_VERSION);
	otp_put_u64(&w, h->until);
	otp_put_u64(&w, h->created);
	otp_put_u32(&w, h->device);
	return finish(&w, n);
}

/* Version 1 (no voucher) is still read: stores written before it exist. */
int otp_host_decode(const uint8_t *in, size_t n, struct otp_host_rec *h)
{
	struct otp_rbuf r = { in, n, 0, OTP_OK };
	uint8_t v = otp_get_u8(&r);

	if (r.err != OTP_OK || v == 0)
		return OTP_ECORRUPT;
	if (v > OTP_HOST_REC_VERSION)
		return OTP_EVERSION;
	h->until = otp_get_u64(&r);
	h->created = otp_get_u64(&r);
	h->device = v == 1 ? OTP_VOUCH_UNKNOWN : otp_get_u32(&r);
	return otp_get_end(&r);
}

int otp_key_user(const char *user, uint8_t *out, size_t *n)
{
	size_t ul = strnlen(user, OTP_USER_MAX + 1);

	if (ul > OTP_USER_MAX)
		return OTP_ETOOLONG;
	memcpy(out, user, ul);
	*n = ul;
	return OTP_OK;
}

int otp_key_sub(const char *user, uint32_t id, uint8_t *out, size_t *n)
{
	size_t ul;

	if (otp_key_user(user, out, &ul) != OTP_OK)
		return OTP_ETOOLONG;
	out[ul] = '\0';
	otp_be32(out + ul + 1, id);
	*n = ul + 5;
	return OTP_OK;
}

int otp_key_host(const char *user, const char *host, uint8_t *out, size_t *n)
{
	size_t ul, hl = strnlen(host, 64);

	if (otp_key_user(user, out, &ul) != OTP_OK || hl >= 64)
		return OTP_ETOOLONG;
	out[ul] = '\0';
	memcpy(out + ul + 1, host, hl);
	*n = ul + 1 + hl;
	return OTP_OK;
}

void otp_key_audit(uint64_t time, uint32_t seq, uint8_t *out)
{
	otp_be64(out, time);
	otp_be32(out + 8, seq);
}

int otp_device_key_parse(const void *key, size_t klen, char *user, uint32_t *id)
{
	const uint8_t *k = key;
	size_t ul;

	if (klen < 1 + 1 + 4 || klen - 5 > OTP_USER_MAX || k[klen - 5] != '\0' ||
	    memchr(k, '\0', klen - 5) != NULL)
		return OTP_ECORRUPT;
	ul = klen - 5;
	memcpy(user, k, ul);
	user[ul] = '\0';
	*id = otp_rd32(k + ul + 1);
	return OTP_OK;
}

int otp_audit_encode(const struct otp_audit_ev *ev, uint8_t *out, size_t cap, size_t *n)
{
	struct otp_wbuf w = { out, cap, 0, OTP_OK };

	otp_put_u8(&w, OTP_AUDIT_REC_VERSION);
	otp_put_str(&w, ev->event);
	otp_put_str(&w, ev->user);
	otp_put_str(&w, ev->service);
	otp_put_str(&w, ev->rhost);
	otp_put_str(&w, ev->tty);
	otp_put_str(&w, ev->device);
	otp_put_str(&w, ev->detail);
	otp_put_str(&w, ev->host);
	otp_put_str(&w, ev->actor);
	return finish(&w, n);
}

int otp_audit_decode(const void *key, size_t klen, const void *val, size_t vlen,
		     struct otp_audit_ev *ev)
{
	struct otp_rbuf r = { val, vlen, 0, OTP_OK };
	uint8_t ver;

	if (klen != OTP_AUDIT_KEY_LEN)
		return OTP_ECORRUPT;
	memset(ev, 0, sizeof(*ev));
	ev->time = otp_rd64(key);
	ev->seq = otp_rd32((const uint8_t *)key + 8);
	ver = otp_get_u8(&r);
	if (r.err == OTP_OK && ver > OTP_AUDIT_REC_VERSION)
		return OTP_EVERSION;
	if (r.err != OTP_OK || ver == 0)
		return OTP_ECORRUPT;
	otp_get_str(&r, ev->event, sizeof(ev->event) - 1);
	otp_get_str(&r, ev->user, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->service, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->rhost, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->tty, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->device, OTP_AUDIT_FIELD_MAX);
	otp_get_str(&r, ev->detail, OTP_AUDIT_FIELD_MAX);
	if (ver >= 2) {
		otp_get_str(&r, ev->host, OTP_AUDIT_FIELD_MAX);
		otp_get_str(&r, ev->actor, OTP_AUDIT_FIELD_MAX);
	}
	return otp_get_end(&r);
}
