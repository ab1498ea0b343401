/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The expiry of learned IDs: every learned ID (QS_EV_LEARNED_CID records,
 * or found in the table after a restart) gets a deadline; when it passes,
 * the table's entry goes unless a backend report has made it authoritative
 * meanwhile. Pure bookkeeping: the table is reached through struct
 * qs_expiry_table (the agent's qs_cids writer, agent/cids.c), which the
 * thread that writes reported IDs runs, so that the check and the delete
 * never race a report. Work is done in bounded steps. Times are
 * CLOCK_MONOTONIC_COARSE nanoseconds, the clock the data path stamps with.
 * Functions return 0 or -errno unless they say otherwise.
 */
#ifndef QS_EXPIRY_H
#define QS_EXPIRY_H

#include <stddef.h>
#include <linux/types.h>
#include "abi/abi.h"

struct qs_expiry_stats {
	__u64 learned; /* learned IDs tracked (events and scans) */
	__u64 confirmed; /* learned IDs a report made authoritative in time */
	__u64 expired; /* learned IDs removed at their deadline */
	__u64 gone; /* learned IDs already removed by someone else */
	__u64 tracked; /* learned IDs waiting for their deadline now */
};

/* What expire returns besides -errno (-ENOENT: the entry was already gone). */
enum {
	QS_EXPIRY_EXPIRED = 1, /* still learned: removed */
	QS_EXPIRY_CONFIRMED = 2, /* a report made it authoritative: kept */
};

struct qs_expiry_table {
	/* key's deadline passed: remove its entry if it is still learned */
	int (*expire)(void *ctx, const struct qs_cid_key *key);
	void *ctx;
};

struct qs_expiry;

/* learned_ttl_ns > 0. */
struct qs_expiry *qs_expiry_new(const struct qs_expiry_table *table, __u64 learned_ttl_ns);
void qs_expiry_free(struct qs_expiry *x);

/* A new TTL from a reload (0 is refused); IDs waiting keep their deadlines. */
int qs_expiry_set_ttl(struct qs_expiry *x, __u64 learned_ttl_ns);

/* A ring-buffer record; records other than QS_EV_LEARNED_CID are ignored. */
int qs_expiry_event(struct qs_expiry *x, const struct qs_event *ev);
/*
 * A learned entry found in the table (after an agent restart), tracked
 * with a deadline from now unless it is tracked already.
 */
int qs_expiry_found(struct qs_expiry *x, const struct qs_cid_key *key, __u64 now_ns);
/*
 * Removes learned entries past their deadline, at most budget of them
 * (one call of table->expire each); returns 1 if more are due, 0 if not,
 * -errno.
 */
int qs_expiry_expire(struct qs_expiry *x, __u64 now_ns, size_t budget);
/* The nearest deadline, or 0 when nothing is tracked. */
__u64 qs_expiry_next_deadline(const struct qs_expiry *x);

const struct qs_expiry_stats *qs_expiry_stats(const struct qs_expiry *x);
/*
 * The longest chain of the table of learned IDs, which clients choose:
 * what one lookup may walk (util/hash.h keeps it short). Reads every
 * bucket (2^19): for tests and on-demand status.
 */
unsigned int qs_expiry_longest_chain(const struct qs_expiry *x);

#endif /* QS_EXPIRY_H */
