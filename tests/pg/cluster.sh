# A private PostgreSQL cluster for the tests (sourced by tests/run_all.sh,
# tests/lib.sh and the suites in tests/pg/).
#
# The server refuses to run as root: as root, initdb and the server run as
# nobody; otherwise as the caller. Unix socket only (listen_addresses=''),
# in the cluster's own directory, so no TCP port is taken and clusters of
# parallel runs never meet. The admin role (otpadmin, superuser) and a login
# role (otp_login, no privileges until a suite grants them) have random
# passwords, in a passfile only the caller can read.
#
# fsync is off: the crash suite stops the server with -m immediate, which
# loses what never reached the kernel (synchronous_commit stays on, so a
# commit has been written when the client hears of it), not what did; only
# a power cut would need the fsync.
#
#   pg_bindir                 the server binaries' directory (OTP_PG_BINDIR
#                             overrides), or fails
#   pg_cluster_create DIR     initdb into DIR/run/data and start it; sets
#                             PG_DIR PG_HOST PG_PASSFILE of that cluster
#   pg_cluster_use DIR        point PG_DIR PG_HOST PG_PASSFILE at DIR's cluster
#   pg_cluster_start DIR / pg_cluster_stop DIR [MODE]
#   pg_cluster_destroy DIR    stop (fast) and remove DIR
#   pg_conninfo DB [ROLE]     a libpq conninfo for DB on the current cluster
#   pg_sql DB SQL             run SQL as the admin; rows unaligned on stdout
#   pg_newdb DB               a fresh database (dropped first if it exists)
#   pg_grant_login DB         the grants docs/postgresql.sql gives a login role
#                             on an existing schema, to otp_login

pg_bindir() {
	local d
	if [ -n "${PG_BIN:-}" ]; then
		d=$PG_BIN
	elif [ -n "${OTP_PG_BINDIR:-}" ]; then
		d=$OTP_PG_BINDIR
	else
		d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	fi
	[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] &&
		[ -x "$d/psql" ] || return 1
	PG_BIN=$d
	echo "$d"
}

# pg_server CMD...: run a server-side command as the user the server runs as
pg_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

pg_cluster_use() {
	PG_DIR=$1
	PG_HOST=$1/run
	PG_PASSFILE=$1/pgpass
}

pg_cluster_create() {
	local dir=$1 pw lpw
	pg_bindir >/dev/null || { echo "pg_cluster_create: no PostgreSQL server binaries" >&2; return 1; }
	mkdir -p "$dir" && chmod 0711 "$dir" || return 1
	mkdir -m 0755 "$dir/run" || return 1
	[ "$(id -u)" -ne 0 ] || chown nobody: "$dir/run" || return 1
	pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	lpw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	(umask 077; printf '*:*:*:otpadmin:%s\n*:*:*:otp_login:%s\n' "$pw" "$lpw" > "$dir/pgpass")
	# initdb reads the password from a file the server user can read, once
	(umask 077; echo "$pw" > "$dir/run/pw")
	[ "$(id -u)" -ne 0 ] || chown nobody: "$dir/run/pw"
	pg_server "$PG_BIN/initdb" -D "$dir/run/data" -U otpadmin --pwfile="$dir/run/pw" \
		-A scram-sha-256 --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
	local rc=$?
	rm -f "$dir/run/pw"
	[ $rc -eq 0 ] || { sed 's/^/# initdb: /' "$dir/initdb.log" | tail -5 >&2; return 1; }
	cat >> "$dir/run/data/postgresql.conf" <<EOC
listen_addresses = ''
unix_socket_directories = '$dir/run'
unix_socket_permissions = 0777
fsync = off
shared_buffers = 16MB
max_connections = 200
log_min_messages = warning
EOC
	pg_cluster_use "$dir"
	pg_cluster_start "$dir" || return 1
	pg_sql postgres "CREATE ROLE otp_login LOGIN PASSWORD '$lpw'" >/dev/null
}

pg_cluster_start() {
	pg_bindir >/dev/null || return 1
	pg_server "$PG_BIN/pg_ctl" -D "$1/run/data" -l "$1/run/log" -w -t 30 start >/dev/null ||
		{ tail -5 "$1/run/log" | sed 's/^/# postgres: /' >&2; return 1; }
}

pg_cluster_stop() {
	pg_bindir >/dev/null || return 1
	pg_server "$PG_BIN/pg_ctl" -D "$1/run/data" -m "${2:-fast}" -w -t 30 stop >/dev/null
}

pg_cluster_destroy() {
	local pidfile=${1:-}/run/data/postmaster.pid
	[ -n "${1:-}" ] && [ -d "$1" ] || return 0
	if [ -e "$pidfile" ]; then
		# a suite may have left it stopped (SIGSTOP) when it was interrupted
		kill -CONT "$(head -1 "$pidfile")" 2>/dev/null
		pg_cluster_stop "$1" fast 2>/dev/null || pg_cluster_stop "$1" immediate 2>/dev/null
	fi
	rm -rf "$1"
}

pg_conninfo() {
	echo "host=$PG_HOST dbname=$1 user=${2:-otpadmin} passfile=$PG_PASSFILE"
}

pg_sql() {
	pg_bindir >/dev/null || return 1
	PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" "$(pg_conninfo "$1")" -X -A -t -q -v ON_ERROR_STOP=1 -c "$2"
}

pg_newdb() {
	pg_sql postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)" &&
		pg_sql postgres "CREATE DATABASE $1"
}

pg_grant_login() {
	pg_sql "$1" "GRANT USAGE ON SCHEMA pam_otp TO otp_login;
		GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pam_otp TO otp_login;
		GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA pam_otp TO otp_login"
}
