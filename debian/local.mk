# debian/: the Debian packaging ("dpkg-buildpackage -us -uc -b" in an
# unpacked distribution tarball); tests/ops/package-test.sh builds and
# installs it.
EXTRA_DIST += \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/rules \
	debian/source/format \
	debian/backchannel.postinst \
	debian/backchannel.postrm
