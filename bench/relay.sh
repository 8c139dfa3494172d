#!/bin/sh
# relay.sh - the relay benchmark (docs/BENCHMARKS.md, "Relay: one-to-one
# messages").
#
# Each of RUNS rounds measures, in turn:
#   daemon: backchanneld with a fresh store (identities alice and bob,
#           linked to alice@bench.test and bob@bench.test, following each
#           other, no rate limit) fed N messages from alice@bench.test/r to
#           bob@D by bench/relay_driver, which counts the copies relayed to
#           bob@bench.test;
#   echo:   bench/echo_component (a bare libstrophe component) fed the same
#           N messages by the same driver, which counts the echoes.
# and prints for each the median, minimum and maximum of the messages
# answered per CPU-second of the component, and the ratio daemon / echo of
# each round and of the medians.
#
# Then, unless -C, each runs twice under valgrind --tool=callgrind, with
# CG_BASE and CG_BASE + CG_N messages: the difference of the two totals
# (Ir) divided by CG_N is the instructions per message, free of start-up,
# connection and shutdown costs.  The difference per function, per message,
# is written to DIR/profile-*.txt with -k.
#
# Loopback only; every process is bounded in time and stopped by its PID.
#
# usage: relay.sh [-b BUILDDIR] [-r RUNS] [-n N] [-W WINDOW] [-g CG_N]
#                 [-G CG_BASE] [-C] [-k]
#   -b  where backchanneld, backchannelctl and bench/ were built (.)
#   -r  rounds (5)           -n  messages a round (100000)
#   -W  unanswered messages allowed at once (500)
#   -g  messages measured under callgrind (20000), over a base of -G (1000)
#   -C  skip callgrind       -k  keep the files and per-function profiles
set -eu

build=.
runs=5
n=100000
window=500
cg_n=20000
cg_base=1000
callgrind=1
keep=0

usage() {
	sed -n '/^# usage:/,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while getopts b:r:n:W:g:G:Ckh opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) runs=$OPTARG ;;
	n) n=$OPTARG ;;
	W) window=$OPTARG ;;
	g) cg_n=$OPTARG ;;
	G) cg_base=$OPTARG ;;
	C) callgrind=0 ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done

