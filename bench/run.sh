#!/bin/bash
# Benchmarks: pam_otp against pam_oath, pam_google_authenticator and a
# pam_permit floor, the same users for every module, from 10 to 1M users.
# Needs root (PAM service files in /etc/pam.d). QUICK=1 for a short run.
# Writes bench/results/*.csv and bench/results/overhead.png.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (it installs PAM service files)"; exit 1; }
if [ "${QUICK:-0}" = 1 ]; then
	SIZES="10 1000 10000"; PROC_R=40; INPROC_R=200; PAR_R=40
else
	SIZES="${SIZES:-10 10000 100000 1000000}"; PROC_R=120; INPROC_R=1000; PAR_R=200
fi
MODULES="permit otp oath ga"
# U users log in, spread evenly over the N. U is 8 or 40 so that every
# parallel level P (1, 2, 4, 8) splits them evenly, and the round counts
# are multiples of U (and of U/P): every user then makes the same number
# of logins in each phase, and one "next HOTP counter" per module holds
# for all of its users.
users_for() { [ "$1" -ge 40 ] && echo 40 || echo 8; }
work=$(mktemp -d /var/tmp/pam_otp-bench-XXXXXX)
res="$top/bench/results"
mkdir -p "$res"
trap 'rm -rf "$work"; rm -f /etc/pam.d/pam-otp-bench-*' EXIT
cc -O2 -o "$work/bench" bench/bench.c -lpam -llmdb -lcrypto -lpthread
cc -O2 -shared -fPIC -o "$work/warm.so" bench/warm.c -lcrypto
B="$work/bench"
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
declare -A next   # next HOTP counter each module's users are at

median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }

