// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The router's packet table: each case is a frame built by the packet
 * builder, run through the real program with BPF_PROG_TEST_RUN in the
 * default world (world.h) plus its own set-up; the verdict, the exact output
 * bytes (outer headers rebuilt independently by expect.c) and the reason
 * counter are asserted. Every prefix of every case's frame must then get a
 * defined, counted verdict and never be forwarded.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC diagnostic ignored \
	"-Wmissing-field-initializers" /* the case table leaves trailing fields out */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "expect.h"
#include "router/maglev.h"
#include "router/maps.h"
#include "util/words.h"
#include "abi/quicver.h"
#include "router/reasons.h"
#include "world.h"
#include "util/clock.h"

enum out_kind {
	OUT_SAME, /* the input, unchanged */
	OUT_NONE, /* dropped: output not compared */
	OUT_ENCAP, /* encapsulated to the expected backend */
	OUT_L2, /* MAC rewrite only */
};

/* expected backend: a fixed id, or whatever Maglev gives the client */
#define BE_MAGLEV 0xfffffffe

struct dp_case {
	const char *name;
	struct pb_spec (*packet)(void);
	int (*setup)(struct fx *fx);
	int action;
	unsigned int reason;
	enum out_kind out;
	uint32_t backend;
	void (*check)(struct fx *fx, const struct dp_case *c, const struct pb_spec *s);
};

#define CID_A "a1a2a3a4a5a6a7a8" /* registered for BE_A (VIP4) */
#define CID_C "c1c2c3c4c5c6c7c8" /* registered for BE_C6 (VIP6) */
#define CID_LEARNED "b1b2b3b4b5b6b7b8" /* learned entry for BE_B */
#define CID_NEW "e1e2e3e4e5e6e7e8" /* in no table */
#define CID_OVERSIZED_CONFIG "a1b2c3d4e5f60718" /* top bits 0b101: config 5 */
#define CLIENT_DCID "0f0e0d0c0b0a09080706050403020100ff" /* 17 bytes a client chose */

static int set_cids(struct fx *fx)
{
	uint8_t a[8], c[8], l[8];
	int err = 0;

	pb_hex(CID_A, a, 8);
	pb_hex(CID_C, c, 8);
	pb_hex(CID_LEARNED, l, 8);
	err = err ?: fx_cid(fx, VIP4_ID, a, 8, BE_A, QS_CID_AUTHORITATIVE);
	err = err ?: fx_cid(fx, VIP6_ID, c, 8, BE_C6, QS_CID_AUTHORITATIVE);
	err = err ?: fx_cid(fx, VIP4_ID, l, 8, BE_B, QS_CID_LEARNED);
	return err;
}

/*
 * An address entry for CLIENT4/CLIENT6:CLIENT_PORT pointing at backend, as
 * the client's Initial with CLIENT_DCID opened it.
 */
static int set_flow(struct fx *fx, int family, uint32_t backend, uint32_t flags)
{
	struct qs_flow f = world_flow_opened(backend, CLIENT_DCID);

	f.flags = flags;
	/* a mark just made: it holds QS_FLOW_AMBIGUOUS_HOLD coarse seconds */
	if (flags & QS_FLOW_F_AMBIGUOUS)
		f.ambiguous_s = qs_now_coarse_ns() >> 30;

	return world_flow_put(fx, family, family == 6 ? CLIENT6 : CLIENT4, CLIENT_PORT, &f);
}

static int flow_get_port(struct fx *fx, int family, const char *client, uint16_t port,
			 struct qs_flow *f)
{
	return world_flow_get(fx, family, client, port, f);
}

static int flow_get(struct fx *fx, int family, const char *client, struct qs_flow *f)
{
	return flow_get_port(fx, family, client, CLIENT_PORT, f);
}

/* ---- packets ---- */

static struct pb_spec p_initial4(void)
{
	return world_initial(4, CLIENT4, CLIENT_PORT, CLIENT_DCID);
}

static struct pb_spec p_initial6(void)
{
	return world_initial(6, CLIENT6, CLIENT_PORT, CLIENT_DCID);
}

static struct pb_spec p_handshake4_cid(void)
{
	return world_handshake(4, CLIENT4, CLIENT_PORT, CID_A);
}

static struct pb_spec p_handshake6_cid(void)
{
	return world_handshake(6, CLIENT6, CLIENT_PORT, CID_C);
}

static struct pb_spec p_short4_cid(void)
{
	return world_short(4, CLIENT4, CLIENT_PORT, CID_A);
}

static struct pb_spec p_short6_cid(void)
{
	return world_short(6, CLIENT6, CLIENT_PORT, CID_C);
}

/* Migration: a known ID from an address and port never seen. */
static struct pb_spec p_short4_cid_migrated(void)
{
	return world_short(4, CLIENT4_B, 50000, CID_A);
}

static struct pb_spec p_short6_cid_migrated(void)
{
	return world_short(6, CLIENT6_B, 50000, CID_C);
}

static struct pb_spec p_short4_learned(void)
{
	return world_short(4, CLIENT4_B, 50001, CID_LEARNED);
}

static struct pb_spec p_handshake4_learned(void)
{
	return world_handshake(4, CLIENT4_B, 50001, CID_LEARNED);
}

/* An Initial whose DCID a short header of another connection got learned under. */
static struct pb_spec p_initial4_learned(void)
{
	return world_initial(4, CLIENT4_B, 50001, CID_LEARNED);
}

/* 1 + 19 bytes: shorter than any QUIC packet (RFC 9001 5.4.2). */
static struct pb_spec p_short4_too_short(void)
{
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, CID_A);

	s.payload_len = 20;
	return s;
}

static struct pb_spec p_short4_new(void)
{
	return world_short(4, CLIENT4, CLIENT_PORT, CID_NEW);
}

static struct pb_spec p_short6_new(void)
{
	return world_short(6, CLIENT6, CLIENT_PORT, CID_NEW);
}

