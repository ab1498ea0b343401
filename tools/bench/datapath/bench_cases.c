// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The measured cases: which frames each one runs, how it undoes what its
 * runs wrote, and the timed loop. BPF_PROG_RUN with repeat > 1 would rerun
 * one buffer that the router has already encapsulated, so every run is a
 * separate repeat = 1 call and the kernel's own duration of each is summed.
 * A case whose runs are not all counted under its reason did not measure
 * what its name says: that is reported and makes the tool fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "quicsteer/quiclb.h"
#include "router/maps.h"
#include "util/words.h"
#include "probe.skel.h"
#include "quicsteer.skel.h"
#include "abi/quicver.h"

#define NEW_PORT_BASE 10000 /* new connections: client port NEW_PORT_BASE + i */
#define LEARN_CID_BASE 0x80000000u /* learned IDs: never in the filled table */
#define INITIAL_DCID_LEN 17 /* client-chosen (ngtcp2: 18); never the table's length, 8 */

static const char *client_of(int family)
{
	return family == 6 ? CLIENT6 : CLIENT4;
}

static uint32_t vip_id_of(int family)
{
	return family == 6 ? VIP6_ID : VIP4_ID;
}

/* A client-chosen Initial DCID: unique per i, never of the table's length. */
static void initial_dcid(uint32_t i, struct pb_spec *s)
{
	bench_cid_of(LEARN_CID_BASE + i, s->dcid);
	bench_cid_of(~i, s->dcid + WORLD_CID_LEN);
	s->dcid[2 * WORLD_CID_LEN] = i;
	s->dcid_len = INITIAL_DCID_LEN;
}

static void table_dcid(uint32_t k, struct pb_spec *s)
{
	bench_cid_of(k, s->dcid);
	s->dcid_len = WORLD_CID_LEN;
}

static void spec_not_vip(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	*s = world_short(c->family, client_of(c->family), CLIENT_PORT, "");
	s->dst = c->family == 6 ? BENCH_NOT_VIP6 : BENCH_NOT_VIP4;
	table_dcid(bench_cid_index(c->family, i), s);
}

/* Each frame a client port never seen: the reset removes its address entry. */
static void spec_new_initial(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	const char *client = c->family == 6 ? CLIENT6_B : CLIENT4_B;

	*s = world_initial(c->family, client, NEW_PORT_BASE + i, "");
	initial_dcid(i, s);
}

/* A second Initial (say a retransmission) from the client's known address. */
static void spec_known_flow(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	*s = world_initial(c->family, client_of(c->family), CLIENT_PORT, "");
	initial_dcid(i, s);
}

static void spec_cid_hit(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	*s = world_short(c->family, client_of(c->family), CLIENT_PORT, "");
	table_dcid(bench_cid_index(c->family, i), s);
}

/* Config 1 (0b001 in the top bits), the configured server ID, a fresh nonce. */
static void spec_quiclb(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	*s = world_short(c->family, client_of(c->family), CLIENT_PORT, "");
	s->dst = c->family == 6 ? BENCH_VIP6_QUICLB : BENCH_VIP4_QUICLB;
	bench_cid_of(LEARN_CID_BASE + i, s->dcid);
	s->dcid[0] = 1 << 5;
	s->dcid[1] = BENCH_QUICLB_SID >> 8;
	s->dcid[2] = BENCH_QUICLB_SID & 0xff;
	s->dcid_len = WORLD_CID_LEN;
}

/*
 * An encrypted configuration's ID of frame i: the server ID and a nonce of
 * i, made by libquicsteer's codec (one per configuration, kept).
 */
