// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The connection-ID table's writer and readers in userspace (cidtab.h,
 * include/abi/cidtab.h for the layout and the rules of a write).
 *
 * An ID goes into the first of its two buckets with a free slot. When
 * both are full, a breadth-first search over the IDs already there (each
 * may move to its own other bucket) finds the shortest chain of moves
 * that frees a slot, at most MOVE_NODES buckets looked at; the moves are
 * made from the free end back, each writing the new place before clearing
 * the old. At the loads the table runs at (under half full at its sizing)
 * a search is rare; it is what lets the table fill past 90 % before a
 * put is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "cidtab.h"
#include "maps.h"

#define MOVE_NODES 512

__u32 qs_cidtab_buckets_for(__u64 entries)
{
	__u64 n = QS_CIDTAB_BUCKETS_FOR(entries);

	return n > QS_CIDTAB_MAX_BUCKETS ? QS_CIDTAB_MAX_BUCKETS : (__u32)n;
}

static void store_word(__u64 *slot, __u64 w)
{
	__atomic_store_n(slot, w, __ATOMIC_RELEASE);
}

static void displaced_add(struct qs_cidtab_bucket *b, int d)
{
	__atomic_store_n(&b->displaced, (__u16)(b->displaced + d), __ATOMIC_RELEASE);
}

static int head_make(struct qs_cidtab *t, __u32 buckets)
{
	struct qs_cidtab_head h = { .version = QS_CIDTAB_VERSION, .buckets = buckets };

	if (getrandom(h.key, sizeof(h.key), 0) != sizeof(h.key))
		return -errno ?: -EIO;
	memcpy(t->head, &h, sizeof(h));
	/* the magic last: a table is made once its key is there */
	__atomic_store_n(&t->head->magic, QS_CIDTAB_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int qs_cidtab_mem(struct qs_cidtab *t, void *mem, __u32 buckets)
{
	int err;

	if (buckets < QS_CIDTAB_MIN_BUCKETS || buckets > QS_CIDTAB_MAX_BUCKETS)
		return -ERANGE;
	memset(t, 0, sizeof(*t));
	t->head = mem;
	t->b = (struct qs_cidtab_bucket *)mem + 1;
	t->buckets = buckets;
	if (t->head->magic != QS_CIDTAB_MAGIC) {
		err = head_make(t, buckets);
		if (err)
			return err;
	} else if (t->head->version != QS_CIDTAB_VERSION || t->head->buckets != buckets) {
		return -EPROTO;
	}
	memcpy(t->key, t->head->key, sizeof(t->key));
	return 0;
}

static int map_mem(int map_fd, int prot, void **mem, size_t *bytes, __u32 *buckets)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.value_size != sizeof(struct qs_cidtab_bucket) || info.max_entries < 2)
		return -EPROTO;
	*bytes = (size_t)info.max_entries * sizeof(struct qs_cidtab_bucket);
	*buckets = info.max_entries - 1;
	*mem = mmap(NULL, *bytes, prot, MAP_SHARED, map_fd, 0);
	return *mem == MAP_FAILED ? -errno : 0;
}

int qs_cidtab_map(struct qs_cidtab *t, int map_fd)
{
	size_t bytes;
	__u32 buckets;
	void *mem;
	int err = map_mem(map_fd, PROT_READ | PROT_WRITE, &mem, &bytes, &buckets);

	if (err)
		return err;
	err = qs_cidtab_mem(t, mem, buckets);
	if (err) {
		munmap(mem, bytes);
		return err;
	}
	t->map = mem;
	t->map_bytes = bytes;
	return 0;
}

int qs_cidtab_map_ro(struct qs_cidtab *t, int map_fd)
{
	size_t bytes;
	__u32 buckets;
	void *mem;
	int err = map_mem(map_fd, PROT_READ, &mem, &bytes, &buckets);
	const struct qs_cidtab_head *h = mem;

	if (err)
		return err;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != QS_CIDTAB_MAGIC)
		err = -ENODATA;
	else if (h->version != QS_CIDTAB_VERSION || h->buckets != buckets)
		err = -EPROTO;
	if (err) {
		munmap(mem, bytes);
		return err;
	}
	memset(t, 0, sizeof(*t));
	t->head = mem;
	t->b = (struct qs_cidtab_bucket *)mem + 1;
	t->buckets = buckets;
	memcpy(t->key, h->key, sizeof(t->key));
	t->map = mem;
	t->map_bytes = bytes;
	return 0;
}

