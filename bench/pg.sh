#!/bin/bash
# Benchmarks of the PostgreSQL engine: a private PostgreSQL cluster on a
# Unix socket (fsync and synchronous_commit on: the durable default),
# started and stopped here, one database per size N (10 to 1M users):
#   in-process logins (pg_bench inproc), every size's service, pam_permit
#             and an LMDB store interleaved round by round with the floor,
#             one durable commit (a one-row UPDATE in its own transaction)
#             over the same kind of connection as the module's
#   floor     the round trip, the commit with and without its WAL flush,
#             and a new connection, measured apart
#   profile   the statements a login sends, counted and timed in the
#             server's log, and the round trips it waits for, counted by
#             the client (tests/pg/roundtrips.c preloaded)
#   procs     logins per second for P = 1, 2, 4, 8 processes over
#             distinct users, and P processes on ONE user; then the
#             statements of such runs, logged: what the locks cost
#   pamtester one process per login (smallest size only)
#   migrate   otpctl migrate of PG_MIGRATE_N users from LMDB (the issue's
#             way in), timed
# Needs root (PAM service files); QUICK=1 for a short run, PG_SIZES="..."
# for chosen sizes; BEFORE=/path/to/pam_otp.so another build of the module,
# measured beside this one on a database of its own per size (in process,
# interleaved, and its statements and round trips). Writes
# bench/results/pg-*.csv and prints a report.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (it installs PAM service files)"; exit 1; }
if [ "${QUICK:-0}" = 1 ]; then
	SIZES="${PG_SIZES:-10 1000}"; INPROC_R=200; PAR_R=40; ONE_R=40; PROC_R=16; FLOOR_R=300
	ROUNDS=1; MIGRATE_N=${PG_MIGRATE_N:-1000}
else
	SIZES="${PG_SIZES:-10 1000 100000 1000000}"; INPROC_R=1000; PAR_R=200; ONE_R=100
	PROC_R=40; FLOOR_R=1000; ROUNDS=3; MIGRATE_N=${PG_MIGRATE_N:-100000}
fi
PROFILE_R=40   # logins whose statements the server logs
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PGBIN/initdb" ] || { echo "bench: no PostgreSQL server (Debian: postgresql)"; exit 1; }
users_for() { [ "$1" -ge 40 ] && echo 40 || echo 8; }   # as run.sh

work=$(mktemp -d /var/tmp/pam_otp-pgbench-XXXXXX)
chmod 0711 "$work"   # the server runs as nobody: it must reach its directories
run=$work/run        # the socket and the server's log
res="$top/bench/results"
mkdir -p "$res" "$work/pg" "$run" "$work/otp"
chmod 0700 "$work/otp"
chown nobody "$work/pg" "$run"
started=0
cleanup() {
	[ "$started" = 1 ] && runuser -u nobody -- "$PGBIN/pg_ctl" -D "$work/pg" -m fast -w stop \
		>/dev/null 2>&1
	rm -f /etc/pam.d/pam-otp-bench-pg-*
	rm -rf "$work"
}
trap cleanup EXIT

make --no-print-directory all >/dev/null
LIBS="pam libcrypto lmdb libpq libconfuse libqrencode libcrypt libpng jansson"
# libpq before libotp.a: pg_bench calls libpq itself, not libotp's
# stand-ins that load it on first use (pqload.h)
cc -O2 -Icommon $(pkg-config --cflags $LIBS) -o "$work/pg_bench" bench/pg_bench.c \
	$(pkg-config --libs libpq) build/libotp.a $(pkg-config --libs $LIBS)
cc -O2 -o "$work/bench" bench/bench.c -lpam -llmdb -lcrypto -lpthread
cc -O2 -shared -fPIC -o "$work/warm.so" bench/warm.c -lcrypto
cc -O2 -shared -fPIC -o "$work/roundtrips.so" tests/pg/roundtrips.c -ldl
BEFORE=${BEFORE:-}
[ -z "$BEFORE" ] || [ -f "$BEFORE" ] || { echo "bench: BEFORE=$BEFORE: no such module"; exit 1; }
P="$work/pg_bench"
B="$work/bench"
hex=3132333435363738393031323334353637383930   # RFC 4226's key
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

