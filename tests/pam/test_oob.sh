#!/bin/bash
# Codes by email and SMS through a real PAM application: pamtester under
# pam_wrapper with the built module, a real SMTP server fed by msmtp and an
# HTTP SMS gateway fed by curl (tests/oob/), both on loopback. A login is a
# conversation: Enter, then the code out of the message that arrived, so
# each pamtester reads its answers from a fifo the suite writes to when the
# message is there (or the prompt it waits for has been printed).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/oob/lib.sh"

oob_servers smtp sms || { finish; exit; }

HOST=edge-1
# conf [KEY = VALUE ...]: the suite's config, extra oob keys appended
# (resend_after = 0 unless a case sets it: each case has its own user, and
# the throttle has a case of its own).
conf() {
	local keys=("$@")
	[[ "$*" == *resend_after* ]] || keys=("resend_after = 0" "$@")
	write_conf "lockout { deny = 0 }
host_name = \"$HOST\"" "$(oob_section "${keys[@]}")"
}
conf
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay debug" > "$WORK/svc/otp-oob"
ctl init >/dev/null
enroll() {  # enroll USER TYPE TO: a checked step (users not in passwd: --force)
	check "enroll $1: $2 device" ctl enroll "$1" --force --type "$2" --to "$3" --no-confirm
}