static void spec_quiclb_encrypted(const struct bench_case *c, uint32_t i, struct pb_spec *s,
				  unsigned int config_id)
{
	static struct qs_quiclb_codec *codecs[QS_QUICLB_CONFIGS];
	static const uint8_t sid[2] = { BENCH_QUICLB_SID >> 8, BENCH_QUICLB_SID & 0xff };
	unsigned int nonce_len = bench_quiclb_nonce_len(config_id);
	uint8_t nonce[2 * WORLD_CID_LEN];
	int len;

	spec_quiclb(c, i, s);
	if (!codecs[config_id]) {
		QS_QUICLB_PARAMS(p, .config_id = config_id,
				 .mode = nonce_len == 14 ? QS_QUICLB_CID_AES_SINGLE :
							   QS_QUICLB_CID_AES_FOUR_PASS,
				 .server_id_len = 2, .nonce_len = nonce_len,
				 /* the first octet says the length: frames are made again alike */
				 .flags = QS_QUICLB_F_LEN_SELF, .key = (const uint8_t *)BENCH_QUICLB_KEY);

		codecs[config_id] = qs_quiclb_codec_new(&p);
	}
	bench_cid_of(LEARN_CID_BASE + i, nonce);
	bench_cid_of(~i, nonce + WORLD_CID_LEN);
	/* a codec that could not be made leaves an ID that does not decode: the case's check says so */
	len = codecs[config_id] ? qs_quiclb_encode(codecs[config_id], sid, nonce, s->dcid) : -1;
	s->dcid_len = len > 0 ? len : WORLD_CID_LEN;
}

static void spec_quiclb_single(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	spec_quiclb_encrypted(c, i, s, BENCH_QUICLB_SINGLE);
}

static void spec_quiclb_four_7(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	spec_quiclb_encrypted(c, i, s, BENCH_QUICLB_FOUR_7);
}

static void spec_quiclb_four_12(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	spec_quiclb_encrypted(c, i, s, BENCH_QUICLB_FOUR_12);
}

static void spec_quiclb_four_18(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	spec_quiclb_encrypted(c, i, s, BENCH_QUICLB_FOUR_18);
}

/* The decoded IDs the runs cached: each frame is a first sight again. */
static int reset_quiclb_cache(struct bench *b, const struct bench_case *c, uint32_t first,
			      uint32_t n)
{
	struct qs_cid_key k;
	struct pb_spec s;
	int err;

	for (uint32_t i = first; i < first + n; i++) {
		c->spec(c, i, &s);
		/* ENOENT here means the run did not decode the ID to its server */
		err = qs_cid_key_make(&k, BENCH_VIP4_QUICLB_ID, s.dcid, s.dcid_len) ?:
		      (bpf_map_delete_elem(b->fx.quiclb_cache, &k) ? -errno : 0);
		if (err)
			return err;
	}
	return 0;
}

/* An ID the backend issued but nobody reported, from a known address. */
static void spec_learn(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	*s = world_short(c->family, client_of(c->family), BENCH_LEARN_PORT + i % BENCH_LEARN_PORTS,
			 "");
	table_dcid(LEARN_CID_BASE + i, s);
}

/* Diagnostics: a VIP datagram with no QUIC header, dropped right after the
 * VIP lookup: parsing, the VIP lookup and counting, nothing else.
 */
static void spec_vip_empty(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	*s = world_short(c->family, client_of(c->family), CLIENT_PORT, "");
	(void)i;
	s->quic = PB_QUIC_NONE;
	s->payload_len = 0;
}

/* Diagnostics: the main cases' packets from an address with no entry, so
 * flow_note_routed finds nothing to refresh.
 */
static void spec_cid_hit_no_flow(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	spec_cid_hit(c, i, s);
	s->src = c->family == 6 ? CLIENT6_B : CLIENT4_B;
}

static void spec_quiclb_no_flow(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	spec_quiclb(c, i, s);
	s->src = c->family == 6 ? CLIENT6_B : CLIENT4_B;
}

/* Diagnostics: the learning case's packets to a VIP that does not learn. */
static void spec_nolearn(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	spec_learn(c, i, s);
	s->dst = BENCH_VIP4_NOLEARN;
	s->sport = CLIENT_PORT; /* the one client it knows: no cap applies without learning */
}

/* Diagnostics: Version Negotiation from an unknown address is routed by
 * Maglev without recording anything: the Maglev pick alone.
 */
static void spec_version_neg(const struct bench_case *c, uint32_t i, struct pb_spec *s)
{
	const char *client = c->family == 6 ? CLIENT6_B : CLIENT4_B;

	*s = world_handshake(c->family, client, NEW_PORT_BASE + i, "");
	s->version = QS_QUIC_VN;
	initial_dcid(i, s);
}

