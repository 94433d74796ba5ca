# Shared helpers for the shell tests: a private config, store and key,
# and TAP-like result lines counted by run_all.sh.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OTPCTL="$TOP/cli/otpctl"
RACE="$TOP/${OTP_BUILD:-build}/tests/race"
MODULE="$TOP/pam_module/pam_otp.so"
WORK=$(mktemp -d /tmp/otp-test-XXXXXX)
CONF="$WORK/pam_otp.conf"
passed=0
failed=0
trap 'rm -rf "$WORK"' EXIT

write_conf() {
	cat > "$CONF" <<EOC
store = "$WORK/store"
seal_key = "$WORK/seal.key"
issuer = "Test Host"
password = "none"
audit { syslog = false }
$*
EOC
	chmod 0644 "$CONF"
}

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# Each check runs its command with output to new files and only then makes
# them $WORK/out and $WORK/err, so a command may read the previous ones.
capture() {
	"$@" >"$WORK/new.out" 2>"$WORK/new.err"
	local rc=$?
	mv "$WORK/new.out" "$WORK/out"
	mv "$WORK/new.err" "$WORK/err"
	return $rc
}

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
	local what=$1; shift
	if capture "$@"; then ok "$what"; else
		not_ok "$what"; sed 's/^/#   /' "$WORK/out" "$WORK/err" | head -20; fi
}

# check_exit DESCRIPTION CODE COMMAND...: passes when the command exits CODE.
check_exit() {
	local what=$1 want=$2 got; shift 2
	capture "$@"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		not_ok "$what (exit $got, want $want)"; sed 's/^/#   /' "$WORK/err" | head -5; fi
}

# has DESCRIPTION REGEX: the last command's stdout matches (stderr: has_err).
has() { if grep -q -- "$2" "$WORK/out"; then ok "$1"; else not_ok "$1"; fi; }
has_err() { if grep -q -- "$2" "$WORK/err"; then ok "$1"; else not_ok "$1"; sed 's/^/#   /' "$WORK/err" | head -3; fi; }

ctl() { "$OTPCTL" --config "$CONF" "$@"; }

finish() {
	echo "# $(basename "$0"): $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
