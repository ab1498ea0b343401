// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Records live in one hash table keyed by the map key itself (uthash), and
 * on a list per owner (a backend incarnation, or the operator), so that
 * purging a restarted backend and ending a snapshot cost the backend's own
 * IDs, not the whole table.
 *
 * Removals in bulk (a new incarnation, a backend removed, a flush, what a
 * snapshot no longer lists) never touch the map inline: the records move
 * to a dying owner at once, which costs nothing per ID for a whole
 * incarnation, and qs_cidreg_work deletes their map entries a bounded
 * batch at a time between datagrams. A dying record is already gone for
 * every question the registry answers: the first lookup that meets one
 * deletes its entry there and then, so an ID may be issued again, by
 * anyone, before the purge reaches it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/*
 * Start the ID table at 2^20 buckets (16 MiB): uthash doubles it as soon
 * as one chain reaches ten entries, rehashing every entry inline, which
 * stalled intake for 60-75 ms at 1M IDs (measured by make bench; 2^17
 * buckets still doubled there). At one entry per bucket the first doubling
 * comes past a few million IDs. uthash 2.3 defines these unconditionally;
 * its macros expand in this file, so redefining them after the include is
 * what takes effect.
 */
#undef HASH_INITIAL_NUM_BUCKETS
#undef HASH_INITIAL_NUM_BUCKETS_LOG2
#define HASH_INITIAL_NUM_BUCKETS_LOG2 20U
#define HASH_INITIAL_NUM_BUCKETS (1U << HASH_INITIAL_NUM_BUCKETS_LOG2)
#include "cidreg.h"
#include "expiry.h"

struct backend_rec;

struct cid_rec {
	struct qs_cid_key key;
	__u64 handle;
	struct backend_rec *owner; /* a backend incarnation, the operator, or dying */
	__u32 target; /* the backend it routes to: the owner, or the operator's choice */
	__u32 snap_gen; /* the backend's snapshot generation that last saw it */
	/*
	 * A tombstone: retired before it was issued (reports reordered). Not
	 * in the map; a later issue of it is ignored until a snapshot or a new
	 * incarnation says otherwise.
	 */
	int tomb;
	struct cid_rec *prev, *next; /* the backend's list */
	UT_hash_handle hh;
};

struct backend_rec {
	__u32 id; /* a backend's, or QS_CIDREG_OPERATOR */
	__u64 incarnation;
	int has_incarnation;
	int in_snapshot;
	__u32 snapshot_id;
	__u32 snapshot_vip;
	__u32 snap_gen;
	__u32 tombs;
	__u64 n_live; /* records that are not tombs */
	struct cid_rec *ids;
	int dying; /* its records' map entries wait for qs_cidreg_work */
	struct backend_rec *next_dying;
};

/* Map writes held back while batching: the record exists already. */
struct pending_put {
	struct cid_rec *c;
	struct qs_cid_entry e;
};

struct qs_cidreg {
	struct qs_cid_sink sink;
	/*
	 * Never empty: uthash frees its bucket array (16 MiB at 2^20
	 * buckets) when the last record goes and clears a new one when the
	 * next comes; on a slow VM that clear held the first ID after every
	 * idle spell for 56 to 78 ms, long enough for the client's next
	 * packets to miss it. A sentinel record, whose key no ID can have
	 * (vip_id QS_MAX_VIPS), keeps the table.
	 */
	struct cid_rec *by_key;
	struct cid_rec sentinel;
	struct backend_rec *backends[QS_MAX_BACKENDS]; /* by id */
	struct backend_rec op; /* the operator's entries: no report reaches them */
	struct backend_rec *dying; /* oldest first */
	struct backend_rec **dying_tail;
	struct qs_cidreg_stats stats;
	int batching;
	size_t n_pending;
	struct pending_put pending[QS_CIDREG_BATCH];
};