static int reset_new_flows(struct bench *b, const struct bench_case *c, uint32_t first,
			   uint32_t n)
{
	struct qs_flow_key k;
	int err;

	memset(&k, 0, sizeof(k));
	err = qs_parse_addr(c->family == 6 ? CLIENT6_B : CLIENT4_B, &k.addr, &k.family);
	if (err)
		return err;
	k.vip_id = vip_id_of(c->family);
	for (uint32_t i = first; i < first + n; i++) {
		k.port = htons(NEW_PORT_BASE + i);
		/* ENOENT here means the run did not record a new connection (an
		 * Initial's entry goes to qs_flows_new) */
		if (bpf_map_delete_elem(b->fx.flows_new, &k))
			return -errno;
	}
	return 0;
}

/*
 * The IDs the runs learned (ENOENT: the run did not learn) and the
 * learning clients' counts of learned IDs.
 */
static int reset_learned(struct bench *b, const struct bench_case *c, uint32_t first,
			 uint32_t n)
{
	uint8_t cid[WORLD_CID_LEN];
	struct qs_cid_key k;
	int err;

	for (uint32_t i = first; i < first + n; i++) {
		bench_cid_of(LEARN_CID_BASE + i, cid);
		err = qs_cid_key_make(&k, vip_id_of(c->family), cid, sizeof(cid)) ?:
		      qs_cid_del(b->fx.learned, &k);
		if (err)
			return err;
	}
	return bench_learn_flows(b, c->family);
}

/* One row: the case's name, what it must be counted as, its frames, its
 * target and how it undoes what it writes.
 */
#define CASE(n, fam, why, act, frames, is_fresh, tgt, spec_fn, reset_fn)                        \
	{ .name = n, .family = fam, .reason = why, .action = act, .nframes = frames,          \
	  .fresh = is_fresh, .target = tgt, .spec = spec_fn, .reset = reset_fn }
/* A probe runs one of probe.bpf.c's programs on IPv4 short-header frames. */
#define PROBE(n, prog, frames, is_fresh, reset_fn)                                             \
	{ .name = n, .family = 4, .action = XDP_PASS, .nframes = frames, .fresh = is_fresh,   \
	  .spec = spec_cid_hit, .reset = reset_fn, .probe = prog }

/*
 * A new connection, every run emitting its record (the event budget is
 * given back each cycle), on bench.pin_cpu: without a reader (the ring is
 * drained between cycles) and with one running the agent's loop there
 * (ring, and stopped names the case without it).
 */
#define NEW_INITIAL(n, fam, ring, stopped_name)                                                 \
	{ .name = n, .family = fam, .reason = QS_R_ROUTE_NEW, .action = XDP_TX, .nframes = 1024, \
	  .target = 8.0, .spec = spec_new_initial, .reset = reset_new_flows,                   \
	  .every_run_emits = true, .pinned = true, .consumer = ring, .stopped = stopped_name }
/*
 * A never-seen ID from a known address, learned, every run emitting its
 * record (QS_EV_LEARNED_CID): the event budget is given back each cycle
 * of LEARN_CYCLE runs, which event_emit (bpf/stats.h) lets through whole.
 * Without it the first 4096 runs of a second emitted and the rest, most
 * of a round, were counted over the budget: a router learning IDs at the
 * benchmark's rate, not at a production one.
 */
#define LEARN_CYCLE 4096
_Static_assert(LEARN_CYCLE <= QS_EVENTS_PER_CPU_SEC, "a learning cycle fits the event budget");
#define FLOW_LEARN(n, fam)                                                                     \
	{ .name = n, .family = fam, .reason = QS_R_ROUTE_FLOW_LEARN, .action = XDP_TX,        \
	  .nframes = LEARN_CYCLE, .fresh = true, .spec = spec_learn, .reset = reset_learned,  \
	  .every_run_emits = true }
