#!/bin/bash
# Runs every suite and closes with one line "N passed, N failed".
# usage: tests/run_all.sh BUILD_DIR "SANITIZER_ENV"
set -u
build=$1
san_env=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
log=$(mktemp /tmp/otp-check-XXXXXX)
pgdir=""
. tests/pg/cluster.sh
trap 'rm -f "$log"; pg_cluster_destroy "$pgdir"' EXIT
trap 'exit 130' INT TERM HUP

# Count a cmocka run's results from its summary lines.
count_cmocka() {
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	# a crash leaves no summary: count it as a failure
	[ -n "$p$f" ] || failed=$((failed + 1))
}

count_shell() {
	local line p f
	line=$(grep -E '^# .*: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed/\1/')
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-1}))
}

run() {  # run KIND NAME COMMAND...
	local kind=$1 name=$2 rc t0=$SECONDS; shift 2
	echo "== $name"
	env $san_env "$@" >"$log" 2>&1
	rc=$?
	echo "  ($((SECONDS - t0)) s)"
	grep -vE '^PWRAP_ERROR.*(no default config other|SYSLOG\(3\))' "$log" |
		grep -E '^(not ok|\[  (FAILED|ERROR|SKIPPED)|\[   LINE|#|==|ERROR|Summary|SUMMARY)' | sed 's/^/  /'
	if [ "$kind" = cmocka ]; then count_cmocka; else count_shell; fi
	[ $rc -eq 0 ] || echo "  ($name exited $rc)"
}

export TEST_PRELOAD
export OTP_BUILD=$build

for t in "$build"/tests/run_*; do
	run cmocka "unit: ${t##*/run_}" "$t"
done
run cmocka "pam: login flows (pam_wrapper + libpamtest)" bash tests/pam/pam_flow.sh
run cmocka "pam: the module exports only pam_sm_*" env PAM_OTP_MODULE="$top/pam_module/pam_otp.so" \
	"$build/tests/exports"
for t in tests/pam/test_*.sh tests/cli/test_*.sh tests/concurrency/test_*.sh tests/fuzz/test_*.sh; do
	run shell "${t#tests/}" bash "$t"
done

# PostgreSQL: one private cluster for the run (tests/pg/cluster.sh), the
# suites of tests/pg/, then the login flows and the suites below again
# with their store in a database of that cluster. Skipped only when the
# server binaries are missing and OTP_REQUIRE_PG is unset.
pg_suites="tests/pam/test_pamtester.sh tests/pam/test_audit_hostile.sh tests/pam/test_fail2ban.sh
	tests/pam/test_failclosed.sh tests/cli/test_cli.sh tests/cli/test_admin.sh
	tests/cli/test_enroll.sh tests/cli/test_errors.sh tests/cli/test_keys.sh
	tests/cli/test_drift.sh tests/cli/test_summaries.sh tests/cli/test_stats.sh
	tests/cli/test_audit_follow.sh tests/pam/test_oob.sh tests/cli/test_oob_enroll.sh
	tests/cli/test_oob_confirm.sh tests/cli/test_send_test.sh tests/pam/test_enroll_login.sh
	tests/concurrency/test_concurrency.sh tests/concurrency/test_threads.sh"
if ! pg_bindir >/dev/null; then
	if [ -n "${OTP_REQUIRE_PG:-}" ]; then
		echo "== postgresql: no server binaries, and OTP_REQUIRE_PG is set"
		failed=$((failed + 1))
	else
		echo "== postgresql: skipped (no server binaries in /usr/lib/postgresql/*/bin)"
	fi
else
	echo "== postgresql: a private cluster ($("$PG_BIN/postgres" --version))"
	pgdir=$(mktemp -d /tmp/otp-pg-XXXXXX)
	if pg_cluster_create "$pgdir" >"$log" 2>&1; then
		export OTP_PG_DIR=$pgdir
		for t in tests/pg/test_*.sh; do
			run shell "${t#tests/}" bash "$t"
		done
		run cmocka "pam: login flows (pam_wrapper + libpamtest) (postgresql)" \
			env OTP_TEST_BACKEND=postgresql bash tests/pam/pam_flow.sh
		for t in $pg_suites; do
			run shell "${t#tests/} (postgresql)" env OTP_TEST_BACKEND=postgresql bash "$t"
		done
		unset OTP_PG_DIR
		pg_cluster_destroy "$pgdir"  # pg_ctl stop -m fast; the EXIT trap does it otherwise
		pgdir=""
	else
		sed 's/^/  /' "$log"
		echo "  (the cluster did not start: its suites did not run)"
		failed=$((failed + 1))
	fi
fi
if [ "${OTP_SKIP_E2E:-0}" = 1 ]; then
	echo "== e2e: skipped in this build (sshd and sudo load only an unsanitized module)"
elif [ -d tests/e2e ]; then
	for t in tests/e2e/test_*.sh; do
		[ -e "$t" ] && run shell "${t#tests/}" bash "$t"
	done
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
