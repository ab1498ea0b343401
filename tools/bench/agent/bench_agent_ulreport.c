// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The runs under load in qs-bench-agent's table and in agent.json: each
 * scenario's latency beside the idle floor, its target with met / NOT met
 * (reported, never enforced), what the load really was (commands per
 * second and whether they succeeded, packets per second the router
 * counted, how long the purge took) and where everything ran.
 */
#include <math.h>
#include <stdio.h>
#include "bench_agent.h"

#define KB(b) ((double)(b) / 1024.0)

static const char *const run_keys[BA_UL_RUNS] = { "idle", "control", "events", "purge" };
static const char *const run_titles[BA_UL_RUNS] = { "idle (the floor)", "(a) control load",
						    "(b) ring-buffer flood",
						    "(c) purge, whole run" };

static bool has(const struct ba_under_load *ul, enum ba_ul_kind k)
{
	return (ul->scenarios & 1u << k) && ul->run[k].ran;
}

static void print_row(const char *title, double median, double p99, double max, __u32 samples,
		      const char *target, const char *verdict)
{
	printf("    %-30s %9.1f %9.1f %9.1f %8u   %-14s %s\n", title, median, p99, max, samples,
	       target, verdict);
}

static void print_table(const struct ba_under_load *ul)
{
	const struct ba_purge_load *p = &ul->purge;

	printf("\n    %-30s %9s %9s %9s %8s   %s\n", "latency, us", "median", "p99", "max",
	       "samples", "target");
	for (int k = 0; k < BA_UL_RUNS; k++) {
		const struct ba_latency *l = &ul->run[k];
		bool p99_target = k == BA_UL_CONTROL || k == BA_UL_EVENTS;

		if (!has(ul, k))
			continue;
		print_row(run_titles[k], l->median_us, l->p99_us, l->max_us, l->samples,
			  p99_target ? "p99 < 1000" : "",
			  p99_target ? ba_met(true, l->p99_us < BA_TARGET_UL_P99_US) : "");
	}
	if (has(ul, BA_UL_PURGE))
		print_row("(c) purge, while it ran", p->median_us, p->p99_us, p->max_us, p->samples,
			  "max < 10000", ba_met(p->samples, p->max_us < BA_TARGET_PURGE_MAX_US));
}

static void print_control(const struct ba_control_load *a)
{
	printf("\n  (a) control: %u CLI commands in %.1f s, %.0f/s (%.0f/s during the run), "
	       "%u failed%s%s;\n      the commands' own CPU time %.2f s\n",
	       a->commands, a->seconds, a->per_sec, a->run_per_sec, a->failed,
	       a->failed ? ": " : "", a->first_error, a->cpu_seconds);
	for (int k = 0; k < BA_CLI_COMMANDS; k++) {
		const struct ba_cli_stats *s = &a->cmd[k];

		printf("      %-12s %6u runs, %7.1f ms mean, %7.1f ms max, %u failed\n",
		       ba_cli_name(k), s->runs, s->runs ? s->total_ms / s->runs : NAN, s->max_ms,
		       s->failed);
	}
}

static void print_events(const struct ba_event_load *e, const char *ifname)
{
	printf("\n  (b) events: BPF_PROG_TEST_RUN of program %u (%s) attached to %s;"
	       " asked %.0f/s, %u at a time,\n      injected %.0f/s during the run (%llu in %.1f s"
	       " in all, %llu skipped while the injector waited for its CPU);\n"
	       "      the router counted %llu drop_unknown_cid (%.0f/s), %llu other verdicts;"
	       " %llu events lost (ring full);\n      the agent consumed %.0f records/s;"
	       " ring backlog max %.1f KB of %.0f KB (mean %.1f KB);\n"
	       "      router %.0f ns per packet (its wake-ups of the agent included);"
	       " injector %.2f busy\n",
	       e->prog_id, e->prog_name, ifname, e->rate, e->burst, e->run_rate,
	       (unsigned long long)e->packets, e->seconds, (unsigned long long)e->skipped,
	       (unsigned long long)e->counted, e->counted_rate, (unsigned long long)e->bad_verdicts,
	       (unsigned long long)e->events_lost, e->consumed_rate, KB(e->backlog_max),
	       KB(e->ring_bytes), KB(e->backlog_mean), e->router_ns, e->injector_busy);
}

