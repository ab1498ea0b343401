// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What a reload needs besides the parser: lookups by name, VIP ids that
 * stay put across reloads, and the list of objects that differ between the
 * running configuration and the new one, so the agent writes only what
 * changed and a reload that changes nothing writes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

const struct qs_config_vip *qs_config_find_vip(const struct qs_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (!strcmp(cfg->vips[i].name, name))
			return &cfg->vips[i];
	return NULL;
}

const struct qs_config_backend *qs_config_find_backend(const struct qs_config *cfg,
						       const char *name)
{
	for (size_t i = 0; i < cfg->n_backends; i++)
		if (!strcmp(cfg->backends[i].name, name))
			return &cfg->backends[i];
	return NULL;
}

const struct qs_config_backend *qs_config_find_backend_id(const struct qs_config *cfg, __u32 id)
{
	for (size_t i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].id == id)
			return &cfg->backends[i];
	return NULL;
}

const struct qs_config_nexthop *qs_config_find_nexthop(const struct qs_config *cfg,
						       const char *name)
{
	for (size_t i = 0; i < cfg->n_nexthops; i++)
		if (!strcmp(cfg->nexthops[i].name, name))
			return &cfg->nexthops[i];
	return NULL;
}

const struct qs_config_quiclb *qs_config_find_quiclb(const struct qs_config *cfg, const char *vip,
						     __u32 config_id)
{
	for (size_t i = 0; i < cfg->n_quiclbs; i++)
		if (cfg->quiclbs[i].config_id == config_id && !strcmp(cfg->quiclbs[i].vip, vip))
			return &cfg->quiclbs[i];
	return NULL;
}

const struct qs_config_nexthop *qs_config_backend_nexthop(const struct qs_config *cfg,
							  const struct qs_config_backend *be)
{
	if (be->nexthop[0])
		return qs_config_find_nexthop(cfg, be->nexthop);
	return cfg->n_nexthops == 1 ? &cfg->nexthops[0] : NULL;
}

__u32 qs_config_backend_max_ids(const struct qs_config *cfg, const struct qs_config_backend *be)
{
	return be->max_ids == QS_CONFIG_MAX_IDS_UNSET ? cfg->backend_max_ids : be->max_ids;
}

bool qs_config_backend_serves(const struct qs_config_backend *be, const char *vip)
{
	for (size_t i = 0; i < be->n_vips; i++)
		if (!strcmp(be->vips[i], vip))
			return true;
	return false;
}

static bool addr_equal(const struct qs_config_addr *a, const struct qs_config_addr *b)
{
	return a->family == b->family && !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/* The VIP of prev that v continues: same name, else same address and port. */
static const struct qs_config_vip *vip_before(const struct qs_config *prev,
					      const struct qs_config_vip *v)
{
	const struct qs_config_vip *w = qs_config_find_vip(prev, v->name);

	for (size_t i = 0; !w && i < prev->n_vips; i++)
		if (prev->vips[i].port == v->port && addr_equal(&prev->vips[i].addr, &v->addr))
			w = &prev->vips[i];
	return w;
}

_Static_assert(QS_MAX_VIPS <= 32, "vip ids are tracked in a __u32");

int qs_config_assign_ids(struct qs_config *cfg, const struct qs_config *prev)
{
	__u32 used = 0;
	int ret = 0;

	for (size_t i = 0; i < cfg->n_vips; i++) {
		struct qs_config_vip *v = &cfg->vips[i];

		if (!v->id_explicit)
			v->id = QS_CONFIG_ID_NONE;
		else if (v->id < QS_MAX_VIPS)
			used |= 1u << v->id;
	}
	for (size_t i = 0; prev && i < cfg->n_vips; i++) {
		struct qs_config_vip *v = &cfg->vips[i];
		const struct qs_config_vip *w = v->id_explicit ? NULL : vip_before(prev, v);

		if (w && w->id < QS_MAX_VIPS && !(used & (1u << w->id))) {
			v->id = w->id;
			used |= 1u << w->id;
		}
	}
	for (size_t i = 0; i < cfg->n_vips; i++) {
		struct qs_config_vip *v = &cfg->vips[i];
		__u32 id = 0;

		if (v->id != QS_CONFIG_ID_NONE || v->id_explicit)
			continue;
		while (id < QS_MAX_VIPS && (used & (1u << id)))
			id++;
		if (id == QS_MAX_VIPS) {
			ret = -ENOSPC;
			continue;
		}
		v->id = id;
		used |= 1u << id;
	}
	return ret;
}

/* Comparators take pointers to object pointers, as qsort and bsearch pass. */
#define OBJ(type, p) (*(const type *const *)(p))

static int interface_cmp(const void *a, const void *b)
{
	return strcmp(OBJ(struct qs_config_interface, a)->name,
		      OBJ(struct qs_config_interface, b)->name);
}

static int listener_cmp(const void *a, const void *b)
{
	const struct qs_config_listener *x = OBJ(struct qs_config_listener, a);
	const struct qs_config_listener *y = OBJ(struct qs_config_listener, b);

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == QS_LISTEN_UNIX)
		return strcmp(x->path, y->path);
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(&x->addr.addr, &y->addr.addr, sizeof(x->addr.addr));
}

