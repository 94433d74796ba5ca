#!/bin/bash
# The QR code of an enrollment at login, as pam_otp.so writes it in a
# prompt (otp_qr_text, through the qrtext helper): the ASCII style a remote
# login gets and the UTF-8 one of a local login, drawn as images (ASCII:
# ascii2pgm.py, each '#' a dark 4x8-pixel cell; UTF-8: screen2pgm.py, a
# light-on-dark terminal) must read back, with zbarimg, as the otpauth URI
# given. The ASCII code of a usual URI fits an 80-column terminal, every
# line the same width, "##" and spaces only; otpctl enroll --qr utf8 draws
# the very same UTF-8 code.
. "$(dirname "$0")/../lib.sh"
QRTEXT="$TOP/${OTP_BUILD:-build}/tests/qrtext"
PY=/usr/bin/python3
ASCII2PGM="$(dirname "$0")/ascii2pgm.py"
SCREEN2PGM="$(dirname "$0")/screen2pgm.py"

for tool in zbarimg "$PY" "$QRTEXT"; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool there (scripts/deps.sh test; make $OTP_BUILD/tests/qrtext)"
		finish
		exit
	fi
done

# read_ascii FILE / read_utf8 FILE: what zbarimg reads in a drawing
read_ascii() {
	"$PY" "$ASCII2PGM" < "$1" > "$1.pgm" && zbarimg -q --raw "$1.pgm" 2>/dev/null
}
read_utf8() {
	"$PY" "$SCREEN2PGM" dark 80 "$(($(wc -l < "$1") + 2))" < "$1" > "$1.pgm" &&
		zbarimg -q --raw "$1.pgm" 2>/dev/null
}
# widths FILE: the distinct line widths, in characters
widths() {
	"$PY" -c 'import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
print(*sorted({len(line) for line in lines}), end=" ")' "$1"
}

fixed=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
random=$(head -c 20 /dev/urandom | base32)
for secret in "$fixed" "$random"; do
	uri="otpauth://totp/edge-1:alice?secret=$secret&issuer=edge-1"
	echo "# $uri"
	check "ascii: drawn" "$QRTEXT" ascii "$uri"
	cp "$WORK/out" "$WORK/ascii"
	got=$(read_ascii "$WORK/ascii")
	check "  zbarimg reads back the URI (got '$got')" test "$got" = "$uri"
	w=$(widths "$WORK/ascii")
	check "  every line has the same width, at most 80 columns (widths: $w)" \
		test "$(echo $w | wc -w)" = 1 -a "${w% }" -le 80
	check "  made of '#' and ' ' only" fails grep -q '[^# ]' "$WORK/ascii"
	check "  a module is two characters: '#' comes in pairs on even columns" \
		fails grep -qE '^(..)*(#[ ]| #)' "$WORK/ascii"
	check "  square: as many lines as modules across ($(wc -l < "$WORK/ascii") lines)" \
		test "$(($(wc -l < "$WORK/ascii") * 2))" = "${w% }"
	check "  a quiet zone of 2 modules on every side" sh -c "
		head -2 '$WORK/ascii' | grep -q '#' && exit 1
		tail -2 '$WORK/ascii' | grep -q '#' && exit 1
		grep -qE '^ {0,3}#|# {0,3}\$' '$WORK/ascii' && exit 1
		grep -qE '^    #' '$WORK/ascii'"
	check "utf8: drawn" "$QRTEXT" utf8 "$uri"
	cp "$WORK/out" "$WORK/utf8"
	got=$(read_utf8 "$WORK/utf8")
	check "  zbarimg reads back the URI (got '$got')" test "$got" = "$uri"
	check "  fits 23 lines ($(wc -l < "$WORK/utf8"))" test "$(wc -l < "$WORK/utf8")" -le 23
	check "  one width ($(widths "$WORK/utf8"))" test "$(widths "$WORK/utf8" | wc -w)" = 1
done

# Parameters the app must be told: a longer URI, read back all the same.
uri="otpauth://totp/edge-1:alice?secret=$fixed&issuer=edge-1&algorithm=SHA256&digits=8&period=60"
"$QRTEXT" ascii "$uri" > "$WORK/long.ascii"
check "ascii: a URI with algorithm, digits and period reads back" \
	test "$(read_ascii "$WORK/long.ascii")" = "$uri"
"$QRTEXT" utf8 "$uri" > "$WORK/long.utf8"
check "utf8: the same URI reads back" test "$(read_utf8 "$WORK/long.utf8")" = "$uri"
check_exit "nothing to encode: refused" 1 "$QRTEXT" ascii ""
check_exit "more than a QR code holds: refused" 1 "$QRTEXT" ascii \
	"$(head -c 3000 /dev/zero | tr '\0' x)"

# One renderer: otpctl enroll --qr utf8 prints the code otp_qr_text draws.
write_conf 'issuer = "edge-1"'
check "init" ctl init
check "otpctl enroll --qr utf8" ctl enroll root --name qr --secret "$fixed" --no-confirm --qr utf8
printed=$(sed -n 's/^uri: *//p' "$WORK/out")
sed -n '/^secret:/,$p' "$WORK/out" | tail -n +2 > "$WORK/enroll.qr"
"$QRTEXT" utf8 "$printed" > "$WORK/lib.qr"
check "  its QR code is otp_qr_text's UTF-8 drawing of its URI" \
	cmp -s "$WORK/enroll.qr" "$WORK/lib.qr"
finish
