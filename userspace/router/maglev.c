// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Maglev table fill: weighted rendezvous hashing, one contest per slot.
 *
 * Slot s goes to the member b with the smallest key
 *
 *	-log2(u(s, b)) / weight_b,	u(s, b) = (hash(s, b) + 1) / 2^64 in (0, 1]
 *
 * ties (in practice only u = 1 twice) going to the lower backend id.
 *
 * Why not Google's Maglev permutation fill: its tables are deterministic,
 * but members fill slots in turns, so removing one member shifts the turns
 * of the others and a few slots move between two survivors. Every such move
 * breaks connections that the data path routes by hash alone (new flows,
 * unknown CIDs with the hash policy). We want both at once:
 *
 * 1. Determinism. A member's key for a slot depends only on the slot, its
 *    own id and its own weight, and the winner is the minimum under a total
 *    order (key, then id). So the table is a function of the member set,
 *    whatever order the members come in. Everything is integer arithmetic:
 *    libm's log() is not correctly rounded, its results differ between libm
 *    versions and with FMA contraction between CPUs, and a one-ulp
 *    difference on a near tie would make two balancers disagree on a slot.
 *    Keys are compared exactly, by cross-multiplication, so scaling every
 *    weight by the same factor gives the same table too.
 *
 * 2. Weights. -ln(u) of a uniform u is exponential with rate 1, so
 *    -ln(u) / w is exponential with rate w, and the smallest of independent
 *    exponentials belongs to member b with probability w_b / sum(w). log2
 *    differs from ln by a constant factor, which changes no winner.
 *
 * 3. Minimal disruption. Removing member b (or draining it: weight 0 takes
 *    it out of every contest) changes no contest b did not win; adding b
 *    only lets it win contests; raising b's weight only lowers b's keys.
 *    So slots move to or from the changed member only, never between two
 *    others.
 *
 * The price is size x members key evaluations instead of Maglev's roughly
 * size x ln(size): a hash, a table-interpolated log2 and two 64x64->128
 * multiplications each. Tables are rebuilt only when membership or weights
 * change, and 65537 slots x 50 members take about 20 ms on one x86-64 core.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "maglev.h"
#include "abi/abi.h"
#include "abi/quiclb.h"

/*
 * log2(m) for m in [1, 2] is interpolated linearly between 2^10 + 1 exact
 * points (Q62). log2 is concave, so the interpolation never overshoots and
 * is exact at m = 2, where the keys of slot winners (u close to 1) live:
 * their relative error stays within about 2^-12, which moves shares by far
 * less than the test tolerance and, being computed in integers, moves them
 * the same way on every balancer.
 */
#define LOG2_TABLE_BITS 10
#define LOG2_TABLE_LEN ((1u << LOG2_TABLE_BITS) + 1)
#define Q62_ONE (1ull << 62)

/* splitmix64's increment: the multiplication spreads nearby keys apart. */
#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ull

struct fill_member {
	__u64 hash_key; /* backend id in the high word; the slot goes in the low one */
	__u32 backend_id;
	__u32 weight;
};

struct fill_state {
	__u64 log2_table[LOG2_TABLE_LEN];
	struct fill_member members[]; /* weight > 0 only */
};

/*
 * Keys of (slot, backend) pairs are distinct 64-bit numbers, and both steps
 * below are bijections, so distinct pairs never share a hash. The mixer is
 * splitmix64's output function (Stafford's "variant 13" constants).
 */
