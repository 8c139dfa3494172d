#!/bin/sh
# repl.sh ("make bench-repl") - one-to-one relays through the master of a replication group of
# three sites on loopback, with quorum acknowledgements, against the same
# daemon alone (docs/SCALING.md, "Measured here").
#
# Each of RUNS rounds, in turn:
#   alone: backchanneld with a fresh store (as bench/relay.sh: alice and
#          bob linked and following each other, no rate limit), fed N
#          messages by bench/relay_driver;
#   group: three sites with fresh stores started, provisioned the same
#          way through the master once it is elected, fed N messages
#          through the master; every pass's commit waits until
#          one replica has it (DB_REPMGR_ACKS_QUORUM of three).
# Printed per round: relays per CPU-second of the daemon (the master),
# relays per wall-second, and for the group the replicas' lag when the
# driver finished: log bytes behind the master, and the time until both
# had caught up (polled every 10 ms with backchannelctl group).
#
# Loopback only; every process is bounded in time and stopped by its PID.
#
# usage: repl.sh [-b BUILDDIR] [-r RUNS] [-n N] [-W WINDOW] [-k]
set -eu

build=.
runs=3
n=50000
window=500
keep=0
while getopts b:r:n:W:kh opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) runs=$OPTARG ;;
	n) n=$OPTARG ;;
	W) window=$OPTARG ;;
	k) keep=1 ;;
	*) sed -n '/^# usage:/p' "$0" >&2; exit 2 ;;
	esac
done

driver=$build/bench/relay_driver
daemon=$build/backchanneld
ctl=$build/backchannelctl
D=bc.bench
M=rooms.bc.bench
secret=bench
prog=repl.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-repl.XXXXXX")
pids=
. "$(dirname "$0")/lib.sh"
need_built "$driver" "$daemon" "$ctl"
trap cleanup EXIT
trap 'exit 130' INT TERM

freeport() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# relay_driver: the driver for N messages (start_driver).
relay_driver() {
	start_driver -W "$window" -c 2 -d "$D" -n "$n" -T 60 \
		-x bob@bench.test
}

provision() {
	for cmd in "identity add alice" "identity add bob" \
		"link alice alice@bench.test" "link bob bob@bench.test" \
		"follow alice bob" "follow bob alice"; do
		# shellcheck disable=SC2086
		"$ctl" -c "$1" $cmd >/dev/null
	done
}

# The log position ("file/offset") backchannelctl group shows for a site.
logpos() {
	"$ctl" -c "$1" group | sed -n 's/^log position of this site: //p'
}

bytes() { # file/offset -> a number that orders positions
	echo "$1" | awk -F/ '{ printf "%.0f\n", $1 * 4294967296 + $2 }'
}

run_alone() {
	rm -rf "$tmp/alone"
	mkdir -p "$tmp/alone"
	relay_driver
	bench_config "$tmp/alone.xml" "$port" "$tmp/alone"
	provision "$tmp/alone.xml"
	"$daemon" -c "$tmp/alone.xml" 2>"$tmp/alone.log" &
	comp=$!
	pids="$pids $comp"
	give_pid "$comp"
	wait "$drv" || { cat "$tmp/driver.err" >&2; exit 1; }
	kill -TERM "$comp" 2>/dev/null || true
	reap "$comp" 60
}

run_group() {
	p1=$(freeport); p2=$(freeport); p3=$(freeport)
	relay_driver
	for i in 1 2 3; do
		rm -rf "$tmp/s$i"
		mkdir -p "$tmp/s$i"
	done
	i=1
	for me in $p1 $p2 $p3; do
		peers=
		for o in $p1 $p2 $p3; do
			[ "$o" = "$me" ] || peers="$peers<peer address=\"127.0.0.1:$o\"/>"
		done
		bench_config "$tmp/s$i.xml" "$port" "$tmp/s$i" \
			"<replication listen=\"127.0.0.1:$me\" priority=\"$((100 - i))\"/>$peers"
		i=$((i + 1))
	done
	gp=
	for i in 1 2 3; do
		"$daemon" -c "$tmp/s$i.xml" 2>"$tmp/s$i.log" &
		gp="$gp $!"
		pids="$pids $!"
	done
	# Provisioned through the master, once the group has elected it.
	master=
	t=0
	while [ -z "$master" ] && [ $t -lt 300 ]; do
		for i in 1 2 3; do
			if "$ctl" -c "$tmp/s$i.xml" group 2>/dev/null |
				grep -q '^[^ ]* *master *this site'; then
				master=$i
			fi
		done
		sleep 0.1
		t=$((t + 1))
	done
	[ -n "$master" ] || { echo "repl.sh: no master elected" >&2; exit 1; }
	provision "$tmp/s$master.xml"
	set -- $gp
	eval "give_pid \${$master}"
	others=$(echo 1 2 3 | tr ' ' '\n' | grep -v "^$master\$" | tr '\n' ' ')
	wait "$drv" || { cat "$tmp/driver.err" >&2; tail "$tmp/s$master.log" >&2; exit 1; }
	set -- $others
	m=$(bytes "$(logpos "$tmp/s$master.xml")")
	r2=$(bytes "$(logpos "$tmp/s$1.xml")")
	r3=$(bytes "$(logpos "$tmp/s$2.xml")")
	lag=$((m - (r2 < r3 ? r2 : r3))) # the slower replica
	start=$(date +%s%N)
	while :; do
		r2=$(bytes "$(logpos "$tmp/s$1.xml")")
		r3=$(bytes "$(logpos "$tmp/s$2.xml")")
		[ "$r2" -ge "$m" ] && [ "$r3" -ge "$m" ] && break
		[ $(( ($(date +%s%N) - start) / 1000000 )) -gt 30000 ] && break
		sleep 0.01
	done
	caught=$(( ($(date +%s%N) - start) / 1000000 ))
	for p in $gp; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $gp; do
		reap "$p" 60
	done
}

echo "replication benchmark: $runs rounds of $n messages, window $window," \
	"commit $(commit)"
r=1
while [ "$r" -le "$runs" ]; do
	run_alone
	a=$(cat "$tmp/result"); [ -n "$a" ] || { echo "repl.sh: no result alone" >&2; cat "$tmp/driver.err" >&2; }
	run_group
	g=$(cat "$tmp/result")
	printf 'round %d: alone %s/CPU-s %s/s; group master %s/CPU-s %s/s; replicas %s bytes behind at the end, caught up in %s ms\n' \
		"$r" "$(echo "$a" | field per_cpu_s)" "$(echo "$a" | field per_wall_s)" \
		"$(echo "$g" | field per_cpu_s)" "$(echo "$g" | field per_wall_s)" \
		"$lag" "$caught"
	r=$((r + 1))
done
