#!/bin/bash
# Fail closed and bounded on PostgreSQL: the server stopped or hung, a lock
# held too long, a wrong password in the passfile, the schema dropped or
# newer, a standby (read-only) server, a password in the conninfo. Each
# refuses the login, even with nullok, within store_timeout + 1 s, with one
# syslog line naming the server and the problem; otpctl exits 4 and says
# the same in one line. The password itself is never shown. The suite runs
# its own cluster: it stops the server.
. "$(dirname "$0")/../lib.sh"
need_pg private
TIMEOUT=2
HANG=30  # a login that hangs this long fails the check instead of the run
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930
counter=0  # the next HOTP counter of fc
write_conf "store_timeout = $TIMEOUT"
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nullok nodelay" > "$WORK/svc/otp-pgfc"
server="PostgreSQL $PG_HOST:5432/$PG_DB"
secret_of() { sed -n 's/^\*:\*:\*:otpadmin://p' "$PG_PASSFILE"; }

login() {  # login USER CODE: pamtester's exit status, the log in $WORK/log, time in $WORK/took
	local t0 t1 rc
	t0=$(date +%s.%N)
	echo "$2" | timeout $HANG env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-pgfc "$1" authenticate \
		>"$WORK/log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	elapsed "$t0" "$t1" > "$WORK/took"
	return $rc
}
code() { oathtool --hotp -c $counter $hex; }
good_login() {  # good_login DESCRIPTION: fc logs in with the next code
	if login fc "$(code)"; then ok "$1"; counter=$((counter + 1)); else
		not_ok "$1"; sed 's/^/#   /' "$WORK/log" | grep -v PWRAP_ERROR | head -5; fi
}
in_time() {  # in_time DESCRIPTION: the last login took at most TIMEOUT + 1 s
	local took
	took=$(cat "$WORK/took")
	if at_most "$took" $((TIMEOUT + 1)); then ok "$1 ($took s)"; else
		not_ok "$1 (took $took s, bound $((TIMEOUT + 1)) s)"; fi
}
# refused DESCRIPTION PATTERN: the login is refused in time with one
# syslog line naming the server and the problem; otpctl says the same in
# one line with exit 4; neither shows the admin's password.
refused() {
	local what=$1 pattern=$2 n
	if login fc "$(code)"; then not_ok "$what: login refused"; else ok "$what: login refused"; fi
	in_time "  within store_timeout + 1 s"
	n=$(grep -c "SYSLOG.*refusing login: .*$server: .*$pattern" "$WORK/log")
	if [ "$n" = 1 ]; then ok "  one syslog line naming the server and the problem"; else
		not_ok "  one syslog line naming the server and the problem (got $n)"
		grep -v PWRAP_ERROR "$WORK/log" | sed 's/^/#   /' | head -5
	fi
	check_exit "  otpctl exits 4" 4 timeout $HANG "$OTPCTL" --config "$CONF" verify fc "$(code)"
	if [ "$(wc -l < "$WORK/err")" = 1 ] && grep -q -- "$server: .*$pattern" "$WORK/err"; then
		ok "  otpctl says it in one line"
	else
		not_ok "  otpctl says it in one line"; sed 's/^/#   /' "$WORK/err" | head -3
	fi
	if grep -qF -- "$(secret_of)" "$WORK/log" "$WORK/err"; then
		not_ok "  the password is not shown"; else ok "  the password is not shown"; fi
}
# with_store SPEC: this config, the store spec replaced
with_store() { STORE=$1 write_conf "store_timeout = $TIMEOUT"; }

check "otpctl init" ctl init
check "enroll fc (HOTP)" ctl enroll --force fc --type hotp --secret $b32 --no-confirm --qr none
good_login "a good setup logs in"

# --- credentials
cp "$PG_PASSFILE" "$WORK/bad.pass"
sed -i 's/^\(\*:\*:\*:otpadmin:\).*/\1wrong-password/' "$WORK/bad.pass"
with_store "host=$PG_HOST dbname=$PG_DB user=otpadmin passfile=$WORK/bad.pass"
refused "wrong password in the passfile" 'password authentication failed for user "otpadmin"'
with_store "$STORE"
good_login "  the right passfile logs in again"
# the passfile where libpq looks without passfile= in the conninfo
with_store "host=$PG_HOST dbname=$PG_DB user=otpadmin"
PGPASSFILE=$PG_PASSFILE good_login "no passfile= in the conninfo: PGPASSFILE's is used"
mkdir -m 0700 "$WORK/home"
cp "$PG_PASSFILE" "$WORK/home/.pgpass"
HOME=$WORK/home good_login "  or ~/.pgpass of the user the module runs as"
mkdir -m 0700 "$WORK/nohome"
HOME=$WORK/nohome refused "no passfile anywhere" "no password supplied"
with_store "$STORE"

