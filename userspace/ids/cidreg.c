// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the registry does with each report, on the records of
 * cidreg_records.c: every operation costs the IDs it concerns, never a
 * walk of a backend's IDs, and removals in bulk (a new incarnation, a
 * backend removed, a flush, what a snapshot no longer lists) never touch
 * the map inline: qs_cidreg_work deletes their entries a bounded batch at
 * a time between datagrams. A record on its way out is already gone for
 * every question the registry answers: the first lookup that meets one
 * deletes its entry there and then, so an ID may be issued again, by
 * anyone, before the purge reaches it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cidreg_records.h"
#include "util/clock.h"

struct qs_cidreg *qs_cidreg_new(const struct qs_cid_sink *sink)
{
	struct qs_cidreg *reg;
	int err = qs_hash_init();

	/* never a table under a key anyone knows */
	if (err) {
		errno = -err;
		return NULL;
	}
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return NULL;
	reg->sink = *sink;
	reg->op.id = QS_CIDREG_OPERATOR;
	reg->dying_tail = &reg->dying;
	for (size_t i = 0; i < QS_MAX_BACKENDS; i++)
		reg->quotas[i].max_ids = QS_CIDREG_DEFAULT_MAX_IDS;
	if (sink->buckets < 1 || records_init(reg)) {
		qs_cidreg_free(reg);
		errno = sink->buckets < 1 ? EINVAL : ENOMEM;
		return NULL;
	}
	return reg;
}

void qs_cidreg_free(struct qs_cidreg *reg)
{
	if (!reg)
		return;
	records_free(reg);
	free(reg);
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
	if (owner_add(reg, b)) {
		free(b);
		return NULL;
	}
	b->id = backend_id;
	reg->backends[backend_id] = b;
	return b;
}

static int rec_add(struct qs_cidreg *reg, struct backend_rec *b, const struct cid_ref *r,
		   __u64 handle)
{
	__u32 c = rec_new(reg, r, 0);
	int err;

	if (!c)
		return -ENOMEM;
	err = reg->sink.put(reg->sink.ctx, &r->place, r->vip, b->id, QS_CID_AUTHORITATIVE);
	if (err) {
		reg->stats.sink_errors++;
		rec_free_new(reg, c);
		return err;
	}
	return rec_link(reg, b, c, handle);
}

/*
 * Remembers an ID b retired and does not hold, within a bound per backend:
 * b's own tombstone, which no other backend's issue or snapshot meets.
 */
static void tomb_add(struct qs_cidreg *reg, struct backend_rec *b, const struct cid_ref *r)
{
	__u32 c;

	if (b->tombs >= QS_CIDREG_MAX_TOMBS || tomb_find(reg, b, r) || !(c = rec_new(reg, r, 1)))
		return;
	rec_link(reg, b, c, 0);
}

/* Every list of b is empty (tombs count). */
static int backend_empty(const struct backend_rec *b)
{
	for (__u32 v = 0; v < QS_MAX_VIPS; v++)
		if (b->lists[v].head)
			return 0;
	return 1;
}

int qs_cidreg_incarnation(struct qs_cidreg *reg, __u32 backend_id, __u64 incarnation)
{
	struct backend_rec *b = backend_get(reg, backend_id, 1), *next;

	if (!b)
		return -ENOMEM;
	if (b->has_incarnation && b->incarnation == incarnation)
		return 0;
	/* IDs adopted from the map after a restart belong to whichever it is */
	if (b->has_incarnation && !backend_empty(b)) {
		next = calloc(1, sizeof(*next));
		if (!next)
			return -ENOMEM;
		if (owner_add(reg, next)) {
			free(next);
			return -ENOMEM;
		}
		next->id = backend_id;
		reg->stats.purged += b->n_live;
		dying_add(reg, b);
		reg->backends[backend_id] = b = next;
	}
	b->incarnation = incarnation;
	b->has_incarnation = 1;
	memset(b->snapshots, 0, sizeof(b->snapshots));
	return 1;
}

/*
 * A new ID of b's fits its quota; else refused and counted, there and in
 * b's own figures, so an operator sees whose key is flooding the table.
 */
