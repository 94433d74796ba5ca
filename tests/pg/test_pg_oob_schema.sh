#!/bin/bash
# Email and sms devices on PostgreSQL need schema version 3 (the devices'
# type CHECK of versions 1 and 2 allows totp and hotp only, so hosts of an
# older pam_otp never read a row they do not know). On a version 2 schema
# TOTP and HOTP devices work as before and an email device is refused
# with a message saying how to upgrade; otpctl init upgrades it, keeping
# every record, and then an email device round-trips.
. "$(dirname "$0")/../lib.sh"
need_pg
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hex=3132333435363738393031323334353637383930
addr=alice.smith@example.com
write_conf ""
version() { pg_sql "$PG_DB" "SELECT convert_from(value, 'UTF8') FROM pam_otp.meta WHERE name = 'schema_version'"; }
expect() {  # expect DESCRIPTION WANT GOT
	if [ "$3" = "$2" ]; then ok "$1"; else not_ok "$1 (got '$3', want $2)"; fi
}
ndevices() { "$OTPCTL" --config "$CONF" --json devices "$1" 2>/dev/null |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))' 2>/dev/null || echo 0; }
naudit() { pg_sql "$PG_DB" "SELECT count(*) FROM pam_otp.audit"; }

check "otpctl init" ctl init
expect "  makes schema version 3" 3 "$(version)"
check "  whose CHECK takes email and sms" \
	pg_sql "$PG_DB" "INSERT INTO pam_otp.devices VALUES ('x', 1, 'x', 'sms', 'SHA1', 6,
	 'revoked', 0, 0, 0, 0, 0, 0, '')"
pg_sql "$PG_DB" "DELETE FROM pam_otp.devices WHERE user_name = 'x'"

# --- the schema as version 2 made it
pg_sql "$PG_DB" "ALTER TABLE pam_otp.devices DROP CONSTRAINT devices_type_check,
 ADD CONSTRAINT devices_type_check CHECK (type IN ('totp', 'hotp'));
 UPDATE pam_otp.meta SET value = convert_to('2', 'UTF8') WHERE name = 'schema_version'"
check "version 2: an HOTP device enrolls" \
	ctl enroll --force alice --type hotp --secret $b32 --name token --no-confirm --qr none
check "  and verifies" ctl verify alice "$(oathtool --hotp -c 0 $hex)"
check "  a TOTP device enrolls" ctl enroll --force alice --name app --qr none --no-confirm
check_exit "  an email device is refused (exit 4)" 4 \
	ctl enroll --force alice --type email --to "$addr" --no-confirm
has_err "  saying how to upgrade" "the PostgreSQL schema is version 2; email and SMS devices need version 3: run otpctl init (as the owner role) to upgrade it"
check "  nothing enrolled" test "$(ndevices alice)" = 2
check_exit "  an sms device too" 4 ctl enroll --force bob --type sms --to +4915112345678 --no-confirm
check_exit "  and bob was not made" 2 ctl devices bob
expect "  the schema still version 2" 2 "$(version)"

# --- otpctl init upgrades it, keeping every record
check "devices --json before" ctl --json devices alice
cp "$WORK/out" "$WORK/before.json"
audit_before=$(naudit)
check "otpctl init upgrades the schema" ctl init
expect "  to version 3" 3 "$(version)"
check "  the devices kept" ctl --json devices alice
check "  as they were" cmp "$WORK/before.json" "$WORK/out"
expect "  the audit trail kept" "$audit_before" "$(naudit)"
check "  the HOTP device verifies its next code" ctl verify alice "$(oathtool --hotp -c 1 $hex)"
check "otpctl init again changes nothing" ctl init
expect "  still version 3" 3 "$(version)"

# --- an email device round-trips
check "an email device enrolls" ctl enroll --force alice --type email --to "$addr" --name mail \
	--no-confirm
check "devices --json" ctl --json devices alice
cp "$WORK/out" "$WORK/after.json"
check "  the email device as stored, masked" python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))["devices"]}
m = d["mail"]
assert (m["device"], m["type"], m["to"], m["state"], m["digits"], m["algorithm"]) == \
    (3, "email", "a***@example.com", "active", 6, None), m
assert d["token"]["type"] == "hotp" and d["app"]["type"] == "totp", d
' "$WORK/after.json"
expect "  its row says email" email \
	"$(pg_sql "$PG_DB" "SELECT type FROM pam_otp.devices WHERE user_name = 'alice' AND id = 3")"
check "  the address is not in the database in clear" not_in_store "$addr"
check "an sms device enrolls" ctl enroll --force bob --type sms --to +4915112345678 --no-confirm
check "  and lists" ctl devices bob
has "  masked" 'sms .*+4\*\*\*\*\*\*\*\*\*\*78$'
check "revoke the email device" ctl revoke alice mail
expect "  its sealed payload wiped" 0 \
	"$(pg_sql "$PG_DB" "SELECT length(sealed) FROM pam_otp.devices WHERE user_name = 'alice' AND id = 3")"
finish