static void print_purge(const struct ba_purge_load *p)
{
	printf("\n  (c) purge: %u IDs of backend %u sent first (%.0f IDs/s, %llu in the map);\n"
	       "      its new incarnation %.0f ms into the run; old IDs gone after %.3f s%s;"
	       " %llu left;\n      %u samples sent while it ran; softirq on the agent's CPU"
	       " %.0f ms\n",
	       p->fill.ids, p->backend_id, p->fill.ids_per_sec, (unsigned long long)p->fill.counted,
	       p->at_ms, p->seconds, p->outlasted_run ? " (after the run ended)" : "",
	       (unsigned long long)p->left, p->samples, p->softirq_ms);
}

static void print_run(const struct ba_under_load *ul, enum ba_ul_kind k)
{
	const struct ba_latency *l = &ul->run[k];

	printf("\n  %s: achieved %.0f/s, %u slots missed by over a period, %u timeouts;"
	       " quiet wait %.2f s;\n  %llu IDs live before it\n",
	       run_titles[k], l->achieved_rate, l->late, l->timeouts, l->quiet_wait_s,
	       (unsigned long long)l->live_ids);
	ba_print_window(&l->win, l->reports);
	ba_print_causes(l);
	ba_print_slowest(l, 4);
}

void ba_ul_print(const struct ba_results *r)
{
	const struct ba_under_load *ul = &r->ul;

	printf("\n  under load: backend %u's one-ID datagrams (18-byte IDs) at %.0f/s, %u per run,"
	       " 1 in %u timed;\n  agent on CPU %s; sender on CPU %s, asleep between slots;"
	       " load on CPU %s at SCHED_IDLE\n",
	       ul->backend_id, ul->run[BA_UL_IDLE].rate, ul->run[BA_UL_IDLE].reports,
	       ul->sample_every, r->agent_cpus, r->sender_cpus, ul->load_cpus);
	printf("  the agent's threads and where they may run:");
	for (int i = 0; i < ul->n_threads; i++)
		printf(" %s on %s%s", ul->thread_comm[i], ul->thread_cpus[i],
		       i + 1 < ul->n_threads ? "," : "\n");
	print_table(ul);
	if (has(ul, BA_UL_CONTROL))
		print_control(&ul->control);
	if (has(ul, BA_UL_EVENTS))
		print_events(&ul->events, ul->ifname);
	if (has(ul, BA_UL_PURGE))
		print_purge(&ul->purge);
	for (int k = 0; k < BA_UL_RUNS; k++)
		if (has(ul, k))
			print_run(ul, k);
}

/* ---- JSON ---- */

/* under_load_<run>_{median,p99,max}_us at the top level; null for a run not made. */
static void json_headline(FILE *f, const char *run, bool ran, double median, double p99, double max)
{
	char key[64];

	snprintf(key, sizeof(key), "under_load_%s_median_us", run);
	ba_jnum(f, key, ran ? median : NAN, ",\n  ");
	snprintf(key, sizeof(key), "under_load_%s_p99_us", run);
	ba_jnum(f, key, ran ? p99 : NAN, ",\n  ");
	snprintf(key, sizeof(key), "under_load_%s_max_us", run);
	ba_jnum(f, key, ran ? max : NAN, ",\n  ");
}

