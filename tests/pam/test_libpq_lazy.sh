#!/bin/bash
# libpq is loaded only by a PostgreSQL store (common/pqload.h): a login
# and otpctl on an LMDB store never map it (it brings some twenty
# libraries, milliseconds in every fresh process); a PostgreSQL store
# still reaches libpq, which then names the server it could not reach.
# The dynamic loader's own log (LD_DEBUG=libs) says what a process loaded.
. "$(dirname "$0")/../lib.sh"
write_conf "lockout { deny = 0 }"
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
"$OTPCTL" --config "$CONF" init >/dev/null
login() {  # login USER CODE, the loader's log in $WORK/err
	echo "$2" | env LD_DEBUG=libs LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-login "$1" authenticate
}
loaded_libpq() { grep -q 'calling init: .*/libpq\.so' "$WORK/err"; }
not_loaded() {  # not_loaded DESCRIPTION: the last command's log has no libpq
	if loaded_libpq; then not_ok "$1"; grep 'libpq' "$WORK/err" | head -3 | sed 's/^/#   /'
	else ok "$1"; fi
}

key=3132333435363738393031323334353637383930
ctl enroll --force hotpuser --type hotp --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ \
	--no-confirm --qr none >/dev/null
check "a login on an LMDB store succeeds" login hotpuser "$(oathtool --hotp -c 0 $key)"
has_err "  the loader's log was read" 'calling init: .*libcrypto'
not_loaded "  and never loads libpq"
check_exit "a wrong code on an LMDB store is refused" 1 login hotpuser "$(oathtool --hotp -c 0 $key)"
not_loaded "  without libpq either"
check "otpctl devices on an LMDB store" env LD_DEBUG=libs "$OTPCTL" --config "$CONF" devices hotpuser
not_loaded "  never loads libpq"
check "otpctl verify on an LMDB store" env LD_DEBUG=libs "$OTPCTL" --config "$CONF" verify hotpuser \
	"$(oathtool --hotp -c 1 $key)"
not_loaded "  never loads libpq"

# A PostgreSQL store whose server is not there: libpq is loaded and says so.
pgconf="$WORK/pg.conf"
cat > "$pgconf" <<EOC
store = "host=$WORK/no-server dbname=otp"
seal_key = "$WORK/seal.key"
password = "none"
audit { syslog = false }
EOC
chmod 0644 "$pgconf"
check_exit "otpctl on an unreachable PostgreSQL store: a store error" 4 \
	env LD_DEBUG=libs "$OTPCTL" --config "$pgconf" devices hotpuser
if loaded_libpq; then ok "  libpq was loaded for it"; else not_ok "  libpq was loaded for it"; fi
has_err "  and libpq's reason is shown" 'no-server/\.s\.PGSQL\.5432.*No such file or directory'
echo "auth required $MODULE config=$pgconf nodelay" > "$WORK/svc/otp-login"
check_exit "a login on an unreachable PostgreSQL store is refused" 1 \
	login hotpuser "$(oathtool --hotp -c 2 $key)"
if loaded_libpq; then ok "  libpq was loaded for it"; else not_ok "  libpq was loaded for it"; fi
finish
