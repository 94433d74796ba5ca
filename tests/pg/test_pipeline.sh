#!/bin/bash
# A login's writes travel in a pipeline, with the next statement whose
# result is read or with COMMIT: a write that the server refuses there must
# fail the login, never let it pass, and the connection must go on serving
# the next logins of the same process. A trigger refuses the device write
# of one counter value: one host process logs in three times, the second
# login's write is refused. (A guard of the pipeline: the code before it,
# which awaited every statement, passes it too.)
. "$(dirname "$0")/../lib.sh"
need_pg
THREADS="$TOP/${OTP_BUILD:-build}/tests/threads"
hex=3132333435363738393031323334353637383930
b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
write_conf
svc="otp-pipe-$$"
pam_service "$svc" "auth required $MODULE config=$CONF nodelay"
code() { oathtool --hotp -c "$1" $hex; }

check "otpctl init" ctl init
check "enroll pp (HOTP)" ctl enroll --force pp --type hotp --secret $b32 --no-confirm --qr none
check "a trigger refuses the device write that moves the counter to 2" pg_sql "$PG_DB" "
CREATE FUNCTION public.refuse_two() RETURNS trigger LANGUAGE plpgsql AS
  \$\$ BEGIN IF NEW.counter = 2 THEN RAISE EXCEPTION 'planted failure'; END IF;
  RETURN NEW; END \$\$;
CREATE TRIGGER refuse_two BEFORE UPDATE ON pam_otp.devices
  FOR EACH ROW EXECUTE FUNCTION public.refuse_two();"
[ -x "$THREADS" ] || not_ok "the threads host is built ($THREADS)"
# one process, three logins: code 0 (counter to 1), code 1 (to 2: refused),
# code 2 (to 3)
capture env PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$WORK/svc" \
	LD_PRELOAD="$([ "$(id -u)" -eq 0 ] || echo "${TEST_PRELOAD:-libpam_wrapper.so}")" \
	"$THREADS" race "$svc" 1 "pp:$(code 0)" "pp:$(code 1)" "pp:$(code 2)"
has "two logins pass, the one whose write was refused fails" "^success=2 failure=1 broken=0"
check "  the counter is past the last code accepted" \
	test "$(pg_sql "$PG_DB" "SELECT counter FROM pam_otp.devices WHERE user_name = 'pp'")" = 3
check "  two successes in the audit trail, as many as passed" \
	test "$(ctl audit --format json --user pp --event auth_success | wc -l)" = 2
check "the trigger dropped" pg_sql "$PG_DB" "DROP TRIGGER refuse_two ON pam_otp.devices"
capture env PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$WORK/svc" \
	LD_PRELOAD="$([ "$(id -u)" -eq 0 ] || echo "${TEST_PRELOAD:-libpam_wrapper.so}")" \
	"$THREADS" race "$svc" 1 "pp:$(code 3)"
has "  the next code passes" "^success=1 failure=0 broken=0"
finish
