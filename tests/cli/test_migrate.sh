#!/bin/bash
# otpctl migrate: a whole store copied into another and back again
# (LMDB -> LMDB -> LMDB, then LMDB -> PostgreSQL -> LMDB: into the
# database OTP_MIGRATE_TARGET names, which must be empty, or when it is unset
# into a private PostgreSQL cluster this test starts as nobody and stops; none
# skips it). Every record
# is compared through otpctl's dumps (users, devices, audit, hosts, recovery
# status, lock state), and the two LMDB ends byte for byte; on each copy a
# HOTP user goes on with the next code, used codes stay used, a TOTP replay
# mark and clock drift hold. Then what migrate refuses: a target that holds
# records, the source itself, a store of another seal key, records that do
# not decode (unless --skip-corrupt, which counts them).
. "$(dirname "$0")/../lib.sh"
if on_pg; then  # its source is always LMDB: it goes to PostgreSQL and back itself
	echo "# skip: migrate's suite runs both engines itself, whatever OTP_TEST_BACKEND says"
	finish; exit
fi
write_conf "lockout { deny = 3 }
remember_host = 3600
host_name = \"src-host\""
ctl init >/dev/null
PY=python3
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
hotp() { oathtool --hotp -c "$1" $hex; }
phone() { oathtool --totp -b $b32 -N "@$(($(date +%s) + 300))"; }  # 5 minutes fast

# conf_for NAME SPEC: a config and a PAM service for the store SPEC, same key
conf_for() {
	sed "s|^store = .*|store = \"$2\"|" "$CONF" > "$WORK/$1.conf"
	chmod 0644 "$WORK/$1.conf"
	mkdir -p "$WORK/svc-$1"
	echo "auth required $MODULE config=$WORK/$1.conf nodelay" > "$WORK/svc-$1/otp-login"
}
on() { local n=$1; shift; "$OTPCTL" --config "$WORK/$n.conf" "$@"; }
login() {  # login NAME USER CODE [RHOST]
	echo "$3" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc-$1" pamtester ${4:+-I rhost=$4} otp-login "$2" \
		authenticate
}
conf_for src "$WORK/store"

# A private cluster on a Unix socket in $WORK (the server refuses root).
pg_start() {
	pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$pg_bin/initdb" ] && command -v runuser >/dev/null || return 1
	chmod 0711 "$WORK"
	PGD="$WORK/pg"
	mkdir -m 0700 "$PGD" && chown nobody "$PGD" || return 1
	head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$PGD/pw" && chown nobody "$PGD/pw"
	runuser -u nobody -- "$pg_bin/initdb" -D "$PGD/data" -U otpadmin --pwfile="$PGD/pw" \
		-A scram-sha-256 --no-sync -E UTF8 > "$PGD/initdb.log" 2>&1 || return 1
	runuser -u nobody -- "$pg_bin/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w \
		-o "-k $PGD -c listen_addresses='' -c fsync=off" start > /dev/null || return 1
	printf '%s:5432:*:otpadmin:%s\n' "$PGD" "$(cat "$PGD/pw")" > "$WORK/pgpass"
	chmod 0600 "$WORK/pgpass"
	export PGPASSFILE="$WORK/pgpass"
	"$pg_bin/createdb" -h "$PGD" -U otpadmin otp || return 1
	OTP_MIGRATE_TARGET="host=$PGD user=otpadmin dbname=otp"
}
pg_stop() {
	[ -n "${PGD:-}" ] && runuser -u nobody -- "$pg_bin/pg_ctl" -D "$PGD/data" -m immediate \
		stop > /dev/null 2>&1
	rm -rf "$WORK"
}
trap pg_stop EXIT

# --- a store with something of everything
on src enroll --force alice --type hotp --secret $b32 --name token --no-confirm --qr none >/dev/null 2>&1
check "alice: HOTP counter 0 from 192.0.2.10 (a remembered host)" login src alice "$(hotp 0)" 192.0.2.10
check "  counter 1" ctl verify alice "$(hotp 1)"
ctl --json recovery alice > "$WORK/codes.json"
rcode() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["codes"][int(sys.argv[2])])' \
	"$WORK/codes.json" "$1"; }
