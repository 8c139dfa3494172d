#!/bin/sh
# bench/import_gen.sh N [BAD]: writes to stdout a backchannelctl import
# file of N identities (u0000000 ...), each with a link
# (uNNNNNNN@example.net) and a follow of the next identity (the last
# follows the first, so most follows name an identity further down).
# With BAD, the very last follow names a handle that is nowhere.
set -eu
n=${1:?usage: import_gen.sh N [BAD]}
bad=${2:-}
awk -v n="$n" -v bad="$bad" 'BEGIN {
	print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	print "<backchannel-data version=\"1\">"
	for (i = 0; i < n; i++) {
		t = (i + 1) % n
		printf "  <identity handle=\"u%07d\" name=\"User %d\" created=\"2026-01-01T00:00:00.000Z\">\n", i, i
		printf "    <link jid=\"u%07d@example.net\"/>\n", i
		if (bad != "" && i == n - 1)
			printf "    <follow handle=\"nobody-%07d\"/>\n", t
		else
			printf "    <follow handle=\"u%07d\"/>\n", t
		print "  </identity>"
	}
	print "</backchannel-data>"
}'
