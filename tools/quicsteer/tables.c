// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `cid show|lookup`, `flow show`: the router's ID and address tables read
 * from their pins, as tables or JSON, agent or not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "config/config.h"
#include "util/clock.h"
#include "router/maps.h"
#include "abi/abi.h"
#include "abi/flowhash.h"
#include "router/tableargs.h"
#include "util/words.h"

struct table_ctx {
	const struct cli_opts *o;
	json_object *rows;
	__u64 now;
	__u32 vip, backend; /* filters; QS_MAX_VIPS / QS_NO_BACKEND: any */
	unsigned long n;
	const char *map; /* the one being read */
};

static int cid_row(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_key *k = key;
	const struct qs_cid_entry *e = value;
	struct table_ctx *t = ctx;
	const char *kind = e->kind == QS_CID_LEARNED	? "learned" :
			   e->kind == QS_CID_OPERATOR ? "operator" :
							"authoritative";
	double age = e->created_ns && t->now > e->created_ns ? (t->now - e->created_ns) / 1e9 : 0;
	char id[2 * QS_CID_MAX_LEN + 1];
	json_object *r;

	if ((t->vip != QS_MAX_VIPS && k->vip_id != t->vip) ||
	    (t->backend != QS_NO_BACKEND && e->backend_id != t->backend))
		return 0;
	t->n++;
	qs_format_hex(k->cid, k->cid_len, id, sizeof(id));
	if (!t->o->json) {
		printf("vip %u cid %s backend %u %s age %.0fs\n", k->vip_id, id, e->backend_id,
		       kind, age);
		return 0;
	}
	r = json_object_new_object();
	json_object_object_add(r, "vip_id", json_object_new_int64(k->vip_id));
	json_object_object_add(r, "cid", json_object_new_string(id));
	json_object_object_add(r, "backend_id", json_object_new_int64(e->backend_id));
	json_object_object_add(r, "kind", json_object_new_string(kind));
	json_object_object_add(r, "age_s", json_object_new_double(age));
	json_object_array_add(t->rows, r);
	return 0;
}

/* [vip N] [backend N] */
static int filters_parse(int argc, char **argv, struct table_ctx *t)
{
	struct qs_table_filter f;
	char err[256];

	if (qs_table_filter_parse(argc, argv, 0, &f, err, sizeof(err))) {
		cli_err("%s", err);
		return -EINVAL;
	}
	t->vip = f.vip_id;
	t->backend = f.backend_id;
	return 0;
}

/* The rows of maps (NULL-terminated, entries of the same layout), one listing. */
static int table_show(const struct cli_opts *o, int argc, char **argv, const char *const *maps,
		      size_t key_size, size_t value_size, qs_map_scan_fn row)
{
	struct table_ctx t = { .o = o, .now = qs_now_coarse_ns() };
	int fd, err = filters_parse(argc, argv, &t);

	if (err)
		return err;
	t.rows = json_object_new_array();
	for (; !err && *maps; maps++) {
		fd = cli_pin_fd(o, *maps);
		if (fd < 0) {
			err = fd;
			break;
		}
		t.map = *maps;
		err = qs_map_scan(fd, key_size, value_size, row, &t);
		if (err)
			cli_err("%s: cannot read: %s", *maps, strerror(-err));
		close(fd);
	}
	if (!err && o->json)
		puts(json_object_to_json_string_ext(t.rows, JSON_OUT));
	json_object_put(t.rows);
	return err;
}

/* Reported and the operator's IDs, then the learned ones. */
static const char *const cid_maps[] = { QS_MAP_CIDS, QS_MAP_LEARNED, NULL };

/* cid show [vip N] [backend N]: the ID tables, reported, operator's and learned, with ages. */
int cli_cid_table_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	(void)c;
	return table_show(o, argc, argv, cid_maps, sizeof(struct qs_cid_key),
			  sizeof(struct qs_cid_entry), cid_row);
}

static int flow_row(void *ctx, const void *key, const void *value)
{
	const struct qs_flow_key *k = key;
	const struct qs_flow *f = value;
	struct table_ctx *t = ctx;
	double idle = t->now > f->last_seen_ns ? (t->now - f->last_seen_ns) / 1e9 : 0;
	/* established: a reported ID came from the address; new: only an Initial */
	const char *state = strcmp(t->map, QS_MAP_FLOWS_NEW) ? "established" : "new";
	char addr[64];
	json_object *r;

	if ((t->vip != QS_MAX_VIPS && k->vip_id != t->vip) ||
	    (t->backend != QS_NO_BACKEND && f->backend_id != t->backend))
		return 0;
	qs_format_addr(&k->addr, k->family, addr, sizeof(addr));
	if (!t->o->json) {
		printf("vip %u client %s port %u backend %u %s%s idle %.0fs\n", k->vip_id, addr,
		       ntohs(k->port), f->backend_id, state,
		       qs_flow_ambiguous(f, t->now) ? " ambiguous" : "", idle);
		return 0;
	}
	r = json_object_new_object();
	json_object_object_add(r, "vip_id", json_object_new_int64(k->vip_id));
	json_object_object_add(r, "client", json_object_new_string(addr));
	json_object_object_add(r, "port", json_object_new_int(ntohs(k->port)));
	json_object_object_add(r, "backend_id", json_object_new_int64(f->backend_id));
	json_object_object_add(r, "state", json_object_new_string(state));
	json_object_object_add(r, "ambiguous",
			       json_object_new_boolean(qs_flow_ambiguous(f, t->now)));
	json_object_object_add(r, "idle_s", json_object_new_double(idle));
	json_object_array_add(t->rows, r);
	return 0;
}

/* flow show [vip N] [backend N]: the address tables, established entries first. */
int cli_flow_table_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	(void)c;
	static const char *const maps[] = { QS_MAP_FLOWS, QS_MAP_FLOWS_NEW, NULL };

	return table_show(o, argc, argv, maps, sizeof(struct qs_flow_key), sizeof(struct qs_flow),
			  flow_row);
}

/* cid lookup VIP-ID HEX: one ID's entry; exit 1 when absent. */
int cli_cid_lookup(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct table_ctx t = { .o = o, .now = qs_now_coarse_ns() };
	struct qs_cid_entry e;
	struct qs_cid_key k;
	__u8 cid[QS_CID_MAX_LEN];
	char err[256];
	__u32 vip;
	size_t len;
	int fd, rc = -ENOENT;

	(void)c, (void)argc;
	if (qs_table_cid_parse(argv[0], argv[1], &vip, cid, &len, err, sizeof(err))) {
		cli_err("cid lookup: %s", err);
		return -EINVAL;
	}
	qs_cid_key_make(&k, vip, cid, len);
	for (const char *const *map = cid_maps; rc == -ENOENT && *map; map++) {
		fd = cli_pin_fd(o, *map);
		if (fd < 0)
			return fd;
		rc = bpf_map_lookup_elem(fd, &k, &e) ? -errno : 0;
		close(fd);
	}
	if (rc) {
		cli_err("cid %s on vip %u: %s", argv[1], (unsigned int)vip,
			rc == -ENOENT ? "not in the ID table" : strerror(-rc));
		return rc;
	}
	t.rows = json_object_new_array();
	t.vip = QS_MAX_VIPS;
	t.backend = QS_NO_BACKEND;
	cid_row(&t, &k, &e);
	if (o->json)
		puts(json_object_to_json_string_ext(json_object_array_get_idx(t.rows, 0),
						    JSON_OUT));
	json_object_put(t.rows);
	return 0;
}
