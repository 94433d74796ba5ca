#!/bin/bash
# otpctl as an administrator meets it when something is wrong: messages
# that say what was missing, the documented exit codes (0 ok, 1 usage,
# 2 not found, 3 invalid code, 4 store/config, 5 permission), --json
# errors parsed by a JSON parser, null times, global options after the
# verb, --version, restore, verify --dry-run, and who did what (actor,
# host) in the audit trail.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
write_conf "lockout { deny = 3 }
host_name = \"edge-1\""
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll alice --secret $b32 --name phone --no-confirm --qr none --force >/dev/null
ctl enroll alice --type hotp --secret JBSWY3DPEHPK3PXP --name token --qr none --force --no-confirm >/dev/null

# exactly: the whole of stderr is this one line
err_is() {
	if [ "$(cat "$WORK/err")" = "$2" ]; then ok "$1"; else
		not_ok "$1"; echo "#   got: $(head -3 "$WORK/err")"; echo "#  want: $2"; fi
}

# --- say what was missing, once, with exit 2
check_exit "confirm: unknown device" 2 ctl confirm alice phne 123456
err_is "  names device and user" "otpctl confirm: no device 'phne' for user alice"
check_exit "rename: unknown device" 2 ctl rename alice phne newname
err_is "  names device and user" "otpctl rename: no device 'phne' for user alice"
check_exit "revoke: unknown device" 2 ctl revoke alice phne
err_is "  names device and user" "otpctl revoke: no device 'phne' for user alice"
check_exit "revoke: unknown device id" 2 ctl revoke alice 17
err_is "  names the id" "otpctl revoke: no device '17' for user alice"
check_exit "resync: unknown device" 2 ctl resync alice phne 111111 222222
err_is "  names device and user" "otpctl resync: no device 'phne' for user alice"
for v in "confirm alcie phone 123456" "devices alcie" "rename alcie phone x" \
	 "revoke alcie phone" "resync alcie phone 1 2" "status alcie" "unlock alcie" \
	 "remove alcie" "hosts alcie" "hosts alcie --all" "recovery alcie" \
	 "recovery alcie --status" "verify alcie 123456" "verify alcie --dry-run 123456"; do
	# shellcheck disable=SC2086
	check_exit "$v: exit 2" 2 ctl $v
	err_is "  user 'alcie' is not enrolled" "otpctl ${v%% *}: user 'alcie' is not enrolled"
done

check_exit "a bad user name: exit 1" 1 ctl devices 'a b'
err_is "  said once" "otpctl devices: user name has a forbidden character"

# --- revoking a revoked device says so, by id and by name alike
check "revoke the token" ctl revoke alice token
check_exit "revoke it again by name" 1 ctl revoke alice token
err_is "  already revoked" "otpctl revoke: device 2 of alice is already revoked"
check_exit "revoke it again by id" 1 ctl revoke alice 2
err_is "  already revoked" "otpctl revoke: device 2 of alice is already revoked"

# --- backup into a missing directory: not found
lmdb check_exit "backup into a missing directory: exit 2" 2 ctl backup "$WORK/nodir/b.mdb"
lmdb has_err "  names the path" "$WORK/nodir/b.mdb: No such file or directory"

# --- a non-root user: 5 and "must be run as root", reads as well as writes
if id nobody >/dev/null 2>&1; then
	for v in "devices alice" "status alice" users "hosts alice" audit "backup $WORK/nb.mdb" \
		 "revoke alice phone" "verify alice 123456" "recovery alice --status"; do
		# shellcheck disable=SC2086
		check_exit "as nobody: $v: exit 5" 5 runuser -u nobody -- "$OTPCTL" --config "$CONF" $v
		has_err "  must be run as root" "^otpctl ${v%% *}: must be run as root"
	done
	check_exit "as nobody, --json: exit 5" 5 runuser -u nobody -- "$OTPCTL" --config "$CONF" users --json
	check "  the error is JSON on stdout" $PY -c '
import json,sys; e=json.load(open(sys.argv[1])); assert e["exit"]==5 and "must be run as root" in e["error"], e
' "$WORK/out"
else
	not_ok "no user nobody to run as"
fi

