// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * For the cluster testbed's edge router (tests/netns/cluster.sh), on the
 * ingress of its client link: forgets the packet's flow hash.
 *
 * Why: a veth keeps the sender's skb hash, and a connected IPv6 UDP
 * socket stamps its packets with a random per-socket hash marked as an
 * L4 hash. Linux's multipath routing takes an L4 hash already present
 * instead of hashing the 5-tuple (rt6_multipath_hash, policy 1), so the
 * edge would spread IPv6 flows by the client socket's random number, and
 * `ip route get ... sport P` could not say where a flow goes. A packet
 * from another machine arrives without the sender's hash (a NIC hashes
 * the 5-tuple itself); clearing it here gives the edge that behaviour.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int edge_nohash(struct __sk_buff *skb)
{
	bpf_set_hash_invalid(skb);
	return TC_ACT_OK;
}
