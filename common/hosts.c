#include "hosts.h"
#include "audit.h"
#include "err.h"
#include "net.h"

#include <stdio.h>
#include <string.h>

int otp_host_put(struct otp_txn *txn, const char *user, const char *host, uint64_t now,
		 uint64_t until, uint32_t device)
{
	struct otp_host_rec h = { until, now, device };
	uint8_t addr[16];
	int family;

	if (otp_addr_parse(host, &family, addr) != OTP_OK)
		return OTP_EINVAL;
	return otp_host_save(txn, user, host, &h);
}

int otp_host_valid_in(struct otp_txn *txn, const char *user, const char *host, uint64_t now)
{
	struct otp_host_rec h;
	uint8_t addr[16];
	int family, rc;

	if (host == NULL || otp_addr_parse(host, &family, addr) != OTP_OK)
		return 0;
	rc = otp_host_get(txn, user, host, &h);
	/* a record from before vouchers were kept may have been made by a
	 * login without a code: it is listed, but vouches for nothing */
	if (rc == OTP_OK)
		return h.device != OTP_VOUCH_UNKNOWN && now < h.until;
	/* a record that does not decode vouches for nothing */
	if (rc == OTP_ENOTFOUND || rc == OTP_ECORRUPT || rc == OTP_EVERSION)
		return 0;
	return -rc;
}

int otp_host_remembered(struct otp_store *st, const char *user, const char *host, uint64_t now)
{
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn), yes;

	if (rc != OTP_OK)
		return -rc;
	yes = otp_host_valid_in(txn, user, host, now);
	otp_txn_abort(txn);
	return yes;
}

struct listing {
	const char *user;
	struct otp_host_entry *out;
	unsigned max, *n;
};

static int list_one(const char *host, const struct otp_host_rec *h, void *arg)
{
	struct listing *l = arg;

	if (*l->n >= l->max)
		return OTP_EACH_STOP;
	if (h == NULL)
		return otp_seterr(OTP_ECORRUPT, "corrupt host record for user %s", l->user);
	snprintf(l->out[*l->n].host, sizeof(l->out[*l->n].host), "%s", host);
	l->out[(*l->n)++].rec = *h;
	return OTP_OK;
}

int otp_host_list(struct otp_store *st, const char *user, struct otp_host_entry *out,
		  unsigned max, unsigned *n)
{
	struct listing l = { user, out, max, n };
	struct otp_txn *txn = NULL;
	int rc = otp_txn_begin(st, 0, &txn);

	*n = 0;
	if (rc == OTP_OK)
		rc = otp_host_each(txn, user, list_one, &l);
	otp_txn_abort(txn);
	return rc;
}

static int del_one(struct otp_txn *txn, const char *user, const char *host, unsigned *count)
{
	int rc = otp_host_delete(txn, user, host);

	if (rc == OTP_ENOTFOUND)
		return otp_seterr(OTP_ENOTFOUND, "user %s has no remembered host %s", user, host);
	*count = rc == OTP_OK;
	return rc;
}

int otp_host_revoke(struct otp_store *st, const struct otp_config *cfg,
		    const struct otp_login *who, const char *host, unsigned *count)
{
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	char detail[64];
	int rc = otp_txn_begin(st, 1, &txn);

	*count = 0;
	if (rc == OTP_OK)
		rc = host ? del_one(txn, who->user, host, count) :
			    otp_host_delete_if(txn, who->user, NULL, NULL, count);
	if (rc != OTP_OK) {
		otp_txn_abort(txn);
		return rc;
	}
	snprintf(detail, sizeof(detail), "%u host%s", *count, *count == 1 ? "" : "s");
	otp_audit_from(&ev, who, "host_revoked", NULL, host ? host : detail);
	return otp_audit_commit(cfg, txn, &ev, 1);
}

/* Whether a host goes with device: vouched for by it, or by nobody known.
 * A record that does not decode goes too: it vouches for nothing. */
static int vouched_by(const char *host, const struct otp_host_rec *h, void *arg)
{
	uint32_t device = *(const uint32_t *)arg;

	(void)host;
	return h == NULL || h->device == device || h->device == OTP_VOUCH_UNKNOWN;
}

int otp_host_forget_device(struct otp_txn *txn, const char *user, uint32_t device, int all,
			   unsigned *count)
{
	return otp_host_delete_if(txn, user, all ? NULL : vouched_by, &device, count);
}
