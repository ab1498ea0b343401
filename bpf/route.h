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
#include "abi/abi.h"
#include "abi/flowhash.h"
#include "abi/quiclb.h"
#include "abi/quicver.h"
#include "maps.h"
#include "parse.h"
#include "quic.h"
#include "quiclb.h"
#include "stats.h"

static __always_inline __u64 learned_ttl_ns(void)
{
	__u32 zero = 0;
	struct qs_settings *s = bpf_map_lookup_elem(&qs_settings, &zero);

	return s && s->learned_ttl_ns ? s->learned_ttl_ns : QS_DEFAULT_LEARNED_TTL_NS;
}

/*
 * An ID-table hit from the address it came from last time consults the
 * address table at most once in this many coarse seconds (2^30 ns): enough
 * to keep an active connection's address entry from looking idle (the
 * agent expires entries no sooner than 120 s idle, config_check.c), rare
 * enough that a hit costs the ID's own cache line and nothing else.
 */
#define PATH_REFRESH_S 32

struct route {
	struct qs_cid_key cid;
	struct qs_flow_key flow;
	const struct qs_vip *vip;
	const struct qs_quiclb_config *lb; /* selected by the DCID's first byte */
	int lb_known; /* lb is valid (NULL: no configuration applies) */
	__u32 hash; /* qs_flow_hash of the client address and port */
	int learned_stale; /* qs_learned holds the DCID, past its TTL */
	__u32 backend_id;
	__u32 reason;
};

static __always_inline __u32 maglev_pick(__u32 vip_id, __u32 hash)
{
	__u32 idx = qs_maglev_index(vip_id, qs_maglev_slot(hash));
	__u32 *backend_id;

	if (vip_id >= QS_MAX_VIPS)
		return QS_NO_BACKEND;
	backend_id = bpf_map_lookup_elem(&qs_maglev, &idx);
	return backend_id ? *backend_id : QS_NO_BACKEND;
}

static __always_inline const struct qs_quiclb_config *quiclb_config(const struct qs_vip *vip,
								    __u8 dcid0)
{
	__u32 idx;

	if (qs_quiclb_select(vip->vip_id, vip->quiclb_mask, dcid0, &idx))
		return NULL;
	return bpf_map_lookup_elem(&qs_quiclb, &idx);
}

/* The short-header DCID length (abi/quiclb.h), once the first byte is read. */
static __always_inline int short_dcid_len(struct route *r, const struct pkt *p, struct quic *q,
					  void *data, void *data_end)
{
	const struct qs_quiclb_config *cfg = NULL;
	__u8 *dcid0 = data + (q->dcid_off & 0xffff);
	__u32 avail = p->payload_len - 1;

	if (r->vip->quiclb_mask && avail > 0) {
		if ((void *)(dcid0 + 1) > data_end)
			return -1;
		cfg = quiclb_config(r->vip, *dcid0);
		if (cfg && !qs_quiclb_config_usable(cfg))
			cfg = NULL;
	}
	q->dcid_len = qs_short_dcid_len(r->vip->cid_len, cfg);
	r->lb = cfg;
	r->lb_known = 1;
	return q->dcid_len > avail ? -1 : 0;
}

/*
 * Rung a for an encrypted configuration: the ID from the cache, else
 * decrypted (bpf/quiclb.h); one whose server ID is configured is cached
 * under its configuration's generation. 1 when routed.
 */
static __always_inline int route_quiclb_encrypted(struct route *r,
						  const struct qs_quiclb_config *cfg)
{
	struct qs_quiclb_cached *c, fresh;
	const struct qs_quiclb_rk *rk;
	struct qs_server_id_key sk;
	__u32 idx, *backend_id;

	if (r->cid.cid_len != qs_quiclb_cid_len(cfg->server_id_len, cfg->nonce_len) ||
	    qs_quiclb_select(r->vip->vip_id, r->vip->quiclb_mask, r->cid.cid[0], &idx))
		return 0;
	rk = bpf_map_lookup_elem(&qs_quiclb_rk, &idx);
	if (!rk)
		return 0;
	c = bpf_map_lookup_elem(&qs_quiclb_cache, &r->cid);
	if (c && c->gen == rk->gen) {
		aux_count(QS_AUX_QUICLB_CACHED);
		r->backend_id = c->backend_id;
		r->reason = QS_R_ROUTE_QUICLB;
		return 1;
	}
	aux_count(QS_AUX_QUICLB_DECRYPTED);
	if (qs_quiclb_decrypt_key(&r->cid, cfg, rk, &sk))
		return 0;
	backend_id = bpf_map_lookup_elem(&qs_server_ids, &sk);
	if (!backend_id)
		return 0;
	fresh.backend_id = *backend_id;
	fresh.gen = rk->gen;
	bpf_map_update_elem(&qs_quiclb_cache, &r->cid, &fresh, BPF_ANY);
	r->backend_id = fresh.backend_id;
	r->reason = QS_R_ROUTE_QUICLB;
	return 1;
}

