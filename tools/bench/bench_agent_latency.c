// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Latency from send to map entry visible at a paced rate: one-ID
 * datagrams, each sent at its slot on an absolute schedule (spinning on
 * the sender's own CPU); one in lat_sample is polled for in the pinned
 * qs_cids until its entry is there. The other datagrams keep the agent at
 * the full rate; a slot missed by more than a period (a poll that ran long)
 * is counted late and its datagram sent at once.
 *
 * Around each timed datagram the agent's main thread's schedstat is read
 * (its time on the CPU and waiting on a run queue) and so is the sender's:
 * a slow sample then says whether the agent was busy with something else,
 * whether it waited for its CPU, or whether the sender itself was kept off
 * its CPU. The reads come before the send clock starts and after it stops.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bench_agent.h"

#define SAMPLE_TIMEOUT_NS 1000000000ull
#define VISIBLE_TIMEOUT_NS (60 * 1000000000ull)
/* waiting on a run queue this long (either thread) marks a sample disturbed */
#define DISTURBED_WAIT_US 50.0
#define BUSY_ELSEWHERE_US 200.0 /* agent ran this long within one sample */

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

/* One poll of the map for an absent ID: the resolution of a sample. */
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

struct sched_fds {
	int agent, sender;
};

struct sched_point {
	__u64 agent_run, agent_wait, sender_run, sender_wait;
};

static void sched_read(const struct sched_fds *f, struct sched_point *p)
{
	if (ba_schedstat_read(f->agent, &p->agent_run, &p->agent_wait))
		p->agent_run = p->agent_wait = 0;
	if (ba_schedstat_read(f->sender, &p->sender_run, &p->sender_wait))
		p->sender_run = p->sender_wait = 0;
}

/* Sends datagram i at its slot; times it if it is a sampled one. */
static int lat_one(const struct ba_ctx *c, struct ba_latency *l, const struct ba_dgrams *d, __u32 i,
		   const struct sched_fds *fds, struct ba_lat_sample *smp, __u64 start)
{
	__u64 period = 1000000000ull / c->o->lat_rate, slot = start + (__u64)i * period;
	struct sched_point a, b;
	__u64 t, ts, seen;
	bool sampled = i % c->o->lat_sample == 0;
	int err;

	while ((t = ba_now_ns()) < slot)
		;
	if (t > slot + period)
		l->late++;
	if (sampled)
		sched_read(fds, &a);
	ts = ba_now_ns();
	err = ba_send(c->sock, ba_dgram(d, i), d->len[i]);
	if (err || !sampled)
		return err;
	seen = ba_wait_cid(c, d->backend_id, i, d->cid_len, true, SAMPLE_TIMEOUT_NS);
	if (!seen) {
		l->timeouts++;
		return 0;
	}
	sched_read(fds, &b);
	smp[l->samples++] = (struct ba_lat_sample){
		.at_ms = (ts - start) / 1e6,
		.us = (seen - ts) / 1e3,
		.agent_run_us = (b.agent_run - a.agent_run) / 1e3,
		.agent_wait_us = (b.agent_wait - a.agent_wait) / 1e3,
		.sender_wait_us = (b.sender_wait - a.sender_wait) / 1e3,
	};
	return 0;
}

int ba_lat_run(const struct ba_ctx *c, struct ba_latency *l, const struct ba_dgrams *d)
{
	struct ba_lat_sample *smp = calloc(d->n / c->o->lat_sample + 1, sizeof(*smp));
	struct sched_fds fds = { ba_schedstat_open(c->o->agent_pid, c->o->agent_pid),
				 ba_schedstat_open(getpid(), syscall(SYS_gettid)) };
	struct ba_snap s0, s1;
	__u64 start;
	int err = !smp ? -ENOMEM : fds.agent < 0 ? fds.agent : fds.sender < 0 ? fds.sender : 0;

	l->reports = d->n;
	l->rate = c->o->lat_rate;
	if (!err)
		l->lookup_ns = lookup_cost_ns(c, d->backend_id);
	ba_snap_take(c, &s0);
	start = ba_now_ns() + 1000000;
	for (__u32 i = 0; !err && i < d->n; i++)
		err = lat_one(c, l, d, i, &fds, smp, start);
	ba_snap_take(c, &s1);
	l->achieved_rate = d->n / ((s1.wall_ns - start) / 1e9);
	if (!err) {
		ba_wait_cid(c, d->backend_id, d->n - 1, d->cid_len, true, VISIBLE_TIMEOUT_NS);
		err = lat_stats(l, smp, l->samples);
		l->ran = !err;
		ba_window_of(&l->win, &s0, &s1);
		l->counted = ba_count_backend(c, d->backend_id);
		l->complete = l->counted == d->n;
	}
	if (fds.agent >= 0)
		close(fds.agent);
	if (fds.sender >= 0)
		close(fds.sender);
	free(smp);
	return err;
}
