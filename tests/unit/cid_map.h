/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A tiny stand-in for the qs_cids map, behind the sink the registry writes
 * through (test_cidreg.c, test_cidreg_hostile.c): what backends report must
 * end up in it exactly, and nothing else.
 */
#ifndef QS_TEST_CID_MAP_H
#define QS_TEST_CID_MAP_H

#include <stddef.h>
#include "ids/cidreg.h"

#define CID_MAP_CAP 64

/* Linear search is plenty for a test. */
struct cid_map {
	struct qs_cid_key keys[CID_MAP_CAP];
	struct qs_cid_entry vals[CID_MAP_CAP];
	int used[CID_MAP_CAP];
	int fail_puts; /* the next N puts fail with -ENOSPC */
	/*
	 * 0: a put past CID_MAP_CAP fails the test; else a put of a new key
	 * past cap entries fails with -E2BIG, as a full BPF hash map's does
	 */
	int cap;
	int puts, dels, batches;
};

/* Empties m; a sink of puts and deletes, and of batched deletes if batches. */
struct qs_cid_sink cid_map_sink(struct cid_map *m, int batches);
int cid_map_put(void *ctx, const struct qs_cid_key *key, const struct qs_cid_entry *e);
/* The slot of key, or -1. */
int cid_map_slot(const struct cid_map *m, const struct qs_cid_key *key);
/* The backend m routes (vip, cid) to, or 0 if absent. */
__u32 cid_map_backend(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len);
/* The entry's kind; (vip, cid) must be there. */
__u8 cid_map_kind(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len);
int cid_map_count(const struct cid_map *m);
/* Runs the registry's deferred map deletions to the end. */
void cid_map_work_all(struct qs_cidreg *reg);

#endif /* QS_TEST_CID_MAP_H */
