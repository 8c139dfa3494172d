#!/bin/sh
# Kill -9 at random moments: a writer prints each event only after it was
# made durable; after each kill the store is reopened (recovered) and every
# printed event must be there.  Ten rounds or more, bounded to seconds.
set -u
W=${CRASH_WRITER:-./tests/store/crash_writer}
ROUNDS=${CRASH_ROUNDS:-12}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-crash.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/store"
: > "$dir/all"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	"$W" write "$dir/store" "$r" > "$dir/out.$r" &
	pid=$!
	# 20..250 ms, from the shell's own random-ish source.
	ms=$(( ($(od -An -N2 -tu2 /dev/urandom) % 230) + 20 ))
	sleep "$(printf '0.%03d' "$ms")"
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	cat "$dir/out.$r" >> "$dir/all"
	if ! "$W" check "$dir/store" "$dir/all" > "$dir/check"; then
		echo "crash-test: round $r lost acknowledged events"
		exit 1
	fi
	echo "round $r: killed after ${ms} ms; $(cat "$dir/check")"
	r=$((r + 1))
done
echo "crash-test: $ROUNDS kills, nothing acknowledged was lost"
