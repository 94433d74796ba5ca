#!/bin/bash
# The unknown-name summaries (one record per source and minute, rewritten
# in place) as the administrator sees them: audit --follow shows them grow,
# and restore does not silently drop an audit trail.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
write_conf ""
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll alice --type hotp --secret $b32 --no-confirm --qr none --force >/dev/null 2>&1
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
login() {  # login USER CODE
	echo "$2" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester -I rhost=203.0.113.9 otp-login "$1" \
		authenticate >/dev/null 2>&1
}

# --follow: a summary behind the position (alice's failure came after it)
# is shown again as it grows; the last count shown per minute adds up
coproc FOLLOW { exec "$OTPCTL" --config "$CONF" audit --follow --format json 2>&1; }
follow_pid=$FOLLOW_PID
exec {follow_fd}<&"${FOLLOW[0]}"
: > "$WORK/follow.json"
read_until() {  # read_until PATTERN: lines into follow.json until one matches (20 s at most)
	local line
	while IFS= read -r -t 20 line <&$follow_fd; do
		echo "$line" >> "$WORK/follow.json"
		[[ $line == *$1* ]] && return 0
	done
	return 1
}
login ghost1 000000
check "follow shows the first unknown-name failure" read_until '"(unknown)"'
login alice 000000
check "  then alice's failure" read_until '"alice"'
login ghost2 000000
login ghost3 000000
check "  and the summary again as it grows" read_until "last 'ghost3'"
kill "$follow_pid" 2>/dev/null
wait "$follow_pid" 2>/dev/null
exec {follow_fd}<&-
check "  the last count shown for each minute adds up to 3" $PY -c '
import json, sys
last = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["user"] == "(unknown)":
        last[r["time"]] = int(r["detail"].split()[0])
assert sum(last.values()) == 3, last
' "$WORK/follow.json"

# restore: a store whose only content is its audit trail is not replaced
# without --force
if lmdb_store; then
	mkdir -m 0700 "$WORK/b"
	cat > "$WORK/b.conf" <<-EOC
	store = "$WORK/b/store"
	seal_key = "$WORK/seal.key"
	audit { syslog = false }
	EOC
	chmod 0644 "$WORK/b.conf"
	"$OTPCTL" --config "$WORK/b.conf" init >/dev/null 2>&1
	ctl backup "$WORK/backup.mdb" >/dev/null
	ghost_only() { "$OTPCTL" --config "$WORK/b.conf" "$@"; }
	echo "auth required $MODULE config=$WORK/b.conf nodelay" > "$WORK/svc/otp-b"
	echo 000000 | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-b nosuchuser authenticate >/dev/null 2>&1
	check_exit "restore over a store holding only an audit trail: refused" 1 \
		ghost_only restore "$WORK/backup.mdb"
	has_err "  saying it holds audit records" "1 audit records"
	check "  with --force it is replaced" ghost_only restore "$WORK/backup.mdb" --force
else
	skip_lmdb "restore over a store holding only an audit trail: 3 checks"
fi
finish
