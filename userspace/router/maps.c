// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cidtab.h"
#include "decap.skel.h"
#include "util/log.h"
#include "maps.h"
#include "abi/aes.h"
#include "abi/quiclb.h"
#include "quicsteer.skel.h"

int qs_pin_path(const char *pin_dir, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", pin_dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int qs_pin_open(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	int fd, err = qs_pin_path(pin_dir, name, path, sizeof(path));

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/*
 * The kernel adds BPF_F_RDONLY_PROG to every devmap it creates (and refuses
 * it from userspace), so libbpf 1.1 sees a pinned devmap's flags differ from
 * the object's and will not reuse it: a restarted agent could not load.
 * Such a pin is reused here by hand, after checking what libbpf would.
 */
static int devmap_reuse_pinned(struct bpf_map *map, const char *pin_dir)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd, err;

	fd = qs_pin_open(pin_dir, bpf_map__name(map));
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		err = -errno;
	else if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		 info.value_size != bpf_map__value_size(map) ||
		 info.max_entries != bpf_map__max_entries(map))
		err = -EINVAL;
	else
		err = bpf_map__reuse_fd(map, fd);
	if (err)
		pr_warn("map %s: cannot reuse the pin at %s: %s\n", bpf_map__name(map),
			bpf_map__pin_path(map), strerror(-err));
	close(fd);
	return err;
}

static int is_devmap(const struct bpf_map *map)
{
	return bpf_map__type(map) == BPF_MAP_TYPE_DEVMAP ||
	       bpf_map__type(map) == BPF_MAP_TYPE_DEVMAP_HASH;
}

/* Without a pin directory no map is pinned, so tests never share state. */
static int maps_set_pinning(struct bpf_object *obj, const char *pin_dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int err;

	bpf_object__for_each_map (map, obj) {
		/* only maps declared with LIBBPF_PIN_BY_NAME, never .rodata */
		if (!bpf_map__pin_path(map))
			continue;
		if (!pin_dir) {
			err = bpf_map__set_pin_path(map, NULL);
		} else {
			err = qs_pin_path(pin_dir, bpf_map__name(map), path, sizeof(path)) ?:
				      bpf_map__set_pin_path(map, path);
			if (!err && is_devmap(map))
				err = devmap_reuse_pinned(map, pin_dir);
		}
		if (err)
			return err;
	}
	return 0;
}

static int map_resize(struct bpf_map *map, __u32 entries)
{
	return entries ? bpf_map__set_max_entries(map, entries) : 0;
}

/* The max_entries of the map pinned as name under pin_dir; 0 when there is none. */
static __u32 pinned_entries(const char *pin_dir, const char *name)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (!pin_dir || qs_pin_path(pin_dir, name, path, sizeof(path)))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

