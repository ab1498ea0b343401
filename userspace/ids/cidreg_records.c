// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The registry's records, lists and deferred work (cidreg_records.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cidreg_records.h"

/*
 * Both tables are made once, here, at 2^20 buckets (16 MiB each), and
 * never emptied (each keeps a sentinel: uthash frees a table with its
 * last record and clears a new one for the next). uthash doubles a table
 * when one chain reaches HASH_BKT_CAPACITY_THRESH entries, rehashing every
 * entry inline: at its 10 that came at 1 to 2 million records, after 0.2
 * to 1 million connections, and held the intake thread for 33 to 414 ms
 * (measured: the ID table holds up to 2 million live IDs, as many again
 * dying, and tombs). At 64, a chain that long is a flaw of the hash, not
 * a load: tens of millions of records. Chains average the load factor,
 * 2 to 4 at the table's worst. uthash's macros take these where they
 * expand, so they are defined after its header, before the functions that
 * make and fill the tables.
 */
#undef HASH_BKT_CAPACITY_THRESH
#define HASH_BKT_CAPACITY_THRESH 64U
#undef HASH_INITIAL_NUM_BUCKETS
#undef HASH_INITIAL_NUM_BUCKETS_LOG2
#define HASH_INITIAL_NUM_BUCKETS_LOG2 20U
#define HASH_INITIAL_NUM_BUCKETS (1U << HASH_INITIAL_NUM_BUCKETS_LOG2)

/* Of the (VIP, ID) alone, whatever record of it is looked up (cid_ref). */
static unsigned int id_hash(const struct qs_cid_key *key)
{
	unsigned int hashv;

	HASH_VALUE(key, sizeof(*key), hashv);
	return hashv;
}

static void ids_table_make(struct qs_cidreg *reg)
{
	struct cid_rec *s = &reg->sentinel;

	s->key.id.vip_id = QS_MAX_VIPS; /* no ID has it */
	HASH_ADD_BYHASHVALUE(hh, reg->by_key, key, sizeof(s->key), id_hash(&s->key.id), s);
}

static void conns_table_make(struct qs_cidreg *reg)
{
	/* owner NULL: no connection has it */
	HASH_ADD(hh, reg->conns, key, sizeof(reg->conn_sentinel.key), &reg->conn_sentinel);
}

void records_init(struct qs_cidreg *reg)
{
	ids_table_make(reg);
	conns_table_make(reg);
}

/* Map deletions one batch holds; a call's budget may be smaller. */
#define WORK_BATCH 4096

int cid_ref_make(struct cid_ref *r, __u32 vip_id, const __u8 *cid, size_t len)
{
	struct qs_cid_key *key = &r->key;

	if (len == 0 || len > QS_CID_MAX_LEN || vip_id >= QS_MAX_VIPS)
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	memcpy(key->cid, cid, len);
	key->cid_len = len;
	key->vip_id = vip_id;
	r->hashv = id_hash(key);
	return 0;
}

void cid_ref_of(struct cid_ref *r, const struct qs_cid_key *key)
{
	r->key = *key;
	r->hashv = id_hash(key);
}

struct cid_rec *rec_new(const struct qs_cid_key *key, __u64 handle, __u32 tomb_of)
{
	struct cid_rec *c = calloc(1, sizeof(*c));

	if (c) {
		c->key.id = *key;
		c->key.tomb_of = tomb_of;
		c->handle = handle;
	}
	return c;
}