static int quota_take(struct qs_cidreg *reg, const struct backend_rec *b)
{
	struct qs_cidreg_quota *q = &reg->quotas[b->id];

	if (q->ids < q->max_ids)
		return 0;
	q->over_quota++;
	reg->stats.over_quota++;
	return -EDQUOT;
}

void qs_cidreg_prefetch_begin(struct qs_cidreg *reg)
{
	reg->n_ahead = reg->next_ahead = 0;
}

void qs_cidreg_prefetch(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len)
{
	struct ahead *a = &reg->ahead[reg->n_ahead];

	if (reg->n_ahead == AHEAD_MAX || cid_ref_make(reg, &a->ref, vip_id, cid, len))
		return;
	memcpy(a->cid, cid, len);
	a->len = len;
	a->vip = vip_id;
	reg->n_ahead++;
	records_prefetch(reg, &a->ref);
	if (reg->sink.prefetch)
		reg->sink.prefetch(reg->sink.ctx, &a->ref.place);
}

/*
 * The ID's place: the next prefetched one's when it is this ID (a datagram
 * is taken in the order it was prefetched), else computed.
 */
static int ref_of(struct qs_cidreg *reg, struct cid_ref *r, __u32 vip_id, const __u8 *cid,
		  size_t len)
{
	const struct ahead *a = &reg->ahead[reg->next_ahead];

	if (reg->next_ahead < reg->n_ahead && a->len == len && a->vip == vip_id &&
	    !memcmp(a->cid, cid, len)) {
		reg->next_ahead++;
		*r = a->ref;
		return 0;
	}
	return cid_ref_make(reg, r, vip_id, cid, len);
}

/*
 * Adds or confirms an ID for b, issued or listed by b's snapshot s (NULL:
 * issued); *added tells which. An ID b retired stays retired (b's
 * tombstone), unless s is newer than the retire; an ID another backend or
 * the operator holds stays theirs: b's claim is refused and counted,
 * whoever claimed first keeps it (IDs are the backends' choice); a new ID
 * past b's quota is refused and counted.
 */
static int issue(struct qs_cidreg *reg, struct backend_rec *b, const struct snapshot *s,
		 __u32 vip_id, const __u8 *cid, size_t len, __u64 handle, int *added)
{
	struct cid_ref r;
	__u32 c;
	int err = ref_of(reg, &r, vip_id, cid, len);

	*added = 0;
	if (err)
		return err;
	c = b->tombs ? tomb_find(reg, b, &r) : 0;
	/* a snapshot lists what is live: a retire before it no longer holds */
	if (c && s && REC(reg, c)->snap_gen < s->gen) {
		rec_remove(reg, c);
		c = 0;
	}
	if (c) {
		reg->stats.issued_after_retire++;
		return 0;
	}
	c = rec_find(reg, &r);
	if (c && OWNER(reg, REC(reg, c)) != b) {
		reg->stats.conflicts++;
		return -EEXIST;
	}
	if (c) {
		reg->stats.issued_again++;
		return rec_touch(reg, c, r.vip, handle);
	}
	err = quota_take(reg, b) ?: rec_add(reg, b, &r, handle);
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
	err = issue(reg, b, NULL, vip_id, cid, len, handle, &added);
	if (added)
		reg->stats.issued++;
	return err;
}

int qs_cidreg_retire(struct qs_cidreg *reg, __u32 backend_id, __u32 vip_id, const __u8 *cid,
		     size_t len)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);
	struct cid_ref r;
	__u32 c;
	int err = cid_ref_make(reg, &r, vip_id, cid, len);

	if (err)
		return err;
	if (!b && !(b = backend_get(reg, backend_id, 1)))
		return -ENOMEM;
	c = rec_find(reg, &r);
	/*
	 * Not b's (a duplicate, a retire before its issue, another's ID): b's
	 * tombstone, so that b's own issue of it later counts for nothing.
	 */
	if (!c || OWNER(reg, REC(reg, c)) != b) {
		reg->stats.retired_unknown++;
		tomb_add(reg, b, &r);
		return 0;
	}
	rec_remove(reg, c);
	reg->stats.retired++;
	/* a part of the open snapshot, taken before, may list it still */
	if (b->snapshots[vip_id].open)
		tomb_add(reg, b, &r);
	return 0;
}

