// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-bench-agent's results: an aligned table with each target and met /
 * NOT met beside it, a breakdown of the agent's time per ID from the
 * micro-benchmarks, and build/bench/agent.json. Targets are reported,
 * never enforced.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "util/fileio.h"
#include "bench_agent.h"

#define MB(b) ((double)(b) / (1024.0 * 1024.0))

/* Nearest-rank percentile of sorted[n]; NaN when empty. */
double ba_percentile(double *sorted, __u32 n, double p)
{
	double rank;

	if (!n)
		return NAN;
	rank = ceil(p / 100.0 * n);
	return sorted[rank < 1 ? 0 : (__u32)rank - 1];
}

/* The run the headline figure comes from: the slowest, to be safe. */
static const struct ba_tput *tput_headline(const struct ba_results *r)
{
	const struct ba_tput *h = &r->tput[0];

	for (int i = 1; i < BA_TPUT_RUNS; i++)
		if (r->tput[i].ran && (!h->ran || r->tput[i].ids_per_sec < h->ids_per_sec))
			h = &r->tput[i];
	return h;
}

static const char *run_name(const struct ba_results *r, const struct ba_tput *t)
{
	return t == &r->tput[0] ? "first fill" : t == &r->tput[2] ? "again" : "";
}

const char *ba_met(bool ran, bool ok)
{
	return !ran ? "not measured" : ok ? "met" : "NOT met";
}

/*
 * Kernel memory per ID at 1,000,000 IDs: qs_cidtab's memlock (the map is
 * preallocated, so it is what the table's size fixes, whatever it holds)
 * over 1,000,000.
 */
static double kernel_bytes_per_id(const struct ba_results *r)
{
	return r->cidtab_memlock_1m / BA_MEMORY_IDS;
}

/* The agent's VmRSS growth with the first fill's IDs live, per ID. */
static double agent_bytes_per_id(const struct ba_results *r)
{
	const struct ba_tput *t = &r->tput[0];

	return ((double)t->rss_after - r->rss_start) / t->ids;
}

/* The same with qs_cids' memlock: the agent no longer writes it, but it is still made. */
static double kernel_bytes_with_cids(const struct ba_results *r)
{
	return (r->cidtab_memlock_1m + r->cids_memlock_1m) / BA_MEMORY_IDS;
}

static bool kernel_bytes_met(const struct ba_results *r)
{
	return kernel_bytes_per_id(r) <= BA_TARGET_KERNEL_BYTES_PER_ID;
}

static bool agent_bytes_met(const struct ba_results *r)
{
	return agent_bytes_per_id(r) <= BA_TARGET_AGENT_BYTES_PER_ID;
}

static void print_target(const char *name, double figure, int decimals, const char *target,
			 bool ran, bool ok)
{
	printf("  %-52s %12.*f   %-12s %s\n", name, decimals, figure, target, ba_met(ran, ok));
}

/* Issue 14's four targets, each with its figure, then every run's IDs/s. */
static void print_headline(const struct ba_results *r)
{
	const struct ba_tput *h = tput_headline(r), *t0 = &r->tput[0];
	char name[80];

	printf("\n  %-52s %12s   %-12s %s\n", "targets (issue 14)", "figure", "target", "");
	print_target("intake IDs/s on one core (the slowest run below)", h->ids_per_sec, 0,
		     ">= 1500000", h->ran, h->ids_per_sec >= BA_TARGET_IDS_PER_SEC);
	print_target("p99 send to visible, us (10,000 datagrams/s)", r->lat.p99_us, 1, "< 100",
		     r->lat.ran, r->lat.p99_us < BA_TARGET_P99_US);
	print_target("kernel bytes per ID at 1,000,000 (qs_cidtab memlock)", kernel_bytes_per_id(r),
		     1, "<= 48", t0->ran, kernel_bytes_met(r));
	snprintf(name, sizeof(name), "agent bytes per ID, RSS growth with %u IDs%s", t0->ids,
		 t0->ids == BA_MEMORY_IDS ? "" : " (NOT 1M)");
	print_target(name, agent_bytes_per_id(r), 1, "<= 64", t0->ran, agent_bytes_met(r));
	print_target("  the registry alone (micro: RSS growth)", r->micro.registry_bytes_per_id, 1,
		     "<= 64", r->micro.ran,
		     r->micro.registry_bytes_per_id <= BA_TARGET_AGENT_BYTES_PER_ID);
	printf("\n");
	for (int i = 0; i < BA_TPUT_RUNS; i++) {
		const struct ba_tput *t = &r->tput[i];

		snprintf(name, sizeof(name), "IDs/s, %u-byte IDs, %u per datagram %s", t->cid_len,
			 t->ids_per_dgram, run_name(r, t));
		print_target(name, t->ids_per_sec, 0, ">= 1500000", t->ran,
			     t->ids_per_sec >= BA_TARGET_IDS_PER_SEC);
	}
	printf("  %-52s %12.1f / %.1f / %.1f / %.1f\n", "latency us: median / p99 / p99.9 / max",
	       r->lat.median_us, r->lat.p99_us, r->lat.p999_us, r->lat.max_us);
}

