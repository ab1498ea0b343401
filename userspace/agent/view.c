// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The view: what the intake and events threads and the metrics need of the
 * configuration (keys, which VIPs each backend serves, names, times),
 * copied whole when the main thread installs a configuration. A view never
 * changes once built; readers hold a reference, so the main thread can
 * publish the next one at any time without waiting for them, and they
 * never wait for the main thread (which may be busy applying a change).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"

struct agent_view *agent_view_build(const struct qs_config *cfg,
				    const __u8 (*keys)[QS_REPORT_KEY_LEN], const bool *has_key,
				    __u64 gen)
{
	struct agent_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	atomic_init(&v->refs, 1);
	v->gen = gen;
	v->learned_ttl_ns = cfg->learned_ttl_ms * 1000000ull;
	v->flow_idle_ns = cfg->flow_idle_ms * 1000000ull;
	v->report_window_ns = cfg->report_window_ms * 1000000ull;
	v->report_accept_v1 = cfg->report_accept_v1;
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct qs_config_vip *cv = &cfg->vips[i];
		struct agent_view_vip *vv = &v->vips[cv->id];

		vv->configured = true;
		vv->entry_at_handshake = cv->address_entry == QS_ADDRESS_ENTRY_HANDSHAKE;
		vv->family = cv->addr.family;
		vv->addr = cv->addr.addr;
		vv->port = htons(cv->port);
		snprintf(vv->name, sizeof(vv->name), "%s", cv->name);
		v->vip_order[v->n_vips++] = cv->id;
	}
	for (size_t i = 0; i < cfg->n_backends; i++) {
		const struct qs_config_backend *be = &cfg->backends[i];
		struct agent_view_backend *vb = &v->backends[be->id];

		vb->configured = true;
		vb->has_key = has_key[be->id];
		vb->max_ids = qs_config_backend_max_ids(cfg, be);
		v->backend_order[v->n_backends++] = be->id;
		memcpy(vb->key, keys[be->id], sizeof(vb->key));
		snprintf(vb->name, sizeof(vb->name), "%s", be->name);
		for (size_t j = 0; j < cfg->n_vips; j++)
			if (qs_config_backend_serves(be, cfg->vips[j].name))
				vb->vips |= 1u << cfg->vips[j].id;
	}
	return v;
}

struct agent_view *agent_view_get(struct agent *a)
{
	struct agent_view *v;

	pthread_mutex_lock(&a->view_lock);
	v = a->view;
	if (v)
		atomic_fetch_add(&v->refs, 1);
	pthread_mutex_unlock(&a->view_lock);
	return v;
}

void agent_view_put(struct agent_view *v)
{
	if (v && atomic_fetch_sub(&v->refs, 1) == 1) {
		/* keys are secrets: nothing of them stays in freed memory */
		explicit_bzero(v->backends, sizeof(v->backends));
		free(v);
	}
}

void agent_view_publish(struct agent *a, struct agent_view *v)
{
	struct agent_view *old;

	pthread_mutex_lock(&a->view_lock);
	old = a->view;
	a->view = v;
	atomic_store(&a->view_published, v->gen);
	pthread_mutex_unlock(&a->view_lock);
	agent_view_put(old);
}

const char *agent_view_vip_name(const struct agent_view *v, __u32 id)
{
	return id < QS_MAX_VIPS && v->vips[id].configured ? v->vips[id].name : NULL;
}

const char *agent_view_backend_name(const struct agent_view *v, __u32 id)
{
	return id < QS_MAX_BACKENDS && v->backends[id].configured ? v->backends[id].name : NULL;
}