int qs_cidreg_close(struct qs_cidreg *reg, __u32 backend_id, __u64 handle)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);
	__u32 c;

	while (b && (c = conn_ids(reg, b, handle))) {
		rec_remove(reg, c);
		reg->stats.retired++;
	}
	return 0;
}

int qs_cidreg_snapshot_begin(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id,
			     __u32 vip_id)
{
	struct backend_rec *b = backend_get(reg, backend_id, 1);
	struct snapshot *s;

	if (vip_id >= QS_MAX_VIPS)
		return -EINVAL;
	if (!b)
		return -ENOMEM;
	s = &b->snapshots[vip_id];
	s->gen = ++b->gen[vip_id];
	s->id = snapshot_id;
	s->open = 1;
	return 0;
}

/* b's snapshot of vip_id in progress, if its id is snapshot_id. */
static struct snapshot *snapshot_of(struct backend_rec *b, __u32 vip_id, __u32 snapshot_id)
{
	struct snapshot *s;

	if (!b || vip_id >= QS_MAX_VIPS)
		return NULL;
	s = &b->snapshots[vip_id];
	return s->open && s->id == snapshot_id ? s : NULL;
}

void qs_cidreg_snapshot_abort(struct qs_cidreg *reg, __u32 backend_id, __u32 vip_id)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);

	if (b && vip_id < QS_MAX_VIPS)
		b->snapshots[vip_id].open = 0;
}

int qs_cidreg_snapshot_add(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id, __u32 vip_id,
			   const __u8 *cid, size_t len, __u64 handle)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);
	struct snapshot *s = snapshot_of(b, vip_id, snapshot_id);
	int added, err;

	if (!s)
		return -ESTALE;
	err = issue(reg, b, s, vip_id, cid, len, handle, &added);
	if (added)
		reg->stats.snapshot_added++;
	return err;
}

/*
 * What the snapshot did not list is what it saw no more: the tail of the
 * backend's list of that VIP, older than this snapshot. qs_cidreg_work
 * sweeps it (the IDs stay until then).
 */
int qs_cidreg_snapshot_end(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id, __u32 vip_id)
{
	struct backend_rec *b = backend_get(reg, backend_id, 0);
	struct snapshot *s = snapshot_of(b, vip_id, snapshot_id);

	if (!s)
		return -ESTALE;
	s->open = 0;
	return sweep_add(reg, b, vip_id, s->gen, 0);
}

/* A record for an entry the table has already, owned by b, routing to target. */
static int adopt(struct qs_cidreg *reg, struct backend_rec *b, const struct qs_cid_place *p,
		 __u32 vip_id, __u32 target)
{
	struct cid_ref r = { .place = *p, .vip = vip_id };
	__u32 c;

	if (!b)
		return -ENOMEM;
	if (vip_id >= QS_MAX_VIPS || !qs_cid_place_valid(p, reg->sink.buckets))
		return -EINVAL;
	r.place.pad = 0;
	if (rec_find(reg, &r))
		return -EEXIST;
	c = rec_new(reg, &r, 0);
	if (!c)
		return -ENOMEM;
	rec_link(reg, b, c, 0);
	REC(reg, c)->target = target;
	return 0;
}

int qs_cidreg_adopt(struct qs_cidreg *reg, const struct qs_cid_place *p, __u32 vip_id,
		    __u32 backend_id)
{
	return adopt(reg, backend_get(reg, backend_id, 1), p, vip_id, backend_id);
}

int qs_cidreg_set_max_ids(struct qs_cidreg *reg, __u32 backend_id, __u32 max_ids)
{
	if (backend_id >= QS_MAX_BACKENDS)
		return -EINVAL;
	reg->quotas[backend_id].max_ids = max_ids;
	return 0;
}

