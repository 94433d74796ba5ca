#!/bin/bash
# Tables from bench/results/*.csv, and the chart of per-login overhead.
set -eu
res=$1
col() { column -s, -t; }
echo; echo "Per login, process level (pamtester), median ms; overhead = minus pam_permit; host warm = OpenSSL in use before PAM runs (as in sshd):"
col < "$res/proc.csv"
echo; echo "Per login, in process (pam_start/pam_authenticate/pam_end), microseconds:"
col < "$res/inproc.csv"
echo; echo "Bare LMDB write transaction with fsync on the same disk (the floor), microseconds:"
col < "$res/floor.csv"
echo; echo "Parallel login loops:"
col < "$res/parallel.csv"
if [ -s "$res/threads.csv" ]; then
	echo; echo "Threaded host (threads of one process looping logins):"
	col < "$res/threads.csv"
fi
echo; echo "Store size, import and audit dump:"
col < "$res/size.csv"
echo; echo "Overhead ratios (module overhead / pam_otp overhead), and pam_otp's growth from the smallest size:"
awk -F, 'NR > 1 { o[$1 "," $2 "," $3] = $5; n[$2] = 1; h[$3] = 1 }
	function d(x) { return x > 0.05 ? x : 0.05 }
	END { for (s in n) for (k in h) printf "%s users, %s: pam_oath %.1fx, google-authenticator %.1fx\n",
		s, k, o["oath," s "," k] / d(o["otp," s "," k]), o["ga," s "," k] / d(o["otp," s "," k]) }' \
	"$res/proc.csv" | sort -n
awk -F, 'NR > 1 && $1 == "otp" { if (!($3 in first)) first[$3] = $5; last[$3] = $5; size[$3] = $2 }
	END { for (k in first) printf "pam_otp %s: overhead %.2f ms at the smallest size, %.2f ms at %s users (%.2fx)\n",
		k, first[k], last[k], size[k], last[k] / (first[k] > 0.05 ? first[k] : 0.05) }' "$res/proc.csv"
floor=$(awk -F, 'NR == 2 { print $1 }' "$res/floor.csv")
echo; echo "In process, module overhead (median - pam_permit median) against the bare fsync'd LMDB transaction (${floor} us):"
awk -F, -v floor="$floor" 'NR > 1 { m[$1 "," $2] = $5; n[$2] = 1 }
	END { for (s in n) printf "%s users: pam_otp %d us (%.1fx the floor), pam_oath %d us, google-authenticator %d us\n",
		s, m["otp," s] - m["permit," s], (m["otp," s] - m["permit," s]) / floor,
		m["oath," s] - m["permit," s], m["ga," s] - m["permit," s] }' "$res/inproc.csv" | sort -n
if [ -s "$res/failures.txt" ]; then echo; echo "Failed logins:"; cat "$res/failures.txt"; fi
if command -v gnuplot >/dev/null; then
	for m in otp oath ga; do
		for k in fresh warm; do
			awk -F, -v m=$m -v k=$k 'NR > 1 && $1 == m && $3 == k { print $2, ($5 > 0.05 ? $5 : 0.05) }' \
				"$res/proc.csv" > "$res/plot-$m-$k.dat"
		done
	done
	gnuplot <<EOG
set terminal pngcairo noenhanced size 900,560 font ",11"
set output "$res/overhead.png"
set title "Per-login overhead over pam_permit (pamtester, median)"
set xlabel "users in the store"
set ylabel "ms per login"
set logscale xy
set grid
set key top left
plot "$res/plot-otp-fresh.dat" with linespoints lw 2 lc 1 title "pam_otp", \
     "$res/plot-otp-warm.dat" with linespoints lw 2 lc 1 dt 2 title "pam_otp, OpenSSL warm", \
     "$res/plot-oath-fresh.dat" with linespoints lw 2 lc 2 title "pam_oath", \
     "$res/plot-oath-warm.dat" with linespoints lw 2 lc 2 dt 2 title "pam_oath, OpenSSL warm", \
     "$res/plot-ga-fresh.dat" with linespoints lw 2 lc 3 title "pam_google_authenticator", \
     "$res/plot-ga-warm.dat" with linespoints lw 2 lc 3 dt 2 title "pam_google_authenticator, OpenSSL warm"
EOG
	rm -f "$res"/plot-*.dat
	echo; echo "chart: $res/overhead.png"
fi
