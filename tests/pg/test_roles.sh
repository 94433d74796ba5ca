#!/bin/bash
# docs/postgresql.sql against a private PostgreSQL 15 cluster: the roles and
# the database it makes, the schema otpctl init makes as the owner role,
# and a login role that can read and write
# every table but run no DDL. The script is run before the schema exists,
# again after it (nothing changes), and on a database whose schema was made
# first. As root (PostgreSQL runs as nobody):
#   bash tests/pg/test_roles.sh
. "$(dirname "$0")/../lib.sh"

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SQL="$TOP/docs/postgresql.sql"
ADMINPW=admin-$RANDOM$RANDOM
export PGPASSFILE="$WORK/pgpass" PGCONNECT_TIMEOUT=5

stop_cluster() {
	[ -f "$WORK/data/postmaster.pid" ] &&
		runuser -u nobody -- "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null
	rm -rf "$WORK"
}
trap stop_cluster EXIT

# The cluster: nobody's data and socket directories below a 0711 $WORK.
start_cluster() {
	chmod 0711 "$WORK"
	mkdir -m 0700 "$WORK/data" "$WORK/sock"
	printf '%s\n' "$ADMINPW" > "$WORK/adminpw"
	chown nobody: "$WORK/data" "$WORK/sock" "$WORK/adminpw"
	chmod 0600 "$WORK/adminpw"
	runuser -u nobody -- "$PGBIN/initdb" -D "$WORK/data" -U otpadmin \
		--pwfile="$WORK/adminpw" -A scram-sha-256 --no-sync -E UTF8 >"$WORK/initdb.log" 2>&1 &&
	runuser -u nobody -- "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/data/log" -w \
		-o "-k $WORK/sock -c listen_addresses=''" start >/dev/null
}

# as ROLE DB SQL...: run SQL as ROLE on DB, quiet, stopping at an error.
as() {
	local role=$1 db=$2; shift 2
	psql "host=$WORK/sock dbname=$db user=$role" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# denied ROLE DB SQL: SQL fails with a privilege error.
denied() {
	if capture as "$1" "$2" -c "$3"; then
		not_ok "$1 may not: $3 (it succeeded)"
	elif grep -qE "permission denied|must be owner" "$WORK/err"; then
		ok "$1 may not: $3"
	else
		not_ok "$1 may not: $3 (other error)"; sed 's/^/#   /' "$WORK/err" | head -3
	fi
}

# init_as ROLE DB: otpctl init with ROLE (the schema is the engine's own).
init_as() {
	write_conf
	sed -i "s|^store = .*|store = \"host=$WORK/sock dbname=$2 user=$1\"|" "$CONF"
	ctl init
}

# What a login does: per-user and global advisory locks, every table.
login_dml() {
	cat <<'EOS'
BEGIN;
SELECT pg_advisory_xact_lock_shared(0);
SELECT pg_advisory_xact_lock(hashtext('alice'));
SELECT value FROM pam_otp.meta WHERE name = 'schema_version';
INSERT INTO pam_otp.users VALUES ('alice', 1, 100, 0, 1, 0, 2, 0);
UPDATE pam_otp.users SET failures = 0 WHERE name = 'alice';
INSERT INTO pam_otp.devices VALUES ('alice', 1, 'phone', 'totp', 'SHA1', 6, 'active', 30,
  0, 55, 0, 1, 0, '\x00');
UPDATE pam_otp.devices SET last_step = 56 WHERE user_name = 'alice' AND id = 1;
INSERT INTO pam_otp.recovery VALUES ('alice', 1, '\x01', '\x02', 15, 8, 1, 0);
INSERT INTO pam_otp.hosts VALUES ('alice', '192.0.2.1', 9, 1, 1);
DELETE FROM pam_otp.hosts WHERE user_name = 'alice';
INSERT INTO pam_otp.audit VALUES (1, 1, 'auth_success', 'alice', '', '', '', '', '', 'web1', '');
SELECT count(*) FROM pam_otp.audit;
DELETE FROM pam_otp.recovery WHERE user_name = 'alice';
DELETE FROM pam_otp.devices WHERE user_name = 'alice';
DELETE FROM pam_otp.users WHERE name = 'alice';
COMMIT;
EOS
}

# Every right the login role needs, none it must not have, on DB.
check_rights() {
	local db=$1
	rights_run=$((${rights_run:-0} + 1))
	check "$db: login role reads and writes every table" as pam_otp "$db" -c "$(login_dml)"
	write_conf
	sed -i "s|^store = .*|store = \"host=$WORK/sock dbname=$db user=pam_otp\"|" "$CONF"
	check "$db: otpctl enrolls as the login role" ctl enroll --force "u$db$rights_run" --type hotp \
		--secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --no-confirm --qr none
	check "$db: and verifies a code" ctl verify "u$db$rights_run" 755224
	denied pam_otp "$db" "CREATE TABLE pam_otp.x (a int)"
	denied pam_otp "$db" "CREATE TABLE public.x (a int)"
	denied pam_otp "$db" "CREATE TEMP TABLE x (a int)"
	denied pam_otp "$db" "CREATE SCHEMA x"
	denied pam_otp "$db" "DROP TABLE pam_otp.audit"
	denied pam_otp "$db" "ALTER TABLE pam_otp.users ADD COLUMN x int"
	denied pam_otp "$db" "TRUNCATE pam_otp.audit"
	denied pam_otp "$db" "CREATE INDEX x ON pam_otp.users (flags)"
}

if ! start_cluster; then
	not_ok "private cluster starts"; sed 's/^/#   /' "$WORK/initdb.log" "$WORK/data/log" 2>/dev/null
	finish; exit
fi
printf '*:*:*:otpadmin:%s\n*:*:*:pam_otp_owner:ownerpw\n*:*:*:pam_otp:loginpw\n' \
	"$ADMINPW" > "$PGPASSFILE"
chmod 0600 "$PGPASSFILE"

# 1. Before otpctl init: roles and database, then the owner makes the schema.
check "postgresql.sql runs before the schema exists" as otpadmin postgres -f "$SQL"
as otpadmin postgres -c "ALTER ROLE pam_otp_owner PASSWORD 'ownerpw'" \
	-c "ALTER ROLE pam_otp PASSWORD 'loginpw'" -c "CREATE ROLE stranger LOGIN PASSWORD 'x'"
check "owner role creates the schema with otpctl init" init_as pam_otp_owner otp
check_rights otp
check_exit "another role may not connect to the database" 2 \
	psql "host=$WORK/sock dbname=otp user=stranger password=x" -X -c "SELECT 1"
has_err "... refused for want of CONNECT" "permission denied for database"
capture as otpadmin otp -c "SELECT unnest(setconfig) FROM pg_db_role_setting s
	JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'pam_otp'"
has "login role has an idle-in-transaction timeout" "idle_in_transaction_session_timeout=60s"

# 2. Again, now that the schema exists: no error, the rights unchanged.
check "postgresql.sql runs again after otpctl init (from stdin)" as otpadmin postgres -f - < "$SQL"
check_rights otp

# 3. A database whose schema the owner made before the script ran.
as otpadmin postgres -c "CREATE DATABASE otp2 OWNER pam_otp_owner"
init_as pam_otp_owner otp2 >/dev/null
check_exit "... where the login role has no rights before it" 1 as pam_otp otp2 -c "$(login_dml)"
check "postgresql.sql grants on an existing schema" as otpadmin postgres -v db=otp2 -f "$SQL"
check_rights otp2

finish
