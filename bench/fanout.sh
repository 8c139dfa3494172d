#!/bin/sh
# fanout.sh - the fan-out benchmark (docs/BENCHMARKS.md, "Fan-out: one
# stanza to N recipients").
#
# For each N (recipients), each of RUNS rounds measures, in turn (the
# order alternates from round to round):
#   bc:   bench/fanout_component -m bc, the daemon's primitive (bc_fanout:
#         serialised once, N copies differing only in 'to', one
#         xmpp_send_raw per flush);
#   bare: bench/fanout_component -m bare, xmpp_stanza_set_to + xmpp_send
#         for each copy;
# each fanning one ~300-byte groupchat message out COPIES / N times over a
# real loopback TCP connection to bench/fanout_driver, which plays the
# server, checks and counts every copy, and reads the component's CPU time
# (user + system, /proc/PID/schedstat) around the run.  It prints the
# copies per CPU-second of each, the ratio bc / bare of each round, and
# the bytes and socket writes per copy, as the median, minimum and maximum
# over the rounds.
#
# Then, unless -C, each runs twice under valgrind --tool=callgrind for each
# N, with CG_BASE and CG_BASE + CG_N copies: the difference of the two
# totals (Ir) divided by CG_N is the instructions per copy, free of
# start-up, connection and shutdown costs.  With -k the difference per
# function, per copy, is written to DIR/profile-*.txt.
#
# Loopback only; every process is bounded in time and stopped by its PID.
#
# usage: fanout.sh [-b BUILDDIR] [-r RUNS] [-N "N..."] [-c COPIES]
#                  [-W WINDOW] [-g CG_N] [-G CG_BASE] [-L] [-C] [-k]
#   -b  where bench/ was built (.)
#   -r  rounds (5)           -N  recipients per stanza ("10 50 200")
#   -c  copies a run (100000; a multiple of every N)
#   -W  copies the component may keep queued in libstrophe (1000)
#   -g  copies measured under callgrind (10000), over a base of -G (1000)
#   -L  both components use libstrophe's own logger at error level (no
#       debug line is formatted) instead of the daemon's log handler
#   -C  skip callgrind       -k  keep the files and per-function profiles
set -eu

build=.
runs=5
ns="10 50 200"
copies=100000
window=1000
cg_n=10000
cg_base=1000
callgrind=1
keep=0
logger=

usage() {
	sed -n '/^# usage:/,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while getopts b:r:N:c:W:g:G:LCkh opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) runs=$OPTARG ;;
	N) ns=$OPTARG ;;
	c) copies=$OPTARG ;;
	W) window=$OPTARG ;;
	g) cg_n=$OPTARG ;;
	G) cg_base=$OPTARG ;;
	L) logger=-L ;;
	C) callgrind=0 ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done

driver=$build/bench/fanout_driver
comp_bin=$build/bench/fanout_component
for n in $ns; do
	for c in "$copies" "$cg_n" "$cg_base"; do
		[ $((c % n)) = 0 ] || {
			echo "fanout.sh: $c copies is not a multiple of N=$n" >&2
			exit 1
		}
	done
