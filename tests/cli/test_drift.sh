#!/bin/bash
# TOTP clock drift: a phone whose clock is off, codes from oathtool with
# its -N clock, brought back by otpctl resync and followed by logins.
. "$(dirname "$0")/../lib.sh"
write_conf "lockout { deny = 0 }"
ctl init >/dev/null
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
ctl enroll ann --secret $b32 --name phone --no-confirm --qr none --force >/dev/null
# one base time for every code, so that two "consecutive" codes always are
base=$(date +%s)
at() { oathtool --totp -b $b32 -N "@$((base + $1))"; }

# the phone runs 5 minutes fast: outside the default window
check_exit "a phone 5 minutes fast: its code is refused" 3 ctl verify ann "$(at 300)"
check "resync with two consecutive codes" ctl resync ann phone "$(at 300)" "$(at 330)"
has "  says the drift it found" 'clock drift +1[01] time steps (+3[03]0 s)'
check_exit "  both codes are used up" 3 ctl verify ann "$(at 330)"
check "  the phone's next code works" ctl verify ann "$(at 360)"
check "  as typed by people: '123 456'" ctl verify ann "$(at 390 | sed 's/^\(...\)/\1 /')"
check "resync --json" ctl --json resync ann phone "$(at 420)" "$(at 450)"
check "  drift in steps and seconds" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["user"] == "ann" and d["drift_steps"] in (14, 15) and d["drift_seconds"] == d["drift_steps"] * 30, d
' "$WORK/out"
check_exit "more than an hour off: refused" 3 ctl resync ann phone "$(at 4000)" "$(at 4030)"
check_exit "codes that are not consecutive: refused" 3 ctl resync ann phone "$(at 600)" "$(at 660)"
finish