# The cluster: passwords (SCRAM) for the superuser, the owner role and
# the login role of docs/postgresql.sql, in a root-only passfile as the
# README asks of a host.
pw() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
pw_admin=$(pw) pw_owner=$(pw) pw_login=$(pw)
install -o nobody -m 0600 /dev/null "$work/pg.pw"
echo "$pw_admin" > "$work/pg.pw"
runuser -u nobody -- "$PGBIN/initdb" -D "$work/pg" -U otpadmin --pwfile="$work/pg.pw" \
	-A scram-sha-256 --no-sync -E UTF8 >/dev/null
rm -f "$work/pg.pw"
# a role without a password for the floor's "connect without SCRAM" only
runuser -u nobody -- sed -i '1i local bench bench_trust trust' "$work/pg/pg_hba.conf"
cat >> "$work/pg/postgresql.conf" <<EOC
listen_addresses = ''
unix_socket_directories = '$run'
fsync = on
synchronous_commit = on
log_line_prefix = '%m [%p] %u@%d '
log_parameter_max_length = 0
EOC
install -m 0600 /dev/null "$work/pgpass"
printf '*:*:*:otpadmin:%s\n*:*:*:pam_otp_owner:%s\n*:*:*:pam_otp:%s\n' \
	"$pw_admin" "$pw_owner" "$pw_login" > "$work/pgpass"
runuser -u nobody -- "$PGBIN/pg_ctl" -D "$work/pg" -l "$run/log" -w start >/dev/null
started=1
export PGPASSFILE="$work/pgpass"
admin() { psql -X -q -v ON_ERROR_STOP=1 "host=$run user=otpadmin dbname=$1" "${@:2}"; }
# the roles as an administrator makes them (docs/postgresql.sql), and the
# floor's database
admin postgres -v db=bench < docs/postgresql.sql
printf "ALTER ROLE pam_otp_owner PASSWORD '%s';\nALTER ROLE pam_otp PASSWORD '%s';\n" \
	"$pw_owner" "$pw_login" | admin postgres
admin postgres -c "CREATE ROLE bench_trust LOGIN" -c "GRANT CONNECT ON DATABASE bench TO bench_trust"
admin bench <<EOS
CREATE TABLE bench_floor (id int PRIMARY KEY, v bigint NOT NULL);
INSERT INTO bench_floor VALUES (1, 0);
GRANT SELECT, UPDATE ON bench_floor TO pam_otp;
EOS
floor_conn="host=$run user=pam_otp dbname=bench passfile=$work/pgpass"
echo "auth required pam_permit.so" > /etc/pam.d/pam-otp-bench-pg-permit
pg_version=$(admin postgres -At -c 'SHOW server_version')

echo "module,users,ok,fail,median_us,p90_us" > "$res/pg-inproc.csv"
echo "rtt_median_us,rtt_p90_us,async_commit_median_us,async_commit_p90_us,commit_median_us,commit_p90_us" \
	> "$res/pg-floor.csv"
echo "auth,median_us,p90_us" > "$res/pg-connect.csv"
echo "module,users,round,procs,logins,failed,seconds,logins_per_s,median_us,p90_us" > "$res/pg-parallel.csv"
echo "users,fill_s,db_bytes,bytes_per_user" > "$res/pg-size.csv"
echo "users,lmdb_import_s,migrate_s" > "$res/pg-migrate.csv"
echo "users,kind,statement,per_login,server_us_median,server_us_p90,server_us_mean" > "$res/pg-profile.csv"
echo "module,users,sends_per_login,roundtrips_per_login" > "$res/pg-roundtrips.csv"
echo "run,kind,statement,per_login,server_us_median,server_us_p90,server_us_mean" > "$res/pg-contention.csv"
echo "users,step,kind,statement,server_us" > "$res/pg-login-sequence.csv"
echo "module,users,logins,failed,median_ms,overhead_ms" > "$res/pg-proc.csv"
declare -A next=([permit]=0)   # the next HOTP counter of each service's login users

conf() {  # conf FILE DB ROLE
	cat > "$1" <<EOC
store = "host=$run dbname=$2 user=$3 passfile=$work/pgpass"
seal_key = "$work/otp/seal.key"
password = "none"
audit { syslog = false }
EOC
	chmod 0644 "$1"
}

