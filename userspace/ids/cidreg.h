/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's registry of reported connection IDs: which backend
 * incarnation owns each (VIP, ID), so that a retire only removes what its
 * backend registered, a new incarnation purges what the previous one left,
 * and a complete snapshot repairs whatever datagrams were lost. No report
 * of one backend adds, moves or removes another's ID (issue 11: a backend's
 * key may be in the wrong hands). Every change to the data path goes
 * through a sink (qs_cidtab in the agent, a recorder in tests). IDs are
 * known by their place in qs_cidtab (include/abi/cidtab.h), not by their
 * bytes: 48 bytes a record, and a restarted agent gets every record back
 * from the table. Functions return 0 or -errno; a retire allocates at most
 * a tombstone.
 */
#ifndef QS_CIDREG_H
#define QS_CIDREG_H

#include <stddef.h>
#include <linux/types.h>
#include "abi/abi.h"
#include "abi/cidtab.h"

/*
 * Retires each backend's incarnation remembers of IDs it does not hold
 * (reordering: a retire that overtakes its issue, or a retire while a
 * snapshot is open). Each backend's are its own: they refuse nothing
 * another backend says.
 */
#define QS_CIDREG_MAX_TOMBS 4096

/*
 * The IDs one backend may hold in the map unless qs_cidreg_set_max_ids
 * says otherwise (issue 11: a backend's key in the wrong hands must not
 * fill the table that routes every backend's connections): a quarter of
 * it, so that filling it takes four stolen keys, and one backend still
 * holds 524,288 IDs (over 65,000 connections at 8 IDs each).
 */
#define QS_CIDREG_DEFAULT_MAX_IDS (QS_CID_TABLE_SIZE / 4)

/*
 * Where IDs go: qs_cidtab's hash key and bucket count, which make an ID's
 * place, and its writes by place (plain stores in the agent: no batching
 * is worth it). put adds or replaces; del of a place with no entry is
 * -ENOENT.
 */
struct qs_cid_sink {
	__u64 key[2];
	__u32 buckets;
	int (*put)(void *ctx, const struct qs_cid_place *p, __u32 vip_id, __u32 backend_id,
		   __u8 kind);
	int (*del)(void *ctx, const struct qs_cid_place *p);
	/* optional: starts loading what a put or del of p will touch */
	void (*prefetch)(void *ctx, const struct qs_cid_place *p);
	void *ctx;
};

/* Counters of what the registry did and refused, for metrics. */
struct qs_cidreg_stats {
	__u64 issued; /* IDs written */
	__u64 issued_again; /* duplicate reports of an ID already held */
	__u64 retired; /* IDs removed by a retire */
	__u64 retired_unknown; /* retire of an ID not held by that backend (idempotent) */
	__u64 issued_after_retire; /* issue of an ID its backend already retired: ignored */
	__u64 conflicts; /* an ID held by another backend: refused */
	__u64 over_quota; /* a new ID of a backend that held its max_ids: refused */
	__u64 purged; /* IDs removed because their backend restarted or left */
	__u64 snapshot_added; /* IDs a snapshot had that we had lost */
	__u64 snapshot_removed; /* IDs we held that a snapshot no longer had */
	__u64 sink_errors; /* map writes that failed */
	__u64 live; /* IDs backends hold now */
	__u64 operator; /* the operator's entries now */
	__u64 pending; /* IDs removed whose map entries qs_cidreg_work has yet to delete */
};

/*
 * One backend's IDs against its quota. What counts is what the backend
 * costs the map: every entry written for its reports, from the issue (or
 * the snapshot, or the adoption after an agent restart) until the entry is
 * deleted. IDs removed in bulk (a new incarnation, a snapshot's sweep, a
 * flush, the backend's removal) count until qs_cidreg_work has deleted
 * their entries, so that a key that restarts its backend over and over
 * cannot outrun the paced deletions. Tombstones (not in the map) and the
 * operator's entries, whatever backend they route to, never count.
 */
struct qs_cidreg_quota {
	__u32 ids; /* its entries in the map, pending deletion included */
	__u32 max_ids; /* its quota */
	__u64 over_quota; /* its new IDs refused because ids had reached max_ids */
};

struct qs_cidreg;

