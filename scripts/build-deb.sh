#!/bin/sh
# Build the Debian packages from a clean copy of the tree; results in dist/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/pam-otp-$version"
(cd "$top" && tar --exclude=./build --exclude=./build-san --exclude=./build-fuzz \
	--exclude=./dist --exclude=./.git -cf - .) | tar -xf - -C "$tmp/pam-otp-$version"
(cd "$tmp/pam-otp-$version" && make clean >/dev/null &&
	dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) || { tail -n 40 "$tmp/build.log"; exit 1; }
mkdir -p "$top/dist"
cp "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$top/dist/"
echo "built: $(cd "$top/dist" && ls ./*.deb)"
if command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error "$top"/dist/*.changes
fi
