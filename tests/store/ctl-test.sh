#!/bin/sh
# backchannelctl end to end: each command's success, its output, and the
# exit code and one stderr line of its failures.
set -u
CTL=${BACKCHANNELCTL:-./backchannelctl}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-ctl.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
cat > "$dir/bc.xml" <<XML
<backchannel>
  <server host="127.0.0.1" port="5347"/>
  <service domain="bc.example.org" secret="s3cret"/>
  <rooms domain="rooms.bc.example.org" secret="s3cret"/>
  <store path="$dir/store"/>
</backchannel>
XML
fails=0
# expect CODE ARGS...: runs the command, checks the exit code and that a
# failure says exactly one line on stderr.
expect() {
	want=$1
	shift
	"$CTL" -c "$dir/bc.xml" "$@" > "$dir/out" 2> "$dir/err"
	got=$?
	lines=$(wc -l < "$dir/err")
	if [ "$got" != "$want" ]; then
		echo "FAIL: $* exited $got, expected $want: $(cat "$dir/err")"
		fails=$((fails + 1))
	elif [ "$want" != 0 ] && [ "$lines" != 1 ]; then
		echo "FAIL: $* wrote $lines lines on stderr"
		fails=$((fails + 1))
	fi
}
out_is() {
	if [ "$(cat "$dir/out")" != "$1" ]; then
		echo "FAIL: output '$(cat "$dir/out")', expected '$1'"
		fails=$((fails + 1))
	fi
}

expect 0 identity add Alice --name "Alice A."
expect 1 identity add alice
expect 1 identity add "bad handle"
expect 0 identity add bob --bot
expect 2 identity add
expect 2 identity add carol --colour red
expect 0 link alice alice@example.org/phone
expect 1 link bob ALICE@example.org
expect 1 link nobody x@example.org
expect 1 link bob "not a jid"
expect 0 token alice
grep -Eq '^[0-9a-f]{32}$' "$dir/out" || { echo "FAIL: token output"; fails=$((fails + 1)); }
expect 1 token nobody
expect 0 follow alice bob
expect 1 follow alice bob
expect 1 unfollow bob alice
expect 0 unfollow alice bob
expect 0 room open live --title "Live" --host alice --speaker bob
expect 2 room open live2
expect 1 room open live3 --title T --host nobody
expect 0 room close live
expect 1 room close nope
expect 0 reports --open
out_is ""
expect 1 report resolve 4
expect 2 report resolve x
expect 2 report resolve 4 frown
expect 1 report show 4
expect 0 sanctions
out_is ""
expect 0 suspend bob 2h --note "spam wave"
grep -Eq '^bob suspended until [0-9T:.-]+Z$' "$dir/out" || { echo "FAIL: suspend output"; fails=$((fails + 1)); }
expect 0 sanctions
grep -Eq '^bob	[0-9T:.-]+Z	-	spam wave$' "$dir/out" || { echo "FAIL: sanctions output"; fails=$((fails + 1)); }
expect 2 suspend bob later
expect 1 suspend nobody 1h
expect 0 unsuspend bob
expect 1 unsuspend bob
expect 0 unlink alice alice@example.org
expect 1 unlink alice alice@example.org
expect 0 identity remove bob
expect 1 identity remove bob
expect 0 stats
grep -q '^identities 1$' "$dir/out" || { echo "FAIL: stats"; fails=$((fails + 1)); }
expect 2 frobnicate
expect 0 link --help
expect 2 link alice
"$CTL" --version > /dev/null || fails=$((fails + 1))
"$CTL" --help > /dev/null || fails=$((fails + 1))
"$CTL" stats 2> /dev/null; [ $? = 2 ] || { echo "FAIL: no -c"; fails=$((fails + 1)); }
"$CTL" -c "$dir/missing.xml" stats 2> /dev/null; [ $? = 1 ] || { echo "FAIL: bad config"; fails=$((fails + 1)); }

# At scale, on disk: 50,000 identities with a link and a follow each
# (most follows name an identity further down).  Refused at the very
# last follow, nothing is written; mended, it goes in.  A pairwise check
# of duplicates took minutes here; with hash sets it is seconds.
gen() {
	awk -v n="$1" -v last="$2" 'BEGIN {
		print "<backchannel-data version=\"1\">"
		for (i = 0; i < n; i++) {
			printf "<identity handle=\"u%06d\">\n", i
			printf "<link jid=\"u%06d@example.net\"/>\n", i
			if (i < n - 1)
				printf "<follow handle=\"u%06d\"/>\n", i + 1
			else
				printf "<follow handle=\"%s\"/>\n", last
			print "</identity>"
		}
		print "</backchannel-data>"
	}' > "$dir/big.xml"
}
before=$("$CTL" -c "$dir/bc.xml" stats | sed -n 's/^identities //p')
gen 50000 nobody
start=$(date +%s)
expect 1 import "$dir/big.xml"
grep -q "big.xml:200000: <follow> 'nobody' is no identity" "$dir/err" ||
	{ echo "FAIL: big import: $(cat "$dir/err")"; fails=$((fails + 1)); }
after=$("$CTL" -c "$dir/bc.xml" stats | sed -n 's/^identities //p')
[ "$after" = "$before" ] ||
	{ echo "FAIL: refused import wrote ($before -> $after)"; fails=$((fails + 1)); }
gen 50000 u000000
expect 0 import "$dir/big.xml"
"$CTL" -c "$dir/bc.xml" stats > "$dir/out"
grep -q "^identities $((before + 50000))$" "$dir/out" &&
	grep -q '^follows 50000$' "$dir/out" ||
	{ echo "FAIL: big import stats: $(cat "$dir/out")"; fails=$((fails + 1)); }
# The dump walks identities a page at a time: every one of them, once.
expect 0 dump "$dir/big-dump.xml"
[ "$(grep -c '<identity ' "$dir/big-dump.xml")" = $((before + 50000)) ] &&
	[ "$(grep -c '<follow ' "$dir/big-dump.xml")" = 50000 ] &&
	[ "$(grep '<identity ' "$dir/big-dump.xml" | sort -u | wc -l)" = $((before + 50000)) ] ||
	{ echo "FAIL: big dump"; fails=$((fails + 1)); }
secs=$(($(date +%s) - start))
[ "$secs" -le 60 ] ||
	{ echo "FAIL: 50,000 identities took $secs s"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo "ctl-test: all passed"
exit $((fails > 0))
