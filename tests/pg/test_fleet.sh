#!/bin/bash
# Many hosts, one store: four "hosts" (four configs, each its own host_name,
# one PostgreSQL database) decide logins as one. Twenty logins at once, five
# through each host, with one code: exactly one is accepted; the lockout is
# shared; an enrollment made on one host works on the others; the audit
# trail says which host wrote each record. Host 1 uses the owner role (it
# runs otpctl init); hosts 2-4 a login role with only the documented grants
# (hosts 2 and 3 with a URI, host 4 with a key=value conninfo).
. "$(dirname "$0")/../lib.sh"
need_pg
REPS=5
HOSTS=4
N=20
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930

# host_conf I EXTRA: host I's config, $WORK/hI.conf
host_conf() {
	local spec
	case $1 in
	1) spec=$STORE ;;
	2 | 3) spec="postgresql:///$PG_DB?host=$PG_HOST&user=otp_login&passfile=$PG_PASSFILE" ;;
	*) spec=$(pg_conninfo "$PG_DB" otp_login) ;;
	esac
	CONF="$WORK/h$1.conf" STORE=$spec write_conf "host_name = \"host$1\"
$2"
}
confs() { local i; for ((i = 1; i <= HOSTS; i++)); do host_conf $i "$1"; done; }
ctlh() { local i=$1; shift; "$OTPCTL" --config "$WORK/h$i.conf" "$@"; }

# One PAM service per host, each naming its host's config.
svc="otp-fleet-$$"
services=""
for ((i = 1; i <= HOSTS; i++)); do
	pam_service "$svc-h$i" "auth required $MODULE config=$WORK/h$i.conf nodelay"
	services="$services${services:+,}$svc-h$i"
done
# race USER:CODE...: the i-th login goes through host (i mod 4) + 1
race() { pam_race "$services" "$@" 2>"$WORK/race.err"; }
# login_on I USER CODE: one login through host I
login_on() { pam_race "$svc-h$1" "$2:$3" 2>"$WORK/race.err"; }
same() { local i; for ((i = 0; i < N; i++)); do echo -n "$1 "; done; }
events() {  # events USER EVENT: how many audit records
	ctlh 1 audit --format json --user "$1" --event "$2" | wc -l
}
by_host() {  # by_host USER: "hostN=records ..." over the records of the user's login attempts
	ctlh 1 audit --format json --user "$1" | python3 -c '
import json, sys, collections
c = collections.Counter(r["host"] for r in map(json.loads, sys.stdin)
                        if r["service"] != "otpctl" and r["event"] != "lockout")
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}
counter() { pg_sql "$PG_DB" "SELECT counter FROM pam_otp.devices WHERE user_name = '$1'"; }
all_hosts() { local i; for ((i = 1; i <= HOSTS; i++)); do echo -n "host$i=$1 "; done; }

confs "lockout { deny = 0 }"
check "otpctl init through host 1 (the owner role) creates the schema" ctlh 1 init
check "the login role gets only the documented grants (DML, no DDL)" pg_grant_login "$PG_DB"
check "  host 2 (login role, URI) reads the store" ctlh 2 users
check "  host 4 (login role, conninfo) reads the store" ctlh 4 users

# --- one enrollment, every host
check "enroll carol through host 1" ctlh 1 enroll --force carol --type hotp --secret $b32 \
	--no-confirm --qr none
check "  carol logs in through host 2" test "$(login_on 2 carol 755224)" = "success=1 failure=0 broken=0"
check "  the same code on host 3 is refused (the counter moved for the fleet)" \
	test "$(login_on 3 carol 755224)" = "success=0 failure=1 broken=0"
check "enroll dave through host 3 (the login role's grants suffice)" \
	ctlh 3 enroll --force dave --type hotp --secret $b32 --no-confirm --qr none
check "  dave logs in through host 4" test "$(login_on 4 dave 755224)" = "success=1 failure=0 broken=0"
check "  host 1 lists dave's device" ctlh 1 devices dave
has "  named as enrolled" "device1"
check "otpctl audit (text) through host 2" ctlh 2 audit --user carol
# TIME EVENT USER SERVICE RHOST TTY DEVICE HOST ...
has "  the enrollment's HOST column says host1" " enroll  *carol  *otpctl  *-  *-  *device1  *host1 "
has "  the login's HOST column says host2" " auth_success  *carol  *$svc-h2  *-  *-  *device1  *host2 "
has "  the refused replay's says host3" " auth_failure  *carol  *$svc-h3  *-  *-  *-  *host3 "

# --- one TOTP code, 20 logins at once over four hosts: exactly one accepted
for r in $(seq $REPS); do
	u=totp$r
	ctlh 1 enroll --force $u --secret $b32 --no-confirm --qr none >/dev/null 2>&1
	code=$(oathtool --totp -b $b32)
	check "TOTP: $N parallel logins over $HOSTS hosts with one code, exactly 1 accepted (run $r)" \
		test "$(race $(same $u:$code))" = "success=1 failure=$((N - 1)) broken=0"
	check "  one auth_success record" test "$(events $u auth_success)" = 1
	check "  every attempt recorded by its host, 5 each" test "$(by_host $u)" = "$(all_hosts 5 | sed 's/ $//')"
