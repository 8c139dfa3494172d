#!/bin/sh
# audio.sh - the audio-room chat benchmark (docs/BENCHMARKS.md,
# "Audio-room chats: join storm"): N listeners join one live audio-room
# chat behind a private ejabberd and a private Prosody, beside each
# server's own MUC in the same run; CPU per delivered copy of a message;
# backchanneld's memory per occupant and per room in the store.  Writes
# the figures to stdout, their data file and the plot (gnuplot, PNG).
#
# bench/audio.py does the work (its docstring says how); this wrapper
# bounds it in time.  Loopback only; every process it starts is stopped by
# its PID or process group.
#
# usage: audio.sh [-b BUILDDIR] [-N "N..."] [-s "SERVERS"] [-m MSGS]
#                 [-o DATAFILE] [-p PNG] [-R "ROOMS..."]
#   -b  where backchanneld and backchannelctl were built (.)
#   -N  listeners per storm ("200 500")
#   -s  servers ("ejabberd prosody")
#   -m  messages of the fan-out (20)
#   -o  data file (docs/audio-bench.dat in the source tree)
#   -p  plot (docs/audio-bench.png in the source tree)
#   -R  audio rooms in the store for the memory figures ("0 1000 10000")
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=.
ns="200 500"
servers="ejabberd prosody"
msgs=20
data=$top/docs/audio-bench.dat
png=$top/docs/audio-bench.png
rooms="0 1000 10000"
: "${PYTHON:=/usr/bin/python3}"
: "${BENCH_TIMEOUT:=600}"

usage() {
	sed -n '/^# usage:/,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while getopts b:N:s:m:o:p:R:h opt; do
	case $opt in
	b) build=$OPTARG ;;
	N) ns=$OPTARG ;;
	s) servers=$OPTARG ;;
	m) msgs=$OPTARG ;;
	o) data=$OPTARG ;;
	p) png=$OPTARG ;;
	R) rooms=$OPTARG ;;
	*) usage ;;
	esac
done

for b in backchanneld backchannelctl; do
	[ -x "$build/$b" ] || { echo "audio.sh: no $build/$b" >&2; exit 1; }
done
[ -x "$PYTHON" ] || { echo "audio.sh: no $PYTHON" >&2; exit 1; }

# The driver stops what it started on SIGTERM; timeout(1) sends it.
exec timeout "$BENCH_TIMEOUT" "$PYTHON" "$here/audio.py" -b "$build" \
	-N "$ns" -s "$servers" -m "$msgs" -o "$data" -p "$png" -R "$rooms"
