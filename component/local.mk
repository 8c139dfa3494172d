# component/: the daemon core: configuration, logging, connections, the
# router and the component's shared state.
libbackchannel_a_SOURCES += \
	component/bc.c \
	component/clock.c \
	component/cfg.c \
	component/conn.c \
	component/daemon.c \
	component/identity.c \
	component/jid.c \
	component/limits.c \
	component/log.c \
	component/metrics.c \
	component/policy.c \
	component/ratelimit.c \
	component/relay.c \
	component/router.c \
	component/serial.c \
	component/strmap.c \
	component/xmalloc.c
noinst_HEADERS += \
	component/bc.h \
	component/clock.h \
	component/cfg.h \
	component/conn.h \
	component/daemon.h \
	component/identity.h \
	component/errors.h \
	component/jid.h \
	component/limits.h \
	component/log.h \
	component/metrics.h \
	component/policy.h \
	component/ratelimit.h \
	component/relay.h \
	component/router.h \
	component/serial.h \
	component/strmap.h \
	component/xmalloc.h

sbin_PROGRAMS += backchanneld
backchanneld_SOURCES = component/main.c
backchanneld_LDADD = $(BC_LIBS)
