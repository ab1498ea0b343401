/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The connection-ID table (qs_cidtab): reported and operator IDs, (VIP,
 * DCID) to backend, in one cache line per lookup. The data path reads it,
 * the agent writes it with plain stores through mmap (no system call per
 * ID), the CLI reads it through the same mmap; this header is the layout
 * and the lookup all three run.
 *
 * Layout. A BPF array (BPF_F_MMAPABLE) of 64-byte buckets. Element 0 is
 * the header (struct qs_cidtab_head: the hash key and the number of
 * buckets); bucket i of the table is element 1 + i. A bucket holds
 * QS_CIDTAB_SLOTS slot words and, beside them, what the data path writes
 * per ID (its last path), all in the bucket's one cache line.
 *
 * An ID's place. h = SipHash-1-3 of its struct qs_cid_key (VIP, length,
 * the ID zero-padded) under the table's 128-bit key, drawn at random when
 * the table is made: nobody who does not hold the key can tell which IDs
 * share a bucket, so IDs chosen by a client or a backend's stolen key land
 * at random like any others. The first bucket is h's top 32 bits scaled to
 * the bucket count (a multiply and a shift: any count, so that the table
 * is sized to what is configured, not to a power of two); the fingerprint
 * is h's low QS_CIDTAB_FP_BITS bits (never 0); the second bucket is
 * (fp - first) mod buckets, an involution: from a slot's bucket and
 * fingerprint alone the agent finds its other bucket, which moving IDs
 * (cuckoo) needs. (For one first bucket in `buckets` it is the first
 * again: such an ID has one bucket.)
 *
 * A slot word: fingerprint << 14 | second << 13 | operator << 12 |
 * backend (12 bits, QS_MAX_BACKENDS); 0 is an empty slot. One aligned
 * 64-bit store publishes or removes an entry whole, so a reader never sees
 * a fingerprint with another entry's backend.
 *
 * Lookup: the first bucket's slots; the second bucket's only when the
 * first one's `displaced` says some ID of it lives there. Most hits and
 * misses touch one line. A match is a fingerprint match: the full ID is
 * not stored. Two different IDs match only if their 64-bit hashes agree
 * in the fingerprint's 50 bits and in what decides the bucket: for a
 * random absent ID, about 2^-64 / (1 / buckets), 2^-45 at 2^19 buckets,
 * per slot compared, 8 slots at most: about 1 in 4 * 10^12 lookups. The
 * key keeps an adversary from doing better than random.
 *
 * Writers (the agent alone): an entry goes in by storing its slot word
 * (release); into its second bucket only after the first's `displaced` is
 * raised; out by storing 0, then lowering `displaced`. A move writes the
 * new place before it clears the old, so a reader finds an ID that stays
 * in the table at every moment.
 */
#ifndef QS_ABI_CIDTAB_H
#define QS_ABI_CIDTAB_H

#include <linux/types.h>
#include "abi/abi.h"

#define QS_CIDTAB_SLOTS 4
#define QS_CIDTAB_FP_BITS 50
#define QS_CIDTAB_F_SECOND (1ull << 13) /* the slot is in its ID's second bucket */
#define QS_CIDTAB_F_OPERATOR (1ull << 12) /* QS_CID_OPERATOR, else authoritative */
#define QS_CIDTAB_BACKEND_MASK 0xfffull
#define QS_CIDTAB_MAGIC 0x71736369647462ull /* "qscidtb" */
/* 2: each slot's VIP beside it (1 had none: refused, the agent says so) */
#define QS_CIDTAB_VERSION 2
#define QS_CIDTAB_MIN_BUCKETS 16
#define QS_CIDTAB_MAX_BUCKETS (1u << 24)
/*
 * Buckets for a table of n IDs: slots for n at 90 % full (puts are refused
 * past about 97 %, cidtab.c). 2M IDs: 555,556 buckets, 35.6 MB.
 */
#define QS_CIDTAB_BUCKETS_FOR(n) \
	((n)*10 / 36 + 1 < QS_CIDTAB_MIN_BUCKETS ? QS_CIDTAB_MIN_BUCKETS : (n)*10 / 36 + 1)

_Static_assert(QS_MAX_BACKENDS - 1 <= QS_CIDTAB_BACKEND_MASK, "backend ids outgrow a slot word");

struct qs_cidtab_bucket {
	__u64 slot[QS_CIDTAB_SLOTS];
	struct qs_cid_path path[QS_CIDTAB_SLOTS]; /* the data path's, per slot (abi.h) */
	/* IDs whose first bucket this is that live in their second (agent) */
	__u16 displaced;
	/*
	 * Each slot's VIP, for the agent and the CLI (the data path does not
	 * read it: the VIP is in the hash): the table alone says which VIP
	 * each ID routes for, which a restarted agent needs to know which
	 * snapshot reconciles it. Written before the slot word.
	 */
	__u8 vip[QS_CIDTAB_SLOTS];
	__u8 pad[2];
} __attribute__((aligned(64)));
_Static_assert(QS_MAX_VIPS <= 256, "a VIP id outgrows a bucket's vip bytes");
_Static_assert(sizeof(struct qs_cidtab_bucket) == 64, "qs_cidtab bucket is one cache line");

