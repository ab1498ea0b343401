// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The benchmark's floor: an XDP program that does nothing, measured in the
 * same run as the router so that every case is reported as a ratio to what
 * BPF_PROG_RUN itself costs on this machine at this moment.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bench_floor(struct xdp_md *ctx)
{
	return XDP_PASS;
}
