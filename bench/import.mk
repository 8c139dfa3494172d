# bench/import.mk: backchannelctl import and load at platform scale (see
# docs/BENCHMARKS.md, "Import and load").
#
# "make bench-import" runs bench/import.sh: a file of a million identities
# (bench/import_gen.sh) refused at its last follow, imported, dumped,
# loaded, refused by the store at its last record, and the daemon's RSS
# on the loaded store with bench/import_server.py counting its probes;
# IMPORT_FLAGS passes options (bench/import.sh -h), e.g. -n 20000.
EXTRA_DIST += bench/import.sh bench/import_gen.sh bench/import_server.py

IMPORT_FLAGS =

bench-import: backchanneld backchannelctl
	$(SHELL) $(srcdir)/bench/import.sh -b . $(IMPORT_FLAGS)

.PHONY: bench-import
