/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The router's maps, pinned by name under the pin directory. */
#ifndef QS_BPF_MAPS_H
#define QS_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"
#include "abi/cidtab.h"
#include "abi/vipindex.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * QS_MAX_VIPS);
	__type(key, struct qs_vip_key);
	__type(value, struct qs_vip);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_vips SEC(".maps");

/* qs_vips as the data path reads it: one array lookup (abi/vipindex.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QS_VIP_INDEX_ELEMENTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct qs_vip_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_vip_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QS_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct qs_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QS_MAX_NEXTHOPS);
	__type(key, __u32);
	__type(value, struct qs_nexthop);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_nexthops SEC(".maps");

/* Row vip_id holds slots [vip_id * QS_MAGLEV_SIZE, (vip_id + 1) * QS_MAGLEV_SIZE). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QS_MAX_VIPS * QS_MAGLEV_SIZE);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_maglev SEC(".maps");

/*
 * Reported and operator IDs as the data path reads them: one cache line
 * per lookup (abi/cidtab.h). Written by the agent through mmap; resized
 * at load for cid-entries (router/maps.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 + QS_CIDTAB_BUCKETS_FOR(QS_CID_TABLE_SIZE));
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct qs_cidtab_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_cidtab SEC(".maps");

/*
 * Where versions before qs_cidtab kept reported and operator IDs whole.
 * Nothing writes it now and the data path does not read it: an agent
 * that starts on older pins puts its IDs into qs_cidtab. One entry, so
 * that it costs next to nothing (a hash map's buckets are allocated
 * whatever its load: 32 MB at 2M entries), unless older pins hold one,
 * whose size the loader then takes to reuse it (qs_router_open).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct qs_cid_key);
	__type(value, struct qs_cid_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_cids SEC(".maps");

/*
 * Learned IDs, apart from reported ones: an LRU (preallocated), so that
 * IDs a client makes up can only evict other learned IDs, never fill the
 * table the agent writes reported IDs to.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, QS_LEARNED_TABLE_SIZE);
	__type(key, struct qs_cid_key);
	__type(value, struct qs_cid_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_learned SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qs_settings);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qs_event_budget);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_ev_budget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, QS_FLOW_TABLE_SIZE);
	__type(key, struct qs_flow_key);
	__type(value, struct qs_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_flows_v2 SEC(".maps"); /* QS_MAP_FLOWS */

/*
 * Address entries that only an Initial opened, apart from the established
 * ones: anyone can forge an Initial from any source, so these can only
 * evict each other (route.h, "Two address tables").
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, QS_FLOW_NEW_TABLE_SIZE);
	__type(key, struct qs_flow_key);
	__type(value, struct qs_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_flows_new SEC(".maps"); /* QS_MAP_FLOWS_NEW */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QS_MAX_VIPS * QS_QUICLB_CONFIGS);
	__type(key, __u32);
	__type(value, struct qs_quiclb_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_quiclb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QS_MAX_VIPS * QS_QUICLB_CONFIGS);
	__type(key, __u32);
	__type(value, struct qs_quiclb_rk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_quiclb_rk SEC(".maps"); /* QS_MAP_QUICLB_RK */

/* Per-CPU LRU lists: a connection's packets keep to a CPU (RSS), and no lock is shared. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, QS_QUICLB_CACHE_SIZE);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct qs_cid_key);
	__type(value, struct qs_quiclb_cached);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_quiclb_cache SEC(".maps"); /* QS_MAP_QUICLB_CACHE */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QS_SERVER_ID_TABLE_SIZE);
	__type(key, struct qs_server_id_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_server_ids SEC(".maps");

/* Egress devices for XDP_REDIRECT, keyed by ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QS_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct qs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_stats_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QS_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct qs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QS_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct qs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_be_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QS_AUX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_aux_v2 SEC(".maps");

/* Userspace only: the data path never reads it (abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QS_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct qs_reporter_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_reporters_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, QS_EVENTS_RING_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} qs_events SEC(".maps");

#endif /* QS_BPF_MAPS_H */
