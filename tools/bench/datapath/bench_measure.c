// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The timed loop of a case and its checks. BPF_PROG_RUN with repeat > 1
 * would rerun one buffer that the router has already encapsulated, so
 * every run is a separate repeat = 1 call and the kernel's own duration of
 * each is summed. A case whose runs are not all counted under its reason
 * did not measure what its name says: that is reported and makes the tool
 * fail.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "router/maps.h"
#include "probe.skel.h"
#include "quicsteer.skel.h"

struct batch {
	int prog;
	uint32_t action;
	const struct bench_case *state_case; /* NULL: the program writes no state */
	uint64_t ns_sum;
	uint64_t wall_sum; /* each call to BPF_PROG_RUN as its caller saw it */
	uint32_t wrong_action;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The frame of run j of a cycle: the set's, or a fresh case's next one. */
static int frame_of(const struct bench_case *c, struct frameset *fs, uint32_t j, bool fresh,
		    struct qs_prog_run *run)
{
	static uint8_t buf[PB_MAX_FRAME];
	struct pb_spec s;

	if (!fresh) {
		run->in = fs->buf + (size_t)j * fs->stride;
		run->in_len = fs->len;
		return 0;
	}
	c->spec(c, fs->next++, &s);
	run->in = buf;
	run->in_len = pb_build(&s, buf, sizeof(buf));
	return run->in_len ? 0 : -EINVAL;
}

/*
 * The agent reads the ring buffer; a full one would measure a lost event.
 * While a consumer thread reads it, the thread does, alone: two readers
 * would race on the ring's consumer position.
 */
static int drain_events(struct bench *b)
{
	int n = b->consumer_reads_events ? 0 : fx_poll_events(&b->fx);

	if (n < 0)
		return n;
	b->events_drained += n;
	return 0;
}

/*
 * After a cycle of frames: undo what a cycling case wrote, drain events,
 * and give back the event budget of a case whose every run must emit.
 */
static int cycle_end(struct bench *b, const struct bench_case *c, uint32_t n)
{
	int err = 0;

	if (!c)
		return 0;
	if (!c->fresh && c->reset && n)
		err = c->reset(b, c, 0, n);
	if (!err && c->every_run_emits)
		err = bench_budget_reset(b);
	return err ?: drain_events(b);
}

/* b->runs runs, each timed by the kernel alone, so resets cost nothing. */
static int batch_run(struct bench *b, struct frameset *fs, struct batch *bt)
{
	const struct bench_case *c = bt->state_case;
	bool fresh = c && c->fresh;
	uint32_t first = fs->next, j = 0;
	int err = 0;

	bt->ns_sum = 0;
	bt->wall_sum = 0;
	bt->wrong_action = 0;
	for (uint32_t i = 0; i < b->runs && !err; i++) {
		struct qs_prog_run run = { 0 };
		uint64_t t0;

		err = frame_of(c, fs, j, fresh, &run);
		if (err)
			break;
		t0 = now_ns();
		err = qs_prog_run(bt->prog, &run);
		bt->wall_sum += now_ns() - t0;
		if (err)
			break;
		bt->ns_sum += run.duration_ns;
		bt->wrong_action += run.action != bt->action;
		if (++j == fs->n) {
			err = cycle_end(b, c, j);
			j = 0;
		}
	}
	err = err ?: cycle_end(b, c, j);
	if (!err && fresh && c->reset)
		err = c->reset(b, c, first, fs->next - first);
	return err;
}

/* Verdict counters that must not move in any case. */
static const unsigned int aux_quiet[] = { QS_AUX_EVENTS_LOST, QS_AUX_LEARN_FAILED,
					  QS_AUX_FLOW_MARKED_AMBIGUOUS };
#define N_AUX_QUIET (sizeof(aux_quiet) / sizeof(aux_quiet[0]))

static int aux_read(struct bench *b, __u64 *v)
{
	int err = 0;

	for (unsigned int i = 0; i < N_AUX_QUIET && !err; i++)
		err = qs_counter_read_u64(b->fx.aux_stats, aux_quiet[i], &v[i]);
	return err;
}

static void path_check(struct bench *b, struct case_result *res, uint64_t counted,
		       const struct batch *bt, const __u64 *aux0)
{
	__u64 aux1[N_AUX_QUIET];

	if (counted != b->runs || bt->wrong_action)
		snprintf(res->why, sizeof(res->why), "reason counter got %llu want %u, %u runs "
			 "with another action", (unsigned long long)counted, b->runs,
			 bt->wrong_action);
	else if (aux_read(b, aux1))
		snprintf(res->why, sizeof(res->why), "cannot read %s", QS_MAP_AUX_STATS);
	else
		for (unsigned int i = 0; i < N_AUX_QUIET; i++)
			if (aux1[i] != aux0[i])
				snprintf(res->why, sizeof(res->why),
					 "aux counter %u moved by %llu", aux_quiet[i],
					 (unsigned long long)(aux1[i] - aux0[i]));
	if (res->why[0])
		res->wrong_path = true;
}

/*
 * Records: each run of a probe submits one (or returns another action);
 * each of the router's runs of a case that emits on every run emits one,
 * less those over the event budget (none: it is given back every cycle)
 * and those lost to a full ring (an aux counter that must not move). The
 * reader must have read every one of them, on the runs' CPU, or the case
 * measured a reader that had nothing to read.
 */
static void ring_check(struct bench *b, const struct bench_case *c, struct case_result *res,
		       uint64_t sampled, const struct consumer_counts *n)
{
	uint64_t emitted = b->runs - sampled;

	if (!c->every_run_emits && !c->consumer)
		return;
	res->emitted += emitted;
	res->sampled_out += sampled;
	res->consumer.records += n->records;
	res->consumer.wakeups += n->wakeups;
	res->consumer.timeouts += n->timeouts;
	res->consumer.off_cpu += n->off_cpu;
	if (res->why[0])
		return;
	if (c->every_run_emits && sampled)
		snprintf(res->why, sizeof(res->why), "%llu of %u runs over the event budget",
			 (unsigned long long)sampled, b->runs);
	else if (c->consumer && n->records != emitted)
		snprintf(res->why, sizeof(res->why), "the reader read %llu records, want %llu",
			 (unsigned long long)n->records, (unsigned long long)emitted);
	else if (c->consumer && n->off_cpu)
		snprintf(res->why, sizeof(res->why), "the reader ran %llu turns off CPU %d",
			 (unsigned long long)n->off_cpu, b->pin_cpu);
	if (res->why[0])
		res->wrong_path = true;
}

/* What a case runs beside its runs: its CPU, its ring's reader. */
struct case_env {
	struct bench_cpus *home; /* pinned: the affinity to go back to */
	struct bench_consumer *consumer;
	struct consumer_counts n; /* the reader's, once stopped */
};

static int env_pin(struct bench *b, const struct bench_case *c, struct case_env *env)
{
	if (!c->pinned && !c->consumer)
		return 0;
	env->home = bench_pin(b->pin_cpu);
	return env->home ? 0 : -errno;
}

/* After the floor's runs: the reader is there for the router's alone. */
static int env_consumer_start(struct bench *b, const struct bench_case *c, struct case_env *env)
{
	int fd = c->consumer == BENCH_RING_EVENTS ? bpf_map__fd(b->fx.skel->maps.qs_events) :
						    bpf_map__fd(b->probe->maps.probe_ring_wake);

	if (!c->consumer)
		return 0;
	env->consumer = consumer_start(fd, b->pin_cpu);
	if (!env->consumer)
		return -errno;
	b->consumer_reads_events = c->consumer == BENCH_RING_EVENTS;
	return 0;
}

/* The reader stopped and joined, the CPUs qs-bench had back: both, whatever failed. */
static int env_leave(struct bench *b, struct case_env *env)
{
	int err = 0, err_unpin = 0;

	if (env->consumer) {
		err = consumer_stop(env->consumer, &env->n);
		env->consumer = NULL;
		b->consumer_reads_events = false;
	}
	if (env->home) {
		err_unpin = bench_unpin(env->home);
		env->home = NULL;
	}
	return err ?: err_unpin;
}

/* What the router's runs of a round moved: their reason's counter, the event budget's. */
struct run_counts {
	uint64_t counted, sampled;
	__u64 aux0[N_AUX_QUIET];
	/* a case that writes nothing: address entries gained, records drained */
	int64_t entries_added;
	uint64_t records;
};

/* The address entries of both tables, by a walk of each (4096 at most here). */
static int64_t flow_entries(struct bench *b)
{
	return (int64_t)fx_map_entries(b->fx.flows) + (int64_t)fx_map_entries(b->fx.flows_new);
}

/*
 * A case that writes nothing starts on a drained ring, and its address
 * entries are counted before and after its runs, outside the timed part.
 */
static int router_batch(struct bench *b, const struct bench_case *c, struct frameset *fs,
			struct batch *rtr, struct run_counts *rc)
{
	bool none = c->writes_nothing;
	__u64 sampled0, sampled1;
	uint64_t before, drained0;
	int64_t entries0 = 0;
	int err;

