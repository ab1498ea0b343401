// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Hostile inputs: each case is an attack, named for it, with its set-up
 * and the packets it sends through the real router (BPF_PROG_TEST_RUN) in
 * the default world (world.h). Every packet's action, counted reason and,
 * when forwarded, backend are asserted; then what the attack must have left
 * behind, or must not have (address entries, ring-buffer records).
 */
#include <string.h>
#pragma GCC diagnostic ignored \
	"-Wmissing-field-initializers" /* the case table leaves trailing fields out */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "abi/quicver.h"
#include "router/reasons.h"
#include "world.h"

/* expected backend: whatever Maglev gives the packet's client */
#define BE_MAGLEV 0xfffffffe
#define MAX_STEPS 4

struct step {
	struct pb_spec (*packet)(unsigned int i); /* i: 0 .. repeat - 1 */
	unsigned int repeat; /* 0: once */
	uint16_t ip_len; /* not 0: the IPv4 total length / IPv6 payload length, a lie */
	int action;
	unsigned int reason;
	uint32_t backend; /* where it is forwarded; QS_NO_BACKEND: nowhere */
	int (*before)(struct fx *fx); /* run once before the step's first packet */
};

struct attack {
	const char *name;
	int (*setup)(struct fx *fx);
	struct step steps[MAX_STEPS];
	void (*check)(struct fx *fx, const struct attack *a);
};

/* ---- packets ---- */

static struct pb_spec p_port0_initial4(unsigned int i)
{
	struct pb_spec s = world_initial(4, CLIENT4, CLIENT_PORT, "0102030405060708");

	(void)i;
	s.dport = 0;
	return s;
}

static struct pb_spec p_port0_initial6(unsigned int i)
{
	struct pb_spec s = world_initial(6, CLIENT6, CLIENT_PORT, "0102030405060708");

	(void)i;
	s.dport = 0;
	return s;
}

/* 0-RTT packets of 60 bytes from ever new client ports: no Initial in sight. */
#define FLOOD_PACKETS 200

static struct pb_spec p_small_0rtt4(unsigned int i)
{
	struct pb_spec s = world_handshake(4, CLIENT4, 20000 + i, "0102030405060708");

	s.type_bits = 1; /* v1 0-RTT */
	s.payload_len = 60;
	return s;
}

static struct pb_spec p_small_0rtt6_v2(unsigned int i)
{
	struct pb_spec s = world_handshake(6, CLIENT6, 20000 + i, "0102030405060708");

	s.version = QS_QUIC_V2;
	s.type_bits = 2; /* v2 0-RTT */
	s.payload_len = 60;
	return s;
}

/*
 * A short header of 60 bytes in the ID table (below), whole (0) or as a
 * first (1) or later (2) fragment: the steps give it a lying IP length.
 */
static struct pb_spec short_cid_a(int family, int fragment)
{
	struct pb_spec s = world_short(family, family == 6 ? CLIENT6 : CLIENT4, CLIENT_PORT,
				       "a1a2a3a4a5a6a7a8");

	s.fragment = fragment;
	return s;
}

static struct pb_spec p_frag4_first(unsigned int i)
{
	(void)i;
	return short_cid_a(4, 1);
}

static struct pb_spec p_frag6_later(unsigned int i)
{
	(void)i;
	return short_cid_a(6, 2);
}

static struct pb_spec p_short4(unsigned int i)
{
	(void)i;
	return short_cid_a(4, 0);
}

static struct pb_spec p_short6(unsigned int i)
{
	(void)i;
	return short_cid_a(6, 0);
}

/*
 * One client port, connection after connection. DCID_X opened the address
 * entry (with the world's SCID); SERVER_CID is the ID the server gave it
 * (not reported: stock servers report nothing), RETRY_CID a Retry's;
 * DCID_Y and SCID_Y are a later connection's, from the same port.
 */
#define DCID_X "5a5b5c5d5e5f50515253"
#define DCID_Y "6a6b6c6d6e6f60616263"
#define SCID_Y "d1d2d3d4d5d6d7d8"
#define SERVER_CID "7a7b7c7d7e7f70717273747576777879"
#define RETRY_CID "8a8b8c8d8e8f80818283848586878889"

static struct pb_spec p_initial_x(unsigned int i)
{
	(void)i;
	return world_initial(4, CLIENT4, CLIENT_PORT, DCID_X);
}

/* The client's Initials once the server's Initial came: its ID, same SCID. */
static struct pb_spec p_initial_server_cid(unsigned int i)
{
	(void)i;
	return world_initial(4, CLIENT4, CLIENT_PORT, SERVER_CID);
}