# setup N [b]: database otp_N (docs/postgresql.sql) with the schema (otpctl
# init as the owner role), and N users u0000000... each with a HOTP device of
# the RFC key sealed for that user: otpctl enrolls a template user,
# pg_bench seals the secret for every name (a sealed secret opens only for
# its own user), and SQL copies the template's user and device rows for
# each with that name and seal. With "b", the same for the BEFORE module:
# database otp_Nb, service pam-otp-bench-pg-otp-Nb.
setup() {
	local n=$1 l=$1${2:-} db=otp_$1${2:-} t0 so=$top/pam_module/pam_otp.so
	[ -z "${2:-}" ] || so=$BEFORE
	admin postgres -v db="$db" < docs/postgresql.sql
	conf "$work/otp/owner-$l.conf" "$db" pam_otp_owner
	conf "$work/otp/otp-$l.conf" "$db" pam_otp
	cli/otpctl --config "$work/otp/owner-$l.conf" init >/dev/null
	admin "$db" -c 'CREATE UNLOGGED TABLE bench_fill (name text COLLATE "C", sealed bytea)'
	quiet ctl "$l" enroll tmpl --type hotp --secret $b32 --no-confirm --force --qr none
	t0=$EPOCHREALTIME
	"$P" seal "host=$run user=otpadmin dbname=$db" "$work/otp/seal.key" $hex 1 "$n" bench_fill
	admin "$db" <<EOS
BEGIN;
INSERT INTO pam_otp.users (name, failures, first_fail, locked_until, created, last_login,
                           next_device, flags)
  SELECT f.name, t.failures, t.first_fail, t.locked_until, t.created, t.last_login,
         t.next_device, t.flags
  FROM bench_fill f CROSS JOIN pam_otp.users t WHERE t.name = 'tmpl';
INSERT INTO pam_otp.devices (user_name, id, name, type, alg, digits, state, period, counter,
                             last_step, drift, created, last_used, sealed)
  SELECT f.name, d.id, d.name, d.type, d.alg, d.digits, d.state, d.period, d.counter,
         d.last_step, d.drift, d.created, d.last_used, f.sealed
  FROM bench_fill f CROSS JOIN pam_otp.devices d WHERE d.user_name = 'tmpl';
COMMIT;
DROP TABLE bench_fill;
EOS
	fill_s=$(echo "$EPOCHREALTIME - $t0" | bc)
	# settled as a store in service would be: statistics, hint bits, no checkpoint due
	admin "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
	db_bytes=$(admin "$db" -At -c "SELECT pg_database_size(current_database())")
	[ -n "${2:-}" ] || printf '%s,%.2f,%s,%s\n' "$n" "$fill_s" "$db_bytes" $((db_bytes / n)) \
		>> "$res/pg-size.csv"
	# the ONE user of the serialisation runs: 8 devices of 8 digits (a code of
	# one device never matches another's), one per process
	for i in 0 1 2 3 4 5 6 7; do
		quiet ctl "$l" enroll one --type hotp --digits 8 --secret "$("$P" devkey $i)" \
			--no-confirm --force --qr none
	done
	echo "auth required $so config=$work/otp/otp-$l.conf" > "/etc/pam.d/pam-otp-bench-pg-otp-$l"
	next[otp-$l]=0
}
ctl() { local n=$1; shift; cli/otpctl --config "$work/otp/otp-$n.conf" "$@"; }
# quiet COMMAND...: its output only if it fails (enroll --force warns of a
# user the system does not know)
quiet() { "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }

# lmdb_store DIR N: an LMDB store of N users (otpctl import oath, timed
# into import_s), the RFC key at counter 0, as run.sh makes them
lmdb_store() {
	local d=$1 n=$2 i t0
	mkdir -m 0700 "$d"
	cat > "$d/otp.conf" <<EOC
store = "$d/store"
seal_key = "$d/seal.key"
password = "none"
audit { syslog = false }
EOC
	chmod 0644 "$d/otp.conf"
	for ((i = 0; i < n; i++)); do printf 'HOTP u%07d - %s 0\n' $i $hex; done > "$d/users"
	chmod 0600 "$d/users"
	cli/otpctl --config "$d/otp.conf" init >/dev/null
	t0=$EPOCHREALTIME
	cli/otpctl --config "$d/otp.conf" import oath "$d/users" >/dev/null
	import_s=$(echo "$EPOCHREALTIME - $t0" | bc)
}

lmdb_setup() {  # lmdb_setup N: the LMDB store the logins are compared with
	lmdb_store "$work/lmdb" "$1"
	echo "auth required $top/pam_module/pam_otp.so config=$work/lmdb/otp.conf" \
		> /etc/pam.d/pam-otp-bench-pg-lmdb
	next[lmdb]=0
}

# migrate N: the issue's import path, timed: N users imported into LMDB,
# then otpctl migrate --to an empty database (one transaction, counts
# compared before the commit)
migrate() {
	local n=$1 t0
	lmdb_store "$work/migrate" "$n"
	admin postgres -v db=otp_migrate < docs/postgresql.sql
	t0=$EPOCHREALTIME
	cli/otpctl --config "$work/migrate/otp.conf" migrate \
		--to "host=$run dbname=otp_migrate user=pam_otp_owner passfile=$work/pgpass" >/dev/null
	printf '%s,%.2f,%.2f\n' "$n" "$import_s" "$(echo "$EPOCHREALTIME - $t0" | bc)" \
		>> "$res/pg-migrate.csv"
	admin postgres -c "DROP DATABASE otp_migrate"
	rm -rf "$work/migrate"
}

floor() {  # the commit's parts; a new session with SCRAM, and without
	"$P" floor "$floor_conn" "$FLOOR_R" | tr ' ' ',' >> "$res/pg-floor.csv"
	echo "scram-sha-256,$("$P" connect "$floor_conn" $((FLOOR_R / 10)) | tr ' ' ',')" \
		>> "$res/pg-connect.csv"
	echo "trust,$("$P" connect "host=$run user=bench_trust dbname=bench" $((FLOOR_R / 10)) |
		tr ' ' ',')" >> "$res/pg-connect.csv"
}

