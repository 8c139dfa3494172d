#!/bin/sh
# import.sh - backchannelctl import and load at platform scale
# (docs/BENCHMARKS.md, "Import and load").
#
# With N identities, each with a link and a follow of the next
# (bench/import_gen.sh), on disk:
#   import-bad  import of the file whose very last follow names nobody,
#               into an empty store: refused by the check, nothing written;
#   import      the good file into that same store;
#   dump        the store to a file;
#   load        the dump into a new empty store;
#   load-bad    the dump with a token of nobody after everything else,
#               into a new empty store: refused by the store at the last
#               record, with N identities, links and follows written in
#               the transaction: everything undone, the store empty;
#   daemon      backchanneld on the loaded store, connected to
#               bench/import_server.py, for PROBE_SECONDS: its RSS (and
#               peak) and the presence probes it sent (paced).
# Each ctl step: wall time and peak RSS (/usr/bin/time -v), one line
# "STEP seconds=S peak_rss_kb=K exit=E".
#
# usage: import.sh [-b BUILDDIR] [-n N] [-p PROBE_SECONDS] [-k]
#   -b  where backchanneld and backchannelctl were built (.)
#   -n  identities (1000000)   -p  seconds the daemon runs (30)
#   -k  keep the files
set -eu

build=.
n=1000000
probe_secs=30
keep=0
prog=import.sh
pids=

usage() {
	sed -n '/^# usage:/,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while getopts b:n:p:kh opt; do
	case $opt in
	b) build=$OPTARG ;;
	n) n=$OPTARG ;;
	p) probe_secs=$OPTARG ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
ctl=$(cd "$build" && pwd)/backchannelctl
daemon=$(cd "$build" && pwd)/backchanneld
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-import.XXXXXX")
trap cleanup EXIT

config() { # config NAME PORT: a configuration with store $tmp/NAME
	cat > "$tmp/$1.xml" <<XML
<backchannel>
  <server host="127.0.0.1" port="$2"/>
  <service domain="bc.bench.test" secret="s3cret"/>
  <rooms domain="rooms.bc.bench.test" secret="s3cret"/>
  <store path="$tmp/$1"/>
</backchannel>
XML
}

# timed STEP WANT_EXIT CONFIG ARGS...: runs backchannelctl under time -v.
timed() {
	step=$1
	want=$2
	cfg=$3
	shift 3
	set +e
	/usr/bin/time -v "$ctl" -c "$tmp/$cfg.xml" "$@" \
		> "$tmp/$step.out" 2> "$tmp/$step.err"
	rc=$?
	set -e
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' \
		"$tmp/$step.err" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$step.err")
	echo "$step seconds=$wall peak_rss_kb=$rss exit=$rc"
	if [ "$rc" != "$want" ]; then
		echo "$prog: $step exited $rc, expected $want:" >&2
		grep backchannelctl "$tmp/$step.err" >&2 || true
		exit 1
	fi
	if [ "$rc" != 0 ]; then
		echo "  $(grep '^backchannelctl' "$tmp/$step.err" | head -1)"
	fi
}

identities() { # identities CONFIG: the count in the store
	"$ctl" -c "$tmp/$1.xml" stats | sed -n 's/^identities //p'
}

expect_count() { # expect_count CONFIG WANT
	got=$(identities "$1")
	if [ "$got" != "$2" ]; then
		echo "$prog: store $1 has $got identities, expected $2" >&2
		exit 1
	fi
}

echo "n=$n"
sh "$here/import_gen.sh" "$n" > "$tmp/good.xml"
sh "$here/import_gen.sh" "$n" bad > "$tmp/bad.xml"
echo "file_bytes=$(wc -c < "$tmp/good.xml")"
config a 1
config b 1
config c 1

timed import-bad 1 a import "$tmp/bad.xml"
expect_count a 0
timed import 0 a import "$tmp/good.xml"
expect_count a "$n"
timed dump 0 a dump "$tmp/dump.xml"
timed load 0 b load "$tmp/dump.xml"
expect_count b "$n"
sed '$d' "$tmp/dump.xml" > "$tmp/dump-bad.xml"
cat >> "$tmp/dump-bad.xml" <<XML
  <token token="0123456789abcdef0123456789abcdef" handle="nobody" created="2026-01-01T00:00:00.000Z" expires="2026-01-02T00:00:00.000Z"/>
</backchannel-data>
XML
timed load-bad 1 c load "$tmp/dump-bad.xml"
expect_count c 0
echo "store_bytes=$(du -sb "$tmp/b" | cut -f1)"

# The daemon on the loaded store.
python3 "$here/import_server.py" "$tmp/port" "$probe_secs" "$n" \
	> "$tmp/server.out" &
server=$!
pids="$pids $server"
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
config b "$(cat "$tmp/port")"
"$daemon" -c "$tmp/b.xml" 2> "$tmp/daemon.log" &
d=$!
pids="$pids $d"
wait "$server" || true
pids=$(echo "$pids" | sed "s/\\b$server\\b//")
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$d/status")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$d/status")
echo "daemon rss_kb=$rss peak_rss_kb=$hwm $(cat "$tmp/server.out")"
kill -TERM "$d"
reap "$d" 10
