// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The events thread: everything the data path tells the agent, and the
 * address table. It reads the ring buffer (every record goes to the
 * monitors; nothing else depends on a record: learned IDs age in their
 * own table, and the data path samples records under a flood), serves
 * the monitor subscribers, sweeps idle entries from the address tables
 * (qs_flows_v2 and qs_flows_new, one after the other) and runs `flow
 * flush`: the one writer of both besides the data path.
 *
 * The data path's records wake nobody: a turn runs at least every
 * QS_EVENTS_DRAIN_MS and reads the ring each time (abi.h; the ring's fd
 * in epoll speaks only when the ring is past QS_EVENTS_WAKE_BYTES).
 * One turn reads at most EVENTS_RING records, EVENTS_NOTICES report
 * notices, one chunk of the sweep and of each flush, then returns to
 * epoll (at once if work is left), so a flood of packets with unknown IDs
 * costs this thread, and at worst lost ring records, never a report.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "util/log.h"
#include "quicsteer.skel.h"
#include "util/clock.h"

#define EVENTS_RING 1024 /* records per turn */
#define EVENTS_NOTICES 64
#define EVENTS_JOBS 8
#define NOTICE_RING_ITEMS 256
#define EVENTS_ENTRIES 256 /* address entries written per turn */
#define ENTRY_RING_ITEMS 4096
#define SWEEP_EVERY_NS (10ull * 1000000000ull)
/* What ring_record returns to end a turn's reading: ring_buffer__consume passes it on. */
#define RING_TURN_FULL (-EAGAIN)

struct agent_events {
	struct agent *a;
	struct agent_worker w;
	int ring_fd;
	struct ring_buffer *ring;
	struct agent_ring notices; /* struct agent_report_notice, from the intake thread */
	struct agent_ring entries; /* struct entry_note, from the intake thread */
	struct agent_monitor *monitor;
	struct agent_view *view; /* for names: refreshed each turn */
	/* of the address tables: established (qs_flows_v2), new (qs_flows_new) */
	struct agent_sweep *sweeps[2];
	int flows_fds[2];
	unsigned int sweep_at; /* the table the pass running is in */
	bool sweeping;
	__u64 next_sweep_ns;
	struct agent_job *flushes;
	unsigned int turn_records;
	__u64 notices_dropped_seen;
	__u64 entries_dropped_seen;
	_Atomic __u64 entries_refused; /* by the intake thread (agent_events_entry_refused) */

	pthread_mutex_t pub_lock;
	struct agent_events_stats pub, own;
};

/* An address entry to write, from a handshake report. */
struct entry_note {
	struct qs_flow_key key;
	__u32 backend_id;
};

static int ring_record(void *ctx, void *data, size_t size)
{
	struct agent_events *e = ctx;
	const struct qs_event *ev = data;

	if (size < sizeof(*ev))
		return 0;
	e->own.events++;
	agent_monitor_event(e->monitor, e->w.epoll_fd, e->view, ev);
	return ++e->turn_records < EVENTS_RING ? 0 : RING_TURN_FULL;
}

int agent_events_open(struct agent *a)
{
	struct quicsteer_bpf *s = a->router.skel;
	struct agent_events *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	a->events = e;
	e->a = a;
	e->w.epoll_fd = e->w.jobs.efd = e->notices.efd = e->entries.efd = -1;
	pthread_mutex_init(&e->pub_lock, NULL);
	e->flows_fds[0] = bpf_map__fd(s->maps.qs_flows_v2);
	e->flows_fds[1] = bpf_map__fd(s->maps.qs_flows_new);
	e->view = agent_view_get(a);
	e->monitor = agent_monitor_new();
	e->ring = ring_buffer__new(bpf_map__fd(s->maps.qs_events), ring_record, e, NULL);
	for (int i = 0; i < 2; i++)
		e->sweeps[i] =
			agent_flow_sweep_new(e->flows_fds[i], a->cfg->flow_idle_ms * 1000000ull);
	if (!e->monitor || !e->ring || !e->sweeps[0] || !e->sweeps[1])
		return errno ? -errno : -ENOMEM;
	e->ring_fd = ring_buffer__epoll_fd(e->ring);
	e->next_sweep_ns = qs_now_coarse_ns() + SWEEP_EVERY_NS;
	err = agent_worker_init(&e->w) ?:
		      agent_ring_init(&e->notices, sizeof(struct agent_report_notice), NOTICE_RING_ITEMS) ?:
		      agent_ring_init(&e->entries, sizeof(struct entry_note), ENTRY_RING_ITEMS);
	e->entries.quiet = true;
	return err;
}

