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
for tool in oathtool zbarimg; do
	command -v $tool >/dev/null || { not_ok "$tool installed (scripts/deps.sh test)"; finish; exit; }
done
PY=/usr/bin/python3
ASCII2PGM="$TOP/tests/e2e/qr_ascii2pgm.py"
FIRST="You have no authenticator device yet: enroll one now."
SCAN="Scan this QR code with an authenticator app, or type the secret into it."
write_conf "lockout { deny = 5 fail_interval = 900 unlock_time = 900 }
enroll_on_login = true"
ctl init >/dev/null

# sshd_up NAME METHODS: an sshd as start_sshd makes it, with ExposeAuthInfo
# yes, as the man page asks (OpenSSH's sshd puts SSH_AUTH_INFO_0, the
# methods that succeeded, in the PAM environment even without it); PORT
# is its port, its pid is killed at exit.
sshd_up() {
	local name=$1 methods=$2 i
	PORT=$(free_port)
	ln -sf "$(command -v sshd)" "$WORK/$name"
	cat > "$WORK/$name.conf" <<EOC
Port $PORT
ListenAddress 127.0.0.1
HostKey $WORK/host_key
PidFile $WORK/$name.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication yes
AuthenticationMethods $methods
ExposeAuthInfo yes
AuthorizedKeysFile $WORK/keys/%u
StrictModes no
PermitRootLogin no
LogLevel VERBOSE
EOC
	"$WORK/$name" -f "$WORK/$name.conf" -E "$WORK/$name.log" || { PORT=""; return 1; }
	for i in $(seq 100); do  # ready when it accepts connections
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break
		sleep 0.05
	done
	[ -s "$WORK/$name.pid" ] && pids+=("$(cat "$WORK/$name.pid")")
}

# enroll_login PORT PASSWORD CODE ENROLL [KEY]: answer the prompts that
# come. PASSWORD or CODE "-": that prompt must not appear (exit 3, 4);
# ENROLL "-": the enrollment prompt must not appear (exit 5), else it is
# answered with the oathtool code of the secret it shows (the secret is
# printed to $WORK/secret.typed). Exit 0 when a login shell ran, 1 refused,
# 2 timeout. What the user saw: $WORK/ssh.out.
enroll_login() {
	local port=$1 pw=$2 code=$3 enroll=$4 key=${5:-}
	local auth="-o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no"
	[ -n "$key" ] && auth="-i $key -o PreferredAuthentications=publickey,keyboard-interactive"
	rm -f "$WORK/secret.typed"
	PW=$pw CODE=$code ENROLL=$enroll TYPED="$WORK/secret.typed" expect -f - >"$WORK/ssh.out" 2>&1 <<EOX
set timeout 20
log_user 1
match_max 100000
set secret ""
spawn ssh -tt -p $port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o NumberOfPasswordPrompts=1 -o BatchMode=no $auth $E2E_USER@127.0.0.1
expect {
	"Password:" {
		if {\$env(PW) eq "-"} { exit 3 }
		send -- "\$env(PW)\r"; exp_continue
	}
	"Verification code:" {
		if {\$env(CODE) eq "-"} { exit 4 }
		send -- "\$env(CODE)\r"; exp_continue
	}
	"$FIRST" {
		if {\$env(ENROLL) eq "-"} { exit 5 }
		exp_continue
	}
	-re {\nSecret: ([A-Z2-7 ]+)\r\n} {
		set secret [string map {" " ""} \$expect_out(1,string)]
		exp_continue
	}
	-re {\nCode from the app[^\r\n]*: \$} {
		if {\$secret eq ""} { exit 6 }
		set f [open \$env(TYPED) w]; puts \$f \$secret; close \$f
		send -- "[exec oathtool --totp -b \$secret]\r"; exp_continue
	}
	"\\$ " { send "echo E2E_LOGGED_IN | tr A-Z a-z; exit\r"; exp_continue }
	"e2e_logged_in" { exit 0 }
	"Permission denied" { exit 1 }
	timeout { exit 2 }
	eof { exit 1 }
}
EOX
}
# saw DESCRIPTION TEXT: the user saw TEXT (a fixed string) in the last login
saw() {
	if tr -d '\r' < "$WORK/ssh.out" | grep -qF -- "$2"; then ok "$1"; else
		not_ok "$1"; tr -d '\r' < "$WORK/ssh.out" | sed 's/^/#   /' | tail -8; fi
}
is() {  # is DESCRIPTION GOT WANT: GOT is WANT, and not empty
	if [ -n "$2" ] && [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"; echo "#   got:  $(printf %q "$2")"; echo "#   want: $(printf %q "$3")"; fi
}
devices() {  # devices: "NAME:STATE" of each of the user's devices
	ctl --json devices "$E2E_USER" 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
if "devices" not in d and "not enrolled" not in d.get("error", ""):
    print("error: %s" % d)
for dev in d.get("devices", []):
    print("%s:%s" % (dev["name"], dev["state"]))'
}
audit_field() {  # audit_field EVENT FIELD: that field of each EVENT record
	ctl audit --user "$E2E_USER" --event "$1" --format json | "$PY" -c '
import json, sys
for l in sys.stdin:
    if l.strip():
        print(json.loads(l)[sys.argv[1]])' "$2"
}

# --- keyboard-interactive only: the password (pam_unix), then pam_otp
# with password=none: no key was proven, so no enrollment
echo "auth required pam_unix.so
auth required $MODULE config=$CONF password=none
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-kbd"
sshd_up "$TAG-kbd" keyboard-interactive
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
sshd_up "$TAG-pkpw" publickey,keyboard-interactive
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
sshd_up "$TAG-pk" publickey,keyboard-interactive
check "a publickey,keyboard-interactive sshd started (ExposeAuthInfo yes)" test -n "$PORT"
check "publickey, then the enrollment prompt: the code of the secret shown gets a shell" \
	enroll_login "$PORT" - - + "$WORK/user_key"
tr -d '\r' < "$WORK/ssh.out" > "$WORK/seen"
saw "  the prompt's first line" "$FIRST"
saw "  its second line" "$SCAN"
# the QR: the lines between the second line and "Secret: "
sed -n "/$SCAN/,/^Secret: /{/$SCAN/d;/^Secret: /d;p}" "$WORK/seen" > "$WORK/qr.txt"
check "  the QR lines are \"##\" and \"  \" only, all as wide, square" \
	"$PY" "$ASCII2PGM" --check < "$WORK/qr.txt"
check "  error correction L, a quiet zone of 2 modules" grep -q "error correction L, quiet zone 2$" "$WORK/out"
"$PY" "$ASCII2PGM" < "$WORK/qr.txt" > "$WORK/qr.pgm"
decoded=$(zbarimg -q --raw "$WORK/qr.pgm" 2>/dev/null)
uri=$(sed -n 's/^URI: //p' "$WORK/seen")
secret=$(sed -n 's/^Secret: //p' "$WORK/seen" | tr -d ' ')
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
