/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The connection-ID table (include/abi/cidtab.h) seen from userspace: the
 * agent writes it, the CLI and tests read it, through memory: the map
 * mmapped (qs_cidtab_map), or any buffer of 1 + buckets elements
 * (qs_cidtab_mem, for tests). Every write is a plain store the data path
 * may see at once, in the order cidtab.h describes; there is one writer.
 *
 * Functions return 0 or -errno.
 */
#ifndef QS_ROUTER_CIDTAB_H
#define QS_ROUTER_CIDTAB_H

#include <stddef.h>
#include <linux/types.h>
#include "abi/cidtab.h"

struct qs_cidtab {
	struct qs_cidtab_head *head; /* element 0 */
	struct qs_cidtab_bucket *b; /* element 1: bucket 0 */
	__u32 buckets;
	__u64 key[2];
	void *map; /* the mmapped map, if any */
	size_t map_bytes;
};

/* Buckets for a table of `entries` IDs (QS_CIDTAB_BUCKETS_FOR, capped). */
__u32 qs_cidtab_buckets_for(__u64 entries);
/* Elements of the map: the head and the buckets. */
static inline __u32 qs_cidtab_elements(__u32 buckets)
{
	return 1 + buckets;
}

/*
 * Over mem (qs_cidtab_elements(buckets) * 64 bytes, 64-byte aligned). A
 * table already made there (its head's magic) is taken as it is, and must
 * have that many buckets; otherwise a new one is made under a fresh
 * random key (all buckets must then be zero, as a new map's are).
 */
int qs_cidtab_mem(struct qs_cidtab *t, void *mem, __u32 buckets);
/* The same over the map (BPF_F_MMAPABLE array of qs_cidtab_elements). */
int qs_cidtab_map(struct qs_cidtab *t, int map_fd);
/*
 * Read only, for readers (the CLI): never makes a table. -ENODATA when no
 * agent has made it yet (it holds no ID); only the get, path, scan and
 * stats functions may be called on it.
 */
int qs_cidtab_map_ro(struct qs_cidtab *t, int map_fd);
void qs_cidtab_unmap(struct qs_cidtab *t);

/* The place of an ID (include/abi/cidtab.h). */
void qs_cidtab_place(const struct qs_cidtab *t, const struct qs_cid_key *k, struct qs_cid_place *p);

/*
 * The ID's entry: added, or its backend and kind replaced in place.
 * -ENOSPC when both of its buckets are full and no move frees a slot:
 * nothing changed then.
 */
int qs_cidtab_put(struct qs_cidtab *t, const struct qs_cid_key *k, __u32 backend_id,
		  int operator_kind);
/* By place; vip_id is kept beside the slot for the agent and the CLI. */
int qs_cidtab_put_at(struct qs_cidtab *t, const struct qs_cid_place *at, __u32 vip_id,
		     __u32 backend_id, int operator_kind);
/* Starts loading the first bucket of the place (a writer's batch). */
static inline void qs_cidtab_prefetch(const struct qs_cidtab *t, const struct qs_cid_place *at)
{
	if (at->first < t->buckets)
		__builtin_prefetch(&t->b[at->first], 1);
}
/* -ENOENT if the ID has no entry. */
int qs_cidtab_del(struct qs_cidtab *t, const struct qs_cid_key *k);
int qs_cidtab_del_at(struct qs_cidtab *t, const struct qs_cid_place *at);
/* The ID's backend and kind (QS_CID_AUTHORITATIVE or QS_CID_OPERATOR); -ENOENT. */
int qs_cidtab_get(const struct qs_cidtab *t, const struct qs_cid_key *k, __u32 *backend_id,
		  __u8 *kind);
int qs_cidtab_get_at(const struct qs_cidtab *t, const struct qs_cid_place *at, __u32 *backend_id,
		     __u8 *kind);

/* The data path's path state of the ID's slot (abi.h); -ENOENT. */
int qs_cidtab_path(const struct qs_cidtab *t, const struct qs_cid_key *k, struct qs_cid_path *path);

/*
 * Every reported and operator ID of qs_cids (cids_fd) put into qs_cidtab
 * (tab_fd): what a router of a version without qs_cidtab left, before the
 * program that reads it replaces the one that did not. *refused: IDs a
 * full table refused.
 */
int qs_cidtab_fill(int tab_fd, int cids_fd, __u64 *refused);
/* The same into a table mapped already; *read: the entries of qs_cids. */
int qs_cidtab_fill_mapped(struct qs_cidtab *t, int cids_fd, __u64 *read, __u64 *refused);

struct qs_cidtab_stats {
	__u64 entries; /* slots in use */
	__u64 second; /* of those, in their ID's second bucket */
	__u64 full_buckets; /* all QS_CIDTAB_SLOTS in use */
	__u64 displaced_buckets; /* whose misses also read their second bucket */
	__u64 displaced_wrong; /* buckets whose `displaced` disagrees with the slots (0) */
};
/* A walk of every bucket: for tests, status on demand and restore, not per request. */
void qs_cidtab_stats(const struct qs_cidtab *t, struct qs_cidtab_stats *s);

/*
 * Every entry, bucket by bucket: its place, backend and kind. A nonzero
 * return of fn stops the walk and is returned. A walk of the table: for
 * restore and on-demand listings, not per request.
 */
typedef int (*qs_cidtab_scan_fn)(void *ctx, const struct qs_cid_place *at, __u32 vip_id,
				 __u32 backend_id, __u8 kind);
int qs_cidtab_scan(const struct qs_cidtab *t, qs_cidtab_scan_fn fn, void *ctx);

#endif /* QS_ROUTER_CIDTAB_H */
