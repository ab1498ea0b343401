/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The VIP index (qs_vip_index): qs_vips as the data path reads it, one
 * array lookup per packet where a hash map's costs a keyed hash, a bucket
 * walk and a compare in the kernel (a sixth of an ID hit's time, measured
 * with perf's cpu-clock on the benchmark). The agent (and the test
 * fixture) rebuild it from qs_vips after every change; qs_vips stays the
 * record the CLI and bpftool read.
 *
 * Layout. A BPF array (BPF_F_MMAPABLE) of 32-byte elements. Element 0 is
 * the head: one 64-bit word, the half in use (bit 63) and the seed (the
 * low 63 bits). Then two halves of QS_VIP_INDEX_SLOTS slots each, direct
 * mapped: a key's slot is qs_vip_index_slot(key, seed). The writer picks a
 * seed (at random, again until no two keys share a slot: at most 4 * 32
 * keys in 4096 slots), fills the half not in use, then publishes the head
 * in one aligned store; a reader reads the head, then one slot, and
 * compares the key whole. A packet for no VIP reads the slot its
 * address would have and finds another key, or none: constant work, so
 * that no destination an attacker picks costs more than another.
 *
 * A reader that read the head just before a flip reads the old half; the
 * writer waits QS_VIP_INDEX_QUIET_MS after a flip before it writes that
 * half again, far longer than a packet's run.
 */
#ifndef QS_ABI_VIPINDEX_H
#define QS_ABI_VIPINDEX_H

#include <linux/types.h>
#include "abi/abi.h"

#define QS_VIP_INDEX_SLOTS_LOG2 12
#define QS_VIP_INDEX_SLOTS (1u << QS_VIP_INDEX_SLOTS_LOG2)
#define QS_VIP_INDEX_ELEMENTS (1 + 2 * QS_VIP_INDEX_SLOTS)
#define QS_VIP_INDEX_HALF_BIT (1ull << 63)
#define QS_VIP_INDEX_QUIET_MS 1

/* A slot: its VIP's key and value; family QS_AF_NONE (0): empty. */
struct qs_vip_slot {
	struct qs_vip_key key;
	struct qs_vip vip;
};
_Static_assert(sizeof(struct qs_vip_slot) == 32, "qs_vip_slot is 32 bytes");

struct qs_vip_index_head {
	__u64 word; /* the half in use << 63 | seed */
	__u8 pad[24];
};
_Static_assert(sizeof(struct qs_vip_index_head) == sizeof(struct qs_vip_slot),
	       "qs_vip_index head is one element");

/* The key's slot in a half: five 32-bit words, each mixed by a multiply. */
static inline __u32 qs_vip_index_slot(const struct qs_vip_key *k, __u64 seed)
{
	__u32 w[sizeof(*k) / 4];
	__u64 h = seed;

	__builtin_memcpy(w, k, sizeof(w));
	for (unsigned int i = 0; i < sizeof(w) / 4; i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
	return (__u32)(h >> (64 - QS_VIP_INDEX_SLOTS_LOG2));
}

/* The element of slot s of the half in use by head word w. */
static inline __u32 qs_vip_index_element(__u64 w, __u32 s)
{
	return 1 + (w & QS_VIP_INDEX_HALF_BIT ? QS_VIP_INDEX_SLOTS : 0) + s;
}

#endif /* QS_ABI_VIPINDEX_H */
