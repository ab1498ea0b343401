// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The registry's records, lists and deferred work (cidreg_records.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cidreg_records.h"

/* Table entries one call of the deferred work deletes at most before it looks at its budget. */
#define WORK_BATCH 4096

static int pool_init(struct pool *p, __u32 item_size)
{
	memset(p, 0, sizeof(*p));
	p->item_size = item_size;
	p->next_new = 1; /* index 0 is "none" */
	return 0;
}

/* A zeroed item; 0 when out of memory (or of indices). */
static __u32 pool_get(struct pool *p)
{
	__u32 i = p->free_head;

	if (i) {
		p->free_head = *(__u32 *)pool_at(p, i);
	} else {
		i = p->next_new;
		if (!i) /* 2^32 items: wrapped */
			return 0;
		if ((i >> POOL_CHUNK_LOG2) >= p->n_chunks) {
			if (p->n_chunks == p->cap_chunks) {
				__u32 cap = p->cap_chunks ? 2 * p->cap_chunks : 16;
				void **c = realloc(p->chunks, cap * sizeof(*c));

				if (!c)
					return 0;
				p->chunks = c;
				p->cap_chunks = cap;
			}
			p->chunks[p->n_chunks] = malloc((size_t)POOL_CHUNK * p->item_size);
			if (!p->chunks[p->n_chunks])
				return 0;
			p->n_chunks++;
		}
		p->next_new++;
	}
	memset(pool_at(p, i), 0, p->item_size);
	p->used++;
	return i;
}

static void pool_put(struct pool *p, __u32 i)
{
	*(__u32 *)pool_at(p, i) = p->free_head;
	p->free_head = i;
	p->used--;
}

static void pool_free(struct pool *p)
{
	for (__u32 c = 0; c < p->n_chunks; c++)
		free(p->chunks[c]);
	free(p->chunks);
	memset(p, 0, sizeof(*p));
}

int records_init(struct qs_cidreg *reg)
{
	pool_init(&reg->recs, sizeof(struct cid_rec));
	pool_init(&reg->conns, sizeof(struct conn_rec));
	/* untouched pages of these cost nothing until chains land there */
	reg->place_heads = calloc(1u << PLACE_HEADS_LOG2, sizeof(__u32));
	reg->conn_heads = calloc(1u << CONN_HEADS_LOG2, sizeof(__u32));
	if (!reg->place_heads || !reg->conn_heads)
		return -ENOMEM;
	return owner_add(reg, &reg->op);
}

int owner_add(struct qs_cidreg *reg, struct backend_rec *b)
{
	__u32 i = reg->free_owner;

	if (i) {
		reg->free_owner = 0;
		for (__u32 j = i + 1; j < reg->n_owners; j++)
			if (!reg->owners[j]) {
				reg->free_owner = j;
				break;
			}
	} else {
		if (reg->n_owners == reg->cap_owners) {
			__u32 cap = reg->cap_owners ? 2 * reg->cap_owners : 64;
			struct backend_rec **o = realloc(reg->owners, cap * sizeof(*o));

			if (!o)
				return -ENOMEM;
			reg->owners = o;
			reg->cap_owners = cap;
		}
		if (!reg->n_owners)
			reg->owners[reg->n_owners++] = NULL; /* index 0: none */
		i = reg->n_owners++;
	}
	reg->owners[i] = b;
	b->index = i;
	return 0;
}

void owner_free(struct qs_cidreg *reg, struct backend_rec *b)
{
	__u32 i = b->index;

	reg->owners[i] = NULL;
	if (!reg->free_owner || i < reg->free_owner)
		reg->free_owner = i;
	if (b != &reg->op)
		free(b);
}