int qs_router_open(const struct qs_load_opts *opts, struct quicsteer_bpf **out)
{
	struct quicsteer_bpf *skel;
	int err;

	skel = quicsteer_bpf__open();
	if (!skel)
		return -errno;
	err = maps_set_pinning(skel->obj, opts->pin_dir);
	if (!err)
		err = map_resize(skel->maps.qs_flows_v2, opts->flow_entries);
	if (!err)
		err = map_resize(skel->maps.qs_flows_new, opts->flow_new_entries);
	/* older pins' qs_cids is reused as it is; a new one is the object's single entry */
	if (!err)
		err = map_resize(skel->maps.qs_cids, pinned_entries(opts->pin_dir, QS_MAP_CIDS));
	if (!err && opts->cid_entries)
		err = map_resize(skel->maps.qs_cidtab,
				 qs_cidtab_elements(qs_cidtab_buckets_for(opts->cid_entries)));
	if (!err)
		err = map_resize(skel->maps.qs_learned, opts->learned_entries);
	if (err) {
		quicsteer_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

int qs_router_load(const struct qs_load_opts *opts, struct quicsteer_bpf **out)
{
	struct quicsteer_bpf *skel;
	int err;

	err = qs_router_open(opts, &skel);
	if (err)
		return err;
	err = quicsteer_bpf__load(skel);
	if (err) {
		pr_warn("router: cannot load the XDP program: %s\n", strerror(-err));
		quicsteer_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

int qs_decap_load(const struct qs_load_opts *opts, struct decap_bpf **out)
{
	struct decap_bpf *skel;
	int err;

	skel = decap_bpf__open();
	if (!skel)
		return -errno;
	err = maps_set_pinning(skel->obj, opts->pin_dir);
	if (!err)
		err = decap_bpf__load(skel);
	if (err) {
		pr_warn("decap: cannot load the XDP program: %s\n", strerror(-err));
		decap_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int map_put(int fd, const void *key, const void *value, __u64 flags)
{
	return bpf_map_update_elem(fd, key, value, flags) ? -errno : 0;
}

static int map_get(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem(fd, key, value) ? -errno : 0;
}

int qs_vip_put(int fd, const struct qs_vip_key *key, const struct qs_vip *vip)
{
	if (vip->vip_id >= QS_MAX_VIPS)
		return -ERANGE;
	return map_put(fd, key, vip, BPF_ANY);
}

int qs_backend_put(int fd, __u32 id, const struct qs_backend *be)
{
	return map_put(fd, &id, be, BPF_ANY);
}

int qs_nexthop_put(int fd, __u32 id, const struct qs_nexthop *nh)
{
	return map_put(fd, &id, nh, BPF_ANY);
}

int qs_cid_put(int fd, const struct qs_cid_key *key, const struct qs_cid_entry *e)
{
	return map_put(fd, key, e, BPF_ANY);
}

int qs_cid_get(int fd, const struct qs_cid_key *key, struct qs_cid_entry *e)
{
	return map_get(fd, key, e);
}

int qs_cid_del(int fd, const struct qs_cid_key *key)
{
	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

int qs_flow_get(int fd, const struct qs_flow_key *key, struct qs_flow *f)
{
	return map_get(fd, key, f);
}

int qs_flow_put(int fd, const struct qs_flow_key *key, const struct qs_flow *f)
{
	return map_put(fd, key, f, BPF_ANY);
}

int qs_quiclb_put(int fd, __u32 vip_id, __u32 config_id, const struct qs_quiclb_config *c)
{
	__u32 idx = qs_quiclb_index(vip_id, config_id);

	if (vip_id >= QS_MAX_VIPS || config_id >= QS_QUICLB_CONFIGS)
		return -ERANGE;
	return map_put(fd, &idx, c, BPF_ANY);
}

int qs_quiclb_rk_put(int fd, __u32 vip_id, __u32 config_id, const __u8 key[QS_QUICLB_KEY_LEN])
{
	__u32 idx = qs_quiclb_index(vip_id, config_id);
	struct qs_quiclb_rk rk;
	__u32 gen;
	int err;

	if (vip_id >= QS_MAX_VIPS || config_id >= QS_QUICLB_CONFIGS)
		return -ERANGE;
	/* a generation past the entry's, so that no decoded ID cached before is used */
	if (bpf_map_lookup_elem(fd, &idx, &rk))
		memset(&rk, 0, sizeof(rk));
	gen = rk.gen + 1 ? rk.gen + 1 : 1;
	memset(&rk, 0, sizeof(rk));
	rk.gen = gen;
	if (key)
		qs_aes128_schedules(key, rk.enc, rk.dec);
	err = map_put(fd, &idx, &rk, BPF_ANY);
	explicit_bzero(&rk, sizeof(rk));
	return err;
}

int qs_server_id_put(int fd, const struct qs_server_id_key *key, __u32 backend_id)
{
	return map_put(fd, key, &backend_id, BPF_ANY);
}

static int percpu_read(int fd, __u32 index, void **values, size_t value_size)
{
	int ncpus = libbpf_num_possible_cpus();
	void *buf;

	if (ncpus < 0)
		return ncpus;
	buf = calloc(ncpus, value_size);
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &index, buf)) {
		int err = -errno;

		free(buf);
		return err;
	}
	*values = buf;
	return ncpus;
}

int qs_counter_read(int fd, __u32 index, struct qs_counter *sum)
{
	struct qs_counter *per_cpu;
	int n = percpu_read(fd, index, (void **)&per_cpu, sizeof(*per_cpu));

	if (n < 0)
		return n;
	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < n; i++) {
		sum->packets += per_cpu[i].packets;
		sum->bytes += per_cpu[i].bytes;
	}
	free(per_cpu);
	return 0;
}

int qs_counter_read_u64(int fd, __u32 index, __u64 *sum)
{
	__u64 *per_cpu;
	int n = percpu_read(fd, index, (void **)&per_cpu, sizeof(*per_cpu));

	if (n < 0)
		return n;
	*sum = 0;
	for (int i = 0; i < n; i++)
		*sum += per_cpu[i];
	free(per_cpu);
	return 0;
}

int qs_cid_key_make(struct qs_cid_key *key, __u32 vip_id, const __u8 *cid, size_t len)
{
	if (len > QS_CID_MAX_LEN)
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	key->vip_id = vip_id;
	key->cid_len = len;
	memcpy(key->cid, cid, len);
	return 0;
}

int qs_prog_run(int prog_fd, struct qs_prog_run *run)
{
	struct xdp_md ctx = { .data_end = run->in_len, .ingress_ifindex = run->ingress_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = run->in, .data_size_in = run->in_len,
		    .data_out = run->out, .data_size_out = run->out_cap,
		    .repeat = run->repeat ? run->repeat : 1);

	if (run->ingress_ifindex) {
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	run->out_len = opts.data_size_out;
	run->action = opts.retval;
	run->duration_ns = opts.duration;
	return 0;
}

int qs_map_keys(int fd, size_t key_size, void *keys, size_t max, size_t *n)
{
	char *k = keys, *extra = malloc(key_size);
	size_t i;
	int err = 0;

	if (!extra)
		return -ENOMEM;
	for (i = 0;; i++) {
		/* past max, a key more is only looked for: the map holds too many */
		if (bpf_map_get_next_key(fd, i ? k + (i - 1) * key_size : NULL,
					 i < max ? k + i * key_size : extra)) {
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		if (i == max) {
			err = -E2BIG;
			break;
		}
	}
	free(extra);
	if (!err)
		*n = i;
	return err;
}

#define SCAN_CHUNK 4096

int qs_map_walk_init(struct qs_map_walk *w, int fd, size_t key_size, size_t value_size, __u32 chunk)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->key_size = key_size;
	w->value_size = value_size;
	w->chunk = chunk;
	w->first = 1;
	w->keys = malloc(chunk * key_size);
	w->values = malloc(chunk * value_size);
	if (!w->keys || !w->values) {
		qs_map_walk_free(w);
		return -ENOMEM;
	}
	return 0;
}

void qs_map_walk_free(struct qs_map_walk *w)
{
	free(w->keys);
	free(w->values);
	w->keys = w->values = NULL;
}

int qs_map_walk_step(struct qs_map_walk *w, qs_map_scan_fn fn, void *ctx)
{
	__u32 count = w->chunk;
	int end = 0, err = 0;

	/* the kernel's batch cursor (a bucket or an index) says where the next one starts */
	if (bpf_map_lookup_batch(w->fd, w->first ? NULL : &w->batch, &w->batch, w->keys, w->values,
				 &count, NULL)) {
		if (errno != ENOENT)
			return -errno;
		end = 1; /* the last batch, possibly with entries */
	}
	w->first = 0;
	for (__u32 i = 0; i < count && !err; i++)
		err = fn(ctx, w->keys + i * w->key_size, w->values + i * w->value_size);
	if (end)
		w->first = 1;
	return err ? err : end;
}

int qs_map_scan(int fd, size_t key_size, size_t value_size, qs_map_scan_fn fn, void *ctx)
{
	return qs_map_scan_after(fd, key_size, value_size, NULL, fn, ctx);
}

int qs_map_scan_after(int fd, size_t key_size, size_t value_size, const void *after,
		      qs_map_scan_fn fn, void *ctx)
{
	struct qs_map_walk w;
	int err;

	if (after && key_size > sizeof(w.batch))
		return -EINVAL;
	err = qs_map_walk_init(&w, fd, key_size, value_size, SCAN_CHUNK);
	if (err)
		return err;
	/* the kernel's generic batch takes the key before the first wanted */
	if (after) {
		memcpy(&w.batch, after, key_size);
		w.first = 0;
	}
	while (!(err = qs_map_walk_step(&w, fn, ctx)))
		;
	qs_map_walk_free(&w);
	return err == 1 ? 0 : err;
}