done

# --- one HOTP code
ctlh 1 enroll --force hotp --type hotp --secret $b32 --no-confirm --qr none >/dev/null 2>&1
for r in $(seq $REPS); do
	code=$(oathtool --hotp -c $((r - 1)) $hex)
	check "HOTP: $N parallel logins over $HOSTS hosts with one code, exactly 1 accepted (run $r)" \
		test "$(race $(same hotp:$code))" = "success=1 failure=$((N - 1)) broken=0"
done
check "HOTP: the counter moved once per run (psql)" test "$(counter hotp)" = $REPS
check "  one auth_success record per run" test "$(events hotp auth_success)" = $REPS
check "  the next code works on host 4" \
	test "$(login_on 4 hotp "$(oathtool --hotp -c $REPS $hex)")" = "success=1 failure=0 broken=0"

# --- one recovery code (the codes made through host 2, the login role)
ctlh 1 enroll --force rec --secret $b32 --no-confirm --qr none >/dev/null 2>&1
check "recovery codes made through host 2" ctlh 2 --json recovery rec --count $REPS
cp "$WORK/out" "$WORK/codes.json"
for r in $(seq $REPS); do
	code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["codes"][int(sys.argv[2])])' "$WORK/codes.json" $((r - 1)))
	check "recovery code: $N parallel logins over $HOSTS hosts, exactly 1 accepted (run $r)" \
		test "$(race $(same rec:$code))" = "success=1 failure=$((N - 1)) broken=0"
done
check "recovery: every code used once" test "$(events rec recovery_used)" = $REPS
check "  none left, host 3 says" ctlh 3 --json recovery rec --status
has "  left: 0" '"left": *0'

# --- deny=3: 20 wrong codes at once over four hosts, exactly 3 checked
confs "lockout { deny = 3 fail_interval = 900 unlock_time = 900 }"
for r in $(seq $REPS); do
	u=lock$r
	ctlh 1 enroll --force $u --type hotp --secret $b32 --no-confirm --qr none >/dev/null 2>&1
	check "lockout: $N parallel wrong codes over $HOSTS hosts all refused (run $r)" \
		test "$(race $(same $u:000000))" = "success=0 failure=$N broken=0"
	check "  exactly 3 checked (auth_failure)" test "$(events $u auth_failure)" = 3
	check "  the other $((N - 3)) refused as locked" test "$(events $u locked)" = $((N - 3))
	check "  one lockout record" test "$(events $u lockout)" = 1
	check "  each host recorded its 5 attempts" test "$(by_host $u)" = "$(all_hosts 5 | sed 's/ $//')"
	check_exit "  locked for the fleet: the right code is refused on host 3" 3 ctlh 3 verify $u 755224
done
check "otpctl unlock through host 4 frees lock1 for every host" ctlh 4 unlock lock1
check "  lock1 logs in through host 2" \
	test "$(login_on 2 lock1 755224)" = "success=1 failure=0 broken=0"

# --- users do not wait for each other: carol's records held by an open
# transaction elsewhere; dave logs in meanwhile, carol is refused within
# store_timeout + 1 s.
host_conf 5 "store_timeout = 2"
mkfifo "$WORK/sql"
"$PG_BIN/psql" "$STORE" -X -q -v ON_ERROR_STOP=1 < "$WORK/sql" >"$WORK/psql.out" 2>&1 &
psql_pid=$!
exec 7>"$WORK/sql"
echo "BEGIN; SELECT 1 FROM pam_otp.users WHERE name = 'carol' FOR UPDATE;
SELECT 1 FROM pam_otp.devices WHERE user_name = 'carol' FOR UPDATE; \\! touch $WORK/held" >&7
while [ ! -e "$WORK/held" ] && kill -0 $psql_pid 2>/dev/null; do sleep 0.05; done
check "carol's rows locked by another session" test -e "$WORK/held"
check "  dave logs in through host 2 meanwhile" \
	test "$(login_on 2 dave 287082)" = "success=1 failure=0 broken=0"
t0=$(date +%s.%N)
check_exit "  carol's login waits, then is refused (exit 4)" 4 \
	timeout 30 "$OTPCTL" --config "$WORK/h5.conf" verify carol 287082
t1=$(date +%s.%N)
has_err "  the error says it timed out" "timed out after 2 s"
check "  within store_timeout + 1 s ($(elapsed "$t0" "$t1") s)" at_most "$(elapsed "$t0" "$t1")" 3
echo "ROLLBACK;" >&7
exec 7>&-
wait $psql_pid
check "  released: carol logs in with that code" \
	test "$(login_on 1 carol 287082)" = "success=1 failure=0 broken=0"
finish