/* A ring-buffer probe with a reader of probe_ring_wake running as the agent's. */
#define PROBE_WAKE(n)                                                                          \
	{ .name = n, .family = 4, .action = XDP_PASS, .nframes = 1, .spec = spec_cid_hit,     \
	  .probe = n, .consumer = BENCH_RING_PROBE_WAKE, .pinned = true }

/* The IDs probe_cid_insert* wrote: the frames' DCIDs, VIP id 0. */
static int reset_probe_ids(struct bench *b, const struct bench_case *c, uint32_t first,
			   uint32_t n)
{
	struct bpf_map *map = strcmp(c->probe, "probe_cid_insert") ?
				      b->probe->maps.probe_ids_prealloc :
				      b->probe->maps.probe_ids;
	int fd = bpf_map__fd(map);
	uint8_t cid[WORLD_CID_LEN];
	struct qs_cid_key k;

	for (uint32_t i = first; i < first + n; i++) {
		bench_cid_of(bench_cid_index(c->family, i), cid);
		qs_cid_key_make(&k, 0, cid, sizeof(cid));
		if (bpf_map_delete_elem(fd, &k))
			return -errno;
	}
	return 0;
}

static int reset_probe_ring(struct bench *b, const struct bench_case *c, uint32_t first,
			    uint32_t n)
{
	int got = ring_buffer__consume(b->probe_ring);

	(void)c;
	(void)first;
	return got < 0 ? got : (uint32_t)got == n ? 0 : -ENOENT;
}

/*
 * nframes: the new-Initial case stays well under the fixture's 4096-entry
 * LRU address table, so no run pays for an eviction. The learning case
 * learns a never-seen ID on every run, and its entries are deleted only
 * after each batch, so that no deletion (whose memory is freed after an RCU
 * grace period) lands between its timed runs.
 */
static const struct bench_case main_cases[] = {
	CASE("ipv4_not_vip_pass", 4, QS_R_PASS_NOT_VIP, XDP_PASS, 1, false, 1.6, spec_not_vip,
	     NULL),
	NEW_INITIAL("ipv4_new_initial", 4, BENCH_RING_NONE, NULL),
	NEW_INITIAL("ipv4_new_initial_agent_running", 4, BENCH_RING_EVENTS, "ipv4_new_initial"),
	CASE("ipv4_initial_known_flow", 4, QS_R_ROUTE_FLOW, XDP_TX, 1024, false, 0,
	     spec_known_flow, NULL),
	CASE("ipv4_cid_hit_1m", 4, QS_R_ROUTE_CID, XDP_TX, 0, false, 3.0, spec_cid_hit, NULL),
	CASE("ipv4_quiclb_plaintext", 4, QS_R_ROUTE_QUICLB, XDP_TX, 256, false, 2.8, spec_quiclb,
	     NULL),
	CASE("ipv4_quiclb_single", 4, QS_R_ROUTE_QUICLB, XDP_TX, 256, false, 0, spec_quiclb_single,
	     reset_quiclb_cache),
	CASE("ipv4_quiclb_four_pass_7", 4, QS_R_ROUTE_QUICLB, XDP_TX, 256, false, 0,
	     spec_quiclb_four_7, reset_quiclb_cache),
	CASE("ipv4_quiclb_four_pass_12", 4, QS_R_ROUTE_QUICLB, XDP_TX, 256, false, 0,
	     spec_quiclb_four_12, reset_quiclb_cache),
	CASE("ipv4_quiclb_four_pass_18", 4, QS_R_ROUTE_QUICLB, XDP_TX, 256, false, 0,
	     spec_quiclb_four_18, reset_quiclb_cache),
	FLOW_LEARN("ipv4_flow_learn", 4),
	CASE("ipv6_not_vip_pass", 6, QS_R_PASS_NOT_VIP, XDP_PASS, 1, false, 1.6, spec_not_vip,
	     NULL),
	NEW_INITIAL("ipv6_new_initial", 6, BENCH_RING_NONE, NULL),
	NEW_INITIAL("ipv6_new_initial_agent_running", 6, BENCH_RING_EVENTS, "ipv6_new_initial"),
	CASE("ipv6_initial_known_flow", 6, QS_R_ROUTE_FLOW, XDP_TX, 1024, false, 0,
	     spec_known_flow, NULL),
	CASE("ipv6_cid_hit_1m", 6, QS_R_ROUTE_CID, XDP_TX, 0, false, 3.0, spec_cid_hit, NULL),
	CASE("ipv6_quiclb_plaintext", 6, QS_R_ROUTE_QUICLB, XDP_TX, 256, false, 2.8, spec_quiclb,
	     NULL),
	FLOW_LEARN("ipv6_flow_learn", 6),
};

