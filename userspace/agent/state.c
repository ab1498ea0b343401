// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Configuration into maps, reloads, the periodic work (expiry, heartbeats)
 * and the metrics the endpoint serves.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "log.h"
#include "metrics.h"
#include "quicsteer.skel.h"

/*
 * The state a backend runs with: down while its heartbeats are missing,
 * draining once it asked to drain, else what the configuration says.
 */
static __u32 effective_state(struct agent *a, const struct qs_config_backend *be)
{
	const struct qs_intake_backend *ib = qs_intake_backend(a->intake, be->id);
	__u32 state = a->configured_state[be->id];

	if (a->hb_down[be->id])
		return QS_BACKEND_DOWN;
	if (ib && ib->drain_requested && state == QS_BACKEND_ACTIVE)
		return QS_BACKEND_DRAINING;
	return state;
}

/* Does some backend run with another state than the maps have? */
static bool states_changed(struct agent *a)
{
	for (size_t i = 0; i < a->cfg->n_backends; i++)
		if (a->cfg->backends[i].state != effective_state(a, &a->cfg->backends[i]))
			return true;
	return false;
}

static void effective_states(struct agent *a)
{
	for (size_t i = 0; i < a->cfg->n_backends; i++)
		a->cfg->backends[i].state = effective_state(a, &a->cfg->backends[i]);
}

int agent_apply(struct agent *a, const struct qs_config *prev)
{
	effective_states(a);
	return qs_apply(&a->maps, a->cfg, prev, agent_l2, a, &a->rows, &a->apply_stats);
}

static void configured_states_take(struct agent *a)
{
	for (size_t i = 0; i < a->cfg->n_backends; i++)
		a->configured_state[a->cfg->backends[i].id] = a->cfg->backends[i].state;
}

/*
 * next becomes the running configuration, whole or not at all: VIP ids are
 * kept, it is checked and its keys read before anything changes; if
 * writing it fails, the previous configuration is written back. Settings
 * that need a restart (pin-dir, listeners) are kept as they were. Takes
 * next in every case. cerr gets a configuration problem (-EINVAL); other
 * errors are logged, naming the backend or map.
 */
static bool interfaces_equal(const struct qs_config *x, const struct qs_config *y)
{
	if (x->n_interfaces != y->n_interfaces)
		return false;
	for (size_t i = 0; i < x->n_interfaces; i++)
		if (strcmp(x->interfaces[i].name, y->interfaces[i].name) ||
		    x->interfaces[i].mode != y->interfaces[i].mode)
			return false;
	return true;
}

static bool listeners_equal(const struct qs_config *x, const struct qs_config *y)
{
	if (x->n_listeners != y->n_listeners)
		return false;
	for (size_t i = 0; i < x->n_listeners; i++) {
		const struct qs_config_listener *l = &x->listeners[i], *m = &y->listeners[i];

		if (l->kind != m->kind || l->port != m->port || strcmp(l->path, m->path) ||
		    l->addr.family != m->addr.family || memcmp(&l->addr.addr, &m->addr.addr, 16))
			return false;
	}
	return true;
}

/*
 * The sockets and pins the agent opened at start stay; a configuration that
 * moves them is refused as a whole, naming the setting, rather than half
 * applied.
 */
static int restart_settings_check(const struct qs_config *prev, const struct qs_config *next,
				  struct qs_config_error *cerr)
{
	const char *what = NULL;

	if (strcmp(prev->pin_dir, next->pin_dir))
		what = "pin-dir";
	else if (strcmp(prev->control_socket, next->control_socket))
		what = "control-socket";
	else if (!listeners_equal(prev, next))
		what = "report-listen";
	else if (!interfaces_equal(prev, next))
		what = "interface";
	else if (prev->metrics_port != next->metrics_port ||
		 prev->metrics_addr.family != next->metrics_addr.family ||
		 memcmp(&prev->metrics_addr.addr, &next->metrics_addr.addr, 16))
		what = "metrics-listen";
	if (!what)
		return 0;
	memset(cerr, 0, sizeof(*cerr));
	snprintf(cerr->msg, sizeof(cerr->msg),
		 "%s changed: it takes effect only when quicsteerd restarts", what);
	return -EINVAL;
}

