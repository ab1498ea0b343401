// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The main thread's state: configuration into maps, reloads, the view the
 * other threads read, heartbeats.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "util/log.h"

/*
 * The state a backend runs with: down while its heartbeats are missing,
 * draining once it asked to drain, else what the configuration says.
 */
static __u32 effective_state(struct agent *a, const struct qs_config_backend *be)
{
	__u32 state = a->configured_state[be->id];

	if (a->hb_down[be->id])
		return QS_BACKEND_DOWN;
	if (state == QS_BACKEND_ACTIVE && a->intake && agent_intake_drain_requested(a, be->id))
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
	__u64 slots = a->apply_stats.slots_written;
	int err;

	effective_states(a);
	err = qs_apply(&a->maps, a->cfg, prev, agent_l2, a, &a->rows, &a->apply_stats);
	AGENT_COUNT(a, slots_written, a->apply_stats.slots_written - slots);
	return err;
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
		    strcmp(l->group, m->group) || l->addr.family != m->addr.family ||
		    memcmp(&l->addr.addr, &m->addr.addr, 16))
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

/* Ids prev has and cfg has not, into a new array (*n of them); NULL: no memory. */
static __u32 *gone_ids(const struct qs_config *prev, const struct qs_config *cfg, bool vips,
		       size_t *n)
{
	size_t count = vips ? prev->n_vips : prev->n_backends;
	__u32 *ids = calloc(count ? count : 1, sizeof(*ids));

	*n = 0;
	for (size_t i = 0; ids && i < count; i++) {
		__u32 id = vips ? prev->vips[i].id : prev->backends[i].id;
		bool kept = false;

		for (size_t j = 0; vips && j < cfg->n_vips; j++)
			kept |= cfg->vips[j].id == id;
		if (!vips)
			kept = qs_config_find_backend_id(cfg, id) != NULL;
		if (!kept)
			ids[(*n)++] = id;
	}
	return ids;
}

/* cfg's view, with the keys loaded for it, the next generation. */
static struct agent_view *view_new(struct agent *a, const struct qs_config *cfg)
{
	return agent_view_build(cfg, (const __u8(*)[QS_REPORT_KEY_LEN])a->keys, a->has_key,
				a->view_gen + 1);
}

/* The view of cfg with what prev had more, for the intake thread; NULL: no memory. */
static struct agent_job *view_job_build(struct agent *a, const struct qs_config *cfg,
					const struct qs_config *prev)
{
	struct agent_job *job = agent_job_new(AGENT_JOB_VIEW);
	struct agent_job_view *jv;

	if (!job)
		return NULL;
	jv = &job->view;
	jv->view = view_new(a, cfg);
	if (prev) {
		jv->gone_backends = gone_ids(prev, cfg, false, &jv->n_gone_backends);
		jv->gone_vips = gone_ids(prev, cfg, true, &jv->n_gone_vips);
	}
	if (!jv->view || (prev && (!jv->gone_backends || !jv->gone_vips))) {
		agent_job_free(job);
		return NULL;
	}
	return job;
}

/* The job's view becomes the current one; the job keeps a reference for the intake. */
static void view_job_publish(struct agent *a, struct agent_job *job)
{
	struct agent_view *v = job->view.view;

	a->view_gen = v->gen;
	atomic_fetch_add(&v->refs, 1);
	agent_view_publish(a, v);
}

int agent_view_start(struct agent *a)
{
	struct agent_view *v = view_new(a, a->cfg);

	if (!v)
		return -ENOMEM;
	a->view_gen = v->gen;
	agent_view_publish(a, v);
	return 0;
}

int agent_config_install(struct agent *a, struct qs_config *next, struct qs_config_error *cerr,
			 struct agent_job **view_job)
{
	struct qs_config *prev = a->cfg;
	struct agent_job *job = NULL;
	struct qs_config_error kerr;
	int err;

	*view_job = NULL;
	err = qs_config_assign_ids(next, prev)	  ?:
		      qs_config_check(next, cerr) ?:
						    restart_settings_check(prev, next, cerr);
	if (!err)
		err = agent_keys_load(a, next, cerr);
	if (!err && !(job = view_job_build(a, next, prev)))
		err = -ENOMEM;
	if (err)
		goto fail;
	a->cfg = next;
	configured_states_take(a);
	err = agent_apply(a, prev);
	if (err) {
		a->cfg = prev;
		configured_states_take(a);
		agent_apply(a, next);
		agent_keys_load(a, prev, &kerr); /* read a moment ago */
		agent_job_free(job);
		goto fail;
	}
	view_job_publish(a, job);
	*view_job = job;
	qs_config_free(prev);
	AGENT_COUNT(a, reloads, 1);
	return 0;
fail:
	qs_config_free(next);
	AGENT_COUNT(a, reloads_failed, 1);
	return err;
}

/* SIGHUP and the control socket's reload: the file, through agent_config_install. */
int agent_reload(struct agent *a, struct agent_job **view_job)
{
	struct qs_config *next = NULL;
	struct qs_config_error cerr;
	char msg[700];
	int err;

	*view_job = NULL;
	err = qs_config_parse_file(a->config_path, &next, &cerr);
	if (!err && (err = agent_file_ifaces_check(a, next, &cerr)))
		qs_config_free(next);
	if (err) {
		AGENT_COUNT(a, reloads_failed, 1);
		goto fail;
	}
	err = agent_config_install(a, next, &cerr, view_job);
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
		__u64 last_seen = agent_intake_last_seen(a, be->id);
		bool down = last_seen && last_seen + timeout < now;

		if (down == a->hb_down[be->id])
			continue;
		a->hb_down[be->id] = down;
		if (down)
			AGENT_COUNT(a, backends_down, 1);
		else
			AGENT_COUNT(a, backends_up, 1);
		pr_info("backend %s: %s\n", be->name,
			down ? "heartbeats stopped: down" : "reporting again: up");
	}
}

void agent_tick(struct agent *a, __u64 now_ns)
{
	heartbeats_check(a, now_ns);
	if (states_changed(a))
		agent_apply(a, NULL);
	agent_sync_check(a, now_ns);
}
