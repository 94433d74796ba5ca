#!/bin/bash
# fresh_steps.sh [R] [STEP...|crypto|libs|own]: run bench/fresh_steps R
# times (default 200), each run a new process, and print the median and the
# p90 of every step in µs (steps: see bench/fresh_steps.c). Presets:
#   crypto  OpenSSL's first use as a login makes it, step by step (default)
#   libs    the load of each library the module brings into pamtester
#   own     libotp's own steps of a login (OpenSSL already warm), on a
#           private store with one HOTP user (run as root, after `make`)
# A step may hold @HOTP: the next HOTP code of that user, one per run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
R=${1:-200}
shift || true
[ $# -gt 0 ] || set -- crypto
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hex=3132333435363738393031323334353637383930
case "$1" in
crypto) set -- lib:libcrypto.so.3 conf prov legacy names mac md:SHA256 hmac:SHA256 md:SHA1 \
		hmac:SHA1 hmac:SHA1 cipher gcm gcm cleanup ;;
libs) set -- lib:libpam.so.0 lib:libcrypto.so.3 lib:liblmdb.so.0 lib:libconfuse.so.2 \
		lib:libcrypt.so.1 lib:libpq.so.5 ;;
own)
	mkdir -m 700 "$work/s"
	cat > "$work/s/otp.conf" <<EOC
store = "$work/s/store"
seal_key = "$work/s/seal.key"
password = "none"
audit { syslog = false }
EOC
	chmod 644 "$work/s/otp.conf"
	"$top/cli/otpctl" --config "$work/s/otp.conf" init >/dev/null
	"$top/cli/otpctl" --config "$work/s/otp.conf" enroll --force u0 --type hotp \
		--secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --no-confirm --qr none >/dev/null 2>&1
	set -- conf names mac md:SHA256 md:SHA1 cipher "otp:config:$work/s/otp.conf" otp:key \
		otp:store otp:keycheck otp:login:u0:@HOTP ;;
esac
if [[ " $* " == *" otp:"* ]]; then
	PKGS="pam libcrypto lmdb libconfuse libcrypt jansson"
	cc -O2 -DFRESH_OTP -I"$top/common" $(pkg-config --cflags $PKGS) -o "$work/fresh_steps" \
		"$top/bench/fresh_steps.c" "$top/build/libotp.a" $(pkg-config --libs $PKGS)
else
	cc -O2 -o "$work/fresh_steps" "$top/bench/fresh_steps.c"
fi
for ((i = 0; i < R; i++)); do
	args=("$@")
	[[ " $* " != *@HOTP* ]] || args=("${@//@HOTP/$(oathtool --hotp -c $i $hex)}")
	"$work/fresh_steps" "${args[@]}"
done > "$work/runs"
awk '{ for (i = 1; i <= NF; i += 2) printf "%d %s %s\n", (i + 1) / 2, $i, $(i + 1) }' "$work/runs" |
	sort -k1,1n -k3,3n |
	awk '$1 != k { if (k) out(); k = $1; n = 0 } { name = $2; v[++n] = $3 } END { out() }
	     function out() { sub(/:\/.*\//, ":", name); sub(/:[0-9]+$/, "", name)
			      printf "%-22s %9d %7d\n", name, v[int((n + 1) / 2)], v[int(n * 0.9)] }' |
	{ printf '%-22s %9s %7s\n' step median_us p90_us; cat; }
