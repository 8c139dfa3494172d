# ctl/: backchannelctl, the provisioning tool.  The commands are in the
# library so the tests can run them; main.c is only main().
libbackchannel_a_SOURCES += ctl/ctl.c ctl/data.c
noinst_HEADERS += ctl/ctl.h ctl/data.h
ctldatadir = $(pkgdatadir)
dist_ctldata_DATA = ctl/backchannel-data.rng

# The data schema, compiled in: a generated header with the string
# ctl_data_rng, included by ctl/data.c only.
CLEANFILES += ctl/data-rng.h
ctl/data.$(OBJEXT): ctl/data-rng.h
ctl/data-rng.h: $(srcdir)/ctl/backchannel-data.rng $(srcdir)/config/rng2c.sh
	$(AM_V_GEN)$(MKDIR_P) ctl && \
	sh $(srcdir)/config/rng2c.sh ctl_data_rng \
		< $(srcdir)/ctl/backchannel-data.rng | \
		sed '1s|config/backchannel.rng|ctl/backchannel-data.rng|' \
		> $@.tmp && mv $@.tmp $@

sbin_PROGRAMS += backchannelctl
backchannelctl_SOURCES = ctl/main.c
backchannelctl_LDADD = $(BC_LIBS)

check_PROGRAMS += tests/store/test_ctl
TESTS += tests/store/test_ctl
tests_store_test_ctl_SOURCES = tests/store/test_ctl.c
tests_store_test_ctl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_store_test_ctl_LDADD = $(BC_LIBS) $(CMOCKA_LIBS)

TESTS += tests/store/ctl-test.sh
EXTRA_DIST += tests/store/ctl-test.sh
