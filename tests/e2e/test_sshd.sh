#!/bin/bash
# A real sshd on 127.0.0.1 with pam_otp in its private PAM stack, logged
# into by a real ssh client driven by expect.
. "$(dirname "$0")/lib_e2e.sh"
write_conf "lockout { deny = 4 fail_interval = 900 unlock_time = 900 }"
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll "$E2E_USER" --secret $b32 --name phone --no-confirm --qr none >/dev/null

echo "auth required $MODULE config=$CONF password=system
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-pw"
port=$(start_sshd "$TAG-pw" keyboard-interactive)
check "sshd started under its own PAM service" test -n "$port"

code=$(oathtool --totp -b $b32)
check "password + TOTP: logged in" ssh_login "$port" "$E2E_PASS" "$code"
check_exit "the same code again: refused" 1 ssh_login "$port" "$E2E_PASS" "$code"
check_exit "wrong code: refused" 1 ssh_login "$port" "$E2E_PASS" 000000
next=$(oathtool --totp -b $b32 -N "now + 30 seconds")
check_exit "wrong password, right code: refused" 1 ssh_login "$port" "wrong password" "$next"
check "  both prompts were shown all the same" grep -q "Verification code:" "$WORK/ssh.out"
check "the failures are in the audit trail with their factor" sh -c \
	"'$OTPCTL' --config '$CONF' audit --user $E2E_USER --format csv | grep -c 'auth_failure,.*,127.0.0.1,' | grep -qx 2"

# recovery code at the code prompt
rc_code=$(ctl --json recovery "$E2E_USER" --count 2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["codes"][0])')
check "recovery code: logged in" ssh_login "$port" "$E2E_PASS" "$rc_code"
check "  the user is told how many are left" grep -q "Recovery code accepted; 1 left." "$WORK/ssh.out"
check_exit "  and it works once" 1 ssh_login "$port" "$E2E_PASS" "$rc_code"

# lockout after deny = 4 failures
for i in 1 2 3; do ssh_login "$port" "$E2E_PASS" 000000 >/dev/null; done
next=$(oathtool --totp -b $b32 -N "now + 30 seconds")
check_exit "locked after 4 failures: the right code is refused" 1 ssh_login "$port" "$E2E_PASS" "$next"
check "  after both prompts, as anyone gets them" sh -c "grep -q 'Password:' '$WORK/ssh.out' && grep -q 'Verification code:' '$WORK/ssh.out'"
check "  audited as locked" sh -c "'$OTPCTL' --config '$CONF' audit --event locked | grep -q '$E2E_USER'"
check "otpctl unlock" ctl unlock "$E2E_USER"
check "  then the code works" ssh_login "$port" "$E2E_PASS" "$next"

# a trusted network skips the code (the password is still checked)
write_conf "trusted_networks = {\"127.0.0.0/8\"}"
check "trusted 127.0.0.0/8: password only, no code prompt" ssh_login "$port" "$E2E_PASS" -
check_exit "  a wrong password is still refused" 1 ssh_login "$port" "wrong password" -
write_conf ""

# publickey first, then only the code
echo "auth required $MODULE config=$CONF password=none
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-pk"
pkport=$(start_sshd "$TAG-pk" publickey,keyboard-interactive)
code=$(oathtool --totp -b $b32 -N "now + 60 seconds")
write_conf "totp { window = 2 }"
check "publickey + code (AuthenticationMethods publickey,keyboard-interactive)" \
	ssh_login "$pkport" - "$code" "$WORK/user_key"
check_exit "publickey + wrong code: refused" 1 ssh_login "$pkport" - 000000 "$WORK/user_key"
check "sshd logged the PAM outcome" grep -q "keyboard-interactive/pam" "$WORK/$TAG-pk.log"
finish
