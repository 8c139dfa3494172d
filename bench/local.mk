# bench/: benchmarks (built by "make bench", not run by "make check").
EXTRA_PROGRAMS = bench/bench_store
bench_bench_store_SOURCES = bench/bench_store.c
bench_bench_store_LDADD = $(BC_LIBS)
CLEANFILES += bench/bench_store

# The server side of XEP-0114 that the load drivers share.
BENCH_DRIVER = bench/driver.c bench/driver.h
EXTRA_DIST += bench/lib.sh

include bench/relay.mk
include bench/fanout.mk
include bench/muc.mk
include bench/latency.mk
include bench/audio.mk
include bench/import.mk

bench: bench/bench_store
	./bench/bench_store

.PHONY: bench
