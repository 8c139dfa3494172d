# bench/muc.mk: the MUC benchmark (see docs/BENCHMARKS.md).
#
# "make bench-muc" runs bench/muc.sh: backchanneld's rooms on M against a
# bare libstrophe fan-out (bench/fanout_component -m bare), both fed by
# bench/muc_driver over loopback; MUC_FLAGS passes options to it
# (bench/muc.sh -h).
EXTRA_PROGRAMS += bench/muc_driver
bench_muc_driver_SOURCES = bench/muc_driver.c $(BENCH_DRIVER)
bench_muc_driver_LDADD = $(BC_LIBS)
CLEANFILES += bench/muc_driver
EXTRA_DIST += bench/muc.sh

MUC_FLAGS =

bench-muc: bench/muc_driver bench/fanout_component backchanneld backchannelctl
	$(SHELL) $(srcdir)/bench/muc.sh -b . $(MUC_FLAGS)

.PHONY: bench-muc
