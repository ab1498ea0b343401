// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent under load (bench_agent.md, "Under load"): the latency of one
 * backend's one-ID datagrams at the latency run's rate (10,000/s), send to
 * entry visible in the pinned qs_cidtab, while
 *   (a) a client loops CLI commands against the agent (bench_agent_cli.c),
 *   (b) unknown-ID packets run through the router at 100,000/s, one
 *       ring-buffer record each (bench_agent_inject.c),
 *   (c) a backend holding 1,000,000 IDs restarts: its next datagram carries
 *       a new incarnation, and the agent purges the old one's IDs,
 * each beside the same run with no load (the floor), in one run of the agent.
 * The agent is a black box here: its sockets, pins, CLI and metrics.
 *
 * Placement: the agent keeps its CPU to itself. The load generators run on
 * the sender's CPU at SCHED_IDLE, and the sender sleeps to each slot
 * instead of spinning: the load gets every moment the sender does not
 * need and never delays a send or a poll, so the figures move with what
 * the load makes the agent do, not with how two busy threads share a CPU.
 *
 * The timed backend keeps one incarnation through all runs, each sending
 * the next range of its IDs (sequence numbers continue); the restarting
 * backend's IDs go in before (c), as fast as the agent takes them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_agent.h"

#define BACKEND_TIMED 5
#define BACKEND_PURGED 6
#define TIMED_CID_LEN 18
#define PURGED_CID_LEN 8
#define RAMP_US 200000 /* the load runs this long before a run starts */
#define PURGE_AT_DIVISOR 6 /* the new incarnation goes a sixth into the run */
#define PURGE_PROBES 8
#define PURGE_PROBE_EVERY 10 /* slots: 1 ms at 10,000/s */
#define PURGE_WAIT_NS (120 * 1000000000ull)
/*
 * A sample may wait out a whole purge: no timeout short of a stuck agent,
 * and the first one ends the run (failed: IDs missing).
 */
#define UL_SAMPLE_TIMEOUT_NS (30 * 1000000000ull)

static const char *const scenario_names[BA_UL_RUNS] = { "idle", "control", "events", "purge" };

struct ul_state {
	struct ba_ctx *c;
	struct ba_under_load *ul;
	__u64 incarnation; /* the timed backend's */
	__u32 next_key; /* its next ID */
};

/* "control,events": the scenarios' bits; the idle floor is always in. */
int ba_ul_scenarios_parse(const char *list, unsigned int *mask)
{
	char buf[128], *save, *w;

	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 1u << BA_UL_IDLE;
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int k = 0;

		while (k < BA_UL_RUNS && strcmp(w, scenario_names[k]))
			k++;
		if (k == BA_UL_RUNS) {
			fprintf(stderr,
				"qs-bench-agent: --under-load: unknown \"%s\" (control, "
				"events, purge)\n",
				w);
			return -EINVAL;
		}
		*mask |= 1u << k;
	}
	return 0;
}

/* The timed backend's next ul_reports one-ID datagrams. */
static int timed_build(struct ul_state *st, struct ba_dgrams *d)
{
	const struct ba_ctx *c = st->c;

	return ba_dgrams_build(d, c->keys[BACKEND_TIMED], &c->vip, BACKEND_TIMED, st->incarnation,
			       TIMED_CID_LEN, c->o->ul_reports, 1, st->next_key);
}

/* Waits for a quiet agent CPU and says what runs. */
static void run_announce(struct ul_state *st, enum ba_ul_kind k, const char *what)
{
	struct ba_metrics m;

	st->ul->run[k].quiet_wait_s = ba_cpu_quiet(st->c);
	if (st->c->o->metrics_url && !ba_metrics_read(&m, st->c->o->metrics_url))
		st->ul->run[k].live_ids = m.ids_reported;
	printf("  under load, %s: %u datagrams at %u/s%s...\n", scenario_names[k],
	       st->c->o->ul_reports, st->c->o->lat_rate, what);
	fflush(stdout);
}

