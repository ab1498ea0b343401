// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "agent.h"
#include "queue.h"

/* The eventfd goes readable when a queue becomes non-empty, and back when it empties. */
static void efd_raise(int efd)
{
	__u64 one = 1;

	if (write(efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is at its maximum, readable anyway */
	}
}

static void efd_clear(int efd)
{
	__u64 v;

	if (read(efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: it was not readable */
	}
}

int agent_jobq_init(struct agent_jobq *q)
{
	memset(q, 0, sizeof(*q));
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		return -errno;
	pthread_mutex_init(&q->lock, NULL);
	q->tail = &q->head;
	return 0;
}

void agent_jobq_destroy(struct agent_jobq *q)
{
	if (q->efd >= 0)
		close(q->efd);
	q->efd = -1;
	pthread_mutex_destroy(&q->lock);
}

void agent_jobq_push(struct agent_jobq *q, struct agent_job *job)
{
	pthread_mutex_lock(&q->lock);
	job->next = NULL;
	*q->tail = job;
	q->tail = &job->next;
	if (q->head == job)
		efd_raise(q->efd);
	pthread_mutex_unlock(&q->lock);
}

struct agent_job *agent_jobq_pop(struct agent_jobq *q)
{
	struct agent_job *job;

	pthread_mutex_lock(&q->lock);
	job = q->head;
	if (job) {
		q->head = job->next;
		if (!q->head)
			q->tail = &q->head;
	}
	if (!q->head)
		efd_clear(q->efd);
	pthread_mutex_unlock(&q->lock);
	return job;
}

void agent_jobq_wake(struct agent_jobq *q)
{
	efd_raise(q->efd);
}

int agent_epoll_add(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int agent_worker_init(struct agent_worker *w)
{
	int err = agent_jobq_init(&w->jobs);

	w->epoll_fd = -1;
	if (err)
		return err;
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epoll_fd < 0)
		return -errno;
	return agent_epoll_add(w->epoll_fd, w->jobs.efd);
}

int agent_worker_start(struct agent_worker *w, void *(*fn)(void *), void *arg, const char *name)
{
	int err = pthread_create(&w->thread, NULL, fn, arg);

	if (err)
		return -err;
	pthread_setname_np(w->thread, name);
	w->running = true;
	return 0;
}

void agent_worker_stop(struct agent *a, struct agent_worker *w)
{
	struct agent_job *job;

	if (w->running) {
		atomic_store(&w->stop, true);
		agent_jobq_wake(&w->jobs);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	while (w->jobs.efd >= 0 && (job = agent_jobq_pop(&w->jobs))) {
		if (job->kind == AGENT_JOB_SUBSCRIBE && job->fd >= 0)
			close(job->fd);
		agent_reply_error(&job->reply, "the agent is stopping");
		agent_jobq_push(&a->done, job);
	}
	if (w->epoll_fd >= 0)
		close(w->epoll_fd);
	w->epoll_fd = -1;
	if (w->jobs.efd >= 0)
		agent_jobq_destroy(&w->jobs);
}

int agent_ring_init(struct agent_ring *r, size_t item_size, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->items = calloc(cap, item_size);
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!r->items || r->efd < 0) {
		int err = r->items ? -errno : -ENOMEM;

		free(r->items);
		if (r->efd >= 0)
			close(r->efd);
		return err;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->item_size = item_size;
	r->cap = cap;
	return 0;
}

void agent_ring_destroy(struct agent_ring *r)
{
	free(r->items);
	r->items = NULL;
	if (r->efd >= 0)
		close(r->efd);
	r->efd = -1;
	pthread_mutex_destroy(&r->lock);
}

int agent_ring_push(struct agent_ring *r, const void *item)
{
	int err = 0;

	pthread_mutex_lock(&r->lock);
	if (r->n == r->cap) {
		r->dropped++;
		err = -ENOBUFS;
	} else {
		memcpy(r->items + ((r->head + r->n) % r->cap) * r->item_size, item, r->item_size);
		if (!r->n++ && !r->quiet)
			efd_raise(r->efd);
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

size_t agent_ring_pop(struct agent_ring *r, void *out, size_t max)
{
	size_t taken = 0;

	pthread_mutex_lock(&r->lock);
	for (; taken < max && r->n; taken++, r->n--) {
		memcpy((char *)out + taken * r->item_size, r->items + r->head * r->item_size,
		       r->item_size);
		r->head = (r->head + 1) % r->cap;
	}
	if (!r->n && !r->quiet)
		efd_clear(r->efd);
	pthread_mutex_unlock(&r->lock);
	return taken;
}

__u64 agent_ring_dropped(struct agent_ring *r)
{
	__u64 n;

	pthread_mutex_lock(&r->lock);
	n = r->dropped;
	pthread_mutex_unlock(&r->lock);
	return n;
}
