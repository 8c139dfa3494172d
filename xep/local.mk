# xep/: one file per XMPP extension, listed in xep/registry.c.
libbackchannel_a_SOURCES += \
	xep/xep.c \
	xep/registry.c \
	xep/disco.c \
	xep/version.c \
	xep/ping.c \
	xep/im.c \
	xep/register.c \
	xep/presence.c \
	xep/reports.c \
	xep/requests.c \
	xep/privilege.c \
	xep/adhoc.c \
	xep/bot.c \
	xep/provision.c \
	xep/blocking.c \
	xep/moderation.c \
	xep/muc/muc.c \
	xep/muc/room.c \
	xep/muc/join.c \
	xep/muc/message.c \
	xep/muc/admin.c \
	xep/muc/owner.c \
	xep/muc/mam.c \
	xep/muc/moderate.c \
	xep/muc/audio.c \
	xep/muc/shard.c
noinst_HEADERS += xep/xep.h xep/ns.h xep/presence.h xep/reports.h xep/requests.h xep/privilege.h xep/adhoc.h xep/moderation.h
noinst_HEADERS += xep/muc/muc.h xep/muc/muc-int.h
