// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The backends' decap program (bpf/decap.bpf.c), run with BPF_PROG_TEST_RUN
 * through its skeleton. Guards against: an outer header stripped to the
 * wrong length or an inner packet altered on the way (the stack would drop
 * or misparse it), a wrong EtherType for the inner family, Ethernet
 * addresses lost, traffic that is not ours being touched, a cut inner header
 * handed to the stack, and any frame counted twice or not at all. And
 * against the attack of issue 11 (item 8): anyone who reaches a backend
 * sending it tunnel packets. A spoofed outer source, an inner destination
 * that is not a VIP (the backend as a relay), and outer and inner lengths
 * that disagree with each other or with the frame are dropped, each under
 * its reason; empty allow-lists allow nothing. Inputs are the router's
 * output as rebuilt independently by expect.c, and, in the round trip, the
 * router's real output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#pragma GCC diagnostic ignored \
	"-Wmissing-field-initializers" /* the case table leaves trailing fields out */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <linux/bpf.h>
#include "decapfx.h"
#include "expect.h"
#include "router/decap.h"
#include "router/maps.h"
#include "router/reasons.h"
#include "world.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40

/* What the allow-lists hold. */
enum allow_kind {
	ALLOW_WORLD = 0, /* the router's encap sources (fixture.h), both VIPs on VIP_PORT */
	ALLOW_NOTHING, /* as loaded: empty */
	ALLOW_NO_SOURCE, /* the VIPs only */
	ALLOW_NO_VIP, /* the sources only */
	ALLOW_OTHER_SOURCES, /* the VIPs, and sources beside the router's: not its */
	ALLOW_ANY_SOURCE, /* the VIPs, 0.0.0.0/0 and ::/0: sources not checked */
	ALLOW_ANY_SOURCE6, /* the VIPs, ::/0: any IPv6 source, no IPv4 one */
	ALLOW_FRAGMENTS, /* the world's, and both VIP addresses' port 0 (fragments) */
};

static void dc_allow_source(struct dfx *d, const char *prefix)
{
	cr_assert_eq(dfx_allow_source(d, prefix), 0, "allowing source %s", prefix);
}

static void dc_allow_vip(struct dfx *d, const char *addr, uint16_t port)
{
	cr_assert_eq(dfx_allow_vip(d, addr, port), 0, "allowing vip %s %u", addr, port);
}

/* The router's sources: the next hop's, its low bits the flow's. */
#define WORLD_SRC4 FX_OUTER_SRC4 "/24"
#define WORLD_SRC6 FX_OUTER_SRC6 "/112"
_Static_assert(FX_SRC4_FLOW_BITS == 8, "WORLD_SRC4 is the fixture's /24");

static void dc_allow(struct dfx *d, enum allow_kind a)
{
	if (a == ALLOW_NOTHING)
		return;
	if (a == ALLOW_WORLD || a == ALLOW_NO_VIP || a == ALLOW_FRAGMENTS) {
		dc_allow_source(d, WORLD_SRC4);
		dc_allow_source(d, WORLD_SRC6);
	} else if (a == ALLOW_OTHER_SOURCES) {
		dc_allow_source(d, "198.18.199.0/24"); /* the /24s either side */
		dc_allow_source(d, "198.18.201.0/24");
		dc_allow_source(d, "fd00:201::/112");
		dc_allow_source(d, "fd00:200::1:0/112"); /* the next /112 */
	} else if (a == ALLOW_ANY_SOURCE || a == ALLOW_ANY_SOURCE6) {
		if (a == ALLOW_ANY_SOURCE)
			dc_allow_source(d, "0.0.0.0/0");
		dc_allow_source(d, "::/0");
	}
	if (a == ALLOW_NO_VIP)
		return;
	dc_allow_vip(d, VIP4, VIP_PORT);
	dc_allow_vip(d, VIP6, VIP_PORT);
	if (a == ALLOW_FRAGMENTS) {
		dc_allow_vip(d, VIP4, 0);
		dc_allow_vip(d, VIP6, 0);
	}
}

/* A decap program with fresh, unpinned counters, its lists filled as allow says. */
static void dc_open(struct dfx *d, enum allow_kind allow)
{
	cr_assert_eq(dfx_open(d), 0, "decap does not load (root needed)");
	dc_allow(d, allow);
}

static struct qs_counter dc_reason(struct dfx *d, unsigned int reason)
{
	struct qs_counter c = { ~0ull, ~0ull };

	cr_assert_eq(dfx_reason(d, reason, &c), 0, "reading counter %s",
		     qs_decap_reason_name(reason));
	return c;
}

static uint64_t dc_total(struct dfx *d)
{
	uint64_t total = 0;

	for (unsigned int r = 0; r < QS_D__COUNT; r++)
		total += dc_reason(d, r).packets;
	return total;
}

/* ---- inputs ---- */

#define CID "d1d2d3d4d5d6d7d8"

