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
#include <time.h>
#include <bpf/bpf.h>
#include <uthash.h>
#include "expiry.h"
#include "router/maps.h"

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
	int cids_fd;
	__u64 learned_ttl_ns;
	struct learned *pending; /* in deadline order, the sentinel first */
	struct learned sentinel; /* cid_len 0: no ID's key */
	struct qs_expiry_stats stats;
};

/* Entries of qs_flows read per step: a few hundred microseconds of work. */
#define FLOW_SWEEP_CHUNK 1024

struct qs_flow_sweep {
	__u64 flow_idle_ns;
	__u64 now_ns; /* of the step running */
	__u64 kept; /* entries the pass found in use so far */
	struct qs_map_walk walk;
	struct qs_flow_sweep_stats stats;
};

struct qs_expiry *qs_expiry_new(int cids_fd, __u64 learned_ttl_ns)
{
	struct qs_expiry *x;

	if (!learned_ttl_ns) {
		errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->cids_fd = cids_fd;
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

/* What a scan of the tables needs beside the entry. */
struct scan_ctx {
	struct qs_expiry *x;
	__u64 now;
	__u64 kept;
};

static int scan_learned(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_entry *e = value;
	struct scan_ctx *c = ctx;

	return e->kind == QS_CID_LEARNED ? track(c->x, key, c->now + c->x->learned_ttl_ns) : 0;
}

int qs_expiry_scan_learned(struct qs_expiry *x, __u64 now_ns)
{
	struct scan_ctx c = { x, now_ns, 0 };

	return qs_map_scan(x->cids_fd, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry),
			   scan_learned, &c);
}

/* The deadline of l has passed: remove its entry unless it was confirmed. */
static int expire_learned(struct qs_expiry *x, struct learned *l)
{
	struct qs_cid_entry e;

	if (bpf_map_lookup_elem(x->cids_fd, &l->key, &e)) {
		if (errno != ENOENT)
			return -errno;
		x->stats.gone++;
	} else if (e.kind != QS_CID_LEARNED) {
		x->stats.confirmed++;
	} else if (bpf_map_delete_elem(x->cids_fd, &l->key) == 0) {
		x->stats.expired++;
	} else if (errno != ENOENT) {
		return -errno;
	}
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

struct qs_flow_sweep *qs_flow_sweep_new(int flows_fd, __u64 flow_idle_ns)
{
	struct qs_flow_sweep *s;

	if (flow_idle_ns < QS_FLOW_IDLE_MIN_NS) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->flow_idle_ns = flow_idle_ns;
	if (qs_map_walk_init(&s->walk, flows_fd, sizeof(struct qs_flow_key),
			     sizeof(struct qs_flow), FLOW_SWEEP_CHUNK)) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void qs_flow_sweep_free(struct qs_flow_sweep *s)
{
	if (!s)
		return;
	qs_map_walk_free(&s->walk);
	free(s);
}

int qs_flow_sweep_set_idle(struct qs_flow_sweep *s, __u64 flow_idle_ns)
{
	if (flow_idle_ns < QS_FLOW_IDLE_MIN_NS)
		return -EINVAL;
	s->flow_idle_ns = flow_idle_ns;
	return 0;
}

static int sweep_flow(void *ctx, const void *key, const void *value)
{
	const struct qs_flow *f = value;
	struct qs_flow_sweep *s = ctx;

	if (f->last_seen_ns + s->flow_idle_ns > s->now_ns) {
		s->kept++;
		return 0;
	}
	if (bpf_map_delete_elem(s->walk.fd, key) == 0)
		s->stats.flows_expired++;
	else if (errno != ENOENT)
		return -errno;
	return 0;
}

int qs_flow_sweep_step(struct qs_flow_sweep *s, __u64 now_ns)
{
	int ret;

	s->now_ns = now_ns;
	ret = qs_map_walk_step(&s->walk, sweep_flow, s);
	if (ret == 1) {
		s->stats.flows = s->kept;
		s->stats.passes++;
	}
	if (ret) /* a pass ended, or failed: the next step starts another */
		s->kept = 0;
	if (ret < 0)
		s->walk.first = 1;
	return ret;
}

const struct qs_flow_sweep_stats *qs_flow_sweep_stats(const struct qs_flow_sweep *s)
{
	return &s->stats;
}
