#!/bin/bash
# The shipped fail2ban filter (etc/fail2ban/filter.d/pam_otp.conf) on REAL
# syslog lines: logins through pamtester (pam_wrapper stack) and otpctl
# changes, whose syslog(3) datagrams are caught on /dev/log by a small
# listener and written as rsyslog writes /var/log/auth.log
# ("Mmm dd hh:mm:ss HOST ident[pid]: message"); then fail2ban-regex, as an
# administrator would run it, must report exactly the failing sources.
#
# Why a listener: pam_wrapper only replaces pam_syslog(3), and pam_otp's
# audit lines go through plain syslog(3) to /dev/log. The logins run in a
# private mount namespace (unshare, root) whose /dev is a tmpfs holding
# the listener's socket and bind mounts of the few devices needed, so no
# real syslog daemon is touched and nothing outside the test changes.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	not_ok "needs root and unshare(1) for a private /dev/log"; finish; exit
fi
if ! command -v fail2ban-regex >/dev/null; then
	not_ok "fail2ban-regex missing (Debian package fail2ban: scripts/deps.sh test)"; finish; exit
fi

write_conf "lockout { deny = 3  fail_interval = 900  unlock_time = 900 }
host_name = \"edge-1\""
sed -i 's/audit { syslog = false }/audit { syslog = true }/' "$CONF"
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll bob --secret $b32 --name phone --no-confirm --qr none --force >/dev/null
ctl enroll carol --secret $b32 --name phone --no-confirm --qr none --force >/dev/null
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"

# The listener: one datagram per syslog(3) call; "END" stops it.
cat > "$WORK/listen.py" <<'EOF'
import os, re, socket, sys
path, out, ready, host = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
open(ready, "w").close()
with open(out, "w") as f, open(out + ".pri", "w") as p:
    while True:
        d = s.recv(65536).decode("utf-8", "replace")
        if d == "END":
            break
        m = re.match(r"<(\d+)>(\w{3} [ \d]\d \d\d:\d\d:\d\d) (.*)", d, re.S)
        if not m:
            f.write("UNPARSED " + repr(d) + "\n")
            continue
        f.write("%s %s %s\n" % (m[2], host, m[3].rstrip("\n")))
        p.write("%d %s\n" % (int(m[1]) >> 3, m[3].rstrip("\n")))
EOF

# Runs inside the namespace: a tmpfs /dev with only what the logins need.
cat > "$WORK/inner.sh" <<'EOF'
set -u
W=$1 CONF=$2 OTPCTL=$3 PRELOAD=$4 b32=$5
stage=$W/devstage
mkdir -p "$stage"
for n in null zero full random urandom; do
	touch "$stage/$n" && mount --bind "/dev/$n" "$stage/$n" || exit 90
done
mount -t tmpfs -o mode=0755 otp-test-dev /dev || exit 91
for n in null zero full random urandom; do
	touch "/dev/$n" && mount --bind "$stage/$n" "/dev/$n" || exit 92
done
/usr/bin/python3 "$W/listen.py" /dev/log "$W/auth.log" "$W/ready" testhost &
lpid=$!
for _ in $(seq 200); do [ -e "$W/ready" ] && break; sleep 0.05; done
[ -e "$W/ready" ] || exit 93
login() {  # login USER CODE RHOST
	echo "$2" | env LD_PRELOAD="$PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$W/svc" \
		pamtester -I "rhost=$3" otp-login "$1" authenticate >/dev/null 2>&1
}
code=$(oathtool --totp -b "$b32")
login bob 000000 192.0.2.10                          # auth_failure
login bob "$code" 192.0.2.20                         # auth_success: never matched
login bob "$code" 192.0.2.11                         # replay
for _ in 1 2 3 4; do login carol 000000 192.0.2.12; done  # 3 auth_failure, then locked
login nosuch 000000 192.0.2.13                       # an unknown name
login bob 000000 '203.0.113.66 rhost=198.51.100.66'  # a forged PAM_RHOST: quoted, no match
SUDO_USER=admin "$OTPCTL" --config "$CONF" unlock carol >/dev/null   # an otpctl change
/usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"END", sys.argv[1])' /dev/log
wait "$lpid"
EOF

unshare --mount --propagation private bash "$WORK/inner.sh" "$WORK" "$CONF" "$OTPCTL" \
	"${TEST_PRELOAD:-libpam_wrapper.so}" "$b32"
rc=$?
if [ $rc -eq 0 ]; then ok "logins and an otpctl change logged to a private /dev/log"; else
	not_ok "private /dev/log run (exit $rc)"; fi
cp "$WORK/auth.log" "$WORK/out" 2>/dev/null
has "  the module's audit line has pam_syslog's prefix" \
	'^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} testhost pamtester\(\[[0-9]*\]\)\{0,1\}: pam_otp(otp-login:auth): event=auth_failure user=bob service=otp-login rhost=192.0.2.10 detail=code$'
has "  a success is logged alike" 'pam_otp(otp-login:auth): event=auth_success user=bob .*rhost=192.0.2.20'
has "  otpctl's line: pam_otp(otpctl) with the actor" \
	'otpctl\[[0-9]*\]: pam_otp(otpctl): event=unlock user=carol service=otpctl .*actor="loginuid=[^"]*,sudo_user=admin"$'
check "  every audit line is found by grep pam_otp" test \
	"$(grep -c 'event=' "$WORK/auth.log")" -eq "$(grep 'event=' "$WORK/auth.log" | grep -c pam_otp)"
check "  audit lines go to the authpriv facility (10)" sh -c \
	"grep 'event=' '$WORK/auth.log.pri' | awk '\$1 != 10 { bad = 1 } END { exit bad }'"
check "  no code or secret in the log" sh -c "! grep -q -e '$b32' '$WORK/auth.log'"

# fail2ban-regex with the filter as shipped, next to Debian's common.conf
mkdir -p "$WORK/f2b/filter.d"
cp /etc/fail2ban/filter.d/common.conf "$TOP/etc/fail2ban/filter.d/pam_otp.conf" "$WORK/f2b/filter.d/"
check "fail2ban-regex runs the shipped filter" fail2ban-regex -o ip "$WORK/auth.log" \
	"$WORK/f2b/filter.d/pam_otp.conf"
sort "$WORK/out" | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ' > "$WORK/ips"
check "  each failing source, once per failure: $(cat "$WORK/ips")" test \
	"$(cat "$WORK/ips")" = "192.0.2.10=1 192.0.2.11=1 192.0.2.12=4 192.0.2.13=1 "
check "fail2ban-regex summary" fail2ban-regex "$WORK/auth.log" "$WORK/f2b/filter.d/pam_otp.conf"
has "  7 of the lines matched" 'Lines: .* 7 matched'
check "the jail example parses with the filter" python3 -c '
import configparser, sys
c = configparser.RawConfigParser(); c.read(sys.argv[1])
assert c.get("pam_otp", "filter") == "pam_otp" and c.get("pam_otp", "enabled") == "false"
' "$TOP/etc/fail2ban/jail.d/pam_otp.conf"
finish