PRELOAD=${TEST_PRELOAD:-libpam_wrapper.so}
EXTRA=()
declare -A LPID LFD
# start NAME USER: a login by pamtester reading its answers from the fifo
# $WORK/NAME.in; its prompts, messages and pam_wrapper's syslog lines (all
# levels) go to $WORK/NAME.out.
start() {
	local name=$1 user=$2 fd
	rm -f "$WORK/$name.in"
	mkfifo "$WORK/$name.in"
	env LD_PRELOAD="$PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_DEBUGLEVEL=2 "${EXTRA[@]}" \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" \
		pamtester -v -I rhost=192.0.2.7 "${SVC:-otp-oob}" "$user" authenticate \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
	LPID[$name]=$!
	exec {fd}>"$WORK/$name.in"  # meets pamtester's open of the fifo
	LFD[$name]=$fd
}
# say NAME ANSWER: one answer (one line: pamtester reads a line per prompt);
# in a subshell, so that a login that ended already (SIGPIPE) is reported by
# its outcome rather than ending the suite
say() { (printf '%s\n' "$2" >&"${LFD[$1]}") 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# end NAME [SECONDS]: close its input and wait (30 s unless told) for it to
# end; pamtester's status, or 124 when it did not end (it is killed then).
end() {
	local fd=${LFD[$1]} pid=${LPID[$1]}
	exec {fd}>&-
	if ! oob_until "${2:-30}" gone "$pid"; then
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}
# saw NAME TEXT: the login's output holds TEXT (fixed string)
saw() { grep -qF -- "$2" "$WORK/$1.out"; }
# prompted NAME TEXT: wait until the login has printed TEXT
prompted() { oob_until "$OOB_DEADLINE" saw "$1" "$2"; }
# outcome DESCRIPTION WANT NAME: the login ended with status WANT (0
# accepted, 1 refused); its output is shown when not
outcome() {
	local what=$1 want=$2 got
	end "$3"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		not_ok "$what (pamtester exit $got, want $want)"
		grep -v '^PWRAP_\(TRACE\|DEBUG\)' "$WORK/$3.out" | sed 's/^/#   /' | head -12
	fi
}
# typed DESCRIPTION WANT USER CODE: a login typing CODE at the first prompt
typed() {
	start typed "$3"; say typed "$4"; outcome "$1" "$2" typed
}
# audit USER EVENT: how many EVENT records USER has
audit() { ctl audit --user "$1" --event "$2" --format json | grep -c .; }
audited() {  # audited DESCRIPTION USER EVENT [DETAIL-REGEX]
	local n
	n=$(ctl audit --user "$2" --event "$3" --format json | grep -c -- "\"detail\": *\"${4:-}")
	if [ "$n" -ge 1 ]; then ok "$1"; else
		not_ok "$1"; ctl audit --user "$2" --format json | sed 's/^/#   /' | tail -5; fi
}

MAILS=0 TEXTS=0 CODES=() CODE="" MAIL=/dev/null SMS=/dev/null
# mailed DESCRIPTION: one more mail arrives; CODE is the code it carries
mailed() {
	CODE="" MAIL=/dev/null
	if oob_wait_message "$OOB_MAIL" $((MAILS + 1)); then
		MAILS=$((MAILS + 1))
		MAIL=$(oob_last "$OOB_MAIL")
		CODE=$(oob_code "$MAIL") && CODES+=("$CODE")
	fi
	if [ -n "$CODE" ]; then ok "$1"; else not_ok "$1 (no mail with a code)"; fi
}
texted() {  # the same for an SMS
	CODE="" SMS=/dev/null
	if oob_wait_message "$OOB_SMS" $((TEXTS + 1)); then
		TEXTS=$((TEXTS + 1))
		SMS=$(oob_last "$OOB_SMS")
		CODE=$(oob_code "$SMS") && CODES+=("$CODE")
	fi
	if [ -n "$CODE" ]; then ok "$1"; else not_ok "$1 (no SMS with a code)"; fi
}
# another CODE: a code of the same length that is not CODE
another() { [ -n "$1" ] || { echo 000000; return; }; printf "%0${#1}d" $(( (10#$1 + 1) % (10 ** ${#1}) )); }
yes_() { if "$@"; then ok "$what"; else not_ok "$what"; fi; }

# --- email: the prompt names the masked address; Enter, then the mailed code
enroll alice email a.liddell@example.com
start a1 alice
what="the code prompt offers to send one by email, to the masked address"
yes_ prompted a1 "Verification code (Enter: send one by email to a***@example.com): "
say a1 ""
mailed "Enter: a mail arrives with the code"
what="  the next prompt says where it went and for how long"
yes_ prompted a1 "Code sent by email to a***@example.com (valid 5 minutes)."
say a1 "$CODE"
outcome "  the mailed code logs in" 0 a1
cp "$MAIL" "$WORK/out"
has "  the mail is to the enrolled address (envelope)" "^X-Envelope-To: a.liddell@example.com"
has "  To: the address" "^To: .*a.liddell@example.com"
has "  Subject: Verification code for $HOST" "^Subject: Verification code for $HOST"
has "  Auto-Submitted: auto-generated" "^Auto-Submitted: auto-generated"
has "  Date and Message-ID headers" "^Message-ID: <.*@$HOST>"
has "  UTF-8 plain text" "^Content-Type: text/plain; charset=UTF-8"
tr -d '\r' < "$MAIL" | sed '1,/^$/d' > "$WORK/out"  # the body
has "  the body: \"Your verification code is CODE\"" "^Your verification code is $CODE$"
has "  the body names the user" "alice"
has "  the body names the host" "$HOST"
has "  the body names the service" "otp-oob"
has "  the body names the remote address" "192.0.2.7"
has "  the body says how long it is valid" "5 minutes"
has "  the body says what to do if you did not ask for it" "tell your administrator"
what="  only the masked address in the prompts and syslog"
yes_ sh -c "! grep -qF a.liddell@example.com '$WORK/a1.out'"
audited "  audited oob_sent with the masked address" alice oob_sent "email a\*\*\*@example.com"
audited "  and auth_success" alice auth_success
typed "the same code again: refused" 1 alice "$CODE"
audited "  audited replay" alice replay

# --- a wrong code, then the right one in a new login
enroll bob email bob.oob@example.com
start b1 bob; say b1 ""
mailed "bob: Enter sends a mail"
prompted b1 "Code sent by email"
say b1 "$(another "$CODE")"
outcome "  a wrong code is refused" 1 b1
audited "  audited auth_failure" bob auth_failure
typed "  the mailed code, typed at a new login's first prompt, logs in" 0 bob "$CODE"

# --- SMS through curl to the HTTP gateway
enroll carol sms +491701234567
start c1 carol
what="the code prompt offers to send one by SMS, to the masked number"
yes_ prompted c1 "Verification code (Enter: send one by SMS to +4*********67): "
say c1 ""
texted "Enter: the gateway receives an SMS with the code"
what="  the next prompt says where it went"
yes_ prompted c1 "Code sent by SMS to +4*********67 (valid 5 minutes)."
say c1 "$CODE"
outcome "  the texted code logs in" 0 c1
check "  the gateway got the number" test "$(oob_sms_to "$SMS")" = "+491701234567"
oob_sms_text "$SMS" > "$WORK/out"
has "  the text: CODE is your verification code for carol@$HOST (valid 5 min)." \
	"^$CODE is your verification code for carol@$HOST (valid 5 min)\.$"
check "  one line of at most 160 characters" test "$(wc -l < "$WORK/out")" -le 1 -a \
	"$(tr -d '\n' < "$WORK/out" | wc -m)" -le 160
typed "  the same code again: refused" 1 carol "$CODE"

# --- the gateway answers 500: the login goes on, refused; nothing is retried
enroll carl sms +491701234599
touch "$OOB_SMS/fail"
start c2 carl; say c2 ""
what="gateway failing (HTTP 500): \"Could not send the code; use another factor.\""
yes_ prompted c2 "Could not send the code; use another factor."
say c2 000000
outcome "  the login is refused" 1 c2
audited "  audited oob_send_failed with curl's exit status" carl oob_send_failed "exit 22"
rm -f "$OOB_SMS/fail"
check "  no SMS was stored" test "$(oob_count "$OOB_SMS")" -eq "$TEXTS"

# --- two devices: a numbered menu, the choice decides the channel
enroll dave email dave.oob@example.com
enroll dave sms +441234567890
start d1 dave
what="two devices: a menu of both, then the prompt with the choice"
yes_ prompted d1 "Verification code (Enter or 1-2: send one): "
cp "$WORK/d1.out" "$WORK/out"
has "  Send a code:" "^Send a code:"
has "  1) email to d***@example.com" "^  1) email to d\*\*\*@example.com"
has "  2) SMS to +4*********90" "^  2) SMS to +4\*\{9\}90"
say d1 2
texted "  2: an SMS is sent"
check "  and no mail" test "$(oob_count "$OOB_MAIL")" -eq "$MAILS"
prompted d1 "Code sent by SMS"
say d1 "$CODE"
outcome "  the texted code logs in" 0 d1

# --- an app and email: a TOTP code at the first prompt sends nothing
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
enroll erin email erin.oob@example.com
check "enroll erin: an app too" ctl enroll erin --force --secret $b32 --name phone --no-confirm --qr none
typed "app and email: the app's code at the first prompt logs in" 0 erin "$(oathtool --totp -b $b32)"
check "  and no mail is sent" test "$(oob_count "$OOB_MAIL")" -eq "$MAILS"

# --- expiry (faketime: the code typed 10 minutes later, valid = 300)
FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
enroll fred email fred.oob@example.com
if [ -n "$FT" ] && [[ ${TEST_PRELOAD:-} != *asan* ]]; then
	start f1 fred; say f1 ""
	mailed "fred: Enter sends a mail"
	prompted f1 "Code sent by email"
	end f1  # the user walks away
	# libfaketime must see the module's time(): no deep binding
	PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}:$FT"
	EXTRA=(PAM_WRAPPER_DISABLE_DEEPBIND=1 "FAKETIME=+10m")
	typed "  the code 10 minutes later (faketime): refused" 1 fred "$CODE"
	EXTRA=() PRELOAD=${TEST_PRELOAD:-libpam_wrapper.so}
	audited "  audited oob_expired" fred oob_expired
else
	echo "# skip the expiry case: ${FT:+libfaketime and ASan together hang in pam_wrapper}${FT:-libfaketime is not installed}"
fi

# --- max_attempts wrong codes kill the code; a new one works
conf "max_attempts = 3"
enroll gina email gina.oob@example.com
start g1 gina; say g1 ""
mailed "gina: Enter sends a mail"
prompted g1 "Code sent by email"
wrong=$(another "$CODE")
say g1 "$wrong"
outcome "  wrong code 1 refused" 1 g1
typed "  wrong code 2 refused" 1 gina "$wrong"
typed "  wrong code 3 refused" 1 gina "$wrong"
typed "  then the right code: refused (max_attempts = 3)" 1 gina "$CODE"
audited "  audited oob_exhausted" gina oob_exhausted
old=$CODE
start g2 gina; say g2 ""
mailed "  Enter again: a new code"
prompted g2 "Code sent by email"
say g2 "$old"
outcome "  the old code does not work on the new one" 1 g2
typed "  the new code logs in" 0 gina "$CODE"

# --- resend_after: a second Enter within it sends nothing and says how long to wait
conf "resend_after = 60"
enroll hank email hank.oob@example.com
start h1 hank; say h1 ""
mailed "hank: Enter sends a mail"
prompted h1 "Code sent by email"
end h1
start h2 hank; say h2 ""
what="  Enter again within resend_after: \"Wait N seconds before another code is sent.\""
yes_ oob_until "$OOB_DEADLINE" grep -qE "Wait ([1-9]|[1-5][0-9]|60) seconds? before another code is sent\." "$WORK/h2.out"
what="  then \"Verification code: \""
yes_ prompted h2 "Verification code: "
say h2 "$CODE"
outcome "  the code already sent still logs in" 0 h2
check "  no second mail" test "$(oob_count "$OOB_MAIL")" -eq "$MAILS"

# --- max_per_hour: the third send in the hour is refused, with its text
conf "max_per_hour = 2"
enroll ivan email ivan.oob@example.com
for i in 1 2; do
	start "i$i" ivan; say "i$i" ""
	mailed "ivan: send $i of max_per_hour = 2"
	prompted "i$i" "Code sent by email"
	end "i$i"
done
start i3 ivan; say i3 ""
what="  the third: \"Too many codes sent this hour; use another factor.\""
yes_ prompted i3 "Too many codes sent this hour; use another factor."
say i3 "$CODE"
outcome "  the second code still logs in" 0 i3
check "  exactly 2 mails" test "$(oob_count "$OOB_MAIL")" -eq "$MAILS"
check "  to ivan: 2" test "$(grep -l '^X-Envelope-To: ivan.oob@example.com' "$OOB_MAIL"/mail-*.eml 2>/dev/null | wc -l)" -eq 2
conf

# --- 20 logins typing one mailed code at once: exactly one gets in
enroll jack email jack.oob@example.com
start j0 jack; say j0 ""
mailed "jack: Enter sends a mail"
prompted j0 "Code sent by email"
for i in $(seq 1 20); do start "j$i" jack; done
for i in $(seq 0 20); do say "j$i" "$CODE"; done
wins=0 broken=0
for i in $(seq 0 20); do
	end "j$i"
	case $? in 0) wins=$((wins + 1)) ;; 1) ;; *) broken=$((broken + 1)) ;; esac
done
check "21 logins with one code at once: exactly 1 accepted ($wins, $broken broken)" \
	test "$wins" -eq 1 -a "$broken" -eq 0
check "  one auth_success in the audit" test "$(audit jack auth_success)" -eq 1

# --- delivery down: the MTA's server is stopped
enroll kate email kate.oob@example.com
oob_stop smtp
start k1 kate; say k1 ""
what="SMTP server down: \"Could not send the code; use another factor.\""
yes_ prompted k1 "Could not send the code; use another factor."
what="  then \"Verification code: \""
yes_ prompted k1 "Verification code: "
say k1 000000
outcome "  the login is refused" 1 k1
audited "  audited oob_send_failed with msmtp's exit status" kate oob_send_failed "exit [0-9]"
check "the SMTP server is back (a new port)" oob_smtp_start

# --- delivery hanging: killed after send_timeout, with its children
mkdir -m 1777 "$OOB_DIR/drop"
printf '#!/bin/sh\necho $$ > %s/hang.pid\ncat >/dev/null\nsleep 600 &\necho $! > %s/sleep.pid\nwait\n' \
	"$OOB_DIR/drop" "$OOB_DIR/drop" > "$OOB_DIR/hang.sh"
chmod 0755 "$OOB_DIR/hang.sh"
write_conf "lockout { deny = 0 }
oob { email_command = {\"$OOB_DIR/hang.sh\"}  send_timeout = 1  resend_after = 0 }"
enroll lena email lena.oob@example.com
start l1 lena; say l1 ""
what="a delivery command that hangs (send_timeout = 1): \"Could not send the code\""
yes_ prompted l1 "Could not send the code; use another factor."
say l1 000000
outcome "  refused, and the login ends" 1 l1 10
audited "  audited oob_send_failed: timeout" lena oob_send_failed "timeout after 1 s"
for p in hang sleep; do
	pid=$(cat "$OOB_DIR/drop/$p.pid" 2>/dev/null)
	what="  the command's $p process is killed too"
	if [ -z "$pid" ]; then not_ok "$what (it never ran)"; continue; fi
	yes_ oob_until 5 gone "$pid"
	gone "$pid" || kill "$pid" 2>/dev/null  # ours: it must not outlive the suite
done

# --- the words of the command: replaced whole, no shell, a clean environment, as nobody
printf '#!/bin/sh\nd=%s\n{ for a in "$@"; do echo "arg=$a"; done; echo "uid=$(id -u)"; } > $d/run\ntr "\\000" "\\n" < /proc/$$/environ > $d/env\ncat > $d/stdin\n' \
	"$OOB_DIR/drop" > "$OOB_DIR/show.sh"
chmod 0755 "$OOB_DIR/show.sh"
write_conf "lockout { deny = 0 }
host_name = \"$HOST\"
oob { email_command = {\"$OOB_DIR/show.sh\", \"%{to}\", \"%{user}\", \"%{host}\", \"to\"}  resend_after = 0 }"
enroll mia email mia.oob@example.com
start m1 mia; say m1 ""
what="a command that records how it ran"
yes_ oob_until "$OOB_DEADLINE" test -s "$OOB_DIR/drop/stdin"
prompted m1 "Code sent by email"
end m1
printf 'arg=mia.oob@example.com\narg=mia\narg=%s\narg=to\nuid=%s\n' "$HOST" "$(id -u nobody)" > "$WORK/want"
check "  %{to} %{user} %{host} replaced, other words kept; run as nobody" \
	cmp "$WORK/want" "$OOB_DIR/drop/run"
check "  its environment: PATH and LANG only" test \
	"$(sort "$OOB_DIR/drop/env" 2>/dev/null | tr '\n' ' ')" = "LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "
check "  the message on its stdin" grep -q "^Your verification code is [0-9]\{6\}" "$OOB_DIR/drop/stdin"
CODES+=("$(sed -n 's/^Your verification code is \([0-9]*\).*/\1/p' "$OOB_DIR/drop/stdin" 2>/dev/null)")

# --- destinations with shell metacharacters
conf
mark=/tmp/otp-oob-mark-$$
# refused_to TYPE TO: enroll refuses TO, saying what a destination must be
refused_to() {
	local what="refused at enroll: $(printf '%q' "$2")"
	if ! capture ctl enroll meta --force --type "$1" --to "$2" --no-confirm &&
		grep -qiE "email address|E\.164|phone number" "$WORK/err"; then ok "$what"; else
		not_ok "$what"; sed 's/^/#   /' "$WORK/out" "$WORK/err" | head -3; fi
}
for to in "x\$(touch $mark)@example.com" "x@example.com;touch $mark" "x@example.com && touch $mark" \
	"x@example.com|touch $mark" "\"x;touch $mark\"@example.com" "x@example.com
touch $mark"; do
	refused_to email "$to"
done
refused_to sms "+491701234567;touch $mark"
# atext allows ` $ { } | &: such an address is valid, and goes to the MTA as one word
odd="x\`touch\${IFS}$mark\`@example.com"
write_conf "lockout { deny = 0 }
oob { email_command = {\"/usr/bin/msmtp\", \"-C\", \"$OOB_MSMTPRC\", \"%{to}\"}  resend_after = 0 }"
enroll nina email "$odd"
start n1 nina; say n1 ""
mailed "  Enter: the mail goes out"
prompted n1 "Code sent by email"
end n1
check "  to that very address (%{to} as one argv word)" grep -qxF "X-Envelope-To: $odd" <(tr -d '\r' < "$MAIL")
check "  and no shell ran it" test ! -e "$mark"
rm -f "$mark"
conf

# --- password=system: after a wrong password nothing is sent, and the
# prompts read as after a right one (the request still counts as a send)
if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null; then
	PWUSER=oobpw$$ PW='Oob-pw-9!'
	useradd -M -s /bin/bash "$PWUSER" && echo "$PWUSER:$PW" | chpasswd
	trap 'userdel "$PWUSER" 2>/dev/null; oob_cleanup' EXIT
	echo "auth required $MODULE config=$CONF nodelay password=system" > "$WORK/svc/otp-oob-pw"
	conf "resend_after = 60"
	check "enroll $PWUSER: email device" ctl enroll "$PWUSER" --type email --to pw.oob@example.com --no-confirm
	SVC=otp-oob-pw
	start p1 "$PWUSER"; say p1 "wrong-password"; say p1 ""
	what="a wrong password, then Enter: \"Code sent by email to p***@example.com\" all the same"
	yes_ prompted p1 "Code sent by email to p***@example.com"
	say p1 000000
	outcome "  refused" 1 p1
	check "  no mail was sent" test "$(oob_count "$OOB_MAIL")" -eq "$MAILS"
	check "  no oob_sent audited" test "$(audit "$PWUSER" oob_sent)" -eq 0
	start p2 "$PWUSER"; say p2 "$PW"; say p2 ""
	what="  the right password then Enter within resend_after: the wait, as after a real send"
	yes_ oob_until "$OOB_DEADLINE" grep -qE "Wait [0-9]+ seconds? before another code" "$WORK/p2.out"
	say p2 000000
	outcome "  refused" 1 p2
	conf
	start p3 "$PWUSER"; say p3 "$PW"; say p3 ""
	mailed "  later, the right password then Enter sends a mail"
	prompted p3 "Code sent by email"
	say p3 "$CODE"
	outcome "  whose code logs in" 0 p3
	SVC=
else
	echo "# skip password=system cases (root and useradd needed)"
fi

# --- the code is nowhere but in the message; the address nowhere in clear
# store_text: every byte of the store (PostgreSQL: a dump, its times'
# fractions of a second left out, as they are digit runs of their own)
store_text() {
	if on_pg; then
		"$PG_BIN/pg_dump" -d "$STORE" | sed -E 's/[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+//g'
	else
		cat "$WORK"/store/*
	fi
}
store_text > "$WORK/store.txt"
ctl audit --format json > "$WORK/audit.json"
cat "$WORK"/*.out > "$WORK/logins.txt"
check "codes were read from the messages (${#CODES[@]})" test "${#CODES[@]}" -ge 10
leaks=""
for c in "${CODES[@]}"; do
	for f in store.txt audit.json logins.txt; do
		grep -qawF -- "$c" "$WORK/$f" && leaks="$leaks $c:$f"
	done
done
check "no code in the store, the audit trail, the prompts or syslog (pam_wrapper)${leaks:+:$leaks}" test -z "$leaks"
what="  the audit trail has the oob events"
yes_ grep -q '"event": *"oob_sent"' "$WORK/audit.json"
leaks=""
for a in a.liddell@example.com +491701234567 bob.oob@example.com dave.oob@example.com +441234567890; do
	grep -qaF -- "$a" "$WORK/store.txt" && leaks="$leaks $a"
	grep -qaF -- "$a" "$WORK/audit.json" && leaks="$leaks $a(audit)"
done
check "no address or number in clear in the store or the audit trail${leaks:+:$leaks}" test -z "$leaks"
finish