/* The client's Initial after a Retry (RFC 9000 17.2.5): the Retry's ID. */
static struct pb_spec p_initial_after_retry(unsigned int i)
{
	(void)i;
	return world_initial(4, CLIENT4, CLIENT_PORT, RETRY_CID);
}

static struct pb_spec p_initial_y(unsigned int i)
{
	struct pb_spec s = world_initial(4, CLIENT4, CLIENT_PORT, DCID_Y);

	(void)i;
	s.scid_len = pb_hex(SCID_Y, s.scid, sizeof(s.scid));
	return s;
}

static struct pb_spec p_0rtt_y(unsigned int i)
{
	struct pb_spec s = p_initial_y(i);

	s.type_bits = 1;
	s.payload_len = 60;
	return s;
}

/* A short header from the client port with an ID no table holds. */
static struct pb_spec p_short_unknown(unsigned int i)
{
	(void)i;
	return world_short(4, CLIENT4, CLIENT_PORT, "9a9b9c9d9e9f90919293949596979899");
}

/* Clients with an empty SCID are known by their first DCID alone. */
static struct pb_spec p_initial_x_no_scid(unsigned int i)
{
	struct pb_spec s = p_initial_x(i);

	s.scid_len = 0;
	return s;
}

static struct pb_spec p_initial_y_no_scid(unsigned int i)
{
	struct pb_spec s = p_initial_y(i);

	s.scid_len = 0;
	return s;
}

/* ---- set-ups ---- */

/* VIP4's address-wide entry (port 0), for fragments: hashed. */
static int s_frag_entry4(struct fx *fx)
{
	struct qs_vip v = { .vip_id = VIP4_ID, .frag_policy = QS_FRAG_HASH };

	return fx_vip(fx, VIP4, 0, &v);
}

static int s_frag_entry6(struct fx *fx)
{
	struct qs_vip v = { .vip_id = VIP6_ID, .frag_policy = QS_FRAG_HASH };

	return fx_vip(fx, VIP6, 0, &v);
}

static int s_cid_a(struct fx *fx)
{
	uint8_t a[8];

	pb_hex("a1a2a3a4a5a6a7a8", a, 8);
	return fx_cid(fx, VIP4_ID, a, 8, BE_A, QS_CID_AUTHORITATIVE) ?:
		       fx_cid(fx, VIP6_ID, a, 8, BE_C6, QS_CID_AUTHORITATIVE);
}

/* BE_A (VIP4) and BE_C6 (VIP6) hold a1..a8 and are marked down: heartbeats stopped. */
static int s_cid_a_down(struct fx *fx)
{
	return s_cid_a(fx)							       ?:
		       fx_backend(fx, BE_A, world_backend_addr[BE_A], QS_BACKEND_DOWN) ?:
		       fx_backend(fx, BE_C6, world_backend_addr[BE_C6], QS_BACKEND_DOWN);
}

/* ... and b1..b8 is an ID VIP4 learned for BE_A. */
static int s_learned_down(struct fx *fx)
{
	uint8_t b[8];

	pb_hex("b1b2b3b4b5b6b7b8", b, 8);
	return s_cid_a_down(fx) ?: fx_cid(fx, VIP4_ID, b, 8, BE_A, QS_CID_LEARNED);
}

static struct pb_spec p_short4_learned(unsigned int i)
{
	(void)i;
	return world_short(4, CLIENT4_B, 50001, "b1b2b3b4b5b6b7b8");
}

/* VIP4's Maglev row holds BE_A alone: every new client goes there. */
static int s_row_a(struct fx *fx)
{
	static const uint32_t a[] = { BE_A };

	return fx_maglev_round_robin(fx, VIP4_ID, a, 1);
}

/* BE_A drains: out of the row (BE_B's alone now), its connections kept. */
static int drain_a(struct fx *fx)
{
	static const uint32_t b[] = { BE_B };

	return fx_maglev_round_robin(fx, VIP4_ID, b, 1) ?:
		       fx_backend(fx, BE_A, world_backend_addr[BE_A], QS_BACKEND_DRAINING);
}

/* The client's port holds an entry for the draining BE_DRAIN, opened by DCID_X. */
static int s_opened_x_drain(struct fx *fx)
{
	struct qs_flow f = world_flow_opened(BE_DRAIN, DCID_X);

	return world_flow_put(fx, 4, CLIENT4, CLIENT_PORT, &f);
}

