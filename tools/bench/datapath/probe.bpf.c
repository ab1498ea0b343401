// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Probes: programs that do one thing the router does per packet, timed like
 * the router's cases, so that the benchmark can say what a helper costs on
 * the machine it runs on (bpf_ktime_get_ns, for one, is slow in some VMs).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Results land here so that the compiler cannot drop the calls. */
__u64 probe_out;

SEC("xdp")
int probe_ktime_get_ns(struct xdp_md *ctx)
{
	probe_out = bpf_ktime_get_ns();
	return XDP_PASS;
}

SEC("xdp")
int probe_ktime_get_coarse_ns(struct xdp_md *ctx)
{
	probe_out = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

/* What quic_load_dcid does with an 8-byte DCID. */
SEC("xdp")
int probe_xdp_load_bytes(struct xdp_md *ctx)
{
	__u64 v = 0;

	if (bpf_xdp_load_bytes(ctx, 0, &v, sizeof(v)))
		return XDP_DROP;
	probe_out = v;
	return XDP_PASS;
}

/* The learning rung's insert: a never-seen 8-byte DCID (IPv4 short header) into
 * a non-preallocated hash map of the ID table's layout.
 */
#define PROBE_DCID_OFF (14 + 20 + 8 + 1)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct qs_cid_key);
	__type(value, struct qs_cid_entry);
} probe_ids SEC(".maps");

/* The same, preallocated: what BPF_F_NO_PREALLOC costs per insert. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct qs_cid_key);
	__type(value, struct qs_cid_entry);
} probe_ids_prealloc SEC(".maps");

static __always_inline int cid_insert(struct xdp_md *ctx, void *map)
{
	struct qs_cid_entry e = { .backend_id = 1, .kind = QS_CID_LEARNED };
	struct qs_cid_key key;

	__builtin_memset(&key, 0, sizeof(key));
	key.cid_len = 8;
	if (bpf_xdp_load_bytes(ctx, PROBE_DCID_OFF, key.cid, 8))
		return XDP_DROP;
	if (bpf_map_update_elem(map, &key, &e, BPF_NOEXIST))
		return XDP_DROP;
	return XDP_PASS;
}

SEC("xdp")
int probe_cid_insert(struct xdp_md *ctx)
{
	return cid_insert(ctx, &probe_ids);
}

SEC("xdp")
int probe_cid_insert_prealloc(struct xdp_md *ctx)
{
	return cid_insert(ctx, &probe_ids_prealloc);
}

/* A new connection's address entry: an update of a 4096-entry LRU table. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct qs_flow_key);
	__type(value, struct qs_flow);
} probe_flows SEC(".maps");

SEC("xdp")
int probe_flow_update(struct xdp_md *ctx)
{
	struct qs_flow f = { .backend_id = 1 };
	struct qs_flow_key key;

	__builtin_memset(&key, 0, sizeof(key));
	if (bpf_xdp_load_bytes(ctx, PROBE_DCID_OFF, &key.addr, 8))
		return XDP_DROP;
	bpf_map_update_elem(&probe_flows, &key, &f, BPF_ANY);
	return XDP_PASS;
}

/* A ring-buffer record of the router's size, as event_emit writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, QS_EVENTS_RING_BYTES);
} probe_ring SEC(".maps");

SEC("xdp")
int probe_ringbuf_event(struct xdp_md *ctx)
{
	struct qs_event *ev = bpf_ringbuf_reserve(&probe_ring, sizeof(*ev), 0);

	if (!ev)
		return XDP_DROP;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = QS_EV_LEARNED_CID;
	bpf_ringbuf_submit(ev, 0);
	return XDP_PASS;
}

/*
 * The wake-up pair, run while a thread reads probe_ring_wake as the agent
 * does (bench_consumer.c): the same record submitted as the router did before
 * its records woke nobody (flags 0: the kernel wakes the reader for the
 * first record after it caught up) and as it does now (event_wakeup in
 * bpf/stats.h: the ring's fill queried, BPF_RB_NO_WAKEUP below
 * QS_EVENTS_WAKE_BYTES). A ring of its own, so that no other reader's
 * epoll is registered on it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, QS_EVENTS_RING_BYTES);
} probe_ring_wake SEC(".maps");

/* What event_wakeup (bpf/stats.h) returns. */
static __always_inline __u64 router_wake_flags(void)
{
	if (bpf_ringbuf_query(&probe_ring_wake, BPF_RB_AVAIL_DATA) >= QS_EVENTS_WAKE_BYTES)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline int ringbuf_event_wake(int as_router)
{
	struct qs_event *ev = bpf_ringbuf_reserve(&probe_ring_wake, sizeof(*ev), 0);

	if (!ev)
		return XDP_DROP;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = QS_EV_NEW_FLOW;
	bpf_ringbuf_submit(ev, as_router ? router_wake_flags() : 0);
	return XDP_PASS;
}

SEC("xdp")
int probe_ringbuf_event_default(struct xdp_md *ctx)
{
	return ringbuf_event_wake(0);
}

SEC("xdp")
int probe_ringbuf_event_no_wakeup(struct xdp_md *ctx)
{
	return ringbuf_event_wake(1);
}

/*
 * What one cold bucket of qs_cidtab costs, with nothing else: a 64-byte
 * element of an array the size of the router's (2M IDs) picked by the
 * frame's DCID, read from an mmapable array (as qs_cidtab is: the kernel
 * backs it with vmalloc, 4 KiB pages) and from a plain one, so that the
 * difference shows what the mapping costs (TLB misses, if that is where
 * it goes); and SipHash-1-3 of an ID, the table's hash.
 */
#include "abi/cidtab.h"

#define PROBE_BUCKETS QS_CIDTAB_BUCKETS_FOR(QS_CID_TABLE_SIZE)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROBE_BUCKETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct qs_cidtab_bucket);
} probe_buckets_mmapable SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROBE_BUCKETS);
	__type(key, __u32);
	__type(value, struct qs_cidtab_bucket);
} probe_buckets_plain SEC(".maps");

static __always_inline int bucket_read(struct xdp_md *ctx, void *map)
{
	struct qs_cidtab_bucket *b;
	__u64 dcid = 0;
	__u32 i;

	if (bpf_xdp_load_bytes(ctx, PROBE_DCID_OFF, &dcid, 8))
		return XDP_DROP;
	i = qs_cidtab_first(dcid * 0x9e3779b97f4a7c15ull, PROBE_BUCKETS);
	b = bpf_map_lookup_elem(map, &i);
	if (!b)
		return XDP_DROP;
	probe_out = b->slot[0] + b->displaced;
	return XDP_PASS;
}

SEC("xdp")
int probe_bucket_mmapable(struct xdp_md *ctx)
{
	return bucket_read(ctx, &probe_buckets_mmapable);
}

SEC("xdp")
int probe_bucket_plain(struct xdp_md *ctx)
{
	return bucket_read(ctx, &probe_buckets_plain);
}

SEC("xdp")
int probe_siphash13(struct xdp_md *ctx)
{
	static const __u64 key[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
	struct qs_cid_key k;

	__builtin_memset(&k, 0, sizeof(k));
	k.cid_len = 8;
	if (bpf_xdp_load_bytes(ctx, PROBE_DCID_OFF, k.cid, 8))
		return XDP_DROP;
	probe_out = qs_cidtab_hash(key, &k);
	return XDP_PASS;
}
