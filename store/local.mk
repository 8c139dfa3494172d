# store/: all Berkeley DB code, behind store/store.h.
libbackchannel_a_SOURCES += store/env.c store/repl.c store/codec.c store/identity.c \
	store/changes.c store/relation.c store/rooms.c store/roomstate.c store/reports.c store/record.c \
	store/cache.c
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

# The value formats against golden fixture files (docs/STORE.md,
# "Encoding").  test_codec --regenerate DIR writes missing fixtures; the
# check never does.
check_PROGRAMS += tests/store/test_codec
TESTS += tests/store/test_codec
tests_store_test_codec_SOURCES = tests/store/test_codec.c
tests_store_test_codec_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_DIR='"$(abs_top_srcdir)/tests/store/fixtures"'
tests_store_test_codec_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_store_test_codec_LDADD = $(BC_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += \
	tests/store/fixtures/identity-v1.bin \
	tests/store/fixtures/link-v1.bin \
	tests/store/fixtures/token-v1.bin \
	tests/store/fixtures/follow-v1.bin \
	tests/store/fixtures/subscription-v1.bin \
	tests/store/fixtures/relation-v1.bin \
	tests/store/fixtures/request-v1.bin \
	tests/store/fixtures/held-v1.bin \
	tests/store/fixtures/request-day-v1.bin \
	tests/store/fixtures/evidence-v1.bin \
	tests/store/fixtures/room-v1.bin \
	tests/store/fixtures/affiliation-v1.bin \
	tests/store/fixtures/archive-v1.bin \
	tests/store/fixtures/room-config-v1.bin \
	tests/store/fixtures/occupant-v1.bin \
	tests/store/fixtures/room-secret-v1.bin \
	tests/store/fixtures/report-v1.bin \
	tests/store/fixtures/report-resolved-v1.bin \
	tests/store/fixtures/report-id-v1.bin \
	tests/store/fixtures/sanction-v1.bin
