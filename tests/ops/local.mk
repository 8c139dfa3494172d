# tests/ops/: what an operator relies on: the log format, the metrics
# exposition (parsed by a real OpenMetrics parser), the manual pages, the
# systemd unit, and the DOAP file against the module registry.  The
# packaged install (tests/ops/package-test.sh) is a step of
# scripts/test.sh, not of make check: it installs a .deb on the machine.

OPS_UNIT_TESTS = tests/unit/test_log tests/unit/test_metrics
check_PROGRAMS += $(OPS_UNIT_TESTS)
TESTS += $(OPS_UNIT_TESTS)

tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_log_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_log_LDADD = $(UNIT_LDADD)

tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_metrics_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_metrics_LDADD = $(UNIT_LDADD)

# Scripts run from the top build directory, with $(srcdir) exported.
TESTS += tests/ops/openmetrics.sh
EXTRA_DIST += tests/ops/openmetrics.sh tests/ops/check_openmetrics.py
CLEANFILES += openmetrics.out

TESTS += tests/ops/man-lint.sh tests/ops/systemd-unit.sh tests/ops/doap.sh
EXTRA_DIST += tests/ops/man-lint.sh tests/ops/systemd-unit.sh \
	tests/ops/doap.sh tests/ops/check_doap.py backchannel.doap
CLEANFILES += doap-features.out

# What the module registry advertises, for tests/ops/doap.sh.
check_PROGRAMS += tests/ops/doap_features
tests_ops_doap_features_SOURCES = tests/ops/doap_features.c
tests_ops_doap_features_LDADD = $(BC_LIBS)

# The packaged install (scripts/test.sh runs it, as root).
EXTRA_DIST += tests/ops/package-test.sh tests/ops/package_relay.py