const struct qs_cidreg_quota *qs_cidreg_quota(const struct qs_cidreg *reg, __u32 backend_id)
{
	return backend_id < QS_MAX_BACKENDS ? &reg->quotas[backend_id] : NULL;
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
static int rec_lookup(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len, __u32 *c)
{
	struct cid_ref r;
	int err = cid_ref_make(reg, &r, vip_id, cid, len);

	if (err)
		return err;
	*c = rec_find(reg, &r);
	return *c ? 0 : -ENOENT;
}

int qs_cidreg_place(const struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		    struct qs_cid_place *p)
{
	struct cid_ref r;
	int err = cid_ref_make(reg, &r, vip_id, cid, len);

	if (!err)
		*p = r.place;
	return err;
}

int qs_cidreg_owner(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		    __u32 *backend_id)
{
	__u32 c;
	int err = rec_lookup(reg, vip_id, cid, len, &c);

	if (!err)
		*backend_id = OWNER(reg, REC(reg, c))->id;
	return err;
}

const struct qs_cidreg_stats *qs_cidreg_stats(const struct qs_cidreg *reg)
{
	return &reg->stats;
}

/*
 * The entry is written over whatever the table held (a reported entry is
 * replaced in one store, no packet sees the ID missing), then the record
 * that held the ID, if any, is unlinked without a delete.
 */
int qs_cidreg_op_set(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		     __u32 backend_id, __u32 *replaced)
{
	struct cid_ref r;
	__u32 c;
	int err = cid_ref_make(reg, &r, vip_id, cid, len);

	*replaced = QS_NO_BACKEND;
	if (err || backend_id == QS_NO_BACKEND || backend_id >= QS_MAX_BACKENDS)
		return -EINVAL;
	err = reg->sink.put(reg->sink.ctx, &r.place, r.vip, backend_id, QS_CID_OPERATOR);
	if (err) {
		reg->stats.sink_errors++;
		return err;
	}
	c = rec_find(reg, &r);
	if (c && OWNER(reg, REC(reg, c)) == &reg->op) {
		*replaced = QS_CIDREG_OPERATOR;
		REC(reg, c)->target = backend_id;
		return 0;
	}
	if (c) {
		*replaced = OWNER(reg, REC(reg, c))->id;
		rec_unlink(reg, c);
	}
	err = adopt(reg, &reg->op, &r.place, r.vip, backend_id);
	if (err) /* the entry routes, but no record holds it: take it out again */
		reg->sink.del(reg->sink.ctx, &r.place);
	return err;
}

int qs_cidreg_adopt_operator(struct qs_cidreg *reg, const struct qs_cid_place *p, __u32 vip_id,
			     __u32 backend_id)
{
	return adopt(reg, &reg->op, p, vip_id, backend_id);
}

int qs_cidreg_remove(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		     __u32 *owner)
{
	__u32 c;
	int err = rec_lookup(reg, vip_id, cid, len, &c);

	if (err)
		return err;
	*owner = OWNER(reg, REC(reg, c))->id;
	if (OWNER(reg, REC(reg, c)) != &reg->op)
		reg->stats.retired++;
	rec_remove(reg, c);
	return 0;
}

/* The operator's records that match move to a dying owner (few: a walk); how many. */
static long flush_list(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip_id,
		       __u32 backend_id)
{
	struct backend_rec *d = NULL;
	__u32 c, next;
	long n = 0;

	for (__u32 v = 0; b && v < QS_MAX_VIPS; v++) {
		if (vip_id != QS_MAX_VIPS && v != vip_id)
			continue;
		for (c = b->lists[v].head; c; c = next) {
			next = REC(reg, c)->next;
			if (backend_id != QS_NO_BACKEND && REC(reg, c)->target != backend_id)
				continue;
			if (!d && !(d = dying_new(reg, b)))
				return -ENOMEM;
			rec_move(reg, c, d);
			n++;
		}
	}
	return n;
}

/*
 * Every ID b holds (on vip_id, or all): a sweep of whole lists, so that a
 * million IDs cost nothing now. Each list's generation goes up, so that
 * the IDs issued from now on are newer than the flush and stay.
 */
static long flush_backend(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip_id)
{
	long n = 0;

	if (!b)
		return 0;
	for (__u32 v = 0; v < QS_MAX_VIPS; v++) {
		if ((vip_id != QS_MAX_VIPS && v != vip_id) || !b->lists[v].head)
			continue;
		n += b->list_live[v];
		sweep_add(reg, b, v, ++b->gen[v], 1);
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
		k = flush_backend(reg, reg->backends[id], vip_id);
		reg->stats.retired += k;
		n += k;
	}
	return n;
}
