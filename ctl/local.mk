# ctl/: backchannelctl, the provisioning tool.  The commands are in the
# library so the tests can run them; main.c is only main().
libbackchannel_a_SOURCES += ctl/ctl.c
noinst_HEADERS += ctl/ctl.h
bin_PROGRAMS += backchannelctl
backchannelctl_SOURCES = ctl/main.c
backchannelctl_LDADD = $(BC_LIBS)

TESTS += tests/store/ctl-test.sh
EXTRA_DIST += tests/store/ctl-test.sh