static int timed_run(struct ul_state *st, enum ba_ul_kind k, struct ba_dgrams *d,
		     const struct ba_pace *pace)
{
	struct ba_pace p = pace ? *pace : (struct ba_pace){ 0 };
	int err;

	p.sleep = true;
	p.sample_timeout_ns = UL_SAMPLE_TIMEOUT_NS;
	p.end_on_timeout = true;
	err = ba_lat_run(st->c, &st->ul->run[k], d, &p);
	st->next_key += d->n;
	st->ul->datagrams += d->n;
	return err;
}

/* A load generator: started before a run, told when it starts and ends, stopped after. */
struct ul_load {
	int (*start)(struct ul_state *st, void **h);
	void (*mark)(void *h, bool end);
	int (*stop)(void *h);
};

/* Run k with load running (NULL: none) from RAMP_US before it to its end. */
static int loaded_run(struct ul_state *st, enum ba_ul_kind k, const char *what,
		      const struct ul_load *load)
{
	struct ba_dgrams d;
	void *h = NULL;
	int err = timed_build(st, &d), err2 = 0;

	if (err)
		return err;
	run_announce(st, k, what);
	if (load && !(err = load->start(st, &h))) {
		usleep(RAMP_US);
		load->mark(h, false);
	}
	if (!err) {
		err = timed_run(st, k, &d, NULL);
		if (load) {
			load->mark(h, true);
			err2 = load->stop(h);
		}
	}
	ba_dgrams_free(&d);
	return err ?: err2;
}

static int cli_start(struct ul_state *st, void **h)
{
	return ba_cli_start((struct ba_cli_loop **)h, st->c->o, st->ul->load_cpu, &st->ul->control);
}

static void cli_mark(void *h, bool end)
{
	ba_cli_mark(h, end);
}

static int cli_stop(void *h)
{
	return ba_cli_stop(h);
}

static int inject_start(struct ul_state *st, void **h)
{
	return ba_inject_start((struct ba_injector **)h, st->c, st->ul->load_cpu, &st->ul->events);
}

static void inject_mark(void *h, bool end)
{
	ba_inject_mark(h, end);
}

static int inject_stop(void *h)
{
	return ba_inject_stop(h);
}

/* (a) */
static int control_run(struct ul_state *st)
{
	static const struct ul_load cli = { cli_start, cli_mark, cli_stop };

	return loaded_run(st, BA_UL_CONTROL, ", CLI commands in a loop", &cli);
}

/* (b); the router's own counters (metrics) say how many packets it really saw. */
static int events_run(struct ul_state *st)
{
	static const struct ul_load injector = { inject_start, inject_mark, inject_stop };
	struct ba_event_load *ev = &st->ul->events;
	const char *url = st->c->o->metrics_url;
	struct ba_metrics m0 = { 0 }, m1 = { 0 };
	char what[64];
	int err;

	snprintf(what, sizeof(what), ", %u unknown-ID packets/s", st->c->o->event_rate);
	if (url)
		ba_metrics_read(&m0, url);
	err = loaded_run(st, BA_UL_EVENTS, what, &injector);
	if (url && !ba_metrics_read(&m1, url) && m0.read) {
		ev->counted_known = true;
		ev->counted = m1.unknown_cid_packets - m0.unknown_cid_packets;
		ev->events_lost = m1.events_lost - m0.events_lost;
		ev->counted_rate = ev->seconds > 0 ? ev->counted / ev->seconds : 0;
	}
	return err;
}

/* ---- (c) ---- */

/*
 * The restarting backend: sends its new incarnation at one slot, then
 * watches a few of its old IDs spread over the range (the agent may purge
 * in any order) until all are gone.
 */
struct purge_watch {
	const struct ba_ctx *c;
	__u32 at_slot;
	__u8 dgram[QS_REPORT_MAX_DGRAM];
	int len;
	__u32 probe[PURGE_PROBES];
	unsigned int present; /* bit i: probe[i] still in the map */
	__u64 t_sent, t_gone;
};

static bool probes_gone(struct purge_watch *w)
{
	for (int i = 0; i < PURGE_PROBES; i++)
		if ((w->present & 1u << i) &&
		    !ba_cid_visible(w->c, BACKEND_PURGED, w->probe[i], PURGED_CID_LEN))
			w->present &= ~(1u << i);
	return !w->present;
}

