#!/bin/bash
# Hostile text in the audit trail (issue 11, item 7): user names shaped as
# spreadsheet formulas, and PAM_RHOST / PAM_TTY with newlines, terminal
# escapes and invalid UTF-8, written through real PAM logins (pamtester);
# then every otpctl output that prints them: one line per record in text,
# no formula in CSV, no record missing from JSON. Also a record with raw
# bytes as a store from before the cleaning may hold, and device names.
. "$(dirname "$0")/../lib.sh"
RAW_AUDIT="$TOP/${OTP_BUILD:-build}/tests/raw_audit"
write_conf "lockout { deny = 0 }"
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
ctl init >/dev/null
key=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
key2=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U  # a second device of a user has its own secret

login() {  # login USER CODE RHOST TTY
	echo "$2" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" \
		pamtester -I rhost="$3" -I tty="$4" otp-login "$1" authenticate >/dev/null 2>&1
}

# python3 CHECK: run a Python check on the last command's stdout (bytes in
# sys.stdin.buffer); it prints what is wrong, nothing when all is well.
pycheck() {
	local what=$1 prog=$2 msg; shift 2
	msg=$(python3 -c "$prog" "$@" <"$WORK/out" 2>&1)
	if [ -z "$msg" ]; then ok "$what"; else not_ok "$what"; echo "$msg" | sed 's/^/#   /' | head -5; fi
}

# Every line valid UTF-8 without a control character (tab included);
# argv[1]: the number of lines wanted.
lines_safe='
import sys, unicodedata
data = sys.stdin.buffer.read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(print("invalid UTF-8:", e))
lines = text.split("\n")
if lines[-1] != "": print("no final newline")
lines = lines[:-1]
if len(lines) != int(sys.argv[1]): print("lines:", len(lines), "want", sys.argv[1])
for l in lines:
    bad = [c for c in l if unicodedata.category(c) == "Cc" or c in "\u2028\u2029\u202e"]
    if bad: print("control character in:", repr(l))
'

users=('=1+2' '+cmd|calc!A0' '-2+3' '@SUM(1+1)' '=HYPERLINK("x","y")')
rhosts=($'192.0.2.1\n2026-01-01T00:00:00Z auth_success     root             sshd       10.0.0.1' \
	$'\xff\xfe' $'198.51.100.7\r' $'\xc2\x9b31m' 'back\slash\n')
ttys=($'\e[2J\e]0;owned\a' $'pts/\xc3' $'\t=1+2' $'\xe2\x80\xaetxt.exe' $'\x7f')
n=0
for i in "${!users[@]}"; do
	u=${users[$i]}
	check "enroll a user named $u" ctl enroll --force --secret $key --no-confirm --qr none -- "$u"
	n=$((n + 1))
	login "$u" 000000 "${rhosts[$i]}" "${ttys[$i]}"
	n=$((n + 1))
done
u=${users[0]}
code=$(oathtool --totp -b $key)
check "a good code from a hostile rhost and tty is accepted" login "$u" "$code" $'10.9.8.7\n' $'\e[0m'
n=$((n + 1))

# JSON: every record, parsed line by line, exit 0
check "audit --format json exits 0" ctl audit --format json
pycheck "audit json: one parsable object per record, none dropped" '
import sys, json
lines = sys.stdin.buffer.read().decode("utf-8").splitlines()
if len(lines) != int(sys.argv[1]): print("records:", len(lines), "want", sys.argv[1])
recs = [json.loads(l) for l in lines]
rh = [r["rhost"] for r in recs]
for want in ["192.0.2.1\\n2026-01-01", "\\xff\\xfe", "198.51.100.7\\r", "\\xc2\\x9b31m",
             "back\\\\slash\\\\n"]:
    if not any(h.startswith(want) for h in rh): print("no rhost", repr(want), "in", rh)
tt = [r["tty"] for r in recs]
for want in ["\\x1b[2J\\x1b]0;owned\\x07", "pts/\\xc3", "\\t=1+2", "\\xe2\\x80\\xaetxt.exe", "\\x7f"]:
    if want not in tt: print("no tty", repr(want), "in", tt)
' $n