void qs_cidtab_unmap(struct qs_cidtab *t)
{
	if (t->map)
		munmap(t->map, t->map_bytes);
	t->map = NULL;
}

void qs_cidtab_place(const struct qs_cidtab *t, const struct qs_cid_key *k, struct qs_cid_place *p)
{
	__u64 h = qs_cidtab_hash(t->key, k);

	p->fp = qs_cidtab_fp(h);
	p->first = qs_cidtab_first(h, t->buckets);
}

/* Where an ID goes: its fingerprint and two buckets. */
struct place {
	__u64 fp;
	__u32 first, second;
};

static struct place place_at(const struct qs_cidtab *t, const struct qs_cid_place *at)
{
	struct place p = { .fp = at->fp, .first = at->first };

	p.second = qs_cidtab_other(p.first, p.fp, t->buckets);
	return p;
}

static int free_slot(const struct qs_cidtab_bucket *b)
{
	for (int s = 0; s < QS_CIDTAB_SLOTS; s++)
		if (!b->slot[s])
			return s;
	return -1;
}

/* The ID's slot: in its first bucket, or (marked so) in its second; -1. */
static int find(const struct qs_cidtab *t, const struct place *p, __u32 *bucket)
{
	const struct qs_cidtab_bucket *b = &t->b[p->first];
	int s = qs_cidtab_bucket_find(b, p->fp);

	*bucket = p->first;
	if (s >= 0 || !b->displaced)
		return s;
	b = &t->b[p->second];
	for (s = 0; s < QS_CIDTAB_SLOTS; s++)
		if (qs_cidtab_word_fp(b->slot[s]) == p->fp && (b->slot[s] & QS_CIDTAB_F_SECOND)) {
			*bucket = p->second;
			return s;
		}
	return -1;
}

/* The slot of the ID at place at, its place and bucket; -1 when the table has none. */
static int locate(const struct qs_cidtab *t, const struct qs_cid_place *at, struct place *p,
		  __u32 *bucket)
{
	if (at->first >= t->buckets)
		return -1;
	*p = place_at(t, at);
	return find(t, p, bucket);
}

static void fill(struct qs_cidtab *t, __u32 bucket, int s, __u32 vip_id, __u64 w)
{
	struct qs_cidtab_bucket *b = &t->b[bucket];

	memset(&b->path[s], 0, sizeof(b->path[s]));
	b->vip[s] = vip_id;
	store_word(&b->slot[s], w);
}

/* Moves the entry in slot s of bucket x to free slot u of its other bucket. */
static void move(struct qs_cidtab *t, __u32 x, int s, int u)
{
	struct qs_cidtab_bucket *from = &t->b[x];
	__u64 w = from->slot[s];
	__u32 y = qs_cidtab_other(x, qs_cidtab_word_fp(w), t->buckets);
	struct qs_cidtab_bucket *to = &t->b[y];

	to->path[u] = from->path[s];
	to->vip[u] = from->vip[s];
	if (w & QS_CIDTAB_F_SECOND) { /* home: x is its second bucket, y its first */
		store_word(&to->slot[u], w & ~QS_CIDTAB_F_SECOND);
		store_word(&from->slot[s], 0);
		displaced_add(to, -1);
	} else {
		displaced_add(from, 1);
		store_word(&to->slot[u], w | QS_CIDTAB_F_SECOND);
		store_word(&from->slot[s], 0);
	}
}

struct node {
	__u32 bucket;
	int parent; /* index of the node whose bucket this entry leaves; -1: a root */
	int slot; /* the slot of the parent's bucket whose entry comes here */
};