struct qs_cidreg *qs_cidreg_new(const struct qs_cid_sink *sink)
{
	struct qs_cidreg *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return NULL;
	reg->sink = *sink;
	reg->op.id = QS_CIDREG_OPERATOR;
	reg->dying_tail = &reg->dying;
	reg->sentinel.key.vip_id = QS_MAX_VIPS;
	HASH_ADD(hh, reg->by_key, key, sizeof(reg->sentinel.key), &reg->sentinel);
	return reg;
}

void qs_cidreg_free(struct qs_cidreg *reg)
{
	struct cid_rec *c, *ctmp;

	if (!reg)
		return;
	HASH_ITER (hh, reg->by_key, c, ctmp) {
		HASH_DEL(reg->by_key, c);
		if (c != &reg->sentinel)
			free(c);
	}
	for (size_t i = 0; i < QS_MAX_BACKENDS; i++)
		free(reg->backends[i]);
	while (reg->dying) {
		struct backend_rec *b = reg->dying;

		reg->dying = b->next_dying;
		free(b);
	}
	free(reg);
}

static int key_make(struct qs_cid_key *key, __u32 vip_id, const __u8 *cid, size_t len)
{
	if (len == 0 || len > QS_CID_MAX_LEN || vip_id >= QS_MAX_VIPS)
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	memcpy(key->cid, cid, len);
	key->cid_len = len;
	key->vip_id = vip_id;
	return 0;
}

static struct backend_rec *backend_get(struct qs_cidreg *reg, __u32 backend_id, int create)
{
	struct backend_rec *b;

	if (backend_id >= QS_MAX_BACKENDS)
		return NULL;
	b = reg->backends[backend_id];
	if (b || !create)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->id = backend_id;
	reg->backends[backend_id] = b;
	return b;
}

static void rec_unlink(struct qs_cidreg *reg, struct cid_rec *c);

/* Removes a record's map entry (tombs have none), then the record. */
static void rec_remove(struct qs_cidreg *reg, struct cid_rec *c)
{
	int err = c->tomb ? 0 : reg->sink.del(reg->sink.ctx, &c->key);

	/* already gone from the map is what we wanted */
	if (err && err != -ENOENT)
		reg->stats.sink_errors++;
	rec_unlink(reg, c);
}

/* The live record of key; a dying one met on the way is finished first. */
static struct cid_rec *rec_find(struct qs_cidreg *reg, const struct qs_cid_key *key)
{
	struct cid_rec *c;

	HASH_FIND(hh, reg->by_key, key, sizeof(*key), c);
	if (c == &reg->sentinel)
		return NULL;
	if (c && c->owner->dying) {
		rec_remove(reg, c);
		c = NULL;
	}
	return c;
}

/* The counters a record is in, by what it is and who holds it. */
static void rec_count(struct qs_cidreg *reg, const struct cid_rec *c, int delta)
{
	struct backend_rec *b = c->owner;

	if (c->tomb) {
		b->tombs += delta;
		return;
	}
	b->n_live += delta;
	if (b->dying)
		reg->stats.pending += delta;
	else if (b == &reg->op)
		reg->stats.operator += delta;
	else
		reg->stats.live += delta;
}

