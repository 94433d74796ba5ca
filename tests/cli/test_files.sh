#!/bin/bash
# Files that can leak a seed or be swapped under us (as root: other owners
# are made with chown):
#  - enroll --qr-file never writes into a file that was already there, and
#    a name it cannot use enrolls nothing;
#  - every directory above the config, the seal key and the store is
#    checked from / down: otpctl and a login are refused, naming the
#    directory, when one is writable by group/other or not root's; sticky
#    directories (/tmp style) and symlinked directories that lead somewhere
#    safe still work;
#  - import reads regular files only, promptly refusing a FIFO or a device,
#    a symlink, a google-authenticator file of another user, overlong lines.
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root (chown to another user)"
	finish
	exit
fi
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930
CONF=$WORK/etc/pam_otp.conf
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-files"

# A config in etc/, the key in keys/, the store in var/lib/store: each one's
# directories can be spoilt on its own. One HOTP user, fc, enrolled.
fresh() {
	rm -rf "$WORK/etc" "$WORK/keys" "$WORK/var" "$WORK/var.real"
	mkdir -m 0755 "$WORK/etc" "$WORK/keys" "$WORK/var" "$WORK/var/lib"
	cat > "$CONF" <<EOC
store = "$WORK/var/lib/store"
seal_key = "$WORK/keys/seal.key"
password = "none"
map_size_mb = 16
lockout { deny = 0 }
audit { syslog = false }
EOC
	chmod 0644 "$CONF"
	ctl init >/dev/null
	ctl enroll --force fc --type hotp --secret $b32 --no-confirm --qr none >/dev/null
}
login() {  # login USER CODE: pamtester's exit status; the log in $WORK/log
	echo "$2" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-files "$1" authenticate \
		>"$WORK/log" 2>&1
}
# refused DESCRIPTION MESSAGE: a login is refused with one syslog line
# carrying MESSAGE, and otpctl exits 4 saying it.
refused() {
	local what=$1 msg=$2 n
	if login fc 755224; then not_ok "$what: login refused"; else ok "$what: login refused"; fi
	n=$(grep -cF "refusing login: $msg" "$WORK/log")
	if [ "$n" = 1 ]; then ok "  syslog names the directory"; else
		not_ok "  syslog names the directory (got $n)"; sed 's/^/#   /' "$WORK/log" | head -5; fi
	check_exit "  otpctl exits 4" 4 ctl verify fc 287082
	if grep -qF -- "$msg" "$WORK/err"; then ok "  otpctl names the directory"; else
		not_ok "  otpctl names the directory"; sed 's/^/#   /' "$WORK/err" | head -3; fi
}
works() {  # works DESCRIPTION CODE: otpctl reads the store, fc logs in with CODE
	check "$1: otpctl works" ctl devices fc
	check "$1: login works" login fc "$2"
}

# --- (b) the directories above the config, the key and the store
fresh
works "a safe tree" 755224
fresh; chmod 0777 "$WORK/etc"
refused "config in a world-writable directory" "$WORK/etc: directory writable by group/other"
fresh; chmod 0777 "$WORK/keys"
refused "seal key in a world-writable directory" "$WORK/keys: directory writable by group/other"
fresh; chmod 0775 "$WORK/var/lib"
refused "store in a group-writable directory" "$WORK/var/lib: directory writable by group/other"
fresh; chmod 0777 "$WORK/var"
refused "store two levels below a world-writable directory" "$WORK/var: directory writable by group/other"
fresh; chown nobody "$WORK/etc"
refused "config in a directory owned by nobody" "$WORK/etc: directory owned by uid $(id -u nobody), not root"
fresh; chown nobody "$WORK/keys"
refused "seal key in a directory owned by nobody" "$WORK/keys: directory owned by uid $(id -u nobody)"
fresh; chown nobody "$WORK/var/lib"
refused "store in a directory owned by nobody" "$WORK/var/lib: directory owned by uid $(id -u nobody)"

fresh; chmod 1777 "$WORK/etc" "$WORK/keys" "$WORK/var" "$WORK/var/lib"
works "sticky (/tmp style) directories above all three" 755224
chown nobody "$WORK/var/lib"
refused "sticky directory, the entry below it nobody's" "$WORK/var/lib: directory owned by uid $(id -u nobody)"

fresh; mv "$WORK/var" "$WORK/var.real"; ln -s var.real "$WORK/var"
works "a symlinked directory above the store leading somewhere safe" 755224
chmod 0777 "$WORK/var.real"
refused "a symlinked directory leading to a world-writable one" "$WORK/var.real: directory writable by group/other"

# a key cannot be created below an unsafe directory either
rm -rf "$WORK/etc" "$WORK/keys" "$WORK/var" "$WORK/var.real"
fresh; rm "$WORK/keys/seal.key"; chmod 0777 "$WORK/keys"
check_exit "init refuses to make a key in a world-writable directory" 4 ctl init
check "  and made none" test ! -e "$WORK/keys/seal.key"

# --- (a) --qr-file
fresh
mkdir -m 0777 "$WORK/qr"
touch "$WORK/qr/planted.png"; chown nobody "$WORK/qr/planted.png"; chmod 0644 "$WORK/qr/planted.png"
check_exit "enroll refuses a --qr-file someone made beforehand" 1 \
	ctl enroll nobody --no-confirm --qr none --qr-file "$WORK/qr/planted.png"
