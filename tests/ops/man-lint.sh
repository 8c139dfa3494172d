#!/bin/sh
# make check: the manual pages have nothing for "mandoc -T lint" (warnings
# and up) or "man --warnings" (groff) to say, and each names the others.
set -eu
srcdir=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
pages="man/backchanneld.8 man/backchannelctl.8 man/backchannel.xml.5"
command -v mandoc >/dev/null 2>&1 || {
	echo "man-lint: mandoc is not installed (run scripts/deps.sh)" >&2
	exit 1
}
status=0
for p in $pages; do
	out=$(mandoc -T lint -W warning "$srcdir/$p" 2>&1) || true
	if [ -n "$out" ]; then
		echo "$out" >&2
		status=1
	fi
	if command -v man >/dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l \
			"$srcdir/$p" 2>&1 >/dev/null) || status=1
		if [ -n "$out" ]; then
			echo "$p: man --warnings:" >&2
			echo "$out" >&2
			status=1
		fi
	fi
	for other in backchanneld backchannelctl backchannel.xml; do
		case $p in */$other.[58]) continue ;; esac
		grep -q "^\.Xr $other " "$srcdir/$p" || {
			echo "$p: does not refer to $other" >&2
			status=1
		}
	done
done
[ $status -eq 0 ] && echo "man-lint: $pages clean"
exit $status