# text: one line per record, nothing a terminal would act on
check "audit (text) exits 0" ctl audit
pycheck "audit text: one line per record, no control character or bad UTF-8" "$lines_safe" \
	$((n + 1))
has "audit text: the forged line is one escaped field" '192\.0\.2\.1\\n2026-01-01T'
check "audit --limit 3 exits 0" ctl audit --limit 3
pycheck "audit --limit 3: header and 3 lines" "$lines_safe" 4

# CSV: read back by Python's csv module; formulas guarded with a quote
check "audit --format csv exits 0" ctl audit --format csv
pycheck "audit csv: parsed by csv, no cell a spreadsheet would run" '
import sys, csv, io
rows = list(csv.reader(io.StringIO(sys.stdin.buffer.read().decode("utf-8"), newline="")))
if len(rows) != int(sys.argv[1]) + 1: print("rows:", len(rows))
for r in rows:
    if len(r) != 10: print("cells:", r)  # host and actor last
    for c in r:
        if c[:1] in ("=", "+", "-", "@", "\t", "\r"): print("formula cell:", repr(c))
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in c): print("control in cell:", repr(c))
users = {r[2] for r in rows[1:]}
for u in sys.argv[2:]:
    if "\x27" + u not in users: print("user", repr(u), "not as", repr("\x27" + u), "in", users)
' $n "${users[@]}"

# --user finds the hostile names; status shows their failures safely
check "audit --user =1+2 --format json" ctl audit --user '=1+2' --format json
pycheck "audit --user: that user's three records" '
import sys, json
recs = [json.loads(l) for l in sys.stdin.buffer.read().decode().splitlines()]
if len(recs) != 3 or {r["user"] for r in recs} != {"=1+2"}: print(recs)
'
for i in 0 1; do
	u=${users[$i]}
	check "status $u" ctl status "$u"
	pycheck "status $u: escaped, one line per failure" "$lines_safe" 7
	check "status --json $u" ctl --json status "$u"
	pycheck "status --json $u: its failure with the rhost escaped" '
import sys, json
s = json.loads(sys.stdin.buffer.read().decode())
f = s["recent_failures"]
if len(f) != 1 or f[0]["rhost"] != sys.argv[1]: print(f)
' "$([ $i = 0 ] && echo '192.0.2.1\n2026-01-01T00:00:00Z auth_success     root             sshd       10.0.0.1' || echo '\xff\xfe')"
done

# device names: clean UTF-8 only, refused with the problem named
u=${users[0]}
check_exit "enroll --name with invalid UTF-8 is refused" 1 \
	ctl enroll --force "$u" --name $'phone\xff' --secret $key2 --no-confirm --qr none
has_err "  the error says it is not valid UTF-8" 'not valid UTF-8'
check_exit "enroll --name with an escape sequence is refused" 1 \
	ctl enroll --force "$u" --name $'ph\e[2Jone' --secret $key2 --no-confirm --qr none
has_err "  the error names a control character" 'control'
check_exit "enroll --name with a C1 control is refused" 1 \
	ctl enroll --force "$u" --name $'ph\xc2\x9bone' --secret $key2 --no-confirm --qr none
check "enroll --name with multibyte UTF-8 is accepted" \
	ctl enroll --force "$u" --name $'T\xc3\xa9l\xc3\xa9phone \xe2\x98\x8e' --secret $key2 --no-confirm --qr none
n=$((n + 1))
check_exit "rename to invalid UTF-8 is refused" 1 ctl rename "$u" device1 $'x\xc3'
has_err "  the error says it is not valid UTF-8" 'not valid UTF-8'
check_exit "rename to a name with a newline is refused" 1 ctl rename "$u" device1 $'a\nb'
check "devices lists the UTF-8 name" ctl devices "$u"
has "  as it is" $'T\xc3\xa9l\xc3\xa9phone \xe2\x98\x8e'
check "devices --json" ctl --json devices "$u"
pycheck "  parses, with both devices" '
import sys, json
d = json.loads(sys.stdin.buffer.read().decode())["devices"]
if [x["name"] for x in d] != ["device1", "T\u00e9l\u00e9phone \u260e"]: print(d)
'
check "users" ctl users
pycheck "users: one line per user, escaped" "$lines_safe" 6
check "users --json" ctl --json users
pycheck "users --json lists all five" '
import sys, json
u = json.loads(sys.stdin.buffer.read().decode())["users"]
if len(u) != 5: print(u)
'

