// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The metrics the endpoint serves (docs/metrics.md), on libmicrohttpd's
 * thread, from the view and the counters the other threads publish: never
 * a lock a thread holds for long, never a map walk.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "router/metrics.h"
#include "quicsteer.skel.h"

struct metric_names {
	struct agent_view *v;
};

static const char *vip_name(void *ctx, __u32 id)
{
	return agent_view_vip_name(((struct metric_names *)ctx)->v, id);
}

static const char *backend_name(void *ctx, __u32 id)
{
	return agent_view_backend_name(((struct metric_names *)ctx)->v, id);
}

/* The intake thread's turns: how long a report can wait behind other work. */
static void turn_metrics(FILE *out, const struct agent_intake_stats *in)
{
	__u64 count = 0;

	fputs("# HELP quicsteer_intake_turn_seconds Work per turn of the intake thread's loop "
	      "(datagrams, jobs, purge and sweep steps).\n"
	      "# TYPE quicsteer_intake_turn_seconds histogram\n",
	      out);
	for (int b = 0; b < AGENT_TURN_BUCKETS; b++) {
		count += in->turn_le[b];
		if (b < AGENT_TURN_BUCKETS - 1)
			fprintf(out, "quicsteer_intake_turn_seconds_bucket{le=\"%g\"} %llu\n",
				agent_turn_bounds_ns[b] / 1e9, (unsigned long long)count);
		else
			fprintf(out, "quicsteer_intake_turn_seconds_bucket{le=\"+Inf\"} %llu\n",
				(unsigned long long)count);
	}
	fprintf(out, "quicsteer_intake_turn_seconds_sum %.9f\n", in->turn_sum_ns / 1e9);
	fprintf(out, "quicsteer_intake_turn_seconds_count %llu\n", (unsigned long long)count);
	fputs("# HELP quicsteer_intake_turn_max_seconds The longest turn of the intake thread.\n"
	      "# TYPE quicsteer_intake_turn_max_seconds gauge\n",
	      out);
	fprintf(out, "quicsteer_intake_turn_max_seconds %.9f\n", in->turn_max_ns / 1e9);
}

static void intake_metrics(FILE *out, const struct agent_intake_stats *in)
{
	fputs("# HELP quicsteer_reports_total Report datagrams by verdict.\n"
	      "# TYPE quicsteer_reports_total counter\n",
	      out);
	for (int r = 0; r < QS_REPORT_NR_REASONS; r++)
		fprintf(out, "quicsteer_reports_total{result=\"%s\"} %llu\n",
			qs_report_reason_name(r), (unsigned long long)in->counts[r]);
	qs_metrics_counter(out, "quicsteer_report_ids_total", "IDs in accepted reports.", in->ids);
	turn_metrics(out, in);
}

static void registry_metrics(FILE *out, const struct agent_intake_stats *in,
			     const struct agent_events_stats *ev)
{
	const struct qs_cidreg_stats *c = &in->reg;
	const struct agent_sweep_stats *x = &in->learned;

	qs_metrics_gauge(out, "quicsteer_ids_reported", "IDs backends hold now.", c->live);
	qs_metrics_gauge(out, "quicsteer_ids_pending_removal",
			 "IDs removed whose map entries are still being deleted.", c->pending);
	qs_metrics_gauge(out, "quicsteer_registry_bytes",
			 "Memory of the agent's ID registry: records, connections, tables.",
			 in->registry_bytes);
	/*
	 * Occupancy without scanning the tables on every scrape: the ID table
	 * holds what backends reported, the operator's IDs and what awaits
	 * deletion; the learned and address tables' counts are their last
	 * sweeps'.
	 */
	fputs("# HELP quicsteer_table_entries Entries in the router's tables.\n"
	      "# TYPE quicsteer_table_entries gauge\n",
	      out);
	fprintf(out, "quicsteer_table_entries{table=\"cids\"} %llu\n",
		(unsigned long long)(c->live + c->operator+ c->pending));
	fprintf(out, "quicsteer_table_entries{table=\"learned\"} %llu\n",
		(unsigned long long)x->entries);
	fprintf(out, "quicsteer_table_entries{table=\"flows\"} %llu\n",
		(unsigned long long)ev->flows.entries);
	fprintf(out, "quicsteer_table_entries{table=\"flows_new\"} %llu\n",
		(unsigned long long)ev->flows_new.entries);
	qs_metrics_counter(out, "quicsteer_ids_issued_total", "IDs written from reports.",
			   c->issued);
	qs_metrics_counter(out, "quicsteer_ids_retired_total", "IDs removed by reports.",
			   c->retired);
	qs_metrics_counter(out, "quicsteer_ids_purged_total",
			   "IDs removed because their backend restarted or left.", c->purged);
	qs_metrics_counter(out, "quicsteer_id_conflicts_total",
			   "IDs reported by a backend while another held them.", c->conflicts);
	qs_metrics_counter(out, "quicsteer_ids_over_quota_total",
			   "New IDs reported by a backend that held its max-ids: refused.",
			   c->over_quota);
	qs_metrics_counter(out, "quicsteer_learned_expired_total",
			   "Learned IDs past their TTL removed by the sweep.", x->expired);
	qs_metrics_counter(out, "quicsteer_flows_expired_total",
			   "Idle address entries removed, from both address tables.",
			   ev->flows.expired + ev->flows_new.expired);
}

