// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "explain.h"
#include "quicsteer/quiclb.h"
#include "util/words.h"
#include "util/clock.h"
#include "abi/flowhash.h"
#include "abi/quiclb.h"
#include "abi/quicver.h"

struct ctx {
	const struct qs_explain_maps *m;
	const struct qs_explain_packet *p;
	struct qs_explain *out;
	struct qs_vip vip;
	struct qs_flow_key flow;
	__u32 hash;
};

/* Records the verdict; returns 0 so that a rung can end with it. */
static int decide(struct ctx *c, __u32 reason, __u32 backend, const char *fmt, ...)
{
	va_list ap;

	c->out->reason = reason;
	c->out->backend_id = backend;
	va_start(ap, fmt);
	vsnprintf(c->out->why, sizeof(c->out->why), fmt, ap);
	va_end(ap);
	return 0;
}

static __u32 maglev(struct ctx *c)
{
	__u32 key = qs_maglev_index(c->vip.vip_id, qs_maglev_slot(c->hash)), backend;

	if (c->vip.vip_id >= QS_MAX_VIPS || bpf_map_lookup_elem(c->m->maglev, &key, &backend))
		return QS_NO_BACKEND;
	return backend;
}

static void by_maglev(struct ctx *c, __u32 reason, const char *rung)
{
	__u32 be = maglev(c);

	if (be == QS_NO_BACKEND)
		decide(c, QS_R_DROP_NO_BACKEND, QS_NO_BACKEND, "%s: Maglev slot %u is empty", rung,
		       qs_maglev_slot(c->hash));
	else
		decide(c, reason, be, "%s: Maglev slot %u", rung, qs_maglev_slot(c->hash));
}

/* The address's entries, as the program's flow_lookup finds them (route.h). */
struct flows {
	struct qs_flow est, fresh;
	bool has_est, has_fresh;
	bool disagree; /* both, for different backends */
};

static void flows_get(struct ctx *c, struct flows *fl)
{
	fl->has_est = !bpf_map_lookup_elem(c->m->flows, &c->flow, &fl->est);
	fl->has_fresh = !bpf_map_lookup_elem(c->m->flows_new, &c->flow, &fl->fresh);
	fl->disagree = fl->has_est && fl->has_fresh && fl->est.backend_id != fl->fresh.backend_id;
}

/* The address's entry: its established one, else its Initial's; NULL: none. */
static const struct qs_flow *flows_entry(const struct flows *fl)
{
	return fl->has_est ? &fl->est : fl->has_fresh ? &fl->fresh : NULL;
}

static const struct qs_quiclb_config *quiclb(struct ctx *c, __u8 dcid0,
					     struct qs_quiclb_config *cfg)
{
	__u32 idx;

	if (qs_quiclb_select(c->vip.vip_id, c->vip.quiclb_mask, dcid0, &idx) ||
	    bpf_map_lookup_elem(c->m->quiclb, &idx, cfg) || !qs_quiclb_config_usable(cfg))
		return NULL;
	return cfg;
}

/*
 * The qs_server_ids key of an encrypted ID, decoded by libquicsteer's
 * codec with the configuration's key as the router's map holds it: the
 * server ID's length, or 0. The key goes nowhere else and is wiped.
 */
static __u32 quiclb_decrypted_key(struct qs_quiclb_config *cfg, const struct qs_cid_key *k,
				  struct qs_server_id_key *sk)
{
	__u32 config_id = qs_quiclb_config_id(k->cid[0]);
	QS_QUICLB_PARAMS(p, .config_id = config_id, .mode = cfg->mode,
			 .server_id_len = cfg->server_id_len, .nonce_len = cfg->nonce_len,
			 .key = cfg->key);
	struct qs_quiclb_codec *codec;
	int n = -1;

	memset(sk, 0, sizeof(*sk));
	/* the router decodes IDs of exactly the configuration's length */
	if (k->cid_len == qs_quiclb_cid_len(cfg->server_id_len, cfg->nonce_len) &&
	    (codec = qs_quiclb_codec_new(&p))) {
		n = qs_quiclb_decode(codec, k->cid, k->cid_len, sk->sid, NULL);
		qs_quiclb_codec_free(codec);
	}
	explicit_bzero(cfg->key, sizeof(cfg->key));
	if (n <= 0)
		return 0;
	sk->vip_id = k->vip_id;
	sk->config_id = config_id;
	sk->sid_len = n;
	return n;
}

