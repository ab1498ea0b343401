// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "apply.h"
#include "vipindex.h"
#include "util/log.h"
#include "maglev.h"
#include "maps.h"
#include "abi/quiclb.h"

/* The entries a configuration asks of qs_vips and qs_server_ids. */
struct vip_set {
	struct qs_vip_key keys[2 * QS_MAX_VIPS]; /* each VIP, and port 0 per address */
	struct qs_vip vals[2 * QS_MAX_VIPS];
	size_t n;
};

struct sid_set {
	struct qs_server_id_key *keys;
	__u32 *backends;
	size_t n;
};

static __u32 vip_id_of(const struct qs_config *cfg, const char *name)
{
	const struct qs_config_vip *v = qs_config_find_vip(cfg, name);

	return v ? v->id : QS_MAX_VIPS;
}

static __u8 quiclb_mask(const struct qs_config *cfg, const char *vip)
{
	__u8 mask = 0;

	for (size_t i = 0; i < cfg->n_quiclbs; i++)
		if (!strcmp(cfg->quiclbs[i].vip, vip))
			mask |= qs_quiclb_mask_bit(cfg->quiclbs[i].config_id);
	return mask;
}

static void vip_set_add(struct vip_set *s, const struct qs_vip_key *k, const struct qs_vip *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(&s->keys[i], k, sizeof(*k)))
			return; /* the first VIP of an address owns its port-0 entry */
	s->keys[s->n] = *k;
	s->vals[s->n++] = *v;
}

static void vip_set_build(const struct qs_config *cfg, struct vip_set *s)
{
	s->n = 0;
	for (size_t i = 0; cfg && i < cfg->n_vips; i++) {
		const struct qs_config_vip *cv = &cfg->vips[i];
		struct qs_vip v = {
			.vip_id = cv->id,
			.cid_len = cv->cid_len,
			.unknown_policy = cv->unknown_policy,
			.frag_policy = cv->frag_policy,
			.fwd_mode = cv->fwd_mode,
			.flags = (cv->learn ? QS_VIP_F_LEARN : 0) |
				 (cv->address_entry == QS_ADDRESS_ENTRY_HANDSHAKE ?
					  QS_VIP_F_ENTRY_AT_HANDSHAKE :
					  0),
			.quiclb_mask = quiclb_mask(cfg, cv->name),
		};
		struct qs_vip_key k;

		memset(&k, 0, sizeof(k));
		k.addr = cv->addr.addr;
		k.family = cv->addr.family;
		k.port = htons(cv->port);
		vip_set_add(s, &k, &v);
		k.port = 0;
		vip_set_add(s, &k, &v);
	}
}

static int sid_set_build(const struct qs_config *cfg, struct sid_set *s)
{
	size_t cap = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; cfg && i < cfg->n_backends; i++)
		cap += cfg->backends[i].n_server_ids;
	if (!cap)
		return 0;
	s->keys = calloc(cap, sizeof(*s->keys));
	s->backends = calloc(cap, sizeof(*s->backends));
	if (!s->keys || !s->backends)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_backends; i++) {
		const struct qs_config_backend *be = &cfg->backends[i];

		for (size_t j = 0; j < be->n_server_ids; j++) {
			const struct qs_config_server_id *sid = &be->server_ids[j];
			struct qs_server_id_key *k = &s->keys[s->n];

			memcpy(k->sid, sid->sid, sid->len);
			k->vip_id = vip_id_of(cfg, sid->vip);
			k->config_id = sid->config_id;
			k->sid_len = sid->len;
			s->backends[s->n++] = be->id;
		}
	}
	return 0;
}

static void sid_set_free(struct sid_set *s)
{
	free(s->keys);
	free(s->backends);
}

static int put(int fd, const void *key, const void *value, struct qs_apply_stats *st)
{
	if (bpf_map_update_elem(fd, key, value, BPF_ANY))
		return -errno;
	st->entries_written++;
	return 0;
}

static int del(int fd, const void *key, struct qs_apply_stats *st)
{
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return -errno;
	st->entries_removed++;
	return 0;
}