/* What both CPUs did during a measurement (see struct ba_window). */
void ba_print_window(const struct ba_window *w, __u32 datagrams)
{
	char agent[64];

	snprintf(agent, sizeof(agent), "agent, %d thread%s", w->agent_threads,
		 w->agent_threads == 1 ? "" : "s, summed");
	printf("    %-42s %12.2f busy, %.2f sleeps per datagram, preempted %llu times\n", agent,
	       w->agent_busy, (double)w->agent_sleeps / datagrams,
	       (unsigned long long)w->agent_preempted);
	if (w->agent_threads > 1)
		printf("    %-42s %12.2f busy (%s)\n", "  the busiest agent thread",
		       w->agent_busiest_busy, w->agent_busiest);
	printf("    %-42s %12.2f busy, %.2f sleeps per datagram, preempted %llu times\n",
	       "sender thread", w->sender_busy, (double)w->sender_sleeps / datagrams,
	       (unsigned long long)w->sender_preempted);
	printf("    %-42s %12.3f on the agent's CPU, %.3f on the sender's (steal %.3f)\n",
	       "other work (kernel, other processes)", w->agent_cpu_other, w->sender_cpu_other,
	       w->agent_cpu_steal);
}

static void print_tput(const struct ba_results *r, const struct ba_tput *t)
{
	printf("\n  throughput, %u-byte IDs, backend %u%s%s: %u IDs in %u datagrams\n", t->cid_len,
	       t->backend_id, *run_name(r, t) ? ", " : "", run_name(r, t), t->ids, t->datagrams);
	printf("    %-42s %12.3f s (sends done after %.3f s)\n", "first send to last ID visible",
	       t->seconds, t->send_seconds);
	printf("    %-42s %12.0f /s\n", "datagrams", t->dgrams_per_sec);
	printf("    %-42s %12.0f ns\n", "agent thread CPU time per ID", t->agent_ns_per_id);
	ba_print_window(&t->win, t->datagrams);
	printf("    %-42s %12llu %s\n", "entries of this backend in qs_cidtab",
	       (unsigned long long)t->counted, t->complete ? "(all)" : "(IDS MISSING)");
	printf("    %-42s %12.3f s (%.0f IDs/s; %llu left)\n", "purge by a new incarnation",
	       t->purge_seconds, t->ids / t->purge_seconds, (unsigned long long)t->purge_left);
	printf("    %-42s %12.0f ms (CPU quiet %.2f s after the purge began)\n",
	       "softirq on the agent's CPU meanwhile", t->purge_softirq_ms,
	       t->purge_settle_seconds);
	printf("    %-42s %12.1f MB (after the purge: %.1f MB)\n", "agent VmRSS with them live",
	       MB(t->rss_after), MB(t->rss_after_purge));
}

static void print_lat(const struct ba_latency *l)
{
	printf("\n  latency: %u datagrams of one 18-byte ID at %.0f/s (achieved %.0f/s),"
	       " %u timed\n",
	       l->reports, l->rate, l->achieved_rate, l->samples);
	printf("    %-42s %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n",
	       "us: min median p90 p99 p99.9 max", l->min_us, l->median_us, l->p90_us, l->p99_us,
	       l->p999_us, l->max_us);
	printf("    %-42s %8.0f ns\n", "one poll of qs_cidtab (resolution)", l->lookup_ns);
	printf("    %-42s %8.2f s\n", "waited for the agent's CPU to be quiet", l->quiet_wait_s);
	printf("    %-42s %8u (timeouts: %u)\n", "slots missed by over a period", l->late,
	       l->timeouts);
	ba_print_window(&l->win, l->reports);
	printf("    %-42s %8llu %s (%llu other IDs live)\n", "entries of this backend in qs_cidtab",
	       (unsigned long long)l->counted, l->complete ? "(all)" : "(IDS MISSING)",
	       (unsigned long long)l->live_ids);
	ba_print_causes(l);
	ba_print_slowest(l, BA_SLOWEST);
}

