#!/bin/sh
# ctlwait.sh - how long a backchannelctl write waits while the daemon
# relays (docs/BENCHMARKS.md, "backchannelctl under relay load").
#
# The daemon's batch holds the locks of what a pass has read and written
# until the pass ends, so a write of another process that needs one of
# those pages waits for the pass.  This measures it: backchanneld with a
# fresh store (alice and bob linked and following each other, as in
# bench/relay.sh; carol besides) is fed messages from alice to bob by
# bench/relay_driver, and meanwhile "backchannelctl follow carol alice"
# and "unfollow carol alice" run one after the other, K times in all; the
# wall time of each (process start to exit, the store opened and flushed)
# is taken.  The same K commands run first with no daemon at all: the
# baseline, what a write costs without waiting.  Printed: median, p90,
# p99 and maximum of both, in milliseconds, and the wait: the difference
# of the medians.
#
# Loopback only; every process is bounded in time and stopped by its PID.
#
# usage: ctlwait.sh [-b BUILDDIR] [-k K] [-W WINDOW] [-K]
#   -b  where backchanneld, backchannelctl and bench/ were built (.)
#   -k  backchannelctl writes a phase (200)
#   -W  unanswered messages allowed at once (500)
#   -K  keep the files
set -eu

build=.
k=200
window=500
keep=0

usage() {
	sed -n '/^# usage:/,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while getopts b:k:W:Kh opt; do
	case $opt in
	b) build=$OPTARG ;;
	k) k=$OPTARG ;;
	W) window=$OPTARG ;;
	K) keep=1 ;;
	*) usage ;;
	esac
done

driver=$build/bench/relay_driver
daemon=$build/backchanneld
ctl=$build/backchannelctl

D=bc.bench
M=rooms.bc.bench
secret=bench
prog=ctlwait.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-ctlwait.XXXXXX")
pids=
. "$(dirname "$0")/lib.sh"
need_built "$driver" "$daemon" "$ctl"

trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() {
	date +%s%N | awk '{ printf "%.3f\n", $1 / 1e6 }'
}

# relay_driver N: the driver for N messages (start_driver).
relay_driver() {
	start_driver -W "$window" -c 2 -d "$D" -n "$1" -T 600 \
		-x bob@bench.test
}

provision() {
	rm -rf "$tmp/store"
	mkdir "$tmp/store"
	bench_config "$tmp/bc.xml" "$1" "$tmp/store"
	for h in alice bob carol; do
		"$ctl" -c "$tmp/bc.xml" identity add $h
	done
	"$ctl" -c "$tmp/bc.xml" link alice alice@bench.test
	"$ctl" -c "$tmp/bc.xml" link bob bob@bench.test
	"$ctl" -c "$tmp/bc.xml" follow alice bob
	"$ctl" -c "$tmp/bc.xml" follow bob alice
}

# ctl_loop FILE: K follow/unfollow writes, one wall time (ms) a line.
ctl_loop() {
	: >"$1"
	i=0
	while [ $i -lt "$k" ]; do
		if [ $((i % 2)) = 0 ]; then cmd=follow; else cmd=unfollow; fi
		t0=$(now_ms)
		"$ctl" -c "$tmp/bc.xml" $cmd carol alice
		t1=$(now_ms)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$1"
		i=$((i + 1))
	done
}

# median p90 p99 max of the numbers in FILE.
pcts() {
	sort -g "$1" | awk '{ v[NR] = $1 }
		END { printf "median %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		      v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)],
		      v[int(NR * 0.99 + 0.5)], v[NR] }'
}

echo "backchannelctl writes under relay load: $k a phase, window $window," \
	"commit $(commit)"
# Idle: the same store with no daemon running.
relay_driver 1
provision "$port"
kill -TERM "$drv" 2>/dev/null || true
reap "$drv" 10
ctl_loop "$tmp/idle"

# Loaded: the same while the daemon relays (a driver that never ends by
# itself: the loop decides how long it runs).
relay_driver 100000000
provision "$port"
"$daemon" -c "$tmp/bc.xml" 2>"$tmp/daemon.log" &
comp=$!
pids="$pids $comp"
echo "$comp" >"$tmp/pid"
sleep 1
ctl_loop "$tmp/loaded"
kill -TERM "$comp" 2>/dev/null || true
reap "$comp" 30
kill -TERM "$drv" 2>/dev/null || true
reap "$drv" 10

echo "idle:   $(pcts "$tmp/idle")"
echo "loaded: $(pcts "$tmp/loaded")"
set -- $(sort -g "$tmp/idle" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') \
	$(sort -g "$tmp/loaded" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
awk -v i="$1" -v l="$2" 'BEGIN { printf "wait:   median %.1f ms (loaded - idle)\n", l - i }'
