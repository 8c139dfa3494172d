# bench/lib.sh - shell functions the benchmark scripts share (sourced by
# relay.sh, fanout.sh, muc.sh, ctlwait.sh, repl.sh and import.sh).
#
# The sourcing script sets: prog (its name, for messages), tmp (its
# private directory), keep (1: leave tmp in place) and pids (the PIDs it
# started and has not reaped, space-separated).  Every process is stopped
# by its own PID, never by name.  The driver functions also use driver
# (the driver binary), secret, and D and M (the component domains).

# Exits unless every file given is built (executable).
need_built() {
	for f in "$@"; do
		[ -x "$f" ] || { echo "$prog: $f is not built" >&2; exit 1; }
	done
}

# Starts $driver with its port and PID files, the secret and the options
# given; sets drv and port (the port it listens on for the component).
start_driver() {
	rm -f "$tmp/port" "$tmp/pid" "$tmp/pid.new"
	"$driver" -o "$tmp/port" -w "$tmp/pid" -s "$secret" "$@" \
		>"$tmp/result" 2>"$tmp/driver.err" &
	drv=$!
	pids="$pids $drv"
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$tmp/port" ] || { echo "$prog: the driver did not start" >&2; cat "$tmp/driver.err" >&2; exit 1; }
	port=$(cat "$tmp/port")
}

# Tells the driver the PID of the component under test (whose CPU time it
# reads).
give_pid() {
	echo "$1" >"$tmp/pid.new"
	mv "$tmp/pid.new" "$tmp/pid"
}

# bench_config FILE PORT STORE [XML...]: the daemon's configuration for
# the driver on PORT, its store at STORE, no rate limit, warnings only in
# its log, and any further XML given.
bench_config() {
	_f=$1
	_p=$2
	_s=$3
	shift 3
	cat >"$_f" <<XML
<backchannel>
  <server host="127.0.0.1" port="$_p"/>
  <service domain="$D" secret="$secret"/>
  <rooms domain="$M" secret="$secret"/>
  <store path="$_s"/>
  <log level="warn"/>
  <limits rate="0"/>
  $*
</backchannel>
XML
}

# Stops what is left in $pids (TERM, then KILL) and removes $tmp unless
# $keep; installed as the EXIT trap.
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "$keep" = 1 ]; then
		echo "$prog: files kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

# Waits up to $2 seconds for process $1 to end; then kills it.
reap() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "$prog: process $1 did not stop in $2 s: killed" >&2
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
	pids=$(echo "$pids" | sed "s/\\b$1\\b//")
}

# The value of NAME=VALUE field $1 in the line on stdin.
field() {
	sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p"
}

# median min max of the numbers on stdin, one a line.
stats() {
	sort -g | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		      printf "%s %s %s\n", m, v[1], v[NR] }'
}

# Total Ir of a callgrind output file.
ir_total() {
	sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' \
		"$1" | head -1
}

# Ir per function of a callgrind output file ($2: inclusive yes/no):
# "Ir function" lines.
ir_functions() {
	callgrind_annotate --threshold=100 --auto=no --inclusive="$2" "$1" \
		2>/dev/null |
		awk '/^ *[0-9,]+ +\([ 0-9.]+%\) +[^=]/ {
			ir = $1; gsub(",", "", ir);
			sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "");
			print ir, $0 }'
}

# The difference of two ir_functions lists ($1 the small run, $2 the big
# one) divided by $3, largest first, where at least 50.
profile_diff() {
	awk -v n="$3" '
		FNR == NR { a[substr($0, index($0, " ") + 1)] = $1; next }
		{ k = substr($0, index($0, " ") + 1); d[k] = $1 - a[k] }
		END { for (k in d) if (d[k] / n >= 50) printf "%9.0f  %s\n", d[k] / n, k }' \
		"$1" "$2" | sort -rn
}

# The short commit of the tree the script is in.
commit() {
	git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown
}
