// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include <xdp/libxdp.h>
#include "util/words.h"
#include "attach.h"
#include "cidtab.h"
#include "maps.h"
#include "status.h"

const char *const qs_status_tables[] = {
	QS_MAP_VIPS,	  QS_MAP_BACKENDS,	QS_MAP_NEXTHOPS,  QS_MAP_MAGLEV,
	QS_MAP_CIDS,	  QS_MAP_CIDTAB,	QS_MAP_LEARNED,	  QS_MAP_FLOWS,
	QS_MAP_FLOWS_NEW, QS_MAP_QUICLB,	QS_MAP_QUICLB_RK, QS_MAP_SERVER_IDS,
	QS_MAP_SETTINGS,  QS_MAP_TX_PORTS,	QS_MAP_REPORTERS, QS_MAP_STATS,
	QS_MAP_VIP_STATS, QS_MAP_BACKEND_STATS, QS_MAP_AUX_STATS, QS_MAP_EVENTS,
};
const size_t qs_status_n_tables = sizeof(qs_status_tables) / sizeof(qs_status_tables[0]);

struct slot_count {
	__u32 value_size;
	long long n;
};

static int count_entry(void *ctx, const void *key, const void *value)
{
	(void)key, (void)value;
	++*(long long *)ctx;
	return 0;
}

/* Keys one at a time, where batches are not supported (devmap hash). */
static long long count_keys(int fd, __u32 key_size)
{
	char *key = calloc(2, key_size), *next = key + key_size;
	long long n = 0;

	if (!key)
		return -1;
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, next); prev = key, n++)
		memcpy(key, next, key_size);
	free(key);
	return n;
}

static int count_used_slot(void *ctx, const void *key, const void *value)
{
	struct slot_count *c = ctx;

	(void)key;
	for (__u32 b = 0; b < c->value_size; b++)
		if (((const char *)value)[b]) {
			c->n++;
			break;
		}
	return 0;
}

/* Slots not all zero, read a batch at a time: one system call per 4096 slots. */
static long long count_slots(int fd, __u32 value_size)
{
	struct slot_count c = { .value_size = value_size };

	return qs_map_scan(fd, sizeof(__u32), value_size, count_used_slot, &c) ? -1 : c.n;
}

int qs_table_use(int fd, struct qs_table_use *u)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	u->type = info.type;
	u->max_entries = info.max_entries;
	u->entries = -1;
	switch (info.type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
		u->entries = 0;
		if (qs_map_scan(fd, info.key_size, info.value_size, count_entry, &u->entries))
			u->entries = count_keys(fd, info.key_size);
		break;
	case BPF_MAP_TYPE_DEVMAP_HASH:
		u->entries = count_keys(fd, info.key_size);
		break;
	case BPF_MAP_TYPE_ARRAY:
		u->entries = count_slots(fd, info.value_size);
		break;
	default:
		break;
	}
	return 0;
}

static const char *type_name(__u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
		return "hash";
	case BPF_MAP_TYPE_LRU_HASH:
		return "lru_hash";
	case BPF_MAP_TYPE_ARRAY:
		return "array";
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return "percpu_array";
	case BPF_MAP_TYPE_DEVMAP_HASH:
		return "devmap_hash";
	case BPF_MAP_TYPE_RINGBUF:
		return "ringbuf";
	default:
		return "other";
	}
}

/* qs_cidtab's IDs (not its buckets), read through mmap; -1 if it cannot be. */
static long long cidtab_ids(int fd)
{
	struct qs_cidtab_stats st;
	struct qs_cidtab t;
	int err = qs_cidtab_map_ro(&t, fd);

	if (err) /* not made yet: no agent has put an ID */
		return err == -ENODATA ? 0 : -1;
	qs_cidtab_stats(&t, &st);
	qs_cidtab_unmap(&t);
	return st.entries;
}

/* max_entries and type from the kernel, entries from count_of or counted here. */
static int table_use_of(int fd, const char *name, qs_table_count_fn count_of, void *ctx,
			struct qs_table_use *u)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	long long n = count_of ? count_of(ctx, name) : -1;

	if (n < 0 && !strcmp(name, QS_MAP_CIDTAB))
		n = cidtab_ids(fd);
	if (n < 0)
		return qs_table_use(fd, u);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	u->type = info.type;
	u->max_entries = info.max_entries;
	u->entries = n;
	return 0;
}

struct json_object *qs_status_tables_json(qs_table_fd_fn fd_of, qs_table_count_fn count_of,
					  void *ctx)
{
	struct json_object *rows = json_object_new_array(), *r;
	struct qs_table_use u;

	for (size_t i = 0; i < qs_status_n_tables; i++) {
		int fd = fd_of(ctx, qs_status_tables[i]);

		if (fd < 0 || table_use_of(fd, qs_status_tables[i], count_of, ctx, &u))
			continue;
		r = json_object_new_object();
		json_object_object_add(r, "name", json_object_new_string(qs_status_tables[i]));
		json_object_object_add(r, "type", json_object_new_string(type_name(u.type)));
		json_object_object_add(r, "max_entries", json_object_new_int64(u.max_entries));
		json_object_object_add(r, "entries",
				       u.entries < 0 ? NULL : json_object_new_int64(u.entries));
		json_object_array_add(rows, r);
	}
	return rows;
}

/* The router among the programs libxdp sees on ifindex: its id, 0 if absent. */
static __u32 router_on(unsigned int ifindex, enum xdp_attach_mode *mode, bool *dispatcher)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	__u32 id = 0;

	if (!mp || libxdp_get_error(mp))
		return 0;
	*mode = xdp_multiprog__attach_mode(mp);
	*dispatcher = !xdp_multiprog__is_legacy(mp);
	if (!*dispatcher) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), QS_ROUTER_PROG_NAME))
			id = xdp_program__id(p);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !id;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), QS_ROUTER_PROG_NAME))
				id = xdp_program__id(p);
	}
	xdp_multiprog__close(mp);
	return id;
}

__u32 qs_status_router_on(const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);
	enum xdp_attach_mode mode;
	bool dispatcher;

	return ifindex ? router_on(ifindex, &mode, &dispatcher) : 0;
}

struct json_object *qs_status_attachments_json(void)
{
	struct json_object *rows = json_object_new_array(), *r;
	struct if_nameindex *ifs = if_nameindex();

	for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
		enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
		bool dispatcher = false;
		__u32 id = router_on(i->if_index, &mode, &dispatcher);

		if (!id)
			continue;
		r = json_object_new_object();
		json_object_object_add(r, "interface", json_object_new_string(i->if_name));
		json_object_object_add(r, "mode",
				       json_object_new_string(mode == XDP_MODE_SKB ? "generic" :
							      mode == XDP_MODE_HW  ? "offload" :
										     "native"));
		json_object_object_add(r, "prog_id", json_object_new_int64(id));
		json_object_object_add(r, "dispatcher", json_object_new_boolean(dispatcher));
		json_object_array_add(rows, r);
	}
	if (ifs)
		if_freenameindex(ifs);
	return rows;
}

struct json_object *qs_status_program_json(int prog_fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	struct json_object *o;
	char tag[2 * BPF_TAG_SIZE + 1];

	if (prog_fd < 0 || bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return NULL;
	qs_format_hex(info.tag, BPF_TAG_SIZE, tag, sizeof(tag));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(info.id));
	json_object_object_add(o, "name", json_object_new_string(info.name));
	json_object_object_add(o, "tag", json_object_new_string(tag));
	return o;
}
