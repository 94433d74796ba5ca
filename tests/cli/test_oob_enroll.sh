#!/bin/bash
# otpctl enroll --type email|sms as an administrator meets it:
#  - --no-confirm enrolls an active device; the output, devices, users and
#    stats (text and --json) show the type and the masked destination,
#    never the destination itself;
#  - a destination that is not a plain address or an E.164 number is
#    refused (exit 1, one line naming --to) and nothing is enrolled;
#  - --to is required for them and refused for totp/hotp; --secret, --qr,
#    --qr-file, --algorithm, --period, --digits and --confirm are refused
#    with them, naming the flag;
#  - the destination is not in the store in clear, nor in the audit trail;
#  - revoke wipes it (devices shows none), resync refuses them.
. "$(dirname "$0")/../lib.sh"
write_conf ""
addr=alice.smith@example.com
num=+4915112345678
py() { python3 -c "$1" "$2"; }
ndevices() { "$OTPCTL" --config "$CONF" --json devices "$1" 2>/dev/null |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))' 2>/dev/null || echo 0; }

check "init" ctl init
check "enroll an email device with --no-confirm" \
	ctl enroll --force alice --type email --to "$addr" --no-confirm
has "  says what it is, masked" '^Device 1 (device1): email to a\*\*\*@example\.com$'
check "enroll an sms device, --json" \
	ctl --json enroll --force alice --type sms --to "$num" --name phone --no-confirm
cp "$WORK/out" "$WORK/enroll.json"
check "  the fields, the number masked" py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"user": "alice", "device": 2, "name": "phone", "type": "sms",
             "to": "+4**********78", "state": "active"}, d
' "$WORK/enroll.json"

check "devices" ctl devices alice
has "  email, masked" '^1 .*email .*active .*a\*\*\*@example\.com$'
has "  sms, masked" '^2 .*phone .*sms .*active .*+4\*\*\*\*\*\*\*\*\*\*78$'
check "  never the destination" fails grep -qF -e "$addr" -e "$num" -e 4915112345678 "$WORK/out"
check "devices --json" ctl --json devices alice
cp "$WORK/out" "$WORK/devices.json"
check "  types and masked destinations" py '
import json, sys
d = json.load(open(sys.argv[1]))["devices"]
assert [(x["type"], x["to"], x["state"]) for x in d] == [
    ("email", "a***@example.com", "active"), ("sms", "+4**********78", "active")], d
assert all(x["algorithm"] is None for x in d), d
' "$WORK/devices.json"
check "  never the destination" fails grep -qF -e "$addr" -e 4915112345678 "$WORK/devices.json"

check "users" ctl users
has "  the active types" '^alice .* email,sms$'
check "users --json" ctl --json users
cp "$WORK/out" "$WORK/users.json"
check "  types counted" py '
import json, sys
u = json.load(open(sys.argv[1]))["users"][0]
assert u["types"] == {"totp": 0, "hotp": 0, "email": 1, "sms": 1}, u
' "$WORK/users.json"
check "stats --json" ctl --json stats
cp "$WORK/out" "$WORK/stats.json"
check "  email and sms in the census" py '
import json, sys
s = json.load(open(sys.argv[1]))["devices"]
assert s["email"]["active"] == 1 and s["sms"]["active"] == 1, s
' "$WORK/stats.json"
check "stats" ctl stats
has "  names them" 'email: 0 pending, 1 active, 0 revoked; sms: 0 pending, 1 active'

