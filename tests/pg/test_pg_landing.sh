#!/bin/bash
# Audit records on PostgreSQL are numbered from a sequence, so appends of
# different users never wait for each other, and readers go on in landing
# order (the writing transaction's id) so that none is missed: a
# transaction left open with an audit record of this second neither holds
# up another user's login nor loses its record for otpctl metrics once it
# commits, and nothing is counted twice. A schema of version 1 still
# works as before until otpctl init upgrades it, keeping every record.
. "$(dirname "$0")/../lib.sh"
need_pg
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930
write_conf "store_timeout = 2
audit { syslog = false retention_days = 36500 }"
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-land"
ctl init >/dev/null
ctl enroll --force alice --type hotp --secret $b32 --no-confirm --qr none >/dev/null 2>&1
counter=0
login() {  # login: alice with the next HOTP code; pamtester's status
	local rc
	echo "$(oathtool --hotp -c $counter $hex)" | timeout 20 env \
		LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-land alice authenticate \
		>"$WORK/log" 2>&1
	rc=$?
	[ $rc -eq 0 ] && counter=$((counter + 1))
	return $rc
}
successes() {  # the success count otpctl metrics gives with the state file
	ctl metrics --state "$WORK/m.state" > "$WORK/m" || { echo "metrics failed"; return; }
	sed -n 's/^pam_otp_logins_total{result="success",service="otp-land"} //p' "$WORK/m"
}
expect() {  # expect DESCRIPTION WANT GOT
	if [ "$3" = "$2" ]; then ok "$1"; else not_ok "$1 (got '$3', want $2)"; fi
}


check "alice logs in" login
expect "  metrics counts it" 1 "$(successes)"

# A transaction that appended a record and stays open (another host's
# login in its last step): its number comes before alice's next one.
mkfifo "$WORK/sql"
"$PG_BIN/psql" "$STORE" -X -q -v ON_ERROR_STOP=1 < "$WORK/sql" >"$WORK/psql.out" 2>&1 &
psql_pid=$!
exec 7>"$WORK/sql"
cat >&7 <<EOS
BEGIN;
INSERT INTO pam_otp.audit (time, seq, event, user_name, service, rhost, tty, device, detail, host, actor)
 VALUES (floor(extract(epoch FROM now()))::bigint, nextval('pam_otp.audit_seq'), 'auth_success', 'bob',
 'otp-land', '', '', '1', '', 'web2', '');
\\! touch $WORK/held
EOS
while [ ! -e "$WORK/held" ] && kill -0 $psql_pid 2>/dev/null; do sleep 0.05; done
check "with another user's append open, alice logs in (no wait on it)" login
ours=$(pg_sql "$PG_DB" "SELECT max(seq) FROM pam_otp.audit WHERE user_name = 'alice'")
check "  her record is numbered after the open one" test "$ours" -gt 1
expect "  metrics holds back what landed after the open transaction began" 1 "$(successes)"
# The open login began in alice's second (its record is dated then): so it
# lands behind hers in the order of (time, number), whatever second the
# statements above ran in.
ours_time=$(pg_sql "$PG_DB" "SELECT max(time) FROM pam_otp.audit WHERE user_name = 'alice'")
echo "UPDATE pam_otp.audit SET time = $ours_time WHERE user_name = 'bob';" >&7
echo "COMMIT;" >&7
exec 7>&-
wait $psql_pid
check "the other transaction commits" test $? -eq 0
n=$(pg_sql "$PG_DB" "SELECT count(*) FROM pam_otp.audit a, pam_otp.audit b WHERE a.user_name = 'bob' AND b.user_name = 'alice' AND b.time <= a.time AND b.seq > a.seq")
check "  its record landed behind one metrics had read" test "$n" -ge 1
expect "  metrics counts it now, once" 3 "$(successes)"
expect "  and never again" 3 "$(successes)"
check "alice logs in again" login
expect "  metrics counts that too" 4 "$(successes)"
ctl audit --format csv > "$WORK/all.csv"
check "otpctl audit shows all four" test "$(grep -c ',auth_success,' "$WORK/all.csv")" = 4

# --- a schema of version 1 (before the landing order): hosts of the older
# pam_otp and of this one share it (audit numbered under each second's
# lock, as before) until otpctl init upgrades it
ctl audit --format csv > "$WORK/before.csv"
pg_sql "$PG_DB" "DROP INDEX pam_otp.audit_landed; ALTER TABLE pam_otp.audit DROP COLUMN xid;
 DROP SEQUENCE pam_otp.audit_seq;
 UPDATE pam_otp.meta SET value = convert_to('1', 'UTF8') WHERE name = 'schema_version'" >/dev/null
# The state an otpctl of version 1 saved: the seconds' rule (each second's
# highest number counted), no landing mark.
pg_sql "$PG_DB" "SELECT time, max(seq) FROM pam_otp.audit WHERE seq < 2147483648 GROUP BY time" \
	> "$WORK/seconds"
/usr/bin/python3 - "$WORK/m.state" "$WORK/seconds" <<'EOP'
import json, sys
st = json.load(open(sys.argv[1]))
w = st["window"]
w.pop("landed", None)
w["seconds"] = sorted([int(t), int(s)] for t, s in (l.strip().split("|") for l in open(sys.argv[2]) if l.strip()))
json.dump(st, open(sys.argv[1], "w"))
EOP
check "version 1: alice logs in" login
n=$(pg_sql "$PG_DB" "SELECT count(*) FROM pam_otp.audit a WHERE user_name = 'alice' AND seq = (SELECT max(seq) FROM pam_otp.audit b WHERE b.time = a.time AND b.seq < 2147483648) AND a.time = (SELECT max(time) FROM pam_otp.audit)")
check "  her record numbered after every record of its second" test "$n" = 1
expect "  metrics counts it by the seconds' rule" 5 "$(successes)"
check "otpctl init upgrades the schema" ctl init
v=$(pg_sql "$PG_DB" "SELECT convert_from(value, 'UTF8') FROM pam_otp.meta WHERE name = 'schema_version'")
expect "  to version 3" 3 "$v"
ctl audit --format csv | head -n -1 > "$WORK/after.csv"
check "  keeping every audit record" cmp "$WORK/before.csv" "$WORK/after.csv"
check "alice logs in after the upgrade" login
expect "  metrics: every old record lands again, only her new login is counted" 6 "$(successes)"
check "  and the state now keeps a landing mark" grep -q '"landed"' "$WORK/m.state"
expect "  reading on from it" 6 "$(successes)"

# Records written at their place (otpctl migrate keeps each record's own
# number) hold the numbers the sequence gives next: 100 in each of the
# next seconds, the sequence back at 1; a login goes above them.
pg_sql "$PG_DB" "INSERT INTO pam_otp.audit (time, seq, event, user_name, service, rhost, tty, device, detail, host, actor)
 SELECT floor(extract(epoch FROM now()))::bigint + t, n, 'import', 'u' || n, 'otpctl', '', '', '', '', 'old', ''
 FROM generate_series(0, 5) t, generate_series(1, 100) n ON CONFLICT DO NOTHING;
 SELECT setval('pam_otp.audit_seq', 1, false)" >/dev/null
check "numbers 1-100 of this second taken: alice logs in" login
n=$(pg_sql "$PG_DB" "SELECT count(*) FROM pam_otp.audit WHERE user_name = 'alice' AND seq > 100 AND seq < 2147483648")
check "  her record numbered above them" test "$n" -ge 1
finish