# in_process SIZE...: every size's service, pam_permit and LMDB (at the
# first size's users) interleaved, beside the durable commit
in_process() {
	local n u svc=("pam-otp-bench-pg-permit:$1:$(users_for "$1"):0")
	for n in "$@"; do
		u=$(users_for "$n")
		svc+=("pam-otp-bench-pg-otp-$n:$n:$u:${next[otp-$n]}")
		next[otp-$n]=$(( ${next[otp-$n]} + INPROC_R / u ))
		if [ -n "$BEFORE" ]; then
			svc+=("pam-otp-bench-pg-otp-${n}b:$n:$u:${next[otp-${n}b]}")
			next[otp-${n}b]=$(( ${next[otp-${n}b]} + INPROC_R / u ))
		fi
	done
	svc+=("pam-otp-bench-pg-lmdb:$1:$(users_for "$1"):${next[lmdb]}")
	next[lmdb]=$(( ${next[lmdb]} + INPROC_R / $(users_for "$1") ))
	"$P" inproc "$floor_conn" "$INPROC_R" "${svc[@]}" |
		sed 's/^pam-otp-bench-pg-//; s/^otp-[0-9]*b /otp-pg-before /; s/^otp-[0-9]* /otp-pg /;
			s/^lmdb /otp-lmdb /; s/ /,/g' \
		>> "$res/pg-inproc.csv"
}

# logged COMMAND...: run it with every statement of the login role logged
# with its duration (a role setting: only new sessions, those of COMMAND's
# processes, get it); the log it added goes to $work/stmts.log.
logged() {
	local from
	admin postgres -c "ALTER ROLE pam_otp SET log_min_duration_statement = 0"
	from=$(stat -c %s "$run/log")
	"$@" > /dev/null
	admin postgres -c "ALTER ROLE pam_otp RESET log_min_duration_statement"
	tail -c +$((from + 1)) "$run/log" | grep ' pam_otp@otp_' > "$work/stmts.log" || true
}