static int vip_cmp(const void *a, const void *b)
{
	return strcmp(OBJ(struct qs_config_vip, a)->name, OBJ(struct qs_config_vip, b)->name);
}

static int quiclb_cmp(const void *a, const void *b)
{
	const struct qs_config_quiclb *x = OBJ(struct qs_config_quiclb, a);
	const struct qs_config_quiclb *y = OBJ(struct qs_config_quiclb, b);
	int r = strcmp(x->vip, y->vip);

	return r ? r : (x->config_id > y->config_id) - (x->config_id < y->config_id);
}

static int nexthop_cmp(const void *a, const void *b)
{
	return strcmp(OBJ(struct qs_config_nexthop, a)->name,
		      OBJ(struct qs_config_nexthop, b)->name);
}

static int backend_cmp(const void *a, const void *b)
{
	return strcmp(OBJ(struct qs_config_backend, a)->name,
		      OBJ(struct qs_config_backend, b)->name);
}

static bool interface_equal(const void *a, const void *b)
{
	return ((const struct qs_config_interface *)a)->mode ==
	       ((const struct qs_config_interface *)b)->mode;
}

/* Where it listens is the key; the group of a unix socket is all else. */
static bool listener_equal(const void *a, const void *b)
{
	return !strcmp(((const struct qs_config_listener *)a)->group,
		       ((const struct qs_config_listener *)b)->group);
}

static bool vip_equal(const void *a, const void *b)
{
	const struct qs_config_vip *x = a, *y = b;

	return addr_equal(&x->addr, &y->addr) && x->port == y->port && x->id == y->id &&
	       x->learn == y->learn && x->cid_len == y->cid_len &&
	       x->unknown_policy == y->unknown_policy && x->frag_policy == y->frag_policy &&
	       x->fwd_mode == y->fwd_mode && x->address_entry == y->address_entry;
}

static bool quiclb_equal(const void *a, const void *b)
{
	const struct qs_config_quiclb *x = a, *y = b;

	/* the keys too: a file rewritten in place is a change once read */
	return x->mode == y->mode && x->server_id_len == y->server_id_len &&
	       x->nonce_len == y->nonce_len && !strcmp(x->key_file, y->key_file) &&
	       x->has_key == y->has_key && !memcmp(x->key, y->key, sizeof(x->key));
}

static bool nexthop_equal(const void *a, const void *b)
{
	const struct qs_config_nexthop *x = a, *y = b;

	return !strcmp(x->dev, y->dev) && addr_equal(&x->gateway, &y->gateway) &&
	       !memcmp(x->lladdr, y->lladdr, sizeof(x->lladdr)) &&
	       x->src4_prefix_len == y->src4_prefix_len && x->src4 == y->src4 &&
	       !memcmp(&x->src6, &y->src6, sizeof(x->src6)) && x->ttl == y->ttl;
}

/* The same VIPs and server IDs, in any order. */
static bool backend_sets_equal(const struct qs_config_backend *x, const struct qs_config_backend *y)
{
	if (x->n_vips != y->n_vips || x->n_server_ids != y->n_server_ids)
		return false;
	for (size_t i = 0; i < x->n_vips; i++)
		if (!qs_config_backend_serves(y, x->vips[i]))
			return false;
	for (size_t i = 0; i < x->n_server_ids; i++) {
		const struct qs_config_server_id *s = &x->server_ids[i];
		bool found = false;

		for (size_t j = 0; j < y->n_server_ids && !found; j++) {
			const struct qs_config_server_id *t = &y->server_ids[j];

			found = !strcmp(s->vip, t->vip) && s->config_id == t->config_id &&
				s->len == t->len && !memcmp(s->sid, t->sid, sizeof(s->sid));
		}
		if (!found)
			return false;
	}
	return true;
}

static bool backend_equal(const void *a, const void *b)
{
	const struct qs_config_backend *x = a, *y = b;
	bool keys = x->key_file && y->key_file ? !strcmp(x->key_file, y->key_file) :
						 x->key_file == y->key_file;

	return keys && addr_equal(&x->addr, &y->addr) && x->id == y->id && x->weight == y->weight &&
	       x->state == y->state && x->max_ids == y->max_ids &&
	       !strcmp(x->nexthop, y->nexthop) &&
	       !memcmp(x->lladdr, y->lladdr, sizeof(x->lladdr)) && backend_sets_equal(x, y);
}

struct kind {
	size_t size; /* of one object */
	size_t arr, count; /* offsets of the array and its length in struct qs_config */
	int (*cmp)(const void *a, const void *b); /* by key */
	bool (*equal)(const void *a, const void *b); /* same key: anything else differ? */
};

#define KIND(type, arr_, count_, cmp_, equal_)                                            \
	{                                                                                 \
		.size = sizeof(type), .arr = offsetof(struct qs_config, arr_),            \
		.count = offsetof(struct qs_config, count_), .cmp = cmp_, .equal = equal_ \
	}