/* What held the slow samples up, by count; the undisturbed ones' percentiles. */
void ba_print_causes(const struct ba_latency *l)
{
	printf("    %-42s %8u (agent waited: %u, sender waited: %u)\n",
	       "samples where a thread waited for its CPU", l->agent_waited + l->sender_waited,
	       l->agent_waited, l->sender_waited);
	printf("    %-42s %8.1f %8.1f %8.1f (%u samples)\n", "  the others, us: median p99 max",
	       l->clean_median_us, l->clean_p99_us, l->clean_max_us, l->clean_samples);
	printf("    %-42s %8u\n", "samples with the agent busy over 200 us",
	       l->agent_busy_elsewhere);
	printf("    %-42s %8u\n", "samples with the agent blocked over 1 ms", l->agent_blocked);
}

static const char *thread_name(const struct ba_latency *l, int t)
{
	return t >= 0 && t < l->n_threads ? l->threads[t] : "-";
}

/* The n slowest samples; with several agent threads, which ran most and which waited. */
void ba_print_slowest(const struct ba_latency *l, int n)
{
	printf("    slowest samples: latency, at (ms into the run); agent ran, agent waited,"
	       " sender waited (us)%s\n",
	       l->n_threads > 1 ? "; agent thread that ran most, that waited most" : "");
	for (__u32 i = 0; i < (__u32)n && i < l->samples; i++) {
		const struct ba_lat_sample *x = &l->slowest[i];

		printf("      %10.0f us at %6.0f ms; %8.0f %8.0f %8.0f", x->us, x->at_ms,
		       x->agent_run_us, x->agent_wait_us, x->sender_wait_us);
		if (l->n_threads > 1)
			printf("; %s, %s", thread_name(l, x->run_thread),
			       thread_name(l, x->wait_thread));
		printf("\n");
	}
}

/* The agent's time per 8-byte ID in run t, split by the micro-benchmarks. */
struct split {
	double map, hmac, registry, faults, rest, total;
};

static struct split split_of(const struct ba_micro *m, const struct ba_tput *t)
{
	double per = t->ids_per_dgram ? t->ids_per_dgram : 1;
	struct split x = {
		.map = m->intake_map_ns - m->intake_null_ns,
		.hmac = (m->verify_full8_ns - m->check_full8_ns) / per,
		.faults = (double)t->win.agent_faults * m->fault_ns / t->ids,
		.total = t->agent_ns_per_id,
	};

	x.registry = m->intake_null_ns - x.hmac;
	x.rest = x.total - m->intake_map_ns - x.faults;
	return x;
}

static void print_split(const struct ba_micro *m, const struct ba_tput *a, const struct ba_tput *b)
{
	struct split x = split_of(m, a), y = split_of(m, b);

	printf("\n  the agent's CPU time per 8-byte ID, where it goes (ns)      first fill      "
	       "again\n");
	printf("    %-52s %10.0f %10.0f\n", "qs_cidtab write (stores through mmap)", x.map, y.map);
	printf("    %-52s %10.0f %10.0f\n", "HMAC (a datagram's, over its IDs)", x.hmac, y.hmac);
	printf("    %-52s %10.0f %10.0f\n", "decode, checks, registry", x.registry, y.registry);
	printf("    %-52s %10.0f %10.0f\n", "first touch of fresh pages (faults x cost)", x.faults,
	       y.faults);
	printf("    %-52s %10.0f %10.0f\n", "socket, epoll, wake-ups, cache (the rest)", x.rest,
	       y.rest);
	printf("    %-52s %10.0f %10.0f\n", "total: agent thread CPU time per ID", x.total,
	       y.total);
	printf("    %-52s %10.0f %10.0f\n", "  as IDs/s on a whole core", 1e9 / x.total,
	       1e9 / y.total);
	printf("    %-52s %10llu %10llu\n", "  (agent page faults in the run)",
	       (unsigned long long)a->win.agent_faults, (unsigned long long)b->win.agent_faults);
}