int agent_config_install(struct agent *a, struct qs_config *next, struct qs_config_error *cerr)
{
	struct qs_config *prev = a->cfg;
	int err;

	err = qs_config_assign_ids(next, prev)	  ?:
		      qs_config_check(next, cerr) ?:
						    restart_settings_check(prev, next, cerr);
	if (!err)
		err = agent_keys_load(a, next);
	if (err)
		goto fail;
	pthread_mutex_lock(&a->lock);
	a->cfg = next;
	configured_states_take(a);
	err = agent_apply(a, prev);
	if (err) {
		a->cfg = prev;
		configured_states_take(a);
		agent_apply(a, next);
		agent_keys_load(a, prev);
		pthread_mutex_unlock(&a->lock);
		goto fail;
	}
	for (size_t i = 0; i < prev->n_backends; i++)
		if (!qs_config_find_backend_id(next, prev->backends[i].id))
			qs_cidreg_purge(a->cidreg, prev->backends[i].id);
	agent_tables_forget(a, prev, next);
	qs_expiry_set_times(a->expiry, next->learned_ttl_ms * 1000000ull,
			    next->flow_idle_ms * 1000000ull);
	pthread_mutex_unlock(&a->lock);
	qs_config_free(prev);
	a->counters.reloads++;
	return 0;
fail:
	qs_config_free(next);
	a->counters.reloads_failed++;
	return err;
}

/* SIGHUP and the control socket's reload: the file, through agent_config_install. */
int agent_reload(struct agent *a)
{
	struct qs_config *next = NULL;
	struct qs_config_error cerr;
	char msg[700];
	int err;

	err = qs_config_parse_file(a->config_path, &next, &cerr);
	if (!err && (err = agent_file_ifaces_check(a, next, &cerr)))
		qs_config_free(next);
	if (err) {
		a->counters.reloads_failed++;
		goto fail;
	}
	err = agent_config_install(a, next, &cerr);
	if (err)
		goto fail;
	pr_info("reload: %s applied\n", a->config_path);
	return 0;
fail:
	if (err == -EINVAL)
		pr_warn("reload: %s; the running configuration stays\n",
			qs_config_error_str(&cerr, msg, sizeof(msg)));
	else
		pr_warn("reload: %s: %s; the running configuration stays\n", a->config_path,
			strerror(-err));
	return err;
}

/* Backends whose reports stopped go down; they come back with the next one. */
static void heartbeats_check(struct agent *a, __u64 now)
{
	__u64 timeout = a->cfg->heartbeat_timeout_ms * 1000000ull;

	for (size_t i = 0; timeout && i < a->cfg->n_backends; i++) {
		const struct qs_config_backend *be = &a->cfg->backends[i];
		const struct qs_intake_backend *ib = qs_intake_backend(a->intake, be->id);
		bool down = ib && ib->last_seen_ns + timeout < now;

		if (down == a->hb_down[be->id])
			continue;
		a->hb_down[be->id] = down;
		if (down)
			a->counters.backends_down++;
		else
			a->counters.backends_up++;
		pr_info("backend %s: %s\n", be->name,
			down ? "heartbeats stopped: down" : "reporting again: up");
	}
}

void agent_tick(struct agent *a, __u64 now_ns, bool sweep)
{
	pthread_mutex_lock(&a->lock);
	heartbeats_check(a, now_ns);
	if (states_changed(a))
		agent_apply(a, NULL);
	if (sweep)
		qs_expiry_sweep(a->expiry, now_ns);
	pthread_mutex_unlock(&a->lock);
}

static int ring_record(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;

	if (size < sizeof(struct qs_event))
		return 0;
	pthread_mutex_lock(&a->lock);
	a->counters.events++;
	qs_expiry_event(a->expiry, data);
	pthread_mutex_unlock(&a->lock);
	agent_monitor_event(a, data);
	return 0;
}

int agent_ring_open(struct agent *a)
{
	int fd = bpf_map__fd(a->router.skel->maps.qs_events);

	a->ring = ring_buffer__new(fd, ring_record, a, NULL);
	return a->ring ? 0 : -errno;
}

static const char *vip_name(void *ctx, __u32 id)
{
	struct agent *a = ctx;

	for (size_t i = 0; i < a->cfg->n_vips; i++)
		if (a->cfg->vips[i].id == id)
			return a->cfg->vips[i].name;
	return NULL;
}