static const struct kind kinds[QS_CK__COUNT] = {
	[QS_CK_INTERFACE] = KIND(struct qs_config_interface, interfaces, n_interfaces,
				 interface_cmp, interface_equal),
	[QS_CK_LISTENER] = KIND(struct qs_config_listener, listeners, n_listeners, listener_cmp,
				listener_equal),
	[QS_CK_VIP] = KIND(struct qs_config_vip, vips, n_vips, vip_cmp, vip_equal),
	[QS_CK_QUICLB] =
		KIND(struct qs_config_quiclb, quiclbs, n_quiclbs, quiclb_cmp, quiclb_equal),
	[QS_CK_NEXTHOP] =
		KIND(struct qs_config_nexthop, nexthops, n_nexthops, nexthop_cmp, nexthop_equal),
	[QS_CK_BACKEND] =
		KIND(struct qs_config_backend, backends, n_backends, backend_cmp, backend_equal),
};

static const char *objects(const struct kind *k, const struct qs_config *cfg, size_t *n)
{
	*n = *(const size_t *)((const char *)cfg + k->count);
	return *(const char *const *)((const char *)cfg + k->arr);
}

/* Pointers to cfg's objects of kind k, sorted by key for bsearch. */
static const void **sorted_objects(const struct kind *k, const struct qs_config *cfg, size_t *n)
{
	const char *base = objects(k, cfg, n);
	const void **sorted = calloc(*n + 1, sizeof(*sorted));

	if (!sorted)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		sorted[i] = base + i * k->size;
	qsort(sorted, *n, sizeof(*sorted), k->cmp);
	return sorted;
}

static int add_delta(struct qs_config_diff *diff, __u32 kind, __u32 change, const void *old,
		     const void *new)
{
	size_t n = diff->n;

	if (n == 0 || (n >= 4 && !(n & (n - 1)))) {
		void *d = realloc(diff->deltas, (n < 4 ? 4 : 2 * n) * sizeof(*diff->deltas));

		if (!d)
			return -ENOMEM;
		diff->deltas = d;
	}
	diff->deltas[diff->n++] = (struct qs_config_delta){ kind, change, old, new };
	return 0;
}

/* DELs in the old file's order, then ADDs and MODs in the new file's. */
static int diff_kind(struct qs_config_diff *diff, __u32 kind, const struct qs_config *old,
		     const struct qs_config *new)
{
	const struct kind *k = &kinds[kind];
	const void **old_sorted, **new_sorted;
	size_t n_old, n_new;
	const char *base;
	int err = -ENOMEM;

	old_sorted = sorted_objects(k, old, &n_old);
	new_sorted = sorted_objects(k, new, &n_new);
	if (!old_sorted || !new_sorted)
		goto out;
	err = 0;
	base = objects(k, old, &n_old);
	for (size_t i = 0; i < n_old && !err; i++) {
		const void *o = base + i * k->size;

		if (!bsearch(&o, new_sorted, n_new, sizeof(*new_sorted), k->cmp))
			err = add_delta(diff, kind, QS_CHANGE_DEL, o, NULL);
	}
	base = objects(k, new, &n_new);
	for (size_t i = 0; i < n_new && !err; i++) {
		const void *n = base + i * k->size;
		const void **o = bsearch(&n, old_sorted, n_old, sizeof(*old_sorted), k->cmp);

		if (!o)
			err = add_delta(diff, kind, QS_CHANGE_ADD, NULL, n);
		else if (!k->equal(*o, n))
			err = add_delta(diff, kind, QS_CHANGE_MOD, *o, n);
	}
out:
	free(new_sorted);
	free(old_sorted);
	return err;
}

static bool settings_equal(const struct qs_config *a, const struct qs_config *b)
{
	return !strcmp(a->pin_dir, b->pin_dir) && !strcmp(a->control_socket, b->control_socket) &&
	       addr_equal(&a->metrics_addr, &b->metrics_addr) &&
	       a->metrics_port == b->metrics_port && a->learned_ttl_ms == b->learned_ttl_ms &&
	       a->flow_idle_ms == b->flow_idle_ms &&
	       a->heartbeat_timeout_ms == b->heartbeat_timeout_ms &&
	       a->sync_timeout_ms == b->sync_timeout_ms &&
	       a->report_window_ms == b->report_window_ms &&
	       a->report_accept_v1 == b->report_accept_v1 &&
	       a->backend_max_ids == b->backend_max_ids;
}

int qs_config_diff(const struct qs_config *old, const struct qs_config *new,
		   struct qs_config_diff *diff)
{
	int err = 0;

	memset(diff, 0, sizeof(*diff));
	for (__u32 kind = 0; kind < QS_CK__COUNT && !err; kind++)
		err = diff_kind(diff, kind, old, new);
	if (err) {
		qs_config_diff_free(diff);
		return err;
	}
	diff->settings_changed = !settings_equal(old, new);
	return 0;
}

void qs_config_diff_free(struct qs_config_diff *diff)
{
	free(diff->deltas);
	memset(diff, 0, sizeof(*diff));
}
