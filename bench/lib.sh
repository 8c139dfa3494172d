# bench/lib.sh - shell functions the benchmark scripts share (sourced by
# relay.sh, fanout.sh and muc.sh).
#
# The sourcing script sets: prog (its name, for messages), tmp (its
# private directory), keep (1: leave tmp in place) and pids (the PIDs it
# started and has not reaped, space-separated).  Every process is stopped
# by its own PID, never by name.

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