int cid_ref_make(const struct qs_cidreg *reg, struct cid_ref *r, __u32 vip_id, const __u8 *cid,
		 size_t len)
{
	struct qs_cid_key key;
	__u64 h;

	if (len == 0 || len > QS_CID_MAX_LEN || vip_id >= QS_MAX_VIPS)
		return -EINVAL;
	memset(&key, 0, sizeof(key));
	memcpy(key.cid, cid, len);
	key.cid_len = len;
	key.vip_id = vip_id;
	h = qs_cidtab_hash(reg->sink.key, &key);
	r->place.fp = qs_cidtab_fp(h);
	r->place.first = qs_cidtab_first(h, reg->sink.buckets);
	r->place.pad = 0;
	r->vip = vip_id;
	return 0;
}

/* The fingerprint is a keyed hash already: its low bits pick the chain. */
static __u32 *place_head(const struct qs_cidreg *reg, const struct qs_cid_place *p)
{
	return &reg->place_heads[(p->fp ^ p->first) & ((1u << PLACE_HEADS_LOG2) - 1)];
}

void records_prefetch(const struct qs_cidreg *reg, const struct cid_ref *r)
{
	__builtin_prefetch(place_head(reg, &r->place), 1);
}

__u32 rec_new(struct qs_cidreg *reg, const struct cid_ref *r, int tomb)
{
	__u32 i = pool_get(&reg->recs);
	struct cid_rec *c;

	if (!i)
		return 0;
	c = REC(reg, i);
	c->fp = r->place.fp;
	c->first = r->place.first;
	c->vip = r->vip;
	c->tomb = !!tomb;
	return i;
}

void rec_free_new(struct qs_cidreg *reg, __u32 i)
{
	pool_put(&reg->recs, i);
}

/* The counters a record is in, by what it is and who holds it. */
static void rec_count(struct qs_cidreg *reg, const struct cid_rec *c, int delta)
{
	struct backend_rec *b = OWNER(reg, c);

	if (c->tomb) {
		b->tombs += delta;
		return;
	}
	b->n_live += delta;
	b->list_live[c->vip] += delta;
	/* a dying owner keeps its backend's id: its entries count until deleted */
	if (b->id < QS_MAX_BACKENDS)
		reg->quotas[b->id].ids += delta;
	if (b->dying)
		reg->stats.pending += delta;
	else if (b == &reg->op)
		reg->stats.operator += delta;
	else
		reg->stats.live += delta;
}

static void list_unlink(struct qs_cidreg *reg, __u32 i)
{
	struct cid_rec *c = REC(reg, i);
	struct cid_list *l = &OWNER(reg, c)->lists[c->vip];

	if (c->prev)
		REC(reg, c->prev)->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		REC(reg, c->next)->prev = c->prev;
	else
		l->tail = c->prev;
}

/* Newest of b's list of its VIP. */
static void list_push(struct qs_cidreg *reg, struct backend_rec *b, __u32 i)
{
	struct cid_rec *c = REC(reg, i);
	struct cid_list *l = &b->lists[c->vip];

	c->owner = b->index;
	c->prev = 0;
	c->next = l->head;
	if (l->head)
		REC(reg, l->head)->prev = i;
	else
		l->tail = i;
	l->head = i;
}

static __u32 *conn_head(const struct qs_cidreg *reg, __u32 owner, __u64 handle)
{
	struct {
		__u64 handle;
		__u32 owner, pad;
	} k = { handle, owner, 0 };

	return &reg->conn_heads[qs_hash_bytes(&k, sizeof(k)) & ((1u << CONN_HEADS_LOG2) - 1)];
}

static __u32 conn_find(struct qs_cidreg *reg, __u32 owner, __u64 handle)
{
	const struct conn_rec *last = reg->last_conn ? pool_at(&reg->conns, reg->last_conn) : NULL;

	if (last && last->owner == owner && last->handle == handle)
		return reg->last_conn;
	for (__u32 i = *conn_head(reg, owner, handle); i;) {
		const struct conn_rec *n = pool_at(&reg->conns, i);

		if (n->owner == owner && n->handle == handle)
			return reg->last_conn = i;
		i = n->hnext;
	}
	return 0;
}

