# store/: all Berkeley DB code, behind store/store.h.
libbackchannel_a_SOURCES += store/env.c store/codec.c store/identity.c \
	store/relation.c store/rooms.c store/reports.c store/bulk.c
noinst_HEADERS += store/store.h store/store-int.h
EXTRA_DIST += store/valgrind-bdb.supp

check_PROGRAMS += tests/store/test_store
TESTS += tests/store/test_store
tests_store_test_store_SOURCES = tests/store/test_store.c
tests_store_test_store_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_store_test_store_LDADD = $(BC_LIBS) $(CMOCKA_LIBS)

# The crash test: a writer killed with SIGKILL, then checked.
check_PROGRAMS += tests/store/crash_writer
tests_store_crash_writer_SOURCES = tests/store/crash_writer.c
tests_store_crash_writer_LDADD = $(BC_LIBS)
TESTS += tests/store/crash-test.sh
EXTRA_DIST += tests/store/crash-test.sh
