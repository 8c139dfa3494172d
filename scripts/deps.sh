#!/bin/sh
# Installs every Debian 12 package that backchannel needs to build, test and
# run its demo.  Idempotent: installs only what is missing, and refreshes the
# package lists only when they are empty or an install from them fails.
# Run as root.
set -eu

PACKAGES="
build-essential autoconf automake libtool libtool-bin pkg-config
libstrophe-dev libxml2-dev libdb-dev db5.3-util libcmocka-dev
libxml2-utils valgrind openssl procps util-linux coreutils iproute2
prosody prosody-modules ejabberd erlang-base
python3 python3-slixmpp python3-pytest python3-pytest-timeout
libmicrohttpd-dev libcurl4-openssl-dev python3-prometheus-client
mandoc man-db systemd debhelper dpkg-dev fakeroot
clang libclang-rt-14-dev
gnuplot-nox
"

export DEBIAN_FRONTEND=noninteractive

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing; run this script as root" >&2
	exit 1
fi

lists=/var/lib/apt/lists
# Refresh the lists when there are none; when they are there but too old to
# install from, the install below refreshes them and tries again.
have_lists=$(find "$lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n 1)
updated=
if [ -z "$have_lists" ]; then
	echo "deps: apt-get update"
	apt-get update -qq
	updated=yes
fi

# The servers are only ever started privately by the tests and the demo:
# keep the packages' own services from starting during installation.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=yes
fi
cleanup() { [ -z "$own_policy" ] || rm -f "$policy"; }
trap cleanup EXIT

log=/tmp/backchannel-deps.log
apt_install() {
	# shellcheck disable=SC2086
	apt-get install -y -qq \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		$missing >"$log" 2>&1
}
echo "deps: installing$missing"
if ! apt_install && { [ -n "$updated" ] || ! apt-get update -qq || ! apt_install; }; then
	tail -n 40 "$log" >&2
	echo "deps: apt-get install failed (log: $log)" >&2
	exit 1
fi
echo "deps: done"
