#!/bin/sh
# make check: backchannel.doap against the module registry's disco features
# (check_doap.py says what is checked), and the check itself refuses a
# registry that advertises a feature the file does not account for.
set -eu
srcdir=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
: "${PYTHON:=/usr/bin/python3}"
check="$PYTHON $srcdir/tests/ops/check_doap.py $srcdir/backchannel.doap"
version=$(./backchanneld --version | sed 's/^backchanneld //')
./tests/ops/doap_features >doap-features.out
$check "$version" <doap-features.out
# It can fail: a feature nobody listed, and a listed XEP gone from disco.
if { cat doap-features.out; printf 'urn:example:unlisted\t8\n'; } |
	$check "$version" 2>/dev/null; then
	echo "doap: an unlisted feature was accepted" >&2
	exit 1
fi
if grep -v '^urn:xmpp:ping' doap-features.out | $check "$version" 2>/dev/null; then
	echo "doap: XEP-0199 listed without its feature was accepted" >&2
	exit 1
fi
rm -f doap-features.out