has_err "  saying it exists" "planted.png: already exists"
check "  the file stays empty" test ! -s "$WORK/qr/planted.png"
check "  and still nobody's, 0644" test "$(stat -c %U:%a "$WORK/qr/planted.png")" = nobody:644
check_exit "  nothing was enrolled" 2 ctl devices nobody
ln -s "$WORK/qr/elsewhere.png" "$WORK/qr/link.png"
check_exit "enroll refuses a --qr-file that is a dangling symlink" 1 \
	ctl enroll nobody --no-confirm --qr none --qr-file "$WORK/qr/link.png"
check "  nothing made where it points" test ! -e "$WORK/qr/elsewhere.png"
check_exit "enroll refuses a --qr-file not .png or .svg" 1 \
	ctl enroll nobody --no-confirm --qr none --qr-file "$WORK/qr/qa.jpg"
check_exit "enroll refuses a --qr-file in a missing directory" 1 \
	ctl enroll nobody --no-confirm --qr none --qr-file "$WORK/nodir/qa.png"
check_exit "  nothing was enrolled by any of them" 2 ctl devices nobody
check "a new --qr-file is written" ctl enroll nobody --no-confirm --qr none --qr-file "$WORK/qr/qa.png"
check "  root's, 0600, a PNG" test "$(stat -c %U:%a "$WORK/qr/qa.png"):$(head -c 4 "$WORK/qr/qa.png" | tail -c 3)" = root:600:PNG

# --- (c) import reads regular files only, with bounded lines
fresh
mkfifo "$WORK/fifo"
# import_bounded DESCRIPTION WANT COMMAND...: exits WANT, well within 10 s,
# in at most 256 MiB (old code waited on a FIFO and grew on /dev/zero).
# ASan and TSan reserve terabytes of address space: there, the time bound alone.
vlimit="ulimit -v 262144;"
[ -n "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ] && vlimit=""
import_bounded() {
	local what=$1 want=$2 got; shift 2
	capture bash -c "$vlimit"' exec timeout 10 "$@"' _ "$@"; got=$?
	if [ "$got" -eq 124 ]; then not_ok "$what (timed out)"; return; fi
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		not_ok "$what (exit $got, want $want)"; sed 's/^/#   /' "$WORK/err" | head -3; fi
}
import_bounded "import oath from a FIFO returns at once" 1 "$OTPCTL" --config "$CONF" import oath "$WORK/fifo"
has_err "  not a regular file" "fifo: not a regular file"
import_bounded "import google-authenticator from a FIFO returns at once" 1 \
	"$OTPCTL" --config "$CONF" import google-authenticator root "$WORK/fifo"
has_err "  not a regular file" "fifo: not a regular file"
import_bounded "import oath from /dev/zero errors at once" 1 "$OTPCTL" --config "$CONF" import oath /dev/zero
has_err "  not a regular file" "/dev/zero: not a regular file"
import_bounded "import google-authenticator from /dev/zero errors at once" 1 \
	"$OTPCTL" --config "$CONF" import google-authenticator root /dev/zero
has_err "  not a regular file" "/dev/zero: not a regular file"

printf '%s\n" TOTP_AUTH\n' $b32 > "$WORK/ga"
chmod 0400 "$WORK/ga"
ln -s "$WORK/ga" "$WORK/ga.link"
check_exit "import from a symlink is refused" 1 ctl import google-authenticator daemon "$WORK/ga.link"
has_err "  is a symlink" "ga.link: is a symlink"
chown nobody "$WORK/ga"
check_exit "a google-authenticator file of another user is refused" 1 \
	ctl import google-authenticator daemon "$WORK/ga"
has_err "  naming the owner" "ga: owned by uid $(id -u nobody), not root or daemon"
check_exit "  nothing was imported" 2 ctl devices daemon
chown daemon "$WORK/ga"; chmod 0620 "$WORK/ga"
check_exit "a google-authenticator file writable by its group is refused" 1 \
	ctl import google-authenticator daemon "$WORK/ga"
chmod 0400 "$WORK/ga"
check "the user's own file is imported" ctl import google-authenticator daemon "$WORK/ga"
truncate -s 1M "$WORK/ga.big"
check_exit "a google-authenticator file over 64 KiB is refused" 1 \
	ctl import google-authenticator root "$WORK/ga.big"

{ printf 'HOTP lng - %s 0 %s\n' $hex "$(head -c 5000 /dev/zero | tr '\0' ' ')"
  printf 'HOTP short - %s 0\n' $hex; } > "$WORK/users.oath"
check_exit "import oath refuses an overlong line" 1 ctl import oath "$WORK/users.oath"
has_err "  naming file and line" "users.oath:1: line"
check_exit "  its user is not imported" 2 ctl devices lng
check "  the next line's user is" ctl devices short
truncate -s 300M "$WORK/big.oath"
import_bounded "import oath refuses a usersfile over 256 MiB" 1 "$OTPCTL" --config "$CONF" import oath "$WORK/big.oath"
has_err "  saying so" "big.oath: larger than"
finish
