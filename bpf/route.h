/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The decision ladder (DESIGN.md, data path step 2). First match wins and
 * every rung sets its own reason:
 *   a. QUIC-LB server ID   b. connection-ID table   c. address table
 *   d. Maglev for a new connection   e. unknown ID: the VIP's policy
 */
#ifndef QS_BPF_ROUTE_H
#define QS_BPF_ROUTE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "quicsteer/abi.h"
#include "quicsteer/flowhash.h"
#include "quicsteer/quicver.h"
#include "maps.h"
#include "parse.h"
#include "quic.h"
#include "stats.h"

/* Address entries are refreshed by ID-table hits at most this often. */
#define FLOW_REFRESH_NS 1000000000ull

struct route {
	struct qs_cid_key cid;
	struct qs_flow_key flow;
	const struct qs_vip *vip;
	__u32 hash; /* qs_flow_hash of the client address and port */
	__u32 backend_id;
	__u32 reason;
};

static __always_inline __u32 maglev_pick(__u32 vip_id, __u32 hash)
{
	__u32 idx = vip_id * QS_MAGLEV_SIZE + hash % QS_MAGLEV_SIZE;
	__u32 *backend_id;

	if (vip_id >= QS_MAX_VIPS)
		return QS_NO_BACKEND;
	backend_id = bpf_map_lookup_elem(&qs_maglev, &idx);
	return backend_id ? *backend_id : QS_NO_BACKEND;
}

static __always_inline const struct qs_quiclb_config *quiclb_config(const struct qs_vip *vip,
								    __u8 dcid0)
{
	__u32 config_id = dcid0 >> 5;
	__u32 idx;

	if (!(vip->quiclb_mask & (1u << config_id)) || config_id >= QS_QUICLB_CONFIGS)
		return NULL;
	idx = vip->vip_id * QS_QUICLB_CONFIGS + config_id;
	return bpf_map_lookup_elem(&qs_quiclb, &idx);
}

static __always_inline __u32 quiclb_cid_len(const struct qs_quiclb_config *cfg)
{
	return 1 + cfg->server_id_len + cfg->nonce_len;
}

/*
 * Short headers do not carry the DCID length: a QUIC-LB configuration
 * selected by the first byte gives it, otherwise the VIP's configured length.
 */
static __always_inline int short_dcid_len(struct xdp_md *ctx, const struct pkt *p,
					  struct quic *q, const struct qs_vip *vip)
{
	const struct qs_quiclb_config *cfg;
	__u32 avail = p->payload_len - 1;
	__u8 dcid0;

	q->dcid_len = vip->cid_len;
	if (vip->quiclb_mask && avail > 0) {
		if (bpf_xdp_load_bytes(ctx, q->dcid_off, &dcid0, 1))
			return -1;
		cfg = quiclb_config(vip, dcid0);
		if (cfg && cfg->mode != QS_QUICLB_NONE)
			q->dcid_len = quiclb_cid_len(cfg);
	}
	return q->dcid_len > avail ? -1 : 0;
}

/* Rung a. Only plaintext server IDs are decoded so far. */
static __always_inline int route_quiclb(struct route *r)
{
	const struct qs_quiclb_config *cfg;
	struct qs_server_id_key sk;
	__u32 *backend_id;
	__u32 sid_len;

	if (!r->vip->quiclb_mask || r->cid.cid_len == 0)
		return 0;
	cfg = quiclb_config(r->vip, r->cid.cid[0]);
	if (!cfg || cfg->mode != QS_QUICLB_PLAINTEXT || r->cid.cid_len != quiclb_cid_len(cfg))
		return 0;
	sid_len = cfg->server_id_len;
	if (sid_len < 1 || sid_len > QS_QUICLB_SID_MAX)
		return 0;
	__builtin_memset(&sk, 0, sizeof(sk));
	sk.vip_id = r->vip->vip_id;
	sk.config_id = r->cid.cid[0] >> 5;
	sk.sid_len = sid_len;
#pragma unroll
	for (int i = 0; i < QS_QUICLB_SID_MAX; i++)
		if (i < sid_len)
			sk.sid[i] = r->cid.cid[1 + i];
	backend_id = bpf_map_lookup_elem(&qs_server_ids, &sk);
	if (!backend_id)
		return 0;
	r->backend_id = *backend_id;
	r->reason = QS_R_ROUTE_QUICLB;
	return 1;
}

/*
 * A client address whose packets reach two backends carries two
 * connections on one socket: mark its address entry so that the fallback
 * never guesses between them. Also keeps the entry of an active connection
 * from looking idle to the agent.
 */
static __always_inline void flow_note_routed(struct route *r)
{
	struct qs_flow *f = bpf_map_lookup_elem(&qs_flows, &r->flow);
	__u64 now;

	if (!f)
		return;
	if (f->backend_id != r->backend_id) {
		if (!(f->flags & QS_FLOW_F_AMBIGUOUS)) {
			f->flags |= QS_FLOW_F_AMBIGUOUS;
			aux_count(QS_AUX_FLOW_MARKED_AMBIGUOUS);
		}
		return;
	}
	now = bpf_ktime_get_ns();
	if (now - f->last_seen_ns > FLOW_REFRESH_NS)
		f->last_seen_ns = now;
}

