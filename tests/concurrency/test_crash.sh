#!/bin/bash
# Crash safety: SIGKILL login and admin write loops at random moments, many
# times over. After every kill the store opens, mdb_stat reads it, the HOTP
# counter and TOTP replay mark never went back, and every committed change
# has its audit record (they commit in the same transaction).
. "$(dirname "$0")/../lib.sh"
HAMMER="$TOP/${OTP_BUILD:-build}/tests/hammer"
KILLS=${OTP_CRASH_KILLS:-400}
write_conf "lockout { deny = 0 }
audit { retention_days = 36500 syslog = false }"
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll --force hh --type hotp --secret $b32 --no-confirm --qr none >/dev/null
ctl enroll --force ht --secret $b32 --no-confirm --qr none >/dev/null
ctl audit --format json > /dev/null

crash_loop() {  # crash_loop MODE: KILLS kills; prints the number of bad checks
	local mode=$1 bad=0 prev_hc=0 prev_ts=0 i line
	for ((i = 0; i < KILLS; i++)); do
		"$HAMMER" $mode "$CONF" 2>/dev/null &
		local pid=$!
		# the moment of the kill is what varies; nothing waits on it
		sleep "0.0$((RANDOM % 3))$((RANDOM % 10))"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		mdb_stat -e "$WORK/store" >/dev/null 2>&1 || { bad=$((bad + 1)); continue; }
		line=$("$HAMMER" check "$CONF") || { bad=$((bad + 1)); continue; }
		eval "$line"
		# every committed change has its record
		[ "$hotp_counter" = "$hotp_ok" ] || bad=$((bad + 1))
		[ "$totp_ok" = "$totp_step" ] || bad=$((bad + 1))
		[ "$enrolls" = "$devices" ] && [ "$revokes" = "$revoked" ] || bad=$((bad + 1))
		# nothing went back
		[ "$hotp_counter" -ge "$prev_hc" ] && [ "$totp_step" -ge "$prev_ts" ] || bad=$((bad + 1))
		prev_hc=$hotp_counter
		prev_ts=$totp_step
		if [ "$mode" = admin ] && [ "$devices" -ge 30 ]; then
			"$OTPCTL" --config "$CONF" remove ha >/dev/null
		fi
	done
	echo "$bad $hotp_counter"
}

read -r bad logins <<<"$(crash_loop login)"
check "login loop killed $KILLS times: invariants held every time" test "$bad" = 0
# kills land at random moments, many before the first login (more so under
# a sanitizer): ask for real work, not for a figure tied to machine speed
check "  and it got real work done ($logins HOTP logins)" test "$logins" -ge $((KILLS / 4))
read -r bad _ <<<"$(crash_loop admin)"
check "admin loop killed $KILLS times: invariants held every time" test "$bad" = 0
check "the store is still whole (mdb_stat on every database)" mdb_stat -a "$WORK/store"
check "otpctl still reads it" ctl users
finish