# A record as an old store holds it: raw bytes, never cleaned (an LMDB
# store from before the cleaning; PostgreSQL stores are newer)
if on_pg; then
	skip_lmdb "an old record with raw bytes: 11 checks (raw records)"
elif [ -x "$RAW_AUDIT" ]; then
	check "an old record with raw bytes is written" "$RAW_AUDIT" "$CONF" auth_failure '=1+2' \
		sshd $'203.0.113.9\nfake line' $'\e]52;c;aGk=\a' $'ph\xffone' $'bad \xc3(\xe2\x80\xae'
	n=$((n + 1))
	check "audit --format json with the old record exits 0" ctl audit --format json
	pycheck "  the old record is there, escaped" '
import sys, json
recs = [json.loads(l) for l in sys.stdin.buffer.read().decode("utf-8").splitlines()]
if len(recs) != int(sys.argv[1]): print("records:", len(recs), "want", sys.argv[1])
r = recs[-1]
want = {"rhost": "203.0.113.9\\nfake line", "tty": "\\x1b]52;c;aGk=\\x07",
        "device": "ph\\xffone", "detail": "bad \\xc3(\\xe2\\x80\\xae"}
for k, v in want.items():
    if r[k] != v: print(k, repr(r[k]), "want", repr(v))
' $n
	check "audit text with the old record" ctl audit
	pycheck "  one line per record, no control character" "$lines_safe" $((n + 1))
	check "audit csv with the old record" ctl audit --format csv
	pycheck "  parsed by csv, the old user guarded" '
import sys, csv, io
rows = list(csv.reader(io.StringIO(sys.stdin.buffer.read().decode("utf-8"), newline="")))
if len(rows) != int(sys.argv[1]) + 1 or rows[-1][2] != "\x27=1+2": print(rows[-1])
' $n
	check "status with the old record" ctl status '=1+2'
	pycheck "  escaped, one line per failure" "$lines_safe" 8
	check "status --json with the old record" ctl --json status '=1+2'
	pycheck "  both failures there" '
import sys, json
f = json.loads(sys.stdin.buffer.read().decode())["recent_failures"]
if len(f) != 2 or f[0]["detail"] != "bad \\xc3(\\xe2\\x80\\xae": print(f)
'
else
	not_ok "old-store case: $RAW_AUDIT is missing (make $OTP_BUILD/tests/raw_audit)"
fi

# --follow: a hostile record arrives as one line, the next record right after
# (bash forgets FOLLOW and FOLLOW_PID when the coprocess ends: keep copies)
coproc FOLLOW { exec "$OTPCTL" --config "$CONF" audit --follow 2>&1; }
follow_pid=$FOLLOW_PID
exec {follow_fd}<&"${FOLLOW[0]}"
ok_follow=1
for _ in $(seq 0 $n); do  # header + the records so far
	IFS= read -r -t 20 line <&$follow_fd || ok_follow=0
done
login "${users[1]}" 000000 $'10.1.1.1\nFORGED follow line' $'\e[31m'
IFS= read -r -t 20 line1 <&$follow_fd || ok_follow=0
login "${users[2]}" 000000 'marker-host' tty9
IFS= read -r -t 20 line2 <&$follow_fd || ok_follow=0
kill "$follow_pid" 2>/dev/null
wait "$follow_pid" 2>/dev/null
exec {follow_fd}<&-
if [ $ok_follow = 1 ] && [[ $line1 == *'10.1.1.1\nFORGED follow line'*'\x1b[31m'* ]] &&
	[[ $line1 != *$'\e'* ]] && [[ $line2 == *marker-host* ]]; then
	ok "audit --follow: the hostile record is one escaped line"
else
	not_ok "audit --follow: the hostile record is one escaped line"
	printf '#   %q\n#   %q\n' "${line1:-}" "${line2:-}"
fi
finish