/* The counters a record is in, by what it is and who holds it. */
static void rec_count(struct qs_cidreg *reg, const struct cid_rec *c, int delta)
{
	struct backend_rec *b = c->owner;

	if (rec_is_tomb(c)) {
		b->tombs += delta;
		return;
	}
	b->n_live += delta;
	b->list_live[c->key.id.vip_id] += delta;
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

static void list_unlink(struct cid_rec *c)
{
	struct cid_list *l = &c->owner->lists[c->key.id.vip_id];

	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
}

/* Newest of b's list of its VIP. */
static void list_push(struct backend_rec *b, struct cid_rec *c)
{
	struct cid_list *l = &b->lists[c->key.id.vip_id];

	c->owner = b;
	c->prev = NULL;
	c->next = l->head;
	if (l->head)
		l->head->prev = c;
	else
		l->tail = c;
	l->head = c;
}

/* A connection's IDs: a backend's live records only (a close concerns no other). */
static void conn_link(struct qs_cidreg *reg, struct cid_rec *c)
{
	struct conn_key k = { c->owner, c->handle };
	struct conn_rec *conn;

	if (rec_is_tomb(c) || c->owner->dying || c->owner == &reg->op)
		return;
	HASH_FIND(hh, reg->conns, &k, sizeof(k), conn);
	if (!conn) {
		conn = calloc(1, sizeof(*conn));
		if (!conn)
			return; /* unindexed: a snapshot or the incarnation's end removes it */
		conn->key = k;
		HASH_ADD(hh, reg->conns, key, sizeof(conn->key), conn);
	}
	c->conn = conn;
	c->cprev = NULL;
	c->cnext = conn->ids;
	if (conn->ids)
		conn->ids->cprev = c;
	conn->ids = c;
}

static void conn_unlink(struct qs_cidreg *reg, struct cid_rec *c)
{
	struct conn_rec *conn = c->conn;

	if (!conn)
		return;
	if (c->cprev)
		c->cprev->cnext = c->cnext;
	else
		conn->ids = c->cnext;
	if (c->cnext)
		c->cnext->cprev = c->cprev;
	c->conn = NULL;
	if (!conn->ids) {
		HASH_DEL(reg->conns, conn);
		free(conn);
	}
}

struct cid_rec *conn_ids(struct qs_cidreg *reg, const struct backend_rec *b, __u64 handle)
{
	struct conn_key k = { b, handle };
	struct conn_rec *conn;

	HASH_FIND(hh, reg->conns, &k, sizeof(k), conn);
	return conn ? conn->ids : NULL;
}

int rec_link(struct qs_cidreg *reg, struct backend_rec *b, struct cid_rec *c, unsigned int hashv)
{
	if (b != &reg->op)
		c->target = b->id;
	c->snap_gen = b->gen[c->key.id.vip_id];
	list_push(b, c);
	rec_count(reg, c, 1);
	HASH_ADD_BYHASHVALUE(hh, reg->by_key, key, sizeof(c->key), hashv, c);
	conn_link(reg, c);
	return 0;
}

void rec_unlink(struct qs_cidreg *reg, struct cid_rec *c)
{
	rec_count(reg, c, -1);
	conn_unlink(reg, c);
	list_unlink(c);
	HASH_DEL(reg->by_key, c);
	free(c);
}

void rec_remove(struct qs_cidreg *reg, struct cid_rec *c)
{
	int err = rec_is_tomb(c) ? 0 : reg->sink.del(reg->sink.ctx, &c->key.id);

	/* already gone from the map is what we wanted */
	if (err && err != -ENOENT)
		reg->stats.sink_errors++;
	rec_unlink(reg, c);
}

static struct cid_rec *find(struct qs_cidreg *reg, const struct cid_ref *r, __u32 tomb_of)
{
	struct rec_key k = { .id = r->key, .tomb_of = tomb_of };
	struct cid_rec *c;

	HASH_FIND_BYHASHVALUE(hh, reg->by_key, &k, sizeof(k), r->hashv, c);
	if (c == &reg->sentinel)
		return NULL;
	if (c && c->owner->dying) {
		rec_remove(reg, c);
		c = NULL;
	}
	return c;
}

struct cid_rec *rec_find(struct qs_cidreg *reg, const struct cid_ref *r)
{
	return find(reg, r, QS_NO_BACKEND);
}

struct cid_rec *tomb_find(struct qs_cidreg *reg, const struct backend_rec *b,
			  const struct cid_ref *r)
{
	return find(reg, r, b->id);
}

int rec_touch(struct qs_cidreg *reg, struct cid_rec *c, __u64 handle)
{
	struct backend_rec *b = c->owner;

	c->snap_gen = b->gen[c->key.id.vip_id];
	list_unlink(c);
	list_push(b, c);
	if (c->handle != handle) {
		conn_unlink(reg, c);
		c->handle = handle;
		conn_link(reg, c);
	}
	return 0;
}

void rec_move(struct qs_cidreg *reg, struct cid_rec *c, struct backend_rec *to)
{
	rec_count(reg, c, -1);
	conn_unlink(reg, c);
	list_unlink(c);
	list_push(to, c);
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
	struct cid_rec *c;

	while ((c = l->tail) && c->snap_gen < b->sweep_gen[vip]) {
		if (!*budget)
			return 0;
		--*budget;
		if (rec_is_tomb(c)) {
			rec_unlink(reg, c);
			continue;
		}
		if (!*to && !(*to = dying_new(reg, b)))
			return 0;
		if (!(b->sweep_counted & (1u << vip)))
			reg->stats.snapshot_removed++;
		rec_move(reg, c, *to);
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

/* Map entries of dying records, a batch at a time where the sink can. */
static void deletions_run(struct qs_cidreg *reg, size_t budget)
{
	static struct qs_cid_key keys[WORK_BATCH];

	while (budget && reg->dying) {
		struct backend_rec *b = reg->dying;
		struct cid_list *l = dying_list(b);
		struct cid_rec *c;
		size_t n = 0;

		if (!l) {
			reg->dying = b->next_dying;
			if (!reg->dying)
				reg->dying_tail = &reg->dying;
			free(b);
			continue;
		}
		if (!reg->sink.del_batch) {
			rec_remove(reg, l->head);
			budget--;
			continue;
		}
		for (c = l->head; c && n < budget && n < WORK_BATCH; c = c->next)
			if (!rec_is_tomb(c))
				keys[n++] = c->key.id;
		if (n && reg->sink.del_batch(reg->sink.ctx, keys, n))
			reg->stats.sink_errors++;
		/* the records whose keys went: the first n live ones, and tombs among them */
		while (l->head != c)
			rec_unlink(reg, l->head);
		budget -= n < budget ? n : budget;
	}
}

size_t qs_cidreg_work(struct qs_cidreg *reg, size_t budget)
{
	deletions_run(reg, sweeps_run(reg, budget));
	return reg->stats.pending + (reg->sweeps != NULL);
}

unsigned int qs_cidreg_longest_chain(const struct qs_cidreg *reg)
{
	unsigned int ids = qs_hash_longest_chain(reg->by_key->hh.tbl);
	unsigned int conns = qs_hash_longest_chain(reg->conns->hh.tbl);

	return ids > conns ? ids : conns;
}

void records_free(struct qs_cidreg *reg)
{
	struct cid_rec *c, *ctmp;
	struct conn_rec *conn, *ntmp;

	HASH_ITER (hh, reg->by_key, c, ctmp) {
		HASH_DEL(reg->by_key, c);
		if (c != &reg->sentinel)
			free(c);
	}
	HASH_ITER (hh, reg->conns, conn, ntmp) {
		HASH_DEL(reg->conns, conn);
		if (conn != &reg->conn_sentinel)
			free(conn);
	}
	for (size_t i = 0; i < QS_MAX_BACKENDS; i++)
		free(reg->backends[i]);
	while (reg->dying) {
		struct backend_rec *b = reg->dying;

		reg->dying = b->next_dying;
		free(b);
	}
}