static void print_micro(const struct ba_micro *m)
{
	if (!m->ran)
		return;
	printf("\n  micro-benchmarks, in-process (ns)\n");
	printf("    %-42s %8s %8s %8s\n", "per datagram", "8B x60", "18B x39", "18B x1");
	printf("    %-42s %8.0f %8.0f %8.0f\n", "qs_report_check (structure)", m->check_full8_ns,
	       m->check_full18_ns, m->check_one_ns);
	printf("    %-42s %8.0f %8.0f %8.0f\n", "qs_report_verify (structure + HMAC)",
	       m->verify_full8_ns, m->verify_full18_ns, m->verify_one_ns);
	printf("    %-42s %8.0f (EVP_MAC context kept per key: %.0f)\n",
	       "HMAC() over 1200 bytes, as report.c", m->hmac_oneshot_ns, m->hmac_reused_ns);
	printf("    %-42s %8.0f\n", "unix datagram send + recv, 1232 bytes", m->unix_dgram_ns);
	printf("    %-42s %8.0f (batch of %d: %.0f per ID)\n",
	       "old path, not the agent's: qs_cids update", m->map_update_ns, 60,
	       m->map_update_batch_ns);
	printf("    %-42s %8.0f / %.0f\n", "  bpf_map_lookup_elem / delete_elem", m->map_lookup_ns,
	       m->map_delete_ns);
	printf("    %-42s %8.0f\n", "first touch of a fresh 4 KB page", m->fault_ns);
	printf("    %-42s %8.0f per ID (fresh memory: %.0f; %u IDs)\n",
	       "qs_intake, sink writes nothing", m->intake_null_ns, m->intake_null_cold_ns,
	       m->intake_ids);
	printf("    %-42s %8.0f per ID\n", "qs_intake, sink writes a private qs_cidtab",
	       m->intake_map_ns);
	printf("    %-42s %8.1f (qs_cidreg_memory: %.1f)\n", "registry memory per ID (bytes, RSS)",
	       m->registry_bytes_per_id, m->registry_memory_per_id);
	printf("    %-42s %8.1f ms\n", "scan of an empty qs_flows (10 s sweep)",
	       m->flow_scan_empty_ms);
	printf("    slowest datagrams of the fresh-memory run (median %.0f us): ms with N IDs "
	       "held\n     ",
	       m->dgram_median_us);
	for (int i = 0; i < BA_STALLS && m->stall_ms[i] > 0; i++)
		printf(" %.1f @ %u", m->stall_ms[i], m->stall_ids[i]);
	printf("\n");
}

/* The agent's memory and the kernel's, at start and with the first fill live. */
static void print_memory(const struct ba_results *r)
{
	printf("\n  memory: agent VmRSS %.1f MB at start, %.1f MB with %u IDs, peak %.1f MB"
	       "\n    (RssAnon, its own heap: %.1f MB, then %.1f MB)\n",
	       MB(r->rss_start), MB(r->tput[0].rss_after), r->tput[0].ids, MB(r->hwm_end),
	       MB(r->rss_anon_start), MB(r->rss_anon_1m));
	printf("    qs_cidtab memlock (%u buckets, %u slots, preallocated): %.1f MB at start, "
	       "%.1f MB with them:\n    fixed by the table's size, not by the IDs it holds\n",
	       r->cidtab_buckets, r->cidtab_buckets * QS_CIDTAB_SLOTS, MB(r->cidtab_memlock_start),
	       MB(r->cidtab_memlock_1m));
	printf("    qs_cids memlock (no longer written): %.1f MB at start, %.1f MB with them;\n"
	       "    its empty buckets are kernel memory still: with them, %.1f bytes per ID at "
	       "1,000,000\n",
	       MB(r->cids_memlock_start), MB(r->cids_memlock_1m), kernel_bytes_with_cids(r));
}

