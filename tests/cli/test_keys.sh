#!/bin/bash
# The seal key's identity: a key that is not the store's is refused by every
# otpctl verb that uses the key (exit 4) and by the module, before anything
# is written or verified. otpctl rekey moves a store to a new key in one
# transaction. One secret, one device: a secret a user already has on a
# live device is refused (exit 1). Codes come from oathtool.
. "$(dirname "$0")/../lib.sh"
write_conf "lockout { deny = 0 }
totp { window = 3 }"
mkdir -p "$WORK/svc"
mismatch="seal key does not match this store"
# conf NAME KEYFILE: a config for the same store with another seal_key,
# and a PAM service "otp-NAME" using it
conf() {
	sed "s|^seal_key = .*|seal_key = \"$2\"|" "$CONF" > "$WORK/$1.conf"
	chmod 0644 "$WORK/$1.conf"
	echo "auth required $MODULE config=$WORK/$1.conf nodelay" > "$WORK/svc/otp-$1"
}
conf a "$WORK/seal.key"
ctl_as() { local name=$1; shift; "$OTPCTL" --config "$WORK/$name.conf" "$@"; }
login() {  # login SERVICE USER CODE: pamtester's status; its log in $WORK/log
	echo "$3" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester "otp-$1" "$2" authenticate \
		>"$WORK/log" 2>&1
}
# totp SEED [N]: the code N steps ahead (window = 3), so a later check
# never repeats a step an earlier one used up
totp() { oathtool --totp -b "$1" -N "@$(( $(date +%s) + 30 * ${2:-0} ))"; }
hotp() { oathtool --hotp -c "$2" -b "$1"; }
same_file() { cmp -s "$1" "$2"; }
ndevices() {  # ndevices USER: how many devices otpctl lists
	ctl --json devices "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))'
}

# has_kcv: the store's meta holds the key check value
has_kcv() {
	if on_pg; then
		[ "$(pg_sql "$PG_DB" "SELECT count(*) FROM pam_otp.meta WHERE name = 'seal_kcv'")" = 1 ]
	else
		mdb_dump -p -s meta "$WORK/store" | grep -q seal_kcv
	fi
}

ta=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ         # alice, TOTP
hb=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U         # bob, HOTP
pe=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP         # erin, pending

check "init" ctl init
check "  records a key check value in meta" has_kcv
check "enroll alice (TOTP)" ctl enroll --force alice --secret $ta --no-confirm --qr none
check "enroll bob (HOTP)" ctl enroll --force bob --type hotp --secret $hb --no-confirm --qr none
check "enroll erin (pending)" ctl enroll --force erin --secret $pe --qr none
check "recovery codes for alice" ctl --json recovery alice --count 3
rc1=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["codes"][0])' < "$WORK/out")
check "bob logs in with his first HOTP code" login a bob "$(hotp $hb 0)"
code=$(totp $ta)
check "alice logs in" login a alice "$code"

# --- another valid key: refused everywhere, nothing written ---
head -c 32 /dev/urandom > "$WORK/b.key"; chmod 0400 "$WORK/b.key"
conf b "$WORK/b.key"
printf '%s\n" TOTP_AUTH\n' GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ > "$WORK/ga"
echo "HOTP dora - 3132333435363738393031323334353637383930" > "$WORK/oath"
for cmd in "enroll root --no-confirm --qr none" "enroll root --name two --no-confirm --qr none" \
	"import google-authenticator dave $WORK/ga" "import oath $WORK/oath" \
	"verify alice 123456" "verify alice $rc1" "confirm erin 1 $(totp $pe)" \
	"resync bob 1 $(hotp $hb 1) $(hotp $hb 2)"; do
	# shellcheck disable=SC2086
	check_exit "wrong key: otpctl $(echo "$cmd" | cut -d' ' -f1-2) exits 4" 4 ctl_as b $cmd
	if [ "$(wc -l < "$WORK/err")" = 1 ] && grep -q "b.key: $mismatch" "$WORK/err"; then
		ok "  one line naming the key and the mismatch"
	else
		not_ok "  one line naming the key and the mismatch"; sed 's/^/#   /' "$WORK/err" | head -3
	fi