# --- destinations that are refused: exit 1, one line, nothing enrolled
bad_to() {  # bad_to TYPE TO DESCRIPTION (root: a user NSS knows, no --force warning)
	check_exit "$1 '$3' refused (exit 1)" 1 ctl enroll root --type "$1" --to "$2" --no-confirm
	has_err "  naming --to" "^otpctl enroll: --to: "
	check "  in one line" test "$(wc -l < "$WORK/err")" = 1
	check_exit "  nothing enrolled" 2 ctl devices root
}
bad_to email 'alice smith@example.com' "a space"
bad_to email '"alice"@example.com' "quotes"
bad_to email "$(printf 'alice\n@example.com')" "a newline"
bad_to email "$(printf 'alice@example.com\nBcc: eve@example.com')" "a header"
bad_to email '$(touch /tmp/pwned)@example.com' '$(...)'
bad_to email 'a;reboot@example.com' "a semicolon"
bad_to email 'alice@example.com;id' "a trailing command"
bad_to email "$(printf 'l%.0s' $(seq 65))@example.com" "a local part of 65 bytes"
bad_to email "alice@$(printf 'd%.0s' $(seq 64)).example" "a label of 64 bytes"
bad_to email 'alice@localhost' "no dot in the domain"
bad_to sms '+1234567' "7 digits"
bad_to sms '+1234567890123456' "16 digits"
bad_to sms '+0123456789' "a leading 0"
bad_to sms '4915112345678' "no +"
bad_to sms '+49 151 12345678' "spaces"
bad_to sms "$addr" "an address"
check "a command in --to ran nowhere" test ! -e /tmp/pwned

# --- flags
check_exit "--type email without --to: exit 1" 1 ctl enroll --force alice --type email --no-confirm
has_err "  says --to is needed" "needs --to ADDRESS"
check_exit "--type sms without --to: exit 1" 1 ctl enroll --force alice --type sms --no-confirm
has_err "  says --to is needed" "needs --to +NUMBER"
check_exit "--to with totp: exit 1" 1 ctl enroll --force alice --to "$addr" --no-confirm
has_err "  says --to is for email and sms" "^otpctl enroll: --to is for email and sms"
check_exit "--to with hotp: exit 1" 1 ctl enroll --force alice --type hotp --to "$addr" --no-confirm
for flag in "--secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" "--qr none" "--qr-file $WORK/x.png" \
	"--algorithm SHA256" "--period 60" "--digits 8"; do
	# shellcheck disable=SC2086
	check_exit "${flag%% *} with --type email: exit 1" 1 \
		ctl enroll --force alice --type email --to "$addr" $flag --no-confirm
	has_err "  names ${flag%% *}" "^otpctl enroll: ${flag%% *} is not for email and sms devices"
done
check_exit "--confirm CODE with --type sms: exit 1" 1 \
	ctl enroll --force alice --type sms --to "$num" --confirm 123456
has_err "  the code is not known before it is sent" "not known before it is sent"
check "  no file left by --qr-file" test ! -e "$WORK/x.png"
check "  nothing enrolled by any of them" test "$(ndevices alice)" = 2
check_exit "--type fax: exit 1" 1 ctl enroll --force alice --type fax --to "$addr"
has_err "  names the types" "totp, hotp, email or sms"

# --- the destination in clear: nowhere in the store, nor in the trail
check "the address is not in the store in clear" not_in_store "$addr"
check "  nor the number" not_in_store 4915112345678
check "audit" ctl audit --format csv
has "  enroll recorded with the masked address" ',enroll,alice,otpctl,.*,email a\*\*\*@example\.com,'
check "  never the destination" fails grep -qF -e "$addr" -e 4915112345678 "$WORK/out"

# --- revoke, resync, confirm
check_exit "resync of an email device: exit 1" 1 ctl resync alice 1 123456 654321
has_err "  it has no counter or clock" "email and sms devices have no counter or clock"
check_exit "confirm without CODE for an active email device: exit 1" 1 ctl confirm alice 1
has_err "  it is not pending" "is active, not pending"
check "revoke the email device" ctl revoke alice 1
check "devices --json" ctl --json devices alice
cp "$WORK/out" "$WORK/revoked.json"
check "  revoked, its destination wiped" py '
import json, sys
d = json.load(open(sys.argv[1]))["devices"][0]
assert d["state"] == "revoked" and d["to"] is None, d
' "$WORK/revoked.json"
check "an app enrolls beside them" \
	ctl enroll --force alice --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --qr none --no-confirm
check "  devices lists all three" test "$(ndevices alice)" = 3
check_exit "confirm without CODE for a totp device: exit 1" 1 ctl confirm alice 3
has_err "  CODE is needed" "CODE is needed"
finish
