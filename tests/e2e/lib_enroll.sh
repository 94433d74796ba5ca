# Shared by the suites of enrollment at login over real sshd and sudo
# (test_sshd_enroll.sh, test_sudo_enroll.sh): source it after lib_e2e.sh.
# The tools that read what the user was shown (a failed check and the end
# when one is missing), the prompt's fixed lines, the expect clauses that
# answer it, and looks at the user's devices and audit trail.
for tool in oathtool zbarimg; do
	command -v $tool >/dev/null || { not_ok "$tool installed (scripts/deps.sh test)"; finish; exit; }
done
PY=/usr/bin/python3
FIRST="You have no authenticator device yet: enroll one now."
SCAN="Scan this QR code with an authenticator app, or type the secret into it."

# enroll_expect: the clauses of an expect block that answer the enrollment
# prompt (the script sets secret "" before it spawns; its environment has
# ENROLL and TYPED): ENROLL "-": the prompt must not appear (exit 5), else
# it is answered with the oathtool code of the secret it shows, which is
# written to the file TYPED (exit 6: a code asked with no secret shown).
enroll_expect() {
	cat <<EOX
	"$FIRST" {
		if {\$env(ENROLL) eq "-"} { exit 5 }
		exp_continue
	}
EOX
	cat <<'EOX'
	-re {\nSecret: ([A-Z2-7 ]+)\r\n} {
		set secret [string map {" " ""} $expect_out(1,string)]
		exp_continue
	}
	-re {\nCode from the app[^\r\n]*: $} {
		if {$secret eq ""} { exit 6 }
		set f [open $env(TYPED) w]; puts $f $secret; close $f
		send -- "[exec oathtool --totp -b $secret]\r"; exp_continue
	}
EOX
}

# enroll_shown: what the last session (TRANSCRIPT) showed of the enrollment
# prompt: the transcript without carriage returns in $WORK/seen, the QR code
# (the lines between SCAN and "Secret: ") in $WORK/qr.txt, and uri and
# secret, its "URI:" and "Secret:" lines (the secret without spaces).
enroll_shown() {
	tr -d '\r' < "$TRANSCRIPT" > "$WORK/seen"
	sed -n "/$SCAN/,/^Secret: /{/$SCAN/d;/^Secret: /d;p}" "$WORK/seen" > "$WORK/qr.txt"
	uri=$(sed -n 's/^URI: //p' "$WORK/seen")
	secret=$(sed -n 's/^Secret: //p' "$WORK/seen" | tr -d ' ')
}

is() {  # is DESCRIPTION GOT WANT: GOT is WANT, and not empty
	if [ -n "$2" ] && [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"; echo "#   got:  $(printf %q "$2")"; echo "#   want: $(printf %q "$3")"; fi
}
devices() {  # devices: "NAME:STATE" of each of the user's devices
	ctl --json devices "$E2E_USER" 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
if "devices" not in d and "not enrolled" not in d.get("error", ""):
    print("error: %s" % d)
for dev in d.get("devices", []):
    print("%s:%s" % (dev["name"], dev["state"]))'
}
audit_field() {  # audit_field EVENT FIELD: that field of each EVENT record
	ctl audit --user "$E2E_USER" --event "$1" --format json | "$PY" -c '
import json, sys
for l in sys.stdin:
    if l.strip():
        print(json.loads(l)[sys.argv[1]])' "$2"
}
