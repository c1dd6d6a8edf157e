# Stateful SDK — the only build system. Sources are discovered by folder, so adding a
# module or a test needs no edit here:
#   mesos/*.c core/*/*.c (minus core/app)   -> libsdk.a (the core library)
#   core/app/*.c                            -> bin/scheduler
#   plugins/<name>/*.c                      -> plugins/<name>/<name>.so (only abi/ on the include path)
#   tests/unit/test_*.c                     -> one test binary each, linked with libsdk.a
#   tests/abi/fixture_*.c                   -> fixture plugins for the loader tests
#   tests/standins/*.c                      -> stand-in programs for tests (build/standins/<name>)
#   bench/*.c                               -> one benchmark binary each
# `make asan` builds the same tree with AddressSanitizer + UBSan into build-asan/ and runs the tests.

BUILD   ?= build
BIN     ?= bin
PREFIX  ?= /usr/local
CC      ?= cc
SAN     ?=
OPT     ?= -O2
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) $(SAN) -MMD -MP
CFLAGS  += $(CFLAGS_COMMON) -I. -I$(BUILD)/gen -fPIC
LDFLAGS += $(SAN)
LIBS    := -lprotobuf-c -lcurl -ljansson -lyaml -lmicrohttpd -lzookeeper_mt -lz -ldl -lpthread -lm
# Plugins live in the source tree (plugins/<name>/<name>.so) and are shared by the normal and the
# sanitizer builds, so they are always built without sanitizers and without dependency files.
PLUGIN_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 -Iabi -fPIC -fvisibility=hidden
PLUGIN_LDFLAGS := -shared

