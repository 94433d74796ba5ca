#!/bin/bash
# The login flows of tests/pam/test_pam.c (cmocka, OTP_BUILD/tests/pam_flow)
# under pam_wrapper, on the store lib.sh gives a suite: LMDB (a directory
# per test, the binary's own), or with OTP_TEST_BACKEND=postgresql a fresh
# database of the run's cluster (or of a private one, run alone), whose
# schema the binary drops before each test. Prints cmocka's output, not
# TAP: run_all.sh counts it as a cmocka run. Not named test_*.sh, so that
# run_all.sh's loop over the shell suites leaves it alone.
. "$(dirname "$0")/../lib.sh"
if on_pg; then
	export OTP_TEST_STORE=$STORE OTP_TEST_PSQL=$PG_BIN/psql
fi
env LD_PRELOAD="${TEST_PRELOAD:-libpam_wrapper.so}" PAM_WRAPPER=1 \
	PAM_WRAPPER_MODULES="$(pkg-config --variable=modules pam_wrapper)" \
	PAM_OTP_MODULE="$MODULE" "$TOP/${OTP_BUILD:-build}/tests/pam_flow"
