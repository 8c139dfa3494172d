# config/: the configuration schema (compiled into the library) and the
# commented example.
dist_pkgdata_DATA = config/backchannel.rng config/backchannel.xml
EXTRA_DIST += config/rng2c.sh
nodist_libbackchannel_a_SOURCES = config/schema-rng.c
BUILT_SOURCES = config/schema-rng.c
CLEANFILES += config/schema-rng.c

config/schema-rng.c: $(srcdir)/config/backchannel.rng $(srcdir)/config/rng2c.sh
	$(AM_V_GEN)$(MKDIR_P) config && \
	sh $(srcdir)/config/rng2c.sh cfg_schema_rng < $(srcdir)/config/backchannel.rng > $@.tmp && \
	mv $@.tmp $@