# statements TAG LOGINS [SEQFILE]: from $work/stmts.log, a line
# "TAG,kind,statement,per_login,median_us,p90_us,mean_us" per kind of
# statement (server time). A statement is an execute of a prepared
# statement (its bind step added) or a simple query; parse steps and the
# session's setup happen once per connection. Several statements may
# travel in one round trip (the client counts those: roundtrips). With
# SEQFILE, the last login's statements are appended to it in order.
statements() {
	awk -v tag="$1" -v r="$2" -v seq="${3:-}" '
		# "INSERT audit", "SELECT users", "lock user", or the simple query itself
		function label(sql,  t, w) {
			gsub(/pam_otp\./, "", sql)
			if (sql ~ /hashtextextended/) return "lock: the user (advisory)"
			if (sql ~ /advisory_xact_lock(_shared)?\(1, 0\)/) return "lock: the store (advisory)"
			if (sql ~ /advisory_xact_lock\(3,/) return "lock: the second (advisory)"
			if (sql ~ /advisory_xact_lock\(2,/) return "lock: the minute (advisory)"
			if (match(sql, /^(SELECT|INSERT|UPDATE|DELETE)/) &&
			    match(sql, /(FROM|INTO|UPDATE) [a-z_]+/)) {
				t = substr(sql, RSTART, RLENGTH); sub(/^[A-Z]+ /, "", t)
				split(sql, w, " ")
				return w[1] " " t
			}
			gsub(/,/, ";", sql)
			return length(sql) > 60 ? substr(sql, 1, 57) "..." : sql
		}
		function sorted(k,  i, j, x, m) {   # a[1..m]: the values of k, sorted
			m = cnt[k]
			for (i = 1; i <= m; i++) {
				x = v[k, i]
				for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
				a[j + 1] = x
			}
			return m
		}
		match($0, /duration: [0-9.]+ ms  /) {
			d = substr($0, RSTART + 10, RLENGTH - 15) * 1000
			rest = substr($0, RSTART + RLENGTH)
			if (rest ~ /^statement: /) { kind = "simple"; sql = substr(rest, 12) }
			else { kind = rest; sub(/ .*/, "", kind); sql = rest; sub(/^[a-z]+ [^:]*: /, "", sql) }
			pid = $0; sub(/\].*/, "", pid); sub(/.*\[/, "", pid)   # "[pid]" of the prefix
			if (kind == "bind") { pend[pid] += d; next }
			if (kind == "execute") { kind = "prepared"; d += pend[pid]; pend[pid] = 0 }
			if (kind == "parse" || sql ~ /statement_timeout|to_regclass|schema_version/)
				kind = "once per connection: " kind
			key = kind "," label(sql)
			c = ++cnt[key]; v[key, c] = d; sum[key] += d
			if (kind !~ /^once/) { nrt++; sk[nrt] = key; sd[nrt] = d }
		}
		END {
			for (k in cnt) {
				m = sorted(k)
				printf "%s,%s,%.2f,%.1f,%.1f,%.1f\n", tag, k, cnt[k] / r, a[int((m + 1) / 2)],
					a[int((m * 9 + 9) / 10)], sum[k] / cnt[k]
			}
			if (seq == "") exit
			per = int(nrt / r + 0.5)
			for (i = nrt - per + 1; i <= nrt; i++)
				printf "%s,%d,%s,%.1f\n", tag, i - nrt + per, sk[i], sd[i] >> seq
		}' "$work/stmts.log" | sort -t, -k2,2
}

# profile N U [b]: the statements of PROFILE_R logins, one at a time (with
# "b", of the BEFORE module: tagged "N before")
profile() {
	local n=$1 u=$2 l=$1${3:-} tag=$1${3:+ before}
	logged "$B" login "$n" "$u" "pam-otp-bench-pg-otp-$l:${next[otp-$l]}:$PROFILE_R"
	next[otp-$l]=$(( ${next[otp-$l]} + PROFILE_R / u ))
	statements "$tag" "$PROFILE_R" "$res/pg-login-sequence.csv" >> "$res/pg-profile.csv"
	roundtrips "$n" "$u" "$l" "$tag"
}

# roundtrips N U L TAG: the round trips a login of service otp-L waits for,
# as the client lives them (tests/pg/roundtrips.c preloaded): one process
# logs in U times, another U + PROFILE_R times; the difference over the
# PROFILE_R logins leaves each process's connection out
roundtrips() {
	local n=$1 u=$2 l=$3 r
	for r in $u $((u + PROFILE_R)); do
		OTP_RT_OUT="$work/rt-$r" LD_PRELOAD="$work/roundtrips.so" "$B" login "$n" "$u" \
			"pam-otp-bench-pg-otp-$l:${next[otp-$l]}:$r" > /dev/null
		next[otp-$l]=$(( ${next[otp-$l]} + r / u ))
	done
	awk -v tag="$4" -v r="$PROFILE_R" 'NR == FNR { s = $1; t = $2; next }
		{ printf "%s,%.2f,%.2f\n", tag, ($1 - s) / r, ($2 - t) / r }' \
		"$work/rt-$u" "$work/rt-$((u + PROFILE_R))" |
		sed 's/^\([0-9]*\) before,/otp-pg-before,\1,/; s/^\([0-9]*\),/otp-pg,\1,/' \
		>> "$res/pg-roundtrips.csv"
}

# contention N U: the statements of 8 processes over distinct users, then
# of 8 on ONE user: how long the locks make a login wait
contention() {
	local n=$1 u=$2
	logged "$P" procs "pam-otp-bench-pg-otp-$n" "$n" "$u" "$PAR_R" "${next[otp-$n]}" 8
	next[otp-$n]=$(( ${next[otp-$n]} + PAR_R / (u / 8) ))
	statements "8 processes; distinct users" $((8 * PAR_R)) >> "$res/pg-contention.csv"
	logged "$P" oneuser "pam-otp-bench-pg-otp-$n" one "$ONE_R" 8 "$ROUNDS" 1 2 4 8
	statements "1+2+4+8 processes; one user" $((15 * ONE_R)) >> "$res/pg-contention.csv"
}

# parallel N U: ROUNDS rounds; in each, for P = 1, 2, 4, 8: pam_permit
# and pam_otp over distinct users, then P processes on ONE user
parallel() {
	local n=$1 u=$2 m p round
	for ((round = 0; round < ROUNDS; round++)); do
		for p in 1 2 4 8; do
			for m in permit "otp-$n"; do
				"$P" procs "pam-otp-bench-pg-$m" "$n" "$u" "$PAR_R" "${next[$m]}" "$p" |
					sed "s/^/$m,$n,$round,/; s/ /,/g; s/^otp-[0-9]*,/otp-pg,/" \
					>> "$res/pg-parallel.csv"
				next[$m]=$(( ${next[$m]} + PAR_R / (u / p) ))
			done
		done
		"$P" oneuser "pam-otp-bench-pg-otp-$n" one "$ONE_R" 8 "$round" 1 2 4 8 |
			sed "s/^/otp-pg-one-user,$n,$round,/; s/ /,/g" >> "$res/pg-parallel.csv"
	done
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }

# proc_level N U: one pamtester per login, as run.sh's "warm" host (OpenSSL
# in use before PAM runs, as in sshd): the module connects in every login
proc_level() {
	local n=$1 u=$2 r k m c code t0 floor_ms med mods="permit otp-$1 lmdb"
	for m in $mods; do : > "$work/proc-$m"; done
	for ((r = 0; r < PROC_R; r++)); do
		k=$((r % u))
		for m in $mods; do
			c=$(( ${next[$m]} + r / u ))
			code=$(oathtool --hotp -c $c $hex)
			t0=$EPOCHREALTIME
			LD_PRELOAD=$work/warm.so pamtester "pam-otp-bench-pg-$m" \
				"$(printf 'u%07d' $((k * (n / u))))" authenticate <<<"$code" >/dev/null 2>&1 ||
				echo "$m" >> "$work/proc-fail"
			echo "($EPOCHREALTIME - $t0) * 1000" | bc -l >> "$work/proc-$m"
		done
	done
	for m in $mods; do next[$m]=$(( ${next[$m]} + PROC_R / u )); done
	floor_ms=$(median < "$work/proc-permit")
	for m in $mods; do
		med=$(median < "$work/proc-$m")
		printf '%s,%s,%s,%s,%.2f,%.2f\n' "$m" "$n" "$PROC_R" "$(grep -cx -- "$m" "$work/proc-fail" || true)" \
			"$med" "$(echo "$med - $floor_ms" | bc -l)" |
			sed 's/^otp-[0-9]*,/otp-pg,/; s/^lmdb,/otp-lmdb,/' >> "$res/pg-proc.csv"
	done
}

first=${SIZES%% *}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)   # the machine is shared: say how busy it was
: > "$work/proc-fail"
for n in $SIZES; do
	echo "== PostgreSQL: filling $n users"
	setup "$n"
	[ -z "$BEFORE" ] || setup "$n" b
done
lmdb_setup "$first"
echo "== PostgreSQL: in-process logins, every size interleaved"
floor
# shellcheck disable=SC2086
in_process $SIZES
for n in $SIZES; do
	echo "== PostgreSQL: $n users, the statements of a login"
	profile "$n" "$(users_for "$n")"
	[ -z "$BEFORE" ] || profile "$n" "$(users_for "$n")" b
done
last=${SIZES##* }
echo "== PostgreSQL: $last users, parallel logins"
parallel "$last" "$(users_for "$last")"
contention "$last" "$(users_for "$last")"
echo "== PostgreSQL: otpctl migrate of $MIGRATE_N users from LMDB"
migrate "$MIGRATE_N"
if command -v pamtester >/dev/null; then
	echo "== PostgreSQL: one process per login"
	proc_level "$first" "$(users_for "$first")"
fi
{
	echo "postgresql,$pg_version"
	echo "cpus,$(nproc)"
	echo "load_at_start,$load_start"
	echo "load_at_end,$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$res/pg-run.txt"
bench/pg_report.sh "$res"