static void json_headlines(FILE *f, const struct ba_under_load *ul)
{
	const struct ba_purge_load *p = &ul->purge;
	bool a = has(ul, BA_UL_CONTROL), b = has(ul, BA_UL_EVENTS), c = has(ul, BA_UL_PURGE);

	for (int k = 0; k < BA_UL_PURGE; k++)
		json_headline(f, run_keys[k], has(ul, k), ul->run[k].median_us, ul->run[k].p99_us,
			      ul->run[k].max_us);
	json_headline(f, "purge", c, p->median_us, p->p99_us, p->max_us);
	ba_jint_ran(f, "under_load_purge_samples", c, p->samples, ",\n  ");
	ba_jnum(f, "under_load_purge_seconds", c ? p->seconds : NAN, ",\n  ");
	ba_jnum(f, "under_load_control_commands_per_sec", a ? ul->control.run_per_sec : NAN,
		",\n  ");
	ba_jbool(f, "under_load_control_commands_ok", a, !ul->control.failed, ",\n  ");
	ba_jnum(f, "under_load_events_per_sec", b ? ul->events.run_rate : NAN, ",\n  ");
	ba_jnum(f, "under_load_events_counted_per_sec", b ? ul->events.counted_rate : NAN, ",\n  ");
	ba_jnum(f, "target_under_load_us_p99", BA_TARGET_UL_P99_US, ",\n  ");
	ba_jnum(f, "target_under_load_purge_us_max", BA_TARGET_PURGE_MAX_US, ",\n  ");
	ba_jbool(f, "under_load_control_target_met", a,
		 ul->run[BA_UL_CONTROL].p99_us < BA_TARGET_UL_P99_US, ",\n  ");
	ba_jbool(f, "under_load_events_target_met", b,
		 ul->run[BA_UL_EVENTS].p99_us < BA_TARGET_UL_P99_US, ",\n  ");
	ba_jbool(f, "under_load_purge_target_met", c && p->samples,
		 p->max_us < BA_TARGET_PURGE_MAX_US, ",\n");
}

static void json_control(FILE *f, const struct ba_control_load *a)
{
	fprintf(f, "    \"control\": {");
	ba_jint(f, "commands", a->commands, ", ");
	ba_jint(f, "failed", a->failed, ", ");
	ba_jnum(f, "seconds", a->seconds, ", ");
	ba_jnum(f, "per_sec", a->per_sec, ", ");
	ba_jnum(f, "per_sec_during_run", a->run_per_sec, ", ");
	ba_jnum(f, "cpu_seconds", a->cpu_seconds, ",\n      ");
	ba_jstr(f, "first_error", a->first_error, ",\n      ");
	fprintf(f, "\"commands_by_name\": {");
	for (int k = 0; k < BA_CLI_COMMANDS; k++) {
		const struct ba_cli_stats *s = &a->cmd[k];

		fprintf(f, "%s\"%s\": {", k ? ", " : "", ba_cli_name(k));
		ba_jint(f, "runs", s->runs, ", ");
		ba_jint(f, "failed", s->failed, ", ");
		ba_jnum(f, "mean_ms", s->runs ? s->total_ms / s->runs : NAN, ", ");
		ba_jnum(f, "max_ms", s->max_ms, "}");
	}
	fprintf(f, "}},\n");
}

static void json_events(FILE *f, const struct ba_event_load *e)
{
	fprintf(f, "    \"events\": {\"method\": \"BPF_PROG_TEST_RUN of the attached program\", ");
	ba_jint(f, "prog_id", e->prog_id, ", ");
	ba_jstr(f, "prog_name", e->prog_name, ", ");
	ba_jnum(f, "rate", e->rate, ", ");
	ba_jint(f, "burst", e->burst, ",\n      ");
	ba_jint(f, "packets", e->packets, ", ");
	ba_jint(f, "skipped", e->skipped, ", ");
	ba_jnum(f, "seconds", e->seconds, ", ");
	ba_jint(f, "packets_during_run", e->run_packets, ", ");
	ba_jnum(f, "rate_during_run", e->run_rate, ",\n      ");
	ba_jint(f, "router_counted_drop_unknown_cid", e->counted, ", ");
	ba_jnum(f, "router_counted_per_sec", e->counted_rate, ", ");
	ba_jint(f, "other_verdicts", e->bad_verdicts, ", ");
	ba_jint(f, "events_lost", e->events_lost, ",\n      ");
	ba_jint(f, "records_consumed_during_run", e->consumed, ", ");
	ba_jnum(f, "records_consumed_per_sec", e->consumed_rate, ", ");
	ba_jint(f, "ring_bytes", e->ring_bytes, ", ");
	ba_jint(f, "ring_backlog_max_bytes", e->backlog_max, ", ");
	ba_jnum(f, "ring_backlog_mean_bytes", e->backlog_mean, ",\n      ");
	ba_jnum(f, "router_ns_per_packet", e->router_ns, ", ");
	ba_jnum(f, "injector_busy", e->injector_busy, "},\n");
}