static struct pb_spec p_handshake4_new(void)
{
	return world_handshake(4, CLIENT4, CLIENT_PORT, CID_NEW);
}

static struct pb_spec p_short4_fixed_bit_clear(void)
{
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, CID_A);

	s.first = 0x01;
	return s;
}

static struct pb_spec p_initial4_fixed_bit_clear(void)
{
	struct pb_spec s = p_initial4();

	s.clear_fixed_bit = 1;
	return s;
}

static struct pb_spec p_initial4_small(void)
{
	struct pb_spec s = p_initial4();

	s.payload_len = 1199;
	return s;
}

static struct pb_spec p_initial4_cid21(void)
{
	struct pb_spec s = world_initial(4, CLIENT4, CLIENT_PORT,
					 "000102030405060708090a0b0c0d0e0f1011121314");

	return s;
}

static struct pb_spec p_handshake4_scid21(void)
{
	struct pb_spec s = p_handshake4_cid();

	s.scid_len = 20;
	s.header_cut = 5; /* the header claims a 20-byte SCID; the datagram ends first */
	s.payload_len = 0;
	return s;
}

static struct pb_spec p_handshake4_scid_len21(void)
{
	struct pb_spec s = p_handshake4_cid();

	s.scid_len = 21;
	return s;
}

/* RFC 9369: in v2, type bits 0b10 are 0-RTT, which starts a connection. */
static struct pb_spec p_v2_0rtt(void)
{
	struct pb_spec s = world_handshake(4, CLIENT4, CLIENT_PORT, CLIENT_DCID);

	s.version = QS_QUIC_V2;
	s.type_bits = 2;
	return s;
}

/* ... and 0b11 is a Handshake: an unknown ID from an unknown address. */
static struct pb_spec p_v2_handshake(void)
{
	struct pb_spec s = world_handshake(4, CLIENT4, CLIENT_PORT, CID_NEW);

	s.version = QS_QUIC_V2;
	s.type_bits = 3;
	return s;
}

static struct pb_spec p_v2_initial(void)
{
	struct pb_spec s = p_initial4();

	s.version = QS_QUIC_V2;
	s.type_bits = 1;
	return s;
}

static struct pb_spec p_draft29_initial(void)
{
	struct pb_spec s = p_initial4();

	s.version = QS_QUIC_DRAFT29;
	return s;
}

static struct pb_spec p_draft29_handshake_cid(void)
{
	struct pb_spec s = p_handshake4_cid();

	s.version = QS_QUIC_DRAFT29;
	return s;
}

static struct pb_spec p_version_negotiation(void)
{
	struct pb_spec s = world_handshake(4, CLIENT4, CLIENT_PORT, CLIENT_DCID);

	s.version = QS_QUIC_VN;
	return s;
}

/* RFC 8999 allows other versions longer IDs: by address, not dropped. */
static struct pb_spec p_unknown_version_long_cid(void)
{
	struct pb_spec s = world_handshake(4, CLIENT4, CLIENT_PORT,
					   "000102030405060708090a0b0c0d0e0f101112131415161718");

	s.version = 0x1a2a3a4a;
	return s;
}

static struct pb_spec p_vlan1(void)
{
	struct pb_spec s = p_short4_cid();

	s.vlans = 1;
	s.vlan_ids[0] = 100;
	return s;
}

static struct pb_spec p_vlan2_initial6(void)
{
	struct pb_spec s = p_initial6();

	s.vlans = 2;
	s.vlan_ids[0] = 100;
	s.vlan_ids[1] = 200;
	return s;
}

static struct pb_spec p_ip4_options(void)
{
	struct pb_spec s = p_short4_cid();

	s.ip4_opt_len = 12;
	return s;
}

static struct pb_spec p_ip6_ext3(void)
{
	struct pb_spec s = p_short6_cid();

	s.ip6_ext = 3;
	return s;
}

static struct pb_spec p_tos(void)
{
	struct pb_spec s = p_short4_cid();

	s.tos = 0xb9; /* DSCP 46, ECT(1) */
	return s;
}

static struct pb_spec p_tclass6(void)
{
	struct pb_spec s = p_short6_cid();

	s.tos = 0x2a;
	return s;
}

static struct pb_spec p_tcp_to_vip(void)
{
	struct pb_spec s = p_short4_cid();

	s.l4proto = 6;
	s.quic = PB_QUIC_NONE;
	s.payload_len = 20;
	return s;
}

static struct pb_spec p_udp_other_port(void)
{
	struct pb_spec s = p_short4_cid();

	s.dport = 53;
	return s;
}

static struct pb_spec p_udp_other_addr6(void)
{
	struct pb_spec s = p_short6_cid();

	s.dst = "fd00::200";
	return s;
}

static struct pb_spec p_frag4_first(void)
{
	struct pb_spec s = p_short4_cid();

	s.fragment = 1;
	return s;
}

static struct pb_spec p_frag6_later(void)
{
	struct pb_spec s = p_short6_cid();

	s.fragment = 2;
	return s;
}

static struct pb_spec p_quiclb(void)
{
	/* config 1 (0b001 in the top bits), server ID 0x5a5b, nonce 5 bytes */
	return world_short(4, CLIENT4_B, 50002, "205a5b0102030405");
}

static struct pb_spec p_quiclb_unknown_sid(void)
{
	return world_short(4, CLIENT4, CLIENT_PORT, "20eeee0102030405");
}

static struct pb_spec p_quiclb_long_cid_hs(void)
{
	/* config 2: server ID 3 bytes + nonce 10 bytes = 14-byte CIDs */
	return world_handshake(4, CLIENT4_B, 50003, "41c0ffee0a0b0c0d0e0f10111213");
}

static struct pb_spec p_short4_ambiguous(void)
{
	return world_short(4, CLIENT4, CLIENT_PORT, CID_NEW);
}

/* ---- set-ups ---- */