struct qs_cidreg *qs_cidreg_new(const struct qs_cid_sink *sink);
void qs_cidreg_free(struct qs_cidreg *reg);

/*
 * Makes incarnation the backend's current one. A change purges every ID the
 * previous incarnation registered. Returns 1 if it changed, 0 if not.
 *
 * Purges, like every removal in bulk (a backend removed, a flush, the IDs a
 * snapshot no longer lists), cost nothing per ID when they are made: the
 * IDs are gone from the registry at once (a lookup no longer finds them,
 * anyone may issue them again), and their map entries are deleted by
 * qs_cidreg_work, a bounded batch per call, so that one backend's restart
 * with a million IDs never holds up the next datagram.
 */
int qs_cidreg_incarnation(struct qs_cidreg *reg, __u32 backend_id, __u64 incarnation);

/*
 * An ID issued by the backend's current incarnation for a connection.
 * An ID held by another backend or the operator is refused with -EEXIST
 * and counted (conflicts): it stays where it is, whoever claimed it first
 * (IDs are the backends' choice, and no report can move one). A new ID
 * of a backend that holds its max_ids already is refused with -EDQUOT and
 * counted (over_quota, and the backend's own); an ID it holds is
 * confirmed whatever its count.
 */
int qs_cidreg_issue(struct qs_cidreg *reg, __u32 backend_id, __u32 vip_id, const __u8 *cid,
		    size_t len, __u64 handle);

/*
 * Starts loading what an issue (or a snapshot's listing) of the ID will
 * touch: the registry's chain and the table's bucket. A datagram's IDs
 * are prefetched in one pass, then taken in a second, so that their cache
 * misses overlap instead of coming one after the other. Changes nothing.
 */
void qs_cidreg_prefetch(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len);
/* Before a datagram's prefetches: the places the last one kept are dropped. */
void qs_cidreg_prefetch_begin(struct qs_cidreg *reg);

/*
 * An ID retired: removed if that backend holds it, otherwise only
 * remembered as that backend's tombstone (its own later issue of the ID is
 * ignored); nobody else's ID or issue is touched.
 */
int qs_cidreg_retire(struct qs_cidreg *reg, __u32 backend_id, __u32 vip_id, const __u8 *cid,
		     size_t len);
/*
 * Every ID of a connection that closed (found by its handle: the cost of
 * those IDs). Handles are each incarnation's own: another's close finds none.
 */
int qs_cidreg_close(struct qs_cidreg *reg, __u32 backend_id, __u64 handle);

/*
 * A snapshot of every live ID of the backend on one VIP, possibly over
 * several datagrams: begin, add each listed ID, then end, after which
 * qs_cidreg_work removes that backend's IDs on that VIP the snapshot did
 * not list and nothing issued since listed again (a cost of the IDs it
 * removes, not of those it keeps). A snapshot that is never ended (or is
 * aborted: a part went missing) removes nothing. A retire during an open
 * snapshot stands even if a later part lists the ID (the snapshot was
 * taken before it). A listed ID another backend holds is refused as an
 * issue is, and so is a listed ID past the backend's quota (the IDs the
 * snapshot does not list count until its end has removed them). One
 * snapshot per (backend, VIP) is in progress at a time: a begin discards
 * that VIP's, an abort ends it; the backend's snapshots of other VIPs go
 * on. -ESTALE: no such snapshot in progress.
 */
int qs_cidreg_snapshot_begin(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id,
			     __u32 vip_id);
int qs_cidreg_snapshot_add(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id, __u32 vip_id,
			   const __u8 *cid, size_t len, __u64 handle);
int qs_cidreg_snapshot_end(struct qs_cidreg *reg, __u32 backend_id, __u32 snapshot_id,
			   __u32 vip_id);
void qs_cidreg_snapshot_abort(struct qs_cidreg *reg, __u32 backend_id, __u32 vip_id);

/*
 * Takes an authoritative entry already in the table (written before an
 * agent restart: its place and VIP) into the registry without writing it,
 * owned by its backend under an incarnation not known yet: the backend's
 * next datagram names it without purging, and its next snapshot of the
 * VIP reconciles what it really holds (the connection the ID belongs to is
 * known from then on).
 */
int qs_cidreg_adopt(struct qs_cidreg *reg, const struct qs_cid_place *p, __u32 vip_id,
		    __u32 backend_id);