/*
 * An ID's place: its first bucket and its fingerprint, what the data path
 * matches on. It names the ID in the table as well as its bytes do (two
 * IDs of one place are one entry to the data path), and it is what a slot
 * gives back, so the agent knows its IDs by place, not by their bytes.
 */
struct qs_cid_place {
	__u64 fp; /* 1 .. 2^QS_CIDTAB_FP_BITS - 1 */
	__u32 first; /* < buckets */
	__u32 pad;
};

/* A place some ID of a table of `buckets` buckets can have. */
static inline int qs_cid_place_valid(const struct qs_cid_place *p, __u32 buckets)
{
	return p->first < buckets && p->fp && !(p->fp >> QS_CIDTAB_FP_BITS);
}

/* Element 0 of the map. */
struct qs_cidtab_head {
	__u64 magic; /* QS_CIDTAB_MAGIC once the agent has made the table */
	__u64 key[2]; /* SipHash key */
	__u32 version; /* QS_CIDTAB_VERSION */
	__u32 buckets; /* QS_CIDTAB_MIN_BUCKETS..QS_CIDTAB_MAX_BUCKETS: the map's elements - 1 */
	__u8 pad[24];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct qs_cidtab_head) == 64, "qs_cidtab head is one element");

#define QS_SIPROUND(v0, v1, v2, v3)           \
	do {                                  \
		v0 += v1;                     \
		v1 = (v1 << 13) | (v1 >> 51); \
		v1 ^= v0;                     \
		v0 = (v0 << 32) | (v0 >> 32); \
		v2 += v3;                     \
		v3 = (v3 << 16) | (v3 >> 48); \
		v3 ^= v2;                     \
		v0 += v3;                     \
		v3 = (v3 << 21) | (v3 >> 43); \
		v3 ^= v0;                     \
		v2 += v1;                     \
		v1 = (v1 << 17) | (v1 >> 47); \
		v1 ^= v2;                     \
		v2 = (v2 << 32) | (v2 >> 32); \
	} while (0)

/*
 * SipHash-C-D (Aumasson and Bernstein) of n little-endian words (8 * n
 * bytes) under key k. The table uses C = 1, D = 3 (SipHash-1-3): hashing
 * one ID costs about 100 instructions, under the cost of the cache miss it
 * saves. C = 2, D = 4 is SipHash-2-4, which the tests compare with
 * libsodium's to show the rounds are right.
 */
static inline __u64 qs_siphash_words(const __u64 k[2], const __u64 *m, int n, int c, int d)
{
	__u64 v0 = 0x736f6d6570736575ull ^ k[0];
	__u64 v1 = 0x646f72616e646f6dull ^ k[1];
	__u64 v2 = 0x6c7967656e657261ull ^ k[0];
	__u64 v3 = 0x7465646279746573ull ^ k[1];
	__u64 b = (__u64)(8 * n) << 56;
	int i, r;

	for (i = 0; i < n; i++) {
		v3 ^= m[i];
		for (r = 0; r < c; r++)
			QS_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v3 ^= b;
	for (r = 0; r < c; r++)
		QS_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (r = 0; r < d; r++)
		QS_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The hash of a zero-padded key (struct qs_cid_key, 32 bytes: 4 words).
 * The words are copied, not read through a cast: a key the caller has
 * just filled would otherwise be read under the strict-aliasing rule,
 * which lets the compiler load the words before the stores that fill it.
 */
static inline __u64 qs_cidtab_hash(const __u64 k[2], const struct qs_cid_key *key)
{
	__u64 m[sizeof(*key) / 8];

	__builtin_memcpy(m, key, sizeof(m));
	return qs_siphash_words(k, m, sizeof(m) / 8, 1, 3);
}

static inline __u64 qs_cidtab_fp(__u64 h)
{
	__u64 fp = h & ((1ull << QS_CIDTAB_FP_BITS) - 1);

	return fp ? fp : 1;
}

static inline __u32 qs_cidtab_first(__u64 h, __u32 buckets)
{
	return (__u32)(((h >> 32) * buckets) >> 32);
}

/* The other bucket of an ID whose fingerprint is fp and which is in bucket i. */
static inline __u32 qs_cidtab_other(__u32 i, __u64 fp, __u32 buckets)
{
	__u32 c = fp % buckets;

	return c >= i ? c - i : c + buckets - i;
}

static inline __u64 qs_cidtab_word(__u64 fp, __u32 backend_id, int operator_kind, int second)
{
	return fp << 14 | (second ? QS_CIDTAB_F_SECOND : 0) |
	       (operator_kind ? QS_CIDTAB_F_OPERATOR : 0) | (backend_id & QS_CIDTAB_BACKEND_MASK);
}

static inline __u64 qs_cidtab_word_fp(__u64 w)
{
	return w >> 14;
}

static inline __u32 qs_cidtab_word_backend(__u64 w)
{
	return (__u32)(w & QS_CIDTAB_BACKEND_MASK);
}

/* The slot of bucket b holding fingerprint fp, or -1. */
static inline int qs_cidtab_bucket_find(const struct qs_cidtab_bucket *b, __u64 fp)
{
	int s;

	for (s = 0; s < QS_CIDTAB_SLOTS; s++)
		if (qs_cidtab_word_fp(b->slot[s]) == fp)
			return s;
	return -1;
}

#endif /* QS_ABI_CIDTAB_H */