static int purge_hook(void *ctx, __u32 slot)
{
	struct purge_watch *w = ctx;

	if (slot == w->at_slot) {
		w->t_sent = ba_now_ns();
		return ba_send(w->c->sock, w->dgram, w->len);
	}
	if (w->t_sent && !w->t_gone && slot % PURGE_PROBE_EVERY == 0 && probes_gone(w))
		w->t_gone = ba_now_ns();
	return 0;
}

/* The restarting backend's IDs, as fast as the agent takes them (not timed here). */
static int purge_fill(struct ul_state *st, struct ba_purge_load *p)
{
	struct ba_ctx *c = st->c;
	struct ba_dgrams fill;
	int err = ba_dgrams_build(&fill, c->keys[BACKEND_PURGED], &c->vip, BACKEND_PURGED,
				  ba_new_incarnation(), PURGED_CID_LEN, c->o->purge_ids, 0, 0);

	if (err)
		return err;
	printf("  under load, purge: %u IDs of backend %u first...\n", fill.ids, BACKEND_PURGED);
	fflush(stdout);
	p->backend_id = BACKEND_PURGED;
	err = ba_tput_run(c, &p->fill, &fill);
	st->ul->datagrams += fill.n;
	ba_dgrams_free(&fill);
	return err;
}

/* After the run: the rest of the purge, the entries left, the latency while it ran. */
static int purge_settle(struct ul_state *st, struct purge_watch *w, struct ba_latency *l)
{
	struct ba_purge_load *p = &st->ul->purge;
	double rate = st->c->o->lat_rate;

	p->outlasted_run = w->t_sent && !w->t_gone;
	while (w->t_sent && !w->t_gone && ba_now_ns() - w->t_sent < PURGE_WAIT_NS) {
		if (probes_gone(w))
			w->t_gone = ba_now_ns();
		usleep(1000);
	}
	for (int i = 0; i < 100 && (p->left = ba_count_backend(st->c, BACKEND_PURGED)); i++)
		usleep(100000);
	p->at_ms = w->at_slot * 1000.0 / rate;
	p->seconds = w->t_gone ? (w->t_gone - w->t_sent) / 1e9 : NAN;
	return ba_lat_percentiles(l->all, l->samples, p->at_ms,
				  p->at_ms + (w->t_gone ? p->seconds * 1000 : INFINITY),
				  &p->samples, &p->median_us, &p->p99_us, &p->max_us);
}

static int purge_watch_init(struct ul_state *st, struct purge_watch *w)
{
	const struct ba_opts *o = st->c->o;

	memset(w, 0, sizeof(*w));
	w->c = st->c;
	w->at_slot = o->ul_reports / PURGE_AT_DIVISOR;
	for (int i = 0; i < PURGE_PROBES; i++)
		w->probe[i] = (__u64)(o->purge_ids - 1) * i / (PURGE_PROBES - 1);
	w->present = (1u << PURGE_PROBES) - 1;
	w->len = ba_heartbeat(w->dgram, st->c->keys[BACKEND_PURGED], BACKEND_PURGED,
			      ba_new_incarnation());
	return w->len < 0 ? w->len : 0;
}

/* (c) */
static int purge_run(struct ul_state *st)
{
	struct ba_purge_load *p = &st->ul->purge;
	struct ba_latency *l = &st->ul->run[BA_UL_PURGE];
	struct purge_watch w;
	struct ba_pace pace = { .keep_samples = true, .slot_hook = purge_hook, .hook_ctx = &w };
	double softirq0, softirq1;
	struct ba_dgrams d;
	/*
	 * The fill first: its incarnation must be the older one. Report
	 * version 2 orders incarnations, and the agent refuses an older one
	 * than it holds (a replay), so the new one is made after it.
	 */
	int err = purge_fill(st, p) ?: purge_watch_init(st, &w);

	if (err)
		return err;
	err = timed_build(st, &d);
	if (err)
		return err;
	run_announce(st, BA_UL_PURGE, ", another backend's IDs purged");
	ba_cpu_busy_ns(st->c->r->agent_cpu, NULL, &softirq0);
	err = timed_run(st, BA_UL_PURGE, &d, &pace);
	st->ul->datagrams += w.t_sent != 0;
	ba_dgrams_free(&d);
	err = err ?: purge_settle(st, &w, l);
	ba_cpu_quiet(st->c);
	ba_cpu_busy_ns(st->c->r->agent_cpu, NULL, &softirq1);
	p->softirq_ms = (softirq1 - softirq0) / 1e6;
	free(l->all);
	l->all = NULL;
	return err;
}

