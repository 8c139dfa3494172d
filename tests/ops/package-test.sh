#!/bin/bash
# The packaged install, end to end, as scripts/test.sh runs it (as root):
# builds the Debian package from a distribution tarball
# (dpkg-buildpackage -us -uc -b, without its test suite), installs it,
# checks what it put in place (the system user, the programs, the unit,
# the manual pages, the configuration readable by the service only), runs
# backchannelctl against the installed configuration, then starts the
# service - with systemctl under a real systemd, otherwise the unit's
# ExecStartPre and ExecStart lines as the unit's user - connected to a
# private Prosody, relays a message between two members and scrapes its
# metrics.  Purges the package at the end, whatever happened.
#
#   tests/ops/package-test.sh BUILD_DIR
#
# BUILD_DIR is a configured build directory ("make dist" runs there).
# Bounded: every step has a time limit; the whole takes about a minute
# and a half on two cores.
set -euo pipefail

build=$(cd "${1:?usage: package-test.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${PYTHON:=/usr/bin/python3}"
work=$(mktemp -d /tmp/bc-package.XXXXXX)
installed=
log() { printf 'package-test: %s\n' "$*"; }
die() {
	printf 'package-test: FAILED: %s\n' "$*" >&2
	exit 1
}

cleanup() {
	if [ -n "$installed" ]; then
		timeout 120 dpkg --purge backchannel >"$work/purge.log" 2>&1 ||
			{ cat "$work/purge.log" >&2; log "purge failed"; }
	fi
	rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "run as root (it installs a package)"
for tool in dpkg-buildpackage dh runuser; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (run scripts/deps.sh)"
done
if dpkg-query -W -f='${Status}' backchannel 2>/dev/null | grep -q installed; then
	die "a backchannel package is installed already: not touching it"
fi

log "make dist"
timeout 300 make -s -C "$build" dist >"$work/dist.log" 2>&1 ||
	{ tail -n 30 "$work/dist.log" >&2; die "make dist"; }
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$build/Makefile")
tar -xzf "$build/backchannel-$version.tar.gz" -C "$work"

log "dpkg-buildpackage -us -uc -b"
(cd "$work/backchannel-$version" &&
	DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" timeout 600 \
		dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
	{ tail -n 40 "$work/build.log" >&2; die "dpkg-buildpackage"; }
deb=$(ls "$work"/backchannel_"$version"_*.deb)
dpkg-deb --contents "$deb" >"$work/contents"

log "dpkg -i $(basename "$deb")"
installed=yes
timeout 120 dpkg -i "$deb" >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log" >&2; die "dpkg -i"; }

log "what the package installed"
getent passwd backchannel >/dev/null || die "no backchannel user"
for f in /usr/sbin/backchanneld /usr/sbin/backchannelctl; do
	[ -x "$f" ] || die "no $f"
done
for f in /lib/systemd/system/backchanneld.service /usr/lib/sysusers.d/backchannel.conf \
	/usr/share/man/man8/backchanneld.8.gz /usr/share/man/man8/backchannelctl.8.gz \
	/usr/share/man/man5/backchannel.xml.5.gz /etc/backchannel/backchannel.xml; do
	[ -f "$f" ] || die "no $f"
done
[ "$(stat -c %a:%G /etc/backchannel/backchannel.xml)" = 640:backchannel ] ||
	die "/etc/backchannel/backchannel.xml is $(stat -c %a:%G /etc/backchannel/backchannel.xml), not 640:backchannel"
[ "$(stat -c %U /var/lib/backchannel)" = backchannel ] || die "/var/lib/backchannel is not the service's"
grep -q '^/etc/backchannel/backchannel.xml$' /var/lib/dpkg/info/backchannel.conffiles ||
	die "the configuration is not a conffile"
/usr/sbin/backchanneld --version | grep -qx "backchanneld $version" || die "backchanneld --version"
/usr/sbin/backchanneld -c /etc/backchannel/backchannel.xml --check-config >/dev/null ||
	die "the installed example configuration is not valid"

log "backchannelctl against the installed configuration"
ctl="/usr/sbin/backchannelctl -c /etc/backchannel/backchannel.xml"
$ctl identity add packaged --name "Packaged" || die "backchannelctl identity add"
$ctl stats >"$work/stats" 2>"$work/stats.err" || die "backchannelctl stats"
grep -qx 'identities 1' "$work/stats" || die "stats: $(cat "$work/stats")"
# Run as root, it became the service's user: the daemon can open the store.
if find /var/lib/backchannel ! -user backchannel | grep -q .; then
	find /var/lib/backchannel ! -user backchannel -ls >&2
	die "backchannelctl left files in the store that the service cannot use"
fi
$ctl identity remove packaged || die "backchannelctl identity remove"

log "the service against a private Prosody"
if [ -d /run/systemd/system ] && [ "$(ps -p 1 -o comm=)" = systemd ]; then
	mode=systemd
else
	mode=exec
fi
BC_PACKAGE_MODE=$mode timeout -k 10 180 "$PYTHON" "$top/tests/ops/package_relay.py" ||
	die "the installed service did not relay (mode $mode)"
log "passed (service run by $mode)"
