/*
 * store_pg_schema.c - the PostgreSQL engine's schema: made by otpctl init
 * (OTP_STORE_CREATE), checked at every open.
 *
 * Everything lives in the schema pam_otp, so the tables can share a
 * database with others. Names sort as bytes (COLLATE "C"), as LMDB's keys
 * do, so walks page by index. Sealed secrets and recovery hashes are bytea:
 * sealed, never in clear.
 */
#include "store_pg.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ddl[] =
	"SELECT pg_advisory_xact_lock(1, 1);"  /* two inits at once: one makes it */
	"CREATE SCHEMA IF NOT EXISTS pam_otp;"
	"CREATE TABLE IF NOT EXISTS pam_otp.meta ("
	" name text COLLATE \"C\" PRIMARY KEY, value bytea NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pam_otp.users ("
	" name text COLLATE \"C\" PRIMARY KEY,"
	" failures bigint NOT NULL, first_fail bigint NOT NULL, locked_until bigint NOT NULL,"
	" created bigint NOT NULL, last_login bigint NOT NULL, next_device bigint NOT NULL,"
	" flags bigint NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pam_otp.devices ("
	" user_name text COLLATE \"C\" NOT NULL, id bigint NOT NULL, name text NOT NULL,"
	" type text NOT NULL CHECK (type IN ('totp', 'hotp')),"
	" alg text NOT NULL CHECK (alg IN ('SHA1', 'SHA256', 'SHA512')),"
	" digits bigint NOT NULL,"
	" state text NOT NULL CHECK (state IN ('pending', 'active', 'revoked')),"
	" period bigint NOT NULL, counter bigint NOT NULL, last_step bigint NOT NULL,"
	" drift bigint NOT NULL, created bigint NOT NULL, last_used bigint NOT NULL,"
	" sealed bytea NOT NULL, PRIMARY KEY (user_name, id));"
	"CREATE TABLE IF NOT EXISTS pam_otp.recovery ("
	" user_name text COLLATE \"C\" NOT NULL, n bigint NOT NULL, salt bytea NOT NULL,"
	" hash bytea NOT NULL, log2n bigint NOT NULL, r bigint NOT NULL, p bigint NOT NULL,"
	" used bigint NOT NULL, PRIMARY KEY (user_name, n));"
	"CREATE TABLE IF NOT EXISTS pam_otp.hosts ("
	" user_name text COLLATE \"C\" NOT NULL, host text COLLATE \"C\" NOT NULL,"
	" until bigint NOT NULL, created bigint NOT NULL, device bigint NOT NULL,"
	" PRIMARY KEY (user_name, host));"
	"CREATE TABLE IF NOT EXISTS pam_otp.audit ("
	" time bigint NOT NULL, seq bigint NOT NULL, event text NOT NULL,"
	" user_name text NOT NULL, service text NOT NULL, rhost text NOT NULL,"
	" tty text NOT NULL, device text NOT NULL, detail text NOT NULL,"
	" host text NOT NULL, actor text NOT NULL, PRIMARY KEY (time, seq));"
	"INSERT INTO pam_otp.meta (name, value) VALUES ('schema_version', '1')"
	" ON CONFLICT (name) DO NOTHING;";

/*
 * Version 2: audit records are numbered from a sequence and keep the id of
 * the transaction that wrote them (the landing order, store.h), so appends
 * of different users never wait for each other. Records already there get
 * the upgrading transaction's id: they land once more, for a reader that
 * read by the seconds' rule before (auditscan.h skips what it counted).
 */
static const char upgrade2[] =
	"CREATE SEQUENCE IF NOT EXISTS pam_otp.audit_seq AS bigint"
	" MINVALUE 1 MAXVALUE 2147483647 CYCLE;"
	"ALTER TABLE pam_otp.audit ADD COLUMN IF NOT EXISTS"
	" xid xid8 NOT NULL DEFAULT pg_current_xact_id();"
	"CREATE INDEX IF NOT EXISTS audit_landed ON pam_otp.audit (xid, time, seq);"
	"SELECT setval('pam_otp.audit_seq', LEAST(COALESCE((SELECT max(seq) FROM pam_otp.audit"
	" WHERE seq < 2147483648), 0) + 1, 2147483647), false);"
	"UPDATE pam_otp.meta SET value = '2' WHERE name = 'schema_version';";

/*
 * Version 3: devices may be email and sms (out-of-band) devices. Hosts of
 * an older pam_otp read only totp and hotp rows (they refuse the others as
 * corrupt), so the CHECK keeps such rows out until otpctl init upgrades the
 * schema once all hosts run this one; until then saving one is refused
 * (store_pg_records.c). The constraint is replaced, not altered: running
 * this again changes nothing.
 */
static const char upgrade3[] =
	"ALTER TABLE pam_otp.devices DROP CONSTRAINT IF EXISTS devices_type_check,"
	" ADD CONSTRAINT devices_type_check"
	" CHECK (type IN ('totp', 'hotp', 'email', 'sms'));"
	"UPDATE pam_otp.meta SET value = '3' WHERE name = 'schema_version';";

static int version_of(struct pg_store *s, long *v)
{
	PGresult *r = NULL;
	int rc = pg_exec_simple(s, "SELECT convert_from(value, 'UTF8') FROM pam_otp.meta "
				"WHERE name = 'schema_version'", &r, "schema");

	if (rc != OTP_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return pg_fail(s, OTP_ENOTFOUND, "schema pam_otp has no version: run otpctl init");
	}
	*v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return OTP_OK;
}

/* Whether the schema is there at all (without an error in the server's log). */
static int present(struct pg_store *s, int *yes)
{
	PGresult *r = NULL;
	int rc = pg_exec_simple(s, "SELECT to_regclass('pam_otp.meta') IS NOT NULL", &r, "schema");

	if (rc == OTP_OK)
		*yes = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return rc;
}

/* Make the schema (from 0), or bring one of version `from` to this
 * version, in one transaction; each step runs only on a schema before it
 * (version 2's would renumber the audit sequence of a store past it). */
static int make(struct pg_store *s, long from)
{
	char sql[sizeof(ddl) + sizeof(upgrade2) + sizeof(upgrade3) + 32];
	int rc;

	snprintf(sql, sizeof(sql), "BEGIN;%s%s%sCOMMIT;", ddl, from < 2 ? upgrade2 : "",
		 from < 3 ? upgrade3 : "");
	rc = pg_exec_simple(s, sql, NULL, "otpctl init");
	if (rc != OTP_OK)
		pg_exec_simple(s, "ROLLBACK", NULL, "rollback");
	return rc;
}

int pg_schema(struct pg_store *s, int create)
{
	char msg[96];
	long v = 0;
	int rc, yes = 0;

	rc = present(s, &yes);
	if (rc == OTP_OK && !yes)
		rc = create ? make(s, 0) :
		     pg_fail(s, OTP_ENOTFOUND, "schema pam_otp is missing: run otpctl init");
	if (rc == OTP_OK)
		rc = version_of(s, &v);
	if (rc == OTP_OK && v > PG_SCHEMA_VERSION) {
		snprintf(msg, sizeof(msg), "schema version %ld is newer than this pam_otp (%d)",
			 v, PG_SCHEMA_VERSION);
		return pg_fail(s, OTP_EVERSION, msg);
	}
	if (rc == OTP_OK && v < 1)
		return pg_fail(s, OTP_ECORRUPT, "schema version is not a number");
	if (rc == OTP_OK && v < PG_SCHEMA_VERSION && create) {
		rc = make(s, v);
		v = PG_SCHEMA_VERSION;
	}
	s->schema = (int)v;
	return rc;
}
