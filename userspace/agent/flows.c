// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Address entries nobody uses any more leave qs_flows: a walk of the table
 * a chunk per step, on the events thread (the one writer of qs_flows),
 * deleting the entries idle longer than the configured time.
 */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "flows.h"
#include "router/maps.h"

/* Entries of qs_flows read per step: a few hundred microseconds of work. */
#define FLOW_SWEEP_CHUNK 1024

struct qs_flow_sweep {
	__u64 flow_idle_ns;
	__u64 now_ns; /* of the step running */
	__u64 kept; /* entries the pass found in use so far */
	struct qs_map_walk walk;
	struct qs_flow_sweep_stats stats;
};

struct qs_flow_sweep *qs_flow_sweep_new(int flows_fd, __u64 flow_idle_ns)
{
	struct qs_flow_sweep *s;

	if (flow_idle_ns < QS_FLOW_IDLE_MIN_NS) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->flow_idle_ns = flow_idle_ns;
	if (qs_map_walk_init(&s->walk, flows_fd, sizeof(struct qs_flow_key),
			     sizeof(struct qs_flow), FLOW_SWEEP_CHUNK)) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void qs_flow_sweep_free(struct qs_flow_sweep *s)
{
	if (!s)
		return;
	qs_map_walk_free(&s->walk);
	free(s);
}

int qs_flow_sweep_set_idle(struct qs_flow_sweep *s, __u64 flow_idle_ns)
{
	if (flow_idle_ns < QS_FLOW_IDLE_MIN_NS)
		return -EINVAL;
	s->flow_idle_ns = flow_idle_ns;
	return 0;
}

static int sweep_flow(void *ctx, const void *key, const void *value)
{
	const struct qs_flow *f = value;
	struct qs_flow_sweep *s = ctx;

	if (f->last_seen_ns + s->flow_idle_ns > s->now_ns) {
		s->kept++;
		return 0;
	}
	if (bpf_map_delete_elem(s->walk.fd, key) == 0)
		s->stats.flows_expired++;
	else if (errno != ENOENT)
		return -errno;
	return 0;
}

int qs_flow_sweep_step(struct qs_flow_sweep *s, __u64 now_ns)
{
	int ret;

	s->now_ns = now_ns;
	ret = qs_map_walk_step(&s->walk, sweep_flow, s);
	if (ret == 1) {
		s->stats.flows = s->kept;
		s->stats.passes++;
	}
	if (ret) /* a pass ended, or failed: the next step starts another */
		s->kept = 0;
	if (ret < 0)
		s->walk.first = 1;
	return ret;
}

const struct qs_flow_sweep_stats *qs_flow_sweep_stats(const struct qs_flow_sweep *s)
{
	return &s->stats;
}
