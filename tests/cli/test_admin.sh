#!/bin/bash
# The administrator's surface: audit dumps parsed by real JSON and CSV
# parsers, filters, --follow, users, remove, resync, backup, and imports from
# Debian's google-authenticator CLI and a pam_oath usersfile, each logged in
# through a PAM stack with codes from oathtool.
. "$(dirname "$0")/../lib.sh"
write_conf "lockout { deny = 0 }"
ctl init >/dev/null
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
login() {  # login USER CODE [RHOST]
	echo "$2" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester ${3:+-I rhost=$3} otp-login "$1" authenticate
}
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
py() { python3 -c "$@"; }

# --- a small day of logins, then the audit trail in every format
ctl enroll --force alice --type hotp --secret $b32 --name token --no-confirm --qr none >/dev/null
ctl enroll --force bob --secret $b32 --name phone --no-confirm --qr none >/dev/null
check "alice logs in from 192.0.2.10" login alice 755224 192.0.2.10
check_exit "alice fails from 198.51.100.7" 1 login alice 000000 198.51.100.7
check "bob logs in" login bob "$(oathtool --totp -b $b32)" 2001:db8::5

check "audit text" ctl audit
has "  header row" '^TIME  *EVENT  *USER  *SERVICE  *RHOST  *TTY  *DEVICE  *HOST  *ACTOR  *DETAIL'
has "  alice's success with device and rhost" 'auth_success  *alice  *otp-login  *192.0.2.10 .*token'

check "audit json" ctl audit --format json
cp "$WORK/out" "$WORK/audit.json"
check "  every line is a JSON object with the design's fields" py '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
assert rows, "no rows"
for r in rows:
    assert set(r)=={"time","event","user","service","rhost","tty","device","detail","host","actor"}, r
f=[r for r in rows if r["event"]=="auth_failure"]
assert len(f)==1 and f[0]["user"]=="alice" and f[0]["rhost"]=="198.51.100.7" and f[0]["detail"]=="code", f
s=[r for r in rows if r["event"]=="auth_success"]
assert {(r["user"],r["device"]) for r in s}=={("alice","token"),("bob","phone")}, s
import re
assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["time"]) for r in rows)
' "$WORK/audit.json"
check "  no code or secret in the trail" sh -c "! grep -q -e 755224 -e $b32 '$WORK/audit.json'"

check "audit csv" ctl audit --format csv
cp "$WORK/out" "$WORK/audit.csv"
check "  parses with a CSV parser, header first" py '
import csv,sys
rows=list(csv.DictReader(open(sys.argv[1], newline="")))
assert rows and list(rows[0])==["time","event","user","service","rhost","tty","device","detail","host","actor"]
assert any(r["event"]=="enroll" and r["detail"].startswith("hotp SHA1 6 digits") for r in rows), rows
' "$WORK/audit.csv"
ctl rename alice token 'token, "blue"' >/dev/null
check "  a name with a comma and quotes survives CSV" sh -c "'$OTPCTL' --config '$CONF' audit --format csv --event rename | python3 -c '
import csv,sys; r=list(csv.DictReader(sys.stdin)); assert r[-1][\"device\"]==\"token, \\\"blue\\\"\", r'"

check "--user filter" ctl --json audit --user bob
check "  only bob" py 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert r and all(x["user"]=="bob" for x in r)' "$WORK/out"
check "--event filter" ctl audit --format json --event auth_success
check "  two successes" test "$(wc -l < "$WORK/out")" -eq 2
check "--since 1h keeps everything" ctl audit --format json --since 1h
check "  all rows" test "$(wc -l < "$WORK/out")" -eq "$(ctl audit --format json | wc -l)"
check "--since in the future keeps nothing" ctl audit --format json --since 2999-01-01
check "  no rows" test ! -s "$WORK/out"
check "--until before everything keeps nothing" ctl audit --format json --until 2000-01-01T00:00:00Z
check "  no rows" test ! -s "$WORK/out"
check "--limit 2 keeps the newest two" ctl audit --format json --limit 2
check "  the last two rows" test "$(cat "$WORK/out")" = "$(ctl audit --format json | tail -n 2)"
check_exit "bad --since exits 1" 1 ctl audit --since yesterday
check_exit "unknown --event exits 1" 1 ctl audit --event nosuch

# --follow prints what is there, then records written after it started.
# It runs otpctl itself (not the ctl function) so that $! is otpctl.
lines() { [ "$(wc -l < "$WORK/follow.out")" -eq "$1" ]; }
within_10s() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }
ctl verify bob 000000 >/dev/null
before=$(ctl audit --format json --event verify | wc -l)
"$OTPCTL" --config "$CONF" audit --follow --format json --event verify > "$WORK/follow.out" 2>&1 &
follow_pid=$!
check "--follow first prints the $before records there" within_10s lines "$before"
ctl verify bob 000000 >/dev/null
check "--follow then streams the new one" within_10s lines $((before + 1))
check "  and it is the verify just made" py 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert r[-1]["event"]=="verify" and r[-1]["user"]=="bob"' "$WORK/follow.out"
kill $follow_pid; wait $follow_pid 2>/dev/null