	err = (c->every_run_emits ? bench_budget_reset(b) : 0) ?: (none ? drain_events(b) : 0) ?:
	      aux_read(b, rc->aux0) ?:
	      qs_counter_read_u64(b->fx.aux_stats, QS_AUX_EVENTS_SAMPLED_OUT, &sampled0);
	if (err)
		return err;
	if (none)
		entries0 = flow_entries(b);
	drained0 = b->events_drained;
	before = fx_reason(&b->fx, c->reason);
	err = batch_run(b, fs, rtr);
	rc->counted = fx_reason(&b->fx, c->reason) - before;
	err = err ?: qs_counter_read_u64(b->fx.aux_stats, QS_AUX_EVENTS_SAMPLED_OUT, &sampled1) ?:
	      (none ? drain_events(b) : 0);
	if (err)
		return err;
	rc->sampled = sampled1 - sampled0;
	rc->records = b->events_drained - drained0;
	if (none)
		rc->entries_added = flow_entries(b) - entries0;
	return 0;
}

/*
 * A case that writes nothing: neither address table gained an entry, and
 * the runs left no record on the ring and none over the event budget (a
 * record the router meant to emit). Otherwise the VIP's option did not
 * take: its new connections were recorded.
 */
static void nothing_check(const struct bench_case *c, struct case_result *res,
			  const struct run_counts *rc)
{
	if (!c->writes_nothing)
		return;
	res->entries_added += rc->entries_added;
	res->records_written += rc->records + rc->sampled;
	if (res->why[0])
		return;
	if (rc->entries_added)
		snprintf(res->why, sizeof(res->why), "the runs added %lld address entries",
			 (long long)rc->entries_added);
	else if (rc->records || rc->sampled)
		snprintf(res->why, sizeof(res->why),
			 "the runs emitted %llu ring records, and %llu more over the budget",
			 (unsigned long long)rc->records, (unsigned long long)rc->sampled);
	if (res->why[0])
		res->wrong_path = true;
}

/*
 * One round of a case: its floor on the same frames, then the router (or
 * a probe); a pinned case runs both on bench.pin_cpu, and a case with a
 * reader has it running there during the router's runs.
 */
int case_measure(struct bench *b, const struct bench_case *c, struct frameset *fs,
		 struct case_result *res, uint32_t round)
{
	struct batch floor = { .prog = b->floor_prog, .action = XDP_PASS };
	struct batch rtr = { .prog = b->fx.prog, .action = c->action, .state_case = c };
	struct case_env env = { 0 };
	struct run_counts rc = { 0 };
	int err, err_env;

