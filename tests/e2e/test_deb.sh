#!/bin/bash
# The installed package: build the .deb, install it with apt, enroll with
# the installed otpctl, log into sshd through the installed module, then
# purge it. Skipped unless OTP_E2E_DEB=1 (it changes the system's /etc).
. "$(dirname "$0")/lib_e2e.sh"
if [ "${OTP_E2E_DEB:-0}" != 1 ]; then
	echo "# skipped: set OTP_E2E_DEB=1 to install and purge the package"
	echo "# $(basename "$0"): 0 passed, 0 failed"
	exit 0
fi
if dpkg -s libpam-otp >/dev/null 2>&1 || [ -e /etc/pam_otp.conf ]; then
	echo "# refusing: pam_otp is already installed on this host"
	exit 1
fi
check "make deb builds the package (lintian: no errors)" make -C "$TOP" deb
deb=$(ls "$TOP"/dist/libpam-otp_*.deb | head -n 1)
check "apt installs it" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb"
pamdir=/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security
check "  the module is in the PAM module directory" test -f "$pamdir/pam_otp.so"
check "  otpctl in /usr/sbin" test -x /usr/sbin/otpctl
check "  /etc/pam_otp.conf is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' libpam-otp | grep -q /etc/pam_otp.conf"
check "  postinst made the seal key, 0400 root" test "$(stat -c %a:%U /etc/pam_otp/seal.key)" = "400:root"
check "  and the store, 0700" test "$(stat -c %a /var/lib/pam_otp)" = 700
check "  the pam-auth-update profile is there" test -f /usr/share/pam-configs/pam-otp
check "  man pages" test -f /usr/share/man/man8/otpctl.8.gz

b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
check "installed otpctl enrolls the user" /usr/sbin/otpctl enroll "$E2E_USER" --secret $b32 --no-confirm --qr none
echo "auth required pam_otp.so password=system
account required pam_unix.so
session required pam_permit.so" > "/etc/pam.d/$TAG-deb"
port=$(start_sshd "$TAG-deb" keyboard-interactive)
check "ssh login: password then code, through the installed module" \
	ssh_login "$port" "$E2E_PASS" "$(oathtool --totp -b $b32)"
key_before=$(sha256sum < /etc/pam_otp/seal.key)
check "reinstall keeps the seal key" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$deb"
check "  unchanged" test "$(sha256sum < /etc/pam_otp/seal.key)" = "$key_before"
check "apt purges it" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q libpam-otp
check "  module, store and key are gone" sh -c "! test -e $pamdir/pam_otp.so && ! test -e /var/lib/pam_otp && ! test -e /etc/pam_otp"
finish
