/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Forwarding towards a backend: IP-in-IP encapsulation (4in4, 6in6, 4in6)
 * or a MAC rewrite (layer-2 direct server return), out of the receiving
 * device (XDP_TX) or another one (XDP_REDIRECT through qs_tx_ports).
 *
 * Encapsulation replaces the Ethernet header and any VLAN tags with a fresh
 * Ethernet header for the next hop: the egress is described by the next-hop
 * entry, not by the tags the packet arrived with.
 */
#ifndef QS_BPF_FORWARD_H
#define QS_BPF_FORWARD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"
#include "maps.h"
#include "parse.h"

#define DEFAULT_TTL 64
#define IPV4_DF 0x4000

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline void ipv4_set_csum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

	ip->check = 0;
#pragma unroll
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	ip->check = csum_fold(sum);
}

/*
 * dmac and smac lie together in the next hop, 8-byte aligned: one 8-byte
 * and one 4-byte copy instead of twelve byte copies. The packet side may
 * be unaligned, which XDP allows on the architectures it runs on.
 */
static __always_inline void eth_write(struct ethhdr *eth, const struct qs_nexthop *nh, __be16 proto)
{
	*(__u64 *)eth = *(const __u64 *)nh->dmac;
	*(__u32 *)((__u8 *)eth + 8) = *(const __u32 *)(nh->dmac + 8);
	eth->h_proto = proto;
}

/* Outer IPv4 source: the next hop's address, low bits from the flow hash. */
static __always_inline __be32 outer_src4(const struct qs_nexthop *nh, __u32 hash)
{
	__u32 bits = nh->src4_flow_bits > 16 ? 16 : nh->src4_flow_bits;
	__u32 mask = (1u << bits) - 1;

	return bpf_htonl((bpf_ntohl(nh->src4) & ~mask) | (hash & mask));
}

static __always_inline __u8 outer_ttl(const struct qs_nexthop *nh)
{
	return nh->ttl ? nh->ttl : DEFAULT_TTL;
}

static __always_inline int encap_ipv4(struct xdp_md *ctx, const struct pkt *p,
				      const struct qs_backend *be, const struct qs_nexthop *nh,
				      __u32 hash)
{
	int delta = (int)sizeof(struct iphdr) - (int)p->vlan_bytes;
	struct ethhdr *eth;
	struct iphdr *ip;
	void *data_end;

	if (bpf_xdp_adjust_head(ctx, -delta))
		return -1;
	eth = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return -1;
	eth_write(eth, nh, bpf_htons(ETH_P_IP));
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tos = p->tos;
	ip->tot_len = bpf_htons(p->l3_len + sizeof(*ip));
	ip->id = 0;
	ip->frag_off = bpf_htons(IPV4_DF);
	ip->ttl = outer_ttl(nh);
	ip->protocol = IPPROTO_IPIP;
	ip->saddr = outer_src4(nh, hash);
	ip->daddr = be->addr.addr[0];
	ipv4_set_csum(ip);
	return 0;
}

static __always_inline int encap_ipv6(struct xdp_md *ctx, const struct pkt *p,
				      const struct qs_backend *be, const struct qs_nexthop *nh,
				      __u32 hash)
{
	int delta = (int)sizeof(struct ipv6hdr) - (int)p->vlan_bytes;
	struct ipv6hdr *ip6;
	struct ethhdr *eth;
	void *data_end;
	__u32 flowlbl = hash & 0xfffff;

	if (bpf_xdp_adjust_head(ctx, -delta))
		return -1;
	eth = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return -1;
	eth_write(eth, nh, bpf_htons(ETH_P_IPV6));
	ip6->version = 6;
	ip6->priority = p->tos >> 4;
	ip6->flow_lbl[0] = ((p->tos & 0xf) << 4) | (flowlbl >> 16);
	ip6->flow_lbl[1] = flowlbl >> 8;
	ip6->flow_lbl[2] = flowlbl;
	ip6->payload_len = bpf_htons(p->l3_len);
	ip6->nexthdr = p->family == QS_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	ip6->hop_limit = outer_ttl(nh);
	__builtin_memcpy(&ip6->saddr, &nh->src6, sizeof(ip6->saddr));
	ip6->saddr.in6_u.u6_addr16[7] = bpf_htons(hash & 0xffff);
	__builtin_memcpy(&ip6->daddr, &be->addr, sizeof(ip6->daddr));
	return 0;
}

static __always_inline int l2_rewrite(struct xdp_md *ctx, const struct qs_nexthop *nh)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return -1;
	eth_write(eth, nh, eth->h_proto);
	return 0;
}

/*
 * Sends the packet to backend_id. Returns the XDP action and sets *reason
 * when forwarding fails (the routing reason stands otherwise). The outer
 * header carries p->l3_len: callers forward only packets whose IP length
 * the parser found to cover the headers and end within the frame
 * (!p->l3_len_bad).
 */
static __always_inline int forward(struct xdp_md *ctx, const struct pkt *p, __u8 fwd_mode,
				   __u32 backend_id, __u32 hash, __u32 *reason)
{
	const struct qs_nexthop *nh;
	const struct qs_backend *be;
	__u32 nh_id;
	int err, redirect;

	be = bpf_map_lookup_elem(&qs_backends, &backend_id);
	if (!be || be->family == QS_AF_NONE) {
		*reason = QS_R_DROP_NO_BACKEND;
		return XDP_DROP;
	}
	/*
	 * A backend is down when its heartbeats stopped (or by configuration):
	 * its IDs still lead to it. It may be alive with only its report path
	 * broken, and if it is dead no other backend holds its connections'
	 * state, so sending them elsewhere would only provoke stateless resets.
	 * They are counted apart; removing the backend stops them.
	 */
	if (be->state == QS_BACKEND_DOWN &&
	    (*reason == QS_R_ROUTE_CID || *reason == QS_R_ROUTE_CID_LEARNED))
		*reason = QS_R_ROUTE_CID_DOWN;
	nh_id = be->nexthop_id;
	nh = bpf_map_lookup_elem(&qs_nexthops, &nh_id);
	if (!nh || !(nh->flags & QS_NEXTHOP_F_VALID)) {
		*reason = QS_R_DROP_NO_NEXTHOP;
		return XDP_DROP;
	}
	/* out of the device it came in on: XDP_TX, cheaper than a redirect */
	redirect = nh->tx_ifindex && nh->tx_ifindex != ctx->ingress_ifindex;
	if (redirect && !bpf_map_lookup_elem(&qs_tx_ports, &nh->tx_ifindex)) {
		*reason = QS_R_DROP_NO_NEXTHOP;
		return XDP_DROP;
	}
	if (fwd_mode == QS_FWD_L2DSR)
		err = l2_rewrite(ctx, nh);
	else if (be->family == QS_AF_INET6)
		err = encap_ipv6(ctx, p, be, nh, hash);
	else if (p->family == QS_AF_INET)
		err = encap_ipv4(ctx, p, be, nh, hash);
	else {
		*reason = QS_R_DROP_FAMILY;
		return XDP_DROP;
	}
	if (err) {
		*reason = QS_R_DROP_ENCAP;
		return XDP_DROP;
	}
	if (redirect)
		return bpf_redirect_map(&qs_tx_ports, nh->tx_ifindex, XDP_DROP);
	return XDP_TX;
}

#endif /* QS_BPF_FORWARD_H */
