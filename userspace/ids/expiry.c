// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Learned IDs wait in a hash table that also keeps insertion order. With
 * one TTL for all, deadlines grow in that order, so expiry only looks at
 * the oldest entries until it meets one still in time.
 *
 * The table is made once and never emptied (a sentinel, first in order,
 * skipped), so that it is neither freed nor cleared again, at 2^19
 * buckets (8 MiB), and doubles (rehashing every entry inline, on the
 * intake thread) only when a chain reaches 64 entries, far past the two
 * million IDs the ID table holds (cidreg_records.c says why).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/hash.h" /* before uthash: learned IDs are a client's choice */
#include "expiry.h"

#undef HASH_BKT_CAPACITY_THRESH
#define HASH_BKT_CAPACITY_THRESH 64U
#undef HASH_INITIAL_NUM_BUCKETS
#undef HASH_INITIAL_NUM_BUCKETS_LOG2
#define HASH_INITIAL_NUM_BUCKETS_LOG2 19U
#define HASH_INITIAL_NUM_BUCKETS (1U << HASH_INITIAL_NUM_BUCKETS_LOG2)

struct learned {
	struct qs_cid_key key;
	__u64 deadline_ns;
	UT_hash_handle hh;
};

struct qs_expiry {
	struct qs_expiry_table table;
	__u64 learned_ttl_ns;
	struct learned *pending; /* in deadline order, the sentinel first */
	struct learned sentinel; /* cid_len 0: no ID's key */
	struct qs_expiry_stats stats;
};

struct qs_expiry *qs_expiry_new(const struct qs_expiry_table *table, __u64 learned_ttl_ns)
{
	struct qs_expiry *x;
	int err = qs_hash_init();

	/* never a table under a key anyone knows */
	if (err || !learned_ttl_ns) {
		errno = err ? -err : EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->table = *table;
	x->learned_ttl_ns = learned_ttl_ns;
	HASH_ADD(hh, x->pending, key, sizeof(x->sentinel.key), &x->sentinel);
	return x;
}

int qs_expiry_set_ttl(struct qs_expiry *x, __u64 learned_ttl_ns)
{
	if (!learned_ttl_ns)
		return -EINVAL;
	/* IDs already waiting keep their deadlines; new ones get the new TTL */
	x->learned_ttl_ns = learned_ttl_ns;
	return 0;
}

void qs_expiry_free(struct qs_expiry *x)
{
	struct learned *l, *tmp;

	if (!x)
		return;
	HASH_ITER (hh, x->pending, l, tmp) {
		HASH_DEL(x->pending, l);
		if (l != &x->sentinel)
			free(l);
	}
	free(x);
}

/* Tracks key until deadline; an ID already waiting keeps its deadline. */
static int track(struct qs_expiry *x, const struct qs_cid_key *key, __u64 deadline_ns)
{
	struct learned *l;

	HASH_FIND(hh, x->pending, key, sizeof(*key), l);
	if (l)
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->key = *key;
	l->deadline_ns = deadline_ns;
	HASH_ADD(hh, x->pending, key, sizeof(l->key), l);
	x->stats.learned++;
	x->stats.tracked++;
	return 0;
}

int qs_expiry_event(struct qs_expiry *x, const struct qs_event *ev)
{
	struct qs_cid_key key;

	if (ev->type != QS_EV_LEARNED_CID)
		return 0;
	if (ev->cid_len == 0 || ev->cid_len > QS_CID_MAX_LEN || ev->vip_id >= QS_MAX_VIPS)
		return -EINVAL;
	memset(&key, 0, sizeof(key));
	memcpy(key.cid, ev->cid, ev->cid_len);
	key.cid_len = ev->cid_len;
	key.vip_id = ev->vip_id;
	return track(x, &key, ev->ts_ns + x->learned_ttl_ns);
}

int qs_expiry_found(struct qs_expiry *x, const struct qs_cid_key *key, __u64 now_ns)
{
	return track(x, key, now_ns + x->learned_ttl_ns);
}

/* The deadline of l has passed: remove its entry unless it was confirmed. */
static int expire_learned(struct qs_expiry *x, struct learned *l)
{
	int ret = x->table.expire(x->table.ctx, &l->key);

	if (ret == QS_EXPIRY_EXPIRED)
		x->stats.expired++;
	else if (ret == QS_EXPIRY_CONFIRMED)
		x->stats.confirmed++;
	else if (ret == -ENOENT)
		x->stats.gone++;
	else
		return ret < 0 ? ret : -EINVAL;
	HASH_DEL(x->pending, l);
	free(l);
	x->stats.tracked--;
	return 0;
}

int qs_expiry_expire(struct qs_expiry *x, __u64 now_ns, size_t budget)
{
	struct learned *l, *tmp;
	int err;

	HASH_ITER (hh, x->pending, l, tmp) {
		if (l == &x->sentinel)
			continue;
		if (l->deadline_ns > now_ns)
			return 0;
		if (!budget--)
			return 1;
		err = expire_learned(x, l);
		if (err)
			return err;
	}
	return 0;
}

__u64 qs_expiry_next_deadline(const struct qs_expiry *x)
{
	const struct learned *oldest = x->sentinel.hh.next; /* NULL: none */

	return oldest ? oldest->deadline_ns : 0;
}

const struct qs_expiry_stats *qs_expiry_stats(const struct qs_expiry *x)
{
	return &x->stats;
}

unsigned int qs_expiry_longest_chain(const struct qs_expiry *x)
{
	return qs_hash_longest_chain(x->pending->hh.tbl);
}
