# Out-of-band delivery for the email/SMS suites: a real SMTP server
# (smtpd.py, aiosmtpd) fed by msmtp, and an SMS gateway (smsd.py, HTTP)
# fed by curl, both on 127.0.0.1 at ports the kernel picks, storing what
# they receive as files the suite reads codes from.
#
# Source it after tests/lib.sh (or tests/e2e/lib_e2e.sh): it uses WORK and
# chains its cleanup before theirs on EXIT.
#
# The module runs the delivery command as oob.run_as (nobody) when the
# caller is root, so what msmtp reads must be reachable by nobody: WORK
# (0700 from mktemp) becomes 0711, not listable, and OOB_DIR below it 0755.

OOB_PY=/usr/bin/python3          # Debian's interpreter, where python3-aiosmtpd is
OOB_HERE="$TOP/tests/oob"
OOB_DIR="$WORK/oob"
OOB_MAIL="$OOB_DIR/mail"         # smtpd.py: mail-NNNN.eml
OOB_SMS="$OOB_DIR/sms"           # smsd.py: sms-NNNN.txt; a file "fail" here makes it answer 500
OOB_MSMTPRC="$OOB_DIR/msmtprc"
OOB_SMTP_PID="" OOB_SMTP_PORT=""
OOB_SMS_PID="" OOB_SMS_PORT=""
OOB_DEADLINE=${OOB_DEADLINE:-10} # seconds any wait below may take
chmod 0711 "$WORK"
mkdir -m 0755 "$OOB_DIR" "$OOB_MAIL" "$OOB_SMS"

# oob_missing: names the tools this harness needs that are not installed
# (nothing when all are); the suite fails with it rather than skipping.
oob_missing() {
	local miss=""
	[ -x /usr/bin/msmtp ] || miss="$miss msmtp"
	[ -x /usr/bin/curl ] || miss="$miss curl"
	"$OOB_PY" -c 'import aiosmtpd' 2>/dev/null || miss="$miss python3-aiosmtpd"
	echo "${miss# }"
}

# oob_servers smtp [sms]: the head of a delivery suite. A tool missing
# (oob_missing) fails the suite right there (finish, exit); then a check
# that each server named listens (oob_smtp_start, oob_sms_start). Status 1
# when one did not come up: the suite ends (|| { finish; exit; }) or goes on.
oob_servers() {
	local miss s rc=0
	miss=$(oob_missing)
	if [ -n "$miss" ]; then
		not_ok "delivery tools installed (missing: $miss; scripts/deps.sh test)"; finish; exit
	fi
	for s in "$@"; do
		case $s in
		smtp)
			check "the SMTP server listens on loopback" oob_smtp_start
			[ -n "$OOB_SMTP_PORT" ] || rc=1 ;;
		sms)
			check "the SMS gateway listens on loopback" oob_sms_start
			[ -n "$OOB_SMS_PORT" ] || rc=1 ;;
		*) return 2 ;;
		esac
	done
	return $rc
}

# The servers stop with the suite, whichever way it ends: oob_cleanup runs
# first, then the EXIT trap that was there (lib.sh's, lib_e2e's).
oob_prev_exit=$(trap -p EXIT)
oob_cleanup() {
	oob_stop smtp
	oob_stop sms
	if [ -n "$oob_prev_exit" ]; then
		eval "set -- $oob_prev_exit"  # trap -- 'COMMAND' EXIT
		eval "$3"
	fi
}
trap oob_cleanup EXIT

# oob_until SECONDS COMMAND...: poll COMMAND (every 50 ms) until it
# succeeds or SECONDS pass; the status of its last run.
oob_until() {
	local end=$(( ${EPOCHREALTIME/./} + $1 * 1000000 )); shift
	until "$@"; do
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# oob_serve NAME SCRIPT DIR: start SCRIPT (smtpd.py, smsd.py) storing into
# DIR; sets oob_pid and oob_port once it listens. Returns 1 when it did not
# come up within OOB_DEADLINE (its log is $OOB_DIR/NAME.log).
oob_serve() {
	local name=$1 script=$2 dir=$3 portfile="$OOB_DIR/$1.port"
	rm -f "$portfile"
	"$OOB_PY" "$OOB_HERE/$script" "$portfile" "$dir" >>"$OOB_DIR/$name.log" 2>&1 &
	oob_pid=$!
	oob_port=""
	oob_until "$OOB_DEADLINE" oob_up_or_dead "$portfile" "$oob_pid"
	if [ ! -s "$portfile" ]; then
		kill "$oob_pid" 2>/dev/null; wait "$oob_pid" 2>/dev/null
		echo "# $name did not start; its log:"
		sed "s/^/#   /" "$OOB_DIR/$name.log" | tail -5
		return 1
	fi
	oob_port=$(cat "$portfile")
}
# oob_up_or_dead PORTFILE PID: stop polling: the port is written, or the server is gone
oob_up_or_dead() { [ -s "$1" ] || ! kill -0 "$2" 2>/dev/null; }

# oob_smtp_start: the SMTP server, and OOB_MSMTPRC pointing msmtp at it.
oob_smtp_start() {
	oob_serve smtpd smtpd.py "$OOB_MAIL" || return 1
	OOB_SMTP_PID=$oob_pid OOB_SMTP_PORT=$oob_port
	oob_msmtprc "$OOB_SMTP_PORT"
}

# oob_sms_start: the HTTP SMS gateway; its URL is http://127.0.0.1:$OOB_SMS_PORT/sms.
oob_sms_start() {
	oob_serve smsd smsd.py "$OOB_SMS" || return 1
	OOB_SMS_PID=$oob_pid OOB_SMS_PORT=$oob_port
}

# oob_stop smtp|sms: stop that server (SIGTERM to its pid, then reap it).
oob_stop() {
	local pid
	case $1 in
	smtp) pid=$OOB_SMTP_PID; OOB_SMTP_PID="" ;;
	sms) pid=$OOB_SMS_PID; OOB_SMS_PID="" ;;
	*) return 1 ;;
	esac
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# oob_msmtprc PORT: msmtp's config for the test server: plain SMTP on
# loopback, no auth, no TLS. msmtp only insists on owner and 0600 for a
# file holding a password; this one holds none, so root's 0644 file is
# read by nobody as well.
oob_msmtprc() {
	cat > "$OOB_MSMTPRC" <<EOC
defaults
auth off
tls off
timeout 5
account test
host 127.0.0.1
port $1
from pam_otp@localhost
account default : test
EOC
	chmod 0644 "$OOB_MSMTPRC"
}