/*
 * Variants of the main IPv4 cases whose differences split their cost:
 * same_id and 1k_ids look up one or 1024 IDs over and over (a cache-hot
 * table), no_flow skips the address-entry refresh, nolearn routes by address
 * without writing an ID, version_neg picks by Maglev without recording.
 */
static const struct bench_case diag_cases[] = {
	CASE("ipv4_vip_no_quic_header", 4, QS_R_DROP_TRUNCATED, XDP_DROP, 1, false, 0,
	     spec_vip_empty, NULL),
	CASE("ipv4_cid_hit_1m_same_id", 4, QS_R_ROUTE_CID, XDP_TX, 1, false, 0, spec_cid_hit,
	     NULL),
	CASE("ipv4_quiclb_single_cached", 4, QS_R_ROUTE_QUICLB, XDP_TX, 1, false, 0,
	     spec_quiclb_single, NULL),
	CASE("ipv4_quiclb_four_pass_18_cached", 4, QS_R_ROUTE_QUICLB, XDP_TX, 1, false, 0,
	     spec_quiclb_four_18, NULL),
	CASE("ipv4_cid_hit_1m_1k_ids", 4, QS_R_ROUTE_CID, XDP_TX, 1024, false, 0, spec_cid_hit,
	     NULL),
	CASE("ipv4_cid_hit_1m_no_flow", 4, QS_R_ROUTE_CID, XDP_TX, 0, false, 0,
	     spec_cid_hit_no_flow, NULL),
	CASE("ipv4_cid_hit_1m_same_id_no_flow", 4, QS_R_ROUTE_CID, XDP_TX, 1, false, 0,
	     spec_cid_hit_no_flow, NULL),
	CASE("ipv4_quiclb_no_flow", 4, QS_R_ROUTE_QUICLB, XDP_TX, 256, false, 0,
	     spec_quiclb_no_flow, NULL),
	CASE("ipv4_initial_known_flow_same_id", 4, QS_R_ROUTE_FLOW, XDP_TX, 1, false, 0,
	     spec_known_flow, NULL),
	CASE("ipv4_version_neg_maglev", 4, QS_R_ROUTE_VERSION, XDP_TX, 1024, false, 0,
	     spec_version_neg, NULL),
	CASE("ipv4_flow_nolearn", 4, QS_R_ROUTE_FLOW_NOLEARN, XDP_TX, 4096, true, 0, spec_nolearn,
	     NULL),
};

/* Helper and map costs on this machine, from the benchmark's own programs. */
static const struct bench_case probe_cases[] = {
	PROBE("probe_ktime_get_ns", "probe_ktime_get_ns", 1, false, NULL),
	PROBE("probe_ktime_get_coarse_ns", "probe_ktime_get_coarse_ns", 1, false, NULL),
	PROBE("probe_xdp_load_bytes_8", "probe_xdp_load_bytes", 1, false, NULL),
	PROBE("probe_cid_insert_new", "probe_cid_insert", 4096, true, reset_probe_ids),
	PROBE("probe_cid_insert_new_prealloc", "probe_cid_insert_prealloc", 4096, true,
	      reset_probe_ids),
	PROBE("probe_lru_update_4k", "probe_flow_update", 1024, false, NULL),
	PROBE("probe_ringbuf_event", "probe_ringbuf_event", 4096, false, reset_probe_ring),
	PROBE_WAKE("probe_ringbuf_event_default"),
	PROBE_WAKE("probe_ringbuf_event_no_wakeup"),
};

