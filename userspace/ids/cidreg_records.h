/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ID registry's records and how they are found (cidreg.c's internals,
 * not for other callers). Every operation a report can cause costs the IDs
 * it concerns, never a walk of a backend's IDs:
 * - by key: one hash table of every record (uthash, with util/hash.h's
 *   keyed hash: IDs are chosen by clients and backends), for issue,
 *   retire, remove; a tombstone's key names its backend, so each
 *   backend's tombstones are apart from the live IDs and from each other;
 * - by connection: a hash of (owner, handle) with the connection's IDs, for
 *   a close (handles are a backend's choice: the same keyed hash);
 * - by owner and VIP: a list per (backend incarnation, VIP) in the order
 *   the IDs were last issued or listed by a snapshot, newest first, so the
 *   IDs a snapshot did not list are the list's tail and its end costs those
 *   alone.
 * Removals in bulk move records to a dying owner (a whole incarnation in
 * one step) or leave them at a list's tail for a sweep; cidreg_work then
 * deletes their map entries a bounded batch per call.
 */
#ifndef QS_CIDREG_RECORDS_H
#define QS_CIDREG_RECORDS_H

#include "util/hash.h"
#include "cidreg.h"

struct backend_rec;
struct conn_rec;

/*
 * What the ID table is keyed by. A live record (a backend's or the
 * operator's) has tomb_of QS_NO_BACKEND: one per (VIP, ID). A tombstone
 * (an ID its backend retired before it was issued, or while a snapshot of
 * its VIP was open) has the id of the backend that wrote it: each
 * backend's tombstones are its own, so that a retire can only ever refuse
 * what its own backend says of the ID later, never another's issue.
 */
struct rec_key {
	struct qs_cid_key id;
	__u32 tomb_of;
	__u32 pad;
};
_Static_assert(sizeof(struct rec_key) == 40, "rec_key: the bytes hashed, no hole");

struct cid_rec {
	struct rec_key key;
	__u64 handle;
	struct backend_rec *owner; /* a backend incarnation, the operator, or dying */
	struct conn_rec *conn; /* NULL for tombs and dying moved records */
	__u32 target; /* the backend it routes to: the owner, or the operator's choice */
	__u32 snap_gen; /* the generation of the owner's list of its VIP that last saw it */
	struct cid_rec *prev, *next; /* the owner's list of its VIP */
	struct cid_rec *cprev, *cnext; /* the connection's */
	UT_hash_handle hh;
};

/*
 * A tombstone: not in the map; its backend's later issue of the ID is
 * ignored until a snapshot or a new incarnation says otherwise.
 */
static inline int rec_is_tomb(const struct cid_rec *c)
{
	return c->key.tomb_of != QS_NO_BACKEND;
}

struct cid_list {
	struct cid_rec *head, *tail;
};

struct conn_key {
	const struct backend_rec *owner;
	__u64 handle;
};

struct conn_rec {
	struct conn_key key;
	struct cid_rec *ids;
	UT_hash_handle hh;
};

/* A backend's snapshot of one VIP in progress, from its begin to its end. */
struct snapshot {
	__u32 id;
	__u32 gen; /* its list's generation at its begin: older records it has not seen */
	int open;
};

struct backend_rec {
	__u32 id; /* a backend's, or QS_CIDREG_OPERATOR */
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
	struct backend_rec *sweep_to; /* the dying owner its stale records go to */
	struct backend_rec *next_sweep;
	int dying; /* its records' map entries wait for cidreg_work */
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
	struct conn_rec *conns;
	struct conn_rec conn_sentinel;
	struct backend_rec *backends[QS_MAX_BACKENDS]; /* by id */
	struct backend_rec op; /* the operator's entries: no report reaches them */
	struct backend_rec *dying; /* oldest first */
	struct backend_rec **dying_tail;
	struct backend_rec *sweeps; /* backends whose snapshots left stale records */
	struct qs_cidreg_stats stats;
	struct qs_cidreg_quota quotas[QS_MAX_BACKENDS]; /* by backend id */
	int batching;
	size_t n_pending;
	struct pending_put pending[QS_CIDREG_BATCH];
};

/*
 * An ID as the table looks it up: its key, and the hash of the (VIP, ID)
 * alone, which its live record and every backend's tombstone of it share,
 * so that one hash finds them all.
 */
struct cid_ref {
	struct qs_cid_key key;
	unsigned int hashv;
};

/* The two tables, each with its sentinel. */
void records_init(struct qs_cidreg *reg);
/* -EINVAL for an ID no report can name. */
int cid_ref_make(struct cid_ref *r, __u32 vip_id, const __u8 *cid, size_t len);
void cid_ref_of(struct cid_ref *r, const struct qs_cid_key *key);
/* tomb_of: QS_NO_BACKEND for a live record, else the backend whose tombstone it is. */
struct cid_rec *rec_new(const struct qs_cid_key *key, __u64 handle, __u32 tomb_of);
/* The live record of r; a dying one met on the way is finished first. */
struct cid_rec *rec_find(struct qs_cidreg *reg, const struct cid_ref *r);
/* b's tombstone of r, the same way. */
struct cid_rec *tomb_find(struct qs_cidreg *reg, const struct backend_rec *b,
			  const struct cid_ref *r);
/* Into the table (hashv: its cid_ref's), b's list (newest first) and its connection; counted. */
int rec_link(struct qs_cidreg *reg, struct backend_rec *b, struct cid_rec *c, unsigned int hashv);
/* Out of everything and freed; rec_remove deletes its map entry first. */
void rec_unlink(struct qs_cidreg *reg, struct cid_rec *c);
void rec_remove(struct qs_cidreg *reg, struct cid_rec *c);
/* Seen again (issued, or listed by a snapshot): newest of its list, on connection handle. */
int rec_touch(struct qs_cidreg *reg, struct cid_rec *c, __u64 handle);
/* To a dying owner: gone for the registry, its map entry deleted by cidreg_work. */
void rec_move(struct qs_cidreg *reg, struct cid_rec *c, struct backend_rec *to);
/* b's records wait for cidreg_work from now on; b is the registry's to free. */
void dying_add(struct qs_cidreg *reg, struct backend_rec *b);
/* An empty dying owner for records that leave b one by one. */
struct backend_rec *dying_new(struct qs_cidreg *reg, const struct backend_rec *b);
/* The connection's records, newest first (NULL: none). */
struct cid_rec *conn_ids(struct qs_cidreg *reg, const struct backend_rec *b, __u64 handle);
/*
 * Records of list vip older than gen go, swept a bounded number per
 * cidreg_work; counted: the caller counted them (a flush), else each
 * counts as snapshot_removed.
 */
int sweep_add(struct qs_cidreg *reg, struct backend_rec *b, __u32 vip, __u32 gen, int counted);
/* A backend going dying leaves the sweep list. */
void sweep_drop(struct qs_cidreg *reg, struct backend_rec *b);
/* Every record, connection and owner (the registry itself stays). */
void records_free(struct qs_cidreg *reg);

#endif /* QS_CIDREG_RECORDS_H */
