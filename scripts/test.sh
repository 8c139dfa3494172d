#!/bin/bash
# The one command that checks everything on a fresh Debian 12 machine:
# installs the dependencies, builds out of tree in build/main with warnings
# as errors, runs "make check" (unit tests and the end-to-end suites against
# a private Prosody and a private ejabberd), "make distcheck", the packaged
# install (tests/ops/package-test.sh: the .deb built, installed, run as its
# service against a private Prosody, purged), and a second
# build with AddressSanitizer and UndefinedBehaviorSanitizer in build/san
# running "make check" again.  Exits non-zero on the first failure, after
# printing the test logs.
#
# Environment: JOBS (default: number of CPUs), BC_SAN_CHECK=unit to run only
# the unit tests in the sanitizer build (default: all), BC_SKIP_DEPS=1 to
# skip scripts/deps.sh, BC_SKIP_DISTCHECK=1 to skip make distcheck,
# BC_SKIP_PACKAGE=1 to skip the packaged install, BC_SKIP_FUZZ=1 to skip
# the bounded run of the fuzz harnesses (FUZZ_SECONDS in all, default 60).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$(date +%s)
passed=0
failed=0

step() {
	printf '\n==== %s (%ds) ====\n' "$*" $(($(date +%s) - start))
}

# Prints the log of the test suite in build directory $1: it holds the full
# log of every test that did not pass (the end-to-end suites' logs end with
# the daemon's and the server's log tails).
show_logs() {
	echo "---- $1/test-suite.log ----"
	cat "$1/test-suite.log" 2>/dev/null || echo "(no test-suite.log)"
}

# Adds the PASS/FAIL counts of build directory $1 to the totals.
count() {
	local dir=$1 n
	n=$(cat "$dir"/test-suite.log 2>/dev/null | sed -n 's/^# PASS: *//p' | head -n 1)
	passed=$((passed + ${n:-0}))
	n=$(cat "$dir"/test-suite.log 2>/dev/null | sed -n 's/^# FAIL: *//p' | head -n 1)
	failed=$((failed + ${n:-0}))
	n=$(cat "$dir"/test-suite.log 2>/dev/null | sed -n 's/^# ERROR: *//p' | head -n 1)
	failed=$((failed + ${n:-0}))
}

# make check in build directory $1 with extra make arguments.
check() {
	local dir=$1
	shift
	if ! make -C "$dir" -j"$JOBS" check "$@"; then
		show_logs "$dir"
		count "$dir"
		echo "tests: $passed passed, $((failed > 0 ? failed : 1)) failed"
		exit 1
	fi
	count "$dir"
}

if [ -z "${BC_SKIP_DEPS:-}" ]; then
	step "dependencies"
	bash scripts/deps.sh
fi

step "autogen"
./autogen.sh

step "build (build/main)"
mkdir -p build/main
(cd build/main && ../../configure --enable-werror)
make -C build/main -j"$JOBS"

step "make check (build/main)"
check build/main

if [ -z "${BC_SKIP_DISTCHECK:-}" ]; then
	step "make distcheck (build/main)"
	if ! make -C build/main -j"$JOBS" distcheck; then
		for log in build/main/backchannel-*/_build/sub/test-suite.log; do
			[ -f "$log" ] && show_logs "$(dirname "$log")"
		done
		echo "distcheck failed"
		exit 1
	fi
fi

if [ -z "${BC_SKIP_PACKAGE:-}" ]; then
	step "packaged install (tests/ops/package-test.sh)"
	if ! bash tests/ops/package-test.sh build/main; then
		echo "tests: $passed passed, $((failed + 1)) failed"
		exit 1
	fi
	passed=$((passed + 1))
fi

if [ -z "${BC_SKIP_FUZZ:-}" ]; then
	# libFuzzer harnesses built with clang (tests/fuzz/, docs/FUZZING.md):
	# a short bounded run of each; any finding fails.
	step "fuzz (build/main, ${FUZZ_SECONDS:-60}s in all)"
	if ! make -C build/main -j"$JOBS" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"; then
		echo "tests: $passed passed, $((failed + 1)) failed"
		exit 1
	fi
	passed=$((passed + 1))
fi

step "sanitizer build (build/san)"
mkdir -p build/san
(cd build/san && ../../configure --enable-werror --enable-sanitizers)
make -C build/san -j"$JOBS"

step "make check (build/san)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ "${BC_SAN_CHECK:-all}" = unit ]; then
	# Only the unit tests: leave the end-to-end suites out of TESTS.
	unit=$(make -C build/san -s --no-print-directory -f Makefile -f - print-unit-tests <<'MK'
print-unit-tests:
	@echo $(filter-out tests/integration/%,$(TESTS))
MK
)
	check build/san TESTS="$unit"
else
	check build/san
fi

step "done"
echo "tests: $passed passed, $failed failed"
