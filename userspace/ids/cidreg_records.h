/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ID registry's records and how they are found (cidreg.c's internals,
 * not for other callers). An ID is known by its place in qs_cidtab (first
 * bucket, fingerprint: include/abi/cidtab.h), never by its bytes, so that a
 * record is 48 bytes and a restarted agent rebuilds every record from the
 * table alone. Every operation a report can cause costs the IDs it
 * concerns, never a walk of a backend's IDs:
 * - by place: one chained table of every record, indexed by the
 *   fingerprint's low bits (a keyed hash already: nobody without the
 *   table's key can aim IDs at one chain), for issue, retire, remove; a
 *   tombstone is a record of its backend marked so, apart from the live
 *   record of the same place;
 * - by connection: a chained table of (owner, handle), keyed-hashed
 *   (handles are a backend's choice), each with its IDs, for a close;
 * - by owner and VIP: a list per (backend incarnation, VIP) in the order
 *   the IDs were last issued or listed by a snapshot, newest first, so the
 *   IDs a snapshot did not list are the list's tail and its end costs those
 *   alone.
 * Records and connections live in pools of fixed-size items named by
 * 32-bit indices (0: none), in chunks that never move. Removals in bulk
 * move records to a dying owner (a whole incarnation in one step) or leave
 * them at a list's tail for a sweep; cidreg_work then deletes their table
 * entries a bounded number per call.
 */
#ifndef QS_CIDREG_RECORDS_H
#define QS_CIDREG_RECORDS_H

#include "util/hash.h"
#include "cidreg.h"

/* Items of a pool by 32-bit index, in chunks of POOL_CHUNK that never move. */
#define POOL_CHUNK_LOG2 16
#define POOL_CHUNK (1u << POOL_CHUNK_LOG2)

struct pool {
	void **chunks;
	__u32 n_chunks, cap_chunks;
	__u32 item_size;
	__u32 next_new; /* items below were handed out once; 0 is never */
	__u32 free_head; /* a freed item's first 4 bytes name the next free one */
	__u64 used;
};

static inline void *pool_at(const struct pool *p, __u32 i)
{
	return (char *)p->chunks[i >> POOL_CHUNK_LOG2] + (size_t)(i & (POOL_CHUNK - 1)) * p->item_size;
}

/*
 * A record: a backend's or the operator's live ID (in qs_cidtab), or a
 * tombstone (an ID its backend retired before it was issued, or while a
 * snapshot of its VIP was open: not in the table; its backend's later
 * issue of the ID is ignored until a snapshot or a new incarnation says
 * otherwise). Each backend's tombstones are its own, so that a retire can
 * only ever refuse what its own backend says of the ID later.
 */
struct cid_rec {
	__u32 hnext; /* the place table's chain; a free item's next */
	__u32 first; /* the place */
	__u64 fp;
	__u32 owner; /* index of its owner: a backend incarnation, the operator, or dying */
	__u32 snap_gen; /* the generation of the owner's list of its VIP that last saw it */
	__u32 prev, next; /* the owner's list of its VIP */
	__u32 cprev, cnext; /* its connection's */
	__u32 conn; /* its connection, 0 for tombs, adopted and dying moved records */
	__u16 target; /* the backend it routes to: the owner, or the operator's choice */
	__u8 vip;
	__u8 tomb;
};
_Static_assert(sizeof(struct cid_rec) == 48, "cid_rec: 48 bytes an ID");
_Static_assert(QS_MAX_BACKENDS <= 65536 && QS_MAX_VIPS <= 256, "cid_rec's narrow fields");

/* A connection of a backend incarnation: its handle and its IDs. */
struct conn_rec {
	__u32 hnext; /* the connection table's chain; a free item's next */
	__u32 owner;
	__u64 handle;
	__u32 ids; /* newest first, through cnext */
	__u32 pad;
};

struct cid_list {
	__u32 head, tail;
};

/* A backend's snapshot of one VIP in progress, from its begin to its end. */
struct snapshot {
	__u32 id;
	__u32 gen; /* its list's generation at its begin: older records it has not seen */
	int open;
};

struct backend_rec {
	__u32 id; /* a backend's, or QS_CIDREG_OPERATOR */
	__u32 index; /* its own in the registry's owners */
	__u64 incarnation;
	int has_incarnation;
	__u32 tombs;
	__u64 n_live; /* records that are not tombs */
	struct cid_list lists[QS_MAX_VIPS];
	__u32 list_live[QS_MAX_VIPS]; /* records of each list that are not tombs */
	/* each list's generation: a snapshot's begin or a flush starts a new one */
	__u32 gen[QS_MAX_VIPS];
	/* one snapshot per VIP at a time: a backend may send several VIPs' at once */
	struct snapshot snapshots[QS_MAX_VIPS];
	/* records of lists[v] last seen before sweep_gen[v] are stale: swept */
	__u32 sweep_gen[QS_MAX_VIPS];
	__u32 sweep_counted; /* bit v: what lists[v]'s sweep removes is counted already (flush) */
	int sweeping; /* on the registry's sweep list */
	struct backend_rec *next_sweep;
	int dying; /* its records' table entries wait for cidreg_work */
	struct backend_rec *next_dying;
};

/* Chains of the place table and of the connection table: about 2 records a chain at its size. */
#define PLACE_HEADS_LOG2 20
#define CONN_HEADS_LOG2 19

/* An ID as the table looks it up: its VIP and its place. */
struct cid_ref {
	struct qs_cid_place place;
	__u32 vip;
};

/* An ID prefetched, its place computed once: what the issue that follows takes. */
struct ahead {
	__u8 cid[QS_CID_MAX_LEN];
	__u8 len;
	__u8 vip;
	struct cid_ref ref;
};

#define AHEAD_MAX 512 /* a datagram holds at most 384 records */

struct qs_cidreg {
	struct qs_cid_sink sink;
	/* the IDs of the datagram prefetched, in order, and the next one an issue may take */
	struct ahead ahead[AHEAD_MAX];
	__u32 n_ahead, next_ahead;
	struct pool recs, conns;
	__u32 *place_heads; /* 2^PLACE_HEADS_LOG2 */
	__u32 *conn_heads; /* 2^CONN_HEADS_LOG2 */
	__u32 last_conn; /* the connection found last: a datagram lists a connection's IDs together */
	/* owners by index: backends (current incarnations), the operator, dying ones */
	struct backend_rec **owners;
	__u32 n_owners, cap_owners, free_owner; /* free_owner: an index whose slot is NULL, or 0 */
	struct backend_rec *backends[QS_MAX_BACKENDS]; /* by id */
	struct backend_rec op; /* the operator's entries: no report reaches them */
	struct backend_rec *dying; /* oldest first */
	struct backend_rec **dying_tail;
	struct backend_rec *sweeps; /* backends whose snapshots left stale records */
	struct qs_cidreg_stats stats;
	struct qs_cidreg_quota quotas[QS_MAX_BACKENDS]; /* by backend id */
};

static inline struct cid_rec *REC(const struct qs_cidreg *reg, __u32 i)
{
	return pool_at(&reg->recs, i);
}

static inline struct backend_rec *OWNER(const struct qs_cidreg *reg, const struct cid_rec *c)
{
	return reg->owners[c->owner];
}

/* The tables; -ENOMEM. */
int records_init(struct qs_cidreg *reg);
/* -EINVAL for an ID no report can name. */
int cid_ref_make(const struct qs_cidreg *reg, struct cid_ref *r, __u32 vip_id, const __u8 *cid,
		 size_t len);
/* An owner gets its index; -ENOMEM. */
int owner_add(struct qs_cidreg *reg, struct backend_rec *b);
/* A new record of r, not linked anywhere; 0 when out of memory. */
__u32 rec_new(struct qs_cidreg *reg, const struct cid_ref *r, int tomb);
/* A record of rec_new never linked goes back. */
void rec_free_new(struct qs_cidreg *reg, __u32 c);
/* Starts loading the chain head of r. */
void records_prefetch(const struct qs_cidreg *reg, const struct cid_ref *r);
/* The live record of r; a dying one met on the way is finished first. 0: none. */
__u32 rec_find(struct qs_cidreg *reg, const struct cid_ref *r);
/* b's tombstone of r, the same way. */
__u32 tomb_find(struct qs_cidreg *reg, const struct backend_rec *b, const struct cid_ref *r);
/* Into the place table, b's list (newest first) and its connection (handle); counted. */
int rec_link(struct qs_cidreg *reg, struct backend_rec *b, __u32 c, __u64 handle);
/* Out of everything and freed; rec_remove deletes its table entry first. */
void rec_unlink(struct qs_cidreg *reg, __u32 c);
void rec_remove(struct qs_cidreg *reg, __u32 c);
/* Seen again (issued, or listed by a snapshot, maybe of its VIP now known). */
int rec_touch(struct qs_cidreg *reg, __u32 c, __u32 vip, __u64 handle);
/* To a dying owner: gone for the registry, its table entry deleted by cidreg_work. */
void rec_move(struct qs_cidreg *reg, __u32 c, struct backend_rec *to);
/* b's records wait for cidreg_work from now on; b is the registry's to free. */
void dying_add(struct qs_cidreg *reg, struct backend_rec *b);
/* An empty dying owner for records that leave b one by one. */
struct backend_rec *dying_new(struct qs_cidreg *reg, const struct backend_rec *b);
/* The connection's newest record (0: none). */
__u32 conn_ids(struct qs_cidreg *reg, const struct backend_rec *b, __u64 handle);
/*
 * Records of list vip older than gen go, swept a bounded number per
 * cidreg_work; counted: the caller counted them (a flush), else each
 * counts as snapshot_removed.
 */
int sweep_add(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip, __u32 gen, int counted);
/* A backend going dying leaves the sweep list. */
void sweep_drop(struct qs_cidreg *reg, struct backend_rec *b);
/* An owner and its index go (its lists must be empty, or their records freed with it). */
void owner_free(struct qs_cidreg *reg, struct backend_rec *b);
/* Every record, connection and owner (the registry itself stays). */
void records_free(struct qs_cidreg *reg);

#endif /* QS_CIDREG_RECORDS_H */