static int s_opened_x_no_scid_drain(struct fx *fx)
{
	struct qs_flow f = world_flow_opened(BE_DRAIN, DCID_X);

	f.scid_tag = 0;
	return world_flow_put(fx, 4, CLIENT4, CLIENT_PORT, &f);
}

/* ... opened by an ID-table hit (a migrated connection): no tags. */
static int s_opened_by_id_drain(struct fx *fx)
{
	struct qs_flow f = { .backend_id = BE_DRAIN };

	return world_flow_put(fx, 4, CLIENT4, CLIENT_PORT, &f);
}

/* ---- checks ---- */

/* The attack left no address entry and no ring-buffer record. */
static void c_no_state(struct fx *fx, const struct attack *a)
{
	int flows = (int)(fx_map_entries(fx->flows) + fx_map_entries(fx->flows_new)),
	    events = fx_poll_events(fx);

	cr_assert_eq(flows, 0, "%s: address entries got %d want 0", a->name, flows);
	cr_assert_eq(events, 0, "%s: ring-buffer records got %d want 0", a->name, events);
}

enum table { ESTABLISHED, NEW };

/* The client port's entry in table: for backend, opened by dcid_hex and scid_hex. */
static void flow_is(struct fx *fx, const struct attack *a, enum table t, uint32_t backend,
		    const char *dcid_hex, const char *scid_hex)
{
	struct qs_flow f;

	cr_assert_eq(t == NEW ? world_flow_get_new(fx, 4, CLIENT4, CLIENT_PORT, &f) :
				world_flow_get(fx, 4, CLIENT4, CLIENT_PORT, &f),
		     0, "%s: no address entry in %s", a->name,
		     t == NEW ? QS_MAP_FLOWS_NEW : QS_MAP_FLOWS);
	cr_assert_eq(f.backend_id, backend, "%s: entry backend got %u want %u", a->name,
		     f.backend_id, backend);
	cr_assert_eq(f.dcid_tag, world_cid_tag(dcid_hex), "%s: entry DCID tag got %08x want %08x",
		     a->name, f.dcid_tag, world_cid_tag(dcid_hex));
	cr_assert_eq(f.scid_tag, world_cid_tag(scid_hex), "%s: entry SCID tag got %08x want %08x",
		     a->name, f.scid_tag, world_cid_tag(scid_hex));
}

/*
 * The later connection's Initial wrote its own entry, and said so; the
 * established one of the earlier connection stays (the Initial may be
 * forged).
 */
static void c_replaced_by_y(struct fx *fx, const struct attack *a)
{
	int events = fx_poll_events(fx), new_flows = 0;

	flow_is(fx, a, NEW, world_maglev(4, CLIENT4, CLIENT_PORT), DCID_Y, SCID_Y);
	flow_is(fx, a, ESTABLISHED, BE_DRAIN, "", "");
	for (int i = 0; i < events; i++)
		new_flows += fx->events[i].type == QS_EV_NEW_FLOW;
	cr_assert_eq(new_flows, 1, "%s: new-connection records got %d want 1", a->name, new_flows);
}

static void c_drained_then_reused(struct fx *fx, const struct attack *a)
{
	int events = fx_poll_events(fx);

	flow_is(fx, a, NEW, BE_B, DCID_Y, SCID_Y);
	cr_assert_eq(events, 2, "%s: ring-buffer records got %d want 2 (two new connections)",
		     a->name, events);
}

static void c_replaced_by_y_no_scid(struct fx *fx, const struct attack *a)
{
	flow_is(fx, a, NEW, world_maglev(4, CLIENT4, CLIENT_PORT), DCID_Y, "");
	flow_is(fx, a, ESTABLISHED, BE_DRAIN, DCID_X, "");
}

/* The entry is still the first connection's. */
static void c_kept_x(struct fx *fx, const struct attack *a)
{
	flow_is(fx, a, ESTABLISHED, BE_DRAIN, DCID_X, WORLD_SCID);
	cr_assert_eq(fx_poll_events(fx), 0, "%s: a ring-buffer record", a->name);
}

