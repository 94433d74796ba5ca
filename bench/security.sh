#!/bin/bash
# Security figures (not pass/fail tests): (1) do unknown, unenrolled,
# enrolled and locked names cost the same with password=system, and does a
# recovery-shaped answer cost the same whether the user has codes or not;
# (2) how much do 100k failed attempts for unknown names grow the store.
# Needs root (local users, a PAM service file). QUICK=1 for a short run.
# Prints the figures and writes bench/results/security.txt.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (it adds local users)"; exit 1; }
if [ "${QUICK:-0}" = 1 ]; then ROUNDS=20; FLOOD=10000; else ROUNDS=${ROUNDS:-100}; FLOOD=100000; fi
work=$(mktemp -d /var/tmp/pam_otp-sec-XXXXXX)
chmod 0755 "$work"
res="$top/bench/results"
mkdir -p "$res"
users="otpbench-u otpbench-e otpbench-l otpbench-r otpbench-6"
cleanup() {
	for u in $users; do userdel -r "$u" >/dev/null 2>&1 || true; done
	rm -f /etc/pam.d/pam-otp-bench-sec /etc/pam.d/pam-otp-bench-sec-none
	rm -rf "$work"
}
trap cleanup EXIT
make --no-print-directory all >/dev/null
PKGS="pam libcrypto lmdb libconfuse libqrencode libcrypt libpng jansson"
cc -O2 -Icommon $(pkg-config --cflags $PKGS) -o "$work/security" bench/security.c \
	build/libotp.a $(pkg-config --libs $PKGS)
B="$work/security"
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
conf() {  # conf DIR PASSWORD DENY
	cat > "$1/otp.conf" <<EOC
store = "$1/store"
seal_key = "$1/seal.key"
password = "$2"
audit { syslog = false }
lockout { deny = $3 fail_interval = 900 unlock_time = 0 }
EOC
	chmod 0644 "$1/otp.conf"
}
ctl() { cli/otpctl --config "$work/otp.conf" "$@"; }

# Local users with passwords in the system's default scheme (chpasswd).
for u in $users; do
	useradd -M -s /usr/sbin/nologin "$u" 2>/dev/null || true
	echo "$u:bench-$RANDOM-pass" | chpasswd
done
echo "otpbench-6:bench-$RANDOM-pass" | chpasswd -c SHA512   # an old, cheaper scheme
conf "$work" system 1
ctl init >/dev/null
for u in otpbench-e otpbench-l otpbench-r; do
	ctl enroll "$u" --type hotp --secret $b32 --no-confirm --qr none >/dev/null
done
ctl verify otpbench-l 000000 >/dev/null || true   # deny = 1, unlock_time = 0: locked for good
ctl recovery otpbench-r --count 10 >/dev/null
conf "$work" system 1000
echo "auth required $top/pam_module/pam_otp.so config=$work/otp.conf nodelay" \
	> /etc/pam.d/pam-otp-bench-sec
sed 's/nodelay/nodelay password=none/' /etc/pam.d/pam-otp-bench-sec > /etc/pam.d/pam-otp-bench-sec-none
scheme=$(getent shadow otpbench-e | cut -d: -f2 | cut -d'$' -f2)

spread() {  # spread FILE: the largest median over the smallest
	awk '{ m[NR] = $1 } END { lo = m[1]; hi = m[1]
		for (i in m) { if (m[i] < lo) lo = m[i]; if (m[i] > hi) hi = m[i] }
		printf "spread of medians: %.1f%% (largest over smallest)\n", (hi / lo - 1) * 100 }' "$1"
}
{
	echo "== Login cost by class of name, password=system (hash scheme \$$scheme\$), wrong password, $ROUNDS rounds, microseconds"
	echo "median_us p90_us name   (unknown, unenrolled, enrolled, locked, invalid, unenrolled with a \$6\$ hash)"
	"$B" classes pam-otp-bench-sec "$ROUNDS" 000000 \
		otpbench-none otpbench-u otpbench-e otpbench-l 'bad name' otpbench-6 > "$work/classes"
	cat "$work/classes"
	spread "$work/classes"
	echo
	echo "== A recovery-shaped answer, password=none: user with codes, enrolled without, unknown"
	"$B" classes pam-otp-bench-sec-none "$ROUNDS" ABCD-EFGH-JKLM-NPQR \
		otpbench-r otpbench-e otpbench-none > "$work/rc"
	cat "$work/rc"
	spread "$work/rc"
	echo
	echo "== $FLOOD failed attempts for unknown names (100 a second), store growth"
	echo "attempts sources audit_records bytes_before bytes_after growth_bytes"
	for sources in 1 1000; do
		d="$work/flood$sources"
		mkdir -m 0700 "$d"
		conf "$d" none 5
		cli/otpctl --config "$d/otp.conf" init >/dev/null
		"$B" flood "$d/otp.conf" "$FLOOD" "$sources" | awk '{ print $0, $5 - $4 }'
	done
} | tee "$res/security.txt"
