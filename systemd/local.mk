# systemd/: the unit and its system user, and the example configuration
# installed as $(sysconfdir)/backchannel/backchannel.xml (never over a file
# that is there: it is the operator's).
systemdsystemunit_DATA = systemd/backchanneld.service
sysusers_DATA = systemd/sysusers.d/backchannel.conf
EXTRA_DIST += systemd/backchanneld.service.in systemd/sysusers.d/backchannel.conf
CLEANFILES += systemd/backchanneld.service

systemd/backchanneld.service: $(srcdir)/systemd/backchanneld.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    $(srcdir)/systemd/backchanneld.service.in > $@.tmp && mv $@.tmp $@

install-data-hook: install-example-config

bcconfdir = $(sysconfdir)/backchannel
install-example-config:
	$(MKDIR_P) $(DESTDIR)$(bcconfdir)
	@if test -f $(DESTDIR)$(bcconfdir)/backchannel.xml; then \
	  echo "keeping $(DESTDIR)$(bcconfdir)/backchannel.xml"; \
	else \
	  echo " $(INSTALL) -m 640 config/backchannel.xml $(DESTDIR)$(bcconfdir)/backchannel.xml"; \
	  $(INSTALL) -m 640 $(srcdir)/config/backchannel.xml \
	    $(DESTDIR)$(bcconfdir)/backchannel.xml; \
	fi

# The configuration stays on uninstall only if it was changed.
uninstall-local:
	@if test -f $(DESTDIR)$(bcconfdir)/backchannel.xml && \
	    cmp -s $(srcdir)/config/backchannel.xml $(DESTDIR)$(bcconfdir)/backchannel.xml; then \
	  echo " rm -f $(DESTDIR)$(bcconfdir)/backchannel.xml"; \
	  rm -f $(DESTDIR)$(bcconfdir)/backchannel.xml; \
	fi
	-rmdir $(DESTDIR)$(bcconfdir) 2>/dev/null

.PHONY: install-example-config