#define TABLE(t, c) { t, c, sizeof(c) / sizeof(c[0]) }
const struct case_table bench_main_cases = TABLE("cases", main_cases);
const struct case_table bench_diag_cases = TABLE("diagnostic variants", diag_cases);
const struct case_table bench_probe_cases = TABLE("probes (not the router)", probe_cases);
_Static_assert(sizeof(main_cases) / sizeof(main_cases[0]) <= BENCH_MAX_CASES, "main cases");
_Static_assert(sizeof(diag_cases) / sizeof(diag_cases[0]) <= BENCH_MAX_CASES, "diag cases");
_Static_assert(sizeof(probe_cases) / sizeof(probe_cases[0]) <= BENCH_MAX_CASES, "probe cases");

/* Frames of one case differ only in IDs and ports, so they share a length. */
int frameset_build(const struct bench_case *c, uint32_t runs, struct frameset *fs)
{
	static uint8_t frame[PB_MAX_FRAME];
	struct pb_spec s;
	size_t len;

	memset(fs, 0, sizeof(*fs));
	fs->n = c->nframes ? c->nframes : runs;
	for (uint32_t i = 0; i < fs->n; i++) {
		c->spec(c, i, &s);
		len = pb_build(&s, frame, sizeof(frame));
		if (!len || (i && len != fs->len)) {
			frameset_free(fs);
			return -EINVAL;
		}
		if (!i) {
			fs->len = len;
			fs->stride = (len + 63) & ~63u;
			fs->buf = malloc((size_t)fs->stride * fs->n);
			if (!fs->buf)
				return -ENOMEM;
		}
		memcpy(fs->buf + (size_t)i * fs->stride, frame, len);
	}
	return 0;
}

void frameset_free(struct frameset *fs)
{
	free(fs->buf);
	memset(fs, 0, sizeof(*fs));
}

struct batch {
	int prog;
	uint32_t action;
	const struct bench_case *state_case; /* NULL: the program writes no state */
	uint64_t ns_sum;
	uint64_t wall_sum; /* each call to BPF_PROG_RUN as its caller saw it */
	uint32_t wrong_action;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The frame of run j of a cycle: the set's, or a fresh case's next one. */
static int frame_of(const struct bench_case *c, struct frameset *fs, uint32_t j, bool fresh,
		    struct qs_prog_run *run)
{
	static uint8_t buf[PB_MAX_FRAME];
	struct pb_spec s;