static const struct attack attacks[] = {
	/*
	 * A client port reused by a new connection: it goes where any new
	 * connection goes, not after the old one (to a draining or removed
	 * backend), while the old connection's own Initials keep to its entry.
	 */
	{ "reused client port after a drain",
	  s_row_a,
	  { { p_initial_x, 0, 0, XDP_TX, QS_R_ROUTE_NEW, BE_A },
	    { p_initial_x, 0, 0, XDP_TX, QS_R_ROUTE_FLOW, BE_A, drain_a },
	    { p_initial_server_cid, 0, 0, XDP_TX, QS_R_ROUTE_FLOW, BE_A },
	    { p_initial_y, 0, 0, XDP_TX, QS_R_ROUTE_NEW_REUSED, BE_B } },
	  c_drained_then_reused },
	{ "client restarting its handshake after a Retry, backend draining",
	  s_opened_x_drain,
	  { { p_initial_after_retry, 0, 0, XDP_TX, QS_R_ROUTE_FLOW, BE_DRAIN } },
	  c_kept_x },
	{ "0-RTT of another connection from a known client port",
	  s_opened_x_drain,
	  { { p_0rtt_y, 0, 0, XDP_TX, QS_R_ROUTE_NEW_0RTT, BE_MAGLEV } },
	  c_kept_x },
	{ "reused client port, empty SCIDs",
	  s_opened_x_no_scid_drain,
	  { { p_initial_x_no_scid, 0, 0, XDP_TX, QS_R_ROUTE_FLOW, BE_DRAIN },
	    { p_initial_y_no_scid, 0, 0, XDP_TX, QS_R_ROUTE_NEW_REUSED, BE_MAGLEV } },
	  c_replaced_by_y_no_scid },
	/*
	 * The old connection's entry is established, the new one's is not:
	 * while they name different backends, the port's unknown IDs are
	 * routed by neither, and each connection's Initials keep to their own.
	 */
	{ "reused client port of a migrated connection",
	  s_opened_by_id_drain,
	  { { p_initial_y, 0, 0, XDP_TX, QS_R_ROUTE_NEW_REUSED, BE_MAGLEV },
	    { p_initial_y, 0, 0, XDP_TX, QS_R_ROUTE_FLOW, BE_MAGLEV },
	    { p_short_unknown, 0, 0, XDP_DROP, QS_R_DROP_AMBIGUOUS, QS_NO_BACKEND } },
	  c_replaced_by_y },
	/*
	 * A backend marked down (its reports stopped) may be alive with a
	 * broken report path: its connections' packets still reach it, and
	 * are counted apart so that the operator sees them.
	 */
	{ "connection IDs of a backend marked down",
	  s_cid_a_down,
	  { { p_short4, 0, 0, XDP_TX, QS_R_ROUTE_CID_DOWN, BE_A },
	    { p_short6, 0, 0, XDP_TX, QS_R_ROUTE_CID_DOWN, BE_C6 } } },
	{ "learned connection ID of a backend marked down",
	  s_learned_down,
	  { { p_short4_learned, 0, 0, XDP_TX, QS_R_ROUTE_CID_DOWN, BE_A } } },
	/*
	 * A lying IP length is never encapsulated: the outer header would carry
	 * it. The packets are 88 (IPv4) or 108 (IPv6) bytes of IP; 1400 runs past
	 * the frame, 12 (IPv4) and 4 (IPv6) are under the headers; 40 and 20 cut
	 * the 68-byte UDP datagram short.
	 */
	{ "fragment with an IPv4 total length beyond the frame",
	  s_frag_entry4,
	  { { p_frag4_first, 0, 1400, XDP_DROP, QS_R_DROP_MALFORMED_L3, QS_NO_BACKEND } } },
	{ "fragment with an IPv4 total length under its header",
	  s_frag_entry4,
	  { { p_frag4_first, 0, 12, XDP_DROP, QS_R_DROP_MALFORMED_L3, QS_NO_BACKEND } } },
	{ "fragment with an IPv6 payload length beyond the frame",
	  s_frag_entry6,
	  { { p_frag6_later, 0, 1400, XDP_DROP, QS_R_DROP_MALFORMED_L3, QS_NO_BACKEND } } },
	{ "fragment with an IPv6 payload length under its fragment header",
	  s_frag_entry6,
	  { { p_frag6_later, 0, 4, XDP_DROP, QS_R_DROP_MALFORMED_L3, QS_NO_BACKEND } } },
	{ "datagram with an IPv4 total length beyond the frame",
	  s_cid_a,
	  { { p_short4, 0, 1400, XDP_DROP, QS_R_DROP_MALFORMED_L3, QS_NO_BACKEND } } },
	{ "datagram with an IPv4 total length under its header",
	  s_cid_a,
	  { { p_short4, 0, 12, XDP_DROP, QS_R_DROP_MALFORMED_L3, QS_NO_BACKEND } } },
	{ "datagram with an IPv4 total length short of its UDP length",
	  s_cid_a,
	  { { p_short4, 0, 40, XDP_DROP, QS_R_DROP_TRUNCATED, QS_NO_BACKEND } } },
	{ "datagram with an IPv6 payload length short of its UDP length",
	  s_cid_a,
	  { { p_short6, 0, 20, XDP_DROP, QS_R_DROP_TRUNCATED, QS_NO_BACKEND } } },
	/* 0-RTT may come in datagrams of any size (only Initials are held to
	 * 1200 bytes): it is routed like its Initial, and creates nothing */
	{ "flood of small 0-RTT packets from many ports",
	  NULL,
	  { { p_small_0rtt4, FLOOD_PACKETS, 0, XDP_TX, QS_R_ROUTE_NEW_0RTT, BE_MAGLEV } },
	  c_no_state },
	{ "flood of small v2 0-RTT packets from many ports, IPv6",
	  NULL,
	  { { p_small_0rtt6_v2, FLOOD_PACKETS, 0, XDP_TX, QS_R_ROUTE_NEW_0RTT, BE_MAGLEV } },
	  c_no_state },
	/* port 0 is the address-wide entry for fragments, never a service */
	{ "udp port 0 to a VIP address with a fragment entry",
	  s_frag_entry4,
	  { { p_port0_initial4, 0, 0, XDP_DROP, QS_R_DROP_PORT_ZERO, QS_NO_BACKEND } },
	  c_no_state },
	{ "udp6 port 0 to a VIP address with a fragment entry",
	  s_frag_entry6,
	  { { p_port0_initial6, 0, 0, XDP_DROP, QS_R_DROP_PORT_ZERO, QS_NO_BACKEND } },
	  c_no_state },
	{ "udp port 0 to a VIP address without one",
	  NULL,
	  { { p_port0_initial4, 0, 0, XDP_PASS, QS_R_PASS_NOT_VIP, QS_NO_BACKEND } },
	  c_no_state },
};

