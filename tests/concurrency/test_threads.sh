#!/bin/bash
# Long-lived PAM hosts: one process whose threads log users in at once
# (mail, FTP, RADIUS daemons), one that forks after authenticating, and
# both beside otpctl and a second host, killed with -9 mid-login. The
# module keeps one store handle per process; every figure must be exact.
. "$(dirname "$0")/../lib.sh"
THREADS="$TOP/${OTP_BUILD:-build}/tests/threads"
FORKS="$TOP/${OTP_BUILD:-build}/tests/forks"
REPS=5
T=8
K=16
KILLS=${OTP_THREAD_KILLS:-10}
write_conf "lockout { deny = 0 }"
ctl init >/dev/null
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

# As root, plain libpam with a service file in /etc/pam.d, as a daemon
# would run; otherwise pam_wrapper with a private service directory.
service="otp-threads-$$"
stack="auth required $MODULE config=$CONF nodelay"
# A host in the background is started with exec, so that its pid is the
# program's own (the one kill -9 must hit).
if [ "$(id -u)" -eq 0 ] && [ -d /etc/pam.d ]; then
	echo "$stack" > "/etc/pam.d/$service"
	trap 'rm -f "/etc/pam.d/$service"; lib_cleanup' EXIT
	hostenv=(env)
else
	mkdir -p "$WORK/svc"
	echo "$stack" > "$WORK/svc/$service"
	hostenv=(env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc")
fi
host() { "${hostenv[@]}" "$@"; }
events() {  # events USER EVENT: how many audit records
	"$OTPCTL" --config "$CONF" audit --format json --user "$1" --event "$2" | wc -l
}
hotp_users() {  # hotp_users NAME...: enroll HOTP users, RFC 4226 key
	local u
	for u in "$@"; do
		ctl enroll --force "$u" --type hotp --secret $b32 --no-confirm --qr none >/dev/null 2>&1 ||
			echo "# cannot enroll $u"
	done
}
# counter_is USER N: the HOTP counter stands at N for every other process:
# code N-1 is used up, code N is accepted (by otpctl)
counter_is() {
	local u=$1 n=$2
	if [ "$n" -gt 0 ]; then
		ctl verify "$u" "$(oathtool --hotp -c $((n - 1)) $hex)" >/dev/null 2>&1 && return 1
	fi
	ctl verify "$u" "$(oathtool --hotp -c "$n" $hex)" >/dev/null 2>&1
}

# 1. T threads, K users with one HOTP code each: every code exactly once
for r in $(seq $REPS); do
	pairs="" users=""
	for i in $(seq $K); do users="$users h${r}_$i"; pairs="$pairs h${r}_$i:755224"; done
	hotp_users $users
	check "threads: $T threads x $K users, one code each: each accepted exactly once (run $r)" \
		test "$(host "$THREADS" race "$service" $T $pairs)" = \
		"success=$K failure=$((K * (T - 1))) broken=0 once=$K"
	lost=0
	for u in $users; do [ "$(events "$u" auth_success)" = 1 ] || lost=$((lost + 1)); done
	check "  one auth_success record per user, none lost" test $lost = 0
done

# TOTP: the replay mark, from threads
users="" pairs=""
for i in $(seq $K); do
	ctl enroll --force "t$i" --secret $b32 --no-confirm --qr none >/dev/null 2>&1
	users="$users t$i"
done
code=$(oathtool --totp -b $b32)
for u in $users; do pairs="$pairs $u:$code"; done
check "threads: one TOTP code per user, each accepted exactly once" \
	test "$(host "$THREADS" race "$service" $T $pairs)" = \
	"success=$K failure=$((K * (T - 1))) broken=0 once=$K"

# recovery codes, from threads: each used once
ctl enroll --force rec --secret $b32 --no-confirm --qr none >/dev/null 2>&1
ctl --json recovery rec --count 4 > "$WORK/codes.json"
pairs=$(python3 -c 'import json,sys; print(" ".join("rec:" + c for c in json.load(open(sys.argv[1]))["codes"]))' "$WORK/codes.json")
check "threads: 4 recovery codes tried by $T threads each, each accepted exactly once" \
	test "$(host "$THREADS" race "$service" $T $pairs)" = "success=4 failure=$((4 * (T - 1))) broken=0 once=4"
check "  4 recovery_used records" test "$(events rec recovery_used)" = 4

# 2. lockout: deny=3, T threads of wrong codes on one user, 5 each
write_conf "lockout { deny = 3 fail_interval = 900 unlock_time = 900 }"
for r in $(seq 3); do
	u=lock$r
	hotp_users $u
	pairs=""
	for i in $(seq 5); do pairs="$pairs $u:000000"; done
	check "lockout: $((T * 5)) wrong codes from $T threads all refused (run $r)" \
		test "$(host "$THREADS" race "$service" $T $pairs)" = "success=0 failure=$((T * 5)) broken=0 once=0"
	check "  exactly 3 checked (auth_failure)" test "$(events $u auth_failure)" = 3
	check "  the other $((T * 5 - 3)) refused as locked" test "$(events $u locked)" = $((T * 5 - 3))
	check "  one lockout record" test "$(events $u lockout)" = 1
done
write_conf "lockout { deny = 0 }"

# 3. a forking host: the child logs others in while the parent goes on
# Under a sanitizer a child forked while other threads run can hang on a
# lock of the sanitizer's runtime that a parent thread held at the fork
# (TSan's dlopen interceptor, the ASan allocator of GCC 12), which glibc's
# own fork handling would have released: busy forks run in the plain build.
modes="quiet busy"
if [ -n "${TSAN_OPTIONS:-}${ASAN_OPTIONS:-}" ]; then
	modes=quiet
	echo "# fork (busy): skipped under a sanitizer"
fi
for mode in $modes; do
	for r in 1 2 3; do
		p=f${mode}$r
		users="${p}c0"
		for i in $(seq 0 4); do users="$users ${p}p$i"; done
		for i in $(seq 0 7); do users="$users ${p}s$i"; done
		hotp_users $users
		check "fork ($mode): parent and child both exact (run $r)" \
			test "$(host "$FORKS" "$service" 4 8 $mode "$p")" = \
			"own=33/33 child=8/8 shared=8/8 broken=0"
		check "  the child's user moved 8 codes on" counter_is "${p}c0" 8
		check "  a parent's user moved 8 codes on" counter_is "${p}p1" 8
	done
done

# 4. an edited config takes effect on the next login of a running host
reload_host() {  # reload_host PREFIX: a looping host in coproc H
	hotp_users "${1}0" "${1}1"
	coproc H { exec "${hostenv[@]}" "$THREADS" loop "$service" 2 "$1" 0 2>"$WORK/host.err"; }
	hpid=$H_PID  # bash forgets H_PID once the host has ended
	exec {hfd}<&"${H[0]}"
	read -r -u "$hfd" _ || return 1
}
reload_host rl || not_ok "the looping host did not start"
sed -i 's/^issuer = .*/&\nhost_name = "reloaded"/' "$CONF"
got=0
for i in $(seq 4); do read -r -u "$hfd" _ && got=$((got + 1)); done  # logins after the edit
kill -9 "$hpid" 2>/dev/null
wait "$hpid" 2>/dev/null
exec {hfd}<&-
check "reload: the running host went on logging in after the edit" test $got = 4
check "  and those logins carry the edited host_name" \
	grep -q '"host":"reloaded"' <("$OTPCTL" --config "$CONF" audit --format json --user rl0 --event auth_success)
check "  the store kept every login (counter = successes)" \
	counter_is rl0 "$(events rl0 auth_success)"
write_conf "lockout { deny = 0 }"
reload_host rb || not_ok "the looping host did not start"
echo "no_such_key = 1" >> "$CONF"
wait "$hpid"
rc=$?
exec {hfd}<&-
check "  a config broken meanwhile refuses the next login (the host stops)" test "$rc" = 1
check "  (its login was refused, not crashed)" grep -q "refused code" "$WORK/host.err"
write_conf "lockout { deny = 0 }"
reload_host rk || not_ok "the looping host did not start"
mv "$WORK/seal.key" "$WORK/seal.key.old"
head -c 32 /dev/urandom > "$WORK/seal.key"
chmod 0400 "$WORK/seal.key"
wait "$hpid"
rc=$?
exec {hfd}<&-
check "  a new seal key is read at the next login (wrong key: refused)" test "$rc" = 1
mv -f "$WORK/seal.key.old" "$WORK/seal.key"

# 5. otpctl and a second host beside the threaded host; kill -9 mid-login
bad=0
for k in $(seq "$KILLS"); do
	a=ka${k}_ b=kb${k}_
	hotp_users ${a}0 ${a}1 ${a}2 ${a}3 ${a}4 ${a}5 ${a}6 ${a}7 ${b}0 ${b}1
	coproc A { exec "${hostenv[@]}" "$THREADS" loop "$service" 8 "$a" 0 2>/dev/null; }
	apid=$A_PID
	exec {afd}<&"${A[0]}"
	"${hostenv[@]}" "$THREADS" loop "$service" 2 "$b" 0 >/dev/null 2>&1 &
	bpid=$!
	# meanwhile otpctl writes and verifies; the moment of the kill is
	# chosen by counting the host's own progress lines, not by a clock
	ctl enroll --force "kc$k" --type hotp --secret $b32 --no-confirm --qr none >/dev/null 2>&1 || bad=$((bad + 1))
	ctl verify "kc$k" 755224 >/dev/null || bad=$((bad + 1))
	for i in $(seq $((RANDOM % 4 + 1))); do read -r -u "$afd" _ || bad=$((bad + 1)); done
	kill -9 "$apid" "$bpid" 2>/dev/null
	wait "$apid" "$bpid" 2>/dev/null
	exec {afd}<&-
	# LMDB: the environment reads whole (PostgreSQL recovers its own)
	if lmdb_store; then mdb_stat -a "$WORK/store" >/dev/null 2>&1 || bad=$((bad + 1)); fi
	for u in ${a}0 ${a}3 ${a}7 ${b}1; do
		counter_is "$u" "$(events "$u" auth_success)" || bad=$((bad + 1))
	done
done
check "kill -9 of threaded hosts mid-login, $KILLS times: store whole, counters = audit records" test $bad = 0
users="" pairs=""
for i in $(seq $K); do users="$users after$i"; pairs="$pairs after$i:755224"; done
hotp_users $users
check "  a new threaded host afterwards: every code accepted exactly once" \
	test "$(host "$THREADS" race "$service" $T $pairs)" = \
	"success=$K failure=$((K * (T - 1))) broken=0 once=$K"
check "  otpctl still reads and writes it" ctl users
finish