static int s_cids(struct fx *fx)
{
	return set_cids(fx);
}

static int s_flow_b(struct fx *fx)
{
	return set_cids(fx) ?: set_flow(fx, 4, BE_B, 0);
}

static int s_flow6_d(struct fx *fx)
{
	return set_cids(fx) ?: set_flow(fx, 6, BE_D6, 0);
}

static int s_flow_ambiguous(struct fx *fx)
{
	return set_cids(fx) ?: set_flow(fx, 4, BE_B, QS_FLOW_F_AMBIGUOUS);
}

static int s_flow_drain(struct fx *fx)
{
	return set_cids(fx) ?: set_flow(fx, 4, BE_DRAIN, 0);
}

static int s_policy_hash(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .unknown_policy = QS_UNKNOWN_HASH,
			     .flags = QS_VIP_F_LEARN };

	return fx_vip(fx, VIP4, VIP_PORT, &v4);
}

/* address-entry handshake on both VIPs: new connections write nothing. */
static int s_entry_at_handshake(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .flags = QS_VIP_F_LEARN | QS_VIP_F_ENTRY_AT_HANDSHAKE };
	struct qs_vip v6 = v4;

	v6.vip_id = VIP6_ID;
	return set_cids(fx) ?: fx_vip(fx, VIP4, VIP_PORT, &v4) ?: fx_vip(fx, VIP6, VIP_PORT, &v6);
}

/* ... and the client's address has an entry (the agent wrote it at the handshake). */
static int s_entry_at_handshake_flow_b(struct fx *fx)
{
	return s_entry_at_handshake(fx) ?: set_flow(fx, 4, BE_B, 0);
}

static int s_learning_off(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID, .cid_len = WORLD_CID_LEN };

	return fx_vip(fx, VIP4, VIP_PORT, &v4) ?: set_flow(fx, 4, BE_B, 0);
}

static int s_l2(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .fwd_mode = QS_FWD_L2DSR,
			     .flags = QS_VIP_F_LEARN };

	return set_cids(fx) ?: fx_vip(fx, VIP4, VIP_PORT, &v4);
}

/*
 * Redirect to another device through qs_tx_ports: a veth made in a network
 * namespace of this test process's own (BPF_PROG_RUN's packets come in on
 * the loopback device).
 */
static int s_redirect(struct fx *fx)
{
	__u32 ifindex;

	if (unshare(CLONE_NEWNET) || system("ip link add qsrd0 type veth peer name qsrd1"))
		return -1;
	ifindex = if_nametoindex("qsrd0");
	if (!ifindex || bpf_map_update_elem(fx->tx_ports, &ifindex, &ifindex, BPF_ANY))
		return -1;
	return set_cids(fx) ?: fx_nexthop(fx, ifindex);
}

/* The egress is the device the packet came in on: XDP_TX, no devmap needed. */
static int s_egress_is_ingress(struct fx *fx)
{
	return set_cids(fx) ?: fx_nexthop(fx, 1);
}

static int s_redirect_missing_port(struct fx *fx)
{
	return set_cids(fx) ?: fx_nexthop(fx, 7);
}

static int s_frag(struct fx *fx, const char *addr, uint8_t policy)
{
	struct qs_vip v = { .vip_id = VIP4_ID, .frag_policy = policy };

	if (strchr(addr, ':'))
		v.vip_id = VIP6_ID;
	return set_cids(fx) ?: fx_vip(fx, addr, 0, &v);
}

static int s_frag4_drop(struct fx *fx)
{
	return s_frag(fx, VIP4, QS_FRAG_DROP);
}

static int s_frag4_pass(struct fx *fx)
{
	return s_frag(fx, VIP4, QS_FRAG_PASS);
}

static int s_frag6_hash(struct fx *fx)
{
	return s_frag(fx, VIP6, QS_FRAG_HASH);
}

static int s_quiclb(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .flags = QS_VIP_F_LEARN,
			     .quiclb_mask = (1 << 1) | (1 << 2) };
	struct qs_quiclb_config c1 = { .mode = QS_QUICLB_PLAINTEXT,
				       .server_id_len = 2,
				       .nonce_len = 5 };
	struct qs_quiclb_config c2 = { .mode = QS_QUICLB_PLAINTEXT,
				       .server_id_len = 3,
				       .nonce_len = 10 };
	struct qs_server_id_key k1 = {
		.vip_id = VIP4_ID, .config_id = 1, .sid_len = 2, .sid = { 0x5a, 0x5b }
	};
	struct qs_server_id_key k2 = {
		.vip_id = VIP4_ID, .config_id = 2, .sid_len = 3, .sid = { 0xc0, 0xff, 0xee }
	};

	return fx_vip(fx, VIP4, VIP_PORT, &v4)			   ?:
		       qs_quiclb_put(fx->quiclb, VIP4_ID, 1, &c1)  ?:
		       qs_quiclb_put(fx->quiclb, VIP4_ID, 2, &c2)  ?:
		       qs_server_id_put(fx->server_ids, &k1, BE_B) ?:
		       qs_server_id_put(fx->server_ids, &k2, BE_A) ?:
								     set_flow(fx, 4, BE_A, 0);
}

/* Config 5 would describe 34-byte IDs: ignored, the VIP's length applies. */
static int s_quiclb_oversized(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .flags = QS_VIP_F_LEARN,
			     .quiclb_mask = 1 << 5 };
	struct qs_quiclb_config c5 = { .mode = QS_QUICLB_PLAINTEXT,
				       .server_id_len = 15,
				       .nonce_len = 18 };
	uint8_t cid[8];

	pb_hex(CID_OVERSIZED_CONFIG, cid, 8);
	return fx_vip(fx, VIP4, VIP_PORT, &v4)			  ?:
		       qs_quiclb_put(fx->quiclb, VIP4_ID, 5, &c5) ?:
		       fx_cid(fx, VIP4_ID, cid, 8, BE_A, QS_CID_AUTHORITATIVE);
}

