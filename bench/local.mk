# bench/: benchmarks (built by "make bench", not run by "make check").
EXTRA_PROGRAMS = bench/bench_store
bench_bench_store_SOURCES = bench/bench_store.c
bench_bench_store_LDADD = $(BC_LIBS)
CLEANFILES += bench/bench_store

include bench/relay.mk

bench: bench/bench_store
	./bench/bench_store

.PHONY: bench
