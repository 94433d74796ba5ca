#!/bin/bash
# otpctl enroll as an administrator meets it:
#  - every argument is checked before anything is written: with no store at
#    all a bad argument is its own error (exit 1), not the store's (exit 4);
#    with a store, nothing is enrolled and no file is left behind;
#  - --period with --type hotp is a usage error;
#  - a user NSS does not know is refused (exit 2) unless --force;
#  - --qr-file refuses an existing file unless --force, which replaces it
#    by a rename (new inode, root's, 0600; the old file untouched when the
#    enrollment fails); a symlink or a directory is refused even then;
#  - the confirmation prompt takes 3 tries and says how many are left; no
#    "Scan the QR code" with --qr none;
#  - enroll -h, the man page and bash completion know --force.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tty.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root (files of other owners, chown)"
	finish
	exit
fi
for tool in tmux oathtool zbarimg; do
	command -v "$tool" >/dev/null || not_ok "$tool installed (scripts/deps.sh test)"
done
write_conf ""
seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ghost=otp-no-such-user-$$   # a name NSS does not know
getent passwd "$ghost" >/dev/null && not_ok "the name $ghost is free"
mkdir -m 0755 "$WORK/qr"
touch "$WORK/qr/file"
echo "keep me" > "$WORK/qr/old.png"
ln -s "$WORK/qr/target.png" "$WORK/qr/link.png"
mkdir "$WORK/qr/dir.png"
no_leftovers() { test -z "$(find "$WORK/qr" -name '.otpctl-qr-*')"; }
# state USER NAME: the state of USER's device NAME ("" when there is none)
state() { "$OTPCTL" --config "$CONF" devices "$1" 2>/dev/null | awk -v n="$2" '$2 == n {print $7}'; }
hist_has() { tty_history | grep -q -- "$1"; }

# bad ARGS...: each is refused with exit CODE before anything is written.
bad_args() {
	local what=$1 code=$2; shift 2
	check_exit "$what: exit $code" "$code" ctl enroll "$@"
	if [ "$(grep -c . "$WORK/err")" = 1 ]; then ok "  one line: $(cat "$WORK/err")"; else
		not_ok "  one line"; sed 's/^/#   /' "$WORK/err"; fi
}
run_bad_args() {
	bad_args "--qr-file not .png/.svg" 1 root --no-confirm --qr-file "$WORK/qr/x.jpg"
	bad_args "--qr-file in a missing directory" 1 root --no-confirm --qr-file "$WORK/nodir/x.png"
	bad_args "--qr-file below a file" 1 root --no-confirm --qr-file "$WORK/qr/file/x.png"
	bad_args "--qr-file that exists" 1 root --no-confirm --qr-file "$WORK/qr/old.png"
	bad_args "--qr-file that is a symlink, even with --force" 1 root --force --no-confirm \
		--qr-file "$WORK/qr/link.png"
	bad_args "--qr-file that is a directory, even with --force" 1 root --force --no-confirm \
		--qr-file "$WORK/qr/dir.png"
	bad_args "--period with --type hotp" 1 root --type hotp --period 60 --no-confirm
	bad_args "--type hotp after --period" 1 root --period 60 --type hotp --no-confirm
	bad_args "--secret too short" 1 root --secret MZXW6 --no-confirm
	bad_args "a user NSS does not know" 2 "$ghost" --no-confirm --qr none
}

# --- (1) no store yet: the argument's error, not the store's
run_bad_args
check "  no store was made" fails store_made
check "  the existing file is untouched" test "$(cat "$WORK/qr/old.png")" = "keep me"
check "  nothing made where the symlink points" test ! -e "$WORK/qr/target.png"
check "  no other file made" test "$(ls -A "$WORK/qr" | tr '\n' ' ')" = "dir.png file link.png old.png "

# --- (2) with a store: nothing enrolled, nothing written
check "init" ctl init
sum_before=$(store_sum)
run_bad_args
check "  the store is unchanged (no device, no audit record)" \
	test "$(store_sum)" = "$sum_before"
check_exit "  root has no device" 2 ctl devices root
check "  no file made" test "$(ls -A "$WORK/qr" | tr '\n' ' ')" = "dir.png file link.png old.png "
check_exit "--period with --type hotp" 1 ctl enroll root --type hotp --period 30 --no-confirm --qr none
has_err "  says --period is for TOTP" "--period is for TOTP"
check "--period with TOTP is fine" ctl enroll root --name p60 --period 60 --no-confirm --qr none
has "  and in the URI" "period=60"

# --- (3) users NSS does not know
check_exit "unknown user: exit 2" 2 ctl enroll "$ghost" --no-confirm --qr none
has_err "  names the user and --force" "user '$ghost' is not known to this system.*--force"
check_exit "  nothing enrolled" 2 ctl devices "$ghost"
check "--force enrolls it" ctl enroll "$ghost" --force --no-confirm --qr none
has_err "  with a warning" "warning: user '$ghost' is not known to this system.*enrolling anyway"
check "  enrolled" ctl devices "$ghost"
check "a user NSS knows (root): enrolled without --force" ctl enroll root --no-confirm --qr none
check "  and no warning" test ! -s "$WORK/err"