/* Rung b. */
static __always_inline int route_cid(struct route *r)
{
	struct qs_cid_entry *e;

	if (r->cid.cid_len == 0)
		return 0;
	e = bpf_map_lookup_elem(&qs_cids, &r->cid);
	if (!e)
		return 0;
	r->backend_id = e->backend_id;
	r->reason = e->kind == QS_CID_LEARNED ? QS_R_ROUTE_CID_LEARNED : QS_R_ROUTE_CID;
	return 1;
}

static __always_inline void cid_learn(struct route *r)
{
	struct qs_cid_entry e = {
		.updated_ns = bpf_ktime_get_ns(),
		.backend_id = r->backend_id,
		.kind = QS_CID_LEARNED,
	};

	if (!(r->vip->flags & QS_VIP_F_LEARN) || r->cid.cid_len == 0) {
		r->reason = QS_R_ROUTE_FLOW_NOLEARN;
		return;
	}
	/* NOEXIST: never overwrite an authoritative entry written meanwhile. */
	if (bpf_map_update_elem(&qs_cids, &r->cid, &e, BPF_NOEXIST) == 0) {
		r->reason = QS_R_ROUTE_FLOW_LEARN;
		event_emit(QS_EV_LEARNED_CID, r->vip->vip_id, r->backend_id, &r->flow, &r->cid);
		return;
	}
	aux_count(QS_AUX_LEARN_FAILED);
	r->reason = QS_R_ROUTE_FLOW_NOLEARN;
}

/* Rung d: a new connection. */
static __always_inline void route_new(struct route *r, int record)
{
	struct qs_flow f = { 0 };

	r->backend_id = maglev_pick(r->vip->vip_id, r->hash);
	r->reason = QS_R_ROUTE_NEW;
	if (r->backend_id == QS_NO_BACKEND) {
		r->reason = QS_R_DROP_NO_BACKEND;
		return;
	}
	if (!record)
		return;
	f.backend_id = r->backend_id;
	f.last_seen_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&qs_flows, &r->flow, &f, BPF_ANY);
	event_emit(QS_EV_NEW_FLOW, r->vip->vip_id, r->backend_id, &r->flow, &r->cid);
}

/* Rung e. */
static __always_inline void route_unknown(struct route *r, int ambiguous)
{
	if (r->vip->unknown_policy == QS_UNKNOWN_HASH) {
		r->backend_id = maglev_pick(r->vip->vip_id, r->hash);
		r->reason = r->backend_id == QS_NO_BACKEND ? QS_R_DROP_NO_BACKEND :
							     QS_R_ROUTE_UNKNOWN_HASH;
		return;
	}
	r->backend_id = QS_NO_BACKEND;
	r->reason = ambiguous ? QS_R_DROP_AMBIGUOUS : QS_R_DROP_UNKNOWN_CID;
	event_emit(QS_EV_UNKNOWN_CID, r->vip->vip_id, QS_NO_BACKEND, &r->flow, &r->cid);
}

/* Rungs c to e, once the DCID is known to be neither QUIC-LB nor in the table. */
static __always_inline void route_by_address(struct route *r, const struct quic *q)
{
	int starts = q->is_long && qs_long_type_starts_connection(q->long_type);
	struct qs_flow *f = bpf_map_lookup_elem(&qs_flows, &r->flow);
	int ambiguous = f && (f->flags & QS_FLOW_F_AMBIGUOUS);

	if (f && !ambiguous) {
		r->backend_id = f->backend_id;
		f->last_seen_ns = bpf_ktime_get_ns();
		if (starts)
			r->reason = QS_R_ROUTE_FLOW;
		else
			cid_learn(r);
		return;
	}
	if (starts)
		route_new(r, !ambiguous);
	else
		route_unknown(r, ambiguous);
}

/* Version Negotiation and unknown versions: by address, never recorded. */
static __always_inline void route_version(struct route *r)
{
	struct qs_flow *f = bpf_map_lookup_elem(&qs_flows, &r->flow);

	if (f && !(f->flags & QS_FLOW_F_AMBIGUOUS)) {
		r->backend_id = f->backend_id;
		r->reason = QS_R_ROUTE_VERSION;
		return;
	}
	route_new(r, 0);
	if (r->reason == QS_R_ROUTE_NEW)
		r->reason = QS_R_ROUTE_VERSION;
}

static __always_inline void route_init(struct route *r, const struct pkt *p,
				       const struct qs_vip *vip)
{
	__builtin_memset(&r->flow, 0, sizeof(r->flow));
	r->flow.addr = p->saddr;
	r->flow.vip_id = vip->vip_id;
	r->flow.port = p->sport;
	r->flow.family = p->family;
	__builtin_memset(&r->cid, 0, sizeof(r->cid));
	r->cid.vip_id = vip->vip_id;
	r->vip = vip;
	r->hash = qs_flow_hash(p->saddr.addr, p->sport);
	r->backend_id = QS_NO_BACKEND;
}

/* The ladder for a parsed QUIC header whose DCID is in r->cid. */
static __always_inline void route_quic(struct route *r, const struct quic *q)
{
	if (q->is_long && q->long_type == QS_LT_UNKNOWN_VERSION) {
		route_version(r);
		return;
	}
	if (route_quiclb(r) || route_cid(r)) {
		flow_note_routed(r);
		return;
	}
	route_by_address(r, q);
}

#endif /* QS_BPF_ROUTE_H */