/* A connection's IDs: a backend's live records only (a close concerns no other). */
static void conn_link(struct qs_cidreg *reg, __u32 i, __u64 handle)
{
	struct cid_rec *c = REC(reg, i);
	struct backend_rec *b = OWNER(reg, c);
	__u32 ni;
	struct conn_rec *n;

	if (c->tomb || b->dying || b == &reg->op)
		return;
	ni = conn_find(reg, c->owner, handle);
	if (!ni) {
		__u32 *head = conn_head(reg, c->owner, handle);

		ni = pool_get(&reg->conns);
		if (!ni)
			return; /* unindexed: a snapshot or the incarnation's end removes it */
		n = pool_at(&reg->conns, ni);
		n->owner = c->owner;
		n->handle = handle;
		n->hnext = *head;
		*head = ni;
		reg->last_conn = ni;
	}
	n = pool_at(&reg->conns, ni);
	c->conn = ni;
	c->cprev = 0;
	c->cnext = n->ids;
	if (n->ids)
		REC(reg, n->ids)->cprev = i;
	n->ids = i;
}

static void conn_drop(struct qs_cidreg *reg, __u32 ni)
{
	struct conn_rec *n = pool_at(&reg->conns, ni);
	__u32 *pp = conn_head(reg, n->owner, n->handle);

	while (*pp != ni)
		pp = &((struct conn_rec *)pool_at(&reg->conns, *pp))->hnext;
	*pp = n->hnext;
	if (reg->last_conn == ni)
		reg->last_conn = 0;
	pool_put(&reg->conns, ni);
}

static void conn_unlink(struct qs_cidreg *reg, __u32 i)
{
	struct cid_rec *c = REC(reg, i);
	struct conn_rec *n;

	if (!c->conn)
		return;
	n = pool_at(&reg->conns, c->conn);
	if (c->cprev)
		REC(reg, c->cprev)->cnext = c->cnext;
	else
		n->ids = c->cnext;
	if (c->cnext)
		REC(reg, c->cnext)->cprev = c->cprev;
	if (!n->ids)
		conn_drop(reg, c->conn);
	c->conn = 0;
}

__u32 conn_ids(struct qs_cidreg *reg, const struct backend_rec *b, __u64 handle)
{
	__u32 ni = conn_find(reg, b->index, handle);

	return ni ? ((struct conn_rec *)pool_at(&reg->conns, ni))->ids : 0;
}

int rec_link(struct qs_cidreg *reg, struct backend_rec *b, __u32 i, __u64 handle)
{
	struct cid_rec *c = REC(reg, i);
	__u32 *head = place_head(reg, &(struct qs_cid_place){ .fp = c->fp, .first = c->first });

	if (b != &reg->op)
		c->target = b->id;
	c->snap_gen = b->gen[c->vip];
	list_push(reg, b, i);
	rec_count(reg, c, 1);
	c->hnext = *head;
	*head = i;
	conn_link(reg, i, handle);
	return 0;
}

void rec_unlink(struct qs_cidreg *reg, __u32 i)
{
	struct cid_rec *c = REC(reg, i);
	__u32 *pp = place_head(reg, &(struct qs_cid_place){ .fp = c->fp, .first = c->first });

	rec_count(reg, c, -1);
	conn_unlink(reg, i);
	list_unlink(reg, i);
	while (*pp != i)
		pp = &REC(reg, *pp)->hnext;
	*pp = c->hnext;
	pool_put(&reg->recs, i);
}

void rec_remove(struct qs_cidreg *reg, __u32 i)
{
	struct cid_rec *c = REC(reg, i);
	int err = c->tomb ? 0 :
			    reg->sink.del(reg->sink.ctx,
					  &(struct qs_cid_place){ .fp = c->fp, .first = c->first });

	/* already gone from the table is what we wanted */
	if (err && err != -ENOENT)
		reg->stats.sink_errors++;
	rec_unlink(reg, i);
}

