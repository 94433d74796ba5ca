#!/bin/bash
# otpctl stats after real logins through a PAM stack: users and devices,
# logins by outcome, the success rate, recovery codes, and who is being
# attacked from where (unknown names counted by their summary's count).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
write_conf ""
ctl init >/dev/null
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll alice --type hotp --secret $b32 --no-confirm --qr none --force >/dev/null 2>&1
ctl enroll carol --qr none --force </dev/null >/dev/null 2>&1   # stays pending
ctl recovery alice --json > "$WORK/codes.json"
rc1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["codes"][0])' "$WORK/codes.json")
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
login() {  # login USER CODE RHOST
	echo "$2" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester -I rhost="$3" otp-login "$1" \
		authenticate >/dev/null 2>&1
}
login alice "$(oathtool --hotp -c 0 $hex)" 192.0.2.10
login alice "$(oathtool --hotp -c 1 $hex)" 192.0.2.10
for i in 1 2 3; do login alice 000000 198.51.100.66; done
login alice "$rc1" 192.0.2.10
login mallory 000000 203.0.113.5
login trudy 000000 203.0.113.5

check "stats --json" ctl stats --json
check "  users, devices, logins, rate, recovery codes and sources add up" $PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["users"] == {"enrolled": 2, "active": 1, "locked": 0}, s["users"]
assert s["devices"]["hotp"]["active"] == 1 and s["devices"]["totp"]["pending"] == 1, s["devices"]
l = s["logins"]
assert (l["success"], l["failure"], l["recovery_code"]) == (2, 5, 1), l
assert s["services"]["otp-login"] == l, s["services"]
assert s["attempts"] == 8 and abs(s["success_rate"] - 3 / 8) < 1e-9, s
assert s["recovery_codes_used"] == 1 and s["lockouts"] == 0, s
assert s["recovery"]["left_min"] == 9, s["recovery"]
h = s["failing_hosts"]
assert h["distinct"] == 2, h
assert [(t["rhost"], t["failures"]) for t in h["top"]] == [("198.51.100.66", 3), ("203.0.113.5", 2)], h
u = s["failing_users"]["top"]
assert [(t["user"], t["failures"]) for t in u] == [("alice", 3), ("(unknown)", 2)], u
' "$WORK/out"

check "stats (text)" ctl stats
has "  users line" "^users  *2 enrolled, 1 with an active device, 0 locked now"
has "  the service's row" "^  otp-login  *2  *5  *0  *0  *0  *0  *1  *0  *0$"
has "  success rate" "^success rate 37.5% (3 of 8 attempts let in)"
has "  unknown names" "unknown user names  2 failed attempts"
has "  the busiest failing source first" "remote hosts with failures: 2"
grep -A1 'RHOST' "$WORK/out" | tail -1 > "$WORK/first"
if grep -q '^  198.51.100.66 ' "$WORK/first"; then ok "  198.51.100.66 on top"; else not_ok "  198.51.100.66 on top"; fi

check "stats --since a future date: no logins" ctl stats --json --since 2099-01-01
check "  but the users are there" $PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["attempts"] == 0 and s["success_rate"] is None and s["users"]["enrolled"] == 2, s
' "$WORK/out"
check_exit "stats --since nonsense is a usage error" 1 ctl stats --since yesterday-ish
check_exit "stats with a stray argument is a usage error" 1 ctl stats alice
store_away
check_exit "stats without a store: exit 4" 4 ctl stats
finish