static int nexthop_entry(const struct qs_config *cfg, const struct qs_config_backend *be,
			 const struct qs_l2 *l2, struct qs_nexthop *nh)
{
	const struct qs_config_nexthop *c = qs_config_backend_nexthop(cfg, be);

	memset(nh, 0, sizeof(*nh));
	if (c) {
		nh->src4 = c->src4;
		nh->src4_flow_bits = c->src4_prefix_len ? 32 - c->src4_prefix_len : 0;
		nh->src6 = c->src6;
		nh->ttl = c->ttl;
	}
	if (l2 && l2->valid) {
		memcpy(nh->dmac, l2->dmac, 6);
		memcpy(nh->smac, l2->smac, 6);
		nh->tx_ifindex = l2->ifindex;
		nh->flags = QS_NEXTHOP_F_VALID;
	}
	return 0;
}

int qs_apply_nexthop(const struct qs_agent_maps *m, const struct qs_config *cfg,
		     const struct qs_config_backend *be, const struct qs_l2 *l2)
{
	struct qs_nexthop nh;
	__u32 ifindex = l2->ifindex;

	nexthop_entry(cfg, be, l2, &nh);
	/* a device to redirect to must be in the devmap first */
	if (l2->valid && ifindex && bpf_map_update_elem(m->tx_ports, &ifindex, &ifindex, BPF_ANY))
		return -errno;
	return qs_nexthop_put(m->nexthops, be->id, &nh);
}

/* What the data path needs of the configuration besides VIPs and backends. */
static int settings_write(const struct qs_agent_maps *m, const struct qs_config *cfg)
{
	struct qs_settings s = { .learned_ttl_ns = cfg->learned_ttl_ms * 1000000ull };
	__u32 zero = 0;

	return bpf_map_update_elem(m->settings, &zero, &s, BPF_ANY) ? -errno : 0;
}

