#!/bin/bash
# A user whose only device is an email address logs in over a real sshd on
# 127.0.0.1 (keyboard-interactive, pam_otp in its private PAM stack): the
# code prompt offers to send a code, Enter sends it through msmtp to a
# real SMTP server on loopback (tests/oob/), and the client, driven by
# expect, types the code out of the received mail. sshd shows PAM's
# messages only inside prompts, so "Code sent by email to ..." must come
# in the second prompt's text.
. "$(dirname "$0")/lib_e2e.sh"
. "$TOP/tests/oob/lib.sh"

oob_servers smtp || { finish; exit; }
write_conf "lockout { deny = 5 fail_interval = 900 unlock_time = 900 }" \
	"$(oob_section "resend_after = 0")"
ctl init >/dev/null
ADDR="$E2E_USER@example.com"
MASKED="o***@example.com"  # E2E_USER starts with "otpe2e"
check "enroll an email device, the user's only one" \
	ctl enroll "$E2E_USER" --type email --to "$ADDR" --no-confirm

# oob_login PORT PASSWORD ANSWER [KEY]: answer the prompts that come;
# ANSWER "-" presses Enter at the code prompt, then types the code of the
# newest mail once the mail count has grown; "-CODE" presses Enter, then
# types CODE; otherwise ANSWER is typed at the code prompt as it is. Exit 0 when a login shell ran, 1 refused, 2
# timeout, 5 a second code prompt without "Code sent". What the user saw:
# $WORK/ssh.out.
oob_login() {
	local port=$1 pw=$2 answer=$3 key=${4:-}
	PW=$pw ANSWER=$answer MAILDIR=$OOB_MAIL NMAIL=$(($(oob_count "$OOB_MAIL") + 1)) \
		expect -f - >"$WORK/ssh.out" 2>&1 <<EOX
set timeout 20
log_user 1
# the code of the newest of NMAIL mails, waiting up to 10 s for them
proc mailed_code {} {
	set end [expr {[clock milliseconds] + 10000}]
	while {1} {
		set mails [lsort [glob -nocomplain -directory \$::env(MAILDIR) mail-*.eml]]
		if {[llength \$mails] >= \$::env(NMAIL)} break
		if {[clock milliseconds] > \$end} { return "" }
		after 50
	}
	set f [open [lindex \$mails end]]
	set text [read \$f]
	close \$f
	if {[regexp -line {^Your verification code is ([0-9]+)\r?\$} \$text -> code]} { return \$code }
	return ""
}
set sent 0
$(ssh_spawn "$port" "$key")
expect {
$(expect_password)
	-re {Verification code \(Enter: send one by email to [^)]*\): } {
		if {[string index \$env(ANSWER) 0] eq "-"} { send "\r" } else { send -- "\$env(ANSWER)\r" }
		exp_continue
	}
	-re {Code sent by email to [^ ]* \(valid [0-9]+ minutes?\)\.} { set sent 1; exp_continue }
	"Verification code: " {
		if {!\$sent} { exit 5 }
		set code [string range \$env(ANSWER) 1 end]
		if {\$code eq ""} { set code [mailed_code] }
		if {\$code eq ""} { exit 6 }
		send -- "\$code\r"; exp_continue
	}
$(expect_shell)
}
EOX
}

# --- password, then Enter, then the mailed code
echo "auth required $MODULE config=$CONF password=system
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-pw"
sshd_up "$TAG-pw" keyboard-interactive
check "sshd started under its own PAM service" test -n "$PORT"
check "password, Enter, the code from the mail: logged in over ssh" oob_login "$PORT" "$E2E_PASS" -
saw "  the code prompt offered the mail" "Verification code (Enter: send one by email to $MASKED): "
saw "  the second prompt said where it went" "Code sent by email to $MASKED (valid 5 minutes)."
check "  one mail, to the enrolled address" grep -q "^X-Envelope-To: $ADDR" "$(oob_last "$OOB_MAIL")"
code=$(oob_code "$(oob_last "$OOB_MAIL")")
check_exit "the same code again: refused" 1 oob_login "$PORT" "$E2E_PASS" "$code"
wrong=$(printf %06d $(( (10#${code:-0} + 1) % 1000000 )))
check_exit "Enter, then a wrong code: refused" 1 oob_login "$PORT" "$E2E_PASS" "-$wrong"
saw "  after the code was sent" "Code sent by email to $MASKED"
check "the audit trail: sent, accepted, replay" sh -c "'$OTPCTL' --config '$CONF' audit --user $E2E_USER --format csv |
	grep -c '^[^,]*,\\(oob_sent\\|auth_success\\|replay\\),' | grep -qx 4"
check "  the logins came from 127.0.0.1 through the sshd service" sh -c \
	"'$OTPCTL' --config '$CONF' audit --user $E2E_USER --event auth_success --format csv | grep -q ',$TAG-pw,127.0.0.1,'"
check "  the code is not in the audit trail" sh -c "! '$OTPCTL' --config '$CONF' audit --format json | grep -qw '$code'"

# --- publickey first, then only the code
echo "auth required $MODULE config=$CONF password=none
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-pk"
sshd_up "$TAG-pk" publickey,keyboard-interactive
check "publickey, then Enter and the mailed code: logged in" \
	oob_login "$PORT" - - "$WORK/user_key"
saw "  the second prompt said where it went" "Code sent by email to $MASKED (valid 5 minutes)."
finish