# oob_section [KEY = VALUE ...]: the oob section for write_conf: email by
# msmtp to the SMTP server, SMS by curl to the gateway, then the extra keys.
# The destination reaches curl as a whole word (%{to}, as config.c wants),
# so the gateway gets it as a bare url-encoded field (oob_sms_to).
oob_section() {
	cat <<EOC
oob {
	email_command = {"/usr/bin/msmtp", "-C", "$OOB_MSMTPRC", "-t"}
	sms_command = {"/usr/bin/curl", "-sS", "--fail", "--max-time", "8",
		"--data-urlencode", "%{to}", "--data-urlencode", "text@-",
		"http://127.0.0.1:${OOB_SMS_PORT:-9}/sms"}
	$*
}
EOC
}

# oob_count DIR: how many messages DIR holds (whole ones: mail-*.eml,
# sms-*.txt; never the temporary names).
oob_count() {
	local n=0 f
	for f in "$1"/mail-*.eml "$1"/sms-*.txt; do [ -e "$f" ] && n=$((n + 1)); done
	echo "$n"
}
oob_has() { [ "$(oob_count "$1")" -ge "$2" ]; }

# oob_wait_message DIR N: wait until DIR holds N messages (at most
# OOB_DEADLINE seconds, polling the condition); 1 when they did not come.
oob_wait_message() { oob_until "$OOB_DEADLINE" oob_has "$1" "$2"; }

# oob_last DIR: the newest message of DIR (the highest number).
oob_last() {
	local f last=""
	for f in "$1"/mail-*.eml "$1"/sms-*.txt; do [ -e "$f" ] && last=$f; done
	echo "$last"
}

# oob_code FILE: the code a message carries ("Your verification code is
# NNNNNN" in a mail; "NNNNNN is your verification code" in an SMS, whose
# form data is decoded first); nothing and status 1 when there is none.
oob_code() {
	[ -f "$1" ] || return 1
	"$OOB_PY" - "$1" <<'EOP'
import re, sys, urllib.parse
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
if sys.argv[1].endswith(".txt"):  # the gateway's form data
    form = urllib.parse.parse_qs(raw, keep_blank_values=True)
    raw = "\n".join(form.get("text", []))
    m = re.search(r"^([0-9]{6,8}) is your verification code\b", raw, re.M)
else:
    m = re.search(r"^Your verification code is ([0-9]{6,8})\r?$", raw, re.M)
if not m:
    sys.exit(1)
print(m.group(1))
EOP
}

# oob_sms_text FILE / oob_sms_to FILE: the text and the destination of an
# SMS the gateway received (the destination: a "to" field, or the bare
# field curl sends for --data-urlencode %{to}).
oob_sms_text() {  # (one trailing newline, as a file read by curl may end, left out)
	"$OOB_PY" -c 'import sys, urllib.parse
t = "\n".join(urllib.parse.parse_qs(open(sys.argv[1]).read(), keep_blank_values=True).get("text", []))
print(t[:-1] if t.endswith("\n") else t)' "$1"
}
oob_sms_to() {
	"$OOB_PY" -c 'import sys, urllib.parse
f = urllib.parse.parse_qs(open(sys.argv[1]).read(), keep_blank_values=True)
to = f.get("to") or [k for k, v in f.items() if k != "text" and v == [""]]
print(to[0] if to else "")' "$1"
}

# oob_hang_script: a delivery command that never finishes (a shell whose
# child sleeps: only a kill of the whole process group ends both); prints
# its path.
oob_hang_script() {
	printf '#!/bin/sh\ncat >/dev/null\nsleep 600\necho never reached\n' > "$OOB_DIR/hang.sh"
	chmod 0755 "$OOB_DIR/hang.sh"
	echo "$OOB_DIR/hang.sh"
}
