/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-CPU counters and ring-buffer events. */
#ifndef QS_BPF_STATS_H
#define QS_BPF_STATS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"
#include "maps.h"

/*
 * Timestamps of entries and events: CLOCK_MONOTONIC at tick resolution.
 * The precise clock costs about 30 ns a read in a VM, most of a packet's
 * budget; ages measured in seconds do not need it.
 */
static __always_inline __u64 qs_now_ns(void)
{
	return bpf_ktime_get_coarse_ns();
}

static __always_inline void counter_add(void *map, __u32 index, __u32 bytes)
{
	struct qs_counter *c = bpf_map_lookup_elem(map, &index);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void aux_count(__u32 index)
{
	__u64 *c = bpf_map_lookup_elem(&qs_aux_v2, &index);

	if (c)
		(*c)++;
}

/*
 * Records wake nobody: the agent drains the ring on a short timer
 * (QS_EVENTS_DRAIN_MS). The kernel's default wakes the reader for the
 * first record after it caught up, which with an agent idle in epoll is
 * nearly every record, and the wake-up (an irq_work, then the reader's
 * scheduling on this CPU) cost new connections more than routing them.
 * Only a ring filled past QS_EVENTS_WAKE_BYTES, an agent behind its
 * timer, is woken.
 */
static __always_inline __u64 event_wakeup(void)
{
	if (bpf_ringbuf_query(&qs_events, BPF_RB_AVAIL_DATA) >= QS_EVENTS_WAKE_BYTES)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void event_emit(__u32 type, __u32 vip_id, __u32 backend_id,
				       const struct qs_flow_key *flow, const struct qs_cid_key *cid)
{
	struct qs_event_budget *b;
	struct qs_event *ev;
	__u32 zero = 0;
	__u64 second;

	b = bpf_map_lookup_elem(&qs_ev_budget, &zero);
	if (!b)
		return;
	second = qs_now_ns() >> 30;
	if (b->second != second) {
		b->second = second;
		b->emitted = 0;
	}
	if (b->emitted >= QS_EVENTS_PER_CPU_SEC) {
		aux_count(QS_AUX_EVENTS_SAMPLED_OUT);
		return;
	}
	b->emitted++;
	ev = bpf_ringbuf_reserve(&qs_events, sizeof(*ev), 0);
	if (!ev) {
		aux_count(QS_AUX_EVENTS_LOST);
		return;
	}
	ev->ts_ns = qs_now_ns();
	ev->client = flow->addr;
	ev->type = type;
	ev->vip_id = vip_id;
	ev->backend_id = backend_id;
	ev->client_port = flow->port;
	ev->family = flow->family;
	ev->cid_len = cid->cid_len;
	__builtin_memcpy(ev->cid, cid->cid, sizeof(ev->cid));
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	bpf_ringbuf_submit(ev, event_wakeup());
}

#endif /* QS_BPF_STATS_H */