done
check "  nothing was written" sh -c "! '$OTPCTL' --config '$CONF' users | grep -qE '^(carol|dave|dora) '"
check "  alice has one device" test "$(ndevices alice)" = 1
check "  the recovery code was not used" sh -c "'$OTPCTL' --config '$CONF' recovery alice --status | grep -q '3 of 3'"
check_exit "  erin is still pending (devices needs no key)" 0 ctl_as b devices erin
has "  pending shown" pending
code=$(totp $ta 1)
check_exit "wrong key: a login is refused" 1 login b alice "$code"
n=$(grep -c "SYSLOG.*refusing login: .*b.key: $mismatch" "$WORK/log")
if [ "$n" = 1 ]; then ok "  one syslog line naming the key"; else
	not_ok "  one syslog line naming the key (got $n)"; sed 's/^/#   /' "$WORK/log" | head -5; fi
check "  the right key takes the same code: nothing was used" login a alice "$code"

# --- rekey A -> B ---
cp "$WORK/seal.key" "$WORK/a.old"
conf old "$WORK/a.old"
check "rekey -h says what NEWKEY is" ctl rekey -h
has "  NEWKEY explained" "NEWKEY is a key file"
chmod 0644 "$WORK/b.key"
check_exit "rekey to a key file readable by others: exit 4" 4 ctl rekey "$WORK/b.key"
has_err "  says why" "mode 0644 is too open"
check "  seal.key unchanged" same_file "$WORK/seal.key" "$WORK/a.old"
chmod 0400 "$WORK/b.key"
check_exit "rekey to the current key: exit 1" 1 ctl rekey "$WORK/seal.key"
check "rekey A -> B" ctl rekey "$WORK/b.key"
has "  says how many secrets" "re-sealed 3 secrets"
has "  says seal_key holds the new key" "seal.key now holds the new key"
check "  seal.key now holds B" same_file "$WORK/seal.key" "$WORK/b.key"
check "  seal.key is 0400" test "$(stat -c %a "$WORK/seal.key")" = 400
check "  no temporary file left" sh -c "! ls '$WORK' | grep -q rekey-"
check "  audited as rekey with the count" ctl audit --event rekey --format json
has "  3 sealed secrets" '"detail":"3 sealed secrets re-sealed"'
check "after rekey: alice's TOTP device verifies" login a alice "$(totp $ta 2)"
check_exit "  bob's used HOTP code is still used (counter kept)" 1 login a bob "$(hotp $hb 0)"
check "  bob's next HOTP code verifies" login a bob "$(hotp $hb 1)"
check "  alice's recovery code works" ctl verify alice "$rc1"
check "  erin's pending device confirms" ctl confirm erin 1 "$(totp $pe)"
check "  the config pointing at B works too" ctl_as b verify bob "$(hotp $hb 2)"
check_exit "the old key: otpctl exits 4" 4 ctl_as old verify bob "$(hotp $hb 3)"
has_err "  with the mismatch" "a.old: $mismatch"
check_exit "the old key: a login is refused" 1 login old bob "$(hotp $hb 3)"
check "  with the mismatch in syslog" grep -q "refusing login: .*a.old: $mismatch" "$WORK/log"
check "  bob's code was not used by it" login a bob "$(hotp $hb 3)"

# rekey to a path that does not exist: a new key is made and moved in
cp "$WORK/seal.key" "$WORK/b.old"
check "rekey to a new key file" ctl --json rekey "$WORK/c.key"
check "  JSON says it was created" python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); assert d["key_created"] and d["resealed"] == 3' "$WORK/out"
check "  moved into place, not left behind" test ! -e "$WORK/c.key"
check "  seal.key is a new key" sh -c "! cmp -s '$WORK/seal.key' '$WORK/b.old'"
check "  seal.key is 0400" test "$(stat -c %a "$WORK/seal.key")" = 400
check "  codes still verify" ctl verify bob "$(hotp $hb 4)"

# init on a store whose key file went missing: refused, the key it made removed
check "init again keeps the key" ctl init
mv "$WORK/seal.key" "$WORK/kept.key"
check_exit "init without the store's key: exit 4" 4 ctl init
has_err "  says why" "$mismatch"
check "  the key it made is removed" test ! -e "$WORK/seal.key"
mv "$WORK/kept.key" "$WORK/seal.key"
check "  the store's own key still works" ctl verify bob "$(hotp $hb 5)"

