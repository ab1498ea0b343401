/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * How quicsteerd's threads hand each other work (docs/agent-threads.md).
 * Every queue has an eventfd that is readable while the queue holds
 * anything, so the receiving thread waits for it in its own epoll among
 * its sockets; nothing ever blocks the sender.
 * - a job queue carries requests that must arrive (a new configuration, an
 *   operator's change) and their answers: a list, unbounded, whose length
 *   the control connections bound;
 * - a ring carries copies of small records that may be lost when the
 *   receiver falls behind (learned IDs, report notices for monitors): a
 *   fixed number of fixed-size items; a push into a full ring is dropped
 *   and counted.
 * Functions return 0 or -errno.
 */
#ifndef QS_AGENT_QUEUE_H
#define QS_AGENT_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct agent_job;

struct agent_jobq {
	pthread_mutex_t lock;
	struct agent_job *head, **tail;
	int efd;
};

int agent_jobq_init(struct agent_jobq *q);
/* Jobs still queued are the caller's: pop them first. */
void agent_jobq_destroy(struct agent_jobq *q);
void agent_jobq_push(struct agent_jobq *q, struct agent_job *job);
/* The oldest job, or NULL; the eventfd is read back once the queue is empty. */
struct agent_job *agent_jobq_pop(struct agent_jobq *q);
/* Makes the eventfd readable with nothing queued: a wake-up (to stop). */
void agent_jobq_wake(struct agent_jobq *q);

/* EPOLLIN on fd, with fd as the event's data: what every loop of the agent waits for. */
int agent_epoll_add(int epoll_fd, int fd);

/*
 * What the intake and events threads have in common: the thread, its
 * epoll (its job queue already in it) and the stop flag its loop reads.
 */
struct agent;
struct agent_worker {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	int epoll_fd;
	struct agent_jobq jobs;
};

/* Job queue and epoll; the caller adds its own fds, then starts it. */
int agent_worker_init(struct agent_worker *w);
int agent_worker_start(struct agent_worker *w, void *(*fn)(void *), void *arg, const char *name);
/*
 * Stops the thread (through its job queue), then answers every job still
 * queued "the agent is stopping" (through a's done queue), and releases
 * the queue and the epoll.
 */
void agent_worker_stop(struct agent *a, struct agent_worker *w);

struct agent_ring {
	pthread_mutex_t lock;
	int efd;
	size_t item_size, cap, head, n;
	__u64 dropped; /* pushes refused because the ring was full */
	bool quiet; /* the reader polls: pushes raise no efd, pops clear none */
	char *items;
};

int agent_ring_init(struct agent_ring *r, size_t item_size, size_t cap);
void agent_ring_destroy(struct agent_ring *r);
/* Copies item in; -ENOBUFS (and counted) when full. */
int agent_ring_push(struct agent_ring *r, const void *item);
/* Copies up to max items out, oldest first; returns how many. */
size_t agent_ring_pop(struct agent_ring *r, void *out, size_t max);
__u64 agent_ring_dropped(struct agent_ring *r);

#endif /* QS_AGENT_QUEUE_H */
