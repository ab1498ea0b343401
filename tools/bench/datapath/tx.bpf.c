// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A trivial XDP_TX program: what the router is compared with on the router's
 * interface in the live veth benchmark.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bench_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}
