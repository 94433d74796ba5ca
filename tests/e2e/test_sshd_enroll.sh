#!/bin/bash
# Enrollment at login over a real sshd on 127.0.0.1 (AuthenticationMethods
# publickey,keyboard-interactive, ExposeAuthInfo yes; pam_otp with
# password=none and enroll_on_login = true): an unenrolled user logs in
# with a key from a real ssh client driven by expect. What the client
# printed is kept; its ASCII QR code is drawn to an image and read by
# zbarimg, which must give the URI shown, holding the secret shown; the
# oathtool code of that secret gets a shell; the next login asks for a
# code. A keyboard-interactive-only sshd (the password through pam_unix,
# then pam_otp with password=none: no key proven) never offers enrollment.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_enroll.sh"
ASCII2PGM="$TOP/tests/e2e/qr_ascii2pgm.py"
write_conf "lockout { deny = 5 fail_interval = 900 unlock_time = 900 }
enroll_on_login = true"
ctl init >/dev/null

# Each sshd here has ExposeAuthInfo yes, as the man page asks (OpenSSH's
# sshd puts SSH_AUTH_INFO_0, the methods that succeeded, in the PAM
# environment even without it).
EXPOSE="ExposeAuthInfo yes"

# enroll_login PORT PASSWORD CODE ENROLL [KEY]: answer the prompts that
# come. PASSWORD or CODE "-": that prompt must not appear (exit 3, 4);
# ENROLL "-": the enrollment prompt must not appear (exit 5), else it is
# answered with the oathtool code of the secret it shows (the secret is
# printed to $WORK/secret.typed). Exit 0 when a login shell ran, 1 refused,
# 2 timeout. What the user saw: $WORK/ssh.out.
enroll_login() {
	local port=$1 pw=$2 code=$3 enroll=$4 key=${5:-}
	rm -f "$WORK/secret.typed"
	PW=$pw CODE=$code ENROLL=$enroll TYPED="$WORK/secret.typed" expect -f - >"$WORK/ssh.out" 2>&1 <<EOX
set timeout 20
log_user 1
match_max 100000
set secret ""
$(ssh_spawn "$port" "$key")
expect {
$(expect_password)
$(expect_code)
$(enroll_expect)
$(expect_shell)
}
EOX
}

# --- keyboard-interactive only: the password (pam_unix), then pam_otp
# with password=none: no key was proven, so no enrollment
echo "auth required pam_unix.so
auth required $MODULE config=$CONF password=none
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-kbd"
sshd_up "$TAG-kbd" keyboard-interactive "$EXPOSE"
check "a keyboard-interactive-only sshd started (ExposeAuthInfo yes)" test -n "$PORT"
check_exit "keyboard-interactive only, the right password: refused, never offered enrollment" 1 \
	enroll_login "$PORT" "$E2E_PASS" 000000 -
saw "  after the password, the usual \"Verification code:\" prompt" "Verification code:"
check "  no secret, no QR, no URI shown" sh -c "! grep -qE 'Secret:|otpauth|##' '$WORK/ssh.out'"
is "  no device written" "$(devices)x" x

# --- publickey, then pam_unix and pam_otp (password=none): pam_unix's
# result is unknown to pam_otp (an earlier required module that failed
# still lets PAM run it), so the password it asked for rules enrollment out
echo "auth required pam_unix.so
auth required $MODULE config=$CONF password=none
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-pkpw"
sshd_up "$TAG-pkpw" publickey,keyboard-interactive "$EXPOSE"
check "a publickey,keyboard-interactive sshd with pam_unix before pam_otp started" test -n "$PORT"
check_exit "publickey, then a wrong password: refused, never offered enrollment" 1 \
	enroll_login "$PORT" wrong-password 000000 - "$WORK/user_key"
check "  no secret, no QR, no URI shown" sh -c "! grep -qE 'Secret:|otpauth|##' '$WORK/ssh.out'"
is "  no device written" "$(devices)x" x
rm -f "/etc/pam.d/$TAG-pkpw"

# --- publickey, then keyboard-interactive: pam_otp offers enrollment
echo "auth required $MODULE config=$CONF password=none
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-pk"
sshd_up "$TAG-pk" publickey,keyboard-interactive "$EXPOSE"
check "a publickey,keyboard-interactive sshd started (ExposeAuthInfo yes)" test -n "$PORT"
check "publickey, then the enrollment prompt: the code of the secret shown gets a shell" \
	enroll_login "$PORT" - - + "$WORK/user_key"
enroll_shown  # the QR in $WORK/qr.txt, uri and secret
saw "  the prompt's first line" "$FIRST"
saw "  its second line" "$SCAN"
check "  the QR lines are \"##\" and \"  \" only, all as wide, square" \
	"$PY" "$ASCII2PGM" --check < "$WORK/qr.txt"
check "  error correction L, a quiet zone of 2 modules" grep -q "error correction L, quiet zone 2$" "$WORK/out"
"$PY" "$ASCII2PGM" < "$WORK/qr.txt" > "$WORK/qr.pgm"
decoded=$(zbarimg -q --raw "$WORK/qr.pgm" 2>/dev/null)
is "  zbarimg reads the QR as the client showed it: the \"URI:\" line" "$decoded" "$uri"
is "  the URI's secret is the \"Secret:\" line's" \
	"$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' <<< "$decoded")" "$secret"
is "  the code typed was of that secret" "$(cat "$WORK/secret.typed" 2>/dev/null)" "$secret"
is "  the URI as otpctl enroll prints it" "$uri" \
	"otpauth://totp/Test%20Host:$E2E_USER?secret=$secret&issuer=Test%20Host"
is "  one active device named login" "$(devices)" "login:active"
check "  audited enroll with detail self" grep -q '^self' <(audit_field enroll detail)
is "  from 127.0.0.1" "$(audit_field enroll rhost)" 127.0.0.1
is "  through the sshd service" "$(audit_field enroll service)" "$TAG-pk"
is "  and auth_success, detail enrolled" "$(audit_field auth_success detail)" enrolled
check "the next login asks for a code, and a code of that secret gets a shell" \
	enroll_login "$PORT" - "$(oathtool --totp -b "$secret" -N "now + 30 seconds")" - "$WORK/user_key"
saw "  \"Verification code:\"" "Verification code:"
check_exit "  a wrong code: refused" 1 enroll_login "$PORT" - 000000 - "$WORK/user_key"
is "  still one device" "$(devices)" "login:active"
check "sshd logged the publickey, then the PAM outcome" sh -c \
	"grep -q 'Partial publickey for $E2E_USER' '$WORK/$TAG-pk.log' &&
	grep -q 'Accepted keyboard-interactive/pam for $E2E_USER' '$WORK/$TAG-pk.log'"
finish