/* Off its owner's list (the record stays in the hash table). */
static void list_unlink(struct cid_rec *c)
{
	struct backend_rec *b = c->owner;

	if (c->prev)
		c->prev->next = c->next;
	else
		b->ids = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void list_link(struct backend_rec *b, struct cid_rec *c)
{
	c->owner = b;
	c->prev = NULL;
	c->next = b->ids;
	if (b->ids)
		b->ids->prev = c;
	b->ids = c;
}

static void rec_unlink(struct qs_cidreg *reg, struct cid_rec *c)
{
	rec_count(reg, c, -1);
	list_unlink(c);
	HASH_DEL(reg->by_key, c);
	free(c);
}

static void rec_link(struct qs_cidreg *reg, struct backend_rec *b, struct cid_rec *c)
{
	if (b != &reg->op)
		c->target = b->id;
	c->snap_gen = b->snap_gen;
	list_link(b, c);
	rec_count(reg, c, 1);
	HASH_ADD(hh, reg->by_key, key, sizeof(c->key), c);
}

/* A record changes owner (to a dying one), staying in the hash table. */
static void rec_move(struct qs_cidreg *reg, struct cid_rec *c, struct backend_rec *to)
{
	rec_count(reg, c, -1);
	list_unlink(c);
	list_link(to, c);
	rec_count(reg, c, 1);
}

/* b's records wait for qs_cidreg_work from now on; b is the registry's to free. */
static void dying_add(struct qs_cidreg *reg, struct backend_rec *b)
{
	reg->stats.live -= b->n_live;
	reg->stats.pending += b->n_live;
	b->dying = 1;
	b->next_dying = NULL;
	*reg->dying_tail = b;
	reg->dying_tail = &b->next_dying;
}

/* An empty dying owner for records that leave b one by one. */
static struct backend_rec *dying_new(struct qs_cidreg *reg, const struct backend_rec *b)
{
	struct backend_rec *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->id = b->id;
	dying_add(reg, d);
	return d;
}

static int rec_add(struct qs_cidreg *reg, struct backend_rec *b, const struct qs_cid_key *key,
		   __u64 handle)
{
	struct qs_cid_entry e = {
		.created_ns = qs_now_coarse_ns(),
		.backend_id = b->id,
		.kind = QS_CID_AUTHORITATIVE,
	};
	struct cid_rec *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->key = *key;
	c->handle = handle;
	if (reg->batching && reg->sink.put_batch && reg->n_pending < QS_CIDREG_BATCH) {
		rec_link(reg, b, c);
		reg->pending[reg->n_pending].c = c;
		reg->pending[reg->n_pending++].e = e;
		return 0;
	}
	err = reg->sink.put(reg->sink.ctx, key, &e);
	if (err) {
		reg->stats.sink_errors++;
		free(c);
		return err;
	}
	rec_link(reg, b, c);
	return 0;
}

void qs_cidreg_batch_begin(struct qs_cidreg *reg)
{
	reg->batching = 1;
}

/*
 * The held-back writes in one batch; if the batch fails, one by one, and a
 * record whose write fails goes again (the next snapshot brings it back).
 */
int qs_cidreg_batch_end(struct qs_cidreg *reg)
{
	static struct qs_cid_key keys[QS_CIDREG_BATCH];
	static struct qs_cid_entry vals[QS_CIDREG_BATCH];
	size_t n = reg->n_pending;
	int err = 0;

	reg->batching = 0;
	reg->n_pending = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		keys[i] = reg->pending[i].c->key;
		vals[i] = reg->pending[i].e;
	}
	if (!reg->sink.put_batch(reg->sink.ctx, keys, vals, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct cid_rec *c = reg->pending[i].c;

		if (!reg->sink.put(reg->sink.ctx, &keys[i], &vals[i]))
			continue;
		reg->stats.sink_errors++;
		rec_unlink(reg, c);
		err = -EIO;
	}
	return err;
}

/* Remembers an ID retired before its issue, within a bound per backend. */
static void tomb_add(struct qs_cidreg *reg, struct backend_rec *b, const struct qs_cid_key *key)
{
	struct cid_rec *c;

	if (b->tombs >= QS_CIDREG_MAX_TOMBS || !(c = calloc(1, sizeof(*c))))
		return;
	c->key = *key;
	c->tomb = 1;
	rec_link(reg, b, c);
}

#define WORK_BATCH 4096

/*
 * Deletes the map entries of up to budget dying records, oldest owner
 * first, a batch at a time where the sink can; returns the records still
 * waiting.
 */
size_t qs_cidreg_work(struct qs_cidreg *reg, size_t budget)
{
	static struct qs_cid_key keys[WORK_BATCH];

	while (budget && reg->dying) {
		struct backend_rec *b = reg->dying;
		struct cid_rec *c = b->ids;
		size_t n = 0;

		if (!c) {
			reg->dying = b->next_dying;
			if (!reg->dying)
				reg->dying_tail = &reg->dying;
			free(b);
			continue;
		}
		if (!reg->sink.del_batch) {
			rec_remove(reg, c);
			budget--;
			continue;
		}
		for (; c && n < budget && n < WORK_BATCH; c = c->next)
			if (!c->tomb)
				keys[n++] = c->key;
		if (n && reg->sink.del_batch(reg->sink.ctx, keys, n))
			reg->stats.sink_errors++;
		/* the records whose keys went: the first n live ones, and tombs among them */
		while (b->ids != c)
			rec_unlink(reg, b->ids);
		budget -= n < budget ? n : budget;
	}
	return reg->stats.pending;
}

int qs_cidreg_incarnation(struct qs_cidreg *reg, __u32 backend_id, __u64 incarnation)
{
	struct backend_rec *b = backend_get(reg, backend_id, 1), *next;

	if (!b)
		return -ENOMEM;
	if (b->has_incarnation && b->incarnation == incarnation)
		return 0;
	/* IDs adopted from the map after a restart belong to whichever it is */
	if (b->has_incarnation && b->ids) {
		next = calloc(1, sizeof(*next));
		if (!next)
			return -ENOMEM;
		next->id = backend_id;
		reg->stats.purged += b->n_live;
		dying_add(reg, b);
		reg->backends[backend_id] = b = next;
	}
	b->incarnation = incarnation;
	b->has_incarnation = 1;
	b->in_snapshot = 0;
	return 1;
}

/* Adds or confirms an ID for b; *added tells which. */
static int issue(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip_id, const __u8 *cid,
		 size_t len, __u64 handle, int *added)
{
	struct qs_cid_key key;
	struct cid_rec *c;
	int err = key_make(&key, vip_id, cid, len);

	*added = 0;
	if (err)
		return err;
	c = rec_find(reg, &key);
	if (c && c->owner != b) {
		reg->stats.conflicts++;
		return -EEXIST;
	}
	if (c && c->tomb) {
		reg->stats.issued_after_retire++;
		return 0;
	}
	if (c) {
		c->handle = handle;
		c->snap_gen = b->snap_gen;
		reg->stats.issued_again++;
		return 0;
	}
	err = rec_add(reg, b, &key, handle);
	if (!err)
		*added = 1;
	return err;
}

int qs_cidreg_issue(struct qs_cidreg *reg, __u32 backend_id, __u32 vip_id, const __u8 *cid,
		    size_t len, __u64 handle)
{
	struct backend_rec *b = backend_get(reg, backend_id, 1);
	int added, err;

	if (!b)
		return -ENOMEM;
	err = issue(reg, b, vip_id, cid, len, handle, &added);
	if (added)
		reg->stats.issued++;
	return err;
}

int qs_cidreg_retire(struct qs_cidreg *reg, __u32 backend_id, __u32 vip_id, const __u8 *cid,
		     size_t len)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);
	struct qs_cid_key key;
	struct cid_rec *c;
	int err = key_make(&key, vip_id, cid, len);

	if (err)
		return err;
	if (!b && !(b = backend_get(reg, backend_id, 1)))
		return -ENOMEM;
	c = rec_find(reg, &key);
	/* a duplicate, or a retire before its issue: remember the latter */
	if (!c || c->owner != b || c->tomb) {
		reg->stats.retired_unknown++;
		if (!c)
			tomb_add(reg, b, &key);
		return 0;
	}
	rec_remove(reg, c);
	reg->stats.retired++;
	if (b->in_snapshot)
		tomb_add(reg, b, &key);
	return 0;
}

