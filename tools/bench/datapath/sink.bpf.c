// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The far end of the live veth benchmark: counts and drops every frame that
 * arrives. It must be an XDP program, not a socket or the stack, because a
 * veth silently drops XDP_TX frames sent by its peer unless an XDP program
 * is attached on the receiving side (TESTBED.md).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Per-CPU so that counting adds no shared cache line to the measured path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_packets SEC(".maps");

SEC("xdp")
int bench_sink(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&sink_packets, &key);

	if (n)
		(*n)++;
	return XDP_DROP;
}
