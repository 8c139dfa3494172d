# tests/: cmocka unit tests (one binary per unit) and the end-to-end suites
# in tests/integration/.

# What every unit test links: the harness, the library, cmocka.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LDADD = tests/unit/libharness.a $(BC_LIBS) $(CMOCKA_LIBS)
UNIT_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'

check_LIBRARIES = tests/unit/libharness.a
tests_unit_libharness_a_SOURCES = tests/unit/harness.c tests/unit/harness.h tests/unit/muc-steps.h \
	tests/unit/fakeserver.c tests/unit/fakeserver.h
tests_unit_libharness_a_CFLAGS = $(UNIT_CFLAGS)

UNIT_TESTS = \
	tests/unit/test_router \
	tests/unit/test_im \
	tests/unit/test_requests \
	tests/unit/test_blocking \
	tests/unit/test_reports \
	tests/unit/test_moderation \
	tests/unit/test_muc \
	tests/unit/test_jid \
	tests/unit/test_cfg \
	tests/unit/test_conn \
	tests/unit/test_util \
	tests/unit/test_dispatch \
	tests/unit/test_outbox \
	tests/unit/test_mam \
	tests/unit/test_muc_mam \
	tests/unit/test_audio \
	tests/unit/test_shard \
	tests/unit/test_faults

check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

tests_unit_test_router_SOURCES = tests/unit/test_router.c
tests_unit_test_router_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_router_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_router_LDADD = $(UNIT_LDADD)

tests_unit_test_im_SOURCES = tests/unit/test_im.c
tests_unit_test_im_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_im_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_im_LDADD = $(UNIT_LDADD)

tests_unit_test_requests_SOURCES = tests/unit/test_requests.c
tests_unit_test_requests_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_requests_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_requests_LDADD = $(UNIT_LDADD)

tests_unit_test_blocking_SOURCES = tests/unit/test_blocking.c
tests_unit_test_blocking_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_blocking_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_blocking_LDADD = $(UNIT_LDADD)
tests_unit_test_reports_SOURCES = tests/unit/test_reports.c
tests_unit_test_reports_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_reports_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_reports_LDADD = $(UNIT_LDADD)

tests_unit_test_moderation_SOURCES = tests/unit/test_moderation.c
tests_unit_test_moderation_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_moderation_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_moderation_LDADD = $(UNIT_LDADD)

tests_unit_test_muc_SOURCES = tests/unit/test_muc.c
tests_unit_test_muc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_muc_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_muc_LDADD = $(UNIT_LDADD)

tests_unit_test_audio_SOURCES = tests/unit/test_audio.c
tests_unit_test_audio_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_audio_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_audio_LDADD = $(UNIT_LDADD)

tests_unit_test_shard_SOURCES = tests/unit/test_shard.c
tests_unit_test_shard_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_shard_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_shard_LDADD = $(UNIT_LDADD)

tests_unit_test_jid_SOURCES = tests/unit/test_jid.c
tests_unit_test_jid_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jid_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_jid_LDADD = $(UNIT_LDADD)

tests_unit_test_cfg_SOURCES = tests/unit/test_cfg.c
tests_unit_test_cfg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cfg_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_cfg_LDADD = $(UNIT_LDADD)

tests_unit_test_conn_SOURCES = tests/unit/test_conn.c
tests_unit_test_conn_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conn_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_conn_LDADD = $(UNIT_LDADD)

tests_unit_test_dispatch_SOURCES = tests/unit/test_dispatch.c
tests_unit_test_dispatch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dispatch_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_dispatch_LDADD = $(UNIT_LDADD)

tests_unit_test_outbox_SOURCES = tests/unit/test_outbox.c
tests_unit_test_outbox_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_outbox_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_outbox_LDADD = $(UNIT_LDADD)

tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_util_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_util_LDADD = $(UNIT_LDADD)

# The room core is stood in for by fakes of the muc_room_*() functions.
tests_unit_test_mam_SOURCES = tests/unit/test_mam.c
tests_unit_test_mam_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mam_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_mam_LDADD = $(UNIT_LDADD)
tests_unit_test_mam_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=muc_room_get -Wl,--wrap=muc_room_find \
	-Wl,--wrap=muc_room_name \
	-Wl,--wrap=muc_room_role -Wl,--wrap=muc_room_nick \
	-Wl,--wrap=muc_room_occupant_id \
	-Wl,--wrap=muc_room_may_read_archive \
	-Wl,--wrap=muc_room_broadcast \
	-Wl,--wrap=muc_room_shows_addresses

tests_unit_test_muc_mam_SOURCES = tests/unit/test_muc_mam.c
tests_unit_test_muc_mam_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_muc_mam_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_muc_mam_LDADD = $(UNIT_LDADD)

# Store calls made to fail (tests/unit/test_faults.c).
tests_unit_test_faults_SOURCES = tests/unit/test_faults.c
tests_unit_test_faults_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_faults_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_faults_LDADD = $(UNIT_LDADD)
tests_unit_test_faults_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=store_request_hold -Wl,--wrap=store_report_add \
	-Wl,--wrap=store_relation_set -Wl,--wrap=store_link_get \
	-Wl,--wrap=store_identity_remove_txn

EXTRA_DIST += tests/unit/data tests/unit/README.md

include tests/integration/local.mk
include tests/ops/local.mk
include tests/fuzz/local.mk