/* Where each of the agent's threads may run (a reworked agent may place them itself). */
static void threads_placed(const struct ba_ctx *c, struct ba_under_load *ul)
{
	int tids[BA_MAX_THREADS];
	int n = ba_proc_threads(c->o->agent_pid, tids, ul->thread_comm, BA_MAX_THREADS);

	ul->n_threads = n > 0 ? n : 0;
	for (int i = 0; i < ul->n_threads; i++)
		ba_proc_cpu(tids[i], ul->thread_cpus[i], sizeof(ul->thread_cpus[i]));
}

int ba_ul_run(struct ba_ctx *c)
{
	struct ba_under_load *ul = &c->r->ul;
	struct ul_state st = { c, ul, ba_new_incarnation(), 0 };
	unsigned int want = c->o->ul_scenarios | 1u << BA_UL_IDLE;
	int err;

	ul->ran = true;
	ul->scenarios = want;
	ul->backend_id = BACKEND_TIMED;
	ul->sample_every = c->o->lat_sample;
	snprintf(ul->ifname, sizeof(ul->ifname), "%s", c->o->ifname ?: "?");
	ul->load_cpu = c->o->load_cpu >= 0 ? c->o->load_cpu : c->r->sender_cpu;
	if (ul->load_cpu >= 0)
		snprintf(ul->load_cpus, sizeof(ul->load_cpus), "%d", ul->load_cpu);
	else
		snprintf(ul->load_cpus, sizeof(ul->load_cpus), "%s", c->r->sender_cpus);
	err = loaded_run(&st, BA_UL_IDLE, ", no load", NULL);
	if (!err && (want & 1u << BA_UL_CONTROL))
		err = control_run(&st);
	if (!err && (want & 1u << BA_UL_EVENTS))
		err = events_run(&st);
	if (!err && (want & 1u << BA_UL_PURGE))
		err = purge_run(&st);
	threads_placed(c, ul);
	return err;
}

static bool run_ok(const struct ba_under_load *ul, enum ba_ul_kind k, char *why, size_t size)
{
	const struct ba_latency *l = &ul->run[k];

	if (!(ul->scenarios & 1u << k) || (l->ran && l->complete && !l->timeouts))
		return true;
	snprintf(why, size, "under load, %s: %llu of %llu IDs of backend %u, %u samples timed out",
		 scenario_names[k], (unsigned long long)l->counted, (unsigned long long)l->reports,
		 ul->backend_id, l->timeouts);
	return false;
}

/* Every run's IDs landed, every command succeeded, every packet took the path it should. */
bool ba_ul_verdict(const struct ba_results *r, char *why, size_t size)
{
	const struct ba_under_load *ul = &r->ul;
	const struct ba_event_load *ev = &ul->events;
	const struct ba_purge_load *p = &ul->purge;

	for (int k = 0; k < BA_UL_RUNS; k++)
		if (!run_ok(ul, k, why, size))
			return false;
	if ((ul->scenarios & 1u << BA_UL_CONTROL) && (ul->control.failed || !ul->control.commands))
		snprintf(why, size, "under load, control: %u of %u CLI commands failed (%s)",
			 ul->control.failed, ul->control.commands, ul->control.first_error);
	else if ((ul->scenarios & 1u << BA_UL_EVENTS) &&
		 (ev->bad_verdicts || !ev->packets ||
		  (ev->counted_known && ev->counted != ev->packets)))
		snprintf(why, size,
			 "under load, events: %llu packets sent, the router counted %llu as "
			 "drop_unknown_cid, %llu other verdicts",
			 (unsigned long long)ev->packets, (unsigned long long)ev->counted,
			 (unsigned long long)ev->bad_verdicts);
	else if ((ul->scenarios & 1u << BA_UL_PURGE) &&
		 (!p->fill.complete || p->left || isnan(p->seconds)))
		snprintf(why, size,
			 "under load, purge: %llu of %u IDs in the map before, %llu left after",
			 (unsigned long long)p->fill.counted, p->fill.ids,
			 (unsigned long long)p->left);
	else
		return true;
	return false;
}
