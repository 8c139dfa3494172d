# store/: all Berkeley DB code, behind store/store.h.
libbackchannel_a_SOURCES += store/env.c store/codec.c
noinst_HEADERS += store/store.h store/store-int.h
EXTRA_DIST += store/valgrind-bdb.supp