# --- users, status, resync, backup, remove
check "users --json" ctl --json users
check "  both users with their devices" py '
import json,sys
u={x["user"]:x for x in json.load(open(sys.argv[1]))["users"]}
assert u["alice"]["active"]==1 and u["bob"]["active"]==1 and not u["alice"]["locked"], u
assert u["alice"]["last_login"]!="-"
' "$WORK/out"
check "status shows the failure" ctl status alice
has "  with its rhost" '198.51.100.7'

for c in 50 51; do codes+=("$(oathtool --hotp -c $c $hex)"); done
check "resync finds counters 50, 51" ctl resync alice 1 "${codes[0]}" "${codes[1]}"
check "  counter 52 logs in" login alice "$(oathtool --hotp -c 52 $hex)"
check_exit "  counter 51 does not" 1 login alice "${codes[1]}"
check_exit "resync with codes out of order exits 3" 3 ctl resync alice 1 "$(oathtool --hotp -c 61 $hex)" "$(oathtool --hotp -c 60 $hex)"
check_exit "resync of a TOTP device with codes that are not its own exits 3" 3 ctl resync bob 1 123456 654321

if lmdb_store; then
	check "backup while the store is open" ctl backup "$WORK/backup.mdb"
	check "  the copy opens with mdb_stat" mdb_stat -n -a "$WORK/backup.mdb"
	has "  and holds the users database" 'Status of users'
	check_exit "backup never overwrites" 1 ctl backup "$WORK/backup.mdb"
else
	skip_lmdb "backup: 4 checks of the copy"
	check "backup of a PostgreSQL store: refused" fails ctl backup "$WORK/backup.mdb"
	has_err "  pointing at pg_dump" "pg_dump"
	check "  no file made" test ! -e "$WORK/backup.mdb"
fi

check "remove bob" ctl remove bob
check_exit "  devices gone" 2 ctl devices bob
# rows USER TABLE: how many of the PostgreSQL table's rows are USER's
rows() {
	local col=user_name
	[ "$2" != users ] || col=name
	pg_sql "$PG_DB" "SELECT count(*) FROM pam_otp.$2 WHERE $col = '$1'"
}
for db in users devices recovery hosts; do
	if on_pg; then
		check "  nothing of bob in $db" test "$(rows bob $db)" = 0
	else
		check "  nothing of bob in $db" sh -c "! mdb_dump -p -s $db '$WORK/store' | grep -q bob"
	fi
done
check "  the removal is audited" sh -c "'$OTPCTL' --config '$CONF' audit --event user_removed | grep -q bob"
check_exit "remove again exits 2" 2 ctl remove bob