void agent_events_post(struct agent *a, struct agent_job *job)
{
	agent_jobq_push(&a->events->w.jobs, job);
}

void agent_events_report(struct agent *a, const void *buf, size_t len, int reason, __u64 wall_ns)
{
	struct agent_report_notice n = { .wall_ns = wall_ns,
					 .len = len < sizeof(n.buf) ? len : sizeof(n.buf),
					 .reason = reason };

	memcpy(n.buf, buf, n.len);
	agent_ring_push(&a->events->notices, &n);
}

void agent_events_entry(struct agent *a, __u32 vip_id, __u32 backend_id,
			const struct qs_report_endpoint *client)
{
	struct entry_note n = { .backend_id = backend_id };

	memset(&n.key, 0, sizeof(n.key));
	n.key.addr = client->addr;
	n.key.vip_id = vip_id;
	n.key.port = client->port;
	n.key.family = client->family;
	agent_ring_push(&a->events->entries, &n);
}

void agent_events_entry_refused(struct agent *a)
{
	atomic_fetch_add_explicit(&a->events->entries_refused, 1, memory_order_relaxed);
}

void agent_events_stats(struct agent *a, struct agent_events_stats *out)
{
	struct agent_events *e = a->events;

	pthread_mutex_lock(&e->pub_lock);
	*out = e->pub;
	pthread_mutex_unlock(&e->pub_lock);
}

static void stats_publish(struct agent_events *e)
{
	e->own.flows = *agent_sweep_stats(e->sweeps[0]);
	e->own.flows_new = *agent_sweep_stats(e->sweeps[1]);
	pthread_mutex_lock(&e->pub_lock);
	e->pub = e->own;
	pthread_mutex_unlock(&e->pub_lock);
	atomic_store(&e->a->monitor_subscribers, agent_monitor_count(e->monitor));
}

/* Up to EVENTS_RING records; true if the ring may hold more. */
static bool ring_read(struct agent_events *e)
{
	int err;

	e->turn_records = 0;
	err = ring_buffer__consume(e->ring);
	if (err == RING_TURN_FULL) {
		e->own.turns_full++;
		return true;
	}
	if (err < 0 && err != -EINTR)
		pr_warn("ring buffer %s: %s\n", QS_MAP_EVENTS, strerror(-err));
	return false;
}

static bool notices_read(struct agent_events *e)
{
	static struct agent_report_notice n[16];
	size_t got, total = 0;
	__u64 dropped = agent_ring_dropped(&e->notices);

	if (dropped != e->notices_dropped_seen) {
		agent_monitor_lost(e->monitor, dropped - e->notices_dropped_seen);
		e->own.notices_lost += dropped - e->notices_dropped_seen;
		e->notices_dropped_seen = dropped;
	}
	while (total < EVENTS_NOTICES &&
	       (got = agent_ring_pop(&e->notices, n, sizeof(n) / sizeof(n[0])))) {
		for (size_t i = 0; i < got; i++)
			agent_monitor_report(e->monitor, e->w.epoll_fd, e->view, &n[i]);
		total += got;
	}
	return total == EVENTS_NOTICES;
}

/*
 * Address entries from handshake reports, into the established table: a
 * backend that reported the handshake has the client's connection. An
 * address that has an entry keeps it (another connection's, or one an ID
 * of this connection opened already); the data path marks the address
 * ambiguous if its connections' IDs name two backends.
 */
static bool entries_write(struct agent_events *e)
{
	static struct entry_note n[32];
	__u64 dropped = agent_ring_dropped(&e->entries);
	size_t got, total = 0;

	e->own.entries_lost += dropped - e->entries_dropped_seen;
	e->entries_dropped_seen = dropped;
	e->own.entries_lost +=
		atomic_exchange_explicit(&e->entries_refused, 0, memory_order_relaxed);
	while (total < EVENTS_ENTRIES &&
	       (got = agent_ring_pop(&e->entries, n, sizeof(n) / sizeof(n[0])))) {
		for (size_t i = 0; i < got; i++) {
			struct qs_flow f = { .last_seen_ns = qs_now_coarse_ns(),
					     .backend_id = n[i].backend_id };

			if (!bpf_map_update_elem(e->flows_fds[0], &n[i].key, &f, BPF_NOEXIST))
				e->own.entries_written++;
			else if (errno == EEXIST)
				e->own.entries_present++;
			else
				e->own.entries_lost++;
		}
		total += got;
	}
	return total >= EVENTS_ENTRIES;
}