done
if [ "$callgrind" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
	echo "fanout.sh: valgrind not found (use -C to skip callgrind)" >&2
	exit 1
fi

M=rooms.bc.bench
secret=bench
prog=fanout.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-fanout.XXXXXX")
pids=
. "$(dirname "$0")/lib.sh"
need_built "$driver" "$comp_bin"
trap cleanup EXIT
trap 'exit 130' INT TERM

# run METHOD N COPIES TIMEOUT [WRAPPER...]: one run; leaves the driver's
# RESULT line in $tmp/result and the component's FANOUT line in
# $tmp/fanout.
run() {
	method=$1
	n=$2
	count=$3
	limit=$4
	shift 4
	rm -f "$tmp/port" "$tmp/pid" "$tmp/pid.new"
	"$driver" -o "$tmp/port" -w "$tmp/pid" -s "$secret" -d "$M" \
		-n "$n" -c "$count" -T "$limit" \
		>"$tmp/result" 2>"$tmp/driver.err" &
	drv=$!
	pids="$pids $drv"
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$tmp/port" ] || { echo "fanout.sh: the driver did not start" >&2; cat "$tmp/driver.err" >&2; exit 1; }
	"$@" "$comp_bin" -p "$(cat "$tmp/port")" -d "$M" -s "$secret" \
		-m "$method" -n "$n" -r $((count / n)) -W "$window" $logger \
		>"$tmp/fanout" 2>"$tmp/comp.err" &
	comp=$!
	pids="$pids $comp"
	echo "$comp" >"$tmp/pid.new"
	mv "$tmp/pid.new" "$tmp/pid"
	if ! wait "$drv"; then
		echo "fanout.sh: the driver failed ($method, N=$n):" >&2
		cat "$tmp/driver.err" "$tmp/comp.err" >&2
		exit 1
	fi
	pids=$(echo "$pids" | sed "s/\\b$drv\\b//")
	# The driver's end of stream stops the component; TERM in case.
	kill -TERM "$comp" 2>/dev/null || true
	reap "$comp" 60
}

# One timed run; appends its figures to $tmp/$1.$2.{rate,bytes,sends}.
timed() {
	run "$1" "$2" "$copies" 120
	res=$(cat "$tmp/result")
	rate=$(echo "$res" | field per_cpu_s)
	echo "$rate" >>"$tmp/$1.$2.rate"
	echo "$res" | field bytes_per_copy >>"$tmp/$1.$2.bytes"
	awk -v s="$(field sends <"$tmp/fanout")" -v c="$copies" \
		'BEGIN { printf "%.4f\n", s / c }' >>"$tmp/$1.$2.sends"
	printf '  %-4s N=%-3s %9s copies/CPU-s (cpu %s s: user %s, sys %s; wall %s s)\n' \
		"$1" "$2" "$rate" "$(echo "$res" | field cpu_s)" \
		"$(echo "$res" | field user_s)" "$(echo "$res" | field sys_s)" \
		"$(echo "$res" | field wall_s)"
}

echo "fanout benchmark: $runs rounds, N = $ns, $copies copies a run," \
	"window $window copies${logger:+, libstrophe default logger}," \
	"commit $(commit)"
r=1
while [ "$r" -le "$runs" ]; do
	echo "round $r:"
	for n in $ns; do
		if [ $((r % 2)) = 1 ]; then
			timed bc "$n"
			timed bare "$n"
		else
			timed bare "$n"
			timed bc "$n"
		fi
		awk -v a="$(tail -1 "$tmp/bc.$n.rate")" \
			-v b="$(tail -1 "$tmp/bare.$n.rate")" \
			'BEGIN { printf "%.3f\n", a / b }' >>"$tmp/ratio.$n"
		echo "  N=$n: bc / bare $(tail -1 "$tmp/ratio.$n")"
	done
	r=$((r + 1))
done

echo "summary (median, min-max over $runs rounds):"
for n in $ns; do
	set -- $(stats <"$tmp/bc.$n.rate")
	bc_rate="$1 ($2-$3)"
	set -- $(stats <"$tmp/bare.$n.rate")
	bare_rate="$1 ($2-$3)"
	set -- $(stats <"$tmp/ratio.$n")
	ratio="$1 ($2-$3)"
	set -- $(stats <"$tmp/bc.$n.bytes")
	bc_bytes=$1
	set -- $(stats <"$tmp/bare.$n.bytes")
	bare_bytes=$1
	set -- $(stats <"$tmp/bc.$n.sends")
	bc_sends=$1
	set -- $(stats <"$tmp/bare.$n.sends")
	bare_sends=$1
	echo "N=$n: bc $bc_rate, bare $bare_rate copies/CPU-s;" \
		"bc / bare $ratio"
	echo "      bytes a copy: bc $bc_bytes, bare $bare_bytes;" \
		"send() calls a copy: bc $bc_sends, bare $bare_sends"
done

[ "$callgrind" = 1 ] || exit 0

wrap="valgrind --tool=callgrind --quiet"
big=$((cg_base + cg_n))
for n in $ns; do
	for method in bc bare; do
		for count in "$cg_base" "$big"; do
			run "$method" "$n" "$count" 900 $wrap \
				--callgrind-out-file="$tmp/cg.$method.$n.$count"
		done
		a=$(ir_total "$tmp/cg.$method.$n.$cg_base")
		b=$(ir_total "$tmp/cg.$method.$n.$big")
		awk -v a="$a" -v b="$b" -v c="$cg_n" \
			-v w="$method" -v n="$n" -v base="$cg_base" \
			-v big="$big" 'BEGIN {
			printf "callgrind %-4s N=%-3s %7.0f instructions per copy ((Ir(%d) %.0f - Ir(%d) %.0f) / %d)\n",
				w, n, (b - a) / c, big, b, base, a, c }' |
			tee -a "$tmp/cg.summary"
		if [ "$keep" = 1 ]; then
			for incl in no yes; do
				ir_functions "$tmp/cg.$method.$n.$cg_base" \
					"$incl" >"$tmp/f.a"
				ir_functions "$tmp/cg.$method.$n.$big" \
					"$incl" >"$tmp/f.b"
				profile_diff "$tmp/f.a" "$tmp/f.b" "$cg_n" \
					>"$tmp/profile-$method-$n-inclusive-$incl.txt"
			done
		fi
	done
	awk -v n="$n" '$2 == "bc" && $3 == "N=" n { a = $4 }
		$2 == "bare" && $3 == "N=" n { b = $4 }
		END { printf "callgrind N=%s: bare / bc instructions per copy %.2f\n", n, b / a }' \
		"$tmp/cg.summary"
done
