// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The live veth benchmark's packet generator, run through BPF_PROG_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES: XDP_TX sends each frame out of ingress_ifindex.
 *
 * It is not a bare XDP_TX program because live-frame pages are recycled
 * without their content being rewritten (Documentation/bpf/bpf_prog_run.rst),
 * and a veth hands the very page on: the router encapsulates in place, so a
 * page coming back from the sink starts with the tail of an outer IP header
 * where the Ethernet header was. Without the restore below only the first
 * batch would reach the router as the intended frame, and the rest would be
 * measured as "not IP". Both programs compared on rtr0 pay for the restore.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define GEN_HEAD_LEN 64 /* covers every byte the router rewrites in place */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The first GEN_HEAD_LEN bytes of the frame, set through the skeleton. */
const volatile __u8 gen_head[GEN_HEAD_LEN];

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	if (bpf_xdp_store_bytes(ctx, 0, (void *)gen_head, GEN_HEAD_LEN))
		return XDP_ABORTED;
	return XDP_TX;
}