enum input_kind {
	IN_PLAIN, /* the client's frame as built */
	IN_ENCAP, /* the client's frame as the router encapsulates it */
	IN_ARP, /* an ARP request, built by hand */
};

enum out_kind {
	OUT_SAME, /* the input, unchanged */
	OUT_NONE, /* dropped: output not compared */
	OUT_INNER, /* the inner packet under the outer frame's MAC addresses */
};

struct decap_case {
	const char *name;
	struct pb_spec (*packet)(void);
	enum input_kind input;
	int backend_family; /* IN_ENCAP: outer header family */
	int inner_cut; /* IN_ENCAP: end one byte before the inner IP header does */
	/* an edit of the input (outer: its outer header's length), or NULL */
	void (*mangle)(uint8_t *frame, size_t outer);
	int action;
	unsigned int reason;
	enum out_kind out;
	enum allow_kind allow;
	int tail; /* IN_ENCAP: zero bytes added to the frame's end, or cut off it (< 0) */
	size_t pad_to; /* IN_ENCAP: the client frame zero-padded to this length first */
};

static struct pb_spec p_short4(void)
{
	return world_short(4, CLIENT4, CLIENT_PORT, CID);
}

static struct pb_spec p_short6(void)
{
	return world_short(6, CLIENT6, CLIENT_PORT, CID);
}

static struct pb_spec p_initial4(void)
{
	return world_initial(4, CLIENT4, CLIENT_PORT, CID);
}

static struct pb_spec p_initial6(void)
{
	return world_initial(6, CLIENT6, CLIENT_PORT, CID);
}

static struct pb_spec p_short4_options_tos(void)
{
	struct pb_spec s = p_short4();

	s.ip4_opt_len = 12;
	s.tos = 0xb9;
	return s;
}

static struct pb_spec p_short6_ext_tclass(void)
{
	struct pb_spec s = p_short6();

	s.ip6_ext = 3;
	s.tos = 0x2a;
	return s;
}

/* UDP to a host that is no VIP: what a relay would forward. */
static struct pb_spec p_relay4(void)
{
	struct pb_spec s = p_short4();

	s.dst = "198.18.7.7";
	return s;
}

static struct pb_spec p_relay6(void)
{
	struct pb_spec s = p_short6();

	s.dst = "fd00:7::7";
	return s;
}

static struct pb_spec p_other_port4(void)
{
	struct pb_spec s = p_short4();

	s.dport = 22;
	return s;
}

static struct pb_spec p_tcp4(void)
{
	struct pb_spec s = p_short4();

	s.l4proto = 6;
	return s;
}

static struct pb_spec p_first_fragment4(void)
{
	struct pb_spec s = p_short4();

	s.fragment = 1;
	return s;
}

static struct pb_spec p_later_fragment6(void)
{
	struct pb_spec s = p_short6();

	s.fragment = 2;
	return s;
}

/* A datagram's last fragment of 8 bytes: 28 bytes of IPv4, a padded frame. */
static struct pb_spec p_tiny_fragment4(void)
{
	struct pb_spec s = p_short4();

	s.fragment = 2;
	s.quic = PB_QUIC_NONE;
	s.payload_len = 8;
	return s;
}

/* UDP with no payload: 28 bytes of IPv4, a padded frame. */
static struct pb_spec p_empty_udp4(void)
{
	struct pb_spec s = p_short4();

	s.quic = PB_QUIC_NONE;
	s.payload_len = 0;
	return s;
}

static void add16(uint8_t *p, int delta)
{
	unsigned int v = ((unsigned int)p[0] << 8 | p[1]) + (unsigned int)delta;

	p[0] = v >> 8;
	p[1] = v;
}

/* The outer header's length field: IPv4 total length, IPv6 payload length. */
static uint8_t *outer_len_field(uint8_t *f, size_t outer)
{
	return f + ETH_LEN + (outer == IP6_LEN ? 4 : 2);
}

static uint8_t *inner_len_field(uint8_t *f, size_t outer)
{
	uint8_t *ip = f + ETH_LEN + outer;

	return ip + (ip[0] >> 4 == 6 ? 4 : 2);
}

/* Outer IPv4 header with MF set: not ours to reassemble. */
static void m_outer_fragment(uint8_t *f, size_t outer)
{
	(void)outer;
	f[ETH_LEN + 6] = 0x20; /* MF, offset 0 (the checksum is not checked) */
	f[ETH_LEN + 7] = 0x00;
}

/*
 * An outer source outside the router's prefix: 198.18.201.x for its
 * 198.18.200.0/24, fd00:200::1:x for its fd00:200::/112.
 */
static void m_spoof_source(uint8_t *f, size_t outer)
{
	if (outer == IP6_LEN)
		f[ETH_LEN + 8 + 13] = 0x01;
	else
		f[ETH_LEN + 12 + 2] = 201;
}

