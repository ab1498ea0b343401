// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A ring-buffer reader shaped as the agent's events thread (events_main in
 * userspace/agent/events.c): an epoll fd holding the ring_buffer's own epoll
 * fd, epoll_wait with a QS_EVENTS_DRAIN_MS timeout, then
 * ring_buffer__consume, over and over. It runs while a case's timed runs
 * happen, pinned to the CPU of the thread in BPF_PROG_RUN: a reader that the
 * data path wakes is scheduled there, and that is what new connections paid
 * with the agent running (an irq_work, the wake-up, the reader's turn).
 *
 * It counts what it read, how often epoll_wait returned the ring (a wake-up)
 * and how often it timed out, so that a case can prove that every record its
 * runs emitted was read, and say how many wake-ups the records cost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

struct bench_consumer {
	pthread_t thread;
	struct ring_buffer *ring;
	int epoll_fd, ring_fd, stop_fd;
	int cpu;
	/* written by the thread only, read after the join */
	struct consumer_counts n;
	int err;
};

static int record_count(void *ctx, void *data, size_t size)
{
	struct bench_consumer *c = ctx;

	(void)data;
	(void)size;
	c->n.records++;
	return 0;
}

/* One turn per epoll_wait, as the agent's: the ring is read every turn. */
static void *consumer_main(void *arg)
{
	struct bench_consumer *c = arg;
	struct epoll_event evs[4];
	bool stop = false;

	while (!stop) {
		int n = epoll_wait(c->epoll_fd, evs, sizeof(evs) / sizeof(evs[0]),
				   QS_EVENTS_DRAIN_MS);
		bool woken = false;
		int got;

		if (n < 0 && errno != EINTR) {
			c->err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			stop |= evs[i].data.fd == c->stop_fd;
			woken |= evs[i].data.fd == c->ring_fd;
		}
		c->n.wakeups += woken;
		c->n.timeouts += n == 0;
		/* after the stop too: everything submitted before it is read */
		got = ring_buffer__consume(c->ring);
		if (got < 0 && got != -EINTR) {
			c->err = got;
			break;
		}
		if (sched_getcpu() != c->cpu)
			c->n.off_cpu++;
	}
	return NULL;
}

static int epoll_add(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void consumer_free(struct bench_consumer *c)
{
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	ring_buffer__free(c->ring);
	free(c);
}

/*
 * The ring's records so far are read here, uncounted: the count starts with
 * the case. The thread is created on cpu (its attributes), so that it never
 * runs anywhere else, not even for its first turn.
 */
static int consumer_launch(struct bench_consumer *c)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err, got;

	got = ring_buffer__consume(c->ring);
	if (got < 0)
		return got;
	memset(&c->n, 0, sizeof(c->n));
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) ?:
	      pthread_create(&c->thread, &attr, consumer_main, c);
	pthread_attr_destroy(&attr);
	return -err;
}

struct bench_consumer *consumer_start(int map_fd, int cpu)
{
	struct bench_consumer *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->cpu = cpu;
	c->epoll_fd = c->stop_fd = -1;
	c->ring = ring_buffer__new(map_fd, record_count, c, NULL);
	if (!c->ring) {
		err = -errno;
		goto err_free;
	}
	c->ring_fd = ring_buffer__epoll_fd(c->ring);
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->epoll_fd < 0 || c->stop_fd < 0) {
		err = -errno;
		goto err_free;
	}
	err = epoll_add(c->epoll_fd, c->ring_fd) ?: epoll_add(c->epoll_fd, c->stop_fd) ?:
	      consumer_launch(c);
	if (err)
		goto err_free;
	return c;

err_free:
	consumer_free(c);
	errno = -err;
	return NULL;
}

/* Stops the thread (it reads the ring once more), joins it and frees it. */
int consumer_stop(struct bench_consumer *c, struct consumer_counts *out)
{
	uint64_t one = 1;
	int err;

	if (write(c->stop_fd, &one, sizeof(one)) == sizeof(one)) {
		err = -pthread_join(c->thread, NULL) ?: c->err;
	} else {
		/* it would never see the stop: cancelled in epoll_wait instead */
		err = -errno;
		pthread_cancel(c->thread);
		pthread_join(c->thread, NULL);
	}
	*out = c->n;
	consumer_free(c);
	return err;
}

/* The CPU the cases with a consumer run on: the last one qs-bench may use. */
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