/* Rung a: plaintext server IDs read, encrypted ones decrypted. */
static __always_inline int route_quiclb(struct route *r)
{
	const struct qs_quiclb_config *cfg;
	struct qs_server_id_key sk;
	__u32 *backend_id;
	__u32 sid_len;

	if (!r->vip->quiclb_mask || r->cid.cid_len == 0)
		return 0;
	cfg = r->lb_known ? r->lb : quiclb_config(r->vip, r->cid.cid[0]);
	if (!cfg)
		return 0;
	if (cfg->mode != QS_QUICLB_PLAINTEXT)
		return route_quiclb_encrypted(r, cfg);
	sid_len = qs_quiclb_plaintext_sid_len(cfg, r->cid.cid_len);
	if (!sid_len)
		return 0;
	qs_quiclb_server_id_key(&r->cid, sid_len, &sk);
	backend_id = bpf_map_lookup_elem(&qs_server_ids, &sk);
	if (!backend_id)
		return 0;
	r->backend_id = *backend_id;
	r->reason = QS_R_ROUTE_QUICLB;
	return 1;
}

/*
 * Two address tables. An Initial opens its entry in qs_flows_new: anyone
 * can forge an Initial from any source, so a flood of them evicts only
 * other entries no reported ID has vouched for. An ID of qs_cidtab (a
 * backend issued it: the sender has heard from the backend) seen from an
 * address moves its entry to qs_flows_v2, the established table, or opens
 * one there; a learned ID, the client's own word, opens one only in
 * qs_flows_new. Each ID opens at most one entry a second
 * (path_may_open), so forged sources on a known ID fill neither table
 * faster than that. For a packet, an address's established entry is its
 * entry; the other table speaks only where there is none, or for the
 * Initial of the connection that opened it there.
 *
 * The address table follows the paths of connections routed by ID: a new
 * client address gets an entry for the connection's backend, so a later
 * Initial from the same socket joins it and an unknown ID from it is
 * learned for the right backend. An address whose packets reach two
 * backends carries two connections on one socket: its entry is marked so
 * that the fallback never guesses between them.
 */
/*
 * The address's entry, and in *fresh its qs_flows_new one. Where both
 * tables hold the address for different backends, an older connection is
 * established there and a newer one (a reused client port, or an Initial
 * forged from the address) has only just begun: *disagree says so, and the
 * address routes neither's unknown IDs.
 */
static __always_inline struct qs_flow *flow_lookup(struct route *r, struct qs_flow **fresh,
						   int *disagree)
{
	struct qs_flow *est = bpf_map_lookup_elem(&qs_flows_v2, &r->flow);

	*fresh = bpf_map_lookup_elem(&qs_flows_new, &r->flow);
	*disagree = est && *fresh && est->backend_id != (*fresh)->backend_id;
	return est ? est : *fresh;
}

/* The ID of path p opens an address entry now, unless it opened one this second. */
static __always_inline int path_may_open(struct qs_cid_path *p, __u64 now)
{
	__u16 s = now >> 30;

	/* 0: never, as the agent writes entries (second 0 of every 2^16 has no cap) */
	if (s && p->opened_s == s) {
		aux_count(QS_AUX_PATH_CAPPED);
		return 0;
	}
	p->opened_s = s;
	return 1;
}

/* A packet of the ID's backend seen from the address of entry f. */
static __always_inline void flow_seen(struct qs_flow *f, struct route *r, __u64 now)
{
	if (f->backend_id != r->backend_id) {
		if (!qs_flow_ambiguous(f, now))
			aux_count(QS_AUX_FLOW_MARKED_AMBIGUOUS);
		f->flags |= QS_FLOW_F_AMBIGUOUS;
		f->ambiguous_s = now >> 30;
		return;
	}
	f->last_seen_ns = now;
}

