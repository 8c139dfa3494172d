#!/bin/sh
# muc.sh - the MUC benchmark (docs/BENCHMARKS.md, "Rooms: one message to
# N occupants").
#
# For each N (occupants), each of RUNS rounds measures, in turn:
#   daemon: backchanneld with a fresh store holding N identities u1 ... uN,
#           each linked to uK@bench.test, and the group chat bench@M with
#           u1 as owner and the others as members (one backchannelctl
#           import); bench/muc_driver enters uK@bench.test/r into the room
#           as uK (N join presences, then a ping as a barrier), then sends
#           M = DELIVERIES / N groupchat messages from u1 and counts the
#           N deliveries of each;
#   bare:   bench/fanout_component -m bare -r 0, a bare libstrophe component
#           that copies each groupchat message, sets 'from' to ROOM/u1 and
#           sends it to the same N full JIDs with xmpp_stanza_set_to +
#           xmpp_send each, fed the same M messages by the same driver;
#   bc:     (with -B) the same with -m bc: the daemon's fan-out primitive
#           without the MUC around it.
# and prints the deliveries per CPU-second of each (the component's user
# + system time from the first message to the last delivery), with the
# ratio daemon / bare of each round, as the median, minimum and maximum.
#
# With -g, the daemon and the bare component also run twice each under
# valgrind --tool=callgrind at N = CG_OCC (50), with CG_BASE and CG_BASE +
# CG_MSGS messages: the difference of the totals over the deliveries in
# between is the instructions per delivery; with -k, per function too
# (DIR/profile-*.txt).
#
# Loopback only; every process is bounded in time and stopped by its PID.
#
# usage: muc.sh [-b BUILDDIR] [-r RUNS] [-N "N..."] [-D DELIVERIES]
#               [-W WINDOW] [-B] [-g CG_MSGS] [-G CG_BASE] [-O CG_OCC] [-k]
#   -b  where backchanneld, backchannelctl and bench/ were built (.)
#   -r  rounds (5)           -N  occupants ("10 50 200")
#   -D  deliveries a run (100000): M = D / N messages
#   -W  deliveries outstanding at once (5000)
#   -B  also measure the bc primitive without the MUC (fanout_component -m bc)
#   -g  messages measured under callgrind (0: none), over a base of -G (100),
#       at N = -O (50)
#   -k  keep the files (logs, stores, profiles)
set -eu

build=.
runs=5
ns="10 50 200"
deliveries=100000
window=5000
with_bc=0
cg_msgs=0
cg_base=100
cg_occ=50
keep=0

usage() {
	sed -n '/^# usage:/,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while getopts b:r:N:D:W:Bg:G:O:kh opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) runs=$OPTARG ;;
	N) ns=$OPTARG ;;
	D) deliveries=$OPTARG ;;
	W) window=$OPTARG ;;
	B) with_bc=1 ;;
	g) cg_msgs=$OPTARG ;;
	G) cg_base=$OPTARG ;;
	O) cg_occ=$OPTARG ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done

driver=$build/bench/muc_driver
comp_bin=$build/bench/fanout_component
daemon=$build/backchanneld
ctl=$build/backchannelctl
if [ "$cg_msgs" != 0 ] && ! command -v valgrind >/dev/null 2>&1; then
	echo "muc.sh: valgrind not found (no -g)" >&2
	exit 1
fi

D=bc.bench
M=rooms.bc.bench
ROOM=bench@$M
secret=bench
prog=muc.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-muc.XXXXXX")
pids=
. "$(dirname "$0")/lib.sh"
need_built "$driver" "$comp_bin" "$daemon" "$ctl"
trap cleanup EXIT
trap 'exit 130' INT TERM

# muc_driver N MESSAGES TIMEOUT [OPTIONS...]: the driver for N occupants
# and MESSAGES messages (start_driver); sets drv and port.
muc_driver() {
	n=$1
	count=$2
	limit=$3
	shift 3
	start_driver -d "$M" -r "$ROOM" -n "$n" -m "$count" -W "$window" \
		-T "$limit" "$@"
}

# Waits for the driver, fails on its failure, then stops the component.
finish() {
	if ! wait "$drv"; then
		echo "muc.sh: the driver failed ($1):" >&2
		cat "$tmp/driver.err" >&2
		[ -f "$tmp/comp.log" ] && tail -20 "$tmp/comp.log" >&2
		exit 1
	fi
	pids=$(echo "$pids" | sed "s/\\b$drv\\b//")
	kill -TERM "$comp" 2>/dev/null || true
	reap "$comp" 60
}

# A fresh store for N occupants and the configuration for port $2.
provision() {
	rm -rf "$tmp/store"
	mkdir "$tmp/store"
	bench_config "$tmp/bc.xml" "$2" "$tmp/store"
	awk -v n="$1" 'BEGIN {
		print "<backchannel-data version=\"1\">"
		for (k = 1; k <= n; k++)
			printf "<identity handle=\"u%d\"><link jid=\"u%d@bench.test\"/></identity>\n", k, k
		print "<room name=\"bench\" title=\"Bench\" kind=\"group\" live=\"true\">"
		for (k = 1; k <= n; k++)
			printf "<affiliation who=\"u%d\" affiliation=\"%s\"/>\n", k, k == 1 ? "owner" : "member"
		print "</room>"
		print "</backchannel-data>"
	}' >"$tmp/dir.xml"
	"$ctl" -c "$tmp/bc.xml" import "$tmp/dir.xml"
}