int qs_cidreg_close(struct qs_cidreg *reg, __u32 backend_id, __u64 handle)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);
	struct cid_rec *c, *next;

	if (!b)
		return 0;
	for (c = b->ids; c; c = next) {
		next = c->next;
		if (!c->tomb && c->handle == handle) {
			rec_remove(reg, c);
			reg->stats.retired++;
		}
	}
	return 0;
}

int qs_cidreg_snapshot_begin(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id,
			     __u32 vip_id)
{
	struct backend_rec *b = backend_get(reg, backend_id, 1);

	if (!b)
		return -ENOMEM;
	b->snap_gen++;
	b->snapshot_id = snapshot_id;
	b->snapshot_vip = vip_id;
	b->in_snapshot = 1;
	return 0;
}

void qs_cidreg_snapshot_abort(struct qs_cidreg *reg, __u32 backend_id)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);

	if (b)
		b->in_snapshot = 0;
}

static struct backend_rec *snapshot_backend(struct qs_cidreg *reg, __u32 backend_id,
					    __u32 snapshot_id)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);

	return b && b->in_snapshot && b->snapshot_id == snapshot_id ? b : NULL;
}

/* A snapshot lists what is live: an old tombstone for it no longer holds. */
static void tomb_clear(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip_id, const __u8 *cid,
		       size_t len)
{
	struct qs_cid_key key;
	struct cid_rec *c;

	if (key_make(&key, vip_id, cid, len))
		return;
	c = rec_find(reg, &key);
	/* a retire made while this snapshot was open is newer than it */
	if (c && c->tomb && c->owner == b && c->snap_gen != b->snap_gen)
		rec_remove(reg, c);
}

