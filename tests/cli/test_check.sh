#!/bin/bash
# otpctl check: the exit status a monitoring system acts on (0 ok,
# 1 warning, 2 critical, 3 unknown) for a good store, a wrong or unsafe
# key, a missing store, a bad configuration, a missing or unsafe module,
# and a store on a disk that fills up.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
write_conf ""
ctl init >/dev/null
ctl enroll alice --no-confirm --qr none --force >/dev/null 2>&1
mod() { ctl check --module "$MODULE" "$@"; }

check_exit "a good store: 0" 0 mod
has "  one OK line" "^OK: pam_otp: store .* (1 users), seal key matches"
check_exit "--json: 0" 0 mod --json
check "  status ok, no problems" $PY -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["status"] == "ok" and c["exit"] == 0 and c["problems"] == [] and c["users"] == 1, c
' "$WORK/out"
check "  and the audit trail kept nothing of the check" bash -c \
	"! '$OTPCTL' --config '$CONF' audit --format csv | grep -q ',check,'"

# the seal key
cp "$WORK/seal.key" "$WORK/seal.key.good"
chmod 0600 "$WORK/seal.key"
head -c 32 /dev/urandom > "$WORK/seal.key"
chmod 0400 "$WORK/seal.key"
check_exit "another seal key: 2" 2 mod
has "  named, as not this store's" "^CRITICAL: seal key.*$WORK/seal.key.*does not match"
cp -f "$WORK/seal.key.good" "$WORK/seal.key"
chmod 0644 "$WORK/seal.key"
check_exit "a seal key readable by others: 2" 2 mod
has "  said so" "^CRITICAL: seal key: $WORK/seal.key: mode 0644 is too open"
rm -f "$WORK/seal.key"
check_exit "no seal key: 2" 2 mod
cp "$WORK/seal.key.good" "$WORK/seal.key"
chmod 0400 "$WORK/seal.key"
check_exit "the key back: 0" 0 mod

# the store
mv "$WORK/store" "$WORK/store.away"
check_exit "a missing store: 2" 2 mod
has "  named" "^CRITICAL: store: .*$WORK/store.*run otpctl init"
check_exit "  --json: critical, the store's problem listed" 2 mod --json
check "  parsed" $PY -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["status"] == "critical" and c["users"] is None, c
assert [p["check"] for p in c["problems"]] == ["store"], c
' "$WORK/out"
mv "$WORK/store.away" "$WORK/store"

# the configuration and the module
cp "$CONF" "$CONF.good"
echo "no_such_key = 1" >> "$CONF"
check_exit "a configuration that does not parse: 2" 2 mod
has "  named" "^CRITICAL: configuration: $CONF:[0-9]*: .*no_such_key"
cp "$CONF.good" "$CONF"
check_exit "no module file: 2" 2 ctl check --module "$WORK/nosuch/pam_otp.so"
has "  named" "^CRITICAL: module.* $WORK/nosuch/pam_otp.so"
cp "$MODULE" "$WORK/pam_otp.so"
chmod 0666 "$WORK/pam_otp.so"
check_exit "a module file others may write: 2" 2 ctl check --module "$WORK/pam_otp.so"

# how the check itself fails: 3
check_exit "an unknown option: 3 (unknown)" 3 ctl check --bogus
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	check_exit "not root: 3 (unknown)" 3 runuser -u nobody -- "$OTPCTL" --config "$CONF" check
fi

# a store on a small disk that fills up: warning at 80%, critical at 95%
mnt="$WORK/small"
mkdir -m 0700 "$mnt"
if mount -t tmpfs -o size=4m,mode=0700 tmpfs "$mnt" 2>/dev/null; then
	trap 'umount "$mnt" 2>/dev/null; rm -rf "$WORK"' EXIT
	sed -e "s|$WORK/store|$mnt/store|" "$CONF" > "$WORK/small.conf"
	sctl() { "$OTPCTL" --config "$WORK/small.conf" check --module "$MODULE"; }
	"$OTPCTL" --config "$WORK/small.conf" init >/dev/null
	fill_to() {  # fill_to PERCENT: a filler file takes the disk to about that use
		rm -f "$mnt/filler"
		$PY -c '
import os, sys
st = os.statvfs(sys.argv[1])
used = st.f_blocks - st.f_bfree
want = st.f_blocks * int(sys.argv[2]) // 100 - used
with open(sys.argv[1] + "/filler", "wb") as f:
    f.write(b"\0" * max(0, want * st.f_frsize))
' "$mnt" "$1"
	}
	check_exit "a store on a disk 10% used: 0" 0 sctl
	fill_to 85
	check_exit "85% used: 1 (warning)" 1 sctl
	has "  one WARNING line" "^WARNING: disk of the store 8[0-9]% used (warning at 80%)"
	fill_to 98
	check_exit "98% used: 2 (critical)" 2 sctl
	has "  one CRITICAL line" "^CRITICAL: disk of the store 9[0-9]% used (critical at 95%)"
	umount "$mnt"
else
	ok "# skip: cannot mount a tmpfs here for the disk checks"
fi
finish