static void m_outer_len_plus(uint8_t *f, size_t outer)
{
	add16(outer_len_field(f, outer), 1);
}

static void m_outer_len_minus(uint8_t *f, size_t outer)
{
	add16(outer_len_field(f, outer), -1);
}

static void m_inner_len_plus(uint8_t *f, size_t outer)
{
	add16(inner_len_field(f, outer), 1);
}

static void m_inner_len_minus(uint8_t *f, size_t outer)
{
	add16(inner_len_field(f, outer), -1);
}

/* Both lengths agree with each other, not with the frame. */
static void m_both_len_plus(uint8_t *f, size_t outer)
{
	m_outer_len_plus(f, outer);
	m_inner_len_plus(f, outer);
}

static void m_both_len_minus(uint8_t *f, size_t outer)
{
	m_outer_len_minus(f, outer);
	m_inner_len_minus(f, outer);
}

/* The inner IPv4 header claims 20 bytes: its UDP header is in the padding. */
static void m_both_len_minus8(uint8_t *f, size_t outer)
{
	add16(outer_len_field(f, outer), -8);
	add16(inner_len_field(f, outer), -8);
}

/* An inner IPv4 total length under its own header. */
static void m_inner_len_19(uint8_t *f, size_t outer)
{
	uint8_t *p = inner_len_field(f, outer);

	p[0] = 0;
	p[1] = 19;
}

