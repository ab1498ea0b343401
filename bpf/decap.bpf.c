// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decap: for backends. Strips the router's IPIP, IP6IP6 or IPv4-in-IPv6
 * header and hands the inner packet to the stack unchanged. Anything else
 * passes untouched.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QS_D__COUNT);
	__type(key, __u32);
	__type(value, struct qs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_decap_stats SEC(".maps");

/* Outer header length and inner EtherType, or 0 when not encapsulated. */
static __always_inline __u32 outer_len(void *data, void *data_end, __be16 *inner_proto,
				       __u32 *reason)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6;
	struct iphdr *ip;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_IPIP || ip->ihl != 5 ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return 0;
		*inner_proto = bpf_htons(ETH_P_IP);
		*reason = QS_D_DECAP_IPIP;
		return sizeof(*ip);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return 0;
		if (ip6->nexthdr == IPPROTO_IPV6) {
			*inner_proto = bpf_htons(ETH_P_IPV6);
			*reason = QS_D_DECAP_IP6IP6;
			return sizeof(*ip6);
		}
		if (ip6->nexthdr == IPPROTO_IPIP) {
			*inner_proto = bpf_htons(ETH_P_IP);
			*reason = QS_D_DECAP_IP4IP6;
			return sizeof(*ip6);
		}
	}
	return 0;
}

static __always_inline int inner_complete(void *inner, void *data_end, __be16 proto)
{
	if (proto == bpf_htons(ETH_P_IP))
		return inner + sizeof(struct iphdr) <= data_end && (*(__u8 *)inner >> 4) == 4;
	return inner + sizeof(struct ipv6hdr) <= data_end && (*(__u8 *)inner >> 4) == 6;
}

static __always_inline int decap(struct xdp_md *ctx, __u32 *reason)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__be16 inner_proto = 0;
	struct ethhdr eth_copy;
	struct ethhdr *eth;
	__u32 len;

	len = outer_len(data, data_end, &inner_proto, reason);
	if (!len)
		return XDP_PASS;
	if (!inner_complete(data + sizeof(*eth) + len, data_end, inner_proto)) {
		*reason = QS_D_DROP_MALFORMED;
		return XDP_DROP;
	}
	__builtin_memcpy(&eth_copy, data, sizeof(eth_copy));
	if (bpf_xdp_adjust_head(ctx, len)) {
		*reason = QS_D_DROP_MALFORMED;
		return XDP_DROP;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end) {
		*reason = QS_D_DROP_MALFORMED;
		return XDP_DROP;
	}
	__builtin_memcpy(eth, &eth_copy, sizeof(*eth));
	eth->h_proto = inner_proto;
	return XDP_PASS;
}

SEC("xdp")
int quicsteer_decap(struct xdp_md *ctx)
{
	__u32 bytes = ctx->data_end - ctx->data;
	__u32 reason = QS_D_PASS_OTHER;
	int action = decap(ctx, &reason);
	struct qs_counter *c = bpf_map_lookup_elem(&qs_decap_stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
	return action;
}
