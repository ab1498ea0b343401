// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "sweep.h"
#include "abi/abi.h"
#include "router/maps.h"

/* Entries read per step: a few hundred microseconds of work. */
#define SWEEP_CHUNK 1024

struct agent_sweep {
	agent_sweep_stamp_fn stamp;
	__u64 max_age_ns;
	__u64 now_ns; /* of the step running */
	__u64 kept; /* entries the pass found in use so far */
	struct qs_map_walk walk;
	struct agent_sweep_stats stats;
};

struct agent_sweep *agent_sweep_new(int fd, size_t key_size, size_t value_size,
				    agent_sweep_stamp_fn stamp, __u64 max_age_ns)
{
	struct agent_sweep *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->stamp = stamp;
	s->max_age_ns = max_age_ns;
	if (qs_map_walk_init(&s->walk, fd, key_size, value_size, SWEEP_CHUNK)) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void agent_sweep_free(struct agent_sweep *s)
{
	if (!s)
		return;
	qs_map_walk_free(&s->walk);
	free(s);
}

void agent_sweep_set_age(struct agent_sweep *s, __u64 max_age_ns)
{
	s->max_age_ns = max_age_ns;
}

static int sweep_entry(void *ctx, const void *key, const void *value)
{
	struct agent_sweep *s = ctx;

	if (s->stamp(value) + s->max_age_ns > s->now_ns) {
		s->kept++;
		return 0;
	}
	if (bpf_map_delete_elem(s->walk.fd, key) == 0)
		s->stats.expired++;
	else if (errno != ENOENT)
		return -errno;
	return 0;
}

int agent_sweep_step(struct agent_sweep *s, __u64 now_ns)
{
	int ret;

	s->now_ns = now_ns;
	ret = qs_map_walk_step(&s->walk, sweep_entry, s);
	if (ret == 1) {
		s->stats.entries = s->kept;
		s->stats.passes++;
	}
	if (ret) /* a pass ended, or failed: the next step starts another */
		s->kept = 0;
	if (ret < 0)
		s->walk.first = 1;
	return ret;
}

const struct agent_sweep_stats *agent_sweep_stats(const struct agent_sweep *s)
{
	return &s->stats;
}

static __u64 flow_stamp(const void *value)
{
	return ((const struct qs_flow *)value)->last_seen_ns;
}

struct agent_sweep *agent_flow_sweep_new(int flows_fd, __u64 flow_idle_ns)
{
	if (flow_idle_ns < QS_FLOW_IDLE_MIN_NS) {
		errno = EINVAL;
		return NULL;
	}
	return agent_sweep_new(flows_fd, sizeof(struct qs_flow_key), sizeof(struct qs_flow),
			       flow_stamp, flow_idle_ns);
}

int agent_flow_sweep_set_idle(struct agent_sweep *s, __u64 flow_idle_ns)
{
	if (flow_idle_ns < QS_FLOW_IDLE_MIN_NS)
		return -EINVAL;
	agent_sweep_set_age(s, flow_idle_ns);
	return 0;
}