static struct pb_spec p_quiclb_oversized(void)
{
	return world_short(4, CLIENT4_B, 50004, CID_OVERSIZED_CONFIG);
}

/* A VIP whose Maglev row was never written: zeroed slots name no backend. */
static int s_row_never_written(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = 7, .cid_len = WORLD_CID_LEN, .flags = QS_VIP_F_LEARN };

	return fx_vip(fx, VIP4, VIP_PORT, &v4);
}

/* A VIP whose Maglev row is empty. */
static int s_no_backend(struct fx *fx)
{
	return fx_maglev_round_robin(fx, VIP4_ID, NULL, 0);
}

/* ---- extra checks ---- */

/* A new connection's entry: in qs_flows_new, until a reported ID vouches for it. */
static void c_flow_recorded(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	struct qs_flow f;

	cr_assert_neq(flow_get(fx, s->family, s->src, &f), 0, "%s: an established entry written",
		      c->name);
	cr_assert_eq(world_flow_get_new(fx, s->family, s->src, CLIENT_PORT, &f), 0,
		     "%s: no address entry written", c->name);
	cr_assert_eq(f.backend_id, world_maglev(s->family, s->src, s->sport),
		     "%s: address entry backend got %u want %u", c->name, f.backend_id,
		     world_maglev(s->family, s->src, s->sport));
	cr_assert_eq(f.flags, 0, "%s: flags got %u want 0", c->name, f.flags);
	cr_assert_eq(fx_poll_events(fx), 1, "%s: want one ring-buffer record", c->name);
	cr_assert_eq(fx->events[0].type, QS_EV_NEW_FLOW, "%s: event type got %u want %u", c->name,
		     fx->events[0].type, QS_EV_NEW_FLOW);
}

/* An ID hit remembers the address it came from. */
static void c_path_noted(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	uint16_t want = world_hash(s->family, s->src, s->sport);
	struct qs_cid_path p;
	struct qs_cid_key k;

	qs_cid_key_make(&k, s->family == 6 ? VIP6_ID : VIP4_ID, s->dcid, s->dcid_len);
	cr_assert_eq(qs_cidtab_path(&fx->cidtab, &k, &p), 0, "%s: entry gone", c->name);
	cr_assert_eq(p.hash, want, "%s: path hash got %04x want %04x", c->name, p.hash, want);
}

/* A connection routed by ID from a new address: the address follows it. */
static void c_flow_follows(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	struct qs_flow f;

	cr_assert_eq(flow_get_port(fx, s->family, s->src, s->sport, &f), 0,
		     "%s: no address entry for the new path", c->name);
	cr_assert_eq(f.backend_id, c->backend, "%s: address entry backend got %u want %u", c->name,
		     f.backend_id, c->backend);
	cr_assert_eq(f.flags, 0, "%s: flags got %u want 0", c->name, f.flags);
}

static void c_no_flow(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	struct qs_flow f;

	cr_assert_neq(flow_get_port(fx, s->family, s->src, s->sport, &f), 0,
		      "%s: address entry written", c->name);
	cr_assert_neq(world_flow_get_new(fx, s->family, s->src, s->sport, &f), 0,
		      "%s: address entry written in qs_flows_new", c->name);
}

/* Nothing recorded: no address entry in either table, no ring-buffer record. */
static void c_stateless(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	c_no_flow(fx, c, s);
	cr_assert_eq(fx_poll_events(fx), 0, "%s: want no ring-buffer record", c->name);
}

/* The address's entry is the one the set-up wrote, untouched. */
static void c_flow_b_kept(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	struct qs_flow f;

	cr_assert_eq(flow_get(fx, s->family, s->src, &f), 0, "%s: address entry gone", c->name);
	cr_assert_eq(f.backend_id, BE_B, "%s: entry's backend got %u want %u", c->name,
		     f.backend_id, BE_B);
	cr_assert_neq(world_flow_get_new(fx, s->family, s->src, s->sport, &f), 0,
		      "%s: address entry written in qs_flows_new", c->name);
	cr_assert_eq(fx_poll_events(fx), 0, "%s: want no ring-buffer record", c->name);
}

static void c_learned(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	struct qs_cid_entry e;
	struct qs_cid_key k;

	qs_cid_key_make(&k, s->family == 6 ? VIP6_ID : VIP4_ID, s->dcid, s->dcid_len);
	cr_assert_eq(qs_cid_get(fx->learned, &k, &e), 0, "%s: no learned entry", c->name);
	cr_assert_neq(qs_cid_get(fx->cids, &k, &e), 0, "%s: learned into the reported table",
		      c->name);
	qs_cid_get(fx->learned, &k, &e);
	cr_assert_eq(e.kind, QS_CID_LEARNED, "%s: kind got %u want learned", c->name, e.kind);
	cr_assert_eq(e.backend_id, c->backend, "%s: learned backend got %u want %u", c->name,
		     e.backend_id, c->backend);
	cr_assert_eq(fx_poll_events(fx), 1, "%s: want one ring-buffer record", c->name);
	cr_assert_eq(fx->events[0].type, QS_EV_LEARNED_CID, "%s: event type got %u", c->name,
		     fx->events[0].type);
	cr_assert_eq(fx->events[0].cid_len, s->dcid_len, "%s: event CID length", c->name);
	cr_assert_arr_eq(fx->events[0].cid, s->dcid, s->dcid_len, "%s: event CID", c->name);
	cr_assert_eq(fx->events[0].backend_id, c->backend, "%s: event backend", c->name);
}

static void c_not_learned(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	struct qs_cid_entry e;
	struct qs_cid_key k;

	qs_cid_key_make(&k, s->family == 6 ? VIP6_ID : VIP4_ID, s->dcid, s->dcid_len);
	cr_assert_neq(qs_cid_get(fx->cids, &k, &e), 0, "%s: entry learned", c->name);
	cr_assert_neq(qs_cid_get(fx->learned, &k, &e), 0, "%s: entry learned", c->name);
}

