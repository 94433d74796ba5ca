#!/bin/bash
# otpctl check and the policy's groups: a group in require_group or
# exempt_group that does not exist is a warning (logins count it as a group
# without members, so a typo in require_group asks nobody for a code).
. "$(dirname "$0")/../lib.sh"
write_conf 'require_group = "root,no-such-group-7x"
exempt_group = "no-such-exempt-7x"'
ctl init >/dev/null
check_exit "a group that does not exist: 1 (warning)" 1 ctl check --module "$MODULE"
has "  names require_group's missing group" "^WARNING: policy: require_group: no group named 'no-such-group-7x'"
has "  and exempt_group's" "^WARNING: policy: exempt_group: no group named 'no-such-exempt-7x'"
check "  not the group that exists" fails grep -q "'root'" "$WORK/out"
write_conf 'require_group = "root"'
check_exit "every group exists: 0" 0 ctl check --module "$MODULE"
finish