	if (c->probe) {
		struct bpf_program *p = bpf_object__find_program_by_name(b->probe->obj, c->probe);

		if (!p)
			return -ESRCH;
		rtr.prog = bpf_program__fd(p);
	}
	err = env_pin(b, c, &env) ?: batch_run(b, fs, &floor) ?: env_consumer_start(b, c, &env) ?:
	      router_batch(b, c, fs, &rtr, &rc);
	err_env = env_leave(b, &env);
	if (err == -ENOENT || err == -EEXIST) {
		/* A reset found nothing to undo, or something where nothing may be. */
		res->wrong_path = true;
		snprintf(res->why, sizeof(res->why), "%s",
			 err == -ENOENT ? "reset found no entry written by the runs" :
					  "an address entry of the runs' clients is there");
		return err_env;
	}
	err = err ?: err_env;
	if (err)
		return err;
	res->floor_ns[round] = (double)floor.ns_sum / b->runs;
	res->floor_wall_ns[round] = (double)floor.wall_sum / b->runs;
	res->ns[round] = (double)rtr.ns_sum / b->runs;
	res->wall_ns[round] = (double)rtr.wall_sum / b->runs;
	/* Probes are not the router: only their action is checked. */
	path_check(b, res, c->probe ? b->runs : rc.counted, &rtr, rc.aux0);
	ring_check(b, c, res, rc.sampled, &env.n);
	nothing_check(c, res, &rc);
	return 0;
}