static __always_inline void flow_note_path(struct route *r, struct qs_cid_path *e, __u64 now,
					   int reported)
{
	struct qs_flow *est = bpf_map_lookup_elem(&qs_flows_v2, &r->flow);
	struct qs_flow *fresh, f = { .last_seen_ns = now, .backend_id = r->backend_id };

	if (est) {
		flow_seen(est, r, now);
		return;
	}
	fresh = bpf_map_lookup_elem(&qs_flows_new, &r->flow);
	if (fresh && (!reported || fresh->backend_id != r->backend_id)) {
		flow_seen(fresh, r, now);
		return;
	}
	if (!path_may_open(e, now))
		return;
	if (fresh) {
		/* vouched for: moved, with its Initial's tags and its marks */
		f = *fresh;
		f.last_seen_ns = now;
		bpf_map_update_elem(&qs_flows_v2, &r->flow, &f, BPF_NOEXIST);
		bpf_map_delete_elem(&qs_flows_new, &r->flow);
		aux_count(QS_AUX_FLOW_PROMOTED);
		return;
	}
	if (reported)
		bpf_map_update_elem(&qs_flows_v2, &r->flow, &f, BPF_NOEXIST);
	else
		bpf_map_update_elem(&qs_flows_new, &r->flow, &f, BPF_NOEXIST);
}

/*
 * On an ID-table hit: the address table is consulted only when the ID
 * arrives from another address than last time, or every PATH_REFRESH_S
 * (which keeps an active connection's address entry from looking idle).
 */
static __always_inline void cid_note_path(struct route *r, struct qs_cid_path *e)
{
	__u64 now = qs_now_ns();
	__u16 now_s = now >> 30; /* about a second, without a division */

	if (e->hash == (__u16)r->hash && (__u16)(now_s - e->checked_s) < PATH_REFRESH_S)
		return;
	e->hash = r->hash;
	e->checked_s = now_s;
	flow_note_path(r, e, now, r->reason == QS_R_ROUTE_CID);
}

/*
 * Rung b, reported and operator IDs: qs_cidtab (abi/cidtab.h), the ID's
 * first bucket, and its second only where the first says some of its IDs
 * live there. The path state of the ID's slot, or NULL.
 */
static __always_inline struct qs_cid_path *route_cidtab(struct route *r)
{
	const struct qs_cidtab_head *head;
	struct qs_cidtab_bucket *b;
	__u32 idx = 0, first, buckets;
	__u64 h, fp;
	int s;

	head = bpf_map_lookup_elem(&qs_cidtab, &idx);
	if (!head || head->magic != QS_CIDTAB_MAGIC)
		return NULL;
	buckets = head->buckets;
	if (buckets < QS_CIDTAB_MIN_BUCKETS || buckets > QS_CIDTAB_MAX_BUCKETS)
		return NULL;
	h = qs_cidtab_hash(head->key, &r->cid);
	fp = qs_cidtab_fp(h);
	first = qs_cidtab_first(h, buckets);
	idx = 1 + first;
	b = bpf_map_lookup_elem(&qs_cidtab, &idx);
	if (!b)
		return NULL;
	s = qs_cidtab_bucket_find(b, fp);
	if (s < 0) {
		if (!b->displaced)
			return NULL;
		idx = 1 + qs_cidtab_other(first, fp, buckets);
		b = bpf_map_lookup_elem(&qs_cidtab, &idx);
		if (!b)
			return NULL;
		s = qs_cidtab_bucket_find(b, fp);
		if (s < 0)
			return NULL;
	}
	s &= QS_CIDTAB_SLOTS - 1;
	r->backend_id = qs_cidtab_word_backend(b->slot[s]);
	r->reason = QS_R_ROUTE_CID;
	return &b->path[s];
}

/*
 * Rung b: reported and operator IDs, then learned ones. An Initial or a
 * 0-RTT packet skips the learned ones on every VIP: its DCID is the one
 * the client chose (RFC 9000, 7.2) until the server's first Initial
 * reaches it, then the server's first ID, which nothing learns before a
 * short header carries it, and which goes where the connection's address
 * entry or Maglev sends it anyway. The lookup always missed, and missed
 * cold: a new connection paid a cache miss for it. Any long header on an
 * address-entry handshake VIP skips them: there it learns nothing itself
 * (route_handshake_hash), and an ID a short header learned through an
 * older connection's address entry (a reused port) would send it after
 * that connection; it goes to Maglev as its Initial did.
 */