check "  a recovery code used" ctl verify alice "$(rcode 0)"
on src enroll --force bob --secret $b32 --name phone --no-confirm --qr none >/dev/null 2>&1
on src enroll --force bob --secret JBSWY3DPEHPK3PXP --name old --no-confirm --qr none >/dev/null 2>&1
ctl revoke bob old >/dev/null
check "bob: a phone 5 minutes fast, resynced (drift)" ctl --json resync bob phone \
	"$(oathtool --totp -b $b32 -N "@$(($(date +%s) + 300))")" \
	"$(oathtool --totp -b $b32 -N "@$(($(date +%s) + 330))")"
drift=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["drift_steps"])' "$WORK/out")
# the phone's next code: one step past the last it used, inside the window
# only for a store that kept the drift
bob_next() { oathtool --totp -b $b32 -N "@$(($(date +%s) + (drift + 1) * 30))"; }
on src enroll --force carol --secret $b32 --name pending --qr none </dev/null >/dev/null 2>&1
check "carol: a pending device" sh -c "'$OTPCTL' --config '$CONF' devices carol | grep -q pending"
on src enroll --force dave --secret $b32 --name phone --no-confirm --qr none >/dev/null 2>&1
for _ in 1 2 3; do ctl verify dave 000000 >/dev/null 2>&1; done
check "dave: locked by 3 wrong codes" sh -c "'$OTPCTL' --config '$CONF' --json users | grep -q '\"user\":\"dave\"[^}]*\"locked\":true'"
on src enroll --force erin --secret $b32 --name phone --no-confirm --qr none >/dev/null 2>&1
# erin's code for a step after the last she used (the window takes one ahead)
erin_step=0
erin_code() {  # into $erincode (not in a subshell: erin_step must stay)
	local t; t=$(date +%s)
	[ $((t / 30)) -le $erin_step ] && t=$(((erin_step + 1) * 30))
	erin_step=$((t / 30))
	erincode=$(oathtool --totp -b $b32 -N "@$t")
}

