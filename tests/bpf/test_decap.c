// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The backends' decap program (bpf/decap.bpf.c), run with BPF_PROG_TEST_RUN
 * through its skeleton. Guards against: an outer header stripped to the
 * wrong length or an inner packet altered on the way (the stack would drop
 * or misparse it), a wrong EtherType for the inner family, Ethernet
 * addresses lost, traffic that is not ours being touched, a cut inner header
 * handed to the stack, and any frame counted twice or not at all. Inputs are
 * the router's output as rebuilt independently by expect.c, and, in the
 * round trip, the router's real output.
 */
#include <string.h>
#pragma GCC diagnostic ignored \
	"-Wmissing-field-initializers" /* the case table leaves trailing fields out */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "decap.skel.h"
#include "expect.h"
#include "router/maps.h"
#include "router/reasons.h"
#include "world.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40

/* A loaded decap program with fresh, unpinned counters. */
struct dc {
	struct decap_bpf *skel;
	int prog, stats;
};

static void dc_open(struct dc *d)
{
	struct qs_load_opts opts = { .pin_dir = NULL };

	cr_assert_eq(qs_decap_load(&opts, &d->skel), 0, "decap does not load (root needed)");
	d->prog = bpf_program__fd(d->skel->progs.quicsteer_decap);
	d->stats = bpf_map__fd(d->skel->maps.qs_decap_stats);
}

static void dc_close(struct dc *d)
{
	decap_bpf__destroy(d->skel);
}

/* One run; the action, or -errno if the kernel refused the run. */
static int dc_run(struct dc *d, const void *in, size_t len, void *out, size_t cap, size_t *out_len)
{
	struct qs_prog_run run = { .in = in, .in_len = len, .out = out, .out_cap = cap };
	int err = qs_prog_run(d->prog, &run);

	if (err)
		return err;
	*out_len = run.out_len;
	return run.action;
}

static struct qs_counter dc_reason(struct dc *d, unsigned int reason)
{
	struct qs_counter c = { ~0ull, ~0ull };

	cr_assert_eq(qs_counter_read(d->stats, reason, &c), 0, "reading counter %s",
		     qs_decap_reason_name(reason));
	return c;
}

static uint64_t dc_total(struct dc *d)
{
	uint64_t total = 0;

	for (unsigned int r = 0; r < QS_D__COUNT; r++)
		total += dc_reason(d, r).packets;
	return total;
}

static const char *action_name(int action)
{
	switch (action) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	}
	return "unknown";
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
	void (*mangle)(uint8_t *frame); /* an edit of the input, or NULL */
	int action;
	unsigned int reason;
	enum out_kind out;
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

/* Outer IPv4 header with MF set: not ours to reassemble. */
static void m_outer_fragment(uint8_t *f)
{
	f[ETH_LEN + 6] = 0x20; /* MF, offset 0 (the checksum is not checked) */
	f[ETH_LEN + 7] = 0x00;
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
	if (c->input == IN_PLAIN) {
		memcpy(in, client, *client_len);
		len = *client_len;
	} else {
		len = encap_frame(client, *client_len, &s, c->backend_family, in);
		cr_assert_gt(len, 0, "%s: no encapsulated frame", c->name);
	}
	if (c->mangle)
		c->mangle(in);
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
	struct dc d;
	int action;

	in_len = case_input(c, in, client, &client_len);
	dc_open(&d);
	action = dc_run(&d, in, in_len, out, sizeof(out), &out_len);
	cr_assert_eq(action, c->action, "%s: action got %s (%d) want %s", c->name,
		     action_name(action), action, action_name(c->action));

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
	dc_close(&d);
}

/*
 * Every prefix (from a whole Ethernet header on) of every encapsulated
 * frame gets exactly one counted verdict, and the one its length calls for:
 * outer header incomplete, not ours (passed untouched); inner header
 * incomplete, dropped; otherwise decapsulated to the same prefix of the
 * inner frame.
 */
Test(decap, every_prefix_counted)
{
	uint8_t in[PB_MAX_FRAME + 64], client[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	uint8_t inner[PB_MAX_FRAME + 64];
	struct dc d;

	dc_open(&d);
	for (size_t i = 0; i < N_CASES; i++) {
		const struct decap_case *c = &cases[i];
		size_t len, client_len, outer, inner_hdr;
		struct pb_spec s;

		if (c->input != IN_ENCAP || c->reason == QS_D_DROP_MALFORMED || c->mangle)
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
			}
			count_before = dc_reason(&d, want_reason).packets;
			action = dc_run(&d, in, cut, out, sizeof(out), &out_len);
			cr_assert_eq(action, want_action,
				     "%s cut at %zu: action got %s (%d) want %s", c->name, cut,
				     action_name(action), action, action_name(want_action));
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
			else if (want_reason != QS_D_DROP_MALFORMED)
				cr_assert(out_len == cut - outer &&
						  !memcmp(out, inner, cut - outer),
					  "%s cut at %zu: decap output: %s", c->name, cut,
					  expect_diff(out, out_len, inner, cut - outer));
		}
	}
	dc_close(&d);
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
	struct dc d;
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
		     action_name(action), action);
	cr_assert_gt(mid_len, in_len, "%s: router output got %zu bytes want more than %zu", t->name,
		     mid_len, in_len);
	fx_close(&fx);

	dc_open(&d);
	action = dc_run(&d, mid, mid_len, out, sizeof(out), &out_len);
	cr_assert_eq(action, XDP_PASS, "%s: decap action got %s (%d) want XDP_PASS", t->name,
		     action_name(action), action);
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
	dc_close(&d);
}