#define N_ATTACKS (sizeof(attacks) / sizeof(attacks[0]))

/* Criterion runs each parameter in its own process: indices, not pointers. */
ParameterizedTestParameters(attacks, table)
{
	static size_t indices[N_ATTACKS];

	for (size_t i = 0; i < N_ATTACKS; i++)
		indices[i] = i;
	return cr_make_param_array(size_t, indices, N_ATTACKS);
}

static void run_packet(struct fx *fx, const struct attack *a, const struct step *st, unsigned int i)
{
	int n = st - a->steps + 1;
	uint8_t in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	struct pb_spec s = st->packet(i);
	size_t len, out_len = 0;
	uint32_t want = st->backend, got = QS_NO_BACKEND;
	uint64_t before = fx_reason(fx, st->reason);
	int action;

	s.ip_len = st->ip_len;
	len = pb_build(&s, in, sizeof(in));
	cr_assert_gt(len, 0, "%s, step %d: packet %u does not build", a->name, n, i);
	if (want == BE_MAGLEV)
		want = world_maglev(s.family, s.src, s.sport);
	action = fx_run(fx, in, len, out, &out_len);
	cr_assert_eq(action, st->action, "%s, step %d, packet %u: action got %d want %d", a->name,
		     n, i, action, st->action);
	cr_assert_eq(fx_reason(fx, st->reason), before + 1,
		     "%s, step %d, packet %u: reason %s not counted", a->name, n, i,
		     qs_reason_name(st->reason));
	if (action == XDP_TX && want != QS_NO_BACKEND)
		got = world_sent_to(out, strchr(world_backend_addr[want], ':') ? 6 : 4);
	cr_assert_eq(got, want, "%s, step %d, packet %u: backend got %u want %u", a->name, n, i,
		     got, want);
}

ParameterizedTest(size_t *index, attacks, table)
{
	const struct attack *a = &attacks[*index];
	struct fx fx;

	cr_assert_eq(fx_open(&fx, 0), 0, "%s: router does not load (root needed)", a->name);
	cr_assert_eq(world_setup(&fx), 0, "%s: world set-up", a->name);
	if (a->setup)
		cr_assert_eq(a->setup(&fx), 0, "%s: case set-up", a->name);
	for (const struct step *st = a->steps; st < a->steps + MAX_STEPS && st->packet; st++) {
		if (st->before)
			cr_assert_eq(st->before(&fx), 0, "%s: step set-up", a->name);
		for (unsigned int i = 0; i < (st->repeat ? st->repeat : 1); i++)
			run_packet(&fx, a, st, i);
	}
	if (a->check)
		a->check(&fx, a);
	fx_close(&fx);
}