/* Rung a; 1 when it decided. */
static int rung_quiclb(struct ctx *c, const struct qs_cid_key *k)
{
	static const char *const modes[] = { [QS_QUICLB_PLAINTEXT] = "plaintext",
					     [QS_QUICLB_AES_SINGLE] = "single-pass",
					     [QS_QUICLB_AES_FOUR_PASS] = "four-pass" };
	struct qs_server_id_key sk;
	struct qs_quiclb_config cfg;
	__u32 backend, sid_len;
	char sid[2 * QS_QUICLB_SID_MAX + 1];

	if (!quiclb(c, k->cid[0], &cfg))
		return 0;
	if (cfg.mode == QS_QUICLB_PLAINTEXT) {
		sid_len = qs_quiclb_plaintext_sid_len(&cfg, k->cid_len);
		if (!sid_len)
			return 0;
		qs_quiclb_server_id_key(k, sid_len, &sk);
	} else if (!(sid_len = quiclb_decrypted_key(&cfg, k, &sk))) {
		return 0;
	}
	if (bpf_map_lookup_elem(c->m->server_ids, &sk, &backend))
		return 0;
	qs_format_hex(sk.sid, sid_len, sid, sizeof(sid));
	decide(c, QS_R_ROUTE_QUICLB, backend, "QUIC-LB config %u (%s), server ID %s", sk.config_id,
	       cfg.mode < 4 && modes[cfg.mode] ? modes[cfg.mode] : "?", sid);
	return 1;
}

/* Rung b; 1 when it decided. */
static int rung_cid(struct ctx *c, const struct qs_cid_key *k, bool is_long)
{
	struct qs_settings s = { 0 };
	struct qs_cid_entry e;
	__u32 zero = 0, backend;
	__u8 kind;
	__u64 ttl;

	/* route.h's route_cidtab: the same hash under the table's key, the same slots */
	if (c->m->cidtab && !qs_cidtab_get(c->m->cidtab, k, &backend, &kind)) {
		decide(c, QS_R_ROUTE_CID, backend, "ID table: %s entry",
		       kind == QS_CID_OPERATOR ? "the operator's" : "reported");
		return 1;
	}
	/* route.h's route_cid: no learned IDs for long headers on such a VIP */
	if ((is_long && (c->vip.flags & QS_VIP_F_ENTRY_AT_HANDSHAKE)) ||
	    bpf_map_lookup_elem(c->m->learned, k, &e))
		return 0;
	bpf_map_lookup_elem(c->m->settings, &zero, &s);
	ttl = s.learned_ttl_ns ? s.learned_ttl_ns : QS_DEFAULT_LEARNED_TTL_NS;
	/* the program's test, on the same clock (bpf_ktime_get_coarse_ns) */
	if (qs_now_coarse_ns() - e.created_ns > ttl)
		return 0;
	decide(c, QS_R_ROUTE_CID_LEARNED, e.backend_id, "learned ID table: learned %llu ms ago",
	       (unsigned long long)((qs_now_coarse_ns() - e.created_ns) / 1000000));
	return 1;
}

/* The tag of an ID of len (<= 20) bytes, zero-padded as the router reads it. */
static __u32 cid_tag(const __u8 *id, __u8 len)
{
	__u8 cid[QS_CID_MAX_LEN] = { 0 };

	memcpy(cid, id, len);
	return qs_cid_tag(cid, len);
}

/* Is an Initial or 0-RTT of the connection that opened the entry f? */
static bool opened_by(const struct ctx *c, const struct qs_flow *f)
{
	__u32 scid_tag = c->p->scid_len ? cid_tag(c->p->scid, c->p->scid_len) : 0;

	return qs_flow_opened_by(f, cid_tag(c->p->dcid, c->p->dcid_len), scid_tag);
}

