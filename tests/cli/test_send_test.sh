#!/bin/bash
# otpctl send-test USER DEVICE (issue 15): a message without a code goes
# through the device's delivery command, as the login's would:
#  - sent: exit 0, "sent by email to a***@example.com: exit 0"; the command
#    got the destination as a whole word, a proper email on stdin with no
#    code, a clean environment, and ran as oob.run_as (nobody);
#  - not sent: exit 4 with the command's exit status (or the timeout) and
#    its stderr; --json {"user","device","type","to","ok","status","why","stderr"};
#  - no command for the type: exit 4 naming the key and the file; a TOTP
#    device: exit 1; no such device: exit 2;
#  - the destination is never printed in clear; nothing is audited;
#  - send-test -h, the man page and bash completion know the verb.
# The devices come from "otpctl enroll --type email|sms --to ... --no-confirm".
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root (the seal key, run_as)"
	finish
	exit
fi
# the command runs as nobody: it must reach its script and its record
chmod 0711 "$WORK"
mkdir -m 0755 "$WORK/bin"
mkdir -m 0777 "$WORK/rec"
mkscript() {
	printf '#!/bin/sh\n%s\n' "$2" > "$WORK/bin/$1"
	chmod 0755 "$WORK/bin/$1"
}
mkscript mail 'for a; do printf "%s\n" "$a"; done > '"$WORK"'/rec/argv
cat > '"$WORK"'/rec/stdin; env > '"$WORK"'/rec/env; id -un > '"$WORK"'/rec/user'
mkscript down 'echo "mail: cannot connect to 127.0.0.1:25" >&2; exit 75'
mkscript hang 'sleep 30'
conf() {
	write_conf "oob { email_command = {\"$WORK/bin/$1\", \"-t\", \"--\", \"%{to}\"}
      send_timeout = ${2:-10} run_as = \"nobody\" }"
}
conf mail
check "init" ctl init
check "enroll an email device" ctl enroll alice --force --type email --to alice@example.com \
	--name mail --no-confirm
check "enroll an sms device" ctl enroll alice --force --type sms --to +4915112345678 \
	--name phone --no-confirm
check "enroll an app" ctl enroll alice --force --name app --qr none --no-confirm
audits_before=$(ctl audit --format json | grep -c .)

# --- sent
check_exit "send-test: exit 0" 0 ctl send-test alice mail
has "  says where, masked" '^sent by email to a\*\*\*@example.com: exit 0$'
if grep -q 'alice@example.com' "$WORK/out" "$WORK/err"; then not_ok "  no clear address"
else ok "  no clear address"; fi
if [ "$(cat "$WORK/rec/argv")" = "$(printf -- '-t\n--\nalice@example.com')" ]; then
	ok "  the command's words, the address as one"; else
	not_ok "  the command's words"; sed 's/^/#   /' "$WORK/rec/argv"; fi
if grep -q '^To: alice@example.com$' "$WORK/rec/stdin" &&
   grep -q '^Subject: ' "$WORK/rec/stdin" && grep -q '^Auto-Submitted: auto-generated$' \
	"$WORK/rec/stdin"; then ok "  an email on stdin"; else
	not_ok "  an email on stdin"; sed 's/^/#   /' "$WORK/rec/stdin"; fi
if grep -qi 'code is' "$WORK/rec/stdin"; then not_ok "  no code in it"; else ok "  no code in it"; fi
if [ "$(grep -v -e '^PATH=/usr/sbin:/usr/bin:/sbin:/bin$' -e '^LANG=C.UTF-8$' -e '^PWD=/$' \
	"$WORK/rec/env")" = "" ]; then ok "  a clean environment"; else
	not_ok "  a clean environment"; sed 's/^/#   /' "$WORK/rec/env"; fi
if [ "$(cat "$WORK/rec/user")" = nobody ]; then ok "  run as nobody"; else
	not_ok "  run as nobody ($(cat "$WORK/rec/user"))"; fi
check_exit "by id too" 0 ctl send-test alice 1
check_exit "--json" 0 ctl --json send-test alice mail
if jq -e '.user == "alice" and .device == "mail" and .type == "email" and
	.to == "a***@example.com" and .ok == true and .status == 0 and .why == "" and
	.stderr == ""' "$WORK/out" >/dev/null; then ok "  its fields"; else
	not_ok "  its fields"; sed 's/^/#   /' "$WORK/out"; fi

# --- not sent
conf down
check_exit "a failing command: exit 4" 4 ctl send-test alice mail
has_err "  its exit status" 'not sent by email to a\*\*\*@example.com: exit 75'
has_err "  its stderr" 'stderr: mail: cannot connect to 127.0.0.1:25'
check_exit "--json: exit 4" 4 ctl --json send-test alice mail
if jq -e '.ok == false and .status == 75 and .why == "exit 75" and
	.stderr == "mail: cannot connect to 127.0.0.1:25"' "$WORK/out" >/dev/null; then
	ok "  ok false, status, why, stderr"; else not_ok "  its fields"; sed 's/^/#   /' "$WORK/out"; fi
conf hang 1
t0=$(date +%s.%N)
check_exit "a hanging command: exit 4" 4 ctl send-test alice mail
t1=$(date +%s.%N)
has_err "  timeout after 1 s" 'not sent by email to a\*\*\*@example.com: timeout after 1 s'
if at_most "$(elapsed "$t0" "$t1")" 5; then ok "  within the timeout"; else
	not_ok "  within the timeout ($(elapsed "$t0" "$t1") s)"; fi
conf mail
check_exit "no sms_command: exit 4" 4 ctl send-test alice phone
has_err "  names the key and the file" "no sms_command in $CONF"

# --- not for this device
check_exit "a TOTP device: exit 1" 1 ctl send-test alice app
has_err "  says why" "only email and sms devices"
check_exit "no such device: exit 2" 2 ctl send-test alice nosuch
check_exit "no such user: exit 2" 2 ctl send-test bob mail
check_exit "a missing argument: exit 1" 1 ctl send-test alice
if [ "$(ctl audit --format json | grep -c .)" = "$audits_before" ]; then
	ok "nothing audited"; else not_ok "nothing audited"; fi

# --- documented
check "send-test -h" ctl send-test -h
has "  usage" 'send-test USER DEVICE'
if grep -qF 'send\-test' "$TOP/man/otpctl.8" && grep -q 'send-test' \
	"$TOP/etc/bash_completion.d/otpctl"; then ok "man page and completion"; else
	not_ok "man page and completion"; fi
finish