PROTOS   := $(wildcard mesos/proto/*.proto)
PB_C     := $(patsubst %.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PB_H     := $(PB_C:.c=.h)
LIB_SRC  := $(wildcard mesos/*.c) $(filter-out core/app/%,$(wildcard core/*/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(PB_C))
APP_SRC  := $(wildcard core/app/*.c)
APP_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(APP_SRC))
# core/app/version.o carries the git commit; the local cluster and sdkctl link it too.
VERSION_OBJ := $(BUILD)/obj/core/app/version.o
LOCAL_SRC := $(wildcard local/*.c)
CLI_SRC  := $(wildcard cli/*.c)
PLUGINS  := $(filter-out common,$(notdir $(wildcard plugins/*))) # plugins/common: shared headers
PLUGIN_SO := $(foreach p,$(PLUGINS),plugins/$(p)/$(p).so)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SUPPORT := $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))
TEST_SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT))
FIXTURE_SRC := $(wildcard tests/abi/fixture_*.c)
FIXTURE_SO := $(patsubst tests/abi/%.c,$(BUILD)/fixtures/%.so,$(FIXTURE_SRC))
STANDIN_SRC := $(wildcard tests/standins/*.c)
STANDIN_BIN := $(patsubst tests/standins/%.c,$(BUILD)/standins/%,$(STANDIN_SRC))
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
LIBSDK   := $(BUILD)/libsdk.a

.PHONY: all test asan check bench clean install deps new-plugin deb FORCE fuzz fuzz-check fuzz-build fuzz-bins fuzz-clang
.SECONDARY:

all: $(BIN)/scheduler $(if $(LOCAL_SRC),$(BIN)/localcluster) $(if $(CLI_SRC),$(BIN)/sdkctl) $(PLUGIN_SO)

deps:
	@bash scripts/install-deps.sh

# --- the web console: console/* compiled into libsdk.a (core/api/routes_console.c serves it) ----
# scripts/gen-console.c turns the files into C arrays with a gzip copy and an ETag each, so the
# scheduler needs nothing installed at run time. A host tool: built without the sanitizers.
CONSOLE_FILES := $(sort $(wildcard console/*.html console/*.js console/*.css console/*.svg))
LIB_OBJ += $(BUILD)/obj/gen/console_files.o
$(BUILD)/gen-console: scripts/gen-console.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -o $@ $< -lz
$(BUILD)/gen/console_files.c: $(BUILD)/gen-console $(CONSOLE_FILES)
	@mkdir -p $(dir $@)
	$(BUILD)/gen-console $@ $(CONSOLE_FILES)

# --- generated protobuf-c code ---------------------------------------------------------------
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=. --c_out=$(BUILD)/gen $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-unused-parameter -c $< -o $@

# The git commit of this checkout for --version. The header is rewritten only when the text
# changes, so a new commit recompiles version.o alone (and relinks the three programs). Outside a
# git checkout of this tree (a tarball, even one unpacked inside another repository) it is "unknown".
GIT_COMMIT_H := $(BUILD)/gen/sdk_git_commit.h
$(GIT_COMMIT_H): FORCE
	@mkdir -p $(dir $@)
	@c=unknown; \
	 if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$$(pwd -P)" ]; then \
	   c=$$(git describe --always --dirty 2>/dev/null || echo unknown); fi; \
	 printf '#define SDK_GIT_COMMIT "%s"\n' "$$c" > $@.tmp; \
	 if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(VERSION_OBJ): $(GIT_COMMIT_H)
FORCE:

# Every object may include generated headers.
$(BUILD)/obj/%.o: %.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBSDK): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Not linked with libcurl: it is loaded with dlopen while the scheduler starts (core/loop/curl_lib.h).
$(BIN)/scheduler: $(APP_OBJ) $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(filter-out -lcurl,$(LIBS))

$(BIN)/localcluster: $(patsubst %.c,$(BUILD)/obj/%.o,$(LOCAL_SRC)) $(VERSION_OBJ) $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/sdkctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC)) $(VERSION_OBJ) $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# --- plugins: built against abi/ only, exporting nothing but sdk_plugin_entry ----------------
define plugin_rule
plugins/$(1)/$(1).so: $(wildcard plugins/$(1)/*.c) $(wildcard plugins/$(1)/*.h) $(wildcard plugins/common/*.h) abi/sdk_plugin.h
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $$@ $(wildcard plugins/$(1)/*.c)
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rule,$(p))))

$(BUILD)/fixtures/%.so: tests/abi/%.c abi/sdk_plugin.h tests/abi/sdk_plugin_1_0.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(SAN) $(PLUGIN_LDFLAGS) $(SAN) -o $@ $<

# --- tests -----------------------------------------------------------------------------------
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJ) $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LIBS)

# Stand-ins: small programs that imitate software the tests cannot install (tests/standins/*.c).
$(BUILD)/standins/%: $(BUILD)/obj/tests/standins/%.o $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

test: all $(TEST_BIN) $(FIXTURE_SO) $(STANDIN_BIN)
	@BUILD=$(BUILD) BIN=$(BIN) bash scripts/run-tests.sh $(TEST_BIN)

# Everything CI runs: the suite, then the suite again under the sanitizers (one after the other,
# never side by side: the end-to-end tests measure time and share the machine).
check:
	$(MAKE) test
	$(MAKE) asan
	$(MAKE) fuzz-check

asan:
	$(MAKE) BUILD=build-asan BIN=build-asan/bin SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" OPT=-O1 test

# --- fuzzing (tests/fuzz/) ----------------------------------------------------------------------
# libFuzzer harnesses tests/fuzz/fuzz_<t>.c, built with clang (libFuzzer is clang's) against a
# clang build of the library with ASan + UBSan + coverage in build-fuzz/:
#   build-fuzz/fuzz/fuzz_<t>    the fuzzer (-fsanitize=fuzzer)
#   build-fuzz/fuzz/replay_<t>  the same harness with tests/fuzz/replay.c: runs given files once
# `make fuzz` fuzzes every target FUZZ_SECONDS (default 300) each, one after the other; `make
# fuzz-check` (the last part of `make check`) replays tests/fuzz/corpus/<t>/ and every crash
# reproducer in tests/fuzz/regressions/<t>/, then fuzzes each target FUZZ_CHECK_SECONDS (default
# 20) each; both print a "fuzz_<t>: N passed, N failed" line per target and the total.
# Without clang they fail (install it with scripts/install-deps.sh); they never skip.
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# clang (unlike gcc) warns where the scheduler sets deprecated proto fields on purpose
# (FrameworkInfo.role, for masters that predate roles).
FUZZ_WARN    := -Wno-deprecated-declarations
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 300
FUZZ_CHECK_SECONDS ?= 20

fuzz-clang:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzz: $(FUZZ_CC) not found: the fuzz harnesses need clang (bash scripts/install-deps.sh installs it)" >&2; exit 1; }

fuzz-build: fuzz-clang
	$(MAKE) BUILD=$(FUZZ_BUILD) BIN=$(FUZZ_BUILD)/bin CC=$(FUZZ_CC) OPT=-O1 \
	  SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link $(FUZZ_WARN)" fuzz-bins

# (run by fuzz-build, with BUILD=build-fuzz and clang)
fuzz-bins: $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz/fuzz_$(t) $(BUILD)/fuzz/replay_$(t))

$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

$(BUILD)/fuzz/replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Each target's run is a small executable (build-fuzz/check/fuzz_<t>, calling
# tests/fuzz/run-target.sh) so that scripts/run-tests.sh runs and adds them up like test binaries.
$(FUZZ_BUILD)/check/fuzz_%:
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec bash tests/fuzz/run-target.sh %s\n' '$*' > $@ && chmod +x $@

FUZZ_CHECK_BIN := $(foreach t,$(FUZZ_TARGETS),$(FUZZ_BUILD)/check/fuzz_$(t))

fuzz: fuzz-build $(FUZZ_CHECK_BIN)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) TEST_TIMEOUT=$$(($(FUZZ_SECONDS) + 600)) \
	  bash scripts/run-tests.sh $(FUZZ_CHECK_BIN)

fuzz-check: fuzz-build $(FUZZ_CHECK_BIN)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) TEST_TIMEOUT=$$(($(FUZZ_CHECK_SECONDS) + 300)) \
	  bash scripts/run-tests.sh $(FUZZ_CHECK_BIN)

# --- benchmarks ------------------------------------------------------------------------------
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The table of figures and targets (bench/report/report.c), not a benchmark itself.
$(BUILD)/bench-report: $(BUILD)/obj/bench/report/report.o $(LIBSDK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Every benchmark runs (a failed one does not stop the others); each appends what it measured
# to rows.jsonl, and the table of every figure with its target ends the output and goes to
# $(BUILD)/bench/results.json. Exit status 1 when a benchmark failed.
bench: all $(BENCH_BIN) $(BUILD)/bench-report
	@rm -f $(BUILD)/bench/rows.jsonl; fail=0; \
	for b in $(BENCH_BIN); do echo "== $$b"; SDK_BENCH_RESULTS=$(BUILD)/bench/rows.jsonl $$b || { echo "== $$b FAILED"; fail=1; }; done; \
	$(BUILD)/bench-report $(BUILD)/bench/rows.jsonl $(BUILD)/bench/results.json || fail=1; exit $$fail

# --- install, uninstall, man pages, Debian package (docs/operations.md "Installing") ----------
# make install PREFIX=/usr/local DESTDIR=   (DESTDIR stages into another root; PREFIX is where it
# runs from). The scheduler finds plugins relative to its own prefix, so a staged or moved tree
# works unchanged (core/plugin/resolve.h). `make uninstall` with the same variables removes
# exactly the files `make install` wrote (the list is computed here, not recorded).
VERSION    ?= 0.1.0
ABI_VERSION := $(shell awk '/define SDK_PLUGIN_ABI_MAJOR/{M=$$3} /define SDK_PLUGIN_ABI_MINOR/{m=$$3} END{print M"."m}' abi/sdk_plugin.h)
BINDIR     := $(PREFIX)/bin
PLUGINDIR  := $(PREFIX)/lib/stateful-sdk/plugins
INCDIR     := $(PREFIX)/include/stateful-sdk
PCDIR      := $(PREFIX)/share/pkgconfig
MANDIR     := $(PREFIX)/share/man
DOCDIR     := $(PREFIX)/share/doc/stateful-sdk
DATADIR    := $(PREFIX)/share/stateful-sdk
COMPDIR    := $(PREFIX)/share/bash-completion/completions
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL_BINS := scheduler $(if $(LOCAL_SRC),localcluster) $(if $(CLI_SRC),sdkctl)
MAN_SRC    := $(wildcard man/*.scd)
MAN_OUT    := $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRC))
DOCS       := README.md LICENSE NOTICE $(wildcard docs/*.md) $(wildcard docs/*.svg)
EXAMPLES   := $(wildcard examples/*/*)
COMPLETIONS := $(wildcard completions/*)

.PHONY: man uninstall deb docs-diagram

# Man pages: scdoc sources under man/ (scheduler.1.scd -> build/man/scheduler.1).
$(BUILD)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@
man: $(MAN_OUT)

# docs/architecture.svg from docs/architecture.dot (graphviz); the .svg is committed so that
# forges render docs/architecture.md without running anything.
docs-diagram: docs/architecture.svg
docs/architecture.svg: docs/architecture.dot
	dot -Tsvg $< | sed -e 's/[[:space:]]*$$//' > $@

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(COMPDIR) \
	  $(DESTDIR)$(UNITDIR) $(addprefix $(DESTDIR)$(DATADIR)/,$(sort $(dir $(EXAMPLES))))
	install -m 755 $(addprefix $(BIN)/,$(INSTALL_BINS)) $(DESTDIR)$(BINDIR)/
	install -m 644 $(PLUGIN_SO) $(DESTDIR)$(PLUGINDIR)/
	install -m 644 abi/sdk_plugin.h $(DESTDIR)$(INCDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(ABI_VERSION)|' abi/stateful-sdk.pc.in > $(DESTDIR)$(PCDIR)/stateful-sdk.pc
	install -m 644 $(filter %.1,$(MAN_OUT)) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(filter %.3,$(MAN_OUT)) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(foreach f,$(EXAMPLES),install -m 644 $(f) $(DESTDIR)$(DATADIR)/$(f) &&) true
	$(foreach f,$(COMPLETIONS),install -m 644 $(f) $(DESTDIR)$(COMPDIR)/$(notdir $(f)) &&) true
	sed -e 's|@BINDIR@|$(BINDIR)|' packaging/stateful-sdk@.service.in > $(DESTDIR)$(UNITDIR)/stateful-sdk@.service

# Removes what `make install` (same PREFIX, DESTDIR) wrote, then the directories it owns alone.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(INSTALL_BINS)) \
	  $(addprefix $(DESTDIR)$(PLUGINDIR)/,$(notdir $(PLUGIN_SO))) \
	  $(DESTDIR)$(INCDIR)/sdk_plugin.h $(DESTDIR)$(PCDIR)/stateful-sdk.pc \
	  $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(filter %.1,$(MAN_OUT)))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(filter %.3,$(MAN_OUT)))) \
	  $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS))) \
	  $(addprefix $(DESTDIR)$(DATADIR)/,$(EXAMPLES)) \
	  $(addprefix $(DESTDIR)$(COMPDIR)/,$(notdir $(COMPLETIONS))) \
	  $(DESTDIR)$(UNITDIR)/stateful-sdk@.service
	-rmdir $(addprefix $(DESTDIR)$(DATADIR)/,$(sort $(dir $(EXAMPLES)))) $(DESTDIR)$(DATADIR)/examples \
	  $(DESTDIR)$(DATADIR) $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(PREFIX)/lib/stateful-sdk \
	  $(DESTDIR)$(INCDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

# make deb: $(BUILD)/deb/stateful-sdk_$(VERSION)_ARCH.deb, built with dpkg-deb from a staged
# `make install PREFIX=/usr` (scripts/build-deb.sh adds the control file, dependencies from
# dpkg-shlibdeps, copyright, changelog, md5sums; strips and compresses as Debian policy asks).
deb: all man
	rm -rf $(BUILD)/deb/root
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/$(BUILD)/deb/root UNITDIR=/lib/systemd/system
	bash scripts/build-deb.sh $(BUILD)/deb/root $(VERSION) $(BUILD)/deb

# A new service plugin from templates/plugin/ (see docs/writing-a-plugin.md).
new-plugin:
	@test -n "$(NAME)" || { echo "usage: make new-plugin NAME=myservice [DIR=plugins/myservice]" >&2; exit 2; }
	@bash scripts/new-plugin.sh "$(NAME)" "$(if $(DIR),$(DIR),plugins/$(NAME))"

clean:
	rm -rf build build-asan build-fuzz bin $(PLUGIN_SO) $(PLUGIN_SO:.so=.d)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
