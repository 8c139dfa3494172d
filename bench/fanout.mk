# bench/fanout.mk: the fan-out benchmark (see docs/BENCHMARKS.md).
#
# "make bench-fanout" runs bench/fanout.sh: bench/fanout_component fans one
# groupchat message out to N recipients, through the daemon's outbox
# (bc_fanout) and through bare libstrophe (xmpp_send per copy), to
# bench/fanout_driver over loopback; FANOUT_FLAGS passes options to it
# (bench/fanout.sh -h).
EXTRA_PROGRAMS += bench/fanout_driver bench/fanout_component
bench_fanout_driver_SOURCES = bench/fanout_driver.c $(BENCH_DRIVER)
bench_fanout_driver_LDADD = $(BC_LIBS)
bench_fanout_component_SOURCES = bench/fanout_component.c
bench_fanout_component_LDADD = $(BC_LIBS)
CLEANFILES += bench/fanout_driver bench/fanout_component
EXTRA_DIST += bench/fanout.sh

FANOUT_FLAGS =

bench-fanout: bench/fanout_driver bench/fanout_component
	$(SHELL) $(srcdir)/bench/fanout.sh -b . $(FANOUT_FLAGS)

.PHONY: bench-fanout