static __always_inline struct qs_cid_path *route_cid(struct route *r, const struct quic *q)
{
	struct qs_cid_entry *e;
	struct qs_cid_path *p;

	if (r->cid.cid_len == 0)
		return NULL;
	p = route_cidtab(r);
	if (p)
		return p;
	if (q->is_long && (q->long_type == QS_LT_INITIAL || q->long_type == QS_LT_0RTT ||
			   (r->vip->flags & QS_VIP_F_ENTRY_AT_HANDSHAKE)))
		return NULL;
	e = bpf_map_lookup_elem(&qs_learned, &r->cid);
	if (!e)
		return NULL;
	/* Expired by age here, so no learned ID outlives its TTL even when the
	 * agent is behind or never heard of it (a lost ring-buffer record). */
	if (qs_now_ns() - e->created_ns > learned_ttl_ns()) {
		r->learned_stale = 1;
		return NULL;
	}
	r->backend_id = e->backend_id;
	r->reason = QS_R_ROUTE_CID_LEARNED;
	return &e->path;
}

/*
 * An unknown DCID from an address entry: learned for the entry's backend,
 * into qs_learned, at most QS_FLOW_LEARN_MAX per entry. A stale learned
 * entry of the same ID is replaced; a live one is never overwritten (an
 * address does not get to move another's ID).
 */
static __always_inline void cid_learn(struct route *r, struct qs_flow *f)
{
	__u64 now = qs_now_ns();
	struct qs_cid_entry e = {
		.created_ns = now,
		.backend_id = r->backend_id,
		.path = { .hash = r->hash, .checked_s = now >> 30 },
		.kind = QS_CID_LEARNED,
	};

	if (!(r->vip->flags & QS_VIP_F_LEARN) || r->cid.cid_len == 0) {
		r->reason = QS_R_ROUTE_FLOW_NOLEARN;
		return;
	}
	if (f->learned >= QS_FLOW_LEARN_MAX) {
		aux_count(QS_AUX_LEARN_CAPPED);
		r->reason = QS_R_ROUTE_FLOW_NOLEARN;
		return;
	}
	if (bpf_map_update_elem(&qs_learned, &r->cid, &e,
				r->learned_stale ? BPF_ANY : BPF_NOEXIST) == 0) {
		f->learned++;
		r->reason = QS_R_ROUTE_FLOW_LEARN;
		event_emit(QS_EV_LEARNED_CID, r->vip->vip_id, r->backend_id, &r->flow, &r->cid);
		return;
	}
	aux_count(QS_AUX_LEARN_FAILED);
	r->reason = QS_R_ROUTE_FLOW_NOLEARN;
}

/*
 * Rung d: a new connection. With an Initial's tags (opened), its address
 * entry is written into qs_flows_new, over any other connection's there,
 * and announced.
 */
static __always_inline void route_new(struct route *r, const struct qs_flow *opened)
{
	struct qs_flow f;

	r->backend_id = maglev_pick(r->vip->vip_id, r->hash);
	r->reason = QS_R_ROUTE_NEW;
	if (r->backend_id == QS_NO_BACKEND) {
		r->reason = QS_R_DROP_NO_BACKEND;
		return;
	}
	if (!opened)
		return;
	f = *opened;
	f.backend_id = r->backend_id;
	f.last_seen_ns = qs_now_ns();
	bpf_map_update_elem(&qs_flows_new, &r->flow, &f, BPF_ANY);
	event_emit(QS_EV_NEW_FLOW, r->vip->vip_id, r->backend_id, &r->flow, &r->cid);
}

/*
 * Rungs c and d on a VIP whose address entries come from handshake
 * reports (address-entry handshake), for a long-header packet whose DCID
 * no table knows: an Initial, a 0-RTT, or a Handshake packet carrying a
 * server ID not reported yet (a reporter may send its report after the
 * server's first flight). None may migrate before the handshake is
 * confirmed (RFC 9000 9), so all come from the Initial's address and port,
 * and Maglev picks the Initial's backend again: the address entry the
 * other policy writes here for them is not needed, nor a ring record. The
 * agent writes the entry from the handshake report, and ID-table hits
 * from new paths open theirs (cid_note_path), for migrations. The cost: a
 * handshake that spans a change of the VIP's Maglev row (a backend added,
 * drained or removed) loses those of its packets that no ID routes.
 */