	if (!fresh) {
		run->in = fs->buf + (size_t)j * fs->stride;
		run->in_len = fs->len;
		return 0;
	}
	c->spec(c, fs->next++, &s);
	run->in = buf;
	run->in_len = pb_build(&s, buf, sizeof(buf));
	return run->in_len ? 0 : -EINVAL;
}

/*
 * The agent reads the ring buffer; a full one would measure a lost event.
 * While a consumer thread reads it, the thread does, alone: two readers
 * would race on the ring's consumer position.
 */
static int drain_events(struct bench *b)
{
	int n = b->consumer_reads_events ? 0 : fx_poll_events(&b->fx);

	return n < 0 ? n : 0;
}

/*
 * After a cycle of frames: undo what a cycling case wrote, drain events,
 * and give back the event budget of a case whose every run must emit.
 */
static int cycle_end(struct bench *b, const struct bench_case *c, uint32_t n)
{
	int err = 0;

	if (!c)
		return 0;
	if (!c->fresh && c->reset && n)
		err = c->reset(b, c, 0, n);
	if (!err && c->every_run_emits)
		err = bench_budget_reset(b);
	return err ?: drain_events(b);
}

/* b->runs runs, each timed by the kernel alone, so resets cost nothing. */
static int batch_run(struct bench *b, struct frameset *fs, struct batch *bt)
{
	const struct bench_case *c = bt->state_case;
	bool fresh = c && c->fresh;
	uint32_t first = fs->next, j = 0;
	int err = 0;

	bt->ns_sum = 0;
	bt->wall_sum = 0;
	bt->wrong_action = 0;
	for (uint32_t i = 0; i < b->runs && !err; i++) {
		struct qs_prog_run run = { 0 };
		uint64_t t0;

		err = frame_of(c, fs, j, fresh, &run);
		if (err)
			break;
		t0 = now_ns();
		err = qs_prog_run(bt->prog, &run);
		bt->wall_sum += now_ns() - t0;
		if (err)
			break;
		bt->ns_sum += run.duration_ns;
		bt->wrong_action += run.action != bt->action;
		if (++j == fs->n) {
			err = cycle_end(b, c, j);
			j = 0;
		}
	}
	err = err ?: cycle_end(b, c, j);
	if (!err && fresh && c->reset)
		err = c->reset(b, c, first, fs->next - first);
	return err;
}

/* Verdict counters that must not move in any case. */
static const unsigned int aux_quiet[] = { QS_AUX_EVENTS_LOST, QS_AUX_LEARN_FAILED,
					  QS_AUX_FLOW_MARKED_AMBIGUOUS };
#define N_AUX_QUIET (sizeof(aux_quiet) / sizeof(aux_quiet[0]))

static int aux_read(struct bench *b, __u64 *v)
{
	int err = 0;

	for (unsigned int i = 0; i < N_AUX_QUIET && !err; i++)
		err = qs_counter_read_u64(b->fx.aux_stats, aux_quiet[i], &v[i]);
	return err;
}

static void path_check(struct bench *b, struct case_result *res, uint64_t counted,
		       const struct batch *bt, const __u64 *aux0)
{
	__u64 aux1[N_AUX_QUIET];

	if (counted != b->runs || bt->wrong_action)
		snprintf(res->why, sizeof(res->why), "reason counter got %llu want %u, %u runs "
			 "with another action", (unsigned long long)counted, b->runs,
			 bt->wrong_action);
	else if (aux_read(b, aux1))
		snprintf(res->why, sizeof(res->why), "cannot read %s", QS_MAP_AUX_STATS);
	else
		for (unsigned int i = 0; i < N_AUX_QUIET; i++)
			if (aux1[i] != aux0[i])
				snprintf(res->why, sizeof(res->why),
					 "aux counter %u moved by %llu", aux_quiet[i],
					 (unsigned long long)(aux1[i] - aux0[i]));
	if (res->why[0])
		res->wrong_path = true;
}

/*
 * Records: each run of a probe submits one (or returns another action);
 * each of the router's runs of a case that emits on every run emits one,
 * less those over the event budget (none: it is given back every cycle)
 * and those lost to a full ring (an aux counter that must not move). The
 * reader must have read every one of them, on the runs' CPU, or the case
 * measured a reader that had nothing to read.
 */
static void ring_check(struct bench *b, const struct bench_case *c, struct case_result *res,
		       uint64_t sampled, const struct consumer_counts *n)
{
	uint64_t emitted = b->runs - sampled;

	if (!c->every_run_emits && !c->consumer)
		return;
	res->emitted += emitted;
	res->sampled_out += sampled;
	res->consumer.records += n->records;
	res->consumer.wakeups += n->wakeups;
	res->consumer.timeouts += n->timeouts;
	res->consumer.off_cpu += n->off_cpu;
	if (res->why[0])
		return;
	if (c->every_run_emits && sampled)
		snprintf(res->why, sizeof(res->why), "%llu of %u runs over the event budget",
			 (unsigned long long)sampled, b->runs);
	else if (c->consumer && n->records != emitted)
		snprintf(res->why, sizeof(res->why), "the reader read %llu records, want %llu",
			 (unsigned long long)n->records, (unsigned long long)emitted);
	else if (c->consumer && n->off_cpu)
		snprintf(res->why, sizeof(res->why), "the reader ran %llu turns off CPU %d",
			 (unsigned long long)n->off_cpu, b->pin_cpu);
	if (res->why[0])
		res->wrong_path = true;
}

/* What a case runs beside its runs: its CPU, its ring's reader. */
struct case_env {
	struct bench_cpus *home; /* pinned: the affinity to go back to */
	struct bench_consumer *consumer;
	struct consumer_counts n; /* the reader's, once stopped */
};

static int env_pin(struct bench *b, const struct bench_case *c, struct case_env *env)
{
	if (!c->pinned && !c->consumer)
		return 0;
	env->home = bench_pin(b->pin_cpu);
	return env->home ? 0 : -errno;
}

/* After the floor's runs: the reader is there for the router's alone. */
static int env_consumer_start(struct bench *b, const struct bench_case *c, struct case_env *env)
{
	int fd = c->consumer == BENCH_RING_EVENTS ? bpf_map__fd(b->fx.skel->maps.qs_events) :
						    bpf_map__fd(b->probe->maps.probe_ring_wake);

	if (!c->consumer)
		return 0;
	env->consumer = consumer_start(fd, b->pin_cpu);
	if (!env->consumer)
		return -errno;
	b->consumer_reads_events = c->consumer == BENCH_RING_EVENTS;
	return 0;
}

/* The reader stopped and joined, the CPUs qs-bench had back: both, whatever failed. */
static int env_leave(struct bench *b, struct case_env *env)
{
	int err = 0, err_unpin = 0;

	if (env->consumer) {
		err = consumer_stop(env->consumer, &env->n);
		env->consumer = NULL;
		b->consumer_reads_events = false;
	}
	if (env->home) {
		err_unpin = bench_unpin(env->home);
		env->home = NULL;
	}
	return err ?: err_unpin;
}

/* What the router's runs of a round moved: their reason's counter, the event budget's. */
struct run_counts {
	uint64_t counted, sampled;
	__u64 aux0[N_AUX_QUIET];
};

static int router_batch(struct bench *b, const struct bench_case *c, struct frameset *fs,
			struct batch *rtr, struct run_counts *rc)
{
	__u64 sampled0, sampled1;
	uint64_t before;
	int err;

