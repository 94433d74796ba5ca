#!/bin/sh
# Install the Debian packages a target needs, when any is missing.
# Usage: scripts/deps.sh build|test|e2e ...
set -eu
build="make gcc pkg-config libpam0g-dev libssl-dev libqrencode-dev libconfuse-dev
liblmdb-dev libcrypt-dev libpng-dev libjansson-dev libpq-dev"
test="libcmocka-dev libpam-wrapper libpamtest0-dev pamtester oathtool zbar-tools
faketime lmdb-utils python3 libpam-google-authenticator clang libclang-rt-14-dev valgrind binutils
tmux fail2ban prometheus prometheus-node-exporter curl postgresql msmtp python3-aiosmtpd"
e2e="openssh-server openssh-client sudo expect"
deb="debhelper dpkg-dev fakeroot lintian"
bench="libpam-oath libpam-google-authenticator pamtester oathtool gnuplot-nox bc bsdextrautils"
want=""
for set in "$@"; do
	case "$set" in
	build) want="$want $build" ;;
	test) want="$want $test" ;;
	e2e) want="$want $e2e" ;;
	deb) want="$want $build $deb" ;;
	bench) want="$want $bench" ;;
	*) echo "deps.sh: unknown set '$set'" >&2; exit 1 ;;
	esac
done
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "install them as root: apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Tools only: no daemon a package brings (fail2ban, sshd) starts on install.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 0755 "$policy" && made_policy=1
fi
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null || rc=$?
[ "$made_policy" = 1 ] && rm -f "$policy"
exit "${rc:-0}"