USERS="alice bob carol dave erin"
# dumps NAME: what otpctl shows of the store, one file per view
dumps() {
	on "$1" --json users > "$WORK/$1.users"
	on "$1" audit --format json > "$WORK/$1.audit"
	for u in $USERS; do
		on "$1" --json devices "$u"
		on "$1" hosts "$u"
		on "$1" --json hosts "$u"
		on "$1" recovery "$u" --status
		on "$1" --json status "$u"
	done > "$WORK/$1.each" 2>&1
}
# same A B MIGRATES: B's dumps are A's, its audit trail with MIGRATES more records
same() {
	check "  $2: users, lock state and last logins as in $1" cmp "$WORK/$1.users" "$WORK/$2.users"
	check "  $2: devices, hosts, recovery codes left, status as in $1" \
		cmp "$WORK/$1.each" "$WORK/$2.each"
	check "  $2: the audit trail of $1, then $3 migrate record(s)" $PY -c '
import json,sys
a=open(sys.argv[1]).read().splitlines(); b=open(sys.argv[2]).read().splitlines(); n=int(sys.argv[3])
assert len(a) > 10 and b[:len(a)] == a and len(b) == len(a) + n, (len(a), len(b))
for l in b[len(a):]:
    r=json.loads(l)
    assert r["event"]=="migrate" and r["actor"].startswith("loginuid=") and r["host"]=="src-host", r
    assert r["detail"].startswith("from ") and "5 users, 6 devices, 10 recovery codes, 1 remembered hosts" in r["detail"], r
' "$WORK/$1.audit" "$WORK/$2.audit" "$3"
}
# raw_same A B MIGRATES: two LMDB stores hold the same bytes (B's audit: MIGRATES more)
raw_same() {
	check "  $2 holds the bytes of $1, record for record" $PY - "$1" "$2" "$3" <<'PYEOF'
import subprocess,sys
def pairs(store, db):
    out = subprocess.run(["mdb_dump", "-s", db, store], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    body = out[out.index("HEADER=END") + 1:out.index("DATA=END")]
    return list(zip(body[0::2], body[1::2]))
a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for db in ("users", "devices", "recovery", "hosts", "meta"):
    assert pairs(a, db) == pairs(b, db), db
x, y = pairs(a, "audit"), pairs(b, "audit")
assert y[:len(x)] == x and len(y) == len(x) + n, (len(x), len(y))
PYEOF
}
# goes_on NAME: the copy works where the source stopped
goes_on() {
	check_exit "  $1: erin's code used on the source is refused" 3 on "$1" verify erin "$erincode"
	has "  $1: as already used (a replay)" "already used"
	check_exit "  $1: alice's used HOTP code 1 is refused" 3 on "$1" verify alice "$(hotp 1)"
	check "  $1: alice logs in with the next one, 2" login "$1" alice "$(hotp 2)"
	check_exit "  $1: her used recovery code is refused" 3 on "$1" verify alice "$(rcode 0)"
	check "  $1: an unused one works" on "$1" verify alice "$(rcode 5)"
	check "  $1: alice's remembered host skips the code" login "$1" alice "" 192.0.2.10
	check "  $1: bob's fast phone logs in (drift kept)" login "$1" bob "$(bob_next)"
	check_exit "  $1: dave is still locked" 3 on "$1" verify dave "$(oathtool --totp -b $b32)"
	check "  $1: carol's device is still pending" sh -c "'$OTPCTL' --config '$WORK/$1.conf' devices carol | grep -q pending"
}
# roundtrip LABEL MIDDLE FINAL: source -> MIDDLE -> FINAL (an LMDB directory),
# the dumps taken first (the checks after them change the copies)
roundtrip() {
	local mid=$1-mid fin=$1-fin
	conf_for "$mid" "$2"; conf_for "$fin" "$3"
	erin_code
	check "$1: erin logs in on the source (a replay mark)" login src erin "$erincode"
	check "$1: migrate --to the middle store" ctl migrate --to "$2"
	has "  prints source and target counts" "^  users  *5  *5$"
	has "  and the audit records" "^  audit records  *[0-9][0-9]*  *[0-9][0-9]*$"
	check "$1: migrate --from the middle --to an LMDB store, as JSON" \
		ctl --json migrate --from "$2" --to "$3"
	check "  the counts in JSON" $PY -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r["source"]["users"]==5 and r["target"]["devices"]==r["source"]["devices"]==6, r
assert r["target"]["audit"]==r["source"]["audit"]+1 and r["skipped"]["devices"]==0, r
assert r["from"]==sys.argv[2] and r["to"]==sys.argv[3], r' "$WORK/out" "$2" "$3"
	dumps src; dumps "$mid"; dumps "$fin"
	raw_same "$WORK/store" "$3" 2
	goes_on "$mid"
	goes_on "$fin"
	same src "$mid" 1
	same src "$fin" 2
}

roundtrip lmdb "$WORK/t-mid" "$WORK/t-fin"
if [ -z "${OTP_MIGRATE_TARGET:-}" ] && ! pg_start; then
	echo "# no PostgreSQL server to start: LMDB -> PostgreSQL -> LMDB not run"
	OTP_MIGRATE_TARGET=none
fi
if [ "$OTP_MIGRATE_TARGET" != none ]; then
	roundtrip pg "$OTP_MIGRATE_TARGET" "$WORK/p-fin"
fi

# Records copied at their own (time, seq), then records added in that very
# second (the migrate record, a login): none may take a copied one's place.
# One frozen second by faketime, and a database of its own.
FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
at_x() { env LD_PRELOAD="$FAKELIB" FAKETIME="2031-01-01 00:00:00" FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"; }
if [ -n "${PGD:-}" ] && [ -n "$FAKELIB" ] && [[ ${TEST_PRELOAD:-} != *asan* ]]; then
	"$pg_bin/createdb" -h "$PGD" -U otpadmin otp2
	conf_for sec "$WORK/sec"
	conf_for sec-pg "host=$PGD user=otpadmin dbname=otp2"
	on sec init > /dev/null
	on sec enroll --force fay --secret $b32 --name phone --no-confirm --qr none >/dev/null 2>&1
	for _ in 1 2 3; do at_x "$OTPCTL" --config "$WORK/sec.conf" verify fay 000000 >/dev/null 2>&1; done
	check "same second: records of one second, then migrate in it" \
		at_x "$OTPCTL" --config "$WORK/sec.conf" migrate --to "host=$PGD user=otpadmin dbname=otp2"
	check_exit "  a login in that second on the copy: refused (locked), not a store error" 3 \
		at_x "$OTPCTL" --config "$WORK/sec-pg.conf" verify fay 000000
	check "  every record of that second is there" $PY -c '
import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
x=[e for e in r if e["time"]=="2031-01-01T00:00:00Z"]
assert len(x)>=6 and x[-2]["event"]=="migrate" and x[-1]["event"]=="locked", x' \
		<(on sec-pg audit --format json)
else
	ok "# skip: records of one second on PostgreSQL need the private cluster and faketime"
fi

# An older LMDB store may hold audit fields written raw (before they were
# cleaned on the way in): they arrive in PostgreSQL cleaned, not refused.
RAW_AUDIT="$TOP/${OTP_BUILD:-build}/tests/raw_audit"
if [ -n "${PGD:-}" ] && [ -x "$RAW_AUDIT" ]; then
	"$pg_bin/createdb" -h "$PGD" -U otpadmin otp3
	conf_for old "$WORK/old"
	on old init > /dev/null
	"$RAW_AUDIT" "$WORK/old.conf" auth_failure bob sshd $'x\ny' $'\e]52' $'ph\xffone' $'bad \xc3('
	check "an old store's raw audit record migrates to PostgreSQL" \
		on old migrate --to "host=$PGD user=otpadmin dbname=otp3"
	conf_for old-pg "host=$PGD user=otpadmin dbname=otp3"
	capture on old-pg audit --user bob
	has "  escaped, on one line" 'x\\ny.*\\x1b\]52.*ph\\xffone'
else
	ok "# skip: an old record to PostgreSQL needs the private cluster and raw_audit"
fi

# --- what migrate refuses
conf_for dup "$WORK/t-mid"
on dup --json users > "$WORK/before"; on dup audit --format json > "$WORK/before.audit"
check_exit "a target that holds records: refused (exit 1)" 1 ctl migrate --to "$WORK/t-mid"
has_err "  saying what it holds" "t-mid is not empty (5 users, 6 devices, 10 recovery codes, 1 remembered hosts, [0-9]* audit records); nothing migrated"
on dup --json users > "$WORK/after"; on dup audit --format json > "$WORK/after.audit"
check "  the target is unchanged" cmp "$WORK/before" "$WORK/after"
check "  not even audited" cmp "$WORK/before.audit" "$WORK/after.audit"
check_exit "the source itself: refused (exit 1)" 1 ctl migrate --to "$WORK/store"
has_err "  saying so" "the target is the source store"
check_exit "without --to: usage (exit 1)" 1 ctl migrate
check_exit "as JSON, an error object" 1 ctl --json migrate --to "$WORK/t-mid"
check "  with the message" grep -q '"error":.*is not empty' "$WORK/out"

head -c 32 /dev/urandom > "$WORK/other.key"; chmod 0400 "$WORK/other.key"
sed "s|^seal_key = .*|seal_key = \"$WORK/other.key\"|" "$CONF" > "$WORK/wrongkey.conf"
check_exit "another seal key than the source's: refused (exit 4)" 4 \
	"$OTPCTL" --config "$WORK/wrongkey.conf" migrate --to "$WORK/t-key"
has_err "  seal key does not match the source" "other.key: seal key does not match the source store"
check "  nothing was made" test ! -e "$WORK/t-key"

# records that do not decode: a device of zed and an audit record (raw, as
# a damaged store may hold them)
on src enroll --force zed --secret $b32 --name phone --no-confirm --qr none >/dev/null 2>&1
printf 'zed\\00\\00\\00\\00\\01\n\\01\\02\n' | mdb_load -T -s devices "$WORK/store"
printf '\\00\\00\\00\\00\\00\\00\\00\\01\\00\\00\\00\\00\n\\02\n' | mdb_load -T -s audit "$WORK/store"
check_exit "a device record that does not decode: refused (exit 4)" 4 ctl migrate --to "$WORK/t-bad"
has_err "  naming the user and the kind" "a device record of user 'zed' does not decode in .*store; nothing migrated (--skip-corrupt"
conf_for bad "$WORK/t-bad"
check "  the target holds nothing" on bad --json users
check "  no user there" $PY -c 'import json,sys; assert json.load(open(sys.argv[1]))["users"]==[]' "$WORK/out"
check "--skip-corrupt leaves them behind" ctl migrate --to "$WORK/t-bad" --skip-corrupt
has "  and counts them: the device" "^  devices  *7  *6  (1 corrupt left behind)$"
has "  and the audit record" "^  audit records .*(1 corrupt left behind)$"
check "  zed is there, without the device" sh -c "'$OTPCTL' --config '$WORK/bad.conf' --json users | grep -q '\"user\":\"zed\",\"devices\":0'"
check "  its audit record says what was left behind" sh -c "'$OTPCTL' --config '$WORK/bad.conf' audit --event migrate | grep -q '2 corrupt left behind'"
finish
