# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# quicsteer: `make` builds into build/, `make check` runs every test,
# `make bench` measures, `make deps` installs the Debian packages.

BUILD ?= build
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Iinclude -I$(BUILD)/gen \
	$(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Iinclude -Iuserspace -I$(BUILD)/skel
# The tests' helpers (packet builder, fixtures) are for tests and benchmarks only.
$(BUILD)/tests/%.o $(BUILD)/tools/bench/%.o: CFLAGS += -Itests/lib
LIBS_BPF := -lbpf -lelf -lz
LIBS_XDP := -lxdp
# util/hash.c: SipHash-2-4 under a per-process key for the tables keyed by
# what clients and backends choose (connection IDs, handles).
LIBS_SODIUM := -lsodium

# Debian packages needed to build, test and benchmark.
DEBS := clang llvm libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev zlib1g-dev \
	libmnl-dev libcriterion-dev libpcap-dev libjson-c-dev libssl-dev pkg-config \
	iproute2 ethtool linux-libc-dev gcc make jq uthash-dev libmicrohttpd-dev curl \
	libclang-rt-dev libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev \
	libgnutls28-dev ngtcp2-client ngtcp2-server openssl tcpdump libsodium-dev bird2

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))

# One archive per folder of userspace/ (docs/architecture.md). A program's
# link line names the archives it may use, and the allowed arrows are
# checked at every build ($(LAYOUT_OK) below):
#   util <- config <- router <- agent;  ids -> util;  libquicsteer <- ids, router, agent
# (router: the QUIC-LB codec, so that route explain decodes IDs as servers made them).
# Each archive's own system libraries follow it, so a link line lists what
# its archives need and nothing more.
folder_objs = $(patsubst %.c,$(BUILD)/%.o,$(wildcard userspace/$(1)/*.c))
UTIL_A := $(BUILD)/userspace/libqs-util.a
CONFIG_A := $(BUILD)/userspace/libqs-config.a
ROUTER_A := $(BUILD)/userspace/libqs-router.a
IDS_A := $(BUILD)/userspace/libqs-ids.a
AGENT_A := $(BUILD)/userspace/libqs-agent.a
UTIL_LIBS := $(LIBS_SODIUM) $(LIBS_BPF)
ROUTER_LIBS := $(LIBS_XDP) -ljson-c $(LIBS_BPF)
AGENT_LIBS := -lmicrohttpd -lmnl -ljson-c -lpthread
QSLIB_LIBS := -lcrypto -pthread
# What each archive links to, itself first, in link order.
UTIL_LINK := $(UTIL_A) $(UTIL_LIBS)
CONFIG_LINK := $(CONFIG_A) $(UTIL_LINK)
ROUTER_LINK := $(ROUTER_A) $(CONFIG_A) $(UTIL_A) $(BUILD)/libquicsteer.a $(ROUTER_LIBS) \
	$(QSLIB_LIBS)
IDS_LINK := $(IDS_A) $(BUILD)/libquicsteer.a $(UTIL_A) $(QSLIB_LIBS) $(UTIL_LIBS)
AGENT_LINK := $(AGENT_A) $(ROUTER_A) $(CONFIG_A) $(IDS_A) $(BUILD)/libquicsteer.a $(UTIL_A) \
	$(AGENT_LIBS) $(ROUTER_LIBS) $(QSLIB_LIBS) $(LIBS_SODIUM)
# Everything, for tests and benchmarks.
ALL_LINK := $(AGENT_LINK)
ARCHIVES := $(UTIL_A) $(CONFIG_A) $(ROUTER_A) $(IDS_A) $(AGENT_A)
# The CLI's objects but main.o, so that the unit tests may check the
# handlers it binds to the table of commands (userspace/router/commands.c).
# It needs what the CLI links: the router, config and util archives.
CLI_SRCS := $(wildcard tools/quicsteer/*.c)
CLI_A := $(BUILD)/tools/libqs-cli.a

$(UTIL_A): $(call folder_objs,util)
$(CONFIG_A): $(call folder_objs,config)
$(ROUTER_A): $(call folder_objs,router)
$(IDS_A): $(call folder_objs,ids)
# The agent's objects but main.o, so that tests may link its modules.
$(AGENT_A): $(filter-out %/main.o,$(call folder_objs,agent))
$(CLI_A): $(filter-out %/main.o,$(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS)))
$(ARCHIVES) $(CLI_A):
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

TESTLIB_SRCS := $(wildcard tests/lib/*.c)
TESTLIB := $(BUILD)/libqstest.a
UNIT_SRCS := $(wildcard tests/unit/*.c)
BPFTEST_SRCS := $(wildcard tests/bpf/*.c)
# tools/bench/: one folder per benchmark program. datapath/ is qs-bench
# (per-packet cost, with its own XDP programs: floor, trivial XDP_TX,
# generator, sink, probes, built like bpf/*.bpf.c but kept apart in
# bench-bpf/, never installed); agent/ is qs-bench-agent (the agent's report
# intake) and qs-bench-fill (fill_cids.c, a filler for control_run).
BENCH_AGENT_SRCS := $(wildcard tools/bench/agent/bench_agent*.c)
BENCH_FILL_SRCS := tools/bench/agent/fill_cids.c
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard tools/bench/datapath/*.c))
BENCH_BPF_SRCS := $(wildcard tools/bench/datapath/*.bpf.c)
BENCH_BPF_OBJS := $(patsubst tools/bench/datapath/%.bpf.c,$(BUILD)/bench-bpf/datapath/%.bpf.o,$(BENCH_BPF_SRCS))
BENCH_SKELS := $(patsubst tools/bench/datapath/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BENCH_BPF_SRCS))

# Small drivers for the namespace tests, one per tests/netns/probes/*.c.
NETNS_PROBES := $(patsubst tests/netns/probes/%.c,$(BUILD)/tests/%,$(wildcard tests/netns/probes/*.c))
# BPF programs the namespace testbeds load with tc or ip (never installed).
NETNS_BPF := $(patsubst tests/netns/bpf/%.bpf.c,$(BUILD)/tests/netns/%.bpf.o,$(wildcard tests/netns/bpf/*.bpf.c))
# but qs-backend-demo, which links libquicsteer the way a QUIC server does (below).
BACKEND_DEMO := $(BUILD)/tests/qs-backend-demo
NETNS_PROBES := $(filter-out $(BACKEND_DEMO),$(NETNS_PROBES))
UNIT_TESTS := $(BUILD)/tests/unit-tests
BPF_TESTS := $(BUILD)/tests/bpf-tests
BENCH := $(BUILD)/tools/qs-bench
BENCH_AGENT := $(BUILD)/tools/qs-bench-agent
BENCH_FILL := $(BUILD)/tools/qs-bench-fill
VSTATS := $(BUILD)/tools/qs-verifier-stats
AGENT := $(BUILD)/quicsteerd
FUZZ_REPORT := $(BUILD)/tests/fuzz_report

all: $(BPF_OBJS) $(SKELS) $(ARCHIVES) $(AGENT) $(UNIT_TESTS) $(BPF_TESTS) $(VSTATS) $(FUZZ_REPORT) $(NETNS_PROBES) $(NETNS_BPF) $(if $(BENCH_SRCS),$(BENCH)) \
	$(if $(BENCH_AGENT_SRCS),$(BENCH_AGENT)) $(BENCH_FILL)

AES_TABLES := $(BUILD)/gen/aes_tables.h
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(AES_TABLES)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# The data path's AES tables (bpf/aes.h), made on the host at build time.
$(BUILD)/gen/aes-tables: bpf/gen/aes_tables.c include/abi/aes.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $<
$(AES_TABLES): $(BUILD)/gen/aes-tables
	$(call msg,GEN,$@)
	$(Q)$< > $@.tmp && mv $@.tmp $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The allowed arrows, checked at every build: the includes of each folder
# (tests/layout/arrows), then each archive linked whole with only what its
# arrows allow, so that a call across a forbidden arrow is an undefined
# symbol here and not a habit that grows.
LAYOUT_OK := $(BUILD)/layout/ok
all: $(LAYOUT_OK)
# layout_link NAME WHOLE REST: every object of WHOLE, resolved from REST alone.
layout_link = $(CC) $(CFLAGS) -o $(BUILD)/layout/$(1) $(BUILD)/layout/main.o \
	-Wl,--whole-archive $(2) -Wl,--no-whole-archive $(3)
$(LAYOUT_OK): tests/layout/arrows $(ARCHIVES) $(BUILD)/libquicsteer.a \
		$(shell find bpf include userspace tools/quicsteer tools/h3server -name '*.[ch]')
	$(call msg,LAYOUT,arrows)
	$(Q)tests/layout/arrows
	$(Q)mkdir -p $(@D) && printf 'int main(void)\n{\n\treturn 0;\n}\n' | \
		$(CC) -x c -c -o $(BUILD)/layout/main.o -
	$(Q)$(call layout_link,util,$(UTIL_A),$(UTIL_LIBS))
	$(Q)$(call layout_link,config,$(CONFIG_A),$(UTIL_LINK))
	$(Q)$(call layout_link,ids,$(IDS_A),$(filter-out $(IDS_A),$(IDS_LINK)))
	$(Q)$(call layout_link,router,$(ROUTER_A),$(filter-out $(ROUTER_A),$(ROUTER_LINK)))
	$(Q)$(call layout_link,agent,$(AGENT_A),$(filter-out $(AGENT_A),$(AGENT_LINK)))
	$(Q)$(call layout_link,libquicsteer,$(BUILD)/libquicsteer.a,$(QSLIB_LIBS))
	$(Q)touch $@

# archives_of LINK: the archives among a link's words, as prerequisites.
archives_of = $(filter %.a,$(1))

$(TESTLIB): $(patsubst %.c,$(BUILD)/%.o,$(TESTLIB_SRCS))
	$(call msg,AR,$@)
	$(Q)ar rcs $@ $^

$(UNIT_TESTS): $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRCS)) $(CLI_A) $(call archives_of,$(ALL_LINK))
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(CLI_A) -lcriterion $(ALL_LINK)
# test_commands checks the CLI's handlers: it reads the CLI's header.
$(BUILD)/tests/unit/test_commands.o: CFLAGS += -Itools/quicsteer
# test_health drives health's checks and --watch's counting: the CLI's header too.
$(BUILD)/tests/unit/test_health.o: CFLAGS += -Itools/quicsteer
# test_colliding_ids reads tests/data/colliding-cids.txt (QS_TEST_DATA overrides).
$(BUILD)/tests/unit/test_colliding_ids.o: CFLAGS += -DQS_TEST_DATA_DIR='"$(CURDIR)/tests/data"'
# test_quiclb_codec reads tests/data/quic-lb-vectors.txt (QS_TEST_DATA overrides).
$(BUILD)/tests/unit/test_quiclb_codec.o: CFLAGS += -DQS_TEST_DATA_DIR='"$(CURDIR)/tests/data"'

$(BPF_TESTS): $(patsubst %.c,$(BUILD)/%.o,$(BPFTEST_SRCS)) $(TESTLIB) $(call archives_of,$(ALL_LINK))
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(TESTLIB) -lcriterion -lpcap $(ALL_LINK)

$(BENCH): $(patsubst %.c,$(BUILD)/%.o,$(BENCH_SRCS)) $(TESTLIB) $(call archives_of,$(ALL_LINK))
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(TESTLIB) $(ALL_LINK) -lm

$(BENCH_AGENT): $(patsubst %.c,$(BUILD)/%.o,$(BENCH_AGENT_SRCS)) $(call archives_of,$(ALL_LINK))
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(ALL_LINK) -lm

# It writes qs_cidtab as the agent does, through the router's cidtab.c.
$(BENCH_FILL): $(BUILD)/tools/bench/agent/fill_cids.o $(call archives_of,$(ROUTER_LINK))
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(ROUTER_LINK)

$(NETNS_BPF): $(BUILD)/tests/netns/%.bpf.o: tests/netns/bpf/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bench-bpf/datapath/%.bpf.o: tools/bench/datapath/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BENCH_SKELS): $(BUILD)/skel/%.skel.h: $(BUILD)/bench-bpf/datapath/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# Order-only: the skeletons are headers, not link inputs. The benchmark
# includes its own and the router's (quicsteer.skel.h: the fixture's maps,
# qs_events for the reader of bench_consumer.c).
$(patsubst %.c,$(BUILD)/%.o,$(BENCH_SRCS)): | $(SKELS) $(BENCH_SKELS)
$(BENCH): | $(BENCH_SKELS)

$(NETNS_PROBES): $(BUILD)/tests/%: $(BUILD)/tests/netns/probes/%.o $(TESTLIB) $(call archives_of,$(ALL_LINK))
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(TESTLIB) $(ALL_LINK)

# libquicsteer, what QUIC servers link (include/quicsteer/backend.h): the
# reporter, the report codec and the QUIC-LB ID codec (quiclb.h) only, no
# BPF and no agent, built
# position-independent into a static and a shared library.
QSLIB_SRCS := $(wildcard userspace/libquicsteer/*.c)
QSLIB_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(QSLIB_SRCS))
QSLIB_VERSION := 0.3.0
QSLIB_SONAME := libquicsteer.so.0
QSLIB_A := $(BUILD)/libquicsteer.a
QSLIB_SO := $(BUILD)/libquicsteer.so
QSLIB_PC := $(BUILD)/libquicsteer.pc
LIBDIR ?= $(PREFIX)/lib

all: $(QSLIB_A) $(QSLIB_SO) $(QSLIB_PC) $(BACKEND_DEMO)

$(BUILD)/pic/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(QSLIB_A): $(QSLIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# Exports only what userspace/libquicsteer/libquicsteer.map lists.
QSLIB_MAP := userspace/libquicsteer/libquicsteer.map
$(QSLIB_SO).$(QSLIB_VERSION): $(QSLIB_OBJS) $(QSLIB_MAP)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,$(QSLIB_SONAME) -Wl,--no-undefined \
		-Wl,--version-script=$(QSLIB_MAP) -o $@ $(QSLIB_OBJS) $(QSLIB_LIBS)

$(QSLIB_SO): $(QSLIB_SO).$(QSLIB_VERSION)
	$(Q)ln -sf $(notdir $<) $(BUILD)/$(QSLIB_SONAME) && ln -sf $(QSLIB_SONAME) $@

# Rewritten only when PREFIX or LIBDIR change what it says.
$(QSLIB_PC): FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$${prefix}/include' '' \
		'Name: libquicsteer' \
		'Description: QUIC servers report their connection IDs to quicsteer load balancers' \
		'Version: $(QSLIB_VERSION)' 'Requires.private: libcrypto' \
		'Libs: -L$${libdir} -lquicsteer' 'Libs.private: -pthread' \
		'Cflags: -I$${includedir}' >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@ && printf '  %-8s %s\n' GEN $@; fi

$(BACKEND_DEMO): $(BUILD)/tests/netns/probes/qs-backend-demo.o $(QSLIB_SO)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< -L$(BUILD) -lquicsteer -Wl,-rpath,$(abspath $(BUILD))

# qs-h3server, the reference HTTP/3 backend (docs/h3server.md): linked
# against the shared libquicsteer as a QUIC server would be. The build's
# copy finds the library in $(BUILD); `make install` links it again with
# the rpath $(LIBDIR) of the install, so PREFIX and LIBDIR may be given to
# install alone.
H3SERVER_SRCS := $(wildcard tools/h3server/*.c)
H3SERVER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(H3SERVER_SRCS))
H3SERVER := $(BUILD)/tools/qs-h3server
H3SERVER_PKGS := libngtcp2 libngtcp2_crypto_gnutls gnutls libnghttp3
all: $(H3SERVER)
$(H3SERVER_OBJS): CFLAGS += $(shell pkg-config --cflags $(H3SERVER_PKGS))
# It links libquicsteer and util only (the options table, the word parser,
# file I/O, the keyed hash of its ID tables). Of UTIL_LIBS only libsodium,
# for the hash: libbpf is for util's logging, which a QUIC server does not
# link, so nothing it takes from the archive needs it.
H3SERVER_LINK_OBJS := $(H3SERVER_OBJS) $(UTIL_A)
# h3server_link OUTPUT RPATH
h3server_link = $(CC) $(CFLAGS) -o $(1) $(H3SERVER_LINK_OBJS) -L$(BUILD) -lquicsteer \
	-Wl,-rpath,$(2) $(shell pkg-config --libs $(H3SERVER_PKGS)) $(LIBS_SODIUM)
$(H3SERVER): $(H3SERVER_LINK_OBJS) $(QSLIB_SO)
	$(call msg,LD,$@)
	$(Q)$(call h3server_link,$@,$(abspath $(BUILD)))
# The unit tests hold body.c's path rule (test_h3server_path.c) and
# quiclb.c's configurations (test_h3server_quiclb.c); the two call nothing
# of ngtcp2's or nghttp3's, only their headers, and no other file of the
# server's.
$(UNIT_TESTS): $(BUILD)/tools/h3server/body.o $(BUILD)/tools/h3server/quiclb.o
$(BUILD)/tests/unit/test_h3server_%.o: CFLAGS += -Itools/h3server \
	$(shell pkg-config --cflags $(H3SERVER_PKGS))

$(AGENT): $(BUILD)/userspace/agent/main.o $(call archives_of,$(AGENT_LINK))
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(AGENT_LINK)

$(VSTATS): $(BUILD)/tools/verifier-stats/verifier_stats.o $(call archives_of,$(UTIL_LINK))
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(UTIL_LINK)

# libFuzzer target (libclang-rt-dev): built from the sources with clang and
# the sanitizers, not from the gcc-built archive, so the codec is instrumented.
$(FUZZ_REPORT): tests/fuzz/fuzz_report.c userspace/libquicsteer/report.c include/quicsteer/report.h \
		include/quicsteer/types.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -std=gnu11 -Wall -Wextra -Werror -Iinclude \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(filter %.c,$^) -lcrypto

# The other libFuzzer targets (tests/fuzz/README.md). fuzz_config and
# fuzz_control build what they fuzz from source with the sanitizers, as
# fuzz_report does. fuzz_datapath instruments only its own harness: what it
# tests is the BPF program, which runs in the kernel, so it links the
# gcc-built archives and the test helpers like the BPF tests do.
FUZZ_CC = $(CLANG) -g -O1 -std=gnu11 -Wall -Wextra -Werror -Iinclude -Iuserspace \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CONFIG := $(BUILD)/tests/fuzz_config
FUZZ_CONTROL := $(BUILD)/tests/fuzz_control
FUZZ_DATAPATH := $(BUILD)/tests/fuzz_datapath
FUZZ_BINS := $(FUZZ_REPORT) $(FUZZ_CONFIG) $(FUZZ_CONTROL) $(FUZZ_DATAPATH)
CONFIG_SRCS := $(wildcard userspace/config/*.c) userspace/util/words.c
FUZZ_CONFIG_SRCS := tests/fuzz/config_roundtrip.c $(CONFIG_SRCS)
DATAPATH_FUZZ_SRCS := tests/fuzz/fuzz_datapath.c tests/fuzz/datapath_input.c \
	tests/fuzz/datapath_world.c tests/fuzz/datapath_mutator.c
# The data-path fuzzer's seeds: the packet builder's frames and the captures.
GEN_DATAPATH_SEEDS := $(BUILD)/tests/gen-datapath-seeds
DATAPATH_SEEDS := $(BUILD)/fuzz-seeds/datapath
CAPTURES := $(wildcard tests/data/captures/*.pcap)
# A stamp beside the directory, not in it: libFuzzer reads every file there.
DATAPATH_SEEDS_DONE := $(DATAPATH_SEEDS).done
all: $(FUZZ_CONFIG) $(FUZZ_CONTROL) $(FUZZ_DATAPATH) $(DATAPATH_SEEDS_DONE)

$(FUZZ_CONFIG): tests/fuzz/fuzz_config.c $(FUZZ_CONFIG_SRCS) $(wildcard userspace/config/*.h) \
		tests/fuzz/config_roundtrip.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) -o $@ $(filter %.c,$^)

$(FUZZ_CONTROL): tests/fuzz/fuzz_control.c $(FUZZ_CONFIG_SRCS) userspace/router/commands.c \
		userspace/router/tableargs.c $(wildcard userspace/config/*.h) \
		userspace/router/commands.h userspace/router/tableargs.h tests/fuzz/config_roundtrip.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) -o $@ $(filter %.c,$^)

$(FUZZ_DATAPATH): $(DATAPATH_FUZZ_SRCS) $(wildcard tests/fuzz/datapath_*.h) $(TESTLIB) \
		$(call archives_of,$(ROUTER_LINK))
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) -Itests/lib -o $@ $(DATAPATH_FUZZ_SRCS) $(TESTLIB) $(ROUTER_LINK) $(LIBS_SODIUM)

$(GEN_DATAPATH_SEEDS): $(BUILD)/tests/fuzz/gen_datapath_seeds.o $(BUILD)/tests/fuzz/datapath_input.o \
		$(BUILD)/tests/fuzz/datapath_world.o $(TESTLIB) $(call archives_of,$(ROUTER_LINK))
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(TESTLIB) $(ROUTER_LINK) $(LIBS_SODIUM) -lpcap

$(DATAPATH_SEEDS_DONE): $(GEN_DATAPATH_SEEDS) $(CAPTURES)
	$(call msg,SEEDS,$(DATAPATH_SEEDS))
	$(Q)rm -rf $(DATAPATH_SEEDS) && mkdir -p $(DATAPATH_SEEDS)
	$(Q)$(GEN_DATAPATH_SEEDS) $(DATAPATH_SEEDS) tests/data/captures >/dev/null
	$(Q)touch $@

# `make fuzz`: every target for FUZZ_TIME seconds on its corpus in
# build/fuzz-corpus/TARGET, which is kept from run to run (seeded from
# tests/fuzz/seeds/TARGET and, for the data path, the generated seeds).
FUZZ_TIME ?= 300
fuzz: $(FUZZ_BINS) $(DATAPATH_SEEDS_DONE)
	tests/fuzz/run campaign $(BUILD) $(FUZZ_TIME)

# Installs only what is missing; apt-get update only when something is.
deps:
	@missing=$$(for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

check: deps
	$(MAKE) all
	tests/run-all $(BUILD)

# A narrated show on the namespace testbed with real QUIC clients
# (tools/demo/run): downloads, a migration, a drain, a summary.
demo: deps
	$(MAKE) all
	tools/demo/run $(BUILD)

bench: deps
	$(MAKE) all
	tools/bench/run $(BUILD)

verifier-stats: $(BPF_OBJS) $(VSTATS)
	$(VSTATS) $(BPF_OBJS)

# Only when asked: the generator of tests/data/colliding-cids.txt, IDs
# that share one chain under uthash's fixed-seed hash (the file says how to
# run it again).
COLLIDING_CIDS := $(BUILD)/tests/gen-colliding-cids
colliding-cids: $(COLLIDING_CIDS)
# From its source alone: it needs abi.h and uthash.h, not the skeletons.
$(COLLIDING_CIDS): tests/data/gen-colliding-cids.c include/abi/abi.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $<

# quicsteer, the operator's command-line tool (docs/quicsteer.8).
CLI := $(BUILD)/quicsteer
all: $(CLI)
$(CLI): $(BUILD)/tools/quicsteer/main.o $(CLI_A) $(call archives_of,$(ROUTER_LINK))
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(CLI_A) $(ROUTER_LINK)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/quicsteer $(DESTDIR)$(PREFIX)/include/quicsteer \
		$(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/quicsteer/
	install -m 0644 include/quicsteer/*.h $(DESTDIR)$(PREFIX)/include/quicsteer/
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(AGENT) $(CLI) $(DESTDIR)$(PREFIX)/sbin/
	install -D -m 0644 tools/quicsteer/quicsteer.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/quicsteer
	for u in quicsteerd quicsteer-health; do \
		sed 's|/usr/local/sbin|$(PREFIX)/sbin|g' dist/$$u.service \
			> $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u.service || exit 1; \
	done
	$(if $(wildcard docs/*.8),install -m 0644 docs/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0644 $(QSLIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(QSLIB_SO).$(QSLIB_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libquicsteer.so.$(QSLIB_VERSION) $(DESTDIR)$(LIBDIR)/$(QSLIB_SONAME)
	ln -sf $(QSLIB_SONAME) $(DESTDIR)$(LIBDIR)/libquicsteer.so
	install -m 0644 $(QSLIB_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -d $(DESTDIR)$(PREFIX)/bin
	$(call h3server_link,$(DESTDIR)$(PREFIX)/bin/qs-h3server,$(LIBDIR))

clean:
	rm -rf $(BUILD)

.PHONY: all deps check demo bench verifier-stats colliding-cids install clean fuzz FORCE
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