void ba_print(const struct ba_opts *o, const struct ba_results *r)
{
	(void)o;
	printf("\nquicsteerd report intake: agent on CPU %s, sender on CPU %s (%d CPUs);"
	       " unix report socket,\nnet.unix.max_dgram_qlen %d; datagrams authenticated"
	       " (HMAC-SHA256), encoded before the clock starts\n",
	       r->agent_cpus, r->sender_cpus, r->cpus, r->unix_max_dgram_qlen);
	if (r->tput[0].ran) {
		print_headline(r);
		for (int i = 0; i < BA_TPUT_RUNS; i++)
			if (r->tput[i].ran)
				print_tput(r, &r->tput[i]);
	}
	if (r->lat.ran)
		print_lat(&r->lat);
	if (r->tput[0].ran)
		print_memory(r);
	print_micro(&r->micro);
	if (r->micro.ran && r->tput[0].ran && r->tput[2].ran && r->tput[2].cid_len == 8)
		print_split(&r->micro, &r->tput[0], &r->tput[2]);
	if (r->ul.ran)
		ba_ul_print(r);
	if (r->metrics.read)
		printf("\n  agent intake counters: %llu datagrams accepted (%llu sent), %llu "
		       "refused; %llu IDs held at the end\n",
		       (unsigned long long)r->metrics.accepted,
		       (unsigned long long)r->expected_accepted,
		       (unsigned long long)r->metrics.refused,
		       (unsigned long long)r->metrics.ids_reported);
	if (r->metrics.read && r->metrics.intake_turn_max_s >= 0)
		printf("  the intake thread's longest turn over the whole benchmark: %.3f ms\n",
		       r->metrics.intake_turn_max_s * 1e3);
	printf("\n%s%s\n", r->ok ? "every ID reached qs_cidtab, nothing refused" : "FAILED: ",
	       r->ok ? "" : r->why);
}

/* JSON numbers: NaN and infinities are not JSON. */
void ba_jnum(FILE *f, const char *key, double v, const char *sep)
{
	if (isfinite(v))
		fprintf(f, "\"%s\": %.3f%s", key, v, sep);
	else
		fprintf(f, "\"%s\": null%s", key, sep);
}

void ba_jint(FILE *f, const char *key, unsigned long long v, const char *sep)
{
	fprintf(f, "\"%s\": %llu%s", key, v, sep);
}

/* A string member, escaped: stderr lines and thread names may hold anything. */
void ba_jstr(FILE *f, const char *key, const char *v, const char *sep)
{
	fprintf(f, "\"%s\": \"", key);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fprintf(f, "\"%s", sep);
}

void ba_jbool(FILE *f, const char *key, bool ran, bool v, const char *sep)
{
	fprintf(f, "\"%s\": %s%s", key, !ran ? "null" : v ? "true" : "false", sep);
}

void ba_json_window(FILE *f, const struct ba_window *w, __u32 datagrams, const char *sep)
{
	fprintf(f, "\"cpus\": {");
	ba_jnum(f, "agent_busy", w->agent_busy, ", ");
	ba_jnum(f, "agent_sleeps_per_datagram", (double)w->agent_sleeps / datagrams, ", ");
	ba_jint(f, "agent_preempted", w->agent_preempted, ", ");
	ba_jnum(f, "sender_busy", w->sender_busy, ", ");
	ba_jnum(f, "sender_sleeps_per_datagram", (double)w->sender_sleeps / datagrams, ", ");
	ba_jint(f, "sender_preempted", w->sender_preempted, ", ");
	ba_jnum(f, "agent_cpu_other", w->agent_cpu_other, ", ");
	ba_jnum(f, "sender_cpu_other", w->sender_cpu_other, ", ");
	ba_jnum(f, "agent_cpu_steal", w->agent_cpu_steal, ", ");
	ba_jint(f, "agent_page_faults", w->agent_faults, ", ");
	ba_jint(f, "agent_threads", w->agent_threads, ", ");
	ba_jstr(f, "agent_busiest_thread", w->agent_busiest, ", ");
	ba_jnum(f, "agent_busiest_thread_busy", w->agent_busiest_busy, "}");
	fprintf(f, "%s", sep);
}