static void c_unknown_event(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	c_not_learned(fx, c, s);
	cr_assert_eq(fx_poll_events(fx), 1, "%s: want one ring-buffer record", c->name);
	cr_assert_eq(fx->events[0].type, QS_EV_UNKNOWN_CID, "%s: event type got %u", c->name,
		     fx->events[0].type);
}

static void c_ambiguous_marked(struct fx *fx, const struct dp_case *c, const struct pb_spec *s)
{
	struct qs_flow f;

	(void)s;
	cr_assert_eq(flow_get(fx, 4, CLIENT4, &f), 0, "%s: address entry gone", c->name);
	cr_assert(f.flags & QS_FLOW_F_AMBIGUOUS, "%s: flags got %u want ambiguous", c->name,
		  f.flags);
}

static const struct dp_case cases[] = {
	/* what is not for a VIP leaves untouched */
	{ "tcp to the VIP address", p_tcp_to_vip, NULL, XDP_PASS, QS_R_PASS_NOT_UDP, OUT_SAME },
	{ "udp to another port", p_udp_other_port, NULL, XDP_PASS, QS_R_PASS_NOT_VIP, OUT_SAME },
	{ "udp6 to another address", p_udp_other_addr6, NULL, XDP_PASS, QS_R_PASS_NOT_VIP,
	  OUT_SAME },
	/* new connections */
	{ "v4 new Initial", p_initial4, NULL, XDP_TX, QS_R_ROUTE_NEW, OUT_ENCAP, BE_MAGLEV,
	  c_flow_recorded },
	{ "v6 new Initial", p_initial6, NULL, XDP_TX, QS_R_ROUTE_NEW, OUT_ENCAP, BE_MAGLEV,
	  c_flow_recorded },
	{ "v4 Initial of a known address", p_initial4, s_flow_b, XDP_TX, QS_R_ROUTE_FLOW, OUT_ENCAP,
	  BE_B },
	{ "v6 Initial of a known address", p_initial6, s_flow6_d, XDP_TX, QS_R_ROUTE_FLOW,
	  OUT_ENCAP, BE_D6 },
	{ "v4 Initial, fixed bit clear", p_initial4_fixed_bit_clear, NULL, XDP_TX, QS_R_ROUTE_NEW,
	  OUT_ENCAP, BE_MAGLEV },
	{ "v4 Initial, empty Maglev row", p_initial4, s_no_backend, XDP_DROP, QS_R_DROP_NO_BACKEND,
	  OUT_NONE },
	{ "v4 Initial, Maglev row never written", p_initial4, s_row_never_written, XDP_DROP,
	  QS_R_DROP_NO_BACKEND, OUT_NONE, 0, c_no_flow },
	/* address-entry handshake: Maglev, nothing written */
	{ "v4 new Initial, address-entry handshake", p_initial4, s_entry_at_handshake, XDP_TX,
	  QS_R_ROUTE_HANDSHAKE_HASH, OUT_ENCAP, BE_MAGLEV, c_stateless },
	{ "v6 new Initial, address-entry handshake", p_initial6, s_entry_at_handshake, XDP_TX,
	  QS_R_ROUTE_HANDSHAKE_HASH, OUT_ENCAP, BE_MAGLEV, c_stateless },
	{ "v2 0-RTT, address-entry handshake", p_v2_0rtt, s_entry_at_handshake, XDP_TX,
	  QS_R_ROUTE_HANDSHAKE_HASH, OUT_ENCAP, BE_MAGLEV, c_stateless },
	{ "v4 Initial of a known address, address-entry handshake", p_initial4,
	  s_entry_at_handshake_flow_b, XDP_TX, QS_R_ROUTE_HANDSHAKE_HASH, OUT_ENCAP, BE_MAGLEV,
	  c_flow_b_kept },
	{ "v4 Handshake in the ID table, address-entry handshake", p_handshake4_cid,
	  s_entry_at_handshake, XDP_TX, QS_R_ROUTE_CID, OUT_ENCAP, BE_A },
	{ "v4 Handshake, unknown ID, address-entry handshake: as its Initial", p_handshake4_new,
	  s_entry_at_handshake, XDP_TX, QS_R_ROUTE_HANDSHAKE_HASH, OUT_ENCAP, BE_MAGLEV,
	  c_stateless },
	{ "v4 Handshake, learned ID, address-entry handshake: as its Initial", p_handshake4_learned,
	  s_entry_at_handshake, XDP_TX, QS_R_ROUTE_HANDSHAKE_HASH, OUT_ENCAP, BE_MAGLEV,
	  c_stateless },
	{ "v4 short header, learned ID, address-entry handshake", p_short4_learned,
	  s_entry_at_handshake, XDP_TX, QS_R_ROUTE_CID_LEARNED, OUT_ENCAP, BE_B },
	{ "v4 Handshake, unknown ID, known address, address-entry handshake", p_handshake4_new,
	  s_entry_at_handshake_flow_b, XDP_TX, QS_R_ROUTE_HANDSHAKE_HASH, OUT_ENCAP, BE_MAGLEV,
	  c_flow_b_kept },
	{ "v4 unknown ID, address entry from the handshake: learned", p_short4_new,
	  s_entry_at_handshake_flow_b, XDP_TX, QS_R_ROUTE_FLOW_LEARN, OUT_ENCAP, BE_B, c_learned },
	/* the ID table */
	{ "v4 Handshake in the ID table", p_handshake4_cid, s_cids, XDP_TX, QS_R_ROUTE_CID,
	  OUT_ENCAP, BE_A },
	{ "v6 Handshake in the ID table", p_handshake6_cid, s_cids, XDP_TX, QS_R_ROUTE_CID,
	  OUT_ENCAP, BE_C6 },
	{ "v4 short header in the ID table", p_short4_cid, s_cids, XDP_TX, QS_R_ROUTE_CID,
	  OUT_ENCAP, BE_A, c_path_noted },
	{ "v4 short header under 21 bytes", p_short4_too_short, s_cids, XDP_DROP,
	  QS_R_DROP_TRUNCATED, OUT_NONE },
	{ "v6 short header in the ID table", p_short6_cid, s_cids, XDP_TX, QS_R_ROUTE_CID,
	  OUT_ENCAP, BE_C6 },
	{ "v4 migration: known ID, new address", p_short4_cid_migrated, s_cids, XDP_TX,
	  QS_R_ROUTE_CID, OUT_ENCAP, BE_A, c_flow_follows },
	{ "v6 migration: known ID, new address", p_short6_cid_migrated, s_cids, XDP_TX,
	  QS_R_ROUTE_CID, OUT_ENCAP, BE_C6, c_flow_follows },
	{ "v4 learned entry", p_short4_learned, s_cids, XDP_TX, QS_R_ROUTE_CID_LEARNED, OUT_ENCAP,
	  BE_B },
	/* an Initial's DCID is the client's: learned IDs are not looked at (route_cid) */
	{ "v4 Initial whose DCID is a learned ID: a new connection", p_initial4_learned, s_cids,
	  XDP_TX, QS_R_ROUTE_NEW, OUT_ENCAP, BE_MAGLEV },
	{ "v4 short, fixed bit clear", p_short4_fixed_bit_clear, s_cids, XDP_TX, QS_R_ROUTE_CID,
	  OUT_ENCAP, BE_A },
	{ "v4 ID hit from an address of another backend", p_short4_cid, s_flow_b, XDP_TX,
	  QS_R_ROUTE_CID, OUT_ENCAP, BE_A, c_ambiguous_marked },
	/* the address table */
	{ "v4 unknown ID, known address: learned", p_short4_new, s_flow_b, XDP_TX,
	  QS_R_ROUTE_FLOW_LEARN, OUT_ENCAP, BE_B, c_learned },
	{ "v6 unknown ID, known address: learned", p_short6_new, s_flow6_d, XDP_TX,
	  QS_R_ROUTE_FLOW_LEARN, OUT_ENCAP, BE_D6, c_learned },
	{ "v4 Handshake, unknown ID, known address", p_handshake4_new, s_flow_b, XDP_TX,
	  QS_R_ROUTE_FLOW_LEARN, OUT_ENCAP, BE_B, c_learned },
	{ "v4 unknown ID, learning off", p_short4_new, s_learning_off, XDP_TX,
	  QS_R_ROUTE_FLOW_NOLEARN, OUT_ENCAP, BE_B, c_not_learned },
	{ "v4 unknown ID, ambiguous address", p_short4_ambiguous, s_flow_ambiguous, XDP_DROP,
	  QS_R_DROP_AMBIGUOUS, OUT_NONE, 0, c_not_learned },
	{ "v4 draining backend keeps its flow", p_short4_new, s_flow_drain, XDP_TX,
	  QS_R_ROUTE_FLOW_LEARN, OUT_ENCAP, BE_DRAIN },
	/* unknown ID from an unknown address */
	{ "v4 unknown ID, policy drop", p_short4_new, NULL, XDP_DROP, QS_R_DROP_UNKNOWN_CID,
	  OUT_NONE, 0, c_unknown_event },
	{ "v6 unknown ID, policy drop", p_short6_new, NULL, XDP_DROP, QS_R_DROP_UNKNOWN_CID,
	  OUT_NONE, 0, c_unknown_event },
	{ "v4 unknown ID, policy hash", p_short4_new, s_policy_hash, XDP_TX,
	  QS_R_ROUTE_UNKNOWN_HASH, OUT_ENCAP, BE_MAGLEV, c_no_flow },
	{ "v4 Handshake unknown ID, policy drop", p_handshake4_new, NULL, XDP_DROP,
	  QS_R_DROP_UNKNOWN_CID, OUT_NONE },
	/* QUIC-LB plaintext */
	{ "QUIC-LB plaintext hit", p_quiclb, s_quiclb, XDP_TX, QS_R_ROUTE_QUICLB, OUT_ENCAP, BE_B,
	  c_no_flow },
	{ "QUIC-LB 14-byte ID in a Handshake", p_quiclb_long_cid_hs, s_quiclb, XDP_TX,
	  QS_R_ROUTE_QUICLB, OUT_ENCAP, BE_A },
	{ "QUIC-LB unknown server ID falls through", p_quiclb_unknown_sid, s_quiclb, XDP_TX,
	  QS_R_ROUTE_FLOW_LEARN, OUT_ENCAP, BE_A },
	{ "QUIC-LB config over 20 bytes ignored", p_quiclb_oversized, s_quiclb_oversized, XDP_TX,
	  QS_R_ROUTE_CID, OUT_ENCAP, BE_A },
	/* versions and malformed QUIC */
	{ "v2 Initial", p_v2_initial, NULL, XDP_TX, QS_R_ROUTE_NEW, OUT_ENCAP, BE_MAGLEV },
	{ "v2 0-RTT is not a Handshake", p_v2_0rtt, NULL, XDP_TX, QS_R_ROUTE_NEW_0RTT, OUT_ENCAP,
	  BE_MAGLEV, c_no_flow },
	{ "v2 Handshake, unknown ID", p_v2_handshake, NULL, XDP_DROP, QS_R_DROP_UNKNOWN_CID,
	  OUT_NONE },
	{ "draft-29 Initial", p_draft29_initial, NULL, XDP_TX, QS_R_ROUTE_NEW, OUT_ENCAP,
	  BE_MAGLEV },
	{ "draft-29 Handshake in the ID table", p_draft29_handshake_cid, s_cids, XDP_TX,
	  QS_R_ROUTE_CID, OUT_ENCAP, BE_A },
	{ "Version Negotiation by address", p_version_negotiation, NULL, XDP_TX, QS_R_ROUTE_VERSION,
	  OUT_ENCAP, BE_MAGLEV, c_no_flow },
	{ "unknown version, 25-byte DCID", p_unknown_version_long_cid, s_flow_b, XDP_TX,
	  QS_R_ROUTE_VERSION, OUT_ENCAP, BE_B },
	{ "Initial under 1200 bytes", p_initial4_small, NULL, XDP_DROP, QS_R_DROP_SMALL_INITIAL,
	  OUT_NONE, 0, c_no_flow },
	{ "DCID length 21", p_initial4_cid21, NULL, XDP_DROP, QS_R_DROP_CID_TOO_LONG, OUT_NONE },
	{ "SCID length 21", p_handshake4_scid_len21, s_cids, XDP_DROP, QS_R_DROP_CID_TOO_LONG,
	  OUT_NONE },
	{ "SCID cut by the datagram end", p_handshake4_scid21, s_cids, XDP_DROP,
	  QS_R_DROP_TRUNCATED, OUT_NONE },
	/* headers */
	{ "one VLAN tag", p_vlan1, s_cids, XDP_TX, QS_R_ROUTE_CID, OUT_ENCAP, BE_A },
	{ "two VLAN tags, v6 Initial", p_vlan2_initial6, NULL, XDP_TX, QS_R_ROUTE_NEW, OUT_ENCAP,
	  BE_MAGLEV },
	{ "IPv4 options", p_ip4_options, s_cids, XDP_TX, QS_R_ROUTE_CID, OUT_ENCAP, BE_A },
	{ "IPv6 extension headers", p_ip6_ext3, s_cids, XDP_TX, QS_R_ROUTE_CID, OUT_ENCAP, BE_C6 },
	{ "IPv4 TOS carried", p_tos, s_cids, XDP_TX, QS_R_ROUTE_CID, OUT_ENCAP, BE_A },
	{ "IPv6 traffic class carried", p_tclass6, s_cids, XDP_TX, QS_R_ROUTE_CID, OUT_ENCAP,
	  BE_C6 },
	/* fragments */
	{ "v4 fragment, policy drop", p_frag4_first, s_frag4_drop, XDP_DROP, QS_R_FRAG_DROP,
	  OUT_NONE },
	{ "v4 fragment, policy pass", p_frag4_first, s_frag4_pass, XDP_PASS, QS_R_FRAG_PASS,
	  OUT_SAME },
	{ "v6 later fragment, policy hash", p_frag6_later, s_frag6_hash, XDP_TX, QS_R_FRAG_HASH,
	  OUT_ENCAP, BE_MAGLEV },
	{ "v4 fragment, no policy entry", p_frag4_first, s_cids, XDP_PASS, QS_R_PASS_NOT_VIP,
	  OUT_SAME },
	/* forwarding modes */
	{ "layer-2 DSR", p_short4_cid, s_l2, XDP_TX, QS_R_ROUTE_CID, OUT_L2, BE_A },
	{ "redirect to another device", p_short4_cid, s_redirect, XDP_REDIRECT, QS_R_ROUTE_CID,
	  OUT_ENCAP, BE_A },
	{ "egress is the ingress device", p_short4_cid, s_egress_is_ingress, XDP_TX, QS_R_ROUTE_CID,
	  OUT_ENCAP, BE_A },
	{ "redirect device missing", p_short4_cid, s_redirect_missing_port, XDP_DROP,
	  QS_R_DROP_NO_NEXTHOP, OUT_NONE },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/*
 * Criterion runs each parameter in a freshly executed process, so the
 * parameters are indices: pointers inside the table would not survive ASLR.
 */
ParameterizedTestParameters(datapath, table)
{
	static size_t indices[N_CASES];

	for (size_t i = 0; i < N_CASES; i++)
		indices[i] = i;
	return cr_make_param_array(size_t, indices, N_CASES);
}

static uint32_t expected_backend(const struct dp_case *c, const struct pb_spec *s)
{
	uint16_t port = s->fragment ? 0 : s->sport;

	if (c->backend != BE_MAGLEV)
		return c->backend;
	return world_maglev(s->family, s->src, port);
}

static void check_output(const struct dp_case *c, const struct pb_spec *s, const uint8_t *in,
			 size_t in_len, const uint8_t *out, size_t out_len)
{
	uint8_t want[PB_MAX_FRAME + 64];
	size_t want_len = 0;
	uint32_t be = expected_backend(c, s);
	struct expect_encap e = {
		.flow_hash = world_hash(s->family, s->src, s->fragment ? 0 : s->sport),
	};

	switch (c->out) {
	case OUT_NONE:
		return;
	case OUT_SAME:
		memcpy(want, in, in_len);
		want_len = in_len;
		break;
	case OUT_L2:
		want_len = expect_l2(in, in_len, want);
		break;
	case OUT_ENCAP:
		e.backend = world_backend_addr[be];
		e.backend_family = strchr(e.backend, ':') ? 6 : 4;
		want_len = expect_encap(in, in_len, s->vlans, &e, want);
		break;
	}
	cr_assert(out_len == want_len && !memcmp(out, want, want_len),
		  "%s: output bytes (backend %u): %s", c->name, be,
		  expect_diff(out, out_len, want, want_len));
}

ParameterizedTest(size_t *index, datapath, table)
{
	const struct dp_case *c = &cases[*index];
	uint8_t in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	struct pb_spec s = c->packet();
	size_t in_len = pb_build(&s, in, sizeof(in)), out_len = 0;
	struct fx fx;
	int action;

	cr_assert_gt(in_len, 0, "%s: packet does not build", c->name);
	cr_assert_eq(fx_open(&fx, 0), 0, "%s: router does not load (root needed)", c->name);
	cr_assert_eq(world_setup(&fx), 0, "%s: world set-up", c->name);
	if (c->setup)
		cr_assert_eq(c->setup(&fx), 0, "%s: case set-up", c->name);

	action = fx_run(&fx, in, in_len, out, &out_len);
	cr_assert_eq(action, c->action, "%s: action got %d want %d", c->name, action, c->action);
	cr_assert_eq(fx_reason(&fx, c->reason), 1, "%s: reason %s got %llu want 1", c->name,
		     qs_reason_name(c->reason), (unsigned long long)fx_reason(&fx, c->reason));
	check_output(c, &s, in, in_len, out, out_len);
	if (c->check)
		c->check(&fx, c, &s);
	fx_close(&fx);
}

static uint64_t reasons_total(struct fx *fx)
{
	uint64_t total = 0;

	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		total += fx_reason(fx, r);
	return total;
}

/*
 * Every prefix of every frame above (from the Ethernet header on) gets
 * exactly one counted verdict, and a cut frame is never forwarded.
 */
Test(datapath, every_prefix_counted)
{
	uint8_t in[PB_MAX_FRAME];
	struct fx fx;

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	cr_assert_eq(set_cids(&fx), 0);
	for (size_t i = 0; i < N_CASES; i++) {
		struct pb_spec s = cases[i].packet();
		size_t len = pb_build(&s, in, sizeof(in));

		for (size_t cut = 14; cut < len; cut++) {
			uint64_t before = reasons_total(&fx);
			int action = fx_run(&fx, in, cut, NULL, NULL);

			cr_assert(action == XDP_PASS || action == XDP_DROP,
				  "%s cut at %zu: action %d", cases[i].name, cut, action);
			cr_assert_eq(reasons_total(&fx), before + 1,
				     "%s cut at %zu: not counted exactly once", cases[i].name, cut);
		}
	}
	fx_close(&fx);
}

/* A client's retransmitted Initial reaches the backend its first one did. */
static void repeat_initial(int family, const char *client)
{
	struct pb_spec s = world_initial(family, client, CLIENT_PORT, CLIENT_DCID);
	uint8_t in[PB_MAX_FRAME], out1[PB_MAX_FRAME + 64], out2[PB_MAX_FRAME + 64];
	size_t len = pb_build(&s, in, sizeof(in)), len1 = 0, len2 = 0;
	struct fx fx;

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	cr_assert_eq(fx_run(&fx, in, len, out1, &len1), XDP_TX);
	cr_assert_eq(fx_run(&fx, in, len, out2, &len2), XDP_TX);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_NEW), 1, "first Initial: route_new got %llu want 1",
		     (unsigned long long)fx_reason(&fx, QS_R_ROUTE_NEW));
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_FLOW), 1,
		     "repeated Initial: route_flow got %llu want 1",
		     (unsigned long long)fx_reason(&fx, QS_R_ROUTE_FLOW));
	cr_assert(len1 == len2 && !memcmp(out1, out2, len1), "repeated Initial: %s",
		  expect_diff(out2, len2, out1, len1));
	fx_close(&fx);
}