/*
 * The backend's quota of IDs (QS_CIDREG_DEFAULT_MAX_IDS until set): its
 * issues and snapshots add no ID while it holds max_ids. Lowered below
 * what it holds, nothing is removed: its IDs route on, and it gets a new
 * one once its count is under max_ids again. -EINVAL: no such backend id.
 */
int qs_cidreg_set_max_ids(struct qs_cidreg *reg, __u32 backend_id, __u32 max_ids);
/* The backend's count, quota and refusals; NULL for an id no backend has. */
const struct qs_cidreg_quota *qs_cidreg_quota(const struct qs_cidreg *reg, __u32 backend_id);

/* Removes every ID of a backend (removed from the configuration). */
int qs_cidreg_purge(struct qs_cidreg *reg, __u32 backend_id);

/*
 * The deferred work, at most budget records per call: first the IDs ended
 * snapshots did not list, taken out of the registry, then the map entries
 * of removed IDs (one sink batch per 4096, oldest removal first). Returns
 * what still waits (stats' pending, plus one while a snapshot's sweep
 * runs): callers run it between datagrams until it returns 0.
 */
size_t qs_cidreg_work(struct qs_cidreg *reg, size_t budget);

/*
 * The operator's entries (`quicsteer cid add`): owned by no backend but by
 * QS_CIDREG_OPERATOR, written with kind QS_CID_OPERATOR. No report touches
 * them: a backend's issue of the ID is a conflict (refused, counted), its
 * retire, close, snapshot, purge or new incarnation concern its own IDs
 * only; the sweep of learned IDs never sees them. They go by the operator's
 * `cid del` and `cid flush`, and when the agent removes their VIP or
 * backend from its configuration.
 */
#define QS_CIDREG_OPERATOR QS_MAX_BACKENDS

/*
 * Routes (vip, cid) to backend_id. An entry the ID had (learned, reported,
 * the operator's) is replaced; *replaced names its owner (a backend id,
 * QS_CIDREG_OPERATOR, or QS_NO_BACKEND when the registry held none).
 */
int qs_cidreg_op_set(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		     __u32 backend_id, __u32 *replaced);
/* An operator's entry already in the table (an agent restart), not written. */
int qs_cidreg_adopt_operator(struct qs_cidreg *reg, const struct qs_cid_place *p, __u32 vip_id,
			     __u32 backend_id);
/*
 * Removes the ID whoever holds it, map entry included; *owner says who
 * did. -ENOENT when the registry holds no such ID (a learned entry is the
 * map's alone).
 */
int qs_cidreg_remove(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		     __u32 *owner);

enum {
	QS_CIDREG_FLUSH_REPORTED = 1 << 0,
	QS_CIDREG_FLUSH_OPERATOR = 1 << 1,
};
/*
 * Removes the IDs of the kinds in which on vip_id (QS_MAX_VIPS: any) that
 * route to backend_id (QS_NO_BACKEND: any); returns how many, or -ENOMEM.
 * A backend's incarnation and snapshot stand: its next snapshot brings
 * back what it still holds. Their map entries go by qs_cidreg_work.
 */
long qs_cidreg_flush(struct qs_cidreg *reg, __u32 vip_id, __u32 backend_id, unsigned int which);

/* The place the registry gives (vip_id, cid): -EINVAL for an ID no report can name. */
int qs_cidreg_place(const struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		    struct qs_cid_place *p);
/* Owner of an ID; -ENOENT if none. */
int qs_cidreg_owner(struct qs_cidreg *reg, __u32 vip_id, const __u8 *cid, size_t len,
		    __u32 *backend_id);
const struct qs_cidreg_stats *qs_cidreg_stats(const struct qs_cidreg *reg);
/*
 * The longest chain of the registry's tables (places, connections): what
 * one lookup may walk. Keyed hashes (the table's for places, util/hash.h
 * for handles) keep it near the load factor whoever chose the IDs and
 * handles. Reads every chain: for tests, not for each request.
 */
unsigned int qs_cidreg_longest_chain(const struct qs_cidreg *reg);

/* Bytes the registry holds (its records, connections, tables and owners): metrics, benchmarks. */
size_t qs_cidreg_memory(const struct qs_cidreg *reg);

#endif /* QS_CIDREG_H */