static void json_purge(FILE *f, const struct ba_purge_load *p)
{
	fprintf(f, "    \"purge\": {");
	ba_jint(f, "backend_id", p->backend_id, ", ");
	ba_jint(f, "ids", p->fill.ids, ", ");
	ba_jint(f, "ids_in_map_before", p->fill.counted, ", ");
	ba_jnum(f, "fill_ids_per_sec", p->fill.ids_per_sec, ",\n      ");
	ba_jnum(f, "at_ms", p->at_ms, ", ");
	ba_jnum(f, "seconds", p->seconds, ", ");
	ba_jbool(f, "outlasted_run", true, p->outlasted_run, ", ");
	ba_jint(f, "ids_left", p->left, ",\n      ");
	ba_jint(f, "samples_during", p->samples, ", ");
	ba_jnum(f, "us_median_during", p->median_us, ", ");
	ba_jnum(f, "us_p99_during", p->p99_us, ", ");
	ba_jnum(f, "us_max_during", p->max_us, ", ");
	ba_jnum(f, "softirq_ms", p->softirq_ms, "},\n");
}

static void json_detail(FILE *f, const struct ba_results *r)
{
	const struct ba_under_load *ul = &r->ul;
	int last = -1;

	fprintf(f,
		"  \"under_load\": {\"placement\": {\"agent_cpu\": \"%s\", \"sender_cpu\": \"%s\","
		" \"load_cpu\": \"%s\", \"load_policy\": \"SCHED_IDLE\","
		" \"sender\": \"asleep between slots\",\n      \"agent_threads\": [",
		r->agent_cpus, r->sender_cpus, ul->load_cpus);
	for (int i = 0; i < ul->n_threads; i++) {
		fprintf(f, "%s{", i ? ", " : "");
		ba_jstr(f, "name", ul->thread_comm[i], ", ");
		ba_jstr(f, "cpus", ul->thread_cpus[i], "}");
	}
	fprintf(f, "]},\n    ");
	ba_jint(f, "backend_id", ul->backend_id, ", ");
	ba_jint(f, "datagrams_per_run", ul->run[BA_UL_IDLE].reports, ", ");
	ba_jnum(f, "rate", ul->run[BA_UL_IDLE].rate, ",\n");
	if (has(ul, BA_UL_CONTROL))
		json_control(f, &ul->control);
	if (has(ul, BA_UL_EVENTS))
		json_events(f, &ul->events);
	if (has(ul, BA_UL_PURGE))
		json_purge(f, &ul->purge);
	for (int k = 0; k < BA_UL_RUNS; k++)
		if (has(ul, k))
			last = k;
	fprintf(f, "    \"runs\": {");
	for (int k = 0; k < BA_UL_RUNS; k++) {
		if (!has(ul, k))
			continue;
		fprintf(f, "\n      \"%s\": ", run_keys[k]);
		ba_json_lat(f, &ul->run[k], ",\n        ", k == last ? "" : ",");
	}
	fprintf(f, "}},\n");
}

void ba_ul_json(FILE *f, const struct ba_results *r)
{
	fprintf(f, "  ");
	json_headlines(f, &r->ul);
	if (r->ul.ran)
		json_detail(f, r);
	else
		fprintf(f, "  \"under_load\": null,\n");
}