/*
 * Rungs c to e. is_long: a long header; starts: an Initial or 0-RTT;
 * initial: an Initial.
 */
static void rungs_address(struct ctx *c, bool is_long, bool starts, bool initial, __u32 cid_len)
{
	__u64 now = qs_now_coarse_ns();
	struct flows fl;
	const struct qs_flow *e;
	bool known, ambiguous;

	if (is_long && (c->vip.flags & QS_VIP_F_ENTRY_AT_HANDSHAKE)) {
		by_maglev(c, QS_R_ROUTE_HANDSHAKE_HASH,
			  "a handshake's packet, unknown ID: Maglev as its Initial, address entry "
			  "left to the handshake report");
		return;
	}
	flows_get(c, &fl);
	e = flows_entry(&fl);
	known = e != NULL;
	ambiguous = known && (qs_flow_ambiguous(e, now) || (!starts && fl.disagree));
	if (starts && fl.has_fresh && !qs_flow_ambiguous(&fl.fresh, now) &&
	    opened_by(c, &fl.fresh)) {
		e = &fl.fresh;
		ambiguous = false;
	}
	if (known && !ambiguous && starts && !opened_by(c, e)) {
		if (initial)
			by_maglev(c, QS_R_ROUTE_NEW_REUSED,
				  "another connection from a known port, a new entry for it");
		else
			by_maglev(c, QS_R_ROUTE_NEW_0RTT,
				  "0-RTT of another connection from a known client port");
	} else if (known && !ambiguous) {
		if (starts)
			decide(c, QS_R_ROUTE_FLOW, e->backend_id, "address table: a known client");
		else if ((c->vip.flags & QS_VIP_F_LEARN) && cid_len)
			decide(c, QS_R_ROUTE_FLOW_LEARN, e->backend_id,
			       "address table: unknown ID from a known client, would be learned");
		else
			decide(c, QS_R_ROUTE_FLOW_NOLEARN, e->backend_id,
			       "address table: unknown ID from a known client, learning off");
	} else if (starts && !initial) {
		by_maglev(c, QS_R_ROUTE_NEW_0RTT, "0-RTT of a new connection, nothing recorded");
	} else if (starts) {
		by_maglev(c, QS_R_ROUTE_NEW, "new connection");
	} else if (c->vip.unknown_policy == QS_UNKNOWN_HASH) {
		by_maglev(c, QS_R_ROUTE_UNKNOWN_HASH, "unknown ID, policy hash");
	} else {
		decide(c, ambiguous ? QS_R_DROP_AMBIGUOUS : QS_R_DROP_UNKNOWN_CID, QS_NO_BACKEND,
		       !ambiguous  ? "unknown ID from an unknown address, policy drop" :
		       fl.disagree ? "unknown ID from an address whose established and new "
				     "entries name different backends, policy drop" :
				     "unknown ID from an ambiguous address, policy drop");
	}
}

