#!/bin/sh
# Runs the end-to-end suite (pytest, real servers, real clients) against one
# XMPP server: run-suite.sh prosody|ejabberd.
#
# Under "make check" it runs from the top build directory, with $srcdir set
# by automake; run by hand, it finds the sources from its own location and
# the binaries in the current directory (or $BACKCHANNELD, $BACKCHANNELCTL).
set -u

server=${1:?usage: run-suite.sh prosody|ejabberd}
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${srcdir:-}" ] && [ -d "$srcdir/tests/integration" ]; then
	suite=$(cd "$srcdir/tests/integration" && pwd)
else
	suite=$here
fi

: "${BACKCHANNELD:=$PWD/backchanneld}"
: "${BACKCHANNELCTL:=$PWD/backchannelctl}"
: "${PYTHON:=/usr/bin/python3}"
: "${BC_SUITE_TIMEOUT:=900}"
export BACKCHANNELD BACKCHANNELCTL
export BC_SERVER="$server"
# The source tree may be read-only (make distcheck): write nothing there.
export PYTHONDONTWRITEBYTECODE=1

fail() {
	echo "$server suite: $*" >&2
	exit 1
}

case $server in
prosody) command -v prosody >/dev/null 2>&1 || [ -x /usr/bin/prosody ] ||
	fail "prosody is not installed (run scripts/deps.sh)" ;;
ejabberd) command -v ejabberdctl >/dev/null 2>&1 || [ -x /usr/sbin/ejabberdctl ] ||
	fail "ejabberdctl is not installed (run scripts/deps.sh)" ;;
*) fail "unknown server '$server'" ;;
esac
[ -x "$BACKCHANNELD" ] || fail "no backchanneld at $BACKCHANNELD"
[ -x "$PYTHON" ] || fail "no $PYTHON"
"$PYTHON" -c 'import slixmpp, pytest' ||
	fail "$PYTHON cannot import slixmpp and pytest (run scripts/deps.sh)"

# Every file of the suite must be listed in local.mk, or "make dist" leaves
# it out and the tarball's suite runs less than the checkout's.
for f in "$suite"/*.py "$suite"/*.test "$suite"/*.sh; do
	[ -f "$f" ] || continue
	grep -q "tests/integration/$(basename "$f")" "$suite/local.mk" ||
		fail "$(basename "$f") is not listed in tests/integration/local.mk (EXTRA_DIST)"
done

timeout_opt=
if "$PYTHON" -c 'import pytest_timeout' 2>/dev/null; then
	timeout_opt=--timeout=180
fi

echo "$server suite: $suite with $BACKCHANNELD"
# shellcheck disable=SC2086
timeout -k 30 "$BC_SUITE_TIMEOUT" "$PYTHON" -m pytest -q -x -rfEs \
	-p no:cacheprovider $timeout_opt --rootdir="$suite" "$suite"
rc=$?
case $rc in
0) exit 0 ;;
5) fail "pytest collected no tests" ;;
124) fail "timed out after ${BC_SUITE_TIMEOUT}s" ;;
*) exit 1 ;;
esac
