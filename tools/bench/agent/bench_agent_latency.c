// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Latency from send to entry visible at a paced rate: one-ID datagrams,
 * each sent at its slot on an absolute schedule (spinning on the sender's
 * own CPU); one in lat_sample is polled for in the pinned qs_cidtab,
 * mapped read-only, until its entry is there. A poll is qs_cidtab_get, the
 * data path's lookup done on this process's mapping: a memory read, no
 * system call (about 0.3 us when this watched qs_cids through
 * bpf_map_lookup_elem), so a sample is finer. The other datagrams keep the agent at
 * the full rate; a slot missed by more than a period (a poll that ran long)
 * is counted late and its datagram sent at once.
 *
 * Around each timed datagram the schedstat of every thread of the agent is
 * read (time on a CPU and waiting on a run queue) and so is the sender's:
 * a slow sample then says whether the agent was busy with something else
 * (and which thread), whether one of its threads waited for its CPU, or
 * whether the sender itself was kept off its CPU. The reads come before
 * the send clock starts and after it stops.
 *
 * Under load (struct ba_pace) the sender sleeps to each slot instead of
 * spinning, so that load running at SCHED_IDLE on its CPU gets the time
 * between slots and never the time of a send or a poll.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "bench_agent.h"

#define SAMPLE_TIMEOUT_NS 1000000000ull
#define VISIBLE_TIMEOUT_NS (60 * 1000000000ull)
/* waiting on a run queue this long (either thread) marks a sample disturbed */
#define DISTURBED_WAIT_US 50.0
#define BUSY_ELSEWHERE_US 200.0 /* agent ran this long within one sample */
/*
 * Neither ran nor waited on a run queue this long within one sample: the
 * agent was blocked (a lock, a system call that waits, a client it waits
 * for), or not woken yet (on a VM a halted vCPU can take ms to wake).
 */
#define BLOCKED_US 1000.0