/*
 * Each configured backend's share of the ID table against its quota
 * (docs/report-protocol.md, "Quotas"): the intake thread's published
 * counts, the view's quotas.
 */
static void quota_metrics(FILE *out, struct agent *a, const struct agent_view *v)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
		{ "quicsteer_backend_ids", "gauge",
		  "IDs of the backend's reports in the ID table, pending deletion included: what "
		  "its max-ids counts." },
		{ "quicsteer_backend_max_ids", "gauge",
		  "The IDs the backend's reports may hold (max-ids, else backend-max-ids)." },
		{ "quicsteer_backend_ids_over_quota_total", "counter",
		  "New IDs the backend reported while it held its max-ids: refused." },
	};

	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
			families[f].name, families[f].type);
		for (size_t i = 0; i < v->n_backends; i++) {
			__u32 id = v->backend_order[i], ids;
			__u64 over;

			agent_intake_backend_ids(a, id, &ids, &over);
			fprintf(out, "%s{backend=", families[f].name);
			qs_metrics_label_value(out, v->backends[id].name);
			fprintf(out, ",id=\"%u\"} %llu\n", id,
				(unsigned long long)(f == 0 ? ids :
						     f == 1 ? v->backends[id].max_ids :
							      over));
		}
	}
}

static void agent_counter_metrics(FILE *out, const struct agent_counters *c,
				  const struct agent_events_stats *ev)
{
	qs_metrics_counter(out, "quicsteer_backends_down_total",
			   "Backends marked down because their reports stopped.", c->backends_down);
	qs_metrics_counter(out, "quicsteer_backends_up_total",
			   "Down backends back up on their next report.", c->backends_up);
	qs_metrics_counter(out, "quicsteer_reloads_total", "Configuration reloads applied.",
			   c->reloads);
	qs_metrics_counter(out, "quicsteer_reloads_failed_total",
			   "Reloads refused; the running configuration stayed.", c->reloads_failed);
	qs_metrics_counter(out, "quicsteer_maglev_slots_written_total",
			   "Maglev slots written by configuration changes.", c->slots_written);
	qs_metrics_counter(out, "quicsteer_ring_records_total",
			   "Ring-buffer records the events thread read.", ev->events);
	qs_metrics_counter(out, "quicsteer_ring_turns_full_total",
			   "Turns of the events thread that read as many records as one may.",
			   ev->turns_full);
	qs_metrics_counter(out, "quicsteer_monitor_reports_lost_total",
			   "Report datagrams the monitors missed (the events thread lagged).",
			   ev->notices_lost);
	qs_metrics_counter(
		out, "quicsteer_handshake_entries_written_total",
		"Address entries written from handshake reports (address-entry handshake).",
		ev->entries_written);
	qs_metrics_counter(out, "quicsteer_handshake_entries_present_total",
			   "Handshake reports whose client address had an entry already.",
			   ev->entries_present);
	qs_metrics_counter(
		out, "quicsteer_handshake_entries_lost_total",
		"Handshake reports whose address entry was not written (queue full, or the "
		"table refused it).",
		ev->entries_lost);
	qs_metrics_counter(out, "quicsteer_control_requests_total", "Control requests answered.",
			   c->control_requests);
	qs_metrics_counter(out, "quicsteer_control_timeouts_total",
			   "Control connections dropped at their deadline.", c->control_timeouts);
	qs_metrics_counter(out, "quicsteer_control_refused_total",
			   "Control connections refused: as many as may be were open.",
			   c->control_refused);
}

/* On libmicrohttpd's thread: never a lock the main thread holds for long. */
int agent_metrics(void *ctx, FILE *out)
{
	struct agent *a = ctx;
	struct quicsteer_bpf *s = a->router.skel;
	struct qs_metric_maps maps = {
		bpf_map__fd(s->maps.qs_stats_v2),
		bpf_map__fd(s->maps.qs_vip_stats),
		bpf_map__fd(s->maps.qs_be_stats),
		bpf_map__fd(s->maps.qs_aux_v2),
	};
	struct metric_names mn = { agent_view_get(a) };
	struct qs_metric_names names = { vip_name, backend_name, &mn };
	struct agent_intake_stats in;
	struct agent_events_stats ev;
	struct agent_counters c;
	int err;

	agent_intake_stats(a, &in);
	agent_events_stats(a, &ev);
	pthread_mutex_lock(&a->counters_lock);
	c = a->counters;
	pthread_mutex_unlock(&a->counters_lock);
	err = qs_metrics_router(out, &maps, &names);
	intake_metrics(out, &in);
	registry_metrics(out, &in, &ev);
	quota_metrics(out, a, mn.v);
	agent_counter_metrics(out, &c, &ev);
	qs_metrics_gauge(out, "quicsteer_synced",
			 "1 once the agent holds its backends' reported IDs (a snapshot of each, "
			 "or its pins; or sync-timeout passed), 0 before.",
			 atomic_load(&a->synced));
	agent_view_put(mn.v);
	return err;
}