int qs_cidreg_snapshot_add(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id, __u32 vip_id,
			   const __u8 *cid, size_t len, __u64 handle)
{
	struct backend_rec *b = snapshot_backend(reg, backend_id, snapshot_id);
	int added, err;

	if (!b)
		return -ESTALE;
	tomb_clear(reg, b, vip_id, cid, len);
	err = issue(reg, b, vip_id, cid, len, handle, &added);
	if (added)
		reg->stats.snapshot_added++;
	return err;
}

int qs_cidreg_snapshot_end(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id)
{
	struct backend_rec *b = snapshot_backend(reg, backend_id, snapshot_id), *d = NULL;
	struct cid_rec *c, *next;

	if (!b)
		return -ESTALE;
	b->in_snapshot = 0;
	for (c = b->ids; c; c = next) {
		next = c->next;
		if (c->snap_gen == b->snap_gen || c->key.vip_id != b->snapshot_vip)
			continue;
		if (c->tomb) {
			rec_unlink(reg, c);
			continue;
		}
		if (!d && !(d = dying_new(reg, b)))
			return -ENOMEM;
		reg->stats.snapshot_removed++;
		rec_move(reg, c, d);
	}
	return 0;
}

/* A record for an entry the map has already, owned by b, routing to target. */
static int adopt(struct qs_cidreg *reg, struct backend_rec *b, const struct qs_cid_key *key,
		 __u32 target)
{
	struct cid_rec *c;

	if (!b)
		return -ENOMEM;
	if (key->vip_id >= QS_MAX_VIPS || !key->cid_len || key->cid_len > QS_CID_MAX_LEN)
		return -EINVAL;
	if (rec_find(reg, key))
		return -EEXIST;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->key = *key;
	c->target = target;
	rec_link(reg, b, c);
	return 0;
}

int qs_cidreg_adopt(struct qs_cidreg *reg, const struct qs_cid_key *key, __u32 backend_id)
{
	return adopt(reg, backend_get(reg, backend_id, 1), key, backend_id);
}

int qs_cidreg_purge(struct qs_cidreg *reg, __u32 backend_id)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);

	if (!b)
		return 0;
	reg->backends[backend_id] = NULL;
	reg->stats.purged += b->n_live;
	dying_add(reg, b);
	return 0;
}

/* The record of (vip_id, cid): -EINVAL for a bad ID, -ENOENT if none. */
static int rec_lookup(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		      struct cid_rec **c)
{
	struct qs_cid_key key;
	int err = key_make(&key, vip_id, cid, len);

	if (err)
		return err;
	*c = rec_find(reg, &key);
	return *c ? 0 : -ENOENT;
}