# --- --json: every verb's errors are one JSON object on stdout, stderr empty
json_err() {  # json_err DESCRIPTION CODE TEXT ARGS...
	local what=$1 want=$2 text=$3; shift 3
	check_exit "$what: exit $want" "$want" ctl --json "$@"
	if $PY -c '
import json,sys
lines=open(sys.argv[1]).read().splitlines()
e=json.loads(lines[-1])
assert set(e)=={"error","exit"} and e["exit"]==int(sys.argv[2]) and sys.argv[3] in e["error"], e
assert open(sys.argv[4]).read()=="", "stderr not empty"
' "$WORK/out" "$want" "$text" "$WORK/err"; then ok "  {\"error\", \"exit\": $want} on stdout"
	else not_ok "  {\"error\", \"exit\": $want} on stdout"; sed 's/^/#   /' "$WORK/out" "$WORK/err" | head -5; fi
}
json_err "json confirm" 2 "no device 'phne' for user alice" confirm alice phne 123456
json_err "json devices" 2 "user 'alcie' is not enrolled" devices alcie
json_err "json rename" 2 "no device" rename alice phne x
json_err "json revoke" 1 "already revoked" revoke alice token
json_err "json resync" 2 "no device" resync alice phne 1 2
json_err "json recovery" 1 "--count" recovery alice --count 0
json_err "json status" 2 "not enrolled" status alcie
json_err "json unlock" 2 "not enrolled" unlock alcie
json_err "json hosts" 2 "not enrolled" hosts alcie
json_err "json users (extra argument)" 1 "usage: otpctl" users extra
json_err "json remove" 2 "not enrolled" remove alcie
json_err "json verify: unknown user" 2 "not enrolled" verify alcie 123456
json_err "json audit" 1 "unknown event" audit --event nosuch
json_err "json import" 1 "usage: otpctl" import nosuchformat x
lmdb json_err "json backup" 2 "No such file" backup "$WORK/nodir/b.mdb"
lmdb json_err "json restore" 2 "" restore "$WORK/nosuch.mdb"
json_err "json rekey" 1 "usage: otpctl" rekey
json_err "json enroll" 1 "--type" enroll bob --type sms
json_err "json init (extra argument)" 1 "usage: otpctl" init extra
json_err "json unknown verb" 1 "unknown verb 'frobnicate'" frobnicate
json_err "json unknown option" 1 "unknown option" --frob users
json_err "json unknown verb option" 1 "usage: otpctl" devices alice --frob
json_err "json config error" 4 "$WORK/nosuch.conf" --config "$WORK/nosuch.conf" users
printf 'HOTP oscar - 3132333435363738393031323334353637383930\nnot a usersfile line\n' > "$WORK/oath"
chmod 0600 "$WORK/oath"
check_exit "import oath --json with a refused line: exit 1" 1 ctl import oath "$WORK/oath" --json
check "  one object: the summary with error and exit" $PY -c '
import json,sys; l=open(sys.argv[1]).read().splitlines(); assert len(l)==1, l
r=json.loads(l[0]); assert r["exit"]==1 and r["error"] and r["refused_lines"]==1 and r["imported"]==1, r
' "$WORK/out"
check_exit "verify --json with an invalid code prints the answer, exit 3" 3 ctl verify alice 000000 --json
check "  {valid: false}" $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["valid"] is False, r' "$WORK/out"
ctl unlock alice >/dev/null  # that wrong code was charged

# --- null for absent times
check "devices --json" ctl --json devices alice
check "  last_used of an unused device is null" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))["devices"]; assert d[0]["last_used"] is None and d[0]["created"], d' "$WORK/out"
check "users --json" ctl --json users
check "  last_login and locked_until null" $PY -c '
import json,sys; u=json.load(open(sys.argv[1]))["users"][0]; assert u["last_login"] is None and u["locked_until"] is None, u' "$WORK/out"
check "status --json" ctl --json status alice
check "  first_failure, last_login, locked_until null" $PY -c '
import json,sys; s=json.load(open(sys.argv[1]))
assert s["first_failure"] is None and s["last_login"] is None and s["locked_until"] is None, s' "$WORK/out"
check_exit "text keeps '-' for never" 0 ctl status alice
has "  last login: -" '^last login:  -$'