static void json_tput(FILE *f, const struct ba_tput *t, const char *sep)
{
	fprintf(f, "    {");
	ba_jint(f, "cid_len", t->cid_len, ", ");
	ba_jint(f, "backend_id", t->backend_id, ", ");
	ba_jint(f, "ids", t->ids, ", ");
	ba_jint(f, "datagrams", t->datagrams, ", ");
	ba_jint(f, "ids_per_datagram", t->ids_per_dgram, ",\n     ");
	ba_jnum(f, "seconds", t->seconds, ", ");
	ba_jnum(f, "send_seconds", t->send_seconds, ", ");
	ba_jnum(f, "ids_per_sec", t->ids_per_sec, ", ");
	ba_jnum(f, "datagrams_per_sec", t->dgrams_per_sec, ",\n     ");
	ba_jnum(f, "agent_cpu_ns_per_id", t->agent_ns_per_id, ",\n     ");
	ba_json_window(f, &t->win, t->datagrams, ",\n     ");
	ba_jint(f, "ids_in_map", t->counted, ", ");
	ba_jbool(f, "complete", t->ran, t->complete, ", ");
	ba_jint(f, "rss_bytes_after", t->rss_after, ", ");
	ba_jnum(f, "purge_seconds", t->purge_seconds, ", ");
	ba_jint(f, "purge_ids_left", t->purge_left, ", ");
	ba_jint(f, "rss_bytes_after_purge", t->rss_after_purge, ", ");
	ba_jnum(f, "purge_softirq_ms", t->purge_softirq_ms, ", ");
	ba_jnum(f, "purge_settle_seconds", t->purge_settle_seconds, "}");
	fprintf(f, "%s", sep);
}

/*
 * A latency run as a JSON object, its members indented by ind (the
 * latency run's and each run under load's), then sep.
 */
void ba_json_lat(FILE *f, const struct ba_latency *l, const char *ind, const char *sep)
{
	fprintf(f, "{\"ids_per_datagram\": 1, \"cid_len\": 18, ");
	ba_jint(f, "datagrams", l->reports, ", ");
	ba_jnum(f, "rate", l->rate, ", ");
	ba_jnum(f, "achieved_rate", l->achieved_rate, ind);
	ba_jint(f, "samples", l->samples, ", ");
	ba_jint(f, "timeouts", l->timeouts, ", ");
	ba_jint(f, "late_slots", l->late, ", ");
	ba_jnum(f, "poll_ns", l->lookup_ns, ", ");
	ba_jnum(f, "quiet_wait_s", l->quiet_wait_s, ind);
	ba_jnum(f, "us_min", l->min_us, ", ");
	ba_jnum(f, "us_median", l->median_us, ", ");
	ba_jnum(f, "us_p90", l->p90_us, ", ");
	ba_jnum(f, "us_p99", l->p99_us, ", ");
	ba_jnum(f, "us_p999", l->p999_us, ", ");
	ba_jnum(f, "us_max", l->max_us, ind);
	ba_json_window(f, &l->win, l->reports, ind);
	ba_jint(f, "ids_in_map", l->counted, ", ");
	ba_jint(f, "other_ids_live", l->live_ids, ", ");
	ba_jbool(f, "complete", l->ran, l->complete, ind);
	ba_jint(f, "samples_agent_waited", l->agent_waited, ", ");
	ba_jint(f, "samples_sender_waited", l->sender_waited, ", ");
	ba_jint(f, "samples_agent_busy_elsewhere", l->agent_busy_elsewhere, ", ");
	ba_jint(f, "samples_agent_blocked", l->agent_blocked, ind);
	ba_jint(f, "undisturbed_samples", l->clean_samples, ", ");
	ba_jnum(f, "undisturbed_us_median", l->clean_median_us, ", ");
	ba_jnum(f, "undisturbed_us_p99", l->clean_p99_us, ", ");
	ba_jnum(f, "undisturbed_us_max", l->clean_max_us, ind);
	fprintf(f, "\"slowest\": [");
	for (__u32 i = 0; i < BA_SLOWEST && i < l->samples; i++) {
		const struct ba_lat_sample *x = &l->slowest[i];

		fprintf(f, "%s%s  {", i ? "," : "", ind + 1);
		ba_jnum(f, "us", x->us, ", ");
		ba_jnum(f, "at_ms", x->at_ms, ", ");
		ba_jnum(f, "agent_run_us", x->agent_run_us, ", ");
		ba_jnum(f, "agent_wait_us", x->agent_wait_us, ", ");
		ba_jnum(f, "sender_wait_us", x->sender_wait_us, ", ");
		ba_jstr(f, "agent_thread_ran_most", thread_name(l, x->run_thread), ", ");
		ba_jstr(f, "agent_thread_waited_most", thread_name(l, x->wait_thread), "}");
	}
	fprintf(f, "]}%s", sep);
}

