# bench/latency.mk: the latency benchmark (see docs/BENCHMARKS.md).
#
# "make bench-latency" runs bench/latency.py: a private Prosody, the built
# backchanneld, and bench/latency_client (two libstrophe clients) timing
# messages through the component against messages between the two
# accounts directly; LATENCY_FLAGS passes options to it
# (bench/latency.py -h).
EXTRA_PROGRAMS += bench/latency_client
bench_latency_client_SOURCES = bench/latency_client.c
bench_latency_client_LDADD = $(STROPHE_LIBS)
CLEANFILES += bench/latency_client
EXTRA_DIST += bench/latency.py

LATENCY_FLAGS =

bench-latency: bench/latency_client backchanneld backchannelctl
	$(PYTHON3) $(srcdir)/bench/latency.py -b . $(LATENCY_FLAGS)

.PHONY: bench-latency