static const char *backend_name(void *ctx, __u32 id)
{
	const struct qs_config_backend *be =
		qs_config_find_backend_id(((struct agent *)ctx)->cfg, id);

	return be ? be->name : NULL;
}

static void intake_metrics(FILE *out, const struct qs_intake *in)
{
	fputs("# HELP quicsteer_reports_total Report datagrams by verdict.\n"
	      "# TYPE quicsteer_reports_total counter\n",
	      out);
	for (int r = 0; r < QS_REPORT_NR_REASONS; r++)
		fprintf(out, "quicsteer_reports_total{result=\"%s\"} %llu\n",
			qs_report_reason_name(r), (unsigned long long)qs_intake_count(in, r));
	qs_metrics_counter(out, "quicsteer_report_ids_total", "IDs in accepted reports.",
			   qs_intake_ids(in));
}

static void registry_metrics(FILE *out, const struct qs_cidreg_stats *c,
			     const struct qs_expiry_stats *x)
{
	qs_metrics_gauge(out, "quicsteer_ids_reported", "IDs backends hold now.", c->live);
	/*
	 * Occupancy without scanning the tables on every scrape: the ID table
	 * holds what backends reported plus what the data path learned; the
	 * address table's count is the last sweep's.
	 */
	fputs("# HELP quicsteer_table_entries Entries in the router's tables.\n"
	      "# TYPE quicsteer_table_entries gauge\n",
	      out);
	fprintf(out, "quicsteer_table_entries{table=\"cids\"} %llu\n",
		(unsigned long long)(c->live + x->tracked));
	fprintf(out, "quicsteer_table_entries{table=\"flows\"} %llu\n",
		(unsigned long long)x->flows);
	qs_metrics_counter(out, "quicsteer_ids_issued_total", "IDs written from reports.",
			   c->issued);
	qs_metrics_counter(out, "quicsteer_ids_retired_total", "IDs removed by reports.",
			   c->retired);
	qs_metrics_counter(out, "quicsteer_ids_purged_total",
			   "IDs removed because their backend restarted or left.", c->purged);
	qs_metrics_counter(out, "quicsteer_id_conflicts_total",
			   "IDs reported by a backend while another held them.", c->conflicts);
	qs_metrics_counter(out, "quicsteer_learned_total", "IDs the data path learned.",
			   x->learned);
	qs_metrics_counter(out, "quicsteer_learned_confirmed_total",
			   "Learned IDs a report confirmed in time.", x->confirmed);
	qs_metrics_counter(out, "quicsteer_learned_expired_total",
			   "Learned IDs removed at their deadline.", x->expired);
	qs_metrics_counter(out, "quicsteer_flows_expired_total", "Idle address entries removed.",
			   x->flows_expired);
}

int agent_metrics(void *ctx, FILE *out)
{
	struct agent *a = ctx;
	struct quicsteer_bpf *s = a->router.skel;
	struct qs_metric_maps maps = {
		bpf_map__fd(s->maps.qs_stats),
		bpf_map__fd(s->maps.qs_vip_stats),
		bpf_map__fd(s->maps.qs_be_stats),
		bpf_map__fd(s->maps.qs_aux_stats),
	};
	struct qs_metric_names names = { vip_name, backend_name, a };
	int err;

	pthread_mutex_lock(&a->lock);
	err = qs_metrics_router(out, &maps, &names);
	intake_metrics(out, a->intake);
	registry_metrics(out, qs_cidreg_stats(a->cidreg), qs_expiry_stats(a->expiry));
	qs_metrics_counter(out, "quicsteer_backends_down_total",
			   "Backends marked down because their reports stopped.",
			   a->counters.backends_down);
	qs_metrics_counter(out, "quicsteer_backends_up_total",
			   "Down backends back up on their next report.", a->counters.backends_up);
	qs_metrics_counter(out, "quicsteer_reloads_total", "Configuration reloads applied.",
			   a->counters.reloads);
	qs_metrics_counter(out, "quicsteer_reloads_failed_total",
			   "Reloads refused; the running configuration stayed.",
			   a->counters.reloads_failed);
	qs_metrics_counter(out, "quicsteer_maglev_slots_written_total",
			   "Maglev slots written by configuration changes.",
			   a->apply_stats.slots_written);
	pthread_mutex_unlock(&a->lock);
	return err;
}