setup() {  # setup N: stores, usersfile, secret files and service files
	local n=$1 d=$work/$n u k
	mkdir -p "$d/ga" "$d/otp"
	chmod 700 "$d/otp"
	python3 -c '
import sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        f.write("HOTP u%07d - %s 0\n" % (i, sys.argv[3]))' "$n" "$d/users.oath" "$hex"
	chmod 600 "$d/users.oath"
	cat > "$d/otp.conf" <<EOC
store = "$d/otp/store"
seal_key = "$d/otp/seal.key"
password = "none"
audit { syslog = false }
EOC
	chmod 644 "$d/otp.conf"
	cli/otpctl --config "$d/otp.conf" init >/dev/null
	local t0=$EPOCHREALTIME
	cli/otpctl --config "$d/otp.conf" import oath "$d/users.oath" >/dev/null
	import_s=$(echo "$EPOCHREALTIME - $t0" | bc)
	store_bytes=$(stat -c %s "$d/otp/store/data.mdb")
	u=$(users_for "$n")
	for ((k = 0; k < u; k++)); do  # google-authenticator reads one file per user
		printf '%s\n" HOTP_COUNTER 1\n" WINDOW_SIZE 3\n' $b32 > "$d/ga/$(printf 'u%07d' $((k * (n / u))))"
	done
	chmod 600 "$d"/ga/*
	echo "auth required pam_permit.so" > /etc/pam.d/pam-otp-bench-permit
	echo "auth required $top/pam_module/pam_otp.so config=$d/otp.conf" > /etc/pam.d/pam-otp-bench-otp
	echo "auth required pam_oath.so usersfile=$d/users.oath window=20" > /etc/pam.d/pam-otp-bench-oath
	echo "auth required pam_google_authenticator.so secret=$d/ga/\${USER} user=root no_strict_owner allowed_perm=0600" \
		> /etc/pam.d/pam-otp-bench-ga
	next=([permit]=0 [otp]=0 [oath]=0 [ga]=1)
}

# proc_level N U HOST: pamtester per login, modules interleaved. HOST is
# "fresh" (a new process, as pamtester is) or "warm" (OpenSSL already in
# use before PAM runs, as in sshd: warm.so preloaded for every module).
proc_level() {
	local n=$1 u=$2 host=$3 r m k c code t0 pre=""
	[ "$host" = warm ] && pre="$work/warm.so"
	for m in $MODULES; do : > "$work/proc-$m"; done
	for ((r = 0; r < PROC_R; r++)); do
		k=$((r % u))
		for m in $MODULES; do
			c=$(( ${next[$m]} + r / u ))
			code=$(oathtool --hotp -c $c $hex)
			t0=$EPOCHREALTIME
			LD_PRELOAD=$pre pamtester "pam-otp-bench-$m" "$(printf 'u%07d' $((k * (n / u))))" \
				authenticate <<<"$code" >/dev/null 2>&1 || echo "fail $m" >> "$work/failures"
			echo "($EPOCHREALTIME - $t0) * 1000" | bc -l >> "$work/proc-$m"
		done
	done
	for m in $MODULES; do next[$m]=$(( ${next[$m]} + PROC_R / u )); done
	local floor; floor=$(median < "$work/proc-permit")
	for m in $MODULES; do
		local med; med=$(median < "$work/proc-$m")
		printf '%s,%s,%s,%.2f,%.2f\n' "$m" "$n" "$host" "$med" "$(echo "$med - $floor" | bc -l)" \
			>> "$res/proc.csv"
	done
}

in_process() {  # in_process N U: pam_start/authenticate/end loops, modules interleaved
	local n=$1 u=$2 m r args=()
	for m in $MODULES; do
		r=$INPROC_R
		[ "$m" = oath ] && [ "$n" -ge 100000 ] && r=$((u * 2))  # it rewrites its file each time
		args+=("pam-otp-bench-$m:${next[$m]}:$r")
		next[$m]=$(( ${next[$m]} + r / u ))
	done
	"$B" login "$n" "$u" "${args[@]}" | sed "s/^pam-otp-bench-//; s/ /,$n,/; s/ /,/g" >> "$res/inproc.csv"
}

parallel() {  # parallel N U: P concurrent login loops
	local n=$1 u=$2 m p out
	for m in otp oath ga permit; do
		for p in 1 2 4 8; do
			local r=$PAR_R
			[ "$m" = oath ] && [ "$n" -ge 100000 ] && r=$((u / p))
			out=$("$B" parallel "pam-otp-bench-$m" "$n" "$u" "$r" "${next[$m]}" "$p")
			next[$m]=$(( ${next[$m]} + r / (u / p) ))
			echo "$m,$n,$p,$out" | tr ' ' ',' >> "$res/parallel.csv"
		done
	done
}

echo "module,users,host,median_ms,overhead_ms" > "$res/proc.csv"
echo "module,users,ok,fail,median_us,p90_us" > "$res/inproc.csv"
echo "module,users,procs,logins,failed,seconds,logins_per_s" > "$res/parallel.csv"
echo "module,users,threads,logins,failed,seconds,logins_per_s" > "$res/threads.csv"
echo "users,import_s,store_bytes,bytes_per_user,audit_dump_s" > "$res/size.csv"
threaded() {  # threaded N U: T threads of one process looping logins (a threaded host)
	local n=$1 u=$2 m t out
	for m in otp permit; do  # pam_oath and google-authenticator keep no thread-safe state
		for t in 1 2 4 8; do
			out=$("$B" threads "pam-otp-bench-$m" "$n" "$u" "$PAR_R" "${next[$m]}" "$t")
			next[$m]=$(( ${next[$m]} + PAR_R / (u / t) ))
			echo "$m,$n,$t,$out" | tr ' ' ',' >> "$res/threads.csv"
		done
	done
}

: > "$work/failures"
for n in $SIZES; do
	echo "== $n users"
	setup "$n"
	u=$(users_for "$n")
	proc_level "$n" "$u" fresh
	proc_level "$n" "$u" warm
	in_process "$n" "$u"
	parallel "$n" "$u"
	threaded "$n" "$u"
	t0=$EPOCHREALTIME
	cli/otpctl --config "$work/$n/otp.conf" audit --format csv > /dev/null
	dump_s=$(echo "$EPOCHREALTIME - $t0" | bc)
	printf '%s,%.2f,%s,%s,%.2f\n' "$n" "$import_s" "$store_bytes" $((store_bytes / n)) "$dump_s" >> "$res/size.csv"
	rm -rf "${work:?}/$n"
done
mkdir -p "$work/floor"
echo "lmdb_fsync_txn_median_us,lmdb_fsync_txn_p90_us" > "$res/floor.csv"
"$B" lmdb "$work/floor" 1000 | tr ' ' ',' >> "$res/floor.csv"
sort "$work/failures" | uniq -c > "$res/failures.txt"
bench/report.sh "$res"
echo
QUICK=${QUICK:-0} bench/security.sh
echo
QUICK=${QUICK:-0} bench/pg.sh
