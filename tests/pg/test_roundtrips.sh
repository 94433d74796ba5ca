#!/bin/bash
# What a login costs on PostgreSQL, counted rather than timed: one host
# process logs in 1 time, then 21 times (each a new connection, so the
# connection's own exchanges cancel out), and the difference over the 20
# logins is each login's. The client side counts round trips (a preloaded
# send/recv counter, roundtrips.c); the server's log counts statements.
# A login (password = none, a HOTP code) must wait for at most 5 round
# trips; judge the seal key and peek at the user together, in at most one
# read transaction; read the user row once and write it once in its write
# transaction; and prune the audit trail at no more than one login in 8.
. "$(dirname "$0")/../lib.sh"
need_pg
THREADS="$TOP/${OTP_BUILD:-build}/tests/threads"
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
counter=0
write_conf
svc="otp-rt-$$"
pam_service "$svc" "auth required $MODULE config=$CONF nodelay"

check "otpctl init" ctl init
check "enroll rt (HOTP)" ctl enroll --force rt --type hotp --secret $b32 --no-confirm --qr none
check "the round-trip counter builds" cc -shared -fPIC -o "$WORK/roundtrips.so" \
	"$TOP/tests/pg/roundtrips.c" -ldl
[ -x "$THREADS" ] || not_ok "the threads host is built ($THREADS)"
# (a database setting: every new session on it, and no other, logs them)
check "the server logs every statement of this database" pg_sql postgres \
	"ALTER DATABASE $PG_DB SET log_min_duration_statement = 0"

# logins N TAG: one process logs rt in N times in a row (threads race with
# one thread), with the counter preloaded; $WORK/TAG.rt gets "SENDS TRIPS",
# $WORK/TAG.log the server's log of those logins
logins() {
	local n=$1 tag=$2 pairs="" i from preload=$WORK/roundtrips.so
	for ((i = 0; i < n; i++)); do
		pairs="$pairs rt:$(oathtool --hotp -c $((counter + i)) $hex)"
	done
	counter=$((counter + n))
	# as pam_race runs a host: pam_wrapper unless root; a sanitizer's
	# runtime first whenever the build has one
	if [ "$(id -u)" -ne 0 ]; then
		preload="${TEST_PRELOAD:-libpam_wrapper.so}:$preload"
	elif [[ ${TEST_PRELOAD:-} == *san* ]]; then
		preload="${TEST_PRELOAD%%:*}:$preload"
	fi
	from=$(stat -c %s "$PG_DIR/run/log")
	env LD_PRELOAD="$preload" OTP_RT_OUT="$WORK/$tag.rt" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" "$THREADS" race "$svc" 1 $pairs > "$WORK/$tag.out"
	tail -c +$((from + 1)) "$PG_DIR/run/log" > "$WORK/$tag.log"
}
logins 1 one
logins 21 many
check "  the 21 logins all succeed" grep -q "^success=21 failure=0 broken=0" "$WORK/many.out"

# per_login FIELD: (many - one) / 20 of the counter's field (1 sends, 2 trips)
per_login() {
	awk -v f="$1" 'NR == FNR { a = $f; next } { printf "%.2f\n", ($f - a) / 20 }' \
		"$WORK/one.rt" "$WORK/many.rt"
}
# per_login_stmt REGEX: (many - one) / 20 of the statements the server ran
# (an execute of a prepared statement, or a simple query) matching REGEX
per_login_stmt() {
	local a b
	a=$(grep -cE "(execute [^:]*|statement): .*$1" "$WORK/one.log")
	b=$(grep -cE "(execute [^:]*|statement): .*$1" "$WORK/many.log")
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", (b - a) / 20 }'
}
# bound DESCRIPTION VALUE MAX
bound() {
	if at_most "$2" "$3"; then ok "$1 ($2, at most $3)"; else not_ok "$1 ($2, at most $3)"; fi
}
# exactly DESCRIPTION VALUE WANT
exactly() {
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else not_ok "$1 ($2, want $3)"; fi
}

if [ -s "$WORK/many.rt" ]; then
	bound "a login waits for few round trips" "$(per_login 2)" 5
	echo "# sends per login: $(per_login 1), round trips: $(per_login 2)"
else
	not_ok "the round-trip counter reported"
fi
bound "at most one read transaction per login (the key check and the peek read together)" \
	"$(per_login_stmt 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')" 1
exactly "the user row is read once in the write transaction, once in the peek" \
	"$(per_login_stmt 'SELECT .* FROM pam_otp\.users WHERE name')" 2.00
exactly "  and written once" "$(per_login_stmt 'INSERT INTO pam_otp\.users')" 1.00
bound "the audit trail is pruned at one login in 8 at most" \
	"$(per_login_stmt 'DELETE FROM pam_otp\.audit')" 0.125
exactly "one commit per login" "$(per_login_stmt 'COMMIT')" 1.00
finish