static __always_inline void route_handshake_hash(struct route *r)
{
	r->backend_id = maglev_pick(r->vip->vip_id, r->hash);
	r->reason =
		r->backend_id == QS_NO_BACKEND ? QS_R_DROP_NO_BACKEND : QS_R_ROUTE_HANDSHAKE_HASH;
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

/*
 * Rungs c to e, once the DCID is known to be neither QUIC-LB nor in the table.
 *
 * An Initial that is not of the connection that opened its address entry
 * (qs_flow_opened_by) is another connection from a reused client port: it
 * goes to Maglev like any new one (route_new_reused), so a new connection
 * never follows an old one to a draining or removed backend. Its entry
 * goes to qs_flows_new over any other there; an established entry of the
 * old connection stays (the Initial may be forged), and while the two
 * name different backends the address routes no unknown ID (flow_lookup).
 *
 * Only an Initial records a new connection. 0-RTT is routed as its
 * connection's Initial is (Maglev over the same address and port) but
 * writes no address entry and sends no event: RFC 9000 14.1 holds only
 * datagrams carrying Initials to 1200 bytes, and 5.2.2 lets a 0-RTT packet
 * arrive before its Initial (the server may buffer it), so a 0-RTT packet
 * of any size is legitimate and cannot be dropped for its size; it would
 * otherwise let a flood of small forged datagrams fill the address table
 * and the ring buffer at no cost to the sender.
 */
static __always_inline void route_by_address(struct route *r, const struct quic *q)
{
	int starts = q->is_long && qs_long_type_starts_connection(q->long_type);
	int initial = q->is_long && q->long_type == QS_LT_INITIAL;
	struct qs_flow *fresh, *f;
	__u64 now = qs_now_ns();
	struct qs_flow opened = { 0 };
	int ambiguous, disagree;

	if (q->is_long && (r->vip->flags & QS_VIP_F_ENTRY_AT_HANDSHAKE)) {
		route_handshake_hash(r);
		return;
	}
	f = flow_lookup(r, &fresh, &disagree);
	ambiguous = f && qs_flow_ambiguous(f, now);
	if (!starts)
		ambiguous |= disagree;
	if (starts) {
		opened.dcid_tag = qs_cid_tag(r->cid.cid, r->cid.cid_len);
		opened.scid_tag = q->scid_tag;
		/* its own connection's entry, though an older one's is established */
		if (fresh && !qs_flow_ambiguous(fresh, now) &&
		    qs_flow_opened_by(fresh, opened.dcid_tag, opened.scid_tag)) {
			f = fresh;
			ambiguous = 0;
		}
	}
	if (f && !ambiguous && starts && !qs_flow_opened_by(f, opened.dcid_tag, opened.scid_tag)) {
		/* a reused client port: a new connection, wherever the old one was */
		route_new(r, initial ? &opened : NULL);
		if (r->reason == QS_R_ROUTE_NEW)
			r->reason = initial ? QS_R_ROUTE_NEW_REUSED : QS_R_ROUTE_NEW_0RTT;
		return;
	}
	if (f && !ambiguous) {
		r->backend_id = f->backend_id;
		f->last_seen_ns = now;
		if (starts)
			r->reason = QS_R_ROUTE_FLOW;
		else
			cid_learn(r, f);
		return;
	}
	if (!starts) {
		route_unknown(r, ambiguous);
		return;
	}
	route_new(r, initial && !ambiguous ? &opened : NULL);
	if (!initial && r->reason == QS_R_ROUTE_NEW)
		r->reason = QS_R_ROUTE_NEW_0RTT;
}

/* Version Negotiation and unknown versions: by address, never recorded. */
static __always_inline void route_version(struct route *r)
{
	struct qs_flow *fresh;
	int disagree;
	struct qs_flow *f = flow_lookup(r, &fresh, &disagree);

	if (f && !disagree && !qs_flow_ambiguous(f, qs_now_ns())) {
		r->backend_id = f->backend_id;
		r->reason = QS_R_ROUTE_VERSION;
		return;
	}
	route_new(r, NULL);
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
	r->cid.vip_id = vip->vip_id;
	r->cid.cid_len = 0;
	__builtin_memset(r->cid.pad, 0, sizeof(r->cid.pad));
	r->vip = vip;
	r->lb = NULL;
	r->lb_known = 0;
	r->hash = qs_flow_hash(p->saddr.addr, p->sport);
	r->backend_id = QS_NO_BACKEND;
	r->learned_stale = 0;
}

/* The ladder for a parsed QUIC header whose DCID is in r->cid. */
static __always_inline void route_quic(struct route *r, const struct quic *q)
{
	struct qs_cid_path *e;

	if (q->is_long && q->long_type == QS_LT_UNKNOWN_VERSION) {
		route_version(r);
		return;
	}
	/* QUIC-LB IDs are routed statelessly: no table is touched. */
	if (route_quiclb(r))
		return;
	e = route_cid(r, q);
	if (e) {
		cid_note_path(r, e);
		return;
	}
	route_by_address(r, q);
}

#endif /* QS_BPF_ROUTE_H */