int qs_cidreg_owner(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		    __u32 *backend_id)
{
	struct cid_rec *c;
	int err = rec_lookup(reg, vip_id, cid, len, &c);

	if (!err)
		*backend_id = c->owner->id;
	return err;
}

const struct qs_cidreg_stats *qs_cidreg_stats(const struct qs_cidreg *reg)
{
	return &reg->stats;
}

/*
 * The entry is written over whatever the map held (BPF_ANY: a learned or
 * reported entry is replaced in one step, no packet sees the ID missing),
 * then the record that held the ID, if any, is unlinked without a delete.
 */
int qs_cidreg_op_set(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		     __u32 backend_id, __u32 *replaced)
{
	struct qs_cid_entry e = {
		.created_ns = qs_now_coarse_ns(),
		.backend_id = backend_id,
		.kind = QS_CID_OPERATOR,
	};
	struct qs_cid_key key;
	struct cid_rec *c;
	int err = key_make(&key, vip_id, cid, len);

	*replaced = QS_NO_BACKEND;
	if (err || backend_id == QS_NO_BACKEND || backend_id >= QS_MAX_BACKENDS)
		return -EINVAL;
	err = reg->sink.put(reg->sink.ctx, &key, &e);
	if (err) {
		reg->stats.sink_errors++;
		return err;
	}
	c = rec_find(reg, &key);
	if (c && c->owner == &reg->op) {
		*replaced = QS_CIDREG_OPERATOR;
		c->target = backend_id;
		return 0;
	}
	if (c) {
		if (!c->tomb)
			*replaced = c->owner->id;
		rec_unlink(reg, c);
	}
	err = adopt(reg, &reg->op, &key, backend_id);
	if (err) /* the entry routes, but no record holds it: take it out again */
		reg->sink.del(reg->sink.ctx, &key);
	return err;
}

int qs_cidreg_adopt_operator(struct qs_cidreg *reg, const struct qs_cid_key *key,
			     __u32 backend_id)
{
	return adopt(reg, &reg->op, key, backend_id);
}

int qs_cidreg_remove(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		     __u32 *owner)
{
	struct cid_rec *c;
	int err = rec_lookup(reg, vip_id, cid, len, &c);

	if (err)
		return err;
	if (c->tomb)
		return -ENOENT;
	*owner = c->owner->id;
	if (c->owner != &reg->op)
		reg->stats.retired++;
	rec_remove(reg, c);
	return 0;
}

/* b's records that match move to a dying owner; how many. */
static long flush_list(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip_id,
		       __u32 backend_id)
{
	struct backend_rec *d = NULL;
	struct cid_rec *c, *next;
	long n = 0;

	for (c = b ? b->ids : NULL; c; c = next) {
		next = c->next;
		if (c->tomb || (vip_id != QS_MAX_VIPS && c->key.vip_id != vip_id) ||
		    (backend_id != QS_NO_BACKEND && c->target != backend_id))
			continue;
		if (!d && !(d = dying_new(reg, b)))
			return -ENOMEM;
		rec_move(reg, c, d);
		n++;
	}
	return n;
}

long qs_cidreg_flush(struct qs_cidreg *reg, __u32 vip_id, __u32 backend_id, unsigned int which)
{
	long n = 0, k;

	if (which & QS_CIDREG_FLUSH_OPERATOR) {
		k = flush_list(reg, &reg->op, vip_id, backend_id);
		if (k < 0)
			return k;
		n += k;
	}
	if (!(which & QS_CIDREG_FLUSH_REPORTED))
		return n;
	for (__u32 id = 1; id < QS_MAX_BACKENDS; id++) {
		if (backend_id != QS_NO_BACKEND && id != backend_id)
			continue;
		k = flush_list(reg, reg->backends[id], vip_id, QS_NO_BACKEND);
		if (k < 0)
			return k;
		reg->stats.retired += k;
		n += k;
	}
	return n;
}
