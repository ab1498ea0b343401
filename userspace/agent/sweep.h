/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The sweeps of the tables whose entries age: a walk of the map a chunk
 * per step, so that no step holds up its thread, deleting each entry whose
 * time stamp is older than the table's age limit. Two tables age this way:
 * - qs_flows (address entries): idle longer than the configured time,
 *   never sooner than 2 minutes (RFC 9312); the events thread sweeps it;
 * - qs_learned (learned IDs): older than the learned TTL; the intake thread
 *   sweeps it (agent/cids.c). The data path already ignores a learned ID
 *   past its TTL; the sweep frees its slot before the LRU would.
 * Times are CLOCK_MONOTONIC_COARSE nanoseconds, the data path's clock.
 */
#ifndef AGENT_SWEEP_H
#define AGENT_SWEEP_H

#include <stddef.h>
#include <linux/types.h>

#define QS_FLOW_IDLE_MIN_NS (120ull * 1000000000ull)

struct agent_sweep_stats {
	__u64 expired; /* entries removed */
	__u64 entries; /* entries the last complete pass found (occupancy) */
	__u64 passes; /* complete passes */
};

/* An entry's time stamp, from its value. */
typedef __u64 (*agent_sweep_stamp_fn)(const void *value);

struct agent_sweep;

/* fd: the map; an entry goes once stamp + max_age_ns <= now. NULL, errno. */
struct agent_sweep *agent_sweep_new(int fd, size_t key_size, size_t value_size,
				    agent_sweep_stamp_fn stamp, __u64 max_age_ns);
void agent_sweep_free(struct agent_sweep *s);
void agent_sweep_set_age(struct agent_sweep *s, __u64 max_age_ns);
/*
 * One step of a pass over the table: one batch of entries read, the old
 * ones removed. Returns 1 when this step ended the pass, 0 while it goes
 * on, -errno.
 */
int agent_sweep_step(struct agent_sweep *s, __u64 now_ns);
const struct agent_sweep_stats *agent_sweep_stats(const struct agent_sweep *s);

/* qs_flows' sweep; flow_idle_ns >= QS_FLOW_IDLE_MIN_NS (EINVAL otherwise). */
struct agent_sweep *agent_flow_sweep_new(int flows_fd, __u64 flow_idle_ns);
int agent_flow_sweep_set_idle(struct agent_sweep *s, __u64 flow_idle_ns);

#endif /* AGENT_SWEEP_H */