# --- global options after the verb
check "users --json (after the verb)" "$OTPCTL" users --json --config "$CONF"
check "  JSON, with the config given after the verb" $PY -c 'import json,sys; json.load(open(sys.argv[1]))["users"]' "$WORK/out"
check "devices alice --config=PATH --json" "$OTPCTL" devices alice "--config=$CONF" --json
check "  JSON" $PY -c 'import json,sys; json.load(open(sys.argv[1]))["devices"]' "$WORK/out"

# --- --version
check "--version" "$OTPCTL" --version
has "  otpctl and a version" '^otpctl [0-9][0-9.]*'
check "--json --version" "$OTPCTL" --json --version
check "  {\"version\": ...}" $PY -c 'import json,sys; assert json.load(open(sys.argv[1]))["version"]' "$WORK/out"

# --- verify: help tells about the lockout; --dry-run neither uses up nor charges
check "verify -h" ctl verify -h
has "  says a wrong code counts toward the lockout" "counts toward the lockout"
has "  offers --dry-run" "dry-run"
for _ in 1 2 3 4; do ctl verify alice --dry-run 000000 >/dev/null; done
check "4 wrong dry runs with deny = 3" ctl --json status alice
check "  charged nothing: not locked, 0 failures" $PY -c '
import json,sys; s=json.load(open(sys.argv[1])); assert s["locked"] is False and s["failures"]==0, s' "$WORK/out"
code=$(oathtool --totp -b $b32)
check "verify --dry-run with the right code" ctl verify alice --dry-run "$code"
has "  valid, dry run" "^valid (phone; dry run"
check "  the same code still verifies for real: not used up" ctl verify alice "$code"
check_exit "  and then it is used (replay)" 3 ctl verify alice --dry-run "$code"
check "audit of the dry runs" ctl audit --json --event verify
check "  verify records with detail 'dry run: ...'" $PY -c '
import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]
d=[x["detail"] for x in r]
assert d.count("dry run: invalid")==4 and "dry run: valid" in d and "dry run: already used" in d, d' "$WORK/out"
check_exit "a real wrong verify is charged" 3 ctl verify alice 000000
check "  failures 1" $PY -c 'import json,subprocess,sys
s=json.loads(subprocess.run(sys.argv[1:], capture_output=True).stdout); assert s["failures"]==1, s' \
	"$OTPCTL" --config "$CONF" --json status alice
ctl unlock alice >/dev/null

# --- who did what: actor and host
check "a change under sudo" env SUDO_USER=admin "$OTPCTL" --config "$CONF" rename alice phone phone2
check "audit json" ctl audit --json --event rename
check "  actor: login uid and SUDO_USER; host: host_name" $PY -c '
import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert r["actor"].startswith("loginuid=") and r["actor"].endswith(",sudo_user=admin"), r
assert r["host"]=="edge-1", r' "$WORK/out"
check "audit csv" ctl audit --format csv --event rename
check "  host and actor are the last columns" $PY -c '
import csv,sys; r=list(csv.DictReader(open(sys.argv[1], newline="")))
assert list(r[0])[-2:]==["host","actor"] and r[-1]["host"]=="edge-1" and "sudo_user=admin" in r[-1]["actor"], r' "$WORK/out"
check "audit text" ctl audit --event rename
has "  HOST and ACTOR columns" '^TIME .* DEVICE  *HOST  *ACTOR  *DETAIL$'
has "  the row shows them" 'edge-1  *loginuid=[^ ]*,sudo_user=admin '
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
echo 000000 | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
	PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-login alice authenticate >/dev/null 2>&1
check "a login's record" ctl audit --json --event auth_failure
check "  host from host_name, no actor" $PY -c '
import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert r["host"]=="edge-1" and r["actor"]=="" and r["service"]=="otp-login", r' "$WORK/out"

