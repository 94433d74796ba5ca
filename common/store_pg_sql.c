/*
 * store_pg_sql.c - the PostgreSQL engine's statements and schema.
 *
 * Unsigned 64-bit fields (times, counters, locked_until) are stored in
 * bigint as their two's complement bits: every real value reads as
 * itself in psql, and locked_until = -1 is "until otpctl unlock".
 */
#include "store_pg.h"

#define T "pam_otp."
#define USER_COLS "failures, first_fail, locked_until, created, last_login, next_device, flags"
#define DEV_COLS "id, name, type, alg, digits, state, period, counter, last_step, drift, " \
		 "created, last_used, sealed"
#define AUDIT_COLS "time, seq, event, user_name, service, rhost, tty, device, detail, host, actor"

const struct pg_stmt_def pg_stmts[PG_STMT_COUNT] = {
	[PG_META_GET] = { "SELECT value FROM " T "meta WHERE name = $1", 1 },
	[PG_META_PUT] = { "INSERT INTO " T "meta (name, value) VALUES ($1, $2) "
			  "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", 2 },
	[PG_USER_LOAD] = { "SELECT " USER_COLS " FROM " T "users WHERE name = $1", 1 },
	[PG_USER_SAVE] = { "INSERT INTO " T "users (name, " USER_COLS ") "
			   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO UPDATE SET "
			   "failures = $2, first_fail = $3, locked_until = $4, created = $5, "
			   "last_login = $6, next_device = $7, flags = $8", 8 },
	[PG_USER_DELETE] = { "DELETE FROM " T "users WHERE name = $1", 1 },
	[PG_USER_FIRST] = { "SELECT name, " USER_COLS " FROM " T "users "
			    "ORDER BY name LIMIT 256", 0 },
	[PG_USER_PAGE] = { "SELECT name, " USER_COLS " FROM " T "users "
			   "WHERE name > $1 ORDER BY name LIMIT 256", 1 },
	[PG_DEV_LOAD] = { "SELECT " DEV_COLS " FROM " T "devices WHERE user_name = $1 AND id = $2",
			  2 },
	[PG_DEV_SAVE] = { "INSERT INTO " T "devices (user_name, " DEV_COLS ") VALUES ($1, $2, $3, "
			  "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
			  "ON CONFLICT (user_name, id) DO UPDATE SET name = $3, type = $4, alg = $5, "
			  "digits = $6, state = $7, period = $8, counter = $9, last_step = $10, "
			  "drift = $11, created = $12, last_used = $13, sealed = $14", 14 },
	[PG_DEV_LIST] = { "SELECT " DEV_COLS " FROM " T "devices WHERE user_name = $1 "
			  "ORDER BY id LIMIT 33", 1 },
	[PG_DEV_DELETE_ALL] = { "DELETE FROM " T "devices WHERE user_name = $1", 1 },
	[PG_DEV_FIRST] = { "SELECT user_name, " DEV_COLS " FROM " T "devices "
			   "ORDER BY user_name, id LIMIT 256", 0 },
	[PG_DEV_PAGE] = { "SELECT user_name, " DEV_COLS " FROM " T "devices "
			  "WHERE (user_name, id) > ($1, $2) "
			  "ORDER BY user_name, id LIMIT 256", 2 },
	[PG_RC_LIST] = { "SELECT n, salt, hash, log2n, r, p, used FROM " T "recovery "
			 "WHERE user_name = $1 ORDER BY n", 1 },
	[PG_RC_PUT] = { "INSERT INTO " T "recovery (user_name, n, salt, hash, log2n, r, p, used) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_name, n) DO UPDATE "
			"SET salt = $3, hash = $4, log2n = $5, r = $6, p = $7, used = $8", 8 },
	[PG_RC_DELETE_ALL] = { "DELETE FROM " T "recovery WHERE user_name = $1", 1 },
	[PG_HOST_GET] = { "SELECT until, created, device FROM " T "hosts "
			  "WHERE user_name = $1 AND host = $2", 2 },
	[PG_HOST_SAVE] = { "INSERT INTO " T "hosts (user_name, host, until, created, device) "
			   "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_name, host) DO UPDATE "
			   "SET until = $3, created = $4, device = $5", 5 },
	[PG_HOST_DELETE] = { "DELETE FROM " T "hosts WHERE user_name = $1 AND host = $2", 2 },
	[PG_HOST_LIST] = { "SELECT host, until, created, device FROM " T "hosts "
			   "WHERE user_name = $1 ORDER BY host", 1 },
	/* from the sequence: no wait on other writers (the landing order, store.h) */
	[PG_AUDIT_INSERT] = { "INSERT INTO " T "audit (" AUDIT_COLS ") VALUES ($1, "
			      "nextval('" T "audit_seq'), $2, $3, $4, $5, $6, $7, $8, $9, $10) "
			      "ON CONFLICT (time, seq) DO NOTHING RETURNING seq", 10 },
	[PG_AUDIT_PUT] = { "INSERT INTO " T "audit (" AUDIT_COLS ") VALUES ($1, $2, $3, $4, $5, "
			   "$6, $7, $8, $9, $10, $11) ON CONFLICT (time, seq) DO UPDATE SET "
			   "event = $3, user_name = $4, service = $5, rhost = $6, tty = $7, "
			   "device = $8, detail = $9, host = $10, actor = $11, xid = pg_current_xact_id()", 11 },
	[PG_AUDIT_GET] = { "SELECT " AUDIT_COLS " FROM " T "audit WHERE time = $1 AND seq = $2", 2 },
	[PG_AUDIT_FWD] = { "SELECT " AUDIT_COLS " FROM " T "audit WHERE (time, seq) >= ($1, $2) "
			   "ORDER BY time, seq LIMIT 512", 2 },
	[PG_AUDIT_BACK] = { "SELECT " AUDIT_COLS " FROM " T "audit WHERE (time, seq) <= ($1, $2) "
			    "ORDER BY time DESC, seq DESC LIMIT 512", 2 },
	/* only transactions that ended before every one still open: none can land behind */
	[PG_AUDIT_LANDED] = { "SELECT " AUDIT_COLS ", xid FROM " T "audit "
			      "WHERE (xid, time, seq) > ($1, $2, $3) "
			      "AND xid < pg_snapshot_xmin(pg_current_snapshot()) "
			      "ORDER BY xid, time, seq LIMIT 512", 3 },
	/* schema version 1, under the second's lock (PG_LOCK_SECOND): commit order */
	[PG_AUDIT_INSERT_V1] = { "INSERT INTO " T "audit (" AUDIT_COLS ") SELECT $1, "
				 "COALESCE(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM "
				 T "audit WHERE time = $1 AND seq < 2147483648 RETURNING seq", 10 },
	[PG_AUDIT_PUT_V1] = { "INSERT INTO " T "audit (" AUDIT_COLS ") VALUES ($1, $2, $3, $4, "
			      "$5, $6, $7, $8, $9, $10, $11) ON CONFLICT (time, seq) DO UPDATE SET "
			      "event = $3, user_name = $4, service = $5, rhost = $6, tty = $7, "
			      "device = $8, detail = $9, host = $10, actor = $11", 11 },
	[PG_AUDIT_PRUNE] = { "DELETE FROM " T "audit WHERE (time, seq) IN (SELECT time, seq FROM "
			     T "audit WHERE time < $1 ORDER BY time, seq LIMIT $2)", 2 },
	[PG_STATS] = { "SELECT (SELECT count(*) FROM " T "users), (SELECT count(*) FROM " T
		       "devices), (SELECT count(*) FROM " T "recovery), (SELECT count(*) FROM " T
		       "hosts), (SELECT count(*) FROM " T "audit), (SELECT xact_commit FROM "
		       "pg_stat_database WHERE datname = current_database()), (SELECT "
		       "sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n "
		       "ON n.oid = c.relnamespace WHERE n.nspname = 'pam_otp' AND c.relkind = 'r')", 0 },
	/* Advisory lock keys: the store's (1, 0), the summaries' (2, minute) and
	 * (schema version 1) the seconds' (3, time) in the two-key space, users by
	 * a 64-bit hash of the name in the other. */
	[PG_LOCK_USER] = { "SELECT pg_advisory_xact_lock(hashtextextended($1, 7436))", 1 },
	[PG_LOCK_SECOND] = { "SELECT pg_advisory_xact_lock(3, ($1::bigint % 2147483647)::int)", 1 },
	[PG_LOCK_MINUTE] = { "SELECT pg_advisory_xact_lock(2, ($1::bigint / 60 % 2147483647)::int)",
			     1 },
	/* Transactions, prepared like the rest so that they travel in a
	 * pipeline (store_pg_pipe.c): a read one sees one snapshot; a write
	 * one holds the store's lock, shared or, for a whole-store write,
	 * exclusive. */
	[PG_BEGIN_READ] = { "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0 },
	[PG_BEGIN_WRITE] = { "BEGIN", 0 },
	[PG_LOCK_STORE_SHARED] = { "SELECT pg_advisory_xact_lock_shared(1, 0)", 0 },
	[PG_LOCK_STORE] = { "SELECT pg_advisory_xact_lock(1, 0)", 0 },
	[PG_COMMIT] = { "COMMIT", 0 },
	[PG_ROLLBACK] = { "ROLLBACK", 0 },
	/* after a number taken: above every number of the record's second */
	[PG_AUDIT_INSERT_ABOVE] = { "INSERT INTO " T "audit (" AUDIT_COLS ") VALUES ($1, "
				    "GREATEST(nextval('" T "audit_seq'), LEAST((SELECT "
				    "COALESCE(max(seq), 0) + 1 FROM " T "audit WHERE time = $1 AND "
				    "seq < 2147483648), 2147483647)), $2, $3, $4, $5, $6, $7, $8, $9, "
				    "$10) ON CONFLICT (time, seq) DO NOTHING RETURNING seq", 10 },
};
