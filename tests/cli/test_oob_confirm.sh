#!/bin/bash
# Enrolling an email or SMS device confirms the destination as an app's
# first code confirms the app: otpctl sends a code (through the real SMTP
# server and SMS gateway of tests/oob/) and the device stays pending until
# that code comes back; `otpctl confirm USER DEVICE` sends a new one.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/oob/lib.sh"

oob_servers smtp sms
write_conf "lockout { deny = 0 }" "$(oob_section "resend_after = 0")"
ctl init >/dev/null
json_state() {  # json_state USER ID: the device's state from devices --json
	ctl --json devices "$1" | "$OOB_PY" -c 'import json, sys
doc = json.load(sys.stdin)
devs = doc["devices"] if isinstance(doc, dict) else doc
print([d["state"] for d in devs if d["device"] == int(sys.argv[1])][0])' "$2"
}

ctl enroll carol --force --type email --to carol@example.com </dev/null >"$WORK/enroll.out" 2>"$WORK/enroll.err"
check "enroll without --no-confirm: exit 0" test $? -eq 0
check "  one mail arrives" oob_wait_message "$OOB_MAIL" 1
mail=$(oob_last "$OOB_MAIL")
check "  to the enrolled address" grep -q "^To: carol@example.com" "$mail"
code=$(oob_code "$mail")
check "  carrying a code" test -n "$code"
check "  says how to activate it" grep -q "otpctl confirm carol 1 CODE" "$WORK/enroll.err"
check "  the device is pending" test "$(json_state carol 1)" = pending
check "a wrong code does not activate it" fails ctl confirm carol 1 000000
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
check "  (nor a near one)" fails ctl confirm carol 1 "$wrong"
check "the mailed code activates it" ctl confirm carol 1 "$code"
check "  active" test "$(json_state carol 1)" = active
check "  the code does not work again (a login)" fails ctl verify carol "$code"

ctl enroll dave --force --type sms --to +4915112345678 </dev/null >/dev/null 2>&1
check "enroll an SMS device: a text arrives" oob_wait_message "$OOB_SMS" 1
first=$(oob_code "$(oob_last "$OOB_SMS")")
check "confirm without a code sends a new one" ctl confirm dave 1 </dev/null
check "  a second text arrives" oob_wait_message "$OOB_SMS" 2
second=$(oob_code "$(oob_last "$OOB_SMS")")
if [ "$first" != "$second" ]; then
	check "  the first code no longer confirms" fails ctl confirm dave 1 "$first"
fi
check "  the new one does" ctl confirm dave 1 "$second"
check "  active" test "$(json_state dave 1)" = active

oob_stop smtp
ctl enroll erin --force --type email --to erin@example.com </dev/null >/dev/null 2>"$WORK/enroll.err"
check "enroll while the mail server is down: not 0" test $? -ne 0
check "  says the code was not sent and how to retry" grep -q "otpctl send-test erin 1" "$WORK/enroll.err"
check "  the device stays pending" test "$(json_state erin 1)" = pending
check "  audited oob_send_failed" test -n "$(ctl audit --user erin --event oob_send_failed --format csv | tail -n +2)"
finish