# --- restore
if lmdb_store; then
	check "backup" ctl backup "$WORK/b1.mdb"
	check_exit "restore over a store with users: refused without --force" 1 ctl restore "$WORK/b1.mdb"
	has_err "  says it is not empty, and what it holds" "is not empty ([0-9]* users, [0-9]* devices"
	ctl remove alice >/dev/null; ctl remove oscar >/dev/null
	check_exit "  with its users removed: its audit trail would go, so still refused" 1 \
		ctl restore "$WORK/b1.mdb"
	has_err "  naming the audit records" "[0-9]* audit records"
	check "  --force replaces it" ctl restore "$WORK/b1.mdb" --force
	check "  alice is back" ctl devices alice
	has "  with her device" "phone2 .* active"
	check "  and logs in" ctl verify alice "$(oathtool --totp -b $b32 -N '+30 seconds')"
	check "restore --force over a store with users" ctl restore "$WORK/b1.mdb" --force
	check "  audited as restore, with the actor" ctl audit --json --event restore
	check "  one record per restore" $PY -c '
import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]
assert len(r)>=1 and r[-1]["actor"].startswith("loginuid=") and "b1.mdb" in r[-1]["detail"], r' "$WORK/out"
	check_exit "restore of a missing file: exit 2" 2 ctl restore "$WORK/nosuch.mdb"
	echo "not a store" > "$WORK/junk.mdb"; chmod 0600 "$WORK/junk.mdb"
	check_exit "restore of a file that is no store: exit 1" 1 ctl restore "$WORK/junk.mdb" --force
	has_err "  says so" "not a pam_otp store backup"
	ln -s "$WORK/b1.mdb" "$WORK/link.mdb"
	check_exit "restore through a symlink: refused (exit 4)" 4 ctl restore "$WORK/link.mdb" --force
	cp "$WORK/b1.mdb" "$WORK/loose.mdb"; chmod 0644 "$WORK/loose.mdb"
	check_exit "restore of a group/other-readable file: refused (exit 4)" 4 ctl restore "$WORK/loose.mdb" --force
	# another host, another key: the backup is refused by the key check
	other="$WORK/other"; mkdir -p "$other"
	sed -e "s|$WORK/store|$other/store|" -e "s|$WORK/seal.key|$other/seal.key|" "$CONF" > "$other/conf"
	chmod 0644 "$other/conf"
	"$OTPCTL" --config "$other/conf" init >/dev/null
	check_exit "restore on a host with another seal key: exit 4" 4 \
		"$OTPCTL" --config "$other/conf" restore "$WORK/b1.mdb"
	has_err "  the key check refuses it" "seal key does not match the backup"
	check "  nothing was restored" "$OTPCTL" --config "$other/conf" --json users
	check "  no users there" $PY -c 'import json,sys; assert json.load(open(sys.argv[1]))["users"]==[]' "$WORK/out"
	cp "$WORK/seal.key" "$other/seal.key"; rm -rf "$other/store"
	"$OTPCTL" --config "$other/conf" init >/dev/null
	check "with the backup's key installed it restores" "$OTPCTL" --config "$other/conf" restore "$WORK/b1.mdb"
	check "  and the store's key check holds: verify works there" "$OTPCTL" --config "$other/conf" \
		verify alice --dry-run "$(oathtool --totp -b $b32 -N '+30 seconds')"
	head -c 32 /dev/urandom > "$WORK/k2"; chmod 0400 "$WORK/k2"
	sed -i "s|$other/seal.key|$WORK/k2|" "$other/conf"
	check_exit "  and another key is refused by it (exit 4)" 4 "$OTPCTL" --config "$other/conf" \
		verify alice --dry-run 123456
	has_err "  seal key does not match" "seal key does not match this store"
else
	skip_lmdb "restore: 25 checks of backups restored and refused"
	# what the restore part shows of the key check, on a shared store: a
	# host with another seal key is refused
	head -c 32 /dev/urandom > "$WORK/k2"; chmod 0400 "$WORK/k2"
	sed "s|^seal_key = .*|seal_key = \"$WORK/k2\"|" "$CONF" > "$WORK/k2.conf"; chmod 0644 "$WORK/k2.conf"
	check_exit "a config with another seal key: refused (exit 4)" 4 "$OTPCTL" --config "$WORK/k2.conf" \
		verify alice --dry-run 123456
	has_err "  seal key does not match" "seal key does not match this store"
fi

# --- map_size_mb is a starting size
check "pam_otp.conf.5 and the sample say map_size_mb is a starting size" sh -c "
grep -q 'starting size' '$TOP/etc/pam_otp.conf' && grep -q 'starting size' '$TOP/man/pam_otp.conf.5'"
finish