driver=$build/bench/relay_driver
echo_bin=$build/bench/echo_component
daemon=$build/backchanneld
ctl=$build/backchannelctl
if [ "$callgrind" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
	echo "relay.sh: valgrind not found (use -C to skip callgrind)" >&2
	exit 1
fi

D=bc.bench
M=rooms.bc.bench
secret=bench
prog=relay.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-relay.XXXXXX")
pids=
. "$(dirname "$0")/lib.sh"
need_built "$driver" "$echo_bin" "$daemon" "$ctl"

trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits for the driver; fails on its failure.  Its RESULT line stays in
# $tmp/result.
driver_result() {
	if ! wait "$drv"; then
		echo "relay.sh: the driver failed:" >&2
		cat "$tmp/driver.err" >&2
		[ -f "$tmp/daemon.log" ] && tail -5 "$tmp/daemon.log" >&2
		exit 1
	fi
	pids=$(echo "$pids" | sed "s/\\b$drv\\b//")
}

# A fresh store with the two linked identities that follow each other,
# and the configuration for the driver's port.
provision() {
	rm -rf "$tmp/store"
	mkdir "$tmp/store"
	bench_config "$tmp/bc.xml" "$1" "$tmp/store"
	"$ctl" -c "$tmp/bc.xml" identity add alice
	"$ctl" -c "$tmp/bc.xml" identity add bob
	"$ctl" -c "$tmp/bc.xml" link alice alice@bench.test
	"$ctl" -c "$tmp/bc.xml" link bob bob@bench.test
	"$ctl" -c "$tmp/bc.xml" follow alice bob
	"$ctl" -c "$tmp/bc.xml" follow bob alice
}

# run_daemon N TIMEOUT [WRAPPER...]: one daemon run.
run_daemon() {
	count=$1
	limit=$2
	shift 2
	start_driver -W "$window" -c 2 -d "$D" -n "$count" -T "$limit" -x bob@bench.test
	provision "$port"
	"$@" "$daemon" -c "$tmp/bc.xml" 2>"$tmp/daemon.log" &
	comp=$!
	pids="$pids $comp"
	give_pid "$comp"
	driver_result
	kill -TERM "$comp" 2>/dev/null || true
	reap "$comp" 60
}

# run_echo N TIMEOUT [WRAPPER...]: one baseline run.
run_echo() {
	count=$1
	limit=$2
	shift 2
	start_driver -W "$window" -c 1 -d "$D" -n "$count" -T "$limit" \
		-x alice@bench.test/r
	"$@" "$echo_bin" -p "$port" -d "$D" -s "$secret" 2>"$tmp/echo.log" &
	comp=$!
	pids="$pids $comp"
	give_pid "$comp"
	driver_result
	kill -TERM "$comp" 2>/dev/null || true
	reap "$comp" 60
}

echo "relay benchmark: $runs rounds of $n messages, window $window," \
	"commit $(commit)"
: >"$tmp/daemon.rates"
: >"$tmp/echo.rates"
: >"$tmp/ratios"
r=1
while [ $r -le "$runs" ]; do
	run_daemon "$n" 120
	dres=$(cat "$tmp/result")
	run_echo "$n" 120
	eres=$(cat "$tmp/result")
	drate=$(echo "$dres" | field per_cpu_s)
	erate=$(echo "$eres" | field per_cpu_s)
	echo "$drate" >>"$tmp/daemon.rates"
	echo "$erate" >>"$tmp/echo.rates"
	awk -v d="$drate" -v e="$erate" 'BEGIN { printf "%.3f\n", d / e }' \
		>>"$tmp/ratios"
	printf 'round %d: daemon %s/CPU-s (user %s s, sys %s s, wall %s s), echo %s/CPU-s (user %s s, sys %s s, wall %s s), ratio %s\n' \
		"$r" "$drate" "$(echo "$dres" | field user_s)" \
		"$(echo "$dres" | field sys_s)" "$(echo "$dres" | field wall_s)" \
		"$erate" "$(echo "$eres" | field user_s)" \
		"$(echo "$eres" | field sys_s)" "$(echo "$eres" | field wall_s)" \
		"$(tail -1 "$tmp/ratios")"
	r=$((r + 1))
done
set -- $(stats <"$tmp/daemon.rates")
dmed=$1
echo "daemon: median $1 relays per CPU-second (min $2, max $3)"
set -- $(stats <"$tmp/echo.rates")
emed=$1
echo "echo:   median $1 echoes per CPU-second (min $2, max $3)"
set -- $(stats <"$tmp/ratios")
echo "ratio daemon / echo per round: median $1 (min $2, max $3)"
awk -v d="$dmed" -v e="$emed" \
	'BEGIN { printf "ratio of the medians: %.3f (target >= 0.7)\n", d / e }'

[ "$callgrind" = 1 ] || exit 0

wrap="valgrind --tool=callgrind --quiet"
big=$((cg_base + cg_n))
for who in daemon echo; do
	for count in "$cg_base" "$big"; do
		run_$who "$count" 900 $wrap \
			--callgrind-out-file="$tmp/cg.$who.$count"
	done
	a=$(ir_total "$tmp/cg.$who.$cg_base")
	b=$(ir_total "$tmp/cg.$who.$big")
	awk -v a="$a" -v b="$b" -v n="$cg_n" -v w="$who" -v base="$cg_base" \
		-v big="$big" 'BEGIN {
		printf "callgrind %s: %.0f instructions per message ((Ir(%d) %.0f - Ir(%d) %.0f) / %d)\n",
			w, (b - a) / n, big, b, base, a, n }'
	if [ "$keep" = 1 ]; then
		for incl in no yes; do
			ir_functions "$tmp/cg.$who.$cg_base" "$incl" >"$tmp/f.a"
			ir_functions "$tmp/cg.$who.$big" "$incl" >"$tmp/f.b"
			profile_diff "$tmp/f.a" "$tmp/f.b" "$cg_n" \
				>"$tmp/profile-$who-inclusive-$incl.txt"
		done
	fi
done
