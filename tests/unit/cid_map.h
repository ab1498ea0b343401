/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The registry's sink in tests (test_cidreg*.c): a small qs_cidtab in
 * memory, written by place as the agent's is, with counts of the writes:
 * what backends report must end up in it exactly, and nothing else. IDs
 * are looked up by their bytes, hashed under the table's key, as the data
 * path looks them up.
 */
#ifndef QS_TEST_CID_MAP_H
#define QS_TEST_CID_MAP_H

#include <stddef.h>
#include "ids/cidreg.h"
#include "router/cidtab.h"

#define CID_MAP_BUCKETS 256

struct cid_map {
	struct qs_cidtab_bucket mem[1 + CID_MAP_BUCKETS];
	struct qs_cidtab tab;
	int fail_puts; /* the next N puts fail with -ENOSPC */
	/* 0: no limit; else a put of a new ID past cap entries fails with -ENOSPC */
	int cap;
	int puts, dels;
};

/* Empties m under a fresh key; the sink that writes it. */
struct qs_cid_sink cid_map_sink(struct cid_map *m);
/* The backend m routes (vip, cid) to, or 0 if absent. */
__u32 cid_map_backend(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len);
/* The entry's kind; (vip, cid) must be there. */
__u8 cid_map_kind(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len);
int cid_map_count(const struct cid_map *m);
/* The place of (vip, cid) in m. */
struct qs_cid_place cid_map_place(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len);
/* Runs the registry's deferred table deletions to the end. */
void cid_map_work_all(struct qs_cidreg *reg);

#endif /* QS_TEST_CID_MAP_H */
