# bench/relay.mk: the relay benchmark (see docs/BENCHMARKS.md).
