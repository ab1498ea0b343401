// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The results: an aligned table with each target beside its result, and
 * build/bench/datapath.json. Targets are reported as met or NOT met, never
 * enforced: timing on a shared two-core machine is no pass/fail criterion.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/fileio.h"
#include "bench.h"

#define VETH_TARGET 0.9

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double stat_median(const double *v, uint32_t n)
{
	double s[BENCH_MAX_ROUNDS * BENCH_MAX_CASES];

	if (!n || n > sizeof(s) / sizeof(s[0]))
		return NAN;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double stat_min(const double *v, uint32_t n)
{
	double m = n ? v[0] : NAN;

	for (uint32_t i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

/* Every case's floor batches of a table together: the floor of the table. */
static void floor_all(const struct bench *b, const struct table_result *t, double *median,
		      double *min)
{
	double all[BENCH_MAX_ROUNDS * BENCH_MAX_CASES];
	uint32_t n = 0;

	for (unsigned int c = 0; c < t->table->n; c++)
		for (uint32_t r = 0; r < b->rounds; r++)
			all[n++] = t->r[c].floor_ns[r];
	*median = stat_median(all, n);
	*min = stat_min(all, n);
}

/* The same over the floor batches' wall time (each BPF_PROG_RUN call). */
static double floor_wall_median(const struct bench *b, const struct table_result *t)
{
	double all[BENCH_MAX_ROUNDS * BENCH_MAX_CASES];
	uint32_t n = 0;

	for (unsigned int c = 0; c < t->table->n; c++)
		for (uint32_t r = 0; r < b->rounds; r++)
			all[n++] = t->r[c].floor_wall_ns[r];
	return stat_median(all, n);
}

/* The case of a table called name, or -1. */
static int case_index(const struct table_result *t, const char *name)
{
	for (unsigned int i = 0; name && i < t->table->n; i++)
		if (!strcmp(t->table->cases[i].name, name))
			return i;
	return -1;
}

static bool ring_case(const struct bench_case *c)
{
	return c->consumer || c->every_run_emits;
}

/* The reader's wake-ups (epoll_wait returned the ring) per 1,000 records read. */
static double wakeups_per_1000(const struct consumer_counts *n)
{
	return n->records ? 1000.0 * n->wakeups / n->records : NAN;
}

/*
 * Case i's median over that of the case called name, of the same table:
 * kernel time of the runs, or wall time of the calls (wall true). NaN
 * without such a case.
 */
static double median_over(const struct bench *b, const struct table_result *t, unsigned int i,
			  const char *name, bool wall)
{
	int s = case_index(t, name);

	if (s < 0)
		return NAN;
	if (wall)
		return stat_median(t->r[i].wall_ns, b->rounds) /
		       stat_median(t->r[s].wall_ns, b->rounds);
	return stat_median(t->r[i].ns, b->rounds) / stat_median(t->r[s].ns, b->rounds);
}

/*
 * With the agent running over without: in wall time the reader's own turns
 * on the CPU show too.
 */
static double running_over_stopped(const struct bench *b, const struct table_result *t,
				   unsigned int i, bool wall)
{
	return median_over(b, t, i, t->table->cases[i].stopped, wall);
}

static double veth_router_pps(const struct veth_result *v)
{
	return stat_median(v->router_pps, v->rounds);
}

static double veth_trivial_pps(const struct veth_result *v)
{
	return stat_median(v->trivial_pps, v->rounds);
}

static double pipe_ratio(const struct veth_result *v)
{
	const struct veth_pipe_result *p = &v->pipe;

	if (!v->ran || !p->ran)
		return NAN;
	return stat_median(p->router_pps, v->rounds) / stat_median(p->trivial_pps, v->rounds);
}

/*
 * Trivial over router CPU time per frame of rtr0's NAPI thread: the ratio of
 * the two programs' capacities on a core of their own, whatever limits the
 * rates the rest of the machine lets through.
 */
static double pipe_core_ratio(const struct veth_result *v)
{
	const struct veth_pipe_result *p = &v->pipe;

	if (!v->ran || !p->ran)
		return NAN;
	return stat_median(p->trivial_core_ns, v->rounds) /
	       stat_median(p->router_core_ns, v->rounds);
}

static void print_pipe(const struct veth_result *v)
{
	const struct veth_pipe_result *p = &v->pipe;
	uint32_t n = v->rounds;

	if (!p->ran) {
		printf("  pipelined: not measured: %s\n", p->not_run);
		return;
	}
	printf("  pipelined: generator on CPU %d; rtr0's NAPI thread (pid %d, the program)"
	       " on CPU %d;\n  gen0's (pid %d, the sink, SCHED_FIFO) on CPU %d."
	       " Received pps (offered; busy: rtr0's thread, gen0's)\n",
	       p->gen_cpu, p->rtr_napi_pid, p->rtr_cpu, p->gen_napi_pid, p->sink_cpu);
	printf("  %-34s %12.0f pps (min %.0f; offered %.0f; busy %.2f, %.2f)\n",
	       "trivial XDP_TX, pipelined", stat_median(p->trivial_pps, n),
	       stat_min(p->trivial_pps, n), stat_median(p->trivial_offered_pps, n),
	       stat_median(p->trivial_busy, n), stat_median(p->trivial_sink_busy, n));
	printf("  %-34s %12.0f pps (min %.0f; offered %.0f; busy %.2f, %.2f)\n",
	       "router, pipelined", stat_median(p->router_pps, n), stat_min(p->router_pps, n),
	       stat_median(p->router_offered_pps, n), stat_median(p->router_busy, n),
	       stat_median(p->router_sink_busy, n));
	printf("  %-34s %12.3f\n", "veth_ratio_pipelined", pipe_ratio(v));
	printf("  %-34s %12.1f ns (trivial XDP_TX: %.1f ns)\n", "rtr0 thread CPU time per frame",
	       stat_median(p->router_core_ns, n), stat_median(p->trivial_core_ns, n));
	printf("  %-34s %12.3f   (trivial / router CPU time per frame)\n",
	       "veth_core_ratio_pipelined", pipe_core_ratio(v));
	printf("  %-34s %12.0f    (trivial XDP_TX: %.0f)\n", "rtr0 thread switched in, per round",
	       stat_median(p->router_switches, n), stat_median(p->trivial_switches, n));
	printf("  %-34s %12.1f ns (trivial XDP_TX: %.1f ns)\n", "run time per packet (stats)",
	       p->router_prog_ns, p->trivial_prog_ns);
	printf("  frames: %-8s generated %llu, reached rtr0 %llu (its ring refused %llu),\n"
	       "          %-8s sent back %llu refused by gen0's ring, sink counted %llu\n",
	       "router", (unsigned long long)p->router_generated,
	       (unsigned long long)p->router_reached, (unsigned long long)p->router_lost_in, "",
	       (unsigned long long)p->router_lost_out, (unsigned long long)p->router_received);
	printf("  frames: %-8s generated %llu, reached rtr0 %llu (its ring refused %llu),\n"
	       "          %-8s sent back %llu refused by gen0's ring, sink counted %llu\n",
	       "trivial", (unsigned long long)p->trivial_generated,
	       (unsigned long long)p->trivial_reached, (unsigned long long)p->trivial_lost_in, "",
	       (unsigned long long)p->trivial_lost_out, (unsigned long long)p->trivial_received);
}

static void print_veth(const struct veth_result *v)
{
	double rpps, tpps, ratio;

	if (!v->ran) {
		printf("\nlive veth throughput: not measured (no namespaces given, or it "
		       "failed)\n");
		return;
	}
	rpps = veth_router_pps(v);
	tpps = veth_trivial_pps(v);
	ratio = rpps / tpps;
	printf("\nlive veth throughput, gen0 -> rtr0 -> gen0, median of %u rounds\n", v->rounds);
	printf("  single core: generator and both receive paths on the generating CPU\n");
	printf("  %-34s %12.0f pps (min %.0f)\n", "trivial XDP_TX on rtr0", tpps,
	       stat_min(v->trivial_pps, v->rounds));
	printf("  %-34s %12.0f pps (min %.0f)\n", "router, ID-table hit, XDP_TX", rpps,
	       stat_min(v->router_pps, v->rounds));
	printf("  %-34s %12.3f   target >= %.1f  %s\n", "veth_ratio", ratio, VETH_TARGET,
	       ratio >= VETH_TARGET ? "met" : "NOT met");
	printf("  %-34s %12.1f ns (trivial XDP_TX: %.1f ns)\n",
	       "router run time per packet (stats)", v->router_prog_ns, v->trivial_prog_ns);
	printf("  frames generated %llu, received back %llu\n", (unsigned long long)v->generated,
	       (unsigned long long)v->received);
	print_pipe(v);
	if (v->wrong_path)
		printf("  WRONG PATH: %s\n", v->why);
}

/* Kernel memory of the reported-ID tables per ID: qs_cidtab and what qs_cids still holds. */
static double kernel_per_id(const struct mem_result *m)
{
	return (m->cidtab_memlock + m->memlock_full + m->slab_percpu_kb * 1024.0) / m->entries;
}

static void print_mem(const struct mem_result *m)
{
	double n = m->entries;

	printf("\nID table (%s) at %u entries, filled in %.2f s\n", QS_MAP_CIDTAB, m->entries,
	       m->fill_seconds);
	printf("  %-34s %8.1f bytes/entry (preallocated: the same empty or full)\n",
	       "qs_cidtab fdinfo memlock", m->cidtab_memlock / n);
	printf("  %-34s %8.1f bytes/entry (%llu bytes; nothing writes it)\n",
	       "qs_cids fdinfo memlock", m->memlock_full / n, (unsigned long long)m->memlock_full);
	printf("  %-34s %8.1f bytes/entry (what a fill allocates: should be 0)\n",
	       "meminfo Slab+Percpu change", m->slab_percpu_kb * 1024.0 / n);
	printf("  %-34s %8.1f bytes/entry\n", "meminfo MemAvailable change",
	       m->available_kb * 1024.0 / n);
	if (!m->meminfo_settled)
		printf("  (Slab kept moving while it was read: the meminfo figures are noisy)\n");
	printf("  %-34s %8.1f bytes/entry (target 48: %s)\n", "kernel, all of the above",
	       kernel_per_id(m), kernel_per_id(m) <= 48 ? "met" : "NOT met");
}

static void print_table(const struct bench *b, const struct table_result *t)
{
	double fmed, fmin;

	floor_all(b, t, &fmed, &fmin);
	printf("\n%s: ns per packet, BPF_PROG_RUN repeat=1, %u rounds x %u runs\n", t->table->title,
	       b->rounds, b->runs);
	printf("  %-32s %9s %9s %8s  %s\n", "case", "median", "min", "x floor", "target");
	printf("  %-32s %9.1f %9.1f %8.3f\n", "floor (XDP_PASS)", fmed, fmin, 1.0);
	for (unsigned int i = 0; i < t->table->n; i++) {
		const struct bench_case *c = &t->table->cases[i];
		const struct case_result *r = &t->r[i];
		double med = stat_median(r->ns, b->rounds);
		char target[32] = "";

		if (c->target)
			snprintf(target, sizeof(target), "<= %.1f  %s", c->target,
				 med / fmed <= c->target ? "met" : "NOT met");
		printf("  %-32s %9.1f %9.1f %8.3f  %s", c->name, med, stat_min(r->ns, b->rounds),
		       med / fmed, target);
		if (c->over)
			printf("  %s %.3f", c->over_key, median_over(b, t, i, c->over, false));
		printf("%s%s\n", r->wrong_path ? "  WRONG PATH: " : "", r->why);
	}
}

/*
 * The cases that emit a record every run: wall time per BPF_PROG_RUN call
 * beside their floor's, the records, and what the reader did.
 */
static void print_ring(const struct bench *b, const struct table_result *t)
{
	bool any = false;

	for (unsigned int i = 0; i < t->table->n; i++) {
		const struct bench_case *c = &t->table->cases[i];
		const struct case_result *r = &t->r[i];
		char reader[96] = "";

		if (!ring_case(c))
			continue;
		if (!any)
			printf("  a record every run; pinned cases on CPU %d, and the reader (if "
			       "any) there too: epoll_wait(%d ms), ring_buffer__consume\n"
			       "  wall: ns per BPF_PROG_RUN call as qs-bench saw it (the reader's "
			       "turns show here, not in the kernel's time)\n"
			       "  %-32s %9s %9s %9s %9s %9s %8s  %s\n",
			       b->pin_cpu, QS_EVENTS_DRAIN_MS, "case", "wall", "floor", "emitted",
			       "read", "wakes/1k", "timeouts", "running/stopped (wall)");
		any = true;
		if (c->consumer)
			snprintf(reader, sizeof(reader), "%9llu %9.1f %8llu",
				 (unsigned long long)r->consumer.records,
				 wakeups_per_1000(&r->consumer),
				 (unsigned long long)r->consumer.timeouts);
		printf("  %-32s %9.1f %9.1f %9llu %-28s", c->name,
		       stat_median(r->wall_ns, b->rounds), stat_median(r->floor_wall_ns, b->rounds),
		       (unsigned long long)r->emitted, reader);
		if (c->stopped)
			printf("  %.3f (wall %.3f)", running_over_stopped(b, t, i, false),
			       running_over_stopped(b, t, i, true));
		if (!c->pinned)
			printf("  (not pinned)");
		printf("\n");
	}
}

void report_print(const struct bench *b, const struct bench_results *res)
{
	print_table(b, &res->main);
	print_ring(b, &res->main);
	print_table(b, &res->diag);
	print_table(b, &res->probe);
	print_ring(b, &res->probe);
	print_mem(&res->mem);
	print_veth(&res->veth);
}

/* JSON numbers: NaN and infinities are not JSON. */
static void json_num(FILE *f, const char *key, double v, const char *sep)
{
	if (isfinite(v))
		fprintf(f, "\"%s\": %.3f%s", key, v, sep);
	else
		fprintf(f, "\"%s\": null%s", key, sep);
}

/* A JSON string of text without control characters; quotes and backslashes escaped. */
static void json_str(FILE *f, const char *key, const char *v, const char *sep)
{
	fprintf(f, "\"%s\": \"", key);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc((unsigned char)*v < 0x20 ? ' ' : *v, f);
	}
	fprintf(f, "\"%s", sep);
}

/*
 * A case that emits a record every run: the records, the reader's
 * wake-ups and timeouts, and with the agent running over without.
 */
static void json_ring(FILE *f, const struct bench *b, const struct table_result *t, unsigned int i)
{
	const struct bench_case *c = &t->table->cases[i];
	const struct case_result *r = &t->r[i];

	if (!ring_case(c))
		return;
	json_num(f, "floor_wall_ns_median", stat_median(r->floor_wall_ns, b->rounds), ", ");
	/* null: not pinned, on whichever CPU the scheduler chose */
	if (c->pinned)
		fprintf(f, "\"cpu\": %d, ", b->pin_cpu);
	else
		fprintf(f, "\"cpu\": null, ");
	fprintf(f, "\"records_emitted\": %llu, \"records_sampled_out\": %llu, ",
		(unsigned long long)r->emitted, (unsigned long long)r->sampled_out);
	if (c->consumer) {
		fprintf(f,
			"\"records_read\": %llu, \"reader_wakeups\": %llu, "
			"\"reader_timeouts\": %llu, ",
			(unsigned long long)r->consumer.records,
			(unsigned long long)r->consumer.wakeups,
			(unsigned long long)r->consumer.timeouts);
		json_num(f, "wakeups_per_1000_records", wakeups_per_1000(&r->consumer), ", ");
	}
	if (c->stopped) {
		fprintf(f, "\"agent_stopped_case\": \"%s\", ", c->stopped);
		json_num(f, "agent_running_over_stopped", running_over_stopped(b, t, i, false),
			 ", ");
		json_num(f, "agent_running_over_stopped_wall", running_over_stopped(b, t, i, true),
			 ", ");
	}
}

/*
 * A case that writes nothing: what it wrote all the same (0 when its path
 * held), and its median over the case it is compared with.
 */
static void json_nothing(FILE *f, const struct bench *b, const struct table_result *t,
			 unsigned int i)
{
	const struct bench_case *c = &t->table->cases[i];
	const struct case_result *r = &t->r[i];

	if (c->writes_nothing)
		fprintf(f, "\"address_entries_added\": %lld, \"records_written\": %llu, ",
			(long long)r->entries_added, (unsigned long long)r->records_written);
	if (c->over) {
		fprintf(f, "\"over_case\": \"%s\", ", c->over);
		json_num(f, c->over_key, median_over(b, t, i, c->over, false), ", ");
	}
}

static void json_cases(FILE *f, const struct bench *b, const struct table_result *t,
		       const char *key, bool with_floor)
{
	const char *sep = "";
	double fmed, fmin;

	floor_all(b, t, &fmed, &fmin);
	fprintf(f, "  \"%s\": [\n", key);
	if (with_floor) {
		fprintf(f, "    {\"name\": \"floor\", ");
		json_num(f, "ns_median", fmed, ", ");
		json_num(f, "ns_min", fmin, ", ");
		json_num(f, "ratio_to_floor", 1.0, ", ");
		json_num(f, "wall_ns_median", floor_wall_median(b, t), "}");
		sep = ",\n";
	}
	for (unsigned int i = 0; i < t->table->n; i++) {
		const struct bench_case *c = &t->table->cases[i];
		double med = stat_median(t->r[i].ns, b->rounds);

		fprintf(f, "%s    {\"name\": \"%s\", ", sep, c->name);
		json_num(f, "ns_median", med, ", ");
		json_num(f, "ns_min", stat_min(t->r[i].ns, b->rounds), ", ");
		json_num(f, "ratio_to_floor", med / fmed, ", ");
		json_num(f, "wall_ns_median", stat_median(t->r[i].wall_ns, b->rounds), ", ");
		json_ring(f, b, t, i);
		json_nothing(f, b, t, i);
		json_num(f, "target_ratio", c->target ? c->target : NAN, ", ");
		fprintf(f, "\"target_met\": %s, \"path_ok\": %s}",
			!c->target		? "null" :
			med / fmed <= c->target ? "true" :
						  "false",
			t->r[i].wrong_path ? "false" : "true");
		sep = ",\n";
	}
	fprintf(f, "\n  ],\n");
}

static void json_mem(FILE *f, const struct mem_result *m)
{
	double n = m->entries;

	fprintf(f, "  \"cid_entries\": %u,\n  ", m->entries);
	json_num(f, "cidtab_bytes_per_cid_entry", m->cidtab_memlock / n, ",\n  ");
	json_num(f, "cids_bytes_per_cid_entry", m->memlock_full / n, ",\n  ");
	json_num(f, "bytes_per_cid_entry_meminfo_slab_percpu", m->slab_percpu_kb * 1024.0 / n,
		 ",\n  ");
	json_num(f, "bytes_per_cid_entry_meminfo_available", m->available_kb * 1024.0 / n, ",\n  ");
	json_num(f, "kernel_bytes_per_cid_entry", kernel_per_id(m), ",\n  ");
	fprintf(f, "\"kernel_bytes_target\": 48, \"kernel_bytes_target_met\": %s,\n",
		kernel_per_id(m) <= 48 ? "true" : "false");
}

/*
 * The pipelined topology's keys; null when it was not measured, and then
 * veth_pipelined_not_run says why.
 */
static void json_pipe(FILE *f, const struct veth_result *v)
{
	const struct veth_pipe_result *p = &v->pipe;
	bool ran = v->ran && p->ran;
	uint32_t n = v->rounds;

	json_num(f, "veth_ratio_pipelined", pipe_ratio(v), ",\n  ");
	json_num(f, "router_pps_pipelined", ran ? stat_median(p->router_pps, n) : NAN, ",\n  ");
	json_num(f, "trivial_pps_pipelined", ran ? stat_median(p->trivial_pps, n) : NAN, ",\n  ");
	json_num(f, "router_offered_pps_pipelined",
		 ran ? stat_median(p->router_offered_pps, n) : NAN, ",\n  ");
	json_num(f, "trivial_offered_pps_pipelined",
		 ran ? stat_median(p->trivial_offered_pps, n) : NAN, ",\n  ");
	json_num(f, "router_napi_busy_pipelined", ran ? stat_median(p->router_busy, n) : NAN,
		 ",\n  ");
	json_num(f, "trivial_napi_busy_pipelined", ran ? stat_median(p->trivial_busy, n) : NAN,
		 ",\n  ");
	json_num(f, "router_napi_ns_per_frame_pipelined",
		 ran ? stat_median(p->router_core_ns, n) : NAN, ",\n  ");
	json_num(f, "trivial_napi_ns_per_frame_pipelined",
		 ran ? stat_median(p->trivial_core_ns, n) : NAN, ",\n  ");
	json_num(f, "veth_core_ratio_pipelined", pipe_core_ratio(v), ",\n  ");
	json_num(f, "router_napi_switches_pipelined",
		 ran ? stat_median(p->router_switches, n) : NAN, ",\n  ");
	json_num(f, "trivial_napi_switches_pipelined",
		 ran ? stat_median(p->trivial_switches, n) : NAN, ",\n  ");
	json_num(f, "veth_router_prog_ns_pipelined", ran ? p->router_prog_ns : NAN, ",\n  ");
	json_num(f, "veth_trivial_prog_ns_pipelined", ran ? p->trivial_prog_ns : NAN, ",\n  ");
	if (ran) {
		fprintf(f, "\"veth_pipelined_frames\": {");
		fprintf(f,
			"\"router\": {\"generated\": %llu, \"reached_rtr0\": %llu, "
			"\"refused_by_rtr0\": %llu, \"refused_by_gen0\": %llu, "
			"\"received\": %llu, \"id_table_hits\": %llu}, ",
			(unsigned long long)p->router_generated,
			(unsigned long long)p->router_reached,
			(unsigned long long)p->router_lost_in,
			(unsigned long long)p->router_lost_out,
			(unsigned long long)p->router_received,
			(unsigned long long)p->router_handled);
		fprintf(f,
			"\"trivial\": {\"generated\": %llu, \"reached_rtr0\": %llu, "
			"\"refused_by_rtr0\": %llu, \"refused_by_gen0\": %llu, "
			"\"received\": %llu}},\n  ",
			(unsigned long long)p->trivial_generated,
			(unsigned long long)p->trivial_reached,
			(unsigned long long)p->trivial_lost_in,
			(unsigned long long)p->trivial_lost_out,
			(unsigned long long)p->trivial_received);
		fprintf(f,
			"\"veth_pipelined_cpus\": {\"generator\": %d, \"rtr0_napi\": %d, "
			"\"gen0_napi_sink\": %d},\n  \"veth_pipelined_not_run\": null\n",
			p->gen_cpu, p->rtr_cpu, p->sink_cpu);
	} else {
		fprintf(f,
			"\"veth_pipelined_frames\": null,\n  \"veth_pipelined_cpus\": null,\n  ");
		json_str(f, "veth_pipelined_not_run",
			 v->ran ? p->not_run : "the single-core part did not run", "\n");
	}
}

/* floor_pps is the trivial XDP_TX program's rate on rtr0. */
static void json_veth(FILE *f, const struct veth_result *v)
{
	double rpps = NAN, tpps = NAN;

	if (v->ran) {
		rpps = veth_router_pps(v);
		tpps = veth_trivial_pps(v);
	}
	fprintf(f, "  ");
	json_num(f, "floor_pps", tpps, ",\n  ");
	json_num(f, "router_pps", rpps, ",\n  ");
	json_num(f, "veth_ratio", rpps / tpps, ",\n  ");
	json_num(f, "veth_router_prog_ns", v->ran ? v->router_prog_ns : NAN, ",\n  ");
	json_num(f, "veth_trivial_prog_ns", v->ran ? v->trivial_prog_ns : NAN, ",\n  ");
	json_num(f, "veth_target_ratio", VETH_TARGET, ",\n  ");
	fprintf(f, "\"veth_target_met\": %s,\n  \"veth_path_ok\": %s,\n  ",
		!v->ran			   ? "null" :
		rpps / tpps >= VETH_TARGET ? "true" :
					     "false",
		!v->ran	      ? "null" :
		v->wrong_path ? "false" :
				"true");
	json_pipe(f, v);
	fprintf(f, "}\n");
}

struct json_args {
	const struct bench *b;
	const struct bench_results *res;
};

static void json_write(FILE *f, void *ctx)
{
	const struct json_args *a = ctx;

	fprintf(f, "{\n  \"rounds\": %u,\n  \"runs_per_round\": %u,\n", a->b->rounds, a->b->runs);
	json_cases(f, a->b, &a->res->main, "cases", true);
	json_cases(f, a->b, &a->res->diag, "diagnostic_cases", false);
	json_cases(f, a->b, &a->res->probe, "probe_cases", false);
	json_mem(f, &a->res->mem);
	json_veth(f, &a->res->veth);
}

/* Written whole or not at all (qs_file_replace). */
int report_json(const char *path, const struct bench *b, const struct bench_results *res)
{
	struct json_args a = { b, res };

	return qs_file_replace(path, json_write, &a);
}
