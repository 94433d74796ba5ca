#!/bin/bash
# Replay every fuzz seed and every input that once crashed a fuzzer.
. "$(dirname "$0")/../lib.sh"
if ! command -v clang >/dev/null; then
	echo "# skipped: clang missing (scripts/deps.sh test)"
	finish
	exit
fi
make -s -C "$TOP" fuzz-regress >"$WORK/regress.out" 2>&1
rc=$?
while read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	*"fails"*) not_ok "$line" ;;
	esac
done < "$WORK/regress.out"
[ $rc -eq 0 ] || not_ok "fuzz-regress exited $rc"
finish