static void job_done(struct agent_events *e, struct agent_job *job)
{
	agent_jobq_push(&e->a->done, job);
}

static void job_run(struct agent_events *e, struct agent_job *job)
{
	switch (job->kind) {
	case AGENT_JOB_SUBSCRIBE:
		/* the answer goes from here: the connection is ours now */
		agent_monitor_subscribe(e->monitor, e->w.epoll_fd, job->fd);
		job->fd = -1;
		break;
	case AGENT_JOB_FLOW_FLUSH:
		if (agent_flow_flush_start(e->flows_fds[0], e->flows_fds[1], job)) {
			job->next = e->flushes;
			e->flushes = job;
			return;
		}
		break;
	default:
		agent_reply_error(&job->reply, "not a job for the events thread");
		break;
	}
	job_done(e, job);
}

/* A newer configuration: its names, and its idle time for the sweep. */
static void view_refresh(struct agent_events *e)
{
	if (atomic_load(&e->a->view_published) == e->view->gen)
		return;
	agent_view_put(e->view);
	e->view = agent_view_get(e->a);
	for (int i = 0; i < 2; i++)
		agent_flow_sweep_set_idle(e->sweeps[i], e->view->flow_idle_ns);
}

/*
 * One chunk of the address tables' sweep when one is due: a pass of the
 * established table, then one of the new; true while they run.
 */
static bool sweep_step(struct agent_events *e, __u64 now)
{
	static const char *const names[2] = { QS_MAP_FLOWS, QS_MAP_FLOWS_NEW };
	int ret;

	if (!e->sweeping && now < e->next_sweep_ns)
		return false;
	e->sweeping = true;
	ret = agent_sweep_step(e->sweeps[e->sweep_at], now);
	if (ret < 0)
		pr_warn("address table %s: sweep: %s\n", names[e->sweep_at], strerror(-ret));
	if (ret && ++e->sweep_at == 2) {
		e->sweep_at = 0;
		e->sweeping = false;
		e->next_sweep_ns = now + SWEEP_EVERY_NS;
	}
	return e->sweeping;
}

static bool turn(struct agent_events *e, const struct epoll_event *evs, int n)
{
	struct agent_job *job;
	bool more = false;

	view_refresh(e);
	/* every turn: records wake nobody (QS_EVENTS_DRAIN_MS), nor do entries */
	more |= ring_read(e);
	more |= entries_write(e);
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		if (fd == e->notices.efd)
			more |= notices_read(e);
		else if (fd != e->w.jobs.efd)
			agent_monitor_readable(e->monitor, e->w.epoll_fd, fd);
	}
	for (int i = 0; i < EVENTS_JOBS && (job = agent_jobq_pop(&e->w.jobs)); i++)
		job_run(e, job);
	more |= agent_flushes_step(e->a, &e->flushes);
	more |= sweep_step(e, qs_now_coarse_ns());
	return more;
}

static void *events_main(void *arg)
{
	struct agent_events *e = arg;
	struct epoll_event evs[32];
	bool more = false;

	while (!atomic_load(&e->w.stop)) {
		int n = epoll_wait(e->w.epoll_fd, evs, sizeof(evs) / sizeof(evs[0]),
				   more ? 0 : QS_EVENTS_DRAIN_MS);

		more = turn(e, evs, n < 0 ? 0 : n);
		stats_publish(e);
	}
	return NULL;
}

int agent_events_start(struct agent *a)
{
	struct agent_events *e = a->events;
	int err = agent_epoll_add(e->w.epoll_fd, e->ring_fd) ?:
			  agent_epoll_add(e->w.epoll_fd, e->notices.efd);

	stats_publish(e);
	return err ?: agent_worker_start(&e->w, events_main, e, "qs-events");
}

void agent_events_stop(struct agent *a)
{
	struct agent_events *e = a->events;

	if (!e)
		return;
	agent_worker_stop(a, &e->w);
	agent_flushes_abandon(a, &e->flushes);
	agent_monitor_free(e->monitor);
	ring_buffer__free(e->ring);
	agent_sweep_free(e->sweeps[0]);
	agent_sweep_free(e->sweeps[1]);
	agent_view_put(e->view);
	agent_ring_destroy(&e->notices);
	agent_ring_destroy(&e->entries);
	free(e);
	a->events = NULL;
}
