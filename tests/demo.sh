#!/bin/bash
# make demo: enroll a user in a private store, show the QR code, activate
# the device, and log in through a real Linux-PAM stack (pamtester, with
# pam_wrapper pointing libpam at a private service file). oathtool plays
# the authenticator app.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
otpctl="$top/cli/otpctl"
work=$(mktemp -d /tmp/pam_otp-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
conf="$work/pam_otp.conf"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cat > "$conf" <<EOC
store    = "$work/store"
seal_key = "$work/seal.key"
issuer   = "pam_otp demo"
password = "none"
EOC
chmod 0644 "$conf"

say "otpctl init: a private store and seal key"
"$otpctl" --config "$conf" init

say "otpctl enroll demo: scan this with an authenticator app"
"$otpctl" --config "$conf" enroll --force demo --name phone --qr-file "$work/demo.png" </dev/null | tee "$work/enroll.txt"
secret=$(awk '/^secret:/ {print $2}' "$work/enroll.txt")
uri=$(awk '/^uri:/ {print $2}' "$work/enroll.txt")

say "zbarimg reads the QR image back"
decoded=$(zbarimg -q --raw "$work/demo.png" 2>/dev/null)
echo "$decoded"
[ "$decoded" = "$uri" ] && echo "(same URI as printed)"

say "the app shows a code (oathtool stands in for the phone); otpctl confirm activates"
code=$(oathtool --totp -b "$secret")
echo "code: $code"
"$otpctl" --config "$conf" confirm demo phone "$code"

mkdir "$work/pam.d"
echo "auth required $top/pam_module/pam_otp.so config=$conf" > "$work/pam.d/demo-login"
login() {  # pamtester's own exit status, without pam_wrapper's chatter
	echo "$1" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$work/pam.d" pamtester demo-login demo authenticate \
		>"$work/login.out" 2>&1
	local rc=$?
	grep -v PWRAP_ERROR "$work/login.out"
	return $rc
}

say "login through libpam with the next code from the app"
next=$(oathtool --totp -b "$secret" -N "now + 30 seconds")
echo "Verification code: $next"
login "$next"

say "the same code again: a replay, refused"
if login "$next"; then echo "UNEXPECTED: replay accepted"; exit 1; fi

say "otpctl devices demo"
"$otpctl" --config "$conf" devices demo
echo
echo "demo done: enrolled, scanned, logged in once, replay refused."
