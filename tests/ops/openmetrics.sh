#!/bin/sh
# make check: the metrics exposition, parsed back with a real OpenMetrics
# parser (python3-prometheus-client), must hold every family with the
# values test_metrics --print sets.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${PYTHON:=/usr/bin/python3}"
"$PYTHON" -c 'import prometheus_client.openmetrics.parser' || {
	echo "openmetrics: python3-prometheus-client is missing (run scripts/deps.sh)" >&2
	exit 1
}
./tests/unit/test_metrics --print >openmetrics.out
"$PYTHON" "$here/check_openmetrics.py" --sample <openmetrics.out
rm -f openmetrics.out
