// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The measured cases: which frames each one runs and how it undoes what
 * its runs wrote. bench_measure.c times them and checks their paths.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "quicsteer/quiclb.h"
#include "router/maps.h"
#include "util/words.h"
#include "probe.skel.h"
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

/* The same frames to the VIP of address-entry handshake of their family. */
static void spec_new_initial_handshake_vip(const struct bench_case *c, uint32_t i,
					   struct pb_spec *s)
{
	spec_new_initial(c, i, s);
	s->dst = c->family == 6 ? BENCH_VIP6_HANDSHAKE : BENCH_VIP4_HANDSHAKE;
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
 * Nothing to undo on a VIP of address-entry handshake, but a check that
 * there is nothing: no address entry of the frames' client and ports in
 * either table (-EEXIST). The count of entries over a round cannot see
 * entries that an earlier round (the warm-up's, say) wrote already.
 */
static int reset_none_written(struct bench *b, const struct bench_case *c, uint32_t first,
			      uint32_t n)
{
	struct qs_flow_key k;
	struct qs_flow f;
	int err;

	memset(&k, 0, sizeof(k));
	err = qs_parse_addr(c->family == 6 ? CLIENT6_B : CLIENT4_B, &k.addr, &k.family);
	if (err)
		return err;
	k.vip_id = c->family == 6 ? BENCH_VIP6_HANDSHAKE_ID : BENCH_VIP4_HANDSHAKE_ID;
	for (uint32_t i = first; i < first + n; i++) {
		k.port = htons(NEW_PORT_BASE + i);
		if (!bpf_map_lookup_elem(b->fx.flows_new, &k, &f) ||
		    !bpf_map_lookup_elem(b->fx.flows, &k, &f))
			return -EEXIST;
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
/*
 * new_initial's frames on a VIP of address-entry handshake: Maglev, and no
 * address entry, no record (route_handshake_hash), on bench.pin_cpu as
 * new_initial; over_new_initial is its median over new_initial's.
 */
#define NEW_INITIAL_HANDSHAKE_VIP(n, fam, new_initial)                                         \
	{ .name = n, .family = fam, .reason = QS_R_ROUTE_HANDSHAKE_HASH, .action = XDP_TX,    \
	  .nframes = 1024, .target = 3.0, .spec = spec_new_initial_handshake_vip,             \
	  .reset = reset_none_written, .pinned = true, .writes_nothing = true,                \
	  .over = new_initial, .over_key = "over_new_initial" }
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
	NEW_INITIAL_HANDSHAKE_VIP("ipv4_new_initial_handshake_vip", 4, "ipv4_new_initial"),
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
	NEW_INITIAL_HANDSHAKE_VIP("ipv6_new_initial_handshake_vip", 6, "ipv6_new_initial"),
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
	PROBE("probe_bucket_mmapable_cold", "probe_bucket_mmapable", 0, false, NULL),
	PROBE("probe_bucket_plain_cold", "probe_bucket_plain", 0, false, NULL),
	PROBE("probe_siphash13", "probe_siphash13", 1, false, NULL),
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