/* The record of r that is a tombstone of owner, or (tomb 0) the live one. */
static __u32 find(struct qs_cidreg *reg, const struct cid_ref *r, int tomb, __u32 owner)
{
	for (__u32 i = *place_head(reg, &r->place); i; i = REC(reg, i)->hnext) {
		struct cid_rec *c = REC(reg, i);

		if (c->fp != r->place.fp || c->first != r->place.first || c->tomb != tomb ||
		    (tomb && c->owner != owner))
			continue;
		if (OWNER(reg, c)->dying) {
			rec_remove(reg, i);
			return 0;
		}
		return i;
	}
	return 0;
}

__u32 rec_find(struct qs_cidreg *reg, const struct cid_ref *r)
{
	return find(reg, r, 0, 0);
}

__u32 tomb_find(struct qs_cidreg *reg, const struct backend_rec *b, const struct cid_ref *r)
{
	return find(reg, r, 1, b->index);
}

int rec_touch(struct qs_cidreg *reg, __u32 i, __u32 vip, __u64 handle)
{
	struct cid_rec *c = REC(reg, i);
	struct backend_rec *b = OWNER(reg, c);
	struct conn_rec *n = c->conn ? pool_at(&reg->conns, c->conn) : NULL;

	list_unlink(reg, i);
	if (c->vip != vip) { /* cannot be: the VIP is in the place */
		b->list_live[c->vip]--;
		b->list_live[vip]++;
		c->vip = vip;
	}
	c->snap_gen = b->gen[vip];
	list_push(reg, b, i);
	if (!n || n->handle != handle) {
		conn_unlink(reg, i);
		conn_link(reg, i, handle);
	}
	return 0;
}

void rec_move(struct qs_cidreg *reg, __u32 i, struct backend_rec *to)
{
	struct cid_rec *c = REC(reg, i);

	rec_count(reg, c, -1);
	conn_unlink(reg, i);
	list_unlink(reg, i);
	list_push(reg, to, i);
	rec_count(reg, c, 1);
}

void sweep_drop(struct qs_cidreg *reg, struct backend_rec *b)
{
	struct backend_rec **pp = &reg->sweeps;

	if (!b->sweeping)
		return;
	while (*pp != b)
		pp = &(*pp)->next_sweep;
	*pp = b->next_sweep;
	b->sweeping = 0;
	b->sweep_counted = 0;
	memset(b->sweep_gen, 0, sizeof(b->sweep_gen));
}

void dying_add(struct qs_cidreg *reg, struct backend_rec *b)
{
	sweep_drop(reg, b);
	reg->stats.live -= b->n_live;
	reg->stats.pending += b->n_live;
	b->dying = 1;
	b->next_dying = NULL;
	*reg->dying_tail = b;
	reg->dying_tail = &b->next_dying;
}

struct backend_rec *dying_new(struct qs_cidreg *reg, const struct backend_rec *b)
{
	struct backend_rec *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (owner_add(reg, d)) {
		free(d);
		return NULL;
	}
	d->id = b->id;
	dying_add(reg, d);
	return d;
}

int sweep_add(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip, __u32 gen, int counted)
{
	if (vip >= QS_MAX_VIPS)
		return -EINVAL;
	if (gen > b->sweep_gen[vip])
		b->sweep_gen[vip] = gen;
	if (counted)
		b->sweep_counted |= 1u << vip;
	if (!b->sweeping) {
		b->sweeping = 1;
		b->next_sweep = reg->sweeps;
		reg->sweeps = b;
	}
	return 0;
}

/* The stale tail of one list, at most *budget records; true when it is done. */
static int sweep_list(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip, size_t *budget,
		      struct backend_rec **to)
{
	struct cid_list *l = &b->lists[vip];
	__u32 i;

