#!/bin/bash
# Tables from bench/results/*.csv, and the chart of per-login overhead.
set -eu
res=$1
col() { column -s, -t; }
echo; echo "Per login, process level (pamtester), median ms; overhead = minus pam_permit:"
col < "$res/proc.csv"
echo; echo "Per login, in process (pam_start/pam_authenticate/pam_end), microseconds:"
col < "$res/inproc.csv"
echo; echo "Bare LMDB write transaction with fsync on the same disk (the floor), microseconds:"
col < "$res/floor.csv"
echo; echo "Parallel login loops:"
col < "$res/parallel.csv"
echo; echo "Store size, import and audit dump:"
col < "$res/size.csv"
echo; echo "Ratios at each size (module overhead / pam_otp overhead):"
awk -F, 'NR > 1 { o[$1 "," $2] = $4; n[$2] = 1 }
	END { for (s in n) printf "%s users: pam_oath %.1fx, google-authenticator %.1fx\n", s,
		o["oath," s] / (o["otp," s] > 0.01 ? o["otp," s] : 0.01),
		o["ga," s] / (o["otp," s] > 0.01 ? o["otp," s] : 0.01) }' "$res/proc.csv" | sort -n
if [ -s "$res/failures.txt" ]; then echo; echo "Failed logins:"; cat "$res/failures.txt"; fi
if command -v gnuplot >/dev/null; then
	for m in otp oath ga; do
		awk -F, -v m=$m 'NR > 1 && $1 == m { print $2, ($4 > 0.01 ? $4 : 0.01) }' "$res/proc.csv" > "$res/plot-$m.dat"
	done
	gnuplot <<EOG
set terminal pngcairo size 900,560 font ",11"
set output "$res/overhead.png"
set title "Per-login overhead over pam_permit (pamtester, median)"
set xlabel "users in the store"
set ylabel "ms per login"
set logscale xy
set grid
set key top left
plot "$res/plot-otp.dat" with linespoints lw 2 title "pam_otp", \
     "$res/plot-oath.dat" with linespoints lw 2 title "pam_oath", \
     "$res/plot-ga.dat" with linespoints lw 2 title "pam_google_authenticator"
EOG
	rm -f "$res"/plot-*.dat
	echo; echo "chart: $res/overhead.png"
fi
