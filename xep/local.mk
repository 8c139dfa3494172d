# xep/: one file per XMPP extension, listed in xep/registry.c.
libbackchannel_a_SOURCES += \
	xep/xep.c \
	xep/registry.c \
	xep/disco.c \
	xep/version.c \
	xep/ping.c \
	xep/im.c \
	xep/register.c \
	xep/presence.c
noinst_HEADERS += xep/xep.h xep/ns.h xep/im.h xep/presence.h