static void json_micro(FILE *f, const struct ba_micro *m)
{
	if (!m->ran) {
		fprintf(f, "  \"micro_ns\": null,\n");
		return;
	}
	fprintf(f, "  \"micro_ns\": {");
	ba_jnum(f, "report_check_8x60", m->check_full8_ns, ", ");
	ba_jnum(f, "report_verify_8x60", m->verify_full8_ns, ",\n    ");
	ba_jnum(f, "report_check_18x39", m->check_full18_ns, ", ");
	ba_jnum(f, "report_verify_18x39", m->verify_full18_ns, ",\n    ");
	ba_jnum(f, "report_check_18x1", m->check_one_ns, ", ");
	ba_jnum(f, "report_verify_18x1", m->verify_one_ns, ",\n    ");
	ba_jnum(f, "hmac_oneshot_1200", m->hmac_oneshot_ns, ", ");
	ba_jnum(f, "hmac_ctx_reused_1200", m->hmac_reused_ns, ", ");
	ba_jnum(f, "unix_dgram_send_recv", m->unix_dgram_ns, ",\n    ");
	ba_jnum(f, "old_qs_cids_update_per_id", m->map_update_ns, ", ");
	ba_jnum(f, "old_qs_cids_update_batch60_per_id", m->map_update_batch_ns, ", ");
	ba_jnum(f, "old_qs_cids_lookup_per_id", m->map_lookup_ns, ", ");
	ba_jnum(f, "old_qs_cids_delete_per_id", m->map_delete_ns, ",\n    ");
	ba_jnum(f, "first_touch_per_page", m->fault_ns, ",\n    ");
	ba_jnum(f, "intake_null_sink_fresh_memory_per_id", m->intake_null_cold_ns, ", ");
	ba_jnum(f, "intake_null_sink_per_id", m->intake_null_ns, ", ");
	ba_jnum(f, "intake_map_sink_per_id", m->intake_map_ns, ", ");
	ba_jnum(f, "registry_bytes_per_id", m->registry_bytes_per_id, ", ");
	ba_jnum(f, "registry_memory_per_id", m->registry_memory_per_id, ", ");
	ba_jnum(f, "flow_scan_empty_ms", m->flow_scan_empty_ms, ",\n    ");
	ba_jnum(f, "datagram_median_us_fresh_memory", m->dgram_median_us, ",\n    ");
	fprintf(f, "\"slowest_datagrams_fresh_memory\": [");
	for (int i = 0; i < BA_STALLS && m->stall_ms[i] > 0; i++)
		fprintf(f, "%s{\"ms\": %.3f, \"ids_held\": %u}", i ? ", " : "", m->stall_ms[i],
			m->stall_ids[i]);
	fprintf(f, "]},\n");
}

/* An integer, or null for a run that did not happen (--under-load-only). */
void ba_jint_ran(FILE *f, const char *key, bool ran, unsigned long long v, const char *sep)
{
	if (ran)
		ba_jint(f, key, v, sep);
	else
		fprintf(f, "\"%s\": null%s", key, sep);
}

