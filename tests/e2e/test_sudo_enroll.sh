#!/bin/bash
# Enrollment at login through real sudo (a private PAM service: pam_otp
# with password=system checks the password itself, enroll_on_login =
# true), driven by expect on a terminal: an unenrolled user's sudo shows
# the enrollment prompt with the UTF-8 QR code (a local login: no
# PAM_RHOST), which screen2pgm.py draws and zbarimg reads as the URI
# shown; the code of the secret shown runs the command as root; the next
# sudo asks for a code. A wrong password is never offered enrollment.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_enroll.sh"
SCREEN2PGM="$TOP/tests/cli/screen2pgm.py"
TRANSCRIPT="$WORK/sudo.out"  # for saw, enroll_shown
write_conf "enroll_on_login = true"
ctl init >/dev/null
echo "auth required $MODULE config=$CONF password=system
@include common-account
@include common-session-noninteractive" > "/etc/pam.d/$TAG-sudo"
printf 'Defaults:%s pam_service=%s, passwd_tries=1, !lecture\n%s ALL=(root) /usr/bin/id\n' \
	"$E2E_USER" "$TAG-sudo" "$E2E_USER" > "/etc/sudoers.d/$TAG"
chmod 0440 "/etc/sudoers.d/$TAG"
check "sudoers entry is valid" visudo -c -f "/etc/sudoers.d/$TAG"

# sudo_as PASSWORD CODE ENROLL: 0 when id ran as root, 1 refused, 2
# timeout. CODE "-": "Verification code:" must not be asked (exit 4);
# ENROLL "-": the enrollment prompt must not appear (exit 5), else it is
# answered with the oathtool code of the secret it shows (kept in
# $WORK/secret.typed). What the user saw: $WORK/sudo.out.
sudo_as() {
	rm -f "$WORK/secret.typed"
	PW=$1 CODE=$2 ENROLL=$3 TYPED="$WORK/secret.typed" expect -f - >"$WORK/sudo.out" 2>&1 <<EOX
set timeout 20
match_max 100000
set secret ""
spawn runuser -u $E2E_USER -- sudo -k /usr/bin/id -u
expect {
	-re "assword.*:" { send -- "\$env(PW)\r"; exp_continue }
$(expect_code)
$(enroll_expect)
	-re "\r\n0\r\n" { exit 0 }
	"incorrect password" { exit 1 }
	"Sorry" { exit 1 }
	timeout { exit 2 }
	eof { exit 1 }
}
EOX
}
check_exit "sudo, a wrong password: refused, never offered enrollment" 1 \
	sudo_as "wrong password" 123456 -
saw "  the usual \"Verification code:\" prompt" "Verification code:"
is "  no device written" "$(devices)x" x

check "sudo, the right password: the enrollment prompt; the code of its secret runs id as root" \
	sudo_as "$E2E_PASS" - +
enroll_shown  # the QR in $WORK/qr.txt, uri and secret
saw "  the prompt's first line" "$FIRST"
saw "  its second line" "$SCAN"
check "  the QR code in UTF-8 half blocks (no PAM_RHOST: a local login)" sh -c \
	"[ -s '$WORK/qr.txt' ] && ! LC_ALL=C.UTF-8 grep -q '[^ ▀▄█]' '$WORK/qr.txt' &&
	LC_ALL=C.UTF-8 grep -q '[▀▄█]' '$WORK/qr.txt'"
cols=$(LC_ALL=C.UTF-8 wc -L < "$WORK/qr.txt") rows=$(wc -l < "$WORK/qr.txt")
{ echo; sed 's/^/  /' "$WORK/qr.txt"; } |
	"$PY" "$SCREEN2PGM" dark $((cols + 4)) $((rows + 2)) > "$WORK/qr.pgm"
decoded=$(zbarimg -q --raw "$WORK/qr.pgm" 2>/dev/null)
is "  zbarimg reads it (screen2pgm.py, dark theme) as the \"URI:\" line" "$decoded" "$uri"
is "  the URI's secret is the \"Secret:\" line's, whose code was typed" \
	"$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' <<< "$decoded")" "$(cat "$WORK/secret.typed" 2>/dev/null)"
is "  one active device named login" "$(devices)" "login:active"
check "  audited enroll with detail self" grep -q '^self' <(audit_field enroll detail)
is "  through the sudo service" "$(audit_field enroll service)" "$TAG-sudo"
is "  and auth_success, detail enrolled" "$(audit_field auth_success detail)" enrolled
check "the next sudo asks for a code, and a code of that secret runs id" \
	sudo_as "$E2E_PASS" "$(oathtool --totp -b "$secret" -N "now + 30 seconds")" -
saw "  \"Verification code:\"" "Verification code:"
check_exit "  a wrong code: refused" 1 sudo_as "$E2E_PASS" 000000 -
is "  still one device" "$(devices)" "login:active"
finish