# run_daemon N MESSAGES TIMEOUT [WRAPPER...]
run_daemon() {
	occ=$1
	msgs=$2
	limit=$3
	shift 3
	muc_driver "$occ" "$msgs" "$limit" -c 2 -J
	provision "$occ" "$port"
	"$@" "$daemon" -c "$tmp/bc.xml" 2>"$tmp/comp.log" &
	comp=$!
	pids="$pids $comp"
	give_pid "$comp"
	finish "daemon, N=$occ"
}

# run_fanout METHOD N MESSAGES TIMEOUT [WRAPPER...]
run_fanout() {
	method=$1
	occ=$2
	msgs=$3
	limit=$4
	shift 4
	muc_driver "$occ" "$msgs" "$limit" -c 1
	"$@" "$comp_bin" -p "$port" -d "$M" -s "$secret" -m "$method" \
		-n "$occ" -r 0 -k u1 >"$tmp/fanout" 2>"$tmp/comp.log" &
	comp=$!
	pids="$pids $comp"
	give_pid "$comp"
	finish "$method, N=$occ"
}

# Records and prints one timed run's result as $1 for N $2.
record() {
	res=$(cat "$tmp/result")
	rate=$(echo "$res" | field per_cpu_s)
	echo "$rate" >>"$tmp/$1.$2.rate"
	echo "$res" | field bytes_per_delivery >>"$tmp/$1.$2.bytes"
	printf '  %-6s N=%-3s %9s deliveries/CPU-s (cpu %s s: user %s, sys %s; wall %s s%s)\n' \
		"$1" "$2" "$rate" "$(echo "$res" | field cpu_s)" \
		"$(echo "$res" | field user_s)" "$(echo "$res" | field sys_s)" \
		"$(echo "$res" | field wall_s)" \
		"$([ "$1" = daemon ] && echo ", joins $(echo "$res" | field join_s) s")"
}

echo "muc benchmark: $runs rounds, N = $ns, $deliveries deliveries a run," \
	"window $window, commit $(commit)"
r=1
while [ "$r" -le "$runs" ]; do
	echo "round $r:"
	for n in $ns; do
		msgs=$((deliveries / n))
		run_daemon "$n" "$msgs" 300
		record daemon "$n"
		run_fanout bare "$n" "$msgs" 120
		record bare "$n"
		if [ "$with_bc" = 1 ]; then
			run_fanout bc "$n" "$msgs" 120
			record bc "$n"
		fi
		awk -v a="$(tail -1 "$tmp/daemon.$n.rate")" \
			-v b="$(tail -1 "$tmp/bare.$n.rate")" \
			'BEGIN { printf "%.3f\n", a / b }' >>"$tmp/ratio.$n"
		echo "  N=$n: daemon / bare $(tail -1 "$tmp/ratio.$n")"
	done
	r=$((r + 1))
done

echo "summary (median, min-max over $runs rounds):"
for n in $ns; do
	line="N=$n:"
	for who in daemon bare bc; do
		[ -f "$tmp/$who.$n.rate" ] || continue
		set -- $(stats <"$tmp/$who.$n.rate")
		line="$line $who $1 ($2-$3),"
	done
	set -- $(stats <"$tmp/ratio.$n")
	echo "$line deliveries/CPU-s; daemon / bare $1 ($2-$3)"
	line="      bytes a delivery:"
	for who in daemon bare bc; do
		[ -f "$tmp/$who.$n.bytes" ] || continue
		set -- $(stats <"$tmp/$who.$n.bytes")
		line="$line $who $1"
	done
	echo "$line"
done

[ "$cg_msgs" != 0 ] || exit 0

wrap="valgrind --tool=callgrind --quiet"
big=$((cg_base + cg_msgs))
for who in daemon bare; do
	for count in "$cg_base" "$big"; do
		if [ "$who" = daemon ]; then
			run_daemon "$cg_occ" "$count" 900 $wrap \
				--callgrind-out-file="$tmp/cg.$who.$count"
		else
			run_fanout bare "$cg_occ" "$count" 900 $wrap \
				--callgrind-out-file="$tmp/cg.$who.$count"
		fi
	done
	a=$(ir_total "$tmp/cg.$who.$cg_base")
	b=$(ir_total "$tmp/cg.$who.$big")
	awk -v a="$a" -v b="$b" -v c="$((cg_msgs * cg_occ))" -v w="$who" \
		-v n="$cg_occ" -v m="$cg_msgs" 'BEGIN {
		printf "callgrind %-6s N=%s: %.0f instructions per delivery (%.0f per message of %d deliveries)\n",
			w, n, (b - a) / c, (b - a) / m, n }'
	if [ "$keep" = 1 ]; then
		for incl in no yes; do
			ir_functions "$tmp/cg.$who.$cg_base" "$incl" >"$tmp/f.a"
			ir_functions "$tmp/cg.$who.$big" "$incl" >"$tmp/f.b"
			profile_diff "$tmp/f.a" "$tmp/f.b" $((cg_msgs * cg_occ)) \
				>"$tmp/profile-$who-inclusive-$incl.txt"
		done
	fi
done