# --- import from Debian's google-authenticator
google-authenticator -t -d -f -r 3 -R 30 -w 3 -e 3 -q -Q NONE -C -s "$WORK/ga_totp" >/dev/null
check "import a TOTP google-authenticator file" ctl import google-authenticator gina "$WORK/ga_totp"
has "  reports what is not carried over" 'not carried over.*RATE_LIMIT'
gsecret=$(head -n 1 "$WORK/ga_totp")
check "  gina logs in with the same app" login gina "$(oathtool --totp -b "$gsecret")"
scratch=$(grep -E '^[0-9]{8}$' "$WORK/ga_totp" | head -n 1)
check "  a scratch code works" login gina "$scratch"
check_exit "  once" 1 login gina "$scratch"
check "  recovery status counts the rest" sh -c "'$OTPCTL' --config '$CONF' recovery gina --status | grep -q '2 of 3'"
check_exit "importing gina again is refused" 1 ctl import google-authenticator gina "$WORK/ga_totp"
google-authenticator -c -f -u -w 3 -e 1 -q -Q NONE -C -s "$WORK/ga_hotp" >/dev/null
hsecret=$(head -n 1 "$WORK/ga_hotp")
hcounter=$(sed -n 's/^" HOTP_COUNTER //p' "$WORK/ga_hotp")
check "import an HOTP google-authenticator file" ctl import google-authenticator hugo "$WORK/ga_hotp"
check "  hugo logs in at the file's counter" login hugo "$(oathtool --hotp -c "$hcounter" -b "$hsecret")"
printf 'JBSWY3DPEHPK3PXP\n" FROBNICATE\n' > "$WORK/ga_bad"
check_exit "a broken file is refused" 1 ctl import google-authenticator ivy "$WORK/ga_bad"
has_err "  naming file and line" "ga_bad:2: unknown option"
check_exit "  and nothing is written" 2 ctl devices ivy

# --- import a pam_oath usersfile
cat > "$WORK/users.oath" <<EOU
# pam_oath usersfile
HOTP      oh1 - $hex 5
HOTP      oh3 - $hex 5 $(oathtool --hotp -c 5 $hex) 2026-01-01T00:00:00L
HOTP/E/8  oh2 - $hex
HOTP/T30  ot1 - $hex
HOTP/T60/8 ot2 + $hex
HOTP      opw s3cret $hex
HOTP      obad - 3132zz
HOTP/T30  obad - $hex
EOU
check_exit "import oath reports the bad line (exit 1)" 1 ctl import oath "$WORK/users.oath"
has "  six devices imported" 'imported 6 devices; refused 1 lines; 1 static passwords'
has_err "  the bad line named" 'users.oath:8: the secret is not hex'
has_err "  the static password reported" 'users.oath:7: opw has a static password'
check_exit "  nothing for the user with the bad line" 2 ctl devices obad
check_exit "  the code pam_oath last accepted does not pass again" 1 login oh3 "$(oathtool --hotp -c 5 $hex)"
check "  the one after it does" login oh3 "$(oathtool --hotp -c 6 $hex)"
check "  HOTP counter carried over" login oh1 "$(oathtool --hotp -c 5 $hex)"
check_exit "  counter 4 stays behind" 1 login oh1 "$(oathtool --hotp -c 4 $hex)"
check "  HOTP/E/8" login oh2 "$(oathtool --hotp -d 8 -c 0 $hex)"
check "  HOTP/T30" login ot1 "$(oathtool --totp $hex)"
check "  HOTP/T60/8" login ot2 "$(oathtool --totp -s 60s -d 8 $hex)"
check_exit "re-import refuses enrolled users" 1 ctl import oath "$WORK/users.oath"
has "  none imported twice" 'imported 0 devices'
check "  oh1 still has one device" test "$("$OTPCTL" --config "$CONF" --json devices oh1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')" = 1
finish
