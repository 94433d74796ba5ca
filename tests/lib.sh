# Shared helpers for the shell tests: a private config, store and key,
# and TAP-like result lines counted by run_all.sh.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OTPCTL="$TOP/cli/otpctl"
RACE="$TOP/${OTP_BUILD:-build}/tests/race"
MODULE="$TOP/pam_module/pam_otp.so"
WORK=$(mktemp -d /tmp/otp-test-XXXXXX)
CONF="$WORK/pam_otp.conf"
passed=0
failed=0
# OTP_TEST_BACKEND=postgresql: the suite's store is a fresh database of
# its own on the run's PostgreSQL cluster (tests/pg/cluster.sh; run_all.sh
# exports OTP_PG_DIR) or, run alone, on a private cluster it starts.
OTP_TEST_BACKEND=${OTP_TEST_BACKEND:-lmdb}
STORE="$WORK/store"
PG_DB=""
PG_OWN=""
PAM_FILES=""
lib_cleanup() {
	[ -z "$PAM_FILES" ] || rm -f $PAM_FILES
	if [ -n "$PG_DB" ]; then
		pg_sql postgres "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
	fi
	[ -z "$PG_OWN" ] || pg_cluster_destroy "$PG_OWN"
	rm -rf "$WORK"
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM HUP

write_conf() {
	cat > "$CONF" <<EOC
store = "$STORE"
seal_key = "$WORK/seal.key"
issuer = "Test Host"
password = "none"
audit { syslog = false }
$*
EOC
	chmod 0644 "$CONF"
}

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# Each check runs its command with output to new files and only then makes
# them $WORK/out and $WORK/err, so a command may read the previous ones.
capture() {
	"$@" >"$WORK/new.out" 2>"$WORK/new.err"
	local rc=$?
	mv "$WORK/new.out" "$WORK/out"
	mv "$WORK/new.err" "$WORK/err"
	return $rc
}

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
	local what=$1; shift
	if capture "$@"; then ok "$what"; else
		not_ok "$what"; sed 's/^/#   /' "$WORK/out" "$WORK/err" | head -20; fi
}

# check_exit DESCRIPTION CODE COMMAND...: passes when the command exits CODE.
check_exit() {
	local what=$1 want=$2 got; shift 2
	capture "$@"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		not_ok "$what (exit $got, want $want)"; sed 's/^/#   /' "$WORK/err" | head -5; fi
}

# has DESCRIPTION REGEX: the last command's stdout matches (stderr: has_err).
has() { if grep -q -- "$2" "$WORK/out"; then ok "$1"; else not_ok "$1"; fi; }
has_err() { if grep -q -- "$2" "$WORK/err"; then ok "$1"; else not_ok "$1"; sed 's/^/#   /' "$WORK/err" | head -3; fi; }

ctl() { "$OTPCTL" --config "$CONF" "$@"; }
# fails COMMAND...: for check: the command exits non-zero
fails() { ! "$@"; }
# elapsed T0 T1: seconds between two "date +%s.%N" readings; at_most A B: A <= B
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# pam_service NAME LINE: a PAM service for pam_race. As root it goes in
# /etc/pam.d (removed at exit) and libpam reads it as sshd's would;
# otherwise pam_wrapper points libpam at $WORK/svc.
pam_service() {
	if [ "$(id -u)" -eq 0 ] && [ -d /etc/pam.d ]; then
		echo "$2" > "/etc/pam.d/$1"
		PAM_FILES="$PAM_FILES /etc/pam.d/$1"
	else
		mkdir -p "$WORK/svc"
		echo "$2" > "$WORK/svc/$1"
	fi
}
# pam_race SERVICE[,SERVICE...] USER:CODE...: race's "success=S failure=F
# broken=B" for logins through services pam_service made
pam_race() {
	if [ "$(id -u)" -eq 0 ] && [ -d /etc/pam.d ]; then
		"$RACE" "$@"
	else
		env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
			PAM_WRAPPER_SERVICE_DIR="$WORK/svc" "$RACE" "$@"
	fi
}

