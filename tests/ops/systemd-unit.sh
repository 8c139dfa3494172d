#!/bin/sh
# make check: the systemd unit as make install writes it (pointing at this
# build's daemon) passes "systemd-analyze verify" with nothing to say, keeps
# its hardening (exposure at most 2.0 of 10 by "systemd-analyze security"),
# and the sysusers.d file creates the service's user (dry run).
# Skipped (77) only where systemd-analyze is not installed.
set -eu
srcdir=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
command -v systemd-analyze >/dev/null 2>&1 || {
	echo "systemd-unit: systemd-analyze is not installed: skipped"
	exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|@sbindir@|$PWD|g" -e "s|@sysconfdir@|/etc|g" \
	"$srcdir/systemd/backchanneld.service.in" >"$tmp/backchanneld.service"
grep -q "^ExecStart=$PWD/backchanneld -c /etc/backchannel/backchannel.xml\$" \
	"$tmp/backchanneld.service" || {
	echo "systemd-unit: no ExecStart line for the daemon" >&2
	exit 1
}
# The manual pages are checked by man-lint.sh: they are not installed here.
if ! systemd-analyze verify --man=no "$tmp/backchanneld.service" >"$tmp/verify.out" 2>&1 ||
	[ -s "$tmp/verify.out" ]; then
	echo "systemd-unit: systemd-analyze verify:" >&2
	cat "$tmp/verify.out" >&2
	exit 1
fi
for want in '^\[Unit\]' '^\[Install\]' '^User=backchannel$' '^StateDirectory=backchannel$' \
	'^ConfigurationDirectory=backchannel$' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
	'^ProtectSystem=strict$' '^NoNewPrivileges=yes$'; do
	grep -q "$want" "$tmp/backchanneld.service" || {
		echo "systemd-unit: no line matching $want" >&2
		exit 1
	}
done
if ! systemd-analyze security --offline=yes --threshold=20 \
	"$tmp/backchanneld.service" >"$tmp/security.out" 2>&1; then
	tail -n 40 "$tmp/security.out" >&2
	echo "systemd-unit: exposure above 2.0" >&2
	exit 1
fi
grep 'Overall exposure' "$tmp/security.out" || true
mkdir "$tmp/root"
systemd-sysusers --root="$tmp/root" --dry-run \
	"$srcdir/systemd/sysusers.d/backchannel.conf" >"$tmp/sysusers.out" 2>&1 || {
	cat "$tmp/sysusers.out" >&2
	exit 1
}
grep -q "Creating user 'backchannel'" "$tmp/sysusers.out" || {
	cat "$tmp/sysusers.out" >&2
	echo "systemd-unit: the sysusers.d file creates no backchannel user" >&2
	exit 1
}
echo "systemd-unit: verify, security and sysusers passed"