static void json_body(FILE *f, const struct ba_opts *o, const struct ba_results *r)
{
	const struct ba_tput *h = tput_headline(r);
	const struct ba_tput *t8 = &r->tput[0];

	fprintf(f, "{\n  ");
	ba_jnum(f, "ids_per_sec", h->ran ? h->ids_per_sec : NAN, ",\n  ");
	ba_jint_ran(f, "ids_per_sec_cid_len", h->ran, h->cid_len, ",\n  ");
	ba_jnum(f, "datagrams_per_sec", h->ran ? h->dgrams_per_sec : NAN, ",\n  ");
	ba_jint_ran(f, "ids_per_datagram", h->ran, h->ids_per_dgram, ",\n  ");
	ba_jnum(f, "latency_us_median", r->lat.ran ? r->lat.median_us : NAN, ",\n  ");
	ba_jnum(f, "latency_us_p99", r->lat.ran ? r->lat.p99_us : NAN, ",\n  ");
	ba_jint_ran(f, "rss_bytes_1m_ids", t8->ran, t8->rss_after, ",\n  ");
	ba_jint(f, "rss_bytes_start", r->rss_start, ",\n  ");
	ba_jnum(f, "rss_bytes_per_id", t8->ran ? agent_bytes_per_id(r) : NAN, ",\n  ");
	ba_jint(f, "rss_bytes_peak", r->hwm_end, ",\n  ");
	ba_jint(f, "rss_anon_bytes_start", r->rss_anon_start, ",\n  ");
	ba_jint_ran(f, "rss_anon_bytes_1m_ids", t8->ran, r->rss_anon_1m, ",\n  ");
	ba_jint(f, "cidtab_memlock_bytes_start", r->cidtab_memlock_start, ",\n  ");
	ba_jint_ran(f, "cidtab_memlock_bytes_1m_ids", t8->ran, r->cidtab_memlock_1m, ",\n  ");
	ba_jint(f, "cidtab_buckets", r->cidtab_buckets, ",\n  ");
	ba_jint(f, "cidtab_slots", (__u64)r->cidtab_buckets * QS_CIDTAB_SLOTS, ",\n  ");
	ba_jint(f, "cids_memlock_bytes_start", r->cids_memlock_start, ",\n  ");
	ba_jint_ran(f, "cids_memlock_bytes_1m_ids", t8->ran, r->cids_memlock_1m, ",\n  ");
	ba_jnum(f, "target_ids_per_sec", BA_TARGET_IDS_PER_SEC, ",\n  ");
	ba_jbool(f, "ids_per_sec_target_met", h->ran, h->ids_per_sec >= BA_TARGET_IDS_PER_SEC,
		 ",\n  ");
	ba_jnum(f, "target_latency_us_p99", BA_TARGET_P99_US, ",\n  ");
	ba_jbool(f, "latency_target_met", r->lat.ran, r->lat.p99_us < BA_TARGET_P99_US, ",\n  ");
	ba_jnum(f, "kernel_bytes_per_id", t8->ran ? kernel_bytes_per_id(r) : NAN, ",\n  ");
	ba_jnum(f, "target_kernel_bytes_per_id", BA_TARGET_KERNEL_BYTES_PER_ID, ",\n  ");
	ba_jbool(f, "kernel_bytes_target_met", t8->ran, kernel_bytes_met(r), ",\n  ");
	ba_jnum(f, "kernel_bytes_per_id_with_cids", t8->ran ? kernel_bytes_with_cids(r) : NAN,
		",\n  ");
	ba_jnum(f, "agent_bytes_per_id", t8->ran ? agent_bytes_per_id(r) : NAN, ",\n  ");
	ba_jnum(f, "target_agent_bytes_per_id", BA_TARGET_AGENT_BYTES_PER_ID, ",\n  ");
	ba_jbool(f, "agent_bytes_target_met", t8->ran, agent_bytes_met(r), ",\n  ");
	ba_jint(f, "cpus", r->cpus, ",\n  ");
	fprintf(f, "\"agent_cpu\": \"%s\",\n  \"sender_cpu\": \"%s\",\n  ", r->agent_cpus,
		r->sender_cpus);
	fprintf(f, "\"unix_max_dgram_qlen\": %d,\n  ", r->unix_max_dgram_qlen);
	ba_jint(f, "ids_per_run", o->ids, ",\n");
	fprintf(f, "  \"throughput\": [\n");
	for (int i = 0; i < BA_TPUT_RUNS; i++)
		json_tput(f, &r->tput[i], i + 1 < BA_TPUT_RUNS ? ",\n" : "\n  ],\n");
	fprintf(f, "  \"latency\": ");
	ba_json_lat(f, &r->lat, ",\n    ", ",\n");
	json_micro(f, &r->micro);
	ba_ul_json(f, r);
	fprintf(f, "  \"intake\": {");
	ba_jbool(f, "metrics_read", true, r->metrics.read, ", ");
	ba_jint(f, "accepted", r->metrics.accepted, ", ");
	ba_jint(f, "sent", r->expected_accepted, ", ");
	ba_jint(f, "refused", r->metrics.refused, ", ");
	ba_jint(f, "ids_held_at_end", r->metrics.ids_reported, ", ");
	ba_jnum(f, "turn_max_ms", r->metrics.intake_turn_max_s * 1e3, "},\n  ");
	ba_jbool(f, "ok", true, r->ok, "\n}\n");
}

struct json_args {
	const struct ba_opts *o;
	const struct ba_results *r;
};

static void json_write(FILE *f, void *ctx)
{
	const struct json_args *a = ctx;

	json_body(f, a->o, a->r);
}

/* Written whole or not at all (qs_file_replace). */
int ba_json(const char *path, const struct ba_opts *o, const struct ba_results *r)
{
	struct json_args a = { o, r };

	return qs_file_replace(path, json_write, &a);
}
