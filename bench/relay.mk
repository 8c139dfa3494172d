# bench/relay.mk: the relay benchmark (see docs/BENCHMARKS.md).
#
# "make bench-relay" runs bench/relay.sh against the built backchanneld and
# the echo baseline; RELAY_FLAGS passes options to it (bench/relay.sh -h).
EXTRA_PROGRAMS += bench/relay_driver bench/echo_component
bench_relay_driver_SOURCES = bench/relay_driver.c $(BENCH_DRIVER)
bench_relay_driver_LDADD = $(BC_LIBS)
bench_echo_component_SOURCES = bench/echo_component.c
bench_echo_component_LDADD = $(BC_LIBS)
CLEANFILES += bench/relay_driver bench/echo_component
EXTRA_DIST += bench/relay.sh bench/relay_driver.c bench/echo_component.c

RELAY_FLAGS =

bench-relay: bench/relay_driver bench/echo_component backchanneld backchannelctl
	$(SHELL) $(srcdir)/bench/relay.sh -b . $(RELAY_FLAGS)

# "make bench-ctl-wait": how long backchannelctl writes wait while the
# daemon relays (bench/ctlwait.sh -h); CTLWAIT_FLAGS passes options.
EXTRA_DIST += bench/ctlwait.sh
CTLWAIT_FLAGS =

bench-ctl-wait: bench/relay_driver backchanneld backchannelctl
	$(SHELL) $(srcdir)/bench/ctlwait.sh -b . $(CTLWAIT_FLAGS)

# "make bench-repl": relays through the master of a three-site replication
# group against the daemon alone (bench/repl.sh; docs/SCALING.md).
EXTRA_DIST += bench/repl.sh
REPL_FLAGS =

bench-repl: bench/relay_driver backchanneld backchannelctl
	$(SHELL) $(srcdir)/bench/repl.sh -b . $(REPL_FLAGS)

.PHONY: bench-relay bench-ctl-wait bench-repl
