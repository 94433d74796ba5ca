#!/bin/bash
# Real sudo with a private PAM service (sudoers: Defaults pam_service=...):
# password then code.
. "$(dirname "$0")/lib_e2e.sh"
write_conf ""
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll "$E2E_USER" --type hotp --secret $b32 --no-confirm --qr none >/dev/null
echo "auth required $MODULE config=$CONF password=forward
auth required pam_unix.so use_first_pass
@include common-account
@include common-session-noninteractive" > "/etc/pam.d/$TAG-sudo"
printf 'Defaults:%s pam_service=%s, passwd_tries=1, !lecture\n%s ALL=(root) /usr/bin/id\n' \
	"$E2E_USER" "$TAG-sudo" "$E2E_USER" > "/etc/sudoers.d/$TAG"
chmod 0440 "/etc/sudoers.d/$TAG"
check "sudoers entry is valid" visudo -c -f "/etc/sudoers.d/$TAG"

sudo_as() {  # sudo_as PASSWORD CODE: 0 when id ran as root
	PW=$1 CODE=$2 expect -f - >"$WORK/sudo.out" 2>&1 <<EOX
set timeout 20
spawn runuser -u $E2E_USER -- sudo -k /usr/bin/id -u
expect {
	-re "assword.*:" { send -- "\$env(PW)\r"; exp_continue }
	"Verification code:" { send -- "\$env(CODE)\r"; exp_continue }
	-re "\r\n0\r\n" { exit 0 }
	"incorrect password" { exit 1 }
	"Sorry" { exit 1 }
	timeout { exit 2 }
	eof { exit 1 }
}
EOX
}
check "sudo: password + code runs the command as root" sudo_as "$E2E_PASS" 755224
check "  both prompts shown" grep -q "Verification code:" "$WORK/sudo.out"
check_exit "sudo: wrong code refused" 1 sudo_as "$E2E_PASS" 000000
hotp() { oathtool --hotp -c "$1" 3132333435363738393031323334353637383930; }
# password=forward: pam_otp checks the code, then pam_unix the password
check_exit "sudo: wrong password refused (by pam_unix)" 1 sudo_as "wrong password" "$(hotp 1)"
check "sudo: the next code works" sudo_as "$E2E_PASS" "$(hotp 2)"
for i in 1 2 3 4 5; do sudo_as "$E2E_PASS" 000000 >/dev/null; done
check_exit "sudo: locked after 5 failures" 1 sudo_as "$E2E_PASS" "$(hotp 3)"
check "  sudo shows the lock with the minutes left" grep -q "Account locked after too many failed attempts; try again in 15 minutes" "$WORK/sudo.out"
check "  after the same prompts as anyone" grep -q "Verification code:" "$WORK/sudo.out"
check "  audited as locked, nothing verified" sh -c "'$OTPCTL' --config '$CONF' audit --event locked | grep -q '$TAG-sudo'"
check "the audit trail names the sudo service" sh -c "'$OTPCTL' --config '$CONF' audit --event auth_success | grep -q '$TAG-sudo'"
finish
