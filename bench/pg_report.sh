#!/bin/bash
# Tables from bench/results/pg-*.csv (bench/pg.sh), and the figures its
# targets are judged by.
set -eu
res=$1
col() { column -s, -t; }
val() { awk -F, -v k="$1" '$1 == k { print $2 }' "$res/pg-run.txt"; }
echo; echo "PostgreSQL $(val postgresql), $(val cpus) CPUs, load average $(val load_at_start) at the start, $(val load_at_end) at the end."
echo; echo "The floor, back to back over the login role's connection, microseconds:"
echo "(rtt: a prepared SELECT 1; async_commit: a one-row UPDATE, synchronous_commit off; commit: the same, durable)"
col < "$res/pg-floor.csv"
echo; echo "A new session (connect, authenticate, one SELECT 1, close), microseconds:"
col < "$res/pg-connect.csv"
echo; echo "Per login, in process (pam_start/pam_authenticate/pam_end), microseconds; every size's"
echo "service, pam_permit, LMDB and the durable commit (commit) interleaved round by round:"
col < "$res/pg-inproc.csv"
echo; echo "Login overhead (median - pam_permit median) against the durable commit (target: within 3x),"
echo "and the median's growth from the smallest size (target: within 1.5x):"
b2b=$(awk -F, 'NR == 2 { print $5 }' "$res/pg-floor.csv")
awk -F, -v b2b="$b2b" 'NR == 1 { next }
	$1 == "commit" { fl = $5; next }
	$1 == "permit" { pm = $5; next }
	$1 == "otp-lmdb" { lm = $5; next }
	$1 == "otp-pg-before" { mb[$2] = $5; next }
	{ m[$2] = $5; order[++ns] = $2 }
	END {
		for (i = 1; i <= ns; i++) {
			s = order[i]; o = m[s] - pm
			printf "%s users: pam_otp on PostgreSQL %d us, overhead %d us = %.1fx the commit in the loop (%d us), %.1fx the back-to-back commit (%d us); median %.2fx that at %s users\n",
				s, m[s], o, o / fl, fl, o / b2b, b2b, m[s] / m[order[1]], order[1]
			if (s in mb)
				printf "%s users: the BEFORE build %d us, overhead %d us = %.1fx the commit in the loop\n",
					s, mb[s], mb[s] - pm, (mb[s] - pm) / fl
		}
		printf "LMDB (%s users): overhead %d us = %.1fx the PostgreSQL commit in the loop\n", order[1], lm - pm, (lm - pm) / fl
	}' "$res/pg-inproc.csv"
first=$(awk -F, 'NR == 2 { print $1 }' "$res/pg-login-sequence.csv")
echo; echo "What a login sends ($first users; server log, per login; server time per statement, microseconds):"
awk -F, -v s="$first" 'NR == 1 || $1 == s' "$res/pg-profile.csv" | cut -d, -f2- | col
awk -F, 'NR > 1 && ($2 == "prepared" || $2 == "simple") {
		st[$1] += $4; med[$1] += $4 * $5; mean[$1] += $4 * $7; if ($3 == "COMMIT") c[$1] = $5 }
	END { for (s in st) printf "%s users: %.1f statements per login; server time per login %d us (sum of medians; COMMIT %d us of it), %d us (sum of means)\n",
		s, st[s], med[s], c[s], mean[s] }' "$res/pg-profile.csv" | sort -n
if [ -f "$res/pg-roundtrips.csv" ]; then
	echo; echo "Round trips a login waits for, counted by the client (sends: messages sent, some not awaited):"
	col < "$res/pg-roundtrips.csv"
fi
echo; echo "One login's statements in order ($first users), server time in microseconds:"
awk -F, -v s="$first" 'NR == 1 || $1 == s' "$res/pg-login-sequence.csv" | cut -d, -f2- | col
if grep -q "^$first before," "$res/pg-login-sequence.csv"; then
	echo; echo "The same, BEFORE build:"
	awk -F, -v s="$first before" '$1 == s' "$res/pg-login-sequence.csv" | cut -d, -f2- | col
fi
echo; echo "Parallel login loops, every round (one-user: P processes on ONE user, each with its own device):"
col < "$res/pg-parallel.csv"
echo; echo "Logins per second, median of the rounds (lowest - highest):"
awk -F, 'NR > 1 { k = $1 "," $2 "," $4; n[k]++; v[k, n[k]] = $8; if (!(k in seen)) { seen[k] = 1; o[++no] = k } }
	END {
		print "module,users,procs,rounds,logins_per_s,lowest,highest"
		for (i = 1; i <= no; i++) {
			k = o[i]; m = n[k]
			for (a = 1; a <= m; a++) {   # insertion sort of this level
				x = v[k, a]
				for (b = a - 1; b >= 1 && s[b] > x; b--) s[b + 1] = s[b]
				s[b + 1] = x
			}
			printf "%s,%d,%d,%d,%d\n", k, m, s[int((m + 1) / 2)], s[1], s[m]
		}
	}' "$res/pg-parallel.csv" | col

echo; echo "Under contention (statements logged, server time in microseconds; a lock's time is waiting"
echo "for it; statements of under one per login, the warm-up logins' and the connections', left out):"
awk -F, 'NR == 1 || $4 >= 0.5' "$res/pg-contention.csv" | col
echo; echo "Database size and fill time (seal per user, COPY, INSERT ... SELECT):"
col < "$res/pg-size.csv"
echo; echo "otpctl import oath into LMDB, then otpctl migrate --to PostgreSQL, seconds:"
col < "$res/pg-migrate.csv"
if [ "$(wc -l < "$res/pg-proc.csv")" -gt 1 ]; then
	echo; echo "One process per login (pamtester, OpenSSL warm as in sshd), median ms:"
	col < "$res/pg-proc.csv"
fi
echo
awk -F, 'FNR == 1 { next }
	FILENAME ~ /inproc/ && $1 != "commit" { n += $3 + $4; f += $4 }
	FILENAME ~ /parallel/ { n += $5; f += $6 }
	FILENAME ~ /pg-proc[.]csv$/ { n += $3; f += $4 }
	END { printf "Failed logins, all phases: %d of %d (target: 0)\n", f, n }' \
	"$res/pg-inproc.csv" "$res/pg-parallel.csv" "$res/pg-proc.csv"
