#!/bin/bash
# Crash safety on PostgreSQL: the server is stopped with -m immediate (its
# processes killed, no shutdown checkpoint) in the middle of login loops,
# then started again (crash recovery), several times over. Four users log
# in with successive HOTP codes through PAM, each loop noting a code only
# once the login was accepted; in-process loops (tests/concurrency/hammer)
# add TOTP logins with a moving clock and admin writes. After every
# restart: no counter or replay mark went back, a code accepted before the
# crash is refused after it, and every committed change has its audit
# record (each commits in the same transaction). The suite runs its own
# cluster.
. "$(dirname "$0")/../lib.sh"
need_pg private
HAMMER="$TOP/${OTP_BUILD:-build}/tests/hammer"
CRASHES=${OTP_PG_CRASHES:-5}
USERS="u1 u2 u3 u4"
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930
write_conf "lockout { deny = 0 }
audit { retention_days = 36500 syslog = false }"
pam_service otp-pgcrash "auth required $MODULE config=$CONF nodelay"
ctl init >/dev/null
for u in $USERS hh; do
	ctl enroll --force $u --type hotp --secret $b32 --no-confirm --qr none >/dev/null 2>&1
done
ctl enroll --force ht --secret $b32 --no-confirm --qr none >/dev/null 2>&1

counter() { pg_sql "$PG_DB" "SELECT counter FROM pam_otp.devices WHERE user_name = '$1' AND id = 1"; }
events() { ctl audit --format json --user "$1" --event "$2" | wc -l; }
login() { pam_race otp-pgcrash "$1:$(oathtool --hotp -c "$2" $hex)" 2>/dev/null; }
# loop USER: successive codes from the store's counter on, until one is
# refused; each accepted counter goes to $WORK/acked.USER after the fact
loop() {
	local u=$1 c
	c=$(counter "$u") || return
	while [ "$(login "$u" "$c")" = "success=1 failure=0 broken=0" ]; do
		echo "$c" >> "$WORK/acked.$u"
		c=$((c + 1))
	done
}
acked() { wc -l < "$WORK/acked.$1"; }
last_acked() { tail -1 "$WORK/acked.$1"; }

for u in $USERS; do : > "$WORK/acked.$u"; done
prev_hc=0 prev_ts=0
for ((k = 1; k <= CRASHES; k++)); do
	pids=""
	declare -A before=()
	for u in $USERS; do
		before[$u]=$(acked $u)
		loop $u &
		pids="$pids $!"
	done
	"$HAMMER" login "$CONF" 2>/dev/null &
	hammers=$!
	"$HAMMER" admin "$CONF" 2>/dev/null &
	hammers="$hammers $!"
	# in the middle: every PAM loop has had two logins accepted this round
	while :; do
		ready=1 alive=0
		for u in $USERS; do [ $(($(acked $u) - before[$u])) -ge 2 ] || ready=0; done
		for p in $pids; do kill -0 $p 2>/dev/null && alive=$((alive + 1)); done
		[ $ready = 0 ] && [ $alive = 4 ] || break
		sleep 0.02
	done
	check "crash $k: the login loops were running" test $alive = 4
	check "  pg_ctl stop -m immediate" pg_cluster_stop "$PG_DIR" immediate
	for p in $pids $hammers; do wait $p; done
	check "  start again (crash recovery)" pg_cluster_start "$PG_DIR"

	back=0 lost=0 replayed=0
	for u in $USERS; do
		c=$(counter $u)
		[ -n "$c" ] && [ "$c" -gt "$(last_acked $u)" ] || back=$((back + 1))
		[ "$(events $u auth_success)" = "$c" ] || lost=$((lost + 1))
		[ "$(login $u "$(last_acked $u)")" = "success=0 failure=1 broken=0" ] ||
			replayed=$((replayed + 1))
	done
	check "  no HOTP counter went back (PAM loops)" test $back = 0
	check "  every accepted login has its audit record" test $lost = 0
	check "  the last code accepted before the crash is refused" test $replayed = 0
	if capture "$HAMMER" check "$CONF"; then
		eval "$(cat "$WORK/out")"
		check "  in-process loops: HOTP counter = its audit records ($hotp_counter)" \
			test "$hotp_counter" = "$hotp_ok"
		check "  TOTP replay mark = its audit records (step $totp_step)" test "$totp_step" = "$totp_ok"
		check "  enrollments and revocations = their records ($devices devices)" \
			test "$enrolls" = "$devices" -a "$revokes" = "$revoked"
		check "  neither went back" test "$hotp_counter" -ge $prev_hc -a "$totp_step" -ge $prev_ts
		prev_hc=$hotp_counter prev_ts=$totp_step
		[ "$devices" -lt 24 ] || ctl remove ha >/dev/null
	else
		not_ok "  hammer check reads the store"; sed 's/^/#   /' "$WORK/err" | head -3
	fi
done
total=0
for u in $USERS; do total=$((total + $(acked $u))); done
check "real work got done ($total PAM logins, $prev_hc + $prev_ts in-process)" \
	test $total -ge $((CRASHES * 8)) -a "$prev_hc" -gt 0
bad=0
for u in $USERS; do
	[ "$(login $u "$(counter $u)")" = "success=1 failure=0 broken=0" ] || bad=$((bad + 1))
done
check "every user logs in with the next code" test $bad = 0
finish