/* Frees a slot in p's first or second bucket by moving others; -ENOSPC. */
static int make_room(struct qs_cidtab *t, const struct place *p)
{
	struct node q[MOVE_NODES];
	int head = 0, tail = 2;

	q[0] = (struct node){ p->first, -1, -1 };
	q[1] = (struct node){ p->second, -1, -1 };
	for (; head < tail; head++) {
		struct qs_cidtab_bucket *b = &t->b[q[head].bucket];

		for (int s = 0; s < QS_CIDTAB_SLOTS; s++) {
			__u32 alt = qs_cidtab_other(q[head].bucket, qs_cidtab_word_fp(b->slot[s]),
						    t->buckets);
			int u = free_slot(&t->b[alt]);

			if (u < 0) {
				if (tail < MOVE_NODES)
					q[tail++] = (struct node){ alt, head, s };
				continue;
			}
			/* from the free end back to a root */
			for (int n = head;; n = q[n].parent) {
				move(t, q[n].bucket, s, u);
				if (q[n].parent < 0)
					return 0;
				u = s;
				s = q[n].slot;
			}
		}
	}
	return -ENOSPC;
}

int qs_cidtab_put_at(struct qs_cidtab *t, const struct qs_cid_place *at, __u32 vip_id,
		     __u32 backend_id, int operator_kind)
{
	struct place p;
	__u32 bucket;
	int s, err;

	if (backend_id > QS_CIDTAB_BACKEND_MASK || vip_id >= QS_MAX_VIPS ||
	    !qs_cid_place_valid(at, t->buckets))
		return -ERANGE;
	s = locate(t, at, &p, &bucket);
	if (s >= 0) {
		__u64 w = t->b[bucket].slot[s];

		t->b[bucket].vip[s] = vip_id;
		store_word(&t->b[bucket].slot[s], qs_cidtab_word(p.fp, backend_id, operator_kind,
								 !!(w & QS_CIDTAB_F_SECOND)));
		return 0;
	}
	for (int tries = 0; tries < 2; tries++) {
		s = free_slot(&t->b[p.first]);
		if (s >= 0) {
			fill(t, p.first, s, vip_id, qs_cidtab_word(p.fp, backend_id, operator_kind, 0));
			return 0;
		}
		s = free_slot(&t->b[p.second]);
		if (s >= 0) {
			displaced_add(&t->b[p.first], 1);
			fill(t, p.second, s, vip_id, qs_cidtab_word(p.fp, backend_id, operator_kind, 1));
			return 0;
		}
		err = make_room(t, &p);
		if (err)
			return err;
	}
	return -ENOSPC;
}

int qs_cidtab_put(struct qs_cidtab *t, const struct qs_cid_key *k, __u32 backend_id,
		  int operator_kind)
{
	struct qs_cid_place at;

	qs_cidtab_place(t, k, &at);
	return qs_cidtab_put_at(t, &at, k->vip_id, backend_id, operator_kind);
}

int qs_cidtab_del_at(struct qs_cidtab *t, const struct qs_cid_place *at)
{
	struct place p;
	__u32 bucket;
	int s = locate(t, at, &p, &bucket);

	if (s < 0)
		return -ENOENT;
	store_word(&t->b[bucket].slot[s], 0);
	if (bucket != p.first)
		displaced_add(&t->b[p.first], -1);
	return 0;
}

int qs_cidtab_del(struct qs_cidtab *t, const struct qs_cid_key *k)
{
	struct qs_cid_place at;

	qs_cidtab_place(t, k, &at);
	return qs_cidtab_del_at(t, &at);
}

int qs_cidtab_get_at(const struct qs_cidtab *t, const struct qs_cid_place *at, __u32 *backend_id,
		     __u8 *kind)
{
	struct place p;
	__u32 bucket;
	int s = locate(t, at, &p, &bucket);
	__u64 w;

	if (s < 0)
		return -ENOENT;
	w = t->b[bucket].slot[s];
	*backend_id = qs_cidtab_word_backend(w);
	*kind = w & QS_CIDTAB_F_OPERATOR ? QS_CID_OPERATOR : QS_CID_AUTHORITATIVE;
	return 0;
}

