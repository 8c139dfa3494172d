#!/bin/sh
# tests/fuzz/run.sh CORPUS DIR SECONDS - runs every libFuzzer harness built
# in DIR for a bounded time, SECONDS in all shared between them (at least
# 5 each), each starting from its seeds in CORPUS/NAME/.  New inputs go to
# DIR/grown/NAME/ (the seeds are never written), findings to
# DIR/findings/NAME-*.  Exits non-zero when any harness found something.
#
# Environment: FUZZ_HARNESSES (default: all) names the harnesses to run;
# FUZZ_ARGS adds libFuzzer options (e.g. -jobs=2 -workers=2).
set -u

corpus=$1
dir=$2
seconds=$3
harnesses=${FUZZ_HARNESSES:-"fuzz_router_d fuzz_router_m fuzz_cfg fuzz_data fuzz_jid"}

n=0
for h in $harnesses; do n=$((n + 1)); done
each=$((seconds / n))
[ "$each" -ge 5 ] || each=5

mkdir -p "$dir/findings"
failed=
start=$(date +%s)
for h in $harnesses; do
	name=${h#fuzz_}
	grown=$dir/grown/$name
	mkdir -p "$grown"
	log=$dir/findings/$h.log
	printf 'fuzz: %s for %ds ... ' "$h" "$each"
	# -timeout: one input running longer is a finding (a hang);
	# -rss_limit_mb: so is one that takes this much memory.
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	   UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	   "$dir/$h" -max_total_time="$each" -timeout=10 -rss_limit_mb=2560 \
		-max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$dir/findings/$name-" ${FUZZ_ARGS:-} \
		"$grown" "$corpus/$name" >"$log" 2>&1; then
		echo "ok ($(grep -E '^stat::number_of_executed_units' "$log" |
			sed 's/.*: *//') runs)"
	else
		echo "FOUND SOMETHING"
		tail -n 60 "$log"
		ls "$dir/findings/$name-"* 2>/dev/null
		failed="$failed $h"
	fi
done
echo "fuzz: $(($(date +%s) - start))s in all"
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed (logs and inputs in $dir/findings/)"
	exit 1
fi