finish() {
	echo "# $(basename "$0"): $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# --- PostgreSQL ---------------------------------------------------------
. "$TOP/tests/pg/cluster.sh"

on_pg() { [ "$OTP_TEST_BACKEND" = postgresql ]; }

# need_pg [private]: a cluster (the run's, or a private one: always with
# "private", for a suite that stops its server) and a fresh database for
# this suite, PG_DB; STORE becomes its conninfo. Without server binaries the
# suite is skipped, unless OTP_REQUIRE_PG is set: then it fails.
need_pg() {
	if [ -n "$PG_DB" ]; then  # done already (OTP_TEST_BACKEND=postgresql)
		[ "${1:-}" = private ] && [ -z "$PG_OWN" ] || return 0
		pg_sql postgres "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
	fi
	if [ -n "${OTP_PG_DIR:-}" ] && [ "${1:-}" != private ] && pg_bindir >/dev/null; then
		pg_cluster_use "$OTP_PG_DIR"
	elif pg_bindir >/dev/null; then
		PG_OWN=$(mktemp -d /tmp/otp-pg-XXXXXX)
		pg_cluster_create "$PG_OWN" || { not_ok "a private PostgreSQL cluster starts"; finish; exit; }
	elif [ -n "${OTP_REQUIRE_PG:-}" ]; then
		not_ok "PostgreSQL server binaries (OTP_REQUIRE_PG is set)"; finish; exit
	else
		echo "# skip $(basename "$0"): no PostgreSQL server binaries"; finish; exit 0
	fi
	PG_DB=otp_$(basename "$0" .sh | tr -c 'a-z0-9_\n' _)_$$
	pg_newdb "$PG_DB" || { not_ok "database $PG_DB created"; finish; exit; }
	STORE=$(pg_conninfo "$PG_DB")
}

# fresh_store: forget the suite's store (LMDB: the directory; PostgreSQL:
# the schema, so that otpctl init starts afresh).
fresh_store() {
	if on_pg; then
		pg_sql "$PG_DB" "DROP SCHEMA IF EXISTS pam_otp CASCADE"
	else
		rm -rf "$WORK/store"
	fi
}

# lmdb CHECK DESCRIPTION ARGS...: a check about LMDB files (directory
# modes, data.mdb, map size, backup/restore, raw records); on PostgreSQL it
# is skipped with a visible line instead.
lmdb() {
	if on_pg; then echo "# skip $2 (LMDB)"; else "$@"; fi
}

# skip_lmdb DESCRIPTION: the same for a block: "if lmdb_store; then ...; else
# skip_lmdb ...; fi".
lmdb_store() { ! on_pg; }
skip_lmdb() { echo "# skip $* (LMDB)"; }

# store_made: otpctl init made the store (LMDB: its directory; PostgreSQL:
# the schema pam_otp in the suite's database)
store_made() {
	if on_pg; then
		[ "$(pg_sql "$PG_DB" "SELECT count(*) FROM pg_namespace WHERE nspname = 'pam_otp'")" = 1 ]
	else
		[ -e "$WORK/store" ]
	fi
}
# store_sum: a digest of what the store holds (LMDB: data.mdb; PostgreSQL:
# the rows of its tables but meta)
store_sum() {
	if on_pg; then
		# without the \restrict lines, random in every dump
		"$PG_BIN/pg_dump" -d "$STORE" --data-only --schema=pam_otp \
			--exclude-table=pam_otp.meta | grep -v '^\\\(un\)\{0,1\}restrict ' | sha256sum
	else
		sha256sum < "$WORK/store/data.mdb"
	fi
}
# not_in_store TEXT: no byte string of the store holds TEXT (PostgreSQL:
# pg_dump shows bytea in hex, text as is)
not_in_store() {
	if on_pg; then
		! "$PG_BIN/pg_dump" -d "$STORE" | grep -qiF -- "$1"
	else
		! grep -qF -- "$1" "$WORK/store/data.mdb"
	fi
}
# store_away: the store is gone (LMDB: the directory moved away;
# PostgreSQL: the schema renamed)
store_away() {
	if on_pg; then
		pg_sql "$PG_DB" "ALTER SCHEMA pam_otp RENAME TO pam_otp_away"
	else
		mv "$WORK/store" "$WORK/store.away"
	fi
}

! on_pg || need_pg