int qs_cidtab_get(const struct qs_cidtab *t, const struct qs_cid_key *k, __u32 *backend_id,
		  __u8 *kind)
{
	struct qs_cid_place at;

	qs_cidtab_place(t, k, &at);
	return qs_cidtab_get_at(t, &at, backend_id, kind);
}

int qs_cidtab_path(const struct qs_cidtab *t, const struct qs_cid_key *k, struct qs_cid_path *path)
{
	struct qs_cid_place at;
	struct place p;
	__u32 bucket;
	int s;

	qs_cidtab_place(t, k, &at);
	s = locate(t, &at, &p, &bucket);
	if (s < 0)
		return -ENOENT;
	*path = t->b[bucket].path[s];
	return 0;
}

struct fill {
	struct qs_cidtab *t;
	__u64 read, refused;
};

static int fill_entry(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_entry *e = value;
	struct fill *f = ctx;

	f->read++;
	if ((e->kind == QS_CID_AUTHORITATIVE || e->kind == QS_CID_OPERATOR) &&
	    qs_cidtab_put(f->t, key, e->backend_id, e->kind == QS_CID_OPERATOR))
		f->refused++;
	return 0;
}

int qs_cidtab_fill_mapped(struct qs_cidtab *t, int cids_fd, __u64 *read, __u64 *refused)
{
	struct fill f = { t, 0, 0 };
	int err = qs_map_scan(cids_fd, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry),
			      fill_entry, &f);

	*read = f.read;
	*refused = f.refused;
	return err;
}

int qs_cidtab_fill(int tab_fd, int cids_fd, __u64 *refused)
{
	struct qs_cidtab t;
	int err = qs_cidtab_map(&t, tab_fd);

	if (err)
		return err;
	__u64 read;

	err = qs_cidtab_fill_mapped(&t, cids_fd, &read, refused);
	qs_cidtab_unmap(&t);
	return err;
}

void qs_cidtab_stats(const struct qs_cidtab *t, struct qs_cidtab_stats *st)
{
	__u32 n = t->buckets;
	__u32 *want = calloc(n, sizeof(*want));

	memset(st, 0, sizeof(*st));
	for (__u32 i = 0; i < n; i++) {
		const struct qs_cidtab_bucket *b = &t->b[i];
		int used = 0;

		for (int s = 0; s < QS_CIDTAB_SLOTS; s++) {
			__u64 w = b->slot[s];

			if (!w)
				continue;
			used++;
			if (!(w & QS_CIDTAB_F_SECOND))
				continue;
			st->second++;
			if (want)
				want[qs_cidtab_other(i, qs_cidtab_word_fp(w), t->buckets)]++;
		}
		st->entries += used;
		st->full_buckets += used == QS_CIDTAB_SLOTS;
		st->displaced_buckets += b->displaced != 0;
	}
	for (__u32 i = 0; want && i < n; i++)
		st->displaced_wrong += want[i] != t->b[i].displaced;
	free(want);
}

int qs_cidtab_scan(const struct qs_cidtab *t, qs_cidtab_scan_fn fn, void *ctx)
{
	for (__u32 i = 0; i < t->buckets; i++) {
		const struct qs_cidtab_bucket *b = &t->b[i];

		for (int s = 0; s < QS_CIDTAB_SLOTS; s++) {
			__u64 w = __atomic_load_n(&b->slot[s], __ATOMIC_ACQUIRE);
			struct qs_cid_place at = { .fp = qs_cidtab_word_fp(w), .first = i };
			int err;

			if (!w)
				continue;
			if (w & QS_CIDTAB_F_SECOND)
				at.first = qs_cidtab_other(i, at.fp, t->buckets);
			err = fn(ctx, &at, b->vip[s], qs_cidtab_word_backend(w),
				 w & QS_CIDTAB_F_OPERATOR ? QS_CID_OPERATOR : QS_CID_AUTHORITATIVE);
			if (err)
				return err;
		}
	}
	return 0;
}
