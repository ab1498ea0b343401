// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * quicsteer's router: steers each QUIC packet sent to a VIP to the backend
 * that owns its connection. Parse, route (route.h), forward (forward.h),
 * and one exit that counts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"
#include "forward.h"
#include "maps.h"
#include "parse.h"
#include "quic.h"
#include "route.h"
#include "stats.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Version of this object's ABI, readable by the agent and `bpftool`. */
const volatile __u32 qs_abi_version = QS_ABI_VERSION;

struct verdict {
	__u32 action;
	__u32 reason;
	__u32 vip_id; /* QS_MAX_VIPS when the packet is not for a VIP */
	__u32 backend_id;
};

/* The VIP of (destination, port): its slot of qs_vip_index, key compared whole. */
static __always_inline const struct qs_vip *vip_lookup(const struct pkt *p, __be16 port)
{
	const struct qs_vip_index_head *head;
	const struct qs_vip_slot *s;
	struct qs_vip_key key;
	__u64 a[3], b[3];
	__u32 i = 0;
	__u64 w;

	head = bpf_map_lookup_elem(&qs_vip_index, &i);
	if (!head)
		return NULL;
	w = head->word;
	__builtin_memset(&key, 0, sizeof(key));
	key.addr = p->daddr;
	key.port = port;
	key.family = p->family;
	i = qs_vip_index_element(w, qs_vip_index_slot(&key, w & ~QS_VIP_INDEX_HALF_BIT));
	s = bpf_map_lookup_elem(&qs_vip_index, &i);
	if (!s)
		return NULL;
	__builtin_memset(a, 0, sizeof(a));
	__builtin_memset(b, 0, sizeof(b));
	__builtin_memcpy(a, &key, sizeof(key));
	__builtin_memcpy(b, &s->key, sizeof(s->key));
	if ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]))
		return NULL;
	return &s->vip;
}

static __always_inline void fragment_verdict(struct xdp_md *ctx, const struct pkt *p,
					     struct verdict *v)
{
	const struct qs_vip *vip = vip_lookup(p, 0);
	struct route r;

	if (!vip) {
		v->reason = QS_R_PASS_NOT_VIP;
		return;
	}
	v->vip_id = vip->vip_id;
	/* Whatever the policy: the IP length is all a fragment is checked by. */
	if (p->l3_len_bad) {
		v->action = XDP_DROP;
		v->reason = QS_R_DROP_MALFORMED_L3;
		return;
	}
	if (vip->frag_policy == QS_FRAG_PASS) {
		v->reason = QS_R_FRAG_PASS;
		return;
	}
	v->action = XDP_DROP;
	v->reason = QS_R_FRAG_DROP;
	if (vip->frag_policy != QS_FRAG_HASH)
		return;
	/* Only the first fragment has ports: hash the address alone. */
	route_init(&r, p, vip);
	r.hash = qs_flow_hash(p->saddr.addr, 0);
	v->backend_id = maglev_pick(vip->vip_id, r.hash);
	if (v->backend_id == QS_NO_BACKEND) {
		v->reason = QS_R_DROP_NO_BACKEND;
		return;
	}
	v->reason = QS_R_FRAG_HASH;
	v->action = forward(ctx, p, vip->fwd_mode, v->backend_id, r.hash, &v->reason);
}

/* Parses the QUIC header, walks the ladder and forwards. */
static __always_inline void quic_verdict(struct xdp_md *ctx, const struct pkt *p,
					 const struct qs_vip *vip, struct verdict *v)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct route r;
	struct quic q = { 0 };
	int ret;

	v->action = XDP_DROP;
	if (p->l3_len_bad) {
		v->reason = QS_R_DROP_MALFORMED_L3;
		return;
	}
	if (p->payload_len == 0xffffffff || p->payload_len == 0) {
		v->reason = QS_R_DROP_TRUNCATED;
		return;
	}
	ret = parse_quic(&q, p, data, data_end);
	if (ret) {
		v->reason = ret == QUIC_CID_TOO_LONG ? QS_R_DROP_CID_TOO_LONG : QS_R_DROP_TRUNCATED;
		return;
	}
	if (q.is_long && q.long_type == QS_LT_INITIAL && p->payload_len < QS_MIN_INITIAL_DGRAM) {
		v->reason = QS_R_DROP_SMALL_INITIAL;
		return;
	}
	route_init(&r, p, vip);
	if (!q.is_long && short_dcid_len(&r, p, &q, data, data_end)) {
		v->reason = QS_R_DROP_TRUNCATED;
		return;
	}
	if (q.is_long && q.long_type == QS_LT_UNKNOWN_VERSION) {
		/* routed by address; the ID, of any length, is not read */
		__builtin_memset(r.cid.cid, 0, sizeof(r.cid.cid));
	} else if (quic_load_dcid(&q, &r.cid, data, data_end)) {
		v->reason = QS_R_DROP_TRUNCATED;
		return;
	}
	route_quic(&r, &q);
	v->reason = r.reason;
	v->backend_id = r.backend_id;
	if (r.backend_id == QS_NO_BACKEND)
		return;
	v->action = forward(ctx, p, vip->fwd_mode, r.backend_id, r.hash, &v->reason);
}

static __always_inline void count(const struct verdict *v, __u32 bytes)
{
	counter_add(&qs_stats_v2, v->reason, bytes);
	if (v->vip_id < QS_MAX_VIPS)
		counter_add(&qs_vip_stats, v->vip_id, bytes);
	if (v->action == XDP_TX || v->action == XDP_REDIRECT)
		counter_add(&qs_be_stats, v->backend_id, bytes);
}

SEC("xdp")
int quicsteer_router(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct verdict v = { XDP_PASS, QS_R_PASS_NOT_VIP, QS_MAX_VIPS, QS_NO_BACKEND };
	const struct qs_vip *vip;
	struct pkt p = { 0 };

	switch (parse_frame(&p, data, data_end)) {
	case PARSE_OK:
		vip = vip_lookup(&p, p.dport);
		if (!vip)
			break;
		v.vip_id = vip->vip_id;
		/*
		 * Port 0 is the address-wide entry that fragments are matched
		 * against, not a service: UDP to it is dropped. It is reserved
		 * (no client sends from or to it), so only probes and attacks
		 * do, and passing it to the stack would have the balancer
		 * answer with ICMP to forged sources.
		 */
		if (p.dport == 0) {
			v.action = XDP_DROP;
			v.reason = QS_R_DROP_PORT_ZERO;
			break;
		}
		quic_verdict(ctx, &p, vip, &v);
		break;
	case PARSE_FRAGMENT:
		fragment_verdict(ctx, &p, &v);
		break;
	case PARSE_NOT_IP:
		v.reason = QS_R_PASS_NOT_IP;
		break;
	case PARSE_NOT_UDP:
		v.reason = QS_R_PASS_NOT_UDP;
		break;
	default:
		v.reason = QS_R_PASS_MALFORMED_L2L3;
		break;
	}
	count(&v, p.frame_len);
	return v.action;
}
