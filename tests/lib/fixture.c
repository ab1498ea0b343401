// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fixture.h"
#include "util/clock.h"
#include "router/maps.h"
#include "router/vipindex.h"
#include "util/words.h"
#include "quicsteer.skel.h"

const uint8_t fx_router_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t fx_nexthop_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static int ring_record(void *ctx, void *data, size_t size)
{
	struct fx *fx = ctx;

	if (size != sizeof(struct qs_event) || fx->n_events >= FX_MAX_EVENTS)
		return 0;
	memcpy(&fx->events[fx->n_events++], data, size);
	return 0;
}

int fx_open(struct fx *fx, uint32_t cid_entries)
{
	return fx_open_sized(fx, cid_entries, 0);
}

int fx_open_sized(struct fx *fx, uint32_t cid_entries, uint32_t learned_entries)
{
	struct qs_load_opts opts = { .flow_entries = FX_FLOW_ENTRIES,
				     .flow_new_entries = FX_FLOW_ENTRIES,
				     .cid_entries = cid_entries,
				     .learned_entries = learned_entries };
	struct quicsteer_bpf *s;
	int err;

	memset(fx, 0, sizeof(*fx));
	err = qs_router_load(&opts, &fx->skel);
	if (err)
		return err;
	s = fx->skel;
	fx->prog = bpf_program__fd(s->progs.quicsteer_router);
	fx->vips = bpf_map__fd(s->maps.qs_vips);
	fx->vip_index = bpf_map__fd(s->maps.qs_vip_index);
	fx->backends = bpf_map__fd(s->maps.qs_backends);
	fx->nexthops = bpf_map__fd(s->maps.qs_nexthops);
	fx->maglev = bpf_map__fd(s->maps.qs_maglev);
	fx->cids = bpf_map__fd(s->maps.qs_cids);
	fx->cidtab_fd = bpf_map__fd(s->maps.qs_cidtab);
	fx->learned = bpf_map__fd(s->maps.qs_learned);
	fx->settings = bpf_map__fd(s->maps.qs_settings);
	fx->ev_budget = bpf_map__fd(s->maps.qs_ev_budget);
	fx->flows = bpf_map__fd(s->maps.qs_flows_v2);
	fx->flows_new = bpf_map__fd(s->maps.qs_flows_new);
	fx->quiclb = bpf_map__fd(s->maps.qs_quiclb);
	fx->quiclb_rk = bpf_map__fd(s->maps.qs_quiclb_rk);
	fx->quiclb_cache = bpf_map__fd(s->maps.qs_quiclb_cache);
	fx->server_ids = bpf_map__fd(s->maps.qs_server_ids);
	fx->tx_ports = bpf_map__fd(s->maps.qs_tx_ports);
	fx->stats = bpf_map__fd(s->maps.qs_stats_v2);
	fx->vip_stats = bpf_map__fd(s->maps.qs_vip_stats);
	fx->be_stats = bpf_map__fd(s->maps.qs_be_stats);
	fx->aux_stats = bpf_map__fd(s->maps.qs_aux_v2);
	err = qs_cidtab_map(&fx->cidtab, fx->cidtab_fd);
	if (err) {
		quicsteer_bpf__destroy(s);
		return err;
	}
	fx->ring = ring_buffer__new(bpf_map__fd(s->maps.qs_events), ring_record, fx, NULL);
	if (!fx->ring) {
		err = -errno;
		qs_cidtab_unmap(&fx->cidtab);
		quicsteer_bpf__destroy(s);
		return err;
	}
	return fx_nexthop(fx, 0);
}

void fx_close(struct fx *fx)
{
	ring_buffer__free(fx->ring);
	qs_cidtab_unmap(&fx->cidtab);
	quicsteer_bpf__destroy(fx->skel);
}

int fx_vip(struct fx *fx, const char *addr, uint16_t port, const struct qs_vip *vip)
{
	struct qs_vip_key key;
	int err;

	memset(&key, 0, sizeof(key));
	err = qs_parse_addr(addr, &key.addr, &key.family);
	if (err)
		return err;
	key.port = htons(port);
	/* the data path reads the index, rebuilt from qs_vips as the agent does */
	return qs_vip_put(fx->vips, &key, vip) ?: qs_vip_index_sync(fx->vips, fx->vip_index);
}

int fx_backend(struct fx *fx, uint32_t id, const char *addr, uint8_t state)
{
	struct qs_backend be = { .state = state, .weight = 1 };
	int err = qs_parse_addr(addr, &be.addr, &be.family);

	return err ? err : qs_backend_put(fx->backends, id, &be);
}

int fx_nexthop(struct fx *fx, uint32_t tx_ifindex)
{
	struct qs_nexthop nh = {
		.tx_ifindex = tx_ifindex,
		.src4_flow_bits = FX_SRC4_FLOW_BITS,
		.flags = QS_NEXTHOP_F_VALID,
	};
	struct qs_addr src4;
	__u8 family;
	int err;

	memcpy(nh.dmac, fx_nexthop_mac, 6);
	memcpy(nh.smac, fx_router_mac, 6);
	err = qs_parse_addr(FX_OUTER_SRC4, &src4, &family);
	if (err)
		return err;
	nh.src4 = src4.addr[0];
	err = qs_parse_addr(FX_OUTER_SRC6, &nh.src6, &family);
	return err ? err : qs_nexthop_put(fx->nexthops, 0, &nh);
}

int fx_maglev_round_robin(struct fx *fx, uint32_t vip_id, const uint32_t *ids, size_t n)
{
	static __u32 keys[QS_MAGLEV_SIZE], values[QS_MAGLEV_SIZE];
	__u32 count = QS_MAGLEV_SIZE;

	for (__u32 s = 0; s < QS_MAGLEV_SIZE; s++) {
		keys[s] = vip_id * QS_MAGLEV_SIZE + s;
		values[s] = n ? ids[s % n] : QS_NO_BACKEND;
	}
	return bpf_map_update_batch(fx->maglev, keys, values, &count, NULL) ? -errno : 0;
}

int fx_cid(struct fx *fx, uint32_t vip_id, const uint8_t *cid, size_t len, uint32_t backend,
	   uint8_t kind)
{
	struct qs_cid_entry e = { .backend_id = backend, .kind = kind };
	struct qs_cid_key key;
	int err = qs_cid_key_make(&key, vip_id, cid, len);

	if (err)
		return err;
	if (kind != QS_CID_LEARNED)
		return qs_cidtab_put(&fx->cidtab, &key, backend, kind == QS_CID_OPERATOR);
	e.created_ns = qs_now_coarse_ns();
	return qs_cid_put(fx->learned, &key, &e);
}

int fx_run(struct fx *fx, const void *in, size_t len, void *out, size_t *out_len)
{
	static __u8 scratch[4096];
	struct qs_prog_run run = {
		.in = in,
		.in_len = len,
		.out = out ? out : scratch,
		.out_cap = sizeof(scratch),
	};
	int err = qs_prog_run(fx->prog, &run);

	if (err)
		return err;
	if (out_len)
		*out_len = run.out_len;
	return run.action;
}

uint64_t fx_reason(struct fx *fx, unsigned int reason)
{
	struct qs_counter c;

	return qs_counter_read(fx->stats, reason, &c) ? ~0ull : c.packets;
}

int fx_poll_events(struct fx *fx)
{
	return ring_buffer__consume(fx->ring);
}

size_t fx_map_entries(int fd)
{
	uint8_t key[64], next[64];
	size_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}
