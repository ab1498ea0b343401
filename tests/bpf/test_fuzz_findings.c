// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the data-path fuzzer (tests/fuzz/fuzz_datapath.c) found and
 * bpf/quicsteer.bpf.c now does otherwise, each pinned by a case (the
 * fuzzer's inputs are in tests/fuzz/corpus/datapath):
 * - a fragment cut short of its IP length was forwarded (policy hash) with
 *   an outer length the frame did not have, or passed on as whole;
 * - a datagram to UDP port 0 of a VIP address matched the address-wide
 *   entry, which is for fragments, and was routed as the VIP's QUIC.
 */
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "router/reasons.h"
#include "world.h"

#define CID_A "a1a2a3a4a5a6a7a8"

static struct fx fx;

static void setup(void)
{
	uint8_t a[8];

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	pb_hex(CID_A, a, sizeof(a));
	cr_assert_eq(fx_cid(&fx, VIP4_ID, a, 8, BE_A, QS_CID_AUTHORITATIVE), 0);
}

static void teardown(void)
{
	fx_close(&fx);
}

TestSuite(fuzz_findings, .init = setup, .fini = teardown);

/* The address-wide entry of VIP4, as the agent writes one for every VIP address. */
static void port0_entry(uint8_t frag_policy)
{
	struct qs_vip v = { .vip_id = VIP4_ID,
			    .cid_len = WORLD_CID_LEN,
			    .frag_policy = frag_policy,
			    .flags = QS_VIP_F_LEARN };

	cr_assert_eq(fx_vip(&fx, VIP4, 0, &v), 0);
}

/* Runs s cut by cut bytes; the reason that counted it. */
static unsigned int run_cut(const struct pb_spec *s, size_t cut, int want_action)
{
	uint8_t in[PB_MAX_FRAME];
	size_t len = pb_build(s, in, sizeof(in));
	uint64_t before[QS_R__COUNT];
	unsigned int got = QS_R__COUNT;
	int action;

	cr_assert_gt(len, cut);
	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		before[r] = fx_reason(&fx, r);
	action = fx_run(&fx, in, len - cut, NULL, NULL);
	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		if (fx_reason(&fx, r) != before[r])
			got = r;
	cr_assert_eq(action, want_action, "cut %zu: action got %d want %d (%s)", cut, action,
		     want_action, got < QS_R__COUNT ? qs_reason_name(got) : "no reason");
	return got;
}

static struct pb_spec first_fragment(void)
{
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, CID_A);

	s.fragment = 1;
	return s;
}

Test(fuzz_findings, cut_fragment_not_forwarded)
{
	struct pb_spec s = first_fragment();

	port0_entry(QS_FRAG_HASH);
	cr_assert_eq(run_cut(&s, 0, XDP_TX), QS_R_FRAG_HASH);
	for (size_t cut = 1; cut <= 20; cut++)
		cr_assert_eq(run_cut(&s, cut, XDP_DROP), QS_R_DROP_TRUNCATED, "cut %zu", cut);
}

Test(fuzz_findings, cut_fragment_not_passed)
{
	struct pb_spec s = first_fragment();

	port0_entry(QS_FRAG_PASS);
	cr_assert_eq(run_cut(&s, 0, XDP_PASS), QS_R_FRAG_PASS);
	cr_assert_eq(run_cut(&s, 1, XDP_DROP), QS_R_DROP_TRUNCATED);
}

Test(fuzz_findings, udp_port_0_is_no_vip)
{
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, CID_A);

	port0_entry(QS_FRAG_HASH);
	cr_assert_eq(run_cut(&s, 0, XDP_TX), QS_R_ROUTE_CID);
	s.dport = 0;
	cr_assert_eq(run_cut(&s, 0, XDP_PASS), QS_R_PASS_NOT_VIP);
	s = world_initial(4, CLIENT4_B, CLIENT_PORT, "0f0e0d0c0b0a0908");
	s.dport = 0;
	cr_assert_eq(run_cut(&s, 0, XDP_PASS), QS_R_PASS_NOT_VIP);
}
