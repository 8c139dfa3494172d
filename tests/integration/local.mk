# tests/integration/: end-to-end suites with pytest against real servers
# (a private Prosody and a private ejabberd on 127.0.0.1) and real clients.
# Each wrapper runs the whole suite against one server; see run-suite.sh.
# List every file of the suite in EXTRA_DIST: run-suite.sh fails otherwise.

TESTS += tests/integration/prosody.test tests/integration/ejabberd.test

EXTRA_DIST += \
	tests/integration/prosody.test \
	tests/integration/ejabberd.test \
	tests/integration/run-suite.sh \
	tests/integration/harness.py \
	tests/integration/conftest.py \
	tests/integration/test_foundation.py \
	tests/integration/test_relay.py \
	tests/integration/test_requests.py \
	tests/integration/test_durability.py \
	tests/integration/test_blocking.py \
	tests/integration/test_reports.py \
	tests/integration/test_moderation.py \
	tests/integration/test_daemon.py \
	tests/integration/test_operations.py \
	tests/integration/test_muc.py \
	tests/integration/test_muc_admin.py \
	tests/integration/test_muc_invite.py \
	tests/integration/test_muc_archive.py \
	tests/integration/test_audio.py \
	tests/integration/test_diskfull.py \
	tests/integration/test_soak.py \
	tests/integration/test_failover.py \
	tests/integration/test_shards.py \
	tests/integration/README.md