# --- one secret, one device ---
s=ORUGKIDTMVSWIIDGMF4SA43IMFZGK4ZB
check "enroll fay" ctl enroll --force fay --secret $s --no-confirm --qr none
check_exit "the same secret again: exit 1" 1 ctl enroll --force fay --name again --secret $s --no-confirm --qr none
has_err "  names the device" "user fay already has this secret on device 'device1' (id 1)"
check_exit "  as HOTP too" 1 ctl enroll --force fay --name again --type hotp --secret $s --no-confirm --qr none
check "  another user may have it" ctl enroll --force gus --secret $s --no-confirm --qr none
check "enroll hal, pending" ctl enroll --force hal --secret $s --qr none
check_exit "  the same secret on hal again: exit 1" 1 ctl enroll --force hal --secret $s --no-confirm --qr none
printf '%s\n" TOTP_AUTH\n' $s > "$WORK/ga.hal"
check_exit "  imported for hal: exit 1" 1 ctl import google-authenticator hal "$WORK/ga.hal"
has_err "  says why" "user hal already has this secret"
hex=$(python3 -c 'import base64,sys; print(base64.b32decode(sys.argv[1]).hex())' $s)
echo "HOTP/T30 hal - $hex" > "$WORK/oath.hal"
check_exit "  imported from a usersfile: refused" 1 ctl import oath "$WORK/oath.hal"
has_err "  says why" "user hal already has this secret"
check "  hal has one device" test "$(ndevices hal)" = 1

# six enrollments of one seed: one device, one code accepted once
six=NF3HSIDIMFZSA43JPAQGIZLWNFRWK4Y
ok6=0
for i in 1 2 3 4 5 6; do
	ctl enroll --force ivy --name "d$i" --secret $six --no-confirm --qr none >/dev/null 2>&1 &&
		ok6=$((ok6 + 1))
done
check "six enrollments of one seed: one device" test "$ok6" = 1
code=$(totp $six)
check "  its code is accepted" login a ivy "$code"
check_exit "  once" 1 login a ivy "$code"

# racing enrollments of one seed: the check is in the write transaction
race=MEQHGZLFMQQHEYLDMVSCANRAORUW2ZLTEEQSCIJB
pids=()
for i in 1 2 3 4 5 6; do
	"$OTPCTL" --config "$CONF" enroll --force jo --name "r$i" --secret $race --no-confirm --qr none \
		>/dev/null 2>&1 &
	pids+=($!)
done
won=0
for p in "${pids[@]}"; do wait "$p" && won=$((won + 1)); done
check "six racing enrollments of one seed: exactly one wins" test "$won" = 1
check "  jo has one device" test "$(ndevices jo)" = 1
# a store from before check values: the same records without seal_kcv. The
# module judges the key by unsealing a secret and writes nothing; otpctl
# records the value on its first write with a key that opens one.
if on_pg; then
	pg_sql "$PG_DB" "DELETE FROM pam_otp.meta WHERE name = 'seal_kcv'"
else
	kcv_hex=$(printf seal_kcv | od -An -tx1 | tr -d ' \n')
	mdb_dump -a "$WORK/store" |
		awk -v k=" $kcv_hex" '$0 == k { skip = 2 } skip { skip--; next } 1' > "$WORK/dump"
	mkdir -m 0700 "$WORK/legacy" && mdb_load -f "$WORK/dump" "$WORK/legacy" 2>"$WORK/load.err" &&
		mv "$WORK/store" "$WORK/store.kcv" && mv "$WORK/legacy" "$WORK/store" || cat "$WORK/load.err"
fi
no_kcv() { ! has_kcv; }
check "a store without a check value" no_kcv
check "  its devices are all there" ctl devices alice
check_exit "  a key none of its secrets opens under: login refused" 1 login b bob "$(hotp $hb 6)"
check "  with the mismatch in syslog" grep -q "refusing login: .*b.key: $mismatch" "$WORK/log"
check_exit "  and by otpctl" 4 ctl_as b verify bob "$(hotp $hb 6)"
check "  nothing recorded" no_kcv
check "  the right key logs in" login a bob "$(hotp $hb 6)"
check "  the module recorded nothing" no_kcv
check "  otpctl's first write with the key records it" ctl verify bob "$(hotp $hb 7)"
check "  recorded" has_kcv
check_exit "  now the wrong key meets the check value" 4 ctl_as b verify bob 000000
finish
