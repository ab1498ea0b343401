/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the agent does with the data path's learning, in two parts that
 * two threads own:
 * - learned IDs (qs_expiry): every learned ID (QS_EV_LEARNED_CID records,
 *   or found in the table after a restart) gets a deadline; when it
 *   passes, the entry goes unless a backend report has made it
 *   authoritative meanwhile. The thread that writes reported IDs to
 *   qs_cids runs it, so that the check and the delete never race a report.
 * - address entries (qs_flow_sweep): entries idle longer than the
 *   configured time go (never sooner than 2 minutes, RFC 9312), found by a
 *   walk of qs_flows a chunk at a time.
 * Both work in bounded steps, so that neither holds up its thread. Times
 * are CLOCK_MONOTONIC_COARSE nanoseconds, the clock the data path stamps
 * with. Functions return 0 or -errno unless they say otherwise.
 */
#ifndef QS_EXPIRY_H
#define QS_EXPIRY_H

#include <stddef.h>
#include <linux/types.h>
#include "abi/abi.h"

#define QS_FLOW_IDLE_MIN_NS (120ull * 1000000000ull)

struct qs_expiry_stats {
	__u64 learned; /* learned IDs tracked (events and scans) */
	__u64 confirmed; /* learned IDs a report made authoritative in time */
	__u64 expired; /* learned IDs removed at their deadline */
	__u64 gone; /* learned IDs already removed by someone else */
	__u64 tracked; /* learned IDs waiting for their deadline now */
};

struct qs_expiry;

/* cids: the map's fd. learned_ttl_ns > 0. */
struct qs_expiry *qs_expiry_new(int cids_fd, __u64 learned_ttl_ns);
void qs_expiry_free(struct qs_expiry *x);

/* A new TTL from a reload (0 is refused); IDs waiting keep their deadlines. */
int qs_expiry_set_ttl(struct qs_expiry *x, __u64 learned_ttl_ns);

/* A ring-buffer record; records other than QS_EV_LEARNED_CID are ignored. */
int qs_expiry_event(struct qs_expiry *x, const struct qs_event *ev);
/*
 * Tracks every learned entry of the table not tracked yet, with a deadline
 * from now: after an agent restart, or when the ring buffer overflowed.
 */
int qs_expiry_scan_learned(struct qs_expiry *x, __u64 now_ns);
/*
 * Removes learned entries past their deadline, at most budget of them
 * (two system calls each); returns 1 if more are due, 0 if not, -errno.
 */
int qs_expiry_expire(struct qs_expiry *x, __u64 now_ns, size_t budget);
/* The nearest deadline, or 0 when nothing is tracked. */
__u64 qs_expiry_next_deadline(const struct qs_expiry *x);

const struct qs_expiry_stats *qs_expiry_stats(const struct qs_expiry *x);

/* Address entries: the sweep of qs_flows. */
struct qs_flow_sweep_stats {
	__u64 flows_expired; /* idle address entries removed */
	__u64 flows; /* address entries the last complete pass found (occupancy) */
	__u64 passes; /* complete passes */
};

struct qs_flow_sweep;

/* flows: the map's fd; flow_idle_ns >= QS_FLOW_IDLE_MIN_NS. */
struct qs_flow_sweep *qs_flow_sweep_new(int flows_fd, __u64 flow_idle_ns);
void qs_flow_sweep_free(struct qs_flow_sweep *s);
int qs_flow_sweep_set_idle(struct qs_flow_sweep *s, __u64 flow_idle_ns);
/*
 * One step of a pass over the table: one batch of entries read, the idle
 * ones removed. Returns 1 when this step ended the pass, 0 while it goes
 * on, -errno.
 */
int qs_flow_sweep_step(struct qs_flow_sweep *s, __u64 now_ns);
const struct qs_flow_sweep_stats *qs_flow_sweep_stats(const struct qs_flow_sweep *s);

#endif /* QS_EXPIRY_H */
