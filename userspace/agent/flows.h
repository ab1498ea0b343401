/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The sweep of qs_flows, the address table: entries idle longer than the
 * configured time go (never sooner than 2 minutes, RFC 9312), found by a
 * walk a chunk at a time so that no step holds up the events thread. Times
 * are CLOCK_MONOTONIC_COARSE nanoseconds, the data path's clock.
 */
#ifndef AGENT_FLOWS_H
#define AGENT_FLOWS_H

#include <linux/types.h>

#define QS_FLOW_IDLE_MIN_NS (120ull * 1000000000ull)

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

#endif /* AGENT_FLOWS_H */
