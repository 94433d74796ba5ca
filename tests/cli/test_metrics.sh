#!/bin/bash
# otpctl metrics as an administrator uses it: real logins through a PAM
# stack, the textfile scraped from a real node_exporter (Debian's
# prometheus-node-exporter) with curl, promtool's check on the output, and
# counters that keep increasing when the audit trail is pruned.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter)
write_conf "lockout { deny = 3 fail_interval = 900 unlock_time = 900 }
audit { syslog = false retention_days = 1 }"
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930
ctl enroll alice --type hotp --secret $b32 --no-confirm --qr none --force >/dev/null 2>&1
ctl recovery alice >/dev/null
mkdir -p "$WORK/svc" && mkdir -m 0755 "$WORK/tf"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
login() {  # login USER CODE [FAKETIME]: through the PAM stack, with pam_wrapper
	local preload=${TEST_PRELOAD:-libpam_wrapper.so}
	[ -n "${3:-}" ] && preload="$preload:$FAKELIB"
	echo "$2" | env LD_PRELOAD="$preload" ${3:+FAKETIME="$3"} PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester -I rhost=203.0.113.9 otp-login "$1" \
		authenticate >/dev/null 2>&1
}
hotp() { oathtool --hotp -c "$1" $hex; }
value() {  # value FILE METRIC{LABELS}: the sample's value in a scrape or a textfile
	$PY - "$1" "$2" <<'EOP'
import sys
want = sys.argv[2]
for line in open(sys.argv[1]):
    if line.startswith(want + " "):
        print(line.split()[-1]); break
else:
    print("missing")
EOP
}
expect() {  # expect DESCRIPTION FILE METRIC VALUE
	local got
	got=$(value "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1"; else not_ok "$1 ($3 is $got, want $4)"; fi
}
S='service="otp-login"'

# 3 successes, then 3 wrong codes (the third locks alice: one lockout),
# an attempt while locked, and a name the store does not know
for c in 0 1 2; do login alice "$(hotp $c)"; done
for i in 1 2 3; do login alice 000000; done
login alice "$(hotp 3)"
login nosuchuser 000000

check "metrics --textfile writes the file" ctl metrics --textfile "$WORK/tf"
prom="$WORK/tf/pam_otp.prom"
mode=$(stat -c %a "$prom" 2>/dev/null)
if [ "$mode" = 644 ]; then ok "  pam_otp.prom is 0644"; else not_ok "  pam_otp.prom is $mode"; fi
check "  promtool check metrics passes on it" promtool check metrics < "$prom"
check "  and on otpctl metrics on stdout" bash -c "'$OTPCTL' --config '$CONF' metrics | promtool check metrics"
if ls -A "$WORK/tf" | grep -qv '^pam_otp\.\(prom\|state\)$'; then
	not_ok "  no temporary file is left"; else ok "  no temporary file is left"; fi

# a real node_exporter, on loopback and a free port, scraped with curl
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ne_pid=
stop_exporter() { [ -n "$ne_pid" ] && kill "$ne_pid" 2>/dev/null && wait "$ne_pid" 2>/dev/null; ne_pid=; }
trap 'stop_exporter; rm -rf "$WORK"' EXIT
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" > "$WORK/scrape"; }
for attempt in 1 2 3; do  # a port taken meanwhile: try another
	port=$(free_port)
	"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$WORK/tf" \
		>"$WORK/ne.log" 2>&1 &
	ne_pid=$!
	for i in $(seq 1 100); do  # until it answers, 10 s at most
		scrape && break
		kill -0 "$ne_pid" 2>/dev/null || break
		sleep 0.1
	done
	scrape && break
	stop_exporter
done
check "node_exporter serves the textfile" scrape
expect "  3 successes" "$WORK/scrape" "pam_otp_logins_total{result=\"success\",$S}" 3
expect "  4 failures (3 wrong codes, 1 unknown name)" "$WORK/scrape" \
	"pam_otp_logins_total{result=\"failure\",$S}" 4
expect "  1 attempt while locked" "$WORK/scrape" "pam_otp_logins_total{result=\"locked\",$S}" 1
expect "  1 lockout" "$WORK/scrape" "pam_otp_lockouts_total{$S}" 1
expect "  1 failure for an unknown name" "$WORK/scrape" "pam_otp_unknown_user_failures_total{$S}" 1
expect "  1 user, locked" "$WORK/scrape" "pam_otp_users_locked" 1
expect "  1 active HOTP device" "$WORK/scrape" 'pam_otp_devices{state="active",type="hotp"}' 1
expect "  10 recovery codes left" "$WORK/scrape" "pam_otp_recovery_codes_left_min" 10
expect "  the store was read" "$WORK/scrape" "pam_otp_store_up" 1
if grep -q '^node_textfile_scrape_error 0' "$WORK/scrape"; then ok "  node_exporter read it without error"
else not_ok "  node_exporter read it without error"; grep textfile "$WORK/scrape" | sed 's/^/#   /'; fi

# the next run reads on: what happened since is added
ctl unlock alice >/dev/null
login alice "$(hotp 4)"
ctl metrics --textfile "$WORK/tf"
scrape
expect "the next run adds the new success" "$WORK/scrape" "pam_otp_logins_total{result=\"success\",$S}" 4
expect "  and the unlock" "$WORK/scrape" 'pam_otp_admin_changes_total{event="unlock"}' 1
expect "  and counts each record once" "$WORK/scrape" "pam_otp_logins_total{result=\"failure\",$S}" 4

stop_exporter

# pruning, in a store of its own: records older than retention_days go as
# new ones come; the counters keep what they counted
# (faketime dates the old logins; it cannot run beside the sanitizers,
# and the unit tests of auditscan cover pruning there)
if [ -n "$FAKELIB" ] && [[ ${TEST_PRELOAD:-} != *asan* ]]; then
	mkdir -m 0700 "$WORK/p"
	sed -e "s|$WORK/store|$WORK/p/store|" "$CONF" > "$WORK/p.conf"
	pctl() { "$OTPCTL" --config "$WORK/p.conf" "$@"; }
	ago() { env LD_PRELOAD="$FAKELIB" FAKETIME=-3d "$@"; }  # 3 days ago
	pctl init >/dev/null
	pctl enroll bob --type hotp --secret $b32 --no-confirm --qr none --force >/dev/null 2>&1
	echo "auth required $MODULE config=$WORK/p.conf nodelay" > "$WORK/svc/otp-p"
	plogin() {  # plogin CODE [FAKETIME]
		local preload=${TEST_PRELOAD:-libpam_wrapper.so}
		[ -n "${2:-}" ] && preload="$preload:$FAKELIB"
		echo "$1" | env LD_PRELOAD="$preload" ${2:+FAKETIME="$2"} PAM_WRAPPER=1 \
			PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-p bob authenticate >/dev/null 2>&1
	}
	P='service="otp-p"'
	plogin "$(hotp 0)" -3d
	plogin "$(hotp 1)" -3d
	ago "$OTPCTL" --config "$WORK/p.conf" metrics --state "$WORK/p/metrics.state" > "$WORK/p1"
	expect "pruning: two logins 3 days ago are counted then" "$WORK/p1" \
		"pam_otp_logins_total{result=\"success\",$P}" 2
	plogin "$(hotp 2)"
	pctl audit --until 2d --format csv > "$WORK/old.csv"
	if [ "$(wc -l < "$WORK/old.csv")" -eq 1 ]; then ok "  a login now prunes them from the trail"
	else not_ok "  a login now prunes them from the trail"; sed 's/^/#   /' "$WORK/old.csv"; fi
	pctl metrics --state "$WORK/p/metrics.state" > "$WORK/p2"
	expect "  the counter still has them, and the new one" "$WORK/p2" \
		"pam_otp_logins_total{result=\"success\",$P}" 3
	pctl metrics > "$WORK/p3"
	expect "  (a run without a state counts only what the trail holds)" "$WORK/p3" \
		"pam_otp_logins_total{result=\"success\",$P}" 1
else
	ok "# skip: pruning with dated logins needs faketime, without sanitizers"
fi

# the state file: refused when unsafe or broken, never silently reset
chmod 0644 "$WORK/tf/pam_otp.state"
check_exit "a state readable by others is refused" 4 ctl metrics --textfile "$WORK/tf"
chmod 0600 "$WORK/tf/pam_otp.state"
cp "$WORK/tf/pam_otp.state" "$WORK/state.good"
echo '{"format":"pam_otp metrics state"}' > "$WORK/tf/pam_otp.state"
check_exit "a broken state is refused" 4 ctl metrics --textfile "$WORK/tf"
has_err "  saying how to start again" "remove it"
mv "$WORK/state.good" "$WORK/tf/pam_otp.state"
ln -s "$WORK/tf/pam_otp.state" "$WORK/link.state"
check_exit "--state through a symlink is refused" 4 ctl metrics --state "$WORK/link.state"

# a store that cannot be read: the counters stay, pam_otp_store_up 0
mv "$WORK/store" "$WORK/store.away"
check_exit "metrics with the store gone fails" 4 ctl metrics --textfile "$WORK/tf"
expect "  the textfile says the store is down" "$prom" "pam_otp_store_up" 0
expect "  and keeps the counters" "$prom" "pam_otp_logins_total{result=\"success\",$S}" 4
mv "$WORK/store.away" "$WORK/store"

check "--json: the samples as JSON" ctl metrics --json
check "  parsed by a JSON parser" $PY -c '
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
v = [s["value"] for s in m if s["name"] == "pam_otp_users"]
assert v == [1], v
' "$WORK/out"
finish