pw=$(secret_of)
with_store "host=$PG_HOST dbname=$PG_DB user=otpadmin password=$pw"
check_exit "password= in the conninfo: otpctl refuses it (exit 4)" 4 ctl users
has_err "  with the clear error" "a password in the conninfo is refused; use a passfile (PGPASSFILE, ~/.pgpass) or client certificates"
check "  in one line" test "$(wc -l < "$WORK/err")" = 1
check "  never echoing the password" sh -c "! grep -qF -- '$pw' '$WORK/err'"
if login fc "$(code)"; then not_ok "  the login is refused"; else ok "  the login is refused"; fi
check "  one syslog line says why" test "$(grep -c 'SYSLOG.*refusing login: .*a password in the conninfo is refused' "$WORK/log")" = 1
check "  never echoing the password" sh -c "! grep -qF -- '$pw' '$WORK/log'"
with_store "postgresql://otpadmin:$pw@/$PG_DB?host=$PG_HOST"
check_exit "a password in a URI (user:password@): refused (exit 4)" 4 ctl users
has_err "  with the clear error" "a password in the conninfo is refused"
check "  never echoing the password" sh -c "! grep -qF -- '$pw' '$WORK/err'"
with_store "postgresql:///$PG_DB?host=$PG_HOST&user=otpadmin&password=$pw"
check_exit "a password in a URI (?password=): refused (exit 4)" 4 ctl users
has_err "  with the clear error" "a password in the conninfo is refused"
with_store "$STORE"

# --- the schema
pg_sql "$PG_DB" "DROP SCHEMA pam_otp CASCADE"
refused "dropped schema" "schema pam_otp is missing: run otpctl init"
check "otpctl init makes it again" ctl init
check "  enroll fc again" ctl enroll --force fc --type hotp --secret $b32 --no-confirm --qr none
counter=0
good_login "  fc logs in"
pg_sql "$PG_DB" "UPDATE pam_otp.meta SET value = convert_to('4', 'UTF8') WHERE name = 'schema_version'"
refused "schema of a newer version" "schema version 4 is newer than this pam_otp (3)"
pg_sql "$PG_DB" "UPDATE pam_otp.meta SET value = convert_to('3', 'UTF8') WHERE name = 'schema_version'"
good_login "  the version back, fc logs in"

# --- a lock held past store_timeout (statement_timeout covers lock waits)
mkfifo "$WORK/sql"
"$PG_BIN/psql" "$STORE" -X -q -v ON_ERROR_STOP=1 < "$WORK/sql" >"$WORK/psql.out" 2>&1 &
psql_pid=$!
exec 7>"$WORK/sql"
echo "BEGIN; LOCK TABLE pam_otp.users, pam_otp.devices IN ACCESS EXCLUSIVE MODE; \\! touch $WORK/held" >&7
while [ ! -e "$WORK/held" ] && kill -0 $psql_pid 2>/dev/null; do sleep 0.05; done
check "another session holds the tables locked" test -e "$WORK/held"
refused "a lock held past store_timeout" "timed out after $TIMEOUT s"
echo "ROLLBACK;" >&7
exec 7>&-
wait $psql_pid
good_login "  the lock released, fc logs in"

# --- a standby: a copy of the cluster by pg_basebackup, in recovery
# (standby.signal), on its own socket; it never takes a write
sb=$(mktemp -d /tmp/otp-pg-XXXXXX)
chmod 0711 "$sb"
mkdir -m 0755 "$sb/run"
if "$PG_BIN/pg_basebackup" -d "$(pg_conninfo postgres)" -D "$sb/run/data" -c fast --no-sync \
	>"$WORK/basebackup.log" 2>&1; then
	ok "pg_basebackup of the primary"
else
	not_ok "pg_basebackup of the primary"; sed 's/^/#   /' "$WORK/basebackup.log" | tail -3
fi
touch "$sb/run/data/standby.signal"
echo "unix_socket_directories = '$sb/run'" >> "$sb/run/data/postgresql.conf"
[ "$(id -u)" -ne 0 ] || chown -R nobody: "$sb/run"
chmod 0700 "$sb/run/data"
cp "$PG_PASSFILE" "$sb/pgpass"
trap 'pg_cluster_destroy "$sb"; lib_cleanup' EXIT
check "the standby starts" pg_cluster_start "$sb"
check "  and is in recovery" test "$(PG_HOST=$sb/run pg_sql postgres 'SELECT pg_is_in_recovery()')" = t
with_store "host=$sb/run dbname=$PG_DB user=otpadmin passfile=$PG_PASSFILE"
server="PostgreSQL $sb/run:5432/$PG_DB"
refused "a standby-only server" "server is read-only (a standby?)"
with_store "host=$sb/run,$PG_HOST dbname=$PG_DB user=otpadmin passfile=$PG_PASSFILE target_session_attrs=read-write"
good_login "standby first, primary second, target_session_attrs=read-write: fc logs in"
check "  so does otpctl" ctl verify fc "$(code)"
counter=$((counter + 1))
pg_cluster_destroy "$sb"
with_store "$STORE"
server="PostgreSQL $PG_HOST:5432/$PG_DB"

# --- a server that does not answer (SIGSTOP): connect_timeout
pid=$(head -1 "$PG_DIR/run/data/postmaster.pid")
kill -STOP "$pid"
refused "a hung server" "\(timed out after\|could not connect within\) $TIMEOUT s"
kill -CONT "$pid"
good_login "  the server back, fc logs in"

# --- the server stopped
check "pg_ctl stop" pg_cluster_stop "$PG_DIR" fast
refused "server stopped" "No such file or directory"
check "pg_ctl start" pg_cluster_start "$PG_DIR"
good_login "  the server back, fc logs in"
finish
