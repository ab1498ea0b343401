// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the data-path fuzzer (tests/fuzz/fuzz_datapath.c) found, at the
 * edges test_attacks.c's lying lengths do not reach (its inputs are in
 * tests/fuzz/seeds/datapath):
 * - a fragment cut short of its IP length by as little as one byte, under
 *   each fragment policy and in both families: drop_malformed_l3, never
 *   forwarded with an outer length the frame does not have (policy hash)
 *   nor passed on as whole (policy pass). Before main's drop_malformed_l3
 *   the hash policy forwarded it and the pass policy passed it;
 * - a short header with a reported ID, sent to UDP port 0 of a VIP
 *   address: drop_port_zero, neither routed by the ID nor recorded.
 */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "router/reasons.h"
#include "world.h"

#define CID_A "a1a2a3a4a5a6a7a8"
#define CID_C "c1c2c3c4c5c6c7c8"

static struct fx fx;

static void setup(void)
{
	uint8_t a[8], c[8];

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	pb_hex(CID_A, a, sizeof(a));
	pb_hex(CID_C, c, sizeof(c));
	cr_assert_eq(fx_cid(&fx, VIP4_ID, a, 8, BE_A, QS_CID_AUTHORITATIVE), 0);
	cr_assert_eq(fx_cid(&fx, VIP6_ID, c, 8, BE_C6, QS_CID_AUTHORITATIVE), 0);
}

static void teardown(void)
{
	fx_close(&fx);
}

TestSuite(fuzz_findings, .init = setup, .fini = teardown);

/* The address-wide entry (port 0) of the world's VIP of a family. */
static void port0_entry(int family, uint8_t frag_policy)
{
	struct qs_vip v = { .vip_id = family == 6 ? VIP6_ID : VIP4_ID,
			    .cid_len = WORLD_CID_LEN,
			    .frag_policy = frag_policy,
			    .flags = QS_VIP_F_LEARN };

	cr_assert_eq(fx_vip(&fx, family == 6 ? VIP6 : VIP4, 0, &v), 0);
}

/* Runs s less its last cut bytes; the one reason that counted it. */
static unsigned int run_cut(const struct pb_spec *s, size_t cut, int want_action)
{
	uint8_t in[PB_MAX_FRAME];
	size_t len = pb_build(s, in, sizeof(in));
	uint64_t before[QS_R__COUNT];
	unsigned int got = QS_R__COUNT, counted = 0;
	int action;

	cr_assert_gt(len, cut);
	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		before[r] = fx_reason(&fx, r);
	action = fx_run(&fx, in, len - cut, NULL, NULL);
	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		if (fx_reason(&fx, r) != before[r]) {
			got = r;
			counted++;
		}
	cr_assert_eq(counted, 1, "cut %zu: counted under %u reasons, want 1", cut, counted);
	cr_assert_eq(action, want_action, "cut %zu: action got %d want %d (%s)", cut, action,
		     want_action, qs_reason_name(got));
	return got;
}

static const struct {
	uint8_t policy;
	int whole_action;
	unsigned int whole_reason;
} policies[] = {
	{ QS_FRAG_HASH, XDP_TX, QS_R_FRAG_HASH },
	{ QS_FRAG_PASS, XDP_PASS, QS_R_FRAG_PASS },
	{ QS_FRAG_DROP, XDP_DROP, QS_R_FRAG_DROP },
};

static void cut_fragments(int family, int fragment)
{
	struct pb_spec s = family == 6 ? world_short(6, CLIENT6, CLIENT_PORT, CID_C) :
					 world_short(4, CLIENT4, CLIENT_PORT, CID_A);

	s.fragment = fragment;
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		port0_entry(family, policies[i].policy);
		cr_assert_eq(run_cut(&s, 0, policies[i].whole_action), policies[i].whole_reason,
			     "v%d fragment %d, policy %u, whole", family, fragment,
			     policies[i].policy);
		for (size_t cut = 1; cut <= 20; cut++)
			cr_assert_eq(run_cut(&s, cut, XDP_DROP), QS_R_DROP_MALFORMED_L3,
				     "v%d fragment %d, policy %u, cut %zu", family, fragment,
				     policies[i].policy, cut);
	}
}

Test(fuzz_findings, cut_fragment4_first)
{
	cut_fragments(4, 1);
}

Test(fuzz_findings, cut_fragment4_later)
{
	cut_fragments(4, 2);
}

Test(fuzz_findings, cut_fragment6_first)
{
	cut_fragments(6, 1);
}

Test(fuzz_findings, cut_fragment6_later)
{
	cut_fragments(6, 2);
}

Test(fuzz_findings, reported_id_to_port_0)
{
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, CID_A);
	struct qs_flow f;

	port0_entry(4, QS_FRAG_HASH);
	cr_assert_eq(run_cut(&s, 0, XDP_TX), QS_R_ROUTE_CID);
	fx.n_events = 0;
	s = world_short(4, CLIENT4_B, CLIENT_PORT, CID_A);
	s.dport = 0;
	cr_assert_eq(run_cut(&s, 0, XDP_DROP), QS_R_DROP_PORT_ZERO);
	s = world_short(4, CLIENT4_B, CLIENT_PORT, "e1e2e3e4e5e6e7e8");
	s.dport = 0;
	cr_assert_eq(run_cut(&s, 0, XDP_DROP), QS_R_DROP_PORT_ZERO);
	cr_assert_eq(world_flow_get(&fx, 4, CLIENT4_B, CLIENT_PORT, &f), -ENOENT,
		     "port 0 opened an address entry");
	cr_assert_eq(fx_poll_events(&fx), 0);
	cr_assert_eq(fx.n_events, 0, "got %d ring-buffer records want 0", fx.n_events);
}
