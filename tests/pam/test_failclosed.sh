#!/bin/bash
# Fail closed, with a clear reason: every broken config, key or store
# refuses the login, even with nullok, with one syslog line naming the file
# and the problem; otpctl exits 4 with a one-line error.
. "$(dirname "$0")/../lib.sh"
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nullok nodelay" > "$WORK/svc/otp-fc"
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
fresh() {  # a good setup with one enrolled HOTP user
	fresh_store
	rm -rf "$WORK/seal.key" "$WORK/key.real" "$WORK/store.real" "$CONF"
	write_conf "$@"
	ctl init >/dev/null
	ctl enroll --force fc --type hotp --secret $b32 --no-confirm --qr none >/dev/null
}
login() {  # login USER CODE: pamtester's exit status; the log in $WORK/log
	echo "$2" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-fc "$1" authenticate \
		>"$WORK/log" 2>&1
}
# refused DESCRIPTION PATTERN: the login is refused with one matching log
# line, and otpctl says the same in one line with exit 4.
refused() {
	local what=$1 pattern=$2 n
	if login fc 755224; then not_ok "$what: login refused"; return; fi
	ok "$what: login refused"
	n=$(grep -c "SYSLOG.*refusing login: .*$pattern" "$WORK/log")
	if [ "$n" = 1 ]; then ok "  one syslog line naming it"; else
		not_ok "  one syslog line naming it (got $n)"; sed 's/^/#   /' "$WORK/log" | head -5; fi
	check_exit "  otpctl exits 4" 4 ctl verify fc 287082
	if [ "$(wc -l < "$WORK/err")" = 1 ] && grep -q -- "$pattern" "$WORK/err"; then
		ok "  otpctl says it in one line"
	else
		not_ok "  otpctl says it in one line"; sed 's/^/#   /' "$WORK/err" | head -3
	fi
}

fresh
check "a good setup logs in" login fc 755224

fresh; echo "windw = 2" >> "$CONF"
refused "unknown config key" "pam_otp.conf:7: no such option 'windw'"
fresh; echo "totp { window = 5000 }" >> "$CONF"
refused "config value out of range" "pam_otp.conf:7: window = 5000 is out of range"
fresh; echo "totp { window = }" >> "$CONF"
refused "config syntax error" "pam_otp.conf:7:"
fresh; chmod 0664 "$CONF"
refused "group-writable config" "pam_otp.conf: mode 0664 is too open"
fresh; mv "$CONF" "$WORK/real.conf"; ln -s "$WORK/real.conf" "$CONF"
refused "config behind a symlink" "pam_otp.conf: is a symlink"
rm -f "$CONF"
fresh; rm "$WORK/seal.key"
refused "missing seal key" "seal.key: no such file"
fresh; chmod 0600 "$WORK/seal.key"; head -c 31 /dev/urandom > "$WORK/seal.key"
refused "seal key of the wrong length" "seal.key: seal key must be exactly 32 bytes"
fresh; chmod 0440 "$WORK/seal.key"
refused "seal key readable by group" "seal.key: mode 0440 is too open"
fresh; mv "$WORK/seal.key" "$WORK/key.real"; ln -s "$WORK/key.real" "$WORK/seal.key"
refused "seal key behind a symlink" "seal.key: is a symlink"
# the store's files (PostgreSQL: tests/pg/test_pg_failclosed.sh)
if lmdb_store; then
	fresh; chmod 0755 "$WORK/store"
	refused "store readable by others" "store: mode 0755 is too open"
	fresh; mv "$WORK/store" "$WORK/store.real"; ln -s "$WORK/store.real" "$WORK/store"
	refused "store behind a symlink" "store: is a symlink"
	rm -f "$WORK/store"
	fresh; mv "$WORK/store/data.mdb" "$WORK/data.real"; ln -s "$WORK/data.real" "$WORK/store/data.mdb"
	refused "data.mdb behind a symlink" "data.mdb: not a regular file"
	rm -f "$WORK/data.real"
	fresh; head -c 65536 /dev/urandom > "$WORK/store/data.mdb"
	refused "corrupt store" "store: "
	fresh
	printf 'VERSION=3\nformat=bytevalue\ntype=btree\nmapsize=1048576\nmaxreaders=126\nHEADER=END\n 736368656d61\n 00000002\nDATA=END\n' |
		mdb_load -s meta "$WORK/store"
	refused "store of a newer schema" "store schema 2 is newer"
else
	skip_lmdb "the store directory and data.mdb: mode, symlinks, corruption, newer schema (24 checks)"
fi
if [ "$(id -u)" -eq 0 ]; then
	fresh; chown nobody "$CONF"
	refused "config not owned by root" "pam_otp.conf: owned by uid"
	fresh; chown nobody "$WORK/seal.key"
	refused "seal key not owned by root" "seal.key: owned by uid"
	if lmdb_store; then
		fresh; chown nobody "$WORK/store"
		refused "store not owned by root" "store: owned by uid"
	else
		skip_lmdb "store directory not owned by root (4 checks)"
	fi
fi

# a wrong seal key: it does not match the store's key check value
fresh; rm "$WORK/seal.key"; head -c 32 /dev/urandom > "$WORK/seal.key"; chmod 0400 "$WORK/seal.key"
refused "wrong seal key" "seal.key: seal key does not match this store"

# overlong input never crashes and never passes
fresh
long=$(head -c 100000 /dev/zero | tr '\0' 'a')
check_exit "100 kB user name refused" 1 login "$long" 755224
check_exit "100 kB code refused" 1 login fc "$long"
check "  the module still works afterwards" login fc 755224
check_exit "otpctl: 100 kB user name refused (exit 1)" 1 ctl devices "$long"

# files the store makes are private
lmdb check "data.mdb and lock.mdb are 0600" test "$(stat -c %a "$WORK/store/data.mdb" "$WORK/store/lock.mdb" | sort -u)" = 600
finish
