# bench/audio.mk: the audio-room chat benchmark (see docs/BENCHMARKS.md).
#
# "make bench-audio" runs bench/audio.sh: join storms of N listeners on one
# live audio-room chat behind a private ejabberd and a private Prosody,
# beside each server's own MUC, the CPU per delivered copy, and memory per
# occupant and per room; it rewrites docs/audio-bench.dat and
# docs/audio-bench.png in the source tree.  AUDIO_FLAGS passes options to
# it (bench/audio.sh -h).
EXTRA_DIST += bench/audio.sh bench/audio.py
AUDIO_FLAGS =

# The heap per occupant, measured in-process through the unit tests'
# harness (no network).
EXTRA_PROGRAMS += bench/audio_mem
bench_audio_mem_SOURCES = bench/audio_mem.c
bench_audio_mem_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bench_audio_mem_LDADD = tests/unit/libharness.a $(BC_LIBS) $(CMOCKA_LIBS)
CLEANFILES += bench/audio_mem

bench-audio: backchanneld backchannelctl bench/audio_mem
	./bench/audio_mem 2000
	$(SHELL) $(srcdir)/bench/audio.sh -b . $(AUDIO_FLAGS)

.PHONY: bench-audio
