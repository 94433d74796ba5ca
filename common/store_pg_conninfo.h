/*
 * store_pg_conninfo.h - judging a PostgreSQL store spec without connecting,
 * for the configuration: libpq stays inside the PostgreSQL engine's files,
 * so config.c asks here rather than parsing conninfo itself.
 */
#ifndef OTP_STORE_PG_CONNINFO_H
#define OTP_STORE_PG_CONNINFO_H

/*
 * otp_pg_conninfo_check - whether spec, a PostgreSQL store spec (a
 * "postgresql://" or "postgres://" URI, or a libpq "key=value" conninfo:
 * see otp_store_is_postgresql in store.h), is one pam_otp accepts. It is
 * parsed by libpq (PQconninfoParse), which knows both forms; nothing is
 * looked up and no server is contacted.
 * Credentials must not sit in pam_otp.conf, which any user may read: a
 * spec that sets `password` or `sslpassword` (as an option, a URI query
 * parameter or the user:password@ part of a URI, also inside a dbname
 * that is itself a URI or conninfo) is refused, even when empty.
 * spec: NUL-terminated, not kept. Copies libpq makes of it are wiped.
 * Returns OTP_OK; OTP_ECONFIG with a detail of "a password in the
 * conninfo is refused; use a passfile (PGPASSFILE, ~/.pgpass) or client
 * certificates", or "not a valid PostgreSQL URI or conninfo: " and libpq's
 * message, in which a quoted piece of the spec is kept only when it is an
 * option name (so a password is never echoed); OTP_ENOMEM.
 */
int otp_pg_conninfo_check(const char *spec);

#endif
