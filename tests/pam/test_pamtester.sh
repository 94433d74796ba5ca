#!/bin/bash
# pamtester (a real PAM application) with a service file naming the built
# module, pam_wrapper pointing libpam at it; codes from oathtool.
. "$(dirname "$0")/../lib.sh"
write_conf "lockout { deny = 0 }"
mkdir -p "$WORK/svc"
echo "auth required $MODULE config=$CONF nodelay" > "$WORK/svc/otp-login"
"$OTPCTL" --config "$CONF" init >/dev/null
login() {  # login USER CODE: pamtester reads the answer from stdin
	echo "$2" | env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$WORK/svc" pamtester otp-login "$1" authenticate
}
k20=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
k32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA
k64=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA
n=0
for alg in SHA1 SHA256 SHA512; do
	case $alg in SHA1) key=$k20 ;; SHA256) key=$k32 ;; SHA512) key=$k64 ;; esac
	for digits in 6 8; do
		for period in 30 60; do
			n=$((n + 1)); user="u$n-$alg-$digits-$period"
			ctl enroll --force "$user" --secret "$key" --algorithm $alg --digits $digits \
				--period $period --no-confirm --qr none >/dev/null
			code=$(oathtool --totp=${alg,,} -d $digits -s ${period}s -b "$key")
			check "TOTP $alg $digits digits ${period}s accepted" login "$user" "$code"
			check_exit "  replay refused" 1 login "$user" "$code"
			wrong=$(printf "%0${digits}d" $(( (10#$code + 1) % (10 ** digits) )))
			check_exit "  wrong code refused" 1 login "$user" "$wrong"
		done
	done
done
ctl enroll --force hotpuser --type hotp --secret $k20 --no-confirm --qr none >/dev/null
for c in 0 1 4; do
	code=$(oathtool --hotp -c $c 3132333435363738393031323334353637383930)
	check "HOTP RFC 4226 key, counter $c accepted" login hotpuser "$code"
	check_exit "  replay refused" 1 login hotpuser "$code"
done
code=$(oathtool --hotp -c 2 3132333435363738393031323334353637383930)
check_exit "HOTP code behind the counter refused" 1 login hotpuser "$code"
finish
