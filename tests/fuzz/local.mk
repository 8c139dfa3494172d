# tests/fuzz/: libFuzzer harnesses, built with clang apart from the normal
# build (tests/fuzz/build.mk) and run by "make fuzz" for a bounded time:
# FUZZ_SECONDS in all (default 60), shared between the harnesses.  Each
# starts from its seed corpus in tests/fuzz/corpus/NAME/; what it finds is
# kept as tests/fuzz/findings/NAME-*.  docs/FUZZING.md says how to run
# them longer.
FUZZ_SECONDS = 60
FUZZ_CC = clang

FUZZ_SRC = tests/fuzz/fuzz.h tests/fuzz/fuzz.c tests/fuzz/fuzz_router.c \
	tests/fuzz/fuzz_cfg.c tests/fuzz/fuzz_data.c tests/fuzz/fuzz_jid.c
EXTRA_DIST += $(FUZZ_SRC) tests/fuzz/build.mk tests/fuzz/run.sh docs/FUZZING.md \
	tests/fuzz/corpus

fuzz-build: $(BUILT_SOURCES) ctl/data-rng.h
	$(AM_V_at)$(MAKE) --no-print-directory -f $(srcdir)/tests/fuzz/build.mk \
		srcdir='$(srcdir)' \
		LIB_SOURCES='$(libbackchannel_a_SOURCES)' \
		GEN_SOURCES='$(nodist_libbackchannel_a_SOURCES)' \
		BC_CPPFLAGS='$(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS)' \
		DEP_CFLAGS='$(STROPHE_CFLAGS) $(XML_CFLAGS) $(MHD_CFLAGS) $(CURL_CFLAGS)' \
		DEP_LIBS='$(STROPHE_LIBS) $(XML_LIBS) $(MHD_LIBS) $(CURL_LIBS) $(LIBS)' \
		WARN_CFLAGS='$(WARN_CFLAGS)' FUZZ_CC='$(FUZZ_CC)'

fuzz: fuzz-build
	$(SHELL) $(srcdir)/tests/fuzz/run.sh '$(srcdir)/tests/fuzz/corpus' \
		tests/fuzz '$(FUZZ_SECONDS)'

clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/obj tests/fuzz/grown tests/fuzz/findings
	rm -f tests/fuzz/fuzz_router_d tests/fuzz/fuzz_router_m \
		tests/fuzz/fuzz_cfg tests/fuzz/fuzz_data tests/fuzz/fuzz_jid

.PHONY: fuzz fuzz-build clean-fuzz
