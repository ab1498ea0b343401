// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* qs_vip_index's writer (vipindex.h, include/abi/vipindex.h). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "abi/vipindex.h"
#include "maps.h"
#include "vipindex.h"
#include "util/clock.h"

/* qs_vips' entries at most (its max_entries in bpf/maps.h) */
#define MAX_KEYS (4 * QS_MAX_VIPS)
#define SEED_TRIES 4096

struct vip_set {
	struct qs_vip_slot e[MAX_KEYS];
	size_t n;
};

/* The head's pad keeps the time of the last flip (CLOCK_MONOTONIC ns), for the next writer. */
struct head_view {
	__u64 word;
	__u64 flip_ns;
	__u8 pad[16];
};
_Static_assert(sizeof(struct head_view) == sizeof(struct qs_vip_index_head), "head_view");

static int collect(void *ctx, const void *key, const void *value)
{
	struct vip_set *set = ctx;

	if (set->n == MAX_KEYS)
		return -E2BIG;
	memcpy(&set->e[set->n].key, key, sizeof(struct qs_vip_key));
	memcpy(&set->e[set->n].vip, value, sizeof(struct qs_vip));
	set->n++;
	return 0;
}

static struct qs_vip_slot *half_of(struct qs_vip_slot *mem, __u64 word)
{
	return mem + qs_vip_index_element(word, 0);
}

/* Every key of set in its own slot under seed; false at the first two sharing one. */
static bool seed_fits(const struct vip_set *set, __u64 seed)
{
	static __u8 used[QS_VIP_INDEX_SLOTS];

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < set->n; i++) {
		__u32 s = qs_vip_index_slot(&set->e[i].key, seed);

		if (used[s]++)
			return false;
	}
	return true;
}

/* The half in use holds exactly set. */
static bool index_holds(struct qs_vip_slot *mem, __u64 word, const struct vip_set *set)
{
	const struct qs_vip_slot *half = half_of(mem, word);
	__u64 seed = word & ~QS_VIP_INDEX_HALF_BIT;
	size_t used = 0;

	for (__u32 s = 0; s < QS_VIP_INDEX_SLOTS; s++)
		used += half[s].key.family != QS_AF_NONE;
	if (used != set->n)
		return false;
	for (size_t i = 0; i < set->n; i++)
		if (memcmp(&half[qs_vip_index_slot(&set->e[i].key, seed)], &set->e[i],
			   sizeof(set->e[i])))
			return false;
	return true;
}

static void quiet_wait(const struct head_view *h)
{
	__u64 until = h->flip_ns + QS_VIP_INDEX_QUIET_MS * 1000000ull, now = qs_now_ns();

	if (h->flip_ns && now < until) {
		struct timespec ts = { (until - now) / 1000000000ull, (until - now) % 1000000000ull };

		nanosleep(&ts, NULL);
	}
}

static int publish(struct qs_vip_slot *mem, const struct vip_set *set)
{
	struct head_view *h = (struct head_view *)mem;
	__u64 word = __atomic_load_n(&h->word, __ATOMIC_ACQUIRE), seed, next;
	struct qs_vip_slot *half;
	int tries;

	if (index_holds(mem, word, set))
		return 0;
	for (tries = 0; tries < SEED_TRIES; tries++) {
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			return -errno ?: -EIO;
		seed &= ~QS_VIP_INDEX_HALF_BIT;
		if (seed_fits(set, seed))
			break;
	}
	if (tries == SEED_TRIES)
		return -ENOSPC;
	next = (~word & QS_VIP_INDEX_HALF_BIT) | seed;
	quiet_wait(h);
	half = half_of(mem, next);
	memset(half, 0, QS_VIP_INDEX_SLOTS * sizeof(*half));
	for (size_t i = 0; i < set->n; i++)
		half[qs_vip_index_slot(&set->e[i].key, seed)] = set->e[i];
	__atomic_store_n(&h->word, next, __ATOMIC_RELEASE);
	h->flip_ns = qs_now_ns();
	return 0;
}

int qs_vip_index_sync(int vips_fd, int index_fd)
{
	static struct vip_set set;
	size_t bytes = QS_VIP_INDEX_ELEMENTS * sizeof(struct qs_vip_slot);
	struct qs_vip_slot *mem;
	int err;

	set.n = 0;
	err = qs_map_scan(vips_fd, sizeof(struct qs_vip_key), sizeof(struct qs_vip), collect, &set);
	if (err)
		return err;
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, index_fd, 0);
	if (mem == MAP_FAILED)
		return -errno;
	err = publish(mem, &set);
	munmap(mem, bytes);
	return err;
}