# --- (4) --qr-file and --force
chown nobody "$WORK/qr/old.png"; chmod 0644 "$WORK/qr/old.png"
inode=$(stat -c %i "$WORK/qr/old.png")
check_exit "an existing --qr-file is refused" 1 ctl enroll root --name f1 --no-confirm --qr none \
	--qr-file "$WORK/qr/old.png"
has_err "  pointing at --force" "already exists; not overwritten (--force replaces it)"
check "  untouched" test "$(stat -c %i:%U:%a "$WORK/qr/old.png"):$(cat "$WORK/qr/old.png")" = "$inode:nobody:644:keep me"
check "  nothing enrolled" test -z "$(state root f1)"
check_exit "--force, but the enrollment fails (name taken): exit 1" 1 ctl enroll root --name p60 \
	--force --no-confirm --qr none --qr-file "$WORK/qr/old.png"
check "  the old file is untouched" test "$(stat -c %i:%U:%a "$WORK/qr/old.png"):$(cat "$WORK/qr/old.png")" = "$inode:nobody:644:keep me"
check "  no temporary file left" no_leftovers
check "--force replaces it" ctl --json enroll root --name f2 --force --no-confirm --qr none \
	--qr-file "$WORK/qr/old.png"
uri=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["uri"])' < "$WORK/out")
check "  with a new file: root's, 0600, another inode" test "$(stat -c %U:%a "$WORK/qr/old.png")" = root:600 -a \
	"$(stat -c %i "$WORK/qr/old.png")" != "$inode"
check "  a PNG of the new URI" test "$(zbarimg -q --raw "$WORK/qr/old.png" 2>/dev/null)" = "$uri"
check "  no temporary file left" no_leftovers
check "  the symlink and its target untouched" test -L "$WORK/qr/link.png" -a ! -e "$WORK/qr/target.png"

# --- (5) the confirmation prompt, on a terminal: 3 tries
wrong() { printf '%06d' $(( (10#$1 + 1) % 1000000 )); }
tty_start "$OTPCTL" --config "$CONF" enroll root --name t3 --secret $seed --qr none
check "--qr none: the prompt says 3 tries" tty_wait '^Type the code the app shows (3 tries):'
code=$(oathtool --totp -b $seed)
tty_type "$(wrong "$code")"
check "  a wrong code: 2 tries left" tty_wait '^Wrong code, 2 tries left:'
tty_type "$(wrong "$code")"
check "  another: 1 try left" tty_wait '^Wrong code, 1 try left:'
tty_type "$(oathtool --totp -b $seed)"
check "  the right code on the third try activates it (exit 0)" test "$(tty_status)" = 0
check "  device active" test "$(state root t3)" = active
if tty_history | grep -q 'Scan the QR'; then not_ok "  never 'Scan the QR code' with --qr none"; else
	ok "  never 'Scan the QR code' with --qr none"; fi

seed2=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
tty_start "$OTPCTL" --config "$CONF" enroll root --name t0 --secret $seed2
check "a QR shown: 'Scan the QR code, then type...'" tty_wait '^Scan the QR code, then type the code the app shows (3 tries):'
code=$(oathtool --totp -b $seed2)
tty_type "$(wrong "$code")"
tty_wait '^Wrong code, 2 tries left:' >/dev/null
tty_type "$(wrong "$code")"
tty_wait '^Wrong code, 1 try left:' >/dev/null
tty_type "$(wrong "$code")"
check "3 wrong codes: exit 3" test "$(tty_status)" = 3
check "  says it is left pending and how to confirm it" hist_has "device [0-9]* is pending: activate it with 'otpctl confirm root [0-9]* CODE'"
check "  device pending" test "$(state root t0)" = pending
check "  no fourth prompt" test "$(tty_history | grep -c 'Wrong code')" = 2

tty_start "$OTPCTL" --config "$CONF" enroll root --name te --qr none
tty_wait '(3 tries):' >/dev/null
tty_type ""
check "an empty answer leaves it pending (exit 0)" test "$(tty_status)" = 0
check "  saying how to confirm it" hist_has 'is pending: activate it with'
check "  device pending" test "$(state root te)" = pending

# --- (6) help, man page, completion
check "enroll -h shows --force" sh -c "'$OTPCTL' enroll -h | grep -q -- '--force'"
check "the man page documents --force" grep -q 'force' "$TOP/man/otpctl.8"
check "bash completion offers --force" bash -c ". '$TOP/etc/bash_completion.d/otpctl'
COMP_WORDS=(otpctl enroll alice --fo); COMP_CWORD=3; _otpctl; [ \"\${COMPREPLY[*]}\" = --force ]"
finish
