/*
 * raw_audit - append one audit record with its fields stored exactly as
 * given, bypassing the cleaning otp_audit_set does: what a store written
 * before fields were cleaned may hold (raw newlines, escape sequences,
 * invalid UTF-8). For tests only.
 *   raw_audit CONF EVENT USER SERVICE RHOST TTY DEVICE DETAIL
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "err.h"
#include "store.h"
#include "util.h"

static void raw(char *dst, const char *src)
{
	size_t n = strnlen(src, OTP_AUDIT_FIELD_MAX);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

int main(int argc, char **argv)
{
	struct otp_config cfg;
	struct otp_store *st = NULL;
	struct otp_audit_ev ev;
	struct otp_txn *txn = NULL;
	int rc;

	if (argc != 9) {
		fprintf(stderr, "usage: raw_audit CONF EVENT USER SERVICE RHOST TTY DEVICE DETAIL\n");
		return 1;
	}
	otp_audit_set(&ev, otp_now(), NULL, NULL, NULL, NULL);
	raw(ev.event, argv[2]);
	raw(ev.user, argv[3]);
	raw(ev.service, argv[4]);
	raw(ev.rhost, argv[5]);
	raw(ev.tty, argv[6]);
	raw(ev.device, argv[7]);
	raw(ev.detail, argv[8]);
	rc = otp_config_load(argv[1], NULL, 0, &cfg);
	if (rc == OTP_OK)
		rc = otp_store_open(cfg.store, cfg.map_size_mb, 0, &st);
	if (rc == OTP_OK)
		rc = otp_txn_begin(st, 1, &txn);
	if (rc == OTP_OK)
		rc = otp_audit_append(txn, &ev, cfg.audit_retention_days);
	if (rc == OTP_OK)
		rc = otp_txn_commit(txn);
	else
		otp_txn_abort(txn);
	otp_store_close(st);
	if (rc != OTP_OK)
		fprintf(stderr, "raw_audit: %s\n", otp_errdetail());
	return rc == OTP_OK ? 0 : 2;
}
