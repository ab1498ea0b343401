/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading the router and typed access to its maps. Every function returns
 * 0 or -errno.
 */
#ifndef QS_MAPS_H
#define QS_MAPS_H

#include <stddef.h>
#include <linux/types.h>
#include "abi/abi.h"

struct quicsteer_bpf;
struct decap_bpf;

struct qs_load_opts {
	const char *pin_dir; /* NULL: no pinning (tests, benchmarks) */
	__u32 flow_entries; /* 0: the object's default */
	__u32 flow_new_entries; /* 0: the object's default */
	__u32 cid_entries; /* 0: the object's default */
	__u32 learned_entries; /* 0: the object's default */
};

/*
 * Opens the router skeleton with pins and table sizes set, not loaded
 * (libxdp loads it when it attaches); qs_router_load also loads it. Maps
 * already pinned under pin_dir are reused, so a restarted agent or a
 * replaced program keeps every entry.
 */
int qs_router_open(const struct qs_load_opts *opts, struct quicsteer_bpf **skel);
int qs_router_load(const struct qs_load_opts *opts, struct quicsteer_bpf **skel);
int qs_decap_load(const struct qs_load_opts *opts, struct decap_bpf **skel);

/*
 * The router's pinned maps, by name (QS_MAP_*) under a pin directory, for
 * whoever reads them without loading the router (the CLI, benchmarks):
 * the pin's path into buf (-ENAMETOOLONG if it does not fit), or a new
 * file descriptor of the map (-ENOENT: nothing pinned by that name).
 */
int qs_pin_path(const char *pin_dir, const char *name, char *buf, size_t size);
int qs_pin_open(const char *pin_dir, const char *name);

int qs_vip_put(int fd, const struct qs_vip_key *key, const struct qs_vip *vip);
int qs_backend_put(int fd, __u32 id, const struct qs_backend *be);
int qs_nexthop_put(int fd, __u32 id, const struct qs_nexthop *nh);
int qs_cid_put(int fd, const struct qs_cid_key *key, const struct qs_cid_entry *e);
int qs_cid_get(int fd, const struct qs_cid_key *key, struct qs_cid_entry *e);
int qs_cid_del(int fd, const struct qs_cid_key *key);
int qs_flow_get(int fd, const struct qs_flow_key *key, struct qs_flow *f);
int qs_flow_put(int fd, const struct qs_flow_key *key, const struct qs_flow *f);
int qs_quiclb_put(int fd, __u32 vip_id, __u32 config_id, const struct qs_quiclb_config *c);
/*
 * qs_quiclb_rk: the round keys of key (abi/aes.h) for an encrypted
 * configuration, written before the configuration itself; NULL: zeros.
 * Every write raises the entry's generation, which ends the use of what
 * qs_quiclb_cache holds for the configuration.
 */
int qs_quiclb_rk_put(int fd, __u32 vip_id, __u32 config_id, const __u8 key[QS_QUICLB_KEY_LEN]);
int qs_server_id_put(int fd, const struct qs_server_id_key *key, __u32 backend_id);

/* Sums a per-CPU struct qs_counter (or __u64 with *_u64) over all CPUs. */
int qs_counter_read(int fd, __u32 index, struct qs_counter *sum);
int qs_counter_read_u64(int fd, __u32 index, __u64 *sum);

/* Builds a CID key; -EINVAL if len > QS_CID_MAX_LEN. */
int qs_cid_key_make(struct qs_cid_key *key, __u32 vip_id, const __u8 *cid, size_t len);

/*
 * Calls fn for every entry of a map (hash or array), a batch of lookups at
 * a time; stops at the first non-zero return and returns it (1: 0), or
 * -errno.
 */
typedef int (*qs_map_scan_fn)(void *ctx, const void *key, const void *value);
int qs_map_scan(int fd, size_t key_size, size_t value_size, qs_map_scan_fn fn, void *ctx);
/*
 * The same for an array (keys of at most 8 bytes), from the key after
 * *after on: fn returns 1 to stop once past what it wants (the scan then
 * returns 0).
 */
int qs_map_scan_after(int fd, size_t key_size, size_t value_size, const void *after,
		      qs_map_scan_fn fn, void *ctx);

/*
 * The keys of a small map, one system call each, for maps without batch
 * operations (an LPM trie): at most max into keys, their number in *n;
 * -E2BIG when the map holds more.
 */
int qs_map_keys(int fd, size_t key_size, void *keys, size_t max, size_t *n);

/*
 * A walk over a map a chunk of entries per step, for callers that must
 * not stay in one walk for long: each step is one batched lookup.
 * Deleting entries already seen is safe between steps.
 */
struct qs_map_walk {
	int fd;
	size_t key_size, value_size;
	__u32 chunk;
	int first; /* the next step starts a new pass */
	__u64 batch; /* the kernel's cursor */
	char *keys, *values;
};
int qs_map_walk_init(struct qs_map_walk *w, int fd, size_t key_size, size_t value_size,
		     __u32 chunk);
void qs_map_walk_free(struct qs_map_walk *w);
/*
 * Calls fn on the next chunk of entries: 0 while the pass goes on, 1 when
 * it ended with this step (the next step starts another), fn's non-zero
 * return, or -errno.
 */
int qs_map_walk_step(struct qs_map_walk *w, qs_map_scan_fn fn, void *ctx);

/* One run of an XDP program over a frame (BPF_PROG_TEST_RUN, repeat 1). */
struct qs_prog_run {
	const void *in;
	__u32 in_len;
	void *out; /* may be NULL */
	__u32 out_cap;
	__u32 out_len; /* out */
	__u32 action; /* out */
	__u32 duration_ns; /* out: the kernel's measurement */
	__u32 repeat; /* 0 means 1 */
	__u32 ingress_ifindex; /* 0: the loopback device, as the kernel picks */
};
int qs_prog_run(int prog_fd, struct qs_prog_run *run);

#endif /* QS_MAPS_H */
