// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decap: for backends. Strips the router's IPIP, IP6IP6 or IPv4-in-IPv6
 * header and hands the inner packet to the stack unchanged. Anything not
 * encapsulated passes untouched.
 *
 * Everything from the wire is hostile, a tunnel packet included: whoever
 * reaches the backend can send one. So an encapsulated packet is
 * delivered only if its outer source is in a prefix of qs_decap_srcs (a
 * router's), its inner packet is UDP to an entry of qs_decap_vips (a
 * service this backend serves: never a relay to elsewhere), and the outer
 * length, the inner length and the frame agree. Anything else is dropped
 * and counted by its reason. Empty allow-lists allow nothing.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The least payload of an Ethernet frame (60 bytes without the FCS). The
 * router carries everything after the client frame's Ethernet header, so a
 * short inner packet (a small last fragment) arrives with the padding of
 * its first frame behind it.
 */
#define ETH_MIN_PAYLOAD (ETH_ZLEN - ETH_HLEN)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QS_DECAP_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct qs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_decap_cnt_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, QS_DECAP_MAX_SRCS);
	__type(key, struct qs_decap_src_key);
	__type(value, struct qs_decap_allow);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* the kernel requires it of a trie */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_decap_srcs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QS_DECAP_MAX_VIPS);
	__type(key, struct qs_vip_key);
	__type(value, struct qs_decap_allow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_decap_vips SEC(".maps");

/* What the outer header says. */
struct outer {
	struct qs_addr saddr;
	__u32 hdr_len; /* 20 or 40 */
	__u32 len; /* the packet's length as the header claims, header included */
	__be16 inner_proto;
	__u8 family;
};

/* The outer header, or 0 when the frame is not the router's encapsulation. */
static __always_inline int outer_parse(void *data, void *data_end, struct outer *o, __u32 *reason)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6;
	struct iphdr *ip;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl != 5 ||
		    ip->protocol != IPPROTO_IPIP || (ip->frag_off & bpf_htons(0x3fff)))
			return 0;
		o->family = QS_AF_INET;
		o->saddr.addr[0] = ip->saddr;
		o->hdr_len = sizeof(*ip);
		o->len = bpf_ntohs(ip->tot_len);
		o->inner_proto = bpf_htons(ETH_P_IP);
		*reason = QS_D_DECAP_IPIP;
		return 1;
	}
	if (eth->h_proto != bpf_htons(ETH_P_IPV6))
		return 0;
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return 0;
	if (ip6->nexthdr == IPPROTO_IPV6) {
		o->inner_proto = bpf_htons(ETH_P_IPV6);
		*reason = QS_D_DECAP_IP6IP6;
	} else if (ip6->nexthdr == IPPROTO_IPIP) {
		o->inner_proto = bpf_htons(ETH_P_IP);
		*reason = QS_D_DECAP_IP4IP6;
	} else {
		return 0;
	}
	o->family = QS_AF_INET6;
	__builtin_memcpy(&o->saddr, &ip6->saddr, sizeof(o->saddr));
	o->hdr_len = sizeof(*ip6);
	o->len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	return 1;
}

static __always_inline int source_allowed(const struct outer *o)
{
	struct qs_decap_src_key key = {
		.prefixlen = QS_DECAP_SRC_KEY_BITS,
		.family = o->family,
		.addr = o->saddr,
	};

	return bpf_map_lookup_elem(&qs_decap_srcs, &key) != NULL;
}

/*
 * The inner packet's length as its header claims, or 0 if that header is
 * cut, not IP of proto, or claims less than itself.
 */
static __always_inline __u32 inner_len(void *inner, void *data_end, __be16 proto)
{
	struct ipv6hdr *ip6 = inner;
	struct iphdr *ip = inner;
	__u32 len;

	if (proto == bpf_htons(ETH_P_IP)) {
		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
			return 0;
		len = bpf_ntohs(ip->tot_len);
		return len < ip->ihl * 4u ? 0 : len;
	}
	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return 0;
	return sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
}

/*
 * The outer header claims exactly itself and the inner packet, and the
 * frame carries exactly that: nothing smuggled behind the inner packet,
 * nothing cut off it. The one exception is the Ethernet padding a short
 * inner packet carries from its first frame (ETH_MIN_PAYLOAD).
 */
static __always_inline int lengths_agree(const struct outer *o, __u32 frame_len, __u32 inner)
{
	__u32 carried = frame_len - ETH_HLEN - o->hdr_len;

	if (o->len != o->hdr_len + inner)
		return 0;
	return carried == inner ||
	       (inner < ETH_MIN_PAYLOAD && carried > inner && carried <= ETH_MIN_PAYLOAD);
}

/*
 * Whether the inner packet is UDP to an allowed VIP (fragments: to the
 * entry of port 0); QS_D_DROP_MALFORMED when its headers do not parse.
 */
static __always_inline __u32 inner_check(void *data, void *data_end, const struct outer *o,
					 __u32 inner)
{
	struct pkt p = { .l3_off = ETH_HLEN + o->hdr_len };
	struct qs_vip_key key = {};
	struct udphdr *udp;
	int ret;

	if (o->inner_proto == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(&p, data, data_end);
	else
		ret = parse_ipv6(&p, data, data_end);
	if (ret == PARSE_MALFORMED)
		return QS_D_DROP_MALFORMED;
	if (ret != PARSE_OK && ret != PARSE_FRAGMENT)
		return QS_D_DROP_NOT_VIP;
	if (ret == PARSE_OK) {
		udp = data + (p.l4_off & 0xffff);
		/* within the inner packet, not in the padding behind it */
		if ((void *)(udp + 1) > data_end || p.l4_off + sizeof(*udp) > p.l3_off + inner)
			return QS_D_DROP_MALFORMED;
		key.port = udp->dest;
	}
	key.addr = p.daddr;
	key.family = p.family;
	if (!bpf_map_lookup_elem(&qs_decap_vips, &key))
		return QS_D_DROP_NOT_VIP;
	return 0;
}

static __always_inline int decap(struct xdp_md *ctx, __u32 *reason)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 frame_len = data_end - data;
	struct outer o = {};
	struct ethhdr eth_copy;
	struct ethhdr *eth;
	__u32 inner, why;

	if (!outer_parse(data, data_end, &o, reason))
		return XDP_PASS;
	if (!source_allowed(&o)) {
		*reason = QS_D_DROP_SOURCE;
		return XDP_DROP;
	}
	inner = inner_len(data + ETH_HLEN + o.hdr_len, data_end, o.inner_proto);
	if (!inner) {
		*reason = QS_D_DROP_MALFORMED;
		return XDP_DROP;
	}
	if (!lengths_agree(&o, frame_len, inner)) {
		*reason = QS_D_DROP_LENGTH;
		return XDP_DROP;
	}
	why = inner_check(data, data_end, &o, inner);
	if (why) {
		*reason = why;
		return XDP_DROP;
	}
	__builtin_memcpy(&eth_copy, data, sizeof(eth_copy));
	if (bpf_xdp_adjust_head(ctx, o.hdr_len)) {
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
	eth->h_proto = o.inner_proto;
	return XDP_PASS;
}

SEC("xdp")
int quicsteer_decap(struct xdp_md *ctx)
{
	__u32 bytes = ctx->data_end - ctx->data;
	__u32 reason = QS_D_PASS_OTHER;
	int action = decap(ctx, &reason);
	struct qs_counter *c = bpf_map_lookup_elem(&qs_decap_cnt_v2, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
	return action;
}
