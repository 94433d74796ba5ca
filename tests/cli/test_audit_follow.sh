#!/bin/bash
# otpctl audit --follow never misses a record that lands late: a record
# dated behind records already shown (written by a host whose clock is
# behind, on a shared store; dated here with faketime) is printed once,
# summaries again as they grow, nothing twice, and nothing the initial
# dump printed or left out (--limit, --since).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
write_conf ""
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930
ctl enroll alice --type hotp --secret $b32 --no-confirm --qr none --force >/dev/null 2>&1
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
hotp() { oathtool --hotp -c "$1" $hex; }
within_10s() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }
past() { [ "$(date +%s)" -gt "$1" ]; }  # past T: the clock is past second T
pam() {  # pam ARGS...: pamtester through the suite's PAM service, with pam_wrapper
	env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester -I rhost=198.51.100.7 otp-login "$@"
}
login() { echo "$2" | pam "$1" authenticate >/dev/null 2>&1; }  # login USER CODE
# mark N: a record of its own (the enrollment of user markN), dated now
mark() { ctl enroll "mark$1" --no-confirm --qr none --force >/dev/null 2>&1; }

# follow_start ARGS...: otpctl audit --follow --format json ARGS, its lines
# read by read_until into $WORK/follow.json
follow_start() {
	coproc FOLLOW { exec "$OTPCTL" --config "$CONF" audit --follow --format json "$@" 2>&1; }
	follow_pid=$FOLLOW_PID
	exec {follow_fd}<&"${FOLLOW[0]}"
	: > "$WORK/follow.json"
}
read_until() {  # read_until TEXT: lines until one holds TEXT (10 s without a line at most)
	local line
	while IFS= read -r -t 10 line <&$follow_fd; do
		echo "$line" >> "$WORK/follow.json"
		[[ $line == *"$1"* ]] && return 0
	done
	return 1
}
follow_stop() {
	kill "$follow_pid" 2>/dev/null
	wait "$follow_pid" 2>/dev/null
	exec {follow_fd}<&-
}
# count TEXT: the lines of follow.json that hold TEXT
count() { grep -cF -- "$1" "$WORK/follow.json"; }
once() { [ "$(count "$1")" -eq 1 ]; }
absent() { [ "$(count "$1")" -eq 0 ]; }
no_line_twice() { [ -z "$(sort "$WORK/follow.json" | uniq -d)" ]; }

# dated_login USER CODE SECONDS: a login whose records are dated SECONDS
# before now (its host's clock behind); its result. Only with faketime,
# which cannot run beside the sanitizers.
late_ok() { [ -n "$FAKELIB" ] && [[ ${TEST_PRELOAD:-} != *asan* ]]; }
dated_login() {
	echo "$2" | env LD_PRELOAD="$FAKELIB ${TEST_PRELOAD:-libpam_wrapper.so}" \
		FAKETIME="-$3" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$WORK/svc" \
		pamtester -I rhost=198.51.100.7 otp-login "$1" authenticate >/dev/null 2>&1
}

# 1. A login that began before the last record shown, summaries, and a
# dump record: each printed once.
login ghost0 000000  # a summary already there when the dump runs
follow_start
check "the dump shows what is there" read_until '"enroll"'
mark 1
check "  then a record written" read_until '"mark1"'
after=$(date +%s)
if late_ok; then
	check "a login dated 30 s before that record succeeds" dated_login alice "$(hotp 0)" 30
	mark 2
	check "  its success is shown, behind the newest record shown" read_until '"auth_success"'
	check "  (it is dated before that record)" $PY -c '
import json, sys, datetime
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["event"] == "auth_success":
        t = datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%SZ")
        assert t.replace(tzinfo=datetime.timezone.utc).timestamp() < int(sys.argv[2]), r
' "$WORK/follow.json" "$after"
else
	mark 2
	ok "# skip: a record dated behind needs faketime, without sanitizers"
fi
login ghost1 000000
check "a summary is shown again when its count grows" read_until "last 'ghost1'"
login ghost2 000000
check "  and again" read_until "last 'ghost2'"
mark 3
check "  (the follow read on past them)" read_until '"mark3"'
follow_stop
late_ok && check "the late success is printed exactly once" once '"auth_success"'
check "the records of the dump are not printed again" once '"event":"enroll","user":"alice"'
check "no record is printed twice" no_line_twice
check "the last count shown of each summary adds up to the 3 failures" $PY -c '
import json, sys
last, seen = {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["user"] == "(unknown)":
        n = int(r["detail"].split()[0])
        assert n > last.get(r["time"], 0), ("a summary shown without growing", r)
        last[r["time"]] = n
assert sum(last.values()) == 3, last
' "$WORK/follow.json"

# 2. --limit: the dump shows the newest record only; the older ones are
# never printed afterwards
follow_start --limit 1 --event enroll
check "--limit 1: the dump shows the newest record" read_until '"mark3"'
mark 4
check "  then a new one" read_until '"mark4"'
mark 5
check "  and another" read_until '"mark5"'
follow_stop
check "  and nothing older than the dump's record" test "$(wc -l < "$WORK/follow.json")" -eq 3

# 3. --since: a late record dated before --since is left out, as the dump
# leaves it out
after=$(date +%s)
mark 6
follow_start --since "$(date -u -d "@$after" +%Y-%m-%dT%H:%M:%SZ)"
check "--since: the dump shows a record since then" read_until '"mark6"'
late_ok && check "  a login dated 30 s before --since fails" fails dated_login alice 000000 30
mark 7
check "  the follow reads on" read_until '"mark7"'
follow_stop
check "  and leaves out its failure, dated before --since" absent '"auth_failure"'

# 4. A record dated ahead of this host's clock (another host's clock ahead,
# on a shared store) that the dump printed is not printed again when its
# time comes. faketime dates it; it cannot run beside the sanitizers.
if [ -n "$FAKELIB" ] && [[ ${TEST_PRELOAD:-} != *asan* ]]; then
	ahead=$(( $(date +%s) + 3 ))
	env LD_PRELOAD="$FAKELIB" FAKETIME="@$(date -u -d "@$ahead" '+%Y-%m-%d %H:%M:%S')" \
		"$OTPCTL" --config "$CONF" enroll ahead --no-confirm --qr none --force >/dev/null 2>&1
	follow_start
	check "a record dated 3 s ahead: the dump shows it" read_until '"ahead"'
	check "  (the clock passes its time)" within_10s past "$ahead"
	mark 8
	check "  the follow reads on past it" read_until '"mark8"'
	follow_stop
	check "  and it is printed once" once '"user":"ahead"'
else
	ok "# skip: a record dated ahead needs faketime, without sanitizers"
fi
finish