	err = (c->every_run_emits ? bench_budget_reset(b) : 0) ?: aux_read(b, rc->aux0) ?:
	      qs_counter_read_u64(b->fx.aux_stats, QS_AUX_EVENTS_SAMPLED_OUT, &sampled0);
	if (err)
		return err;
	before = fx_reason(&b->fx, c->reason);
	err = batch_run(b, fs, rtr);
	rc->counted = fx_reason(&b->fx, c->reason) - before;
	err = err ?: qs_counter_read_u64(b->fx.aux_stats, QS_AUX_EVENTS_SAMPLED_OUT, &sampled1);
	if (!err)
		rc->sampled = sampled1 - sampled0;
	return err;
}

/*
 * One round of a case: its floor on the same frames, then the router (or
 * a probe); a pinned case runs both on bench.pin_cpu, and a case with a
 * reader has it running there during the router's runs.
 */
int case_measure(struct bench *b, const struct bench_case *c, struct frameset *fs,
		 struct case_result *res, uint32_t round)
{
	struct batch floor = { .prog = b->floor_prog, .action = XDP_PASS };
	struct batch rtr = { .prog = b->fx.prog, .action = c->action, .state_case = c };
	struct case_env env = { 0 };
	struct run_counts rc = { 0 };
	int err, err_env;

	if (c->probe) {
		struct bpf_program *p = bpf_object__find_program_by_name(b->probe->obj, c->probe);

		if (!p)
			return -ESRCH;
		rtr.prog = bpf_program__fd(p);
	}
	err = env_pin(b, c, &env) ?: batch_run(b, fs, &floor) ?: env_consumer_start(b, c, &env) ?:
	      router_batch(b, c, fs, &rtr, &rc);
	err_env = env_leave(b, &env);
	if (err == -ENOENT) {
		/* A reset found nothing to undo: the runs did not write it. */
		res->wrong_path = true;
		snprintf(res->why, sizeof(res->why), "reset found no entry written by the runs");
		return err_env;
	}
	err = err ?: err_env;
	if (err)
		return err;
	res->floor_ns[round] = (double)floor.ns_sum / b->runs;
	res->floor_wall_ns[round] = (double)floor.wall_sum / b->runs;
	res->ns[round] = (double)rtr.ns_sum / b->runs;
	res->wall_ns[round] = (double)rtr.wall_sum / b->runs;
	/* Probes are not the router: only their action is checked. */
	path_check(b, res, c->probe ? b->runs : rc.counted, &rtr, rc.aux0);
	ring_check(b, c, res, rc.sampled, &env.n);
	return 0;
}
