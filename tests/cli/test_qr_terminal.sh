#!/bin/bash
# The QR code as an administrator sees it: `otpctl enroll` in an 80x24
# terminal (a tmux pane). When the confirmation prompt shows, the screen is
# captured with its colours, drawn as an image (screen2pgm.py: half blocks
# and SGR colours, light and dark terminal themes) and read by zbarimg: the
# code must be whole on the screen, under the text lines, and hold the URI
# printed, whose secret then activates the device. A URI too long for
# level M at version 5 is drawn at level L before the symbol grows; one too
# long for that says so in one line, pointing at --qr-file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tty.sh"
write_conf ""
PY=/usr/bin/python3
RENDER="$(dirname "$0")/screen2pgm.py"

for tool in tmux zbarimg oathtool "$PY"; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool installed (scripts/deps.sh test)"
		finish
		exit
	fi
done
check "init" ctl init

# decode THEME: the captured screen ($WORK/screen) as zbarimg reads it.
decode() {
	"$PY" "$RENDER" "$1" 80 24 < "$WORK/screen" > "$WORK/screen.pgm" &&
		zbarimg -q --raw "$WORK/screen.pgm" 2>/dev/null
}
param() { sed -n "s/.*[?&]$1=\([^&]*\).*/\1/p" <<< "$2"; }

# One enrollment as root (known to NSS: no --force warning on screen).
for mode in utf8 ansi; do
	tty_start "$OTPCTL" --config "$CONF" enroll root --name "$mode" --qr "$mode"
	if tty_wait 'type the code the app shows (3 tries):'; then
		ok "$mode: the confirmation prompt shows"
	else
		not_ok "$mode: the confirmation prompt shows"; tty_screen | sed 's/^/#   /'
	fi
	tty_screen -e -N > "$WORK/screen"
	printed=$(tty_history | sed -n 's/^uri: *\(otpauth:[^ ]*\) *$/\1/p')
	secret=$(tty_history | sed -n 's/^secret: *\([A-Z2-7]*\) *$/\1/p')
	themes=dark
	[ "$mode" = ansi ] && themes="dark light"  # explicit colours: any theme
	for theme in $themes; do
		got=$(decode "$theme")
		if [ -n "$printed" ] && [ "$got" = "$printed" ]; then
			ok "$mode, $theme theme: the 80x24 screen decodes to the printed URI"
		else
			not_ok "$mode, $theme theme: the 80x24 screen decodes to the printed URI"
			echo "#   printed: $printed"; echo "#   decoded: $got"
			tty_screen | sed 's/^/#   |/'
		fi
	done
	check "  the text lines come before the QR" test "$(tty_history | grep -n -m1 '^secret:' | cut -d: -f1)" -lt \
		"$(tty_history | grep -n -m1 '[▀▄█]' | cut -d: -f1)"
	uri_secret=$(param secret "$got")
	check "  the secret in the QR is the one printed" test -n "$secret" -a "$uri_secret" = "$secret"
	tty_type "$(oathtool --totp -b "$uri_secret")"
	status=$(tty_status)
	check "  a code from the QR's secret activates the device (exit $status)" test "$status" = 0
	[ "$status" = 0 ] || tty_screen | sed "s/^/#   |/" | tail -4
	check "  and says so" screen_has "^device [0-9]* is active"
	check "  devices shows it active" sh -c "'$OTPCTL' --config '$CONF' devices root | grep -q '$mode .*active'"
done

# Long names: level L before a larger version; too long for that: one line.
# (check replaces $WORK/out and err: each enroll's are kept as they were.)
png_version() {  # the QR version of a --qr-file PNG (8 px a module, 4 quiet)
	"$PY" -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); w=struct.unpack(">I",d[16:20])[0]
print((w // 8 - 8 - 17) // 4)' "$1"
}
qr_rows() { grep -c '[▀▄█ ]\{30\}' "$1"; }
write_conf 'issuer = "Test Host 1234567890"'
check "a URI too long for level M at version 5" ctl enroll root --name level --no-confirm \
	--qr-file "$WORK/m.png"
cp "$WORK/out" "$WORK/level.out"; cp "$WORK/err" "$WORK/level.err"
rows=$(qr_rows "$WORK/level.out")
check "  (its PNG, at level M, is version 6)" test "$(png_version "$WORK/m.png")" = 6
check "  is drawn at level L, version 5: 23 rows + the prompt fit 24 (got $rows)" test "$rows" = 23
check "  no 'too tall' note" test ! -s "$WORK/level.err"
check "  it decodes (the text lines and the QR, rendered)" sh -c "'$PY' '$RENDER' dark 80 27 < '$WORK/level.out' > '$WORK/l.pgm' &&
	test \"\$(zbarimg -q --raw '$WORK/l.pgm' 2>/dev/null)\" = \"\$(sed -n 's/^uri: *//p' '$WORK/level.out')\""
write_conf 'issuer = "a-rather-long-issuer-name.example.org"'
check "a URI too long even for level L at version 5" ctl enroll root --name long --no-confirm
cp "$WORK/out" "$WORK/long.out"; cp "$WORK/err" "$WORK/long.err"
rows=$(qr_rows "$WORK/long.out")
check "  is drawn all the same ($rows rows)" test "$rows" -gt 23
check "  with one line that says so and points at --qr-file" \
	test "$(grep -c . "$WORK/long.err"):$(grep -c 'too tall for 80x24.*--qr-file' "$WORK/long.err")" = 1:1
finish