/* Slowest first. */
static int cmp_sample(const void *a, const void *b)
{
	double x = ((const struct ba_lat_sample *)a)->us, y = ((const struct ba_lat_sample *)b)->us;

	return (x < y) - (x > y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One poll of qs_cidtab for an absent ID: the resolution of a sample. */
static double lookup_cost_ns(const struct ba_ctx *c, __u32 backend_id)
{
	const int n = 20000;
	__u64 t0 = ba_now_ns();

	for (int i = 0; i < n; i++)
		ba_cid_visible(c, backend_id, 0xfffffff0u, 18);
	return (double)(ba_now_ns() - t0) / n;
}

static bool disturbed(const struct ba_lat_sample *s)
{
	return s->agent_wait_us > DISTURBED_WAIT_US || s->sender_wait_us > DISTURBED_WAIT_US;
}

/* Percentiles of all samples, and of those neither thread waited for its CPU in. */
static int lat_stats(struct ba_latency *l, struct ba_lat_sample *smp, __u32 n)
{
	double *us = malloc((n + 1) * sizeof(*us)), *clean = malloc((n + 1) * sizeof(*clean));
	__u32 nc = 0;

	if (!us || !clean) {
		free(us);
		free(clean);
		return -ENOMEM;
	}
	qsort(smp, n, sizeof(*smp), cmp_sample);
	memcpy(l->slowest, smp, (n < BA_SLOWEST ? n : BA_SLOWEST) * sizeof(*smp));
	for (__u32 i = 0; i < n; i++) {
		us[i] = smp[n - 1 - i].us;
		if (!disturbed(&smp[i]))
			clean[nc++] = smp[i].us;
		else if (smp[i].agent_wait_us > DISTURBED_WAIT_US)
			l->agent_waited++;
		else
			l->sender_waited++;
		if (smp[i].agent_run_us > BUSY_ELSEWHERE_US)
			l->agent_busy_elsewhere++;
		if (smp[i].us - smp[i].agent_run_us - smp[i].agent_wait_us > BLOCKED_US)
			l->agent_blocked++;
	}
	qsort(clean, nc, sizeof(*clean), cmp_double);
	l->samples = n;
	l->min_us = n ? us[0] : NAN;
	l->median_us = ba_percentile(us, n, 50);
	l->p90_us = ba_percentile(us, n, 90);
	l->p99_us = ba_percentile(us, n, 99);
	l->p999_us = ba_percentile(us, n, 99.9);
	l->max_us = n ? us[n - 1] : NAN;
	l->clean_samples = nc;
	l->clean_median_us = ba_percentile(clean, nc, 50);
	l->clean_p99_us = ba_percentile(clean, nc, 99);
	l->clean_max_us = nc ? clean[nc - 1] : NAN;
	free(us);
	free(clean);
	return 0;
}

/*
 * Median, p99 and max of the samples sent within [from_ms, to_ms] of a run
 * (the purge's span, say); NaN when there are none.
 */
int ba_lat_percentiles(const struct ba_lat_sample *smp, __u32 n, double from_ms, double to_ms,
		       __u32 *count, double *median, double *p99, double *max)
{
	double *us = malloc((n + 1) * sizeof(*us));
	__u32 k = 0;

	if (!us)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++)
		if (smp[i].at_ms >= from_ms && smp[i].at_ms <= to_ms)
			us[k++] = smp[i].us;
	qsort(us, k, sizeof(*us), cmp_double);
	*count = k;
	*median = ba_percentile(us, k, 50);
	*p99 = ba_percentile(us, k, 99);
	*max = k ? us[k - 1] : NAN;
	free(us);
	return 0;
}

struct sched_fds {
	struct ba_sched_set agent;
	int sender;
};

struct sched_point {
	__u64 agent_run[BA_MAX_THREADS], agent_wait[BA_MAX_THREADS];
	__u64 sender_run, sender_wait;
};

static void sched_read(const struct sched_fds *f, struct sched_point *p)
{
	ba_sched_set_read(&f->agent, p->agent_run, p->agent_wait);
	if (ba_schedstat_read(f->sender, &p->sender_run, &p->sender_wait))
		p->sender_run = p->sender_wait = 0;
}

/* The agent's threads between a and b: time run (summed), the longest wait, and by whom. */
static void sched_delta(const struct sched_fds *f, const struct sched_point *a,
			const struct sched_point *b, struct ba_lat_sample *s)
{
	__u64 most_run = 0, most_wait = 0;

	s->run_thread = s->wait_thread = -1;
	for (int t = 0; t < f->agent.n; t++) {
		__u64 run = b->agent_run[t] - a->agent_run[t],
		      wait = b->agent_wait[t] - a->agent_wait[t];

		s->agent_run_us += run / 1e3;
		if (run > most_run) {
			most_run = run;
			s->run_thread = t;
		}
		if (wait > most_wait) {
			most_wait = wait;
			s->wait_thread = t;
		}
	}
	s->agent_wait_us = most_wait / 1e3;
	s->sender_wait_us = (b->sender_wait - a->sender_wait) / 1e3;
}

/* Until slot: spinning, or asleep (timer slack 1 ns: see ba_lat_run) when pace says so. */
static __u64 slot_wait(__u64 slot, const struct ba_pace *pace)
{
	__u64 t;

	if (pace->sleep && (t = ba_now_ns()) < slot) {
		struct timespec ts = { slot / 1000000000ull, slot % 1000000000ull };

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	while ((t = ba_now_ns()) < slot)
		;
	return t;
}

/* Sends datagram i at its slot; times it if it is a sampled one. */
static int lat_one(const struct ba_ctx *c, struct ba_latency *l, const struct ba_dgrams *d, __u32 i,
		   const struct sched_fds *fds, struct ba_lat_sample *smp, __u64 start,
		   const struct ba_pace *pace)
{
	__u64 period = 1000000000ull / c->o->lat_rate, slot = start + (__u64)i * period;
	struct ba_lat_sample *s = &smp[l->samples];
	struct sched_point a, b;
	__u64 t, ts, seen;
	bool sampled = i % c->o->lat_sample == 0;
	int err;

	t = slot_wait(slot, pace);
	if (t > slot + period)
		l->late++;
	if (pace->slot_hook && (err = pace->slot_hook(pace->hook_ctx, i)))
		return err;
	if (sampled)
		sched_read(fds, &a);
	ts = ba_now_ns();
	err = ba_send(c->sock, ba_dgram(d, i), d->len[i]);
	if (err || !sampled)
		return err;
	seen = ba_wait_cid(c, d->backend_id, d->first_key + i, d->cid_len, true,
			   pace->sample_timeout_ns);
	if (!seen) {
		l->timeouts++;
		return 0;
	}
	sched_read(fds, &b);
	memset(s, 0, sizeof(*s));
	s->at_ms = (ts - start) / 1e6;
	s->us = (seen - ts) / 1e3;
	sched_delta(fds, &a, &b, s);
	l->samples++;
	return 0;
}

static const struct ba_pace default_pace = { .sample_timeout_ns = SAMPLE_TIMEOUT_NS };

static int sched_fds_open(const struct ba_ctx *c, struct sched_fds *f, struct ba_latency *l)
{
	int err = ba_sched_set_open(&f->agent, c->o->agent_pid);

	f->sender = ba_schedstat_open(getpid(), syscall(SYS_gettid));
	if (!err && f->sender < 0)
		err = f->sender;
	l->n_threads = f->agent.n;
	memcpy(l->threads, f->agent.comm, sizeof(l->threads));
	return err;
}

static void sched_fds_close(struct sched_fds *f)
{
	ba_sched_set_close(&f->agent);
	if (f->sender >= 0)
		close(f->sender);
}

/*
 * Datagram i of d carries ID d->first_key + i; the backend holds the IDs
 * of earlier runs with the same incarnation too, hence the count.
 */
int ba_lat_run(const struct ba_ctx *c, struct ba_latency *l, const struct ba_dgrams *d,
	       const struct ba_pace *pace)
{
	struct ba_lat_sample *smp = calloc(d->n / c->o->lat_sample + 1, sizeof(*smp));
	struct sched_fds fds = { .sender = -1 };
	struct ba_snap s0, s1;
	__u64 start;
	__u32 sent;
	int err = !smp ? -ENOMEM : sched_fds_open(c, &fds, l);

	pace = pace ?: &default_pace;
	if (pace->sleep)
		prctl(PR_SET_TIMERSLACK, 1); /* this thread's sleeps end on time, not 50 us late */
	l->reports = d->n;
	l->rate = c->o->lat_rate;
	if (!err)
		l->lookup_ns = lookup_cost_ns(c, d->backend_id);
	ba_snap_take(c, &s0);
	start = ba_now_ns() + 1000000;
	for (sent = 0; !err && sent < d->n && !(pace->end_on_timeout && l->timeouts); sent++)
		err = lat_one(c, l, d, sent, &fds, smp, start, pace);
	ba_snap_take(c, &s1);
	l->achieved_rate = sent / ((s1.wall_ns - start) / 1e9);
	if (!err) {
		ba_wait_cid(c, d->backend_id, d->first_key + sent - 1, d->cid_len, true,
			    VISIBLE_TIMEOUT_NS);
		err = lat_stats(l, smp, l->samples);
		l->ran = !err;
		ba_window_of(&l->win, &s0, &s1);
		l->counted = ba_count_backend(c, d->backend_id);
		l->complete = l->counted == d->first_key + d->n;
	}
	sched_fds_close(&fds);
	if (!err && pace->keep_samples)
		l->all = smp;
	else
		free(smp);
	return err;
}