Test(datapath, repeated_initial_v4)
{
	repeat_initial(4, CLIENT4);
}

Test(datapath, repeated_initial_v6)
{
	repeat_initial(6, CLIENT6);
}

/*
 * A row built by the real Maglev builder with a draining member: 500 new
 * connections never reach it, while a connection it already holds keeps
 * reaching it through the address table.
 */
Test(datapath, draining_backend_gets_no_new_connection)
{
	struct qs_maglev_member members[] = {
		{ .backend_id = BE_A, .weight = 1 },
		{ .backend_id = BE_B, .weight = 1 },
		{ .backend_id = BE_DRAIN, .weight = 0 },
	};
	static uint32_t row[QS_MAGLEV_SIZE];
	uint8_t in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	uint32_t per_backend[WORLD_BACKENDS] = { 0 };
	struct fx fx;

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	cr_assert_eq(qs_maglev_build(members, 3, row, QS_MAGLEV_SIZE), 0);
	cr_assert_eq(qs_maglev_write(fx.maglev, VIP4_ID, NULL, row, QS_MAGLEV_SIZE),
		     QS_MAGLEV_SIZE);
	cr_assert_eq(set_flow(&fx, 4, BE_DRAIN, 0), 0);
	for (uint16_t port = 1000; port < 1500; port++) {
		struct pb_spec s = world_initial(4, CLIENT4_B, port, CLIENT_DCID);
		size_t len = pb_build(&s, in, sizeof(in)), out_len = 0;
		struct in_addr dst;

		cr_assert_eq(fx_run(&fx, in, len, out, &out_len), XDP_TX, "port %u", port);
		memcpy(&dst, out + 14 + 16, 4);
		for (uint32_t id = BE_A; id < WORLD_BACKENDS; id++)
			if (!strcmp(inet_ntoa(dst), world_backend_addr[id]))
				per_backend[id]++;
	}
	cr_assert_eq(per_backend[BE_DRAIN], 0, "draining backend got %u new connections",
		     per_backend[BE_DRAIN]);
	cr_assert_eq(per_backend[BE_A] + per_backend[BE_B], 500, "routed got %u want 500",
		     per_backend[BE_A] + per_backend[BE_B]);
	cr_assert(per_backend[BE_A] > 200 && per_backend[BE_B] > 200,
		  "shares A %u B %u: want each above 200 of 500", per_backend[BE_A],
		  per_backend[BE_B]);

	struct pb_spec held = world_short(4, CLIENT4, CLIENT_PORT, CID_NEW);
	size_t len = pb_build(&held, in, sizeof(in)), out_len = 0;
	struct in_addr dst;

	cr_assert_eq(fx_run(&fx, in, len, out, &out_len), XDP_TX);
	memcpy(&dst, out + 14 + 16, 4);
	cr_assert_str_eq(inet_ntoa(dst), world_backend_addr[BE_DRAIN],
			 "held connection: got %s want the draining backend", inet_ntoa(dst));
	fx_close(&fx);
}
