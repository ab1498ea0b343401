/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Whether an agent that just started holds the IDs its backends report
 * (docs/report-protocol.md, "Synced"): the rule, pure, so that tests pick
 * the marks and the time. A fresh agent learns reported IDs only as the
 * backends send them; until each live backend's periodic snapshot arrived,
 * a connection that ECMP moves to this balancer can be dropped, and a
 * balancer should not attract traffic before (quicsteer health).
 *
 * The intake keeps a backend's marks as datagrams are accepted; the
 * agent counts its configured backends by qs_sync_backend and judges
 * with qs_sync_judge: a walk of the configured backends, never of IDs.
 */
#ifndef QS_SYNC_H
#define QS_SYNC_H

#include <stdbool.h>
#include <linux/types.h>

/* What the intake saw of one backend since the agent started. */
struct qs_sync_marks {
	bool restored; /* its report state came back from the pins: the maps kept its IDs */
	bool heard; /* a datagram of it accepted since the agent started */
	__u32 vips_named; /* bit v: an accepted datagram since start named VIP v */
	__u32 vips_snapshot; /* bit v: a snapshot of VIP v completed since start */
};

enum qs_sync_backend {
	QS_SYNC_UNHEARD, /* nothing accepted since start, nothing restored */
	QS_SYNC_WAITING, /* heard; a snapshot of each VIP it named still missing */
	QS_SYNC_SNAPSHOT, /* a complete snapshot since start of every VIP it named */
	QS_SYNC_RESTORED, /* restored from the pins */
};

/*
 * A backend is synced when restored, or when it has completed at least
 * one snapshot since start and one of every VIP it named since start (a
 * backend snapshots its VIPs one after the other).
 */
enum qs_sync_backend qs_sync_backend(const struct qs_sync_marks *m);

/* The backends that count (configured, not down) by where they stand. */
struct qs_sync_counts {
	unsigned int unheard, waiting, synced; /* synced: snapshot or restored */
	unsigned int restored; /* of synced, restored from the pins */
};

enum qs_sync_verdict {
	QS_SYNC_NO_SNAPSHOT, /* not synced: a heard backend's snapshot is missing */
	QS_SYNC_NOT_HEARD, /* not synced: a backend may still be heard within heartbeat-timeout */
	QS_SYNC_BACKENDS, /* synced: by the backends (the unheard after heartbeat-timeout) */
	QS_SYNC_TIMEOUT, /* synced: sync-timeout passed since start */
};

/*
 * The agent is synced when no heard backend waits for its snapshot and
 * either every backend is synced or heartbeat_timeout_ns has passed since
 * start (a live backend has been heard by then: one still unheard is
 * dead, or reports nowhere), or some backend's state was restored from the
 * pins (a restart: the agent before it had the same chance to hear the
 * unheard ones, which report nowhere, QUIC-LB-only backends say, and the
 * maps kept what the others reported); or, whatever the backends, when
 * sync_timeout_ns has passed (a backend that never completes a snapshot
 * holds nobody for ever). The caller keeps a synced agent synced: the
 * rule is about the agent's start, and a backend added or restarted later
 * must not withdraw a balancer that serves.
 */
enum qs_sync_verdict qs_sync_judge(const struct qs_sync_counts *c, __u64 since_start_ns,
				   __u64 heartbeat_timeout_ns, __u64 sync_timeout_ns);

static inline bool qs_sync_verdict_synced(enum qs_sync_verdict v)
{
	return v == QS_SYNC_BACKENDS || v == QS_SYNC_TIMEOUT;
}

/* "no_snapshot", "not_heard", "backends", "sync_timeout": status and logs. */
const char *qs_sync_verdict_name(enum qs_sync_verdict v);

#endif /* QS_SYNC_H */