	while ((i = l->tail) && REC(reg, i)->snap_gen < b->sweep_gen[vip]) {
		if (!*budget)
			return 0;
		--*budget;
		if (REC(reg, i)->tomb) {
			rec_unlink(reg, i);
			continue;
		}
		if (!*to && !(*to = dying_new(reg, b)))
			return 0;
		if (!(b->sweep_counted & (1u << vip)))
			reg->stats.snapshot_removed++;
		rec_move(reg, i, *to);
	}
	b->sweep_gen[vip] = 0;
	b->sweep_counted &= ~(1u << vip);
	return 1;
}

/* Stale records of ended snapshots to dying owners; returns the budget left. */
static size_t sweeps_run(struct qs_cidreg *reg, size_t budget)
{
	while (budget && reg->sweeps) {
		struct backend_rec *b = reg->sweeps, *to = NULL;
		int done = 1;

		for (__u32 v = 0; v < QS_MAX_VIPS; v++)
			if (b->sweep_gen[v])
				done &= sweep_list(reg, b, v, &budget, &to);
		if (done)
			sweep_drop(reg, b);
	}
	return budget;
}

/* The oldest list of a dying owner that has records; NULL when it has none. */
static struct cid_list *dying_list(struct backend_rec *b)
{
	for (__u32 v = 0; v < QS_MAX_VIPS; v++)
		if (b->lists[v].head)
			return &b->lists[v];
	return NULL;
}

/* Table entries of dying records: plain stores, a bounded number per call. */
static void deletions_run(struct qs_cidreg *reg, size_t budget)
{
	while (budget && reg->dying) {
		struct backend_rec *b = reg->dying;
		struct cid_list *l = dying_list(b);

		if (!l) {
			reg->dying = b->next_dying;
			if (!reg->dying)
				reg->dying_tail = &reg->dying;
			owner_free(reg, b);
			continue;
		}
		for (size_t n = 0; l->head && n < WORK_BATCH && budget; n++, budget--)
			rec_remove(reg, l->head);
	}
}

size_t qs_cidreg_work(struct qs_cidreg *reg, size_t budget)
{
	deletions_run(reg, sweeps_run(reg, budget));
	return reg->stats.pending + (reg->sweeps != NULL);
}

/* The longest chain of a table of heads, chained through each item's first word. */
static unsigned int longest(const struct pool *p, const __u32 *heads, __u32 n)
{
	unsigned int most = 0;

	for (__u32 h = 0; h < n; h++) {
		unsigned int len = 0;

		for (__u32 i = heads[h]; i; i = *(const __u32 *)pool_at(p, i))
			len++;
		if (len > most)
			most = len;
	}
	return most;
}

unsigned int qs_cidreg_longest_chain(const struct qs_cidreg *reg)
{
	unsigned int ids = longest(&reg->recs, reg->place_heads, 1u << PLACE_HEADS_LOG2);
	unsigned int conns = longest(&reg->conns, reg->conn_heads, 1u << CONN_HEADS_LOG2);

	return ids > conns ? ids : conns;
}

size_t qs_cidreg_memory(const struct qs_cidreg *reg)
{
	return (size_t)reg->recs.n_chunks * POOL_CHUNK * reg->recs.item_size +
	       (size_t)reg->conns.n_chunks * POOL_CHUNK * reg->conns.item_size +
	       ((size_t)1 << PLACE_HEADS_LOG2) * sizeof(__u32) +
	       ((size_t)1 << CONN_HEADS_LOG2) * sizeof(__u32) +
	       (size_t)reg->cap_owners * sizeof(struct backend_rec *) +
	       (size_t)reg->n_owners * sizeof(struct backend_rec);
}

void records_free(struct qs_cidreg *reg)
{
	pool_free(&reg->recs);
	pool_free(&reg->conns);
	free(reg->place_heads);
	free(reg->conn_heads);
	for (__u32 i = 1; i < reg->n_owners; i++)
		if (reg->owners[i] && reg->owners[i] != &reg->op)
			free(reg->owners[i]);
	free(reg->owners);
	reg->owners = NULL;
	reg->n_owners = reg->cap_owners = 0;
}