static const struct decap_case cases[] = {
	/* the router's three encapsulations */
	{ "IPIP (4in4)", p_short4, IN_ENCAP, 4, 0, NULL, XDP_PASS, QS_D_DECAP_IPIP, OUT_INNER },
	{ "IP6IP6", p_short6, IN_ENCAP, 6, 0, NULL, XDP_PASS, QS_D_DECAP_IP6IP6, OUT_INNER },
	{ "IPv4 in IPv6", p_short4, IN_ENCAP, 6, 0, NULL, XDP_PASS, QS_D_DECAP_IP4IP6, OUT_INNER },
	{ "IPIP, 1200-byte Initial", p_initial4, IN_ENCAP, 4, 0, NULL, XDP_PASS, QS_D_DECAP_IPIP,
	  OUT_INNER },
	{ "IP6IP6, 1200-byte Initial", p_initial6, IN_ENCAP, 6, 0, NULL, XDP_PASS,
	  QS_D_DECAP_IP6IP6, OUT_INNER },
	{ "IPIP, inner options and TOS", p_short4_options_tos, IN_ENCAP, 4, 0, NULL, XDP_PASS,
	  QS_D_DECAP_IPIP, OUT_INNER },
	{ "IP6IP6, inner extension headers and class", p_short6_ext_tclass, IN_ENCAP, 6, 0, NULL,
	  XDP_PASS, QS_D_DECAP_IP6IP6, OUT_INNER },
	/* not encapsulated: untouched */
	{ "plain UDP over IPv4", p_short4, IN_PLAIN, 0, 0, NULL, XDP_PASS, QS_D_PASS_OTHER,
	  OUT_SAME },
	{ "plain UDP over IPv6", p_short6, IN_PLAIN, 0, 0, NULL, XDP_PASS, QS_D_PASS_OTHER,
	  OUT_SAME },
	{ "ARP request", NULL, IN_ARP, 0, 0, NULL, XDP_PASS, QS_D_PASS_OTHER, OUT_SAME },
	{ "IPIP outer fragment", p_short4, IN_ENCAP, 4, 0, m_outer_fragment, XDP_PASS,
	  QS_D_PASS_OTHER, OUT_SAME },
	/* encapsulated, inner header cut or not of the announced family */
	{ "IPIP, inner IPv4 header cut", p_short4, IN_ENCAP, 4, 1, NULL, XDP_DROP,
	  QS_D_DROP_MALFORMED, OUT_NONE },
	{ "IP6IP6, inner IPv6 header cut", p_short6, IN_ENCAP, 6, 1, NULL, XDP_DROP,
	  QS_D_DROP_MALFORMED, OUT_NONE },
	{ "IPv4 in IPv6, inner IPv4 header cut", p_short4, IN_ENCAP, 6, 1, NULL, XDP_DROP,
	  QS_D_DROP_MALFORMED, OUT_NONE },
	{ "IPIP carrying IPv6", p_short6, IN_ENCAP, 4, 0, NULL, XDP_DROP, QS_D_DROP_MALFORMED,
	  OUT_NONE },
	{ "IPIP, inner total length under its header", p_short4, IN_ENCAP, 4, 0, m_inner_len_19,
	  XDP_DROP, QS_D_DROP_MALFORMED, OUT_NONE },
	{ "IPIP, short inner packet whose UDP header is in the padding", p_empty_udp4, IN_ENCAP, 4,
	  0, m_both_len_minus8, XDP_DROP, QS_D_DROP_MALFORMED, OUT_NONE, .pad_to = 60 },

	/* issue 11 item 8: a spoofed outer source is dropped and counted */
	{ "attack: spoofed outer source (IPIP)", p_short4, IN_ENCAP, 4, 0, m_spoof_source, XDP_DROP,
	  QS_D_DROP_SOURCE, OUT_NONE },
	{ "attack: spoofed outer source (IP6IP6)", p_short6, IN_ENCAP, 6, 0, m_spoof_source,
	  XDP_DROP, QS_D_DROP_SOURCE, OUT_NONE },
	{ "attack: spoofed outer source (IPv4 in IPv6)", p_short4, IN_ENCAP, 6, 0, m_spoof_source,
	  XDP_DROP, QS_D_DROP_SOURCE, OUT_NONE },
	{ "attack: source beside the allowed prefixes (IPIP)", p_short4, IN_ENCAP, 4, 0, NULL,
	  XDP_DROP, QS_D_DROP_SOURCE, OUT_NONE, ALLOW_OTHER_SOURCES },
	{ "attack: source beside the allowed prefixes (IP6IP6)", p_short6, IN_ENCAP, 6, 0, NULL,
	  XDP_DROP, QS_D_DROP_SOURCE, OUT_NONE, ALLOW_OTHER_SOURCES },
	{ "attack: IPv4 source, only IPv6 sources allowed (::/0)", p_short4, IN_ENCAP, 4, 0, NULL,
	  XDP_DROP, QS_D_DROP_SOURCE, OUT_NONE, ALLOW_ANY_SOURCE6 },
	{ "fail closed: no source allowed", p_short4, IN_ENCAP, 4, 0, NULL, XDP_DROP,
	  QS_D_DROP_SOURCE, OUT_NONE, ALLOW_NO_SOURCE },
	{ "fail closed: nothing allowed (as loaded)", p_short6, IN_ENCAP, 6, 0, NULL, XDP_DROP,
	  QS_D_DROP_SOURCE, OUT_NONE, ALLOW_NOTHING },
	{ "any source when 0.0.0.0/0 is allowed: decapsulated", p_short4, IN_ENCAP, 4, 0,
	  m_spoof_source, XDP_PASS, QS_D_DECAP_IPIP, OUT_INNER, ALLOW_ANY_SOURCE },
	{ "any IPv6 source when ::/0 is allowed: decapsulated", p_short6, IN_ENCAP, 6, 0,
	  m_spoof_source, XDP_PASS, QS_D_DECAP_IP6IP6, OUT_INNER, ALLOW_ANY_SOURCE6 },

	/* issue 11 item 8: an inner destination that is no VIP (a relay) is dropped */
	{ "attack: relay, inner destination not a VIP (IPIP)", p_relay4, IN_ENCAP, 4, 0, NULL,
	  XDP_DROP, QS_D_DROP_NOT_VIP, OUT_NONE },
	{ "attack: relay, inner destination not a VIP (IP6IP6)", p_relay6, IN_ENCAP, 6, 0, NULL,
	  XDP_DROP, QS_D_DROP_NOT_VIP, OUT_NONE },
	{ "attack: relay, inner destination not a VIP (IPv4 in IPv6)", p_relay4, IN_ENCAP, 6, 0,
	  NULL, XDP_DROP, QS_D_DROP_NOT_VIP, OUT_NONE },
	{ "attack: inner UDP to the VIP address, another port", p_other_port4, IN_ENCAP, 4, 0, NULL,
	  XDP_DROP, QS_D_DROP_NOT_VIP, OUT_NONE },
	{ "attack: inner TCP to the VIP", p_tcp4, IN_ENCAP, 4, 0, NULL, XDP_DROP, QS_D_DROP_NOT_VIP,
	  OUT_NONE },
	{ "fail closed: no VIP allowed", p_short6, IN_ENCAP, 6, 0, NULL, XDP_DROP,
	  QS_D_DROP_NOT_VIP, OUT_NONE, ALLOW_NO_VIP },
	{ "inner fragment, no port-0 entry for it", p_first_fragment4, IN_ENCAP, 4, 0, NULL,
	  XDP_DROP, QS_D_DROP_NOT_VIP, OUT_NONE },
	{ "inner first fragment to a port-0 entry: decapsulated", p_first_fragment4, IN_ENCAP, 4, 0,
	  NULL, XDP_PASS, QS_D_DECAP_IPIP, OUT_INNER, ALLOW_FRAGMENTS },
	{ "inner later fragment to a port-0 entry: decapsulated", p_later_fragment6, IN_ENCAP, 6, 0,
	  NULL, XDP_PASS, QS_D_DECAP_IP6IP6, OUT_INNER, ALLOW_FRAGMENTS },

	/* issue 11 item 8: outer length, inner length and frame must agree */
	{ "attack: outer length one more than the inner packet (IPIP)", p_short4, IN_ENCAP, 4, 0,
	  m_outer_len_plus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: outer length one less than the inner packet (IPIP)", p_short4, IN_ENCAP, 4, 0,
	  m_outer_len_minus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: outer length one more than the inner packet (IP6IP6)", p_short6, IN_ENCAP, 6, 0,
	  m_outer_len_plus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: outer length one less than the inner packet (IP6IP6)", p_short6, IN_ENCAP, 6, 0,
	  m_outer_len_minus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: inner length one more than the outer says (IPv4 in IPv6)", p_short4, IN_ENCAP, 6,
	  0, m_inner_len_plus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: inner length one less than the outer says (IP6IP6)", p_short6, IN_ENCAP, 6, 0,
	  m_inner_len_minus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: both lengths one past the frame (IPIP)", p_short4, IN_ENCAP, 4, 0,
	  m_both_len_plus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: both lengths one short of the frame (IP6IP6)", p_short6, IN_ENCAP, 6, 0,
	  m_both_len_minus, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE },
	{ "attack: a byte behind the packet (IPIP)", p_short4, IN_ENCAP, 4, 0, NULL, XDP_DROP,
	  QS_D_DROP_LENGTH, OUT_NONE, .tail = 1 },
	{ "attack: a byte behind the packet (IPv4 in IPv6)", p_short4, IN_ENCAP, 6, 0, NULL,
	  XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE, .tail = 1 },
	{ "attack: frame a byte short (IP6IP6)", p_short6, IN_ENCAP, 6, 0, NULL, XDP_DROP,
	  QS_D_DROP_LENGTH, OUT_NONE, .tail = -1 },
	{ "short last fragment with the Ethernet padding the router carries", p_tiny_fragment4,
	  IN_ENCAP, 4, 0, NULL, XDP_PASS, QS_D_DECAP_IPIP, OUT_INNER, ALLOW_FRAGMENTS,
	  .pad_to = 60 },
	{ "attack: short last fragment, a byte past Ethernet padding", p_tiny_fragment4, IN_ENCAP,
	  4, 0, NULL, XDP_DROP, QS_D_DROP_LENGTH, OUT_NONE, ALLOW_FRAGMENTS, .pad_to = 61 },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* A who-has 198.18.5.1 from 198.18.5.2: not IP at all. */
static size_t arp_frame(uint8_t *f)
{
	static const uint8_t arp[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* broadcast */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x10, /* the client's MAC */
		0x08, 0x06, /* ARP */
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, /* Ethernet, IPv4, request */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x10, 198,  18,	5, 2, /* sender */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198,  18,	5, 1, /* target */
	};

	memcpy(f, arp, sizeof(arp));
	return sizeof(arp);
}

/* The router's frame for a client frame, towards a backend of family bf. */
static size_t encap_frame(const uint8_t *client, size_t len, const struct pb_spec *s, int bf,
			  uint8_t *out)
{
	struct expect_encap e = {
		.backend_family = bf,
		.backend = bf == 6 ? world_backend_addr[BE_C6] : world_backend_addr[BE_A],
		.flow_hash = world_hash(s->family, s->src, s->sport),
	};

	return expect_encap(client, len, s->vlans, &e, out);
}

/*
 * What the stack must receive: the outer frame's MAC addresses, the inner
 * family's EtherType, then the client's IP packet byte for byte. Written
 * from the client frame, not from the encapsulated one.
 */
static size_t inner_frame(const uint8_t *client, size_t len, const uint8_t *encap, uint8_t *out)
{
	memcpy(out, encap, 12);
	memcpy(out + 12, client + 12, len - 12);
	return len;
}

/* Builds case c's input; the unencapsulated client frame goes to client. */
static size_t case_input(const struct decap_case *c, uint8_t *in, uint8_t *client,
			 size_t *client_len)
{
	struct pb_spec s;
	size_t len;

	*client_len = 0;
	if (c->input == IN_ARP)
		return arp_frame(in);
	s = c->packet();
	*client_len = pb_build(&s, client, PB_MAX_FRAME);
	cr_assert_gt(*client_len, 0, "%s: packet does not build", c->name);
	if (c->pad_to > *client_len) /* pb_build zeroes the whole buffer */
		*client_len = c->pad_to;
	if (c->input == IN_PLAIN) {
		memcpy(in, client, *client_len);
		len = *client_len;
	} else {
		len = encap_frame(client, *client_len, &s, c->backend_family, in);
		cr_assert_gt(len, 0, "%s: no encapsulated frame", c->name);
	}
	if (c->mangle)
		c->mangle(in, c->backend_family == 6 ? IP6_LEN : IP4_LEN);
	if (c->tail > 0)
		memset(in + len, 0, (size_t)c->tail);
	len += c->tail;
	if (c->inner_cut)
		len = ETH_LEN + (c->backend_family == 6 ? IP6_LEN : IP4_LEN) +
		      (s.family == 6 ? IP6_LEN : IP4_LEN) - 1;
	return len;
}

ParameterizedTestParameters(decap, table)
{
	static size_t indices[N_CASES];

	for (size_t i = 0; i < N_CASES; i++)
		indices[i] = i;
	return cr_make_param_array(size_t, indices, N_CASES);
}

/* Each case: action, exact output bytes, and its reason counted once. */
ParameterizedTest(size_t *index, decap, table)
{
	const struct decap_case *c = &cases[*index];
	uint8_t in[PB_MAX_FRAME + 64], client[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	uint8_t want[PB_MAX_FRAME + 64];
	size_t in_len, client_len, out_len = 0, want_len = 0;
	struct qs_counter got;
	struct dfx d;
	int action;

	in_len = case_input(c, in, client, &client_len);
	dc_open(&d, c->allow);
	action = dfx_run(&d, in, in_len, out, sizeof(out), &out_len);
	cr_assert_eq(action, c->action, "%s: action got %s (%d) want %s", c->name,
		     xdp_action_name(action), action, xdp_action_name(c->action));

	for (unsigned int r = 0; r < QS_D__COUNT; r++) {
		uint64_t want_packets = r == c->reason;

		got = dc_reason(&d, r);
		cr_assert_eq(got.packets, want_packets, "%s: counter %s got %llu want %llu",
			     c->name, qs_decap_reason_name(r), (unsigned long long)got.packets,
			     (unsigned long long)want_packets);
	}
	got = dc_reason(&d, c->reason);
	cr_assert_eq(got.bytes, in_len, "%s: counter %s bytes got %llu want %zu", c->name,
		     qs_decap_reason_name(c->reason), (unsigned long long)got.bytes, in_len);

	switch (c->out) {
	case OUT_NONE:
		break;
	case OUT_SAME:
		memcpy(want, in, in_len);
		want_len = in_len;
		break;
	case OUT_INNER:
		want_len = inner_frame(client, client_len, in, want);
		break;
	}
	if (c->out != OUT_NONE)
		cr_assert(out_len == want_len && !memcmp(out, want, want_len),
			  "%s: output bytes: %s", c->name,
			  expect_diff(out, out_len, want, want_len));
	dfx_close(&d);
}

/*
 * Every prefix (from a whole Ethernet header on) of every frame the
 * table decapsulates gets exactly one counted verdict, and the one its
 * length calls for: outer header incomplete, not ours (passed untouched);
 * inner header incomplete, dropped as malformed; otherwise shorter than
 * both headers say, dropped for its length; whole, decapsulated.
 */
Test(decap, every_prefix_counted)
{
	uint8_t in[PB_MAX_FRAME + 64], client[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	uint8_t inner[PB_MAX_FRAME + 64];
	struct dfx d;

	dc_open(&d, ALLOW_WORLD);
	for (size_t i = 0; i < N_CASES; i++) {
		const struct decap_case *c = &cases[i];
		size_t len, client_len, outer, inner_hdr;
		struct pb_spec s;

		if (c->input != IN_ENCAP || c->action != XDP_PASS || c->mangle ||
		    c->allow != ALLOW_WORLD || c->tail || c->pad_to)
			continue;
		s = c->packet();
		client_len = pb_build(&s, client, PB_MAX_FRAME);
		len = encap_frame(client, client_len, &s, c->backend_family, in);
		cr_assert_gt(len, 0, "%s: no encapsulated frame", c->name);
		inner_frame(client, client_len, in, inner);
		outer = c->backend_family == 6 ? IP6_LEN : IP4_LEN;
		inner_hdr = s.family == 6 ? IP6_LEN : IP4_LEN;

		for (size_t cut = ETH_LEN; cut <= len; cut++) {
			uint64_t before = dc_total(&d), count_before;
			unsigned int want_reason = c->reason;
			int want_action = XDP_PASS, action;
			size_t out_len = 0;

			if (cut < ETH_LEN + outer) {
				want_reason = QS_D_PASS_OTHER;
			} else if (cut < ETH_LEN + outer + inner_hdr) {
				want_reason = QS_D_DROP_MALFORMED;
				want_action = XDP_DROP;
			} else if (cut < len) {
				want_reason = QS_D_DROP_LENGTH;
				want_action = XDP_DROP;
			}
			count_before = dc_reason(&d, want_reason).packets;
			action = dfx_run(&d, in, cut, out, sizeof(out), &out_len);
			cr_assert_eq(action, want_action,
				     "%s cut at %zu: action got %s (%d) want %s", c->name, cut,
				     xdp_action_name(action), action, xdp_action_name(want_action));
			cr_assert_eq(dc_total(&d), before + 1,
				     "%s cut at %zu: counted got %llu times want once", c->name,
				     cut, (unsigned long long)(dc_total(&d) - before));
			cr_assert_eq(dc_reason(&d, want_reason).packets, count_before + 1,
				     "%s cut at %zu: reason %s not counted", c->name, cut,
				     qs_decap_reason_name(want_reason));
			if (want_reason == QS_D_PASS_OTHER)
				cr_assert(out_len == cut && !memcmp(out, in, cut),
					  "%s cut at %zu: pass output: %s", c->name, cut,
					  expect_diff(out, out_len, in, cut));
			else if (want_action == XDP_PASS)
				cr_assert(out_len == cut - outer &&
						  !memcmp(out, inner, cut - outer),
					  "%s cut at %zu: decap output: %s", c->name, cut,
					  expect_diff(out, out_len, inner, cut - outer));
		}
	}
	dfx_close(&d);
}

/* ---- round trip through the real router ---- */

struct trip_case {
	const char *name;
	struct pb_spec (*packet)(void);
	uint32_t backend; /* ID registered for CID, or BE_MAGLEV for an Initial */
	unsigned int decap_reason;
};

#define BE_MAGLEV 0xfffffffe

static const struct trip_case trips[] = {
	{ "v4 client, v4 backend", p_short4, BE_A, QS_D_DECAP_IPIP },
	{ "v6 client, v6 backend", p_short6, BE_C6, QS_D_DECAP_IP6IP6 },
	{ "v4 client, v6 backend", p_short4, BE_C6, QS_D_DECAP_IP4IP6 },
	{ "v4 Initial by Maglev", p_initial4, BE_MAGLEV, QS_D_DECAP_IPIP },
	{ "v6 Initial by Maglev", p_initial6, BE_MAGLEV, QS_D_DECAP_IP6IP6 },
	{ "v4 options and TOS", p_short4_options_tos, BE_A, QS_D_DECAP_IPIP },
	{ "v6 extension headers and class", p_short6_ext_tclass, BE_C6, QS_D_DECAP_IP6IP6 },
};

#define N_TRIPS (sizeof(trips) / sizeof(trips[0]))

ParameterizedTestParameters(decap, round_trip)
{
	static size_t indices[N_TRIPS];

	for (size_t i = 0; i < N_TRIPS; i++)
		indices[i] = i;
	return cr_make_param_array(size_t, indices, N_TRIPS);
}

/*
 * The router's real output, decapsulated, is the client's frame again:
 * only the Ethernet addresses differ (the router's next hop's).
 */
ParameterizedTest(size_t *index, decap, round_trip)
{
	const struct trip_case *t = &trips[*index];
	/* fx_run lets the kernel write up to 4096 bytes */
	uint8_t in[PB_MAX_FRAME], mid[4096], out[4096];
	uint8_t want[PB_MAX_FRAME], cid[WORLD_CID_LEN];
	struct pb_spec s = t->packet();
	size_t in_len = pb_build(&s, in, sizeof(in)), mid_len = 0, out_len = 0;
	uint32_t vip_id = s.family == 6 ? VIP6_ID : VIP4_ID;
	struct fx fx;
	struct dfx d;
	int action;

	cr_assert_gt(in_len, 0, "%s: packet does not build", t->name);
	cr_assert_eq(fx_open(&fx, 0), 0, "%s: router does not load (root needed)", t->name);
	cr_assert_eq(world_setup(&fx), 0, "%s: world set-up", t->name);
	if (t->backend != BE_MAGLEV) {
		cr_assert_eq(pb_hex(CID, cid, sizeof(cid)), WORLD_CID_LEN);
		cr_assert_eq(
			fx_cid(&fx, vip_id, cid, WORLD_CID_LEN, t->backend, QS_CID_AUTHORITATIVE),
			0, "%s: registering the ID", t->name);
	}
	action = fx_run(&fx, in, in_len, mid, &mid_len);
	cr_assert_eq(action, XDP_TX, "%s: router action got %s (%d) want XDP_TX", t->name,
		     xdp_action_name(action), action);
	cr_assert_gt(mid_len, in_len, "%s: router output got %zu bytes want more than %zu", t->name,
		     mid_len, in_len);
	fx_close(&fx);

	dc_open(&d, ALLOW_WORLD);
	action = dfx_run(&d, mid, mid_len, out, sizeof(out), &out_len);
	cr_assert_eq(action, XDP_PASS, "%s: decap action got %s (%d) want XDP_PASS", t->name,
		     xdp_action_name(action), action);
	cr_assert_eq(dc_reason(&d, t->decap_reason).packets, 1, "%s: counter %s got %llu want 1",
		     t->name, qs_decap_reason_name(t->decap_reason),
		     (unsigned long long)dc_reason(&d, t->decap_reason).packets);
	cr_assert_eq(dc_total(&d), 1, "%s: counted got %llu times want once", t->name,
		     (unsigned long long)dc_total(&d));

	memcpy(want, in, in_len);
	memcpy(want, fx_nexthop_mac, 6);
	memcpy(want + 6, fx_router_mac, 6);
	cr_assert(out_len == in_len && !memcmp(out, want, in_len), "%s: round trip: %s", t->name,
		  expect_diff(out, out_len, want, in_len));
	dfx_close(&d);
}

/* ---- the allow-lists at run time ---- */

/* Runs the IPIP frame of the router; the reason counted for it. */
static unsigned int dc_verdict(struct dfx *d, const uint8_t *in, size_t len)
{
	uint8_t out[PB_MAX_FRAME + 64];
	struct qs_counter before[QS_D__COUNT];
	size_t out_len;
	unsigned int got = QS_D__COUNT;

	for (unsigned int r = 0; r < QS_D__COUNT; r++)
		before[r] = dc_reason(d, r);
	cr_assert_geq(dfx_run(d, in, len, out, sizeof(out), &out_len), 0, "run refused");
	for (unsigned int r = 0; r < QS_D__COUNT; r++)
		if (dc_reason(d, r).packets != before[r].packets)
			got = r;
	return got;
}

#define EXPECT_VERDICT(d, in, len, want, step)                                                   \
	do {                                                                                     \
		unsigned int got_ = dc_verdict(d, in, len);                                      \
		cr_assert_eq(got_, want, "%s: got %s want %s", step, qs_decap_reason_name(got_), \
			     qs_decap_reason_name(want));                                        \
	} while (0)

/*
 * What `quicsteer decap` writes takes effect at the next packet: the
 * program as loaded allows nothing, each list lets through what it names,
 * and removing an entry or flushing a list closes again. The lists read
 * back in order, as the CLI shows them.
 */
Test(decap, allow_lists_apply_at_once)
{
	uint8_t client[PB_MAX_FRAME], in[PB_MAX_FRAME + 64];
	struct pb_spec s = p_short4();
	size_t client_len = pb_build(&s, client, PB_MAX_FRAME), len, n = 0;
	struct qs_prefix srcs[4], world4;
	struct qs_vip_key vips[4];
	char text[64];
	struct dfx d;

	len = encap_frame(client, client_len, &s, 4, in);
	cr_assert_gt(len, 0);
	dc_open(&d, ALLOW_NOTHING);
	EXPECT_VERDICT(&d, in, len, QS_D_DROP_SOURCE, "as loaded");
	dc_allow_source(&d, "fd00:200::/112");
	dc_allow_source(&d, WORLD_SRC4);
	dc_allow_source(&d, "198.18.0.0/15"); /* a shorter prefix of the same */
	EXPECT_VERDICT(&d, in, len, QS_D_DROP_NOT_VIP, "sources, no VIP");
	dc_allow_vip(&d, VIP6, VIP_PORT);
	dc_allow_vip(&d, VIP4, VIP_PORT);
	EXPECT_VERDICT(&d, in, len, QS_D_DECAP_IPIP, "sources and VIPs");

	cr_assert_eq(qs_decap_srcs_list(d.srcs, srcs, 4, &n), 0);
	cr_assert_eq(n, 3, "sources listed: got %zu want 3", n);
	cr_expect_str_eq(qs_format_prefix(&srcs[0], text, sizeof(text)), "198.18.0.0/15");
	cr_expect_str_eq(qs_format_prefix(&srcs[1], text, sizeof(text)), "198.18.200.0/24");
	cr_expect_str_eq(qs_format_prefix(&srcs[2], text, sizeof(text)), "fd00:200::/112");
	cr_assert_eq(qs_decap_srcs_list(d.srcs, srcs, 2, &n), -E2BIG, "a list past max");
	cr_assert_eq(qs_decap_vips_list(d.vips, vips, 4, &n), 0);
	cr_assert_eq(n, 2, "vips listed: got %zu want 2", n);
	cr_expect(vips[0].family == QS_AF_INET && vips[1].family == QS_AF_INET6 &&
			  ntohs(vips[0].port) == VIP_PORT,
		  "vips in order: IPv4 first");

	/* without the /24, the /15 that holds it still admits */
	cr_assert_eq(qs_parse_prefix(WORLD_SRC4, &world4), 0);
	cr_assert_eq(qs_decap_src_remove(d.srcs, &world4), 0);
	EXPECT_VERDICT(&d, in, len, QS_D_DECAP_IPIP, "the /15 still admits");
	cr_assert_eq(qs_decap_src_remove(d.srcs, &world4), -ENOENT, "removed twice");
	cr_assert_eq(qs_decap_flush(d.srcs, sizeof(struct qs_decap_src_key)), 2);
	EXPECT_VERDICT(&d, in, len, QS_D_DROP_SOURCE, "sources flushed");
	dc_allow_source(&d, WORLD_SRC4);
	cr_assert_eq(qs_decap_flush(d.vips, sizeof(struct qs_vip_key)), 2);
	EXPECT_VERDICT(&d, in, len, QS_D_DROP_NOT_VIP, "VIPs flushed");
	cr_assert_eq(qs_decap_flush(d.vips, sizeof(struct qs_vip_key)), 0, "flushed twice");
	dfx_close(&d);
}
