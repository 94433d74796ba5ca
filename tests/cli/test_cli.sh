#!/bin/bash
# otpctl against a private store: every verb of the core, JSON output
# parsed by a JSON parser, exit codes, the QR image read back by zbarimg.
. "$(dirname "$0")/../lib.sh"
write_conf ""
py() { python3 -c "$@"; }

check "init creates store and key" ctl init
lmdb check "store dir is 0700" test "$(stat -c %a "$WORK/store")" = 700
check "seal key is 0400, 32 bytes" test "$(stat -c %a:%s "$WORK/seal.key")" = "400:32"
key_before=$(sha256sum < "$WORK/seal.key")
check "init again keeps the key" ctl init
check "key unchanged" test "$(sha256sum < "$WORK/seal.key")" = "$key_before"

check "enroll --json" ctl --json enroll --force alice --no-confirm --qr-file "$WORK/qr.png"
cp "$WORK/out" "$WORK/enroll.json"
check "enroll JSON has the design's fields" py '
import json,sys
d=json.load(open(sys.argv[1]))
assert set(d)=={"user","device","name","type","algorithm","digits","period","secret","uri"}, d
assert d["user"]=="alice" and d["type"]=="totp" and d["digits"]==6 and d["period"]==30
assert len(d["secret"])==32
assert d["uri"]=="otpauth://totp/Test%20Host:alice?secret="+d["secret"]+"&issuer=Test%20Host", d["uri"]  # SHA1, 6, 30 s: defaults, left out
' "$WORK/enroll.json"
secret=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$WORK/enroll.json")
uri=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["uri"])' "$WORK/enroll.json")
check "QR PNG decodes to the URI" test "$(zbarimg -q --raw "$WORK/qr.png" 2>/dev/null)" = "$uri"
check "QR image is private" test "$(stat -c %a "$WORK/qr.png")" = 600
check "SVG QR is written" ctl enroll --force svguser --no-confirm --qr none --qr-file "$WORK/qr.svg"
check "SVG has paths" grep -q '<path' "$WORK/qr.svg"

check "terminal enroll shows QR, URI and secret" ctl enroll --force bob --no-confirm --name phone
has "  half-block QR drawn" '▀'
has "  URI printed" '^uri:     otpauth://totp/Test%20Host:bob?secret='
check "ansi QR uses colours" ctl enroll --force bob --no-confirm --name tablet --qr ansi
has "  explicit black on white (SGR 38;5;16 48;5;231)" $'\033\\[38;5;16;48;5;231m'

# --secret imports a seed; --confirm activates with a code from oathtool
seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
code=$(oathtool --totp -b $seed)
check "enroll --secret --confirm CODE activates" ctl enroll --force carol --secret $seed --qr none --confirm "$code"
check "  device active" ctl devices carol
has "  state shown" 'active'
check_exit "enroll with a wrong --confirm exits 3" 3 ctl enroll --force carol --name two --secret JBSWY3DPEHPK3PXP --qr none --confirm 000000
check "  and leaves it pending" sh -c "'$OTPCTL' --config '$CONF' devices carol | grep -q pending"

# pending device confirmed later (stdin is not a terminal: stays pending)
check "enroll HOTP pending" ctl --json enroll --force dave --type hotp --secret $seed --qr none
check_exit "confirm with a wrong code exits 3" 3 ctl confirm dave 1 000000
check "confirm with the RFC 4226 counter-0 code" ctl confirm dave 1 755224
check_exit "confirm twice exits 1" 1 ctl confirm dave 1 287082

check "devices --json parses" ctl --json devices bob
cp "$WORK/out" "$WORK/devices.json"
check "  two devices named" py '
import json,sys
d=json.load(open(sys.argv[1]))
assert [x["name"] for x in d["devices"]]==["phone","tablet"], d
assert all(x["state"]=="active" for x in d["devices"])
' "$WORK/devices.json"
check "rename by name" ctl rename bob phone work-phone
check_exit "rename to a taken name exits 1" 1 ctl rename bob tablet work-phone
check "revoke by id" ctl revoke bob 2
check "  revoked shown" sh -c "'$OTPCTL' --config '$CONF' --json devices bob | grep -q '\"state\":\"revoked\"'"
check_exit "revoke twice exits 1" 1 ctl revoke bob 2
check_exit "unknown user exits 2" 2 ctl devices nosuchuser
check_exit "unknown device exits 2" 2 ctl revoke bob 9

# verify consumes the code, as a login would
code=$(oathtool --totp -b "$secret")
check "verify accepts a fresh code" ctl verify alice "$code"
check_exit "verify refuses it again (replay) with 3" 3 ctl verify alice "$code"

# bounds and usage
check_exit "--digits 9 refused" 1 ctl enroll --force eve --digits 9 --no-confirm
check_exit "--period 0 refused" 1 ctl enroll --force eve --period 0 --no-confirm
check_exit "--algorithm MD5 refused" 1 ctl enroll --force eve --algorithm MD5 --no-confirm
check_exit "--secret too short refused" 1 ctl enroll --force eve --secret MZXW6 --no-confirm
check_exit "--secret not base32 refused" 1 ctl enroll --force eve --secret 'not base32!' --no-confirm
check_exit "user name with ':' refused" 1 ctl enroll --force 'a:b' --no-confirm
check_exit "unknown verb exits 1" 1 ctl frobnicate
check_exit "missing argument exits 1" 1 ctl devices
for verb in init enroll confirm devices rename revoke recovery status unlock hosts verify; do
	check_exit "$verb -h prints usage" 0 ctl "$verb" -h
done
check "the secret is not in the store in clear" not_in_store "$seed"
if on_pg; then
	check "  nor its bytes (bytea shows hex)" not_in_store 3132333435363738393031323334353637383930
fi

# fail closed with clear errors
write_conf "windw = 2"
check_exit "unknown config key exits 4" 4 ctl devices bob
has_err "  error names file and line" "pam_otp.conf:6: no such option 'windw'"
write_conf ""
chmod 0666 "$CONF"
check_exit "world-writable config exits 4" 4 ctl devices bob
chmod 0644 "$CONF"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	check_exit "writes need root (exit 5)" 5 setpriv --reuid=nobody --regid=nogroup --clear-groups "$OTPCTL" --config "$CONF" revoke bob 1
fi
finish
