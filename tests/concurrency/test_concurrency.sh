#!/bin/bash
# Exactness under concurrency: real processes, started together by a
# barrier, against one store. Each race is repeated; every repetition must
# hold exactly.
. "$(dirname "$0")/../lib.sh"
REPS=5
N=20
write_conf "lockout { deny = 0 }"
ctl init >/dev/null
# As root the races use plain libpam with a service file in /etc/pam.d, as
# sshd would. Without root they go through pam_wrapper, whose per-process
# setup can itself collide when twenty processes start at once: a run that
# shows that is run again (the harness failed, not the module).
service="otp-race-$$"
stack="auth required $MODULE config=$CONF nodelay"
if [ "$(id -u)" -eq 0 ] && [ -d /etc/pam.d ]; then
	echo "$stack" > "/etc/pam.d/$service"
	trap 'rm -f "/etc/pam.d/$service"; lib_cleanup' EXIT
	race() { "$RACE" "$service" "$@" 2>"$WORK/race.err"; }
else
	mkdir -p "$WORK/svc"
	echo "$stack" > "$WORK/svc/$service"
	race() {
		local out try
		for try in 1 2 3; do
			out=$(env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
				PAM_WRAPPER_SERVICE_DIR="$WORK/svc" "$RACE" "$service" "$@" 2>"$WORK/race.err")
			grep -q "Failed to create pam_wrapper config dir" "$WORK/race.err" || break
		done
		echo "$out"
	}
fi
same() { local i; for ((i = 0; i < N; i++)); do echo -n "$1 "; done; }
events() {  # events USER EVENT: how many audit records
	"$OTPCTL" --config "$CONF" audit --format json --user "$1" --event "$2" | wc -l
}
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

# one TOTP code, 20 logins at once, exactly one accepted
for r in $(seq $REPS); do
	u=totp$r
	ctl enroll --force $u --secret $b32 --no-confirm --qr none >/dev/null
	code=$(oathtool --totp -b $b32)
	check "TOTP: $N parallel logins with one code, exactly 1 accepted (run $r)" \
		test "$(race $(same $u:$code))" = "success=1 failure=$((N - 1)) broken=0"
done

# one HOTP code, exactly one accepted, and the counter moved exactly once
ctl enroll --force hotp --type hotp --secret $b32 --no-confirm --qr none >/dev/null
for r in $(seq $REPS); do
	code=$(oathtool --hotp -c $((r - 1)) $hex)
	check "HOTP: $N parallel logins with one code, exactly 1 accepted (run $r)" \
		test "$(race $(same hotp:$code))" = "success=1 failure=$((N - 1)) broken=0"
done
check "HOTP: the counter advanced once per run" test "$(events hotp auth_success)" = $REPS
check "  the next code still works" ctl verify hotp "$(oathtool --hotp -c $REPS $hex)"

# one recovery code, exactly one accepted
ctl enroll --force rec --secret $b32 --no-confirm --qr none >/dev/null
ctl --json recovery rec --count $REPS > "$WORK/codes.json"
for r in $(seq $REPS); do
	code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["codes"][int(sys.argv[2])])' "$WORK/codes.json" $((r - 1)))
	check "recovery code: $N parallel logins, exactly 1 accepted (run $r)" \
		test "$(race $(same rec:$code))" = "success=1 failure=$((N - 1)) broken=0"
done
check "recovery: every code used once" test "$(events rec recovery_used)" = $REPS

# deny=3: 20 parallel wrong codes reach exactly 3 checks, then the lock holds
write_conf "lockout { deny = 3 fail_interval = 900 unlock_time = 900 }"
for r in $(seq $REPS); do
	u=lock$r
	ctl enroll --force $u --type hotp --secret $b32 --no-confirm --qr none >/dev/null
	out=$(race $(same $u:000000))
	check "lockout: $N parallel wrong codes all refused (run $r)" \
		test "$out" = "success=0 failure=$N broken=0"
	check "  exactly 3 checked (auth_failure)" test "$(events $u auth_failure)" = 3
	check "  the other $((N - 3)) refused as locked" test "$(events $u locked)" = $((N - 3))
	check "  one lockout record" test "$(events $u lockout)" = 1
	check_exit "  the user is locked: the right code is refused" 3 ctl verify $u 755224
done

# 20 different users at once: all succeed, nothing lost
write_conf "lockout { deny = 0 }"
pairs=""
for i in $(seq $N); do
	ctl enroll --force many$i --type hotp --secret $b32 --no-confirm --qr none >/dev/null
	pairs="$pairs many$i:755224"
done
check "$N different users at once: all accepted" test "$(race $pairs)" = "success=$N failure=0 broken=0"
lost=0
for i in $(seq $N); do
	[ "$(events many$i auth_success)" = 1 ] || lost=$((lost + 1))
	ctl verify many$i 287082 >/dev/null || lost=$((lost + 1))  # counter 1 next
done
check "  every audit record and counter update kept" test $lost = 0

# otpctl writes racing logins: no lost update on either side
ctl enroll --force racer --type hotp --secret $b32 --no-confirm --qr none >/dev/null
codes=""
for c in $(seq 0 $((N - 1))); do codes="$codes racer:$(oathtool --hotp -c $c $hex)"; done
race $codes > "$WORK/race.out" &
race_pid=$!
pids=""
for i in $(seq 10); do
	"$OTPCTL" --config "$CONF" enroll --force writer --name "w$i" --no-confirm --qr none >/dev/null &
	pids="$pids $!"
	"$OTPCTL" --config "$CONF" recovery racer --count 2 >/dev/null &
	pids="$pids $!"
done
wait $race_pid
for p in $pids; do wait $p; done
check "logins racing otpctl writes: every login decided" grep -q "broken=0" "$WORK/race.out"
check "  10 enrollments, none lost" test "$("$OTPCTL" --config "$CONF" --json devices writer | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')" = 10
check "  10 enroll records" test "$(events writer enroll)" = 10
check "  10 recovery sets generated" test "$(events racer recovery_generated)" = 10
accepted=$(sed -n 's/success=\([0-9]*\).*/\1/p' "$WORK/race.out")
check "  each accepted login left its record" test "$(events racer auth_success)" = "$accepted"
finish