static inline __u64 slot_hash(__u64 key)
{
	__u64 z = key * GOLDEN_GAMMA;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * log2(m) in Q62 for m in [1, 2) given in Q62, one result bit per squaring.
 * Too slow per slot, fine for the 1024 table points.
 */
static __u64 log2_q62_by_squaring(__u64 m)
{
	__u64 result = 0;

	for (int bit = 61; bit >= 0; bit--) {
		m = (__u64)(((unsigned __int128)m * m) >> 62);
		if (m >= 2 * Q62_ONE) {
			result |= 1ull << bit;
			m >>= 1;
		}
	}
	return result;
}

static void log2_table_fill(__u64 *table)
{
	for (__u32 i = 0; i < LOG2_TABLE_LEN - 1; i++)
		table[i] = log2_q62_by_squaring(Q62_ONE + ((__u64)i << (62 - LOG2_TABLE_BITS)));
	table[LOG2_TABLE_LEN - 1] = Q62_ONE; /* log2(2) */
}

/*
 * -log2(u) in Q57 for u = (h + 1) / 2^64. Q57 holds the largest value,
 * 64 (h = 0), and leaves 2^-57 resolution for the small keys that win.
 */
static inline __u64 neg_log2_q57(__u64 h, const __u64 *log2_table)
{
	__u64 x, frac, lo, hi, interp;
	unsigned int exp, idx;

	if (h == UINT64_MAX)
		return 0; /* u = 1 */
	x = h + 1;
	exp = 63 - __builtin_clzll(x); /* x = 2^exp * m, m in [1, 2) */
	frac = (x << (63 - exp)) << 1; /* m - 1 in Q64 */
	idx = frac >> (64 - LOG2_TABLE_BITS);
	frac = (frac << LOG2_TABLE_BITS) >> 1; /* position between the points, Q63 */
	lo = log2_table[idx];
	hi = log2_table[idx + 1];
	interp = lo + (__u64)(((unsigned __int128)(hi - lo) * frac) >> 63);
	/* -log2(u) = 64 - log2(x) = (64 - exp) - log2(m) */
	return ((__u64)(64 - exp) << 57) - (interp >> 5);
}

static bool is_prime(__u32 n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (__u32 d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/*
 * Everything is checked before the table is touched, so an error leaves
 * the caller's previous table intact rather than a half-built one.
 */
static int members_check(const struct qs_maglev_member *members, size_t n, size_t *active)
{
	__u64 seen[QS_MAX_BACKENDS / 64] = { 0 };

	if (n > QS_MAX_BACKENDS || (n && !members))
		return -EINVAL;
	*active = 0;
	for (size_t i = 0; i < n; i++) {
		__u32 id = members[i].backend_id;

		/* Ids index qs_backends; QS_NO_BACKEND (0) is never a member. */
		if (id == QS_NO_BACKEND || id >= QS_MAX_BACKENDS)
			return -EINVAL;
		if (seen[id / 64] & (1ull << (id % 64)))
			return -EINVAL;
		seen[id / 64] |= 1ull << (id % 64);
		if (members[i].weight)
			(*active)++;
	}
	return 0;
}

static void table_fill(const struct fill_state *st, size_t count, __u32 *table, __u32 size)
{
	for (__u32 slot = 0; slot < size; slot++) {
		const struct fill_member *best = &st->members[0];
		__u64 best_key = neg_log2_q57(slot_hash(best->hash_key | slot), st->log2_table);

		for (size_t i = 1; i < count; i++) {
			const struct fill_member *m = &st->members[i];
			__u64 key = neg_log2_q57(slot_hash(m->hash_key | slot), st->log2_table);
			/* key / weight < best_key / best weight, without rounding */
			unsigned __int128 lhs = (unsigned __int128)key * best->weight;
			unsigned __int128 rhs = (unsigned __int128)best_key * m->weight;

			if (lhs < rhs || (lhs == rhs && m->backend_id < best->backend_id)) {
				best = m;
				best_key = key;
			}
		}
		table[slot] = best->backend_id;
	}
}

int qs_maglev_build(const struct qs_maglev_member *members, size_t n, __u32 *table, __u32 size)
{
	struct fill_state *st;
	size_t active, count = 0;
	int err;

	if (!table || !is_prime(size))
		return -EINVAL;
	err = members_check(members, n, &active);
	if (err)
		return err;

	if (!active) {
		for (__u32 slot = 0; slot < size; slot++)
			table[slot] = QS_NO_BACKEND;
		return 0;
	}

	st = malloc(sizeof(*st) + active * sizeof(st->members[0]));
	if (!st)
		return -ENOMEM;
	log2_table_fill(st->log2_table);
	for (size_t i = 0; i < n; i++) {
		if (!members[i].weight)
			continue;
		st->members[count].hash_key = (__u64)members[i].backend_id << 32;
		st->members[count].backend_id = members[i].backend_id;
		st->members[count].weight = members[i].weight;
		count++;
	}
	table_fill(st, count, table, size);
	free(st);
	return 0;
}

size_t qs_maglev_diff(const __u32 *old, const __u32 *new, __u32 size, __u32 *changed)
{
	size_t count = 0;

	for (__u32 slot = 0; slot < size; slot++) {
		if (old && old[slot] == new[slot])
			continue;
		if (changed)
			changed[count] = slot;
		count++;
	}
	return count;
}

/* Kernels before 5.6 have no batch command; one update per slot still works. */
static int row_write_one_by_one(int map_fd, const __u32 *keys, const __u32 *values, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (bpf_map_update_elem(map_fd, &keys[i], &values[i], BPF_ANY))
			return -errno;
	}
	return 0;
}

int qs_maglev_write(int map_fd, __u32 vip_id, const __u32 *old, const __u32 *new, __u32 size)
{
	__u32 *keys, *values, batch_count;
	size_t count;
	int err;

	/* The BPF side indexes rows with a fixed stride of QS_MAGLEV_SIZE. */
	if (map_fd < 0 || !new || vip_id >= QS_MAX_VIPS || size != QS_MAGLEV_SIZE)
		return -EINVAL;

	keys = malloc(size * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	values = malloc(size * sizeof(*values));
	if (!values) {
		err = -ENOMEM;
		goto free_keys;
	}

	count = qs_maglev_diff(old, new, size, keys);
	for (size_t i = 0; i < count; i++) {
		values[i] = new[keys[i]];
		keys[i] = qs_maglev_index(vip_id, keys[i]);
	}

	err = 0;
	if (count) {
		batch_count = count;
		/*
		 * Each slot update is atomic for the data path, which sees a mix
		 * of old and new slots until the batch ends; both name live
		 * backends as long as callers retire a backend after its slots
		 * are rewritten. A failed batch may have applied a prefix, which
		 * the fallback simply rewrites.
		 */
		if (bpf_map_update_batch(map_fd, keys, values, &batch_count, NULL))
			err = row_write_one_by_one(map_fd, keys, values, count);
	}

	free(values);
free_keys:
	free(keys);
	return err ? err : (int)count;
}
