#!/bin/bash
# The process-level rows of bench/run.sh alone: one pamtester per login,
# set up and timed as run.sh does (same users, stores, service lines and
# HOTP codes), for pam_permit (the floor), pam_google_authenticator and
# this tree's pam_otp.so, interleaved login by login. Needs root and `make`.
#   HOSTS="fresh"      fresh and/or warm (bench/warm.c preloaded: OpenSSL
#                      in use before PAM runs), as run.sh's two host rows
#   SIZES="10 100000"  users in the store (default: 10 and 100000)
#   ROUNDS=120         logins per module and size (run.sh's PROC_R)
#   BEFORE="A.so ..."  other builds of pam_otp.so, measured beside this
#                      one (modules otp-before1, ..., each with its own
#                      copy of the store)
#   DIR=/var/tmp       where stores and secret files go (/dev/shm: on
#                      tmpfs, where a sync costs nothing)
# Prints "module,users,host,median_ms,overhead_ms" rows as proc.csv.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "fresh: run as root (it installs PAM service files)"; exit 1; }
SIZES=${SIZES:-10 100000}
ROUNDS=${ROUNDS:-120}
declare -A next so=([otp]="$top/pam_module/pam_otp.so")
MODULES="permit"
i=0
for b in ${BEFORE:-}; do
	i=$((i + 1)); so[otp-before$i]=$b; MODULES="$MODULES otp-before$i"
done
MODULES="$MODULES otp ga"
work=$(mktemp -d "${DIR:-/var/tmp}/pam_otp-fresh-XXXXXX")
trap 'rm -rf "$work"; rm -f /etc/pam.d/pam-otp-fresh-*' EXIT
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
users_for() { [ "$1" -ge 40 ] && echo 40 || echo 8; }

otp_store() {  # otp_store N M: a store for module M filled from the usersfile
	local d=$work/$1
	mkdir -m 700 "$d/$2"
	cat > "$d/$2.conf" <<EOC
store = "$d/$2/store"
seal_key = "$d/$2/seal.key"
password = "none"
audit { syslog = false }
EOC
	chmod 644 "$d/$2.conf"
	cli/otpctl --config "$d/$2.conf" init >/dev/null
	cli/otpctl --config "$d/$2.conf" import oath "$d/users.oath" >/dev/null
	echo "auth required ${so[$2]} config=$d/$2.conf" > "/etc/pam.d/pam-otp-fresh-$2"
}

setup() {  # setup N
	local n=$1 d=$work/$1 k u m
	mkdir -p "$d/ga"
	python3 -c '
import sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        f.write("HOTP u%07d - %s 0\n" % (i, sys.argv[3]))' "$n" "$d/users.oath" "$hex"
	chmod 600 "$d/users.oath"
	for m in $MODULES; do [ "${m#otp}" = "$m" ] || otp_store "$n" "$m"; done
	u=$(users_for "$n")
	for ((k = 0; k < u; k++)); do
		printf '%s\n" HOTP_COUNTER 1\n" WINDOW_SIZE 3\n' $b32 > "$d/ga/$(printf 'u%07d' $((k * (n / u))))"
	done
	chmod 600 "$d"/ga/*
	echo "auth required pam_permit.so" > /etc/pam.d/pam-otp-fresh-permit
	echo "auth required pam_google_authenticator.so secret=$d/ga/\${USER} user=root no_strict_owner allowed_perm=0600" \
		> /etc/pam.d/pam-otp-fresh-ga
	for m in $MODULES; do next[$m]=0; done
	next[ga]=1
}

proc_level() {  # proc_level N HOST: run.sh's proc_level N U HOST
	local n=$1 host=$2 u r m k c code t0 floor med pre=""
	[ "$host" = warm ] && pre="$work/warm.so"
	u=$(users_for "$n")
	for m in $MODULES; do : > "$work/proc-$m"; done
	for ((r = 0; r < ROUNDS; r++)); do
		k=$((r % u))
		for m in $MODULES; do
			c=$(( ${next[$m]} + r / u ))
			code=$(oathtool --hotp -c $c $hex)
			t0=$EPOCHREALTIME
			LD_PRELOAD=$pre pamtester "pam-otp-fresh-$m" "$(printf 'u%07d' $((k * (n / u))))" \
				authenticate <<<"$code" >/dev/null 2>&1 || echo "fail $m $n" >> "$work/failures"
			echo "($EPOCHREALTIME - $t0) * 1000" | bc -l >> "$work/proc-$m"
		done
	done
	for m in $MODULES; do next[$m]=$(( ${next[$m]} + ROUNDS / u )); done
	floor=$(median < "$work/proc-permit")
	for m in $MODULES; do
		med=$(median < "$work/proc-$m")
		printf '%s,%s,%s,%.2f,%.2f\n' "$m" "$n" "$host" "$med" "$(echo "$med - $floor" | bc -l)"
	done
}

cc -O2 -shared -fPIC -o "$work/warm.so" bench/warm.c -lcrypto
: > "$work/failures"
echo "module,users,host,median_ms,overhead_ms"
for n in $SIZES; do
	setup "$n"
	for h in ${HOSTS:-fresh}; do proc_level "$n" "$h"; done
	rm -rf "${work:?}/$n"
done
if [ -s "$work/failures" ]; then echo "failed logins:"; sort "$work/failures" | uniq -c; fi
