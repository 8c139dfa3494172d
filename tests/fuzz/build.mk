# tests/fuzz/build.mk - builds the libFuzzer harnesses with clang, apart
# from the normal build: its own objects of every library source under
# tests/fuzz/obj/, with -fsanitize=fuzzer-no-link,address,undefined.
# A GNU make file of its own (automake never reads it); "make fuzz" and
# "make fuzz-build" run it with these variables from the Makefile:
#   srcdir       the source tree
#   LIB_SOURCES  the library's sources, relative to srcdir
#   GEN_SOURCES  the library's generated sources, relative to the build dir
#   BC_CPPFLAGS  the preprocessor flags of the library (-I, -D)
#   DEP_CFLAGS   the dependencies' compiler flags (pkg-config)
#   DEP_LIBS     the dependencies' libraries
#   WARN_CFLAGS  the project's warnings
# FUZZ_CC (default clang) and FUZZ_CFLAGS may be set on the command line.

FUZZ_CC ?= clang
FUZZ_CFLAGS ?= -g -O1
SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
O = tests/fuzz/obj
# The project's warnings, not fatal here: -Werror is the gcc build's
# (clang warns about a few things gcc does not, such as { 0 } for a
# struct whose first member is an array).
CC_FLAGS = $(FUZZ_CFLAGS) $(SAN) $(filter-out -Werror,$(WARN_CFLAGS)) \
	-Wno-missing-field-initializers $(BC_CPPFLAGS) $(DEP_CFLAGS) \
	-pthread -MMD -MP

HARNESSES = fuzz_router_d fuzz_router_m fuzz_cfg fuzz_data fuzz_jid

LIB_OBJS = $(patsubst %.c,$(O)/src/%.o,$(filter %.c,$(LIB_SOURCES))) \
	$(patsubst %.c,$(O)/gen/%.o,$(filter %.c,$(GEN_SOURCES)))
COMMON = $(O)/src/tests/fuzz/fuzz.o

all: $(addprefix tests/fuzz/,$(HARNESSES))

# The library and the harness code: coverage for libFuzzer, no main().
$(O)/src/%.o: $(srcdir)/%.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC   $*.c"
	@$(FUZZ_CC) $(CC_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(O)/gen/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC   $*.c"
	@$(FUZZ_CC) $(CC_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(O)/src/tests/fuzz/fuzz_router_m.o: $(srcdir)/tests/fuzz/fuzz_router.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC   $< (rooms)"
	@$(FUZZ_CC) $(CC_FLAGS) -fsanitize=fuzzer-no-link -DFUZZ_ROOMS \
		-c -o $@ $<

$(O)/src/tests/fuzz/fuzz_router_d.o: $(srcdir)/tests/fuzz/fuzz_router.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC   $<"
	@$(FUZZ_CC) $(CC_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(O)/libbc.a: $(LIB_OBJS)
	@rm -f $@
	@echo "  AR       $@"
	@ar rcs $@ $(LIB_OBJS)

$(addprefix tests/fuzz/,$(HARNESSES)): tests/fuzz/%: $(O)/src/tests/fuzz/%.o \
		$(COMMON) $(O)/libbc.a
	@echo "  FUZZLD   $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(SAN) -fsanitize=fuzzer -pthread -o $@ \
		$< $(COMMON) $(O)/libbc.a $(DEP_LIBS)

.PHONY: all
.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
