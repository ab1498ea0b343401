/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the agent does with the data path's learning: every learned ID
 * (QS_EV_LEARNED_CID records, or found in the table after a restart or a
 * full ring) gets a deadline; when it passes, the entry goes unless a
 * backend report has made it authoritative meanwhile. Address entries idle
 * longer than the configured time go too (never sooner than 2 minutes,
 * RFC 9312). Times are CLOCK_MONOTONIC_COARSE nanoseconds, the clock the
 * data path stamps with. Functions return 0 or -errno.
 */
#ifndef QS_EXPIRY_H
#define QS_EXPIRY_H

#include <linux/types.h>
#include "quicsteer/abi.h"

#define QS_FLOW_IDLE_MIN_NS (120ull * 1000000000ull)

struct qs_expiry_stats {
	__u64 learned; /* learned IDs tracked (events and scans) */
	__u64 confirmed; /* learned IDs a report made authoritative in time */
	__u64 expired; /* learned IDs removed at their deadline */
	__u64 gone; /* learned IDs already removed by someone else */
	__u64 flows_expired; /* idle address entries removed */
	__u64 tracked; /* learned IDs waiting for their deadline now */
	__u64 flows; /* address entries found by the last sweep (occupancy) */
};

struct qs_expiry;

/* cids, flows: the maps' fds. learned_ttl_ns > 0; flow_idle_ns >= 2 min. */
struct qs_expiry *qs_expiry_new(int cids_fd, int flows_fd, __u64 learned_ttl_ns,
				__u64 flow_idle_ns);
void qs_expiry_free(struct qs_expiry *x);

/* New times from a reload; invalid ones (see qs_expiry_new) are refused. */
int qs_expiry_set_times(struct qs_expiry *x, __u64 learned_ttl_ns, __u64 flow_idle_ns);

/* A ring-buffer record; records other than QS_EV_LEARNED_CID are ignored. */
int qs_expiry_event(struct qs_expiry *x, const struct qs_event *ev);
/*
 * Tracks every learned entry of the table not tracked yet, with a deadline
 * from now: after an agent restart, or when the ring buffer overflowed.
 */
int qs_expiry_scan_learned(struct qs_expiry *x, __u64 now_ns);
/* Removes learned entries past their deadline and idle address entries. */
int qs_expiry_sweep(struct qs_expiry *x, __u64 now_ns);

const struct qs_expiry_stats *qs_expiry_stats(const struct qs_expiry *x);
__u64 qs_now_coarse_ns(void);

#endif /* QS_EXPIRY_H */