static int ladder(struct ctx *c)
{
	const struct qs_explain_packet *p = c->p;
	struct qs_quiclb_config cfg;
	enum qs_long_type t = p->is_long ? qs_long_type(p->type_bits << 4, p->version) : 0;
	__u32 len = p->dcid_len;

	if (p->is_long && t == QS_LT_UNKNOWN_VERSION) {
		struct flows fl;
		const struct qs_flow *f;

		flows_get(c, &fl);
		f = flows_entry(&fl);
		if (f && !fl.disagree && !qs_flow_ambiguous(f, qs_now_coarse_ns()))
			decide(c, QS_R_ROUTE_VERSION, f->backend_id,
			       "other version: address table");
		else
			by_maglev(c, QS_R_ROUTE_VERSION, "other version");
		return 0;
	}
	if (p->is_long && len > QS_CID_MAX_LEN)
		return decide(c, QS_R_DROP_CID_TOO_LONG, QS_NO_BACKEND, "DCID of %u bytes", len);
	if (p->is_long && t == QS_LT_INITIAL &&
	    (p->udp_payload_len ? p->udp_payload_len : QS_MIN_INITIAL_DGRAM) < QS_MIN_INITIAL_DGRAM)
		return decide(c, QS_R_DROP_SMALL_INITIAL, QS_NO_BACKEND,
			      "Initial under 1200 bytes");
	if (!p->is_long) {
		const struct qs_quiclb_config *q = len ? quiclb(c, p->dcid[0], &cfg) : NULL;
		__u32 want = qs_short_dcid_len(c->vip.cid_len, q);

		if (want > len)
			return decide(c, QS_R_DROP_TRUNCATED, QS_NO_BACKEND,
				      "short header: %u DCID bytes wanted, %u given", want, len);
		len = want;
	}
	c->out->cid_len = len;
	/* rungs a and b look up IDs of 1 to 20 bytes */
	if (len && len <= QS_CID_MAX_LEN) {
		struct qs_cid_key k;

		memset(&k, 0, sizeof(k));
		memcpy(k.cid, p->dcid, len);
		k.cid_len = len;
		k.vip_id = c->vip.vip_id;
		if (rung_quiclb(c, &k) || rung_cid(c, &k, p->is_long))
			return 0;
	}
	rungs_address(c, p->is_long, p->is_long && qs_long_type_starts_connection(t),
		      p->is_long && t == QS_LT_INITIAL, len);
	return 0;
}

/* The forwarding checks of bpf/forward.h. */
static int forwarding(struct ctx *c)
{
	struct qs_backend be;
	struct qs_nexthop nh;
	__u32 id = c->out->backend_id;

	if (id == QS_NO_BACKEND)
		return 0;
	if (bpf_map_lookup_elem(c->m->backends, &id, &be) || be.family == QS_AF_NONE)
		return decide(c, QS_R_DROP_NO_BACKEND, QS_NO_BACKEND,
			      "backend %u is not configured", id);
	if (be.state == QS_BACKEND_DOWN &&
	    (c->out->reason == QS_R_ROUTE_CID || c->out->reason == QS_R_ROUTE_CID_LEARNED))
		decide(c, QS_R_ROUTE_CID_DOWN, id, "ID table: backend %u is down, sent there still",
		       id);
	if (bpf_map_lookup_elem(c->m->nexthops, &be.nexthop_id, &nh) ||
	    !(nh.flags & QS_NEXTHOP_F_VALID))
		return decide(c, QS_R_DROP_NO_NEXTHOP, QS_NO_BACKEND,
			      "backend %u: next hop not resolved", id);
	if (c->vip.fwd_mode != QS_FWD_L2DSR && be.family == QS_AF_INET &&
	    c->p->family == QS_AF_INET6)
		decide(c, QS_R_DROP_FAMILY, QS_NO_BACKEND,
		       "backend %u is IPv4, the client IPv6: no encapsulation for it", id);
	return 0;
}

int qs_explain(const struct qs_explain_maps *m, const struct qs_explain_packet *p,
	       struct qs_explain *out)
{
	struct qs_vip_key vk;
	struct ctx c = { .m = m, .p = p, .out = out };

	memset(out, 0, sizeof(*out));
	out->vip_id = QS_MAX_VIPS;
	memset(&vk, 0, sizeof(vk));
	vk.addr = p->vip;
	vk.family = p->family;
	vk.port = htons(p->vip_port);
	if (bpf_map_lookup_elem(m->vips, &vk, &c.vip)) {
		decide(&c, QS_R_PASS_NOT_VIP, QS_NO_BACKEND, "not a VIP: passed to the stack");
		return 0;
	}
	out->vip_id = c.vip.vip_id;
	if (p->vip_port == 0) {
		decide(&c, QS_R_DROP_PORT_ZERO, QS_NO_BACKEND,
		       "port 0: the address-wide entry of fragments, never a service");
		return 0;
	}
	memset(&c.flow, 0, sizeof(c.flow));
	c.flow.addr = p->client;
	c.flow.vip_id = c.vip.vip_id;
	c.flow.port = htons(p->client_port);
	c.flow.family = p->family;
	c.hash = qs_flow_hash(p->client.addr, htons(p->client_port));
	ladder(&c);
	forwarding(&c);
	return 0;
}
