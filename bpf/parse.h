/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Ethernet, VLAN, IPv4, IPv6 and UDP parsing. Nothing here trusts a length. */
#ifndef QS_BPF_PARSE_H
#define QS_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"

#define QS_MAX_VLAN_TAGS 2
#define QS_MAX_IPV6_EXT 4

#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* What the parser learned of one frame. Offsets are from the frame start. */
struct pkt {
	struct qs_addr saddr;
	struct qs_addr daddr;
	__u32 frame_len;
	__u32 l3_off; /* IP header */
	__u32 l4_off; /* UDP header */
	__u32 l3_len; /* IP total length as the header claims */
	__u32 payload_len; /* UDP payload bytes */
	__be16 sport;
	__be16 dport;
	__u8 family;
	__u8 tos; /* IPv4 TOS or IPv6 traffic class */
	__u8 is_fragment;
	__u8 vlan_bytes;
	__u8 l3_len_bad; /* l3_len is under the IP headers or past the frame's end */
};

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP,
	PARSE_NOT_UDP,
	PARSE_MALFORMED,
	PARSE_FRAGMENT, /* addresses valid, ports not */
};

static __always_inline int parse_eth(struct pkt *p, void *data, void *data_end, __u16 *proto)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__u16 h_proto;

	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	h_proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < QS_MAX_VLAN_TAGS; i++) {
		struct vlan_tag *tag = data + off;

		if (h_proto != bpf_htons(ETH_P_8021Q) && h_proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > data_end)
			return PARSE_MALFORMED;
		h_proto = tag->proto;
		off += sizeof(*tag);
	}
	p->vlan_bytes = off - sizeof(*eth);
	p->l3_off = off;
	*proto = h_proto;
	return PARSE_OK;
}

/*
 * The IP length is what encapsulation writes into the outer header: it must
 * cover the hdr_len bytes of headers parsed and end within the frame (bytes
 * after it are Ethernet padding).
 */
static __always_inline void l3_len_check(struct pkt *p, __u32 hdr_len)
{
	p->l3_len_bad = p->l3_len < hdr_len || p->l3_off + p->l3_len > p->frame_len;
}

static __always_inline int parse_ipv4(struct pkt *p, void *data, void *data_end)
{
	struct iphdr *ip = data + p->l3_off;
	__u32 ihl_bytes;

	if ((void *)(ip + 1) > data_end)
		return PARSE_MALFORMED;
	ihl_bytes = ip->ihl * 4;
	if (ip->version != 4 || ihl_bytes < sizeof(*ip))
		return PARSE_MALFORMED;
	p->family = QS_AF_INET;
	p->saddr.addr[0] = ip->saddr;
	p->daddr.addr[0] = ip->daddr;
	p->tos = ip->tos;
	p->l3_len = bpf_ntohs(ip->tot_len);
	l3_len_check(p, ihl_bytes);
	if (ip->protocol != IPPROTO_UDP)
		return PARSE_NOT_UDP;
	if (ip->frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET_MASK))
		return PARSE_FRAGMENT;
	p->l4_off = p->l3_off + ihl_bytes;
	return PARSE_OK;
}

static __always_inline int ipv6_ext_header(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS;
}

static __always_inline int parse_ipv6(struct pkt *p, void *data, void *data_end)
{
	struct ipv6hdr *ip6 = data + p->l3_off;
	__u32 off = p->l3_off + sizeof(*ip6);
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > data_end)
		return PARSE_MALFORMED;
	if (ip6->version != 6)
		return PARSE_MALFORMED;
	p->family = QS_AF_INET6;
	__builtin_memcpy(&p->saddr, &ip6->saddr, sizeof(p->saddr));
	__builtin_memcpy(&p->daddr, &ip6->daddr, sizeof(p->daddr));
	p->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	p->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	nexthdr = ip6->nexthdr;
#pragma unroll
	for (int i = 0; i < QS_MAX_IPV6_EXT; i++) {
		__u8 *ext = data + (off & 0xffff);

		if (nexthdr == IPPROTO_FRAGMENT) {
			l3_len_check(p, off - p->l3_off + 8); /* with the fragment header */
			return PARSE_FRAGMENT;
		}
		if (!ipv6_ext_header(nexthdr))
			break;
		if ((void *)(ext + 2) > data_end)
			return PARSE_MALFORMED;
		nexthdr = ext[0];
		off += (ext[1] + 1) * 8;
	}
	if (nexthdr != IPPROTO_UDP)
		return PARSE_NOT_UDP;
	l3_len_check(p, off - p->l3_off);
	p->l4_off = off;
	return PARSE_OK;
}

/* Returns PARSE_* ; on PARSE_OK the UDP ports and payload are known. */
static __always_inline int parse_frame(struct pkt *p, void *data, void *data_end)
{
	struct udphdr *udp;
	__u16 proto;
	__u32 udp_len;
	int ret;

	p->frame_len = data_end - data;
	ret = parse_eth(p, data, data_end, &proto);
	if (ret)
		return ret;
	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(p, data, data_end);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = parse_ipv6(p, data, data_end);
	else
		return PARSE_NOT_IP;
	if (ret)
		return ret;

	udp = data + (p->l4_off & 0xffff);
	if ((void *)(udp + 1) > data_end)
		return PARSE_MALFORMED;
	p->sport = udp->source;
	p->dport = udp->dest;
	udp_len = bpf_ntohs(udp->len);
	/* A length beyond the frame or the IP packet is a cut datagram (and
	 * a bad IP length, l3_len_bad, a malformed one); the caller decides,
	 * once it knows whether the datagram is for a VIP.
	 */
	if (udp_len < sizeof(*udp) || p->l4_off + udp_len > p->frame_len ||
	    p->l4_off + udp_len > p->l3_off + p->l3_len)
		p->payload_len = 0xffffffff;
	else
		p->payload_len = udp_len - sizeof(*udp);
	return PARSE_OK;
}

#endif /* QS_BPF_PARSE_H */