static int backends_write(const struct qs_agent_maps *m, const struct qs_config *cfg, qs_l2_fn l2fn,
			  void *ctx, struct qs_apply_stats *st)
{
	for (size_t i = 0; i < cfg->n_backends; i++) {
		const struct qs_config_backend *cb = &cfg->backends[i];
		struct qs_backend be = {
			.addr = cb->addr.addr,
			.nexthop_id = cb->id,
			.family = cb->addr.family,
			.state = cb->state,
			.weight = cb->weight,
		};
		struct qs_l2 l2 = { 0 };
		int err;

		/* unresolved is not an error: counted as drop_no_nexthop until it is */
		if (l2fn && l2fn(ctx, cfg, cb, &l2))
			l2.valid = 0;
		err = qs_apply_nexthop(m, cfg, cb, &l2) ?: put(m->backends, &cb->id, &be, st);
		if (err) {
			pr_warn("backend %s: cannot write its entries: %s\n", cb->name,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

static int quiclb_write(const struct qs_agent_maps *m, const struct qs_config *cfg,
			const struct qs_config *prev, struct qs_apply_stats *st)
{
	struct qs_quiclb_config none = { 0 };
	int err;

	for (size_t i = 0; i < cfg->n_quiclbs; i++) {
		const struct qs_config_quiclb *q = &cfg->quiclbs[i];
		struct qs_quiclb_config c = {
			.mode = q->mode,
			.server_id_len = q->server_id_len,
			.nonce_len = q->nonce_len,
		};

		if (q->has_key)
			memcpy(c.key, q->key, sizeof(c.key));
		/* the round keys first: the data path never sees a configuration without them */
		err = qs_quiclb_rk_put(m->quiclb_rk, vip_id_of(cfg, q->vip), q->config_id, q->has_key ? q->key : NULL) ?:
			      qs_quiclb_put(m->quiclb, vip_id_of(cfg, q->vip), q->config_id, &c);
		explicit_bzero(c.key, sizeof(c.key));
		if (err)
			return err;
		st->entries_written++;
	}
	for (size_t i = 0; prev && i < prev->n_quiclbs; i++) {
		const struct qs_config_quiclb *q = &prev->quiclbs[i];
		__u32 vip_id = vip_id_of(prev, q->vip);
		const struct qs_config_quiclb *now =
			qs_config_find_quiclb(cfg, q->vip, q->config_id);

		if (now && vip_id_of(cfg, q->vip) == vip_id)
			continue;
		err = qs_quiclb_put(m->quiclb, vip_id, q->config_id, &none) ?:
			      qs_quiclb_rk_put(m->quiclb_rk, vip_id, q->config_id, NULL);
		if (err)
			return err;
		st->entries_removed++;
	}
	return 0;
}

/*
 * Once the server IDs are written: every encrypted configuration's round
 * keys again, a generation on, so that no ID decoded and cached before
 * the change routes by what it changed (a server ID moved, a backend gone).
 */
static int quiclb_cache_expire(const struct qs_agent_maps *m, const struct qs_config *cfg)
{
	for (size_t i = 0; i < cfg->n_quiclbs; i++) {
		const struct qs_config_quiclb *q = &cfg->quiclbs[i];
		int err;

		if (!q->has_key)
			continue;
		err = qs_quiclb_rk_put(m->quiclb_rk, vip_id_of(cfg, q->vip), q->config_id, q->key);
		if (err)
			return err;
	}
	return 0;
}

struct row_load {
	__u32 *row;
	__u32 first;
};

static int row_slot(void *ctx, const void *key, const void *value)
{
	struct row_load *l = ctx;
	__u32 k = *(const __u32 *)key;

	if (k >= l->first + QS_MAGLEV_SIZE)
		return 1;
	if (k >= l->first)
		l->row[k - l->first] = *(const __u32 *)value;
	return 0;
}

/* A row as the map holds it (an agent restart), read in batches. */
static int maglev_row_load(int fd, __u32 vip_id, __u32 *row)
{
	struct row_load l = { row, qs_maglev_index(vip_id, 0) };
	__u32 before = l.first - 1;
	int err = qs_map_scan_after(fd, sizeof(__u32), sizeof(__u32), l.first ? &before : NULL,
				    row_slot, &l);

	return err < 0 ? err : 0;
}

static __u32 slots_used(const __u32 *row)
{
	__u32 n = 0;

	for (__u32 s = 0; s < QS_MAGLEV_SIZE; s++)
		n += row[s] != QS_NO_BACKEND;
	return n;
}

__u64 qs_maglev_rows_used(const struct qs_maglev_rows *rows)
{
	__u64 n = 0;

	for (size_t i = 0; i < QS_MAX_VIPS; i++)
		n += rows->used[i];
	return n;
}

/* Rebuilds row vip_id for its members (none: the row names no backend). */
static int maglev_write(const struct qs_agent_maps *m, const struct qs_config *cfg,
			const struct qs_config_vip *vip, __u32 vip_id, struct qs_maglev_rows *rows,
			struct qs_apply_stats *st)
{
	struct qs_maglev_member *members = calloc(cfg->n_backends + 1, sizeof(*members));
	__u32 *table = calloc(QS_MAGLEV_SIZE, sizeof(*table));
	size_t n = 0;
	int err = -ENOMEM;

	if (!members || !table)
		goto out;
	for (size_t i = 0; vip && i < cfg->n_backends; i++) {
		const struct qs_config_backend *be = &cfg->backends[i];

		if (!qs_config_backend_serves(be, vip->name))
			continue;
		members[n].backend_id = be->id;
		/* draining and down backends keep their flows, get no new ones */
		members[n++].weight = be->state == QS_BACKEND_ACTIVE ? be->weight : 0;
	}
	err = qs_maglev_build(members, n, table, QS_MAGLEV_SIZE);
	if (err)
		goto out;
	if (!rows->row[vip_id]) {
		rows->row[vip_id] = calloc(QS_MAGLEV_SIZE, sizeof(__u32));
		err = rows->row[vip_id] ? maglev_row_load(m->maglev, vip_id, rows->row[vip_id]) :
					  -ENOMEM;
		if (err)
			goto out;
	}
	err = qs_maglev_write(m->maglev, vip_id, rows->row[vip_id], table, QS_MAGLEV_SIZE);
	if (err >= 0) {
		st->slots_written += err;
		memcpy(rows->row[vip_id], table, QS_MAGLEV_SIZE * sizeof(*table));
		rows->used[vip_id] = slots_used(table);
		err = 0;
	}
out:
	free(members);
	free(table);
	return err;
}

static int vips_write(const struct qs_agent_maps *m, const struct vip_set *now,
		      struct qs_apply_stats *st)
{
	int err;

	for (size_t i = 0; i < now->n; i++) {
		err = put(m->vips, &now->keys[i], &now->vals[i], st);
		if (err)
			return err;
	}
	return 0;
}

static int sids_write(const struct qs_agent_maps *m, const struct sid_set *now,
		      struct qs_apply_stats *st)
{
	int err;

	for (size_t i = 0; i < now->n; i++) {
		err = put(m->server_ids, &now->keys[i], &now->backends[i], st);
		if (err)
			return err;
	}
	return 0;
}

/* What prev's sets had and now's have not goes, VIPs first. */
static int stale_remove(const struct qs_agent_maps *m, const struct vip_set *pv,
			const struct vip_set *nv, const struct sid_set *ps,
			const struct sid_set *ns, struct qs_apply_stats *st)
{
	int err;

	for (size_t i = 0; i < pv->n; i++) {
		size_t j = 0;

		while (j < nv->n && memcmp(&pv->keys[i], &nv->keys[j], sizeof(pv->keys[i])))
			j++;
		if (j == nv->n && (err = del(m->vips, &pv->keys[i], st)))
			return err;
	}
	for (size_t i = 0; i < ps->n; i++) {
		size_t j = 0;

		while (j < ns->n && memcmp(&ps->keys[i], &ns->keys[j], sizeof(ps->keys[i])))
			j++;
		if (j == ns->n && (err = del(m->server_ids, &ps->keys[i], st)))
			return err;
	}
	return 0;
}

/* Maglev rows of every VIP now, and emptied rows of VIP ids no longer used. */
static int rows_write(const struct qs_agent_maps *m, const struct qs_config *cfg,
		      const struct qs_config *prev, struct qs_maglev_rows *rows,
		      struct qs_apply_stats *st)
{
	int err;

	for (size_t i = 0; i < cfg->n_vips; i++) {
		err = maglev_write(m, cfg, &cfg->vips[i], cfg->vips[i].id, rows, st);
		if (err)
			return err;
	}
	for (size_t i = 0; prev && i < prev->n_vips; i++) {
		__u32 id = prev->vips[i].id;
		int used = 0;

		for (size_t j = 0; j < cfg->n_vips; j++)
			used |= cfg->vips[j].id == id;
		if (!used && (err = maglev_write(m, cfg, NULL, id, rows, st)))
			return err;
	}
	return 0;
}

/* Backends prev had and cfg has not: no row names them any more. */
static int backends_remove(const struct qs_agent_maps *m, const struct qs_config *cfg,
			   const struct qs_config *prev, struct qs_apply_stats *st)
{
	struct qs_backend none_be = { 0 };
	struct qs_nexthop none_nh = { 0 };
	int err;

	for (size_t i = 0; prev && i < prev->n_backends; i++) {
		__u32 id = prev->backends[i].id;

		if (qs_config_find_backend_id(cfg, id))
			continue;
		err = put(m->backends, &id, &none_be, st) ?: put(m->nexthops, &id, &none_nh, st);
		if (err)
			return err;
	}
	return 0;
}

int qs_apply(const struct qs_agent_maps *m, const struct qs_config *cfg,
	     const struct qs_config *prev, qs_l2_fn l2, void *l2_ctx, struct qs_maglev_rows *rows,
	     struct qs_apply_stats *stats)
{
	struct vip_set *nv = calloc(1, sizeof(*nv)), *pv = calloc(1, sizeof(*pv));
	struct sid_set ns, ps;
	int err = -ENOMEM;

	memset(&ns, 0, sizeof(ns));
	memset(&ps, 0, sizeof(ps));
	if (!nv || !pv)
		goto out;
	vip_set_build(cfg, nv);
	vip_set_build(prev, pv);
	err = sid_set_build(cfg, &ns) ?: sid_set_build(prev, &ps);
	if (err)
		goto out;
	err = settings_write(m, cfg);
	err = err ?: backends_write(m, cfg, l2, l2_ctx, stats);
	err = err ?: quiclb_write(m, cfg, prev, stats);
	err = err ?: sids_write(m, &ns, stats);
	err = err ?: rows_write(m, cfg, prev, rows, stats);
	err = err ?: vips_write(m, nv, stats);
	err = err ?: stale_remove(m, pv, nv, &ps, &ns, stats);
	err = err ?: qs_vip_index_sync(m->vips, m->vip_index);
	err = err ?: backends_remove(m, cfg, prev, stats);
	err = err ?: quiclb_cache_expire(m, cfg);
	if (err)
		pr_warn("configuration: cannot write the maps: %s\n", strerror(-err));
out:
	sid_set_free(&ns);
	sid_set_free(&ps);
	free(nv);
	free(pv);
	return err;
}

void qs_maglev_rows_free(struct qs_maglev_rows *rows)
{
	for (size_t i = 0; i < QS_MAX_VIPS; i++) {
		free(rows->row[i]);
		rows->row[i] = NULL;
		rows->used[i] = 0;
	}
}
