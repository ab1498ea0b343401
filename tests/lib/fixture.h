/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A loaded router with small tables and no pins, and the set-up steps that
 * tests and benchmarks share. Functions return 0 or -errno.
 */
#ifndef QS_FIXTURE_H
#define QS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include "abi/abi.h"
#include "router/cidtab.h"

struct quicsteer_bpf;
struct ring_buffer;

#define FX_MAX_EVENTS 64
/* Entries of each address table (qs_flows_v2, qs_flows_new) in tests. */
#define FX_FLOW_ENTRIES 4096

struct fx {
	struct quicsteer_bpf *skel;
	int prog;
	int vips, vip_index, backends, nexthops, maglev, cids, learned, quiclb, quiclb_rk, quiclb_cache;
	int server_ids, tx_ports;
	int flows, flows_new; /* qs_flows_v2 (established), qs_flows_new (an Initial's) */
	int cidtab_fd;
	struct qs_cidtab cidtab; /* qs_cidtab, mmapped: what the data path reads */
	int settings, ev_budget;
	int stats, vip_stats, be_stats, aux_stats;
	struct ring_buffer *ring;
	struct qs_event events[FX_MAX_EVENTS];
	int n_events;
};

/* Next-hop MACs and outer sources every fixture uses (nexthop 0). */
extern const uint8_t fx_router_mac[6];
extern const uint8_t fx_nexthop_mac[6];
#define FX_OUTER_SRC4 "198.18.200.0"
#define FX_OUTER_SRC6 "fd00:200::"
#define FX_SRC4_FLOW_BITS 8

int fx_open(struct fx *fx, uint32_t cid_entries);
/* The same with qs_learned of learned_entries (0: the object's size). */
int fx_open_sized(struct fx *fx, uint32_t cid_entries, uint32_t learned_entries);
void fx_close(struct fx *fx);

/* A VIP with vip_id, short-header CID length, policy and forwarding mode. */
int fx_vip(struct fx *fx, const char *addr, uint16_t port, const struct qs_vip *vip);
int fx_backend(struct fx *fx, uint32_t id, const char *addr, uint8_t state);
/* Next hop 0: XDP_TX (tx_ifindex 0) or redirect to tx_ifindex. */
int fx_nexthop(struct fx *fx, uint32_t tx_ifindex);
/* Fills row vip_id: slot s gets ids[s % n]. */
int fx_maglev_round_robin(struct fx *fx, uint32_t vip_id, const uint32_t *ids, size_t n);
/*
 * QS_CID_LEARNED goes to qs_learned, created now; the other kinds to
 * qs_cidtab, as the agent writes them.
 */
int fx_cid(struct fx *fx, uint32_t vip_id, const uint8_t *cid, size_t len, uint32_t backend,
	   uint8_t kind);

/* Runs one frame; out may be NULL. Returns the action or -errno. */
int fx_run(struct fx *fx, const void *in, size_t len, void *out, size_t *out_len);
uint64_t fx_reason(struct fx *fx, unsigned int reason);
/* How many entries a hash map holds (keys up to 64 bytes), by a walk of its keys. */
size_t fx_map_entries(int fd);
/* Reads pending ring-buffer records into fx->events. */
int fx_poll_events(struct fx *fx);

#endif /* QS_FIXTURE_H */
