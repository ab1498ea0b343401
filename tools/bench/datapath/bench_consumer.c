// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the cases that emit a ring-buffer record on every run need besides
 * their frames: a CPU of their own for the runs (and, later, for whatever
 * reads the ring beside them), and the router's event budget given back
 * between cycles.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

/* The CPU the pinned cases run on: the last one qs-bench may use. */
int bench_pin_cpu_choose(void)
{
	cpu_set_t set;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu = i;
	return cpu < 0 ? -ENODEV : cpu;
}

struct bench_cpus {
	cpu_set_t set;
};

/* The calling thread onto cpu. */
struct bench_cpus *bench_pin(int cpu)
{
	struct bench_cpus *home = malloc(sizeof(*home));
	cpu_set_t set;
	int err;

	if (!home)
		return NULL;
	if (sched_getaffinity(0, sizeof(home->set), &home->set)) {
		err = -errno;
		free(home);
		errno = -err;
		return NULL;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
	/* sched_setaffinity moves the caller before it returns */
	if (!err && sched_getcpu() != cpu)
		err = -EAGAIN;
	if (err) {
		bench_unpin(home);
		errno = -err;
		return NULL;
	}
	return home;
}

int bench_unpin(struct bench_cpus *home)
{
	int err = sched_setaffinity(0, sizeof(home->set), &home->set) ? -errno : 0;

	free(home);
	return err;
}

/*
 * The router's per-CPU event budget (qs_ev_budget) set back to none spent:
 * its second no longer matches, so the next record starts a new count. A
 * cycle of a case emits fewer than QS_EVENTS_PER_CPU_SEC records, so each
 * of its runs emits one, as a router taking fewer new connections a second
 * than the budget does.
 */
int bench_budget_reset(struct bench *b)
{
	int ncpus = libbpf_num_possible_cpus();
	struct qs_event_budget *v;
	__u32 zero = 0;
	int err;

	if (ncpus < 0)
		return ncpus;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_update_elem(b->fx.ev_budget, &zero, v, BPF_ANY) ? -errno : 0;
	free(v);
	return err;
}
