/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flow hash: Maglev slot and per-flow outer source are taken from it.
 * The data path, the agent and the CLI's `route` run this same code, and
 * every balancer of a deployment computes the same value for a client, so
 * balancers behind ECMP agree on new connections. The seed is therefore
 * fixed: changing it is an ABI change.
 *
 * The mixing is the murmur3 32-bit round and finaliser (public domain
 * constants), over the four address words and the port.
 */
#ifndef QUICSTEER_FLOWHASH_H
#define QUICSTEER_FLOWHASH_H

#include <linux/types.h>
#include "abi/abi.h"

#define QS_FLOW_HASH_SEED 0x51c57ee5u

static inline __u32 qs_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline __u32 qs_hash_round(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = qs_rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = qs_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline __u32 qs_hash_final(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * addr: four words as stored in struct qs_addr (network order, IPv4 in
 * word 0, the rest zero); port in network order. The words are hashed as
 * they lie in memory, so the result does not depend on host byte order
 * only if both sides run on hosts of the same order: true for one machine.
 */
static inline __u32 qs_flow_hash(const __u32 addr[4], __u16 port)
{
	__u32 h = QS_FLOW_HASH_SEED;

	h = qs_hash_round(h, addr[0]);
	h = qs_hash_round(h, addr[1]);
	h = qs_hash_round(h, addr[2]);
	h = qs_hash_round(h, addr[3]);
	h = qs_hash_round(h, port);
	return qs_hash_final(h ^ 20);
}

/*
 * The tag of a connection ID in an address entry (struct qs_flow): the
 * ID's QS_CID_MAX_LEN bytes as qs_cid_key holds them (zero past len) and
 * its length. Never 0, which marks an entry that no Initial opened.
 */
static inline __u32 qs_cid_tag(const __u8 *cid, __u8 len)
{
	__u32 h = QS_FLOW_HASH_SEED, w;

	for (int i = 0; i < 5; i++) {
		__builtin_memcpy(&w, cid + 4 * i, sizeof(w));
		h = qs_hash_round(h, w);
	}
	return qs_hash_final(h ^ len) | 1; /* never 0, without a branch */
}

/*
 * Is an Initial or 0-RTT packet (the tags of its DCID and SCID, 0 for an
 * empty SCID) of the connection that opened the address entry f?
 * Its retransmitted first Initials carry the DCID that opened it; its later
 * ones carry the server's ID (RFC 9000 7.2) or a Retry's (17.2.5), but the
 * client's SCID does not change (7.3). A client with an empty SCID is known
 * by its DCID alone. An entry an ID-table hit opened has no tags: no
 * Initial is of its connection.
 */
static inline int qs_flow_opened_by(const struct qs_flow *f, __u32 dcid_tag, __u32 scid_tag)
{
	return f->dcid_tag == dcid_tag || (scid_tag && f->scid_tag == scid_tag);
}

/* Coarse seconds (about 1.07 s each) an ambiguity mark holds after its last sighting. */
#define QS_FLOW_AMBIGUOUS_HOLD 5

/* Is the address entry f marked ambiguous now (CLOCK_MONOTONIC coarse ns)? */
static inline int qs_flow_ambiguous(const struct qs_flow *f, __u64 now_ns)
{
	return (f->flags & QS_FLOW_F_AMBIGUOUS) &&
	       (__u32)(now_ns >> 30) - f->ambiguous_s < QS_FLOW_AMBIGUOUS_HOLD;
}

#endif /* QUICSTEER_FLOWHASH_H */
