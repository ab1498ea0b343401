// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vip show, backend show: rows built as JSON objects (the -j output, field
 * names stable) from the agent's running configuration, or from the pinned
 * maps when no agent answers, then printed as JSON or as a table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "config/config.h"
#include "router/maps.h"
#include "abi/abi.h"
#include "util/words.h"

static const char *const unknown_names[] = {
	[QS_UNKNOWN_DROP] = "drop", [QS_UNKNOWN_HASH] = "hash"
};
static const char *const frag_names[] = {
	[QS_FRAG_DROP] = "drop", [QS_FRAG_PASS] = "pass", [QS_FRAG_HASH] = "hash"
};
static const char *const entry_names[] = {
	[QS_ADDRESS_ENTRY_INITIAL] = "initial", [QS_ADDRESS_ENTRY_HANDSHAKE] = "handshake"
};
static const char *const fwd_names[] = { [QS_FWD_ENCAP] = "encap", [QS_FWD_L2DSR] = "l2dsr" };
static const char *const state_names[] = { [QS_BACKEND_ACTIVE] = "active",
					   [QS_BACKEND_DRAINING] = "draining",
					   [QS_BACKEND_DOWN] = "down" };

#define NAME_OF(tab, v) ((v) < sizeof(tab) / sizeof(tab[0]) && tab[v] ? tab[v] : "?")

static void add_str(struct json_object *j, const char *k, const char *v)
{
	json_object_object_add(j, k, v ? json_object_new_string(v) : NULL);
}

static void add_int(struct json_object *j, const char *k, long long v)
{
	json_object_object_add(j, k, json_object_new_int64(v));
}

/* Fetches the agent's configuration; quiet: no message when it is down. */
static int agent_config(const struct cli_opts *o, struct qs_config **cfg)
{
	struct qs_config_error cerr = { 0 };
	char *text, buf[1024];
	int err;

	err = cli_agent_show_text(o, &text, true);
	if (err)
		return err;
	err = qs_config_parse_string("agent", text, cfg, &cerr);
	free(text);
	if (err) {
		cli_err("show: %s", qs_config_error_str(&cerr, buf, sizeof(buf)));
		return -EPROTO;
	}
	return 0;
}

static struct json_object *vip_row(const struct qs_config_vip *v)
{
	struct json_object *j = json_object_new_object();
	char a[64];

	add_str(j, "name", v->name);
	add_str(j, "address", qs_format_addr(&v->addr.addr, v->addr.family, a, sizeof(a)));
	add_int(j, "port", v->port);
	add_int(j, "id", v->id);
	add_int(j, "cid_len", v->cid_len);
	add_str(j, "unknown", NAME_OF(unknown_names, v->unknown_policy));
	add_str(j, "fragments", NAME_OF(frag_names, v->frag_policy));
	add_str(j, "forward", NAME_OF(fwd_names, v->fwd_mode));
	add_str(j, "learn", v->learn ? "on" : "off");
	add_str(j, "address_entry", NAME_OF(entry_names, v->address_entry));
	return j;
}

static struct json_object *backend_row(const struct qs_config *cfg,
				       const struct qs_config_backend *b)
{
	struct json_object *j = json_object_new_object(), *vips = json_object_new_array();
	char a[64];

	add_str(j, "name", b->name);
	add_str(j, "address", qs_format_addr(&b->addr.addr, b->addr.family, a, sizeof(a)));
	add_int(j, "id", b->id);
	add_int(j, "weight", b->weight);
	add_str(j, "state", NAME_OF(state_names, b->state));
	for (size_t i = 0; i < b->n_vips; i++)
		json_object_array_add(vips, json_object_new_string(b->vips[i]));
	json_object_object_add(j, "vips", vips);
	add_str(j, "nexthop", b->nexthop[0] ? b->nexthop : NULL);
	add_int(j, "max_ids", qs_config_backend_max_ids(cfg, b));
	return j;
}

static int vip_pin_row(void *ctx, const void *key, const void *value)
{
	const struct qs_vip_key *k = key;
	const struct qs_vip *v = value;
	struct json_object *j = json_object_new_object();
	char a[64];

	add_str(j, "name", NULL);
	add_str(j, "address", qs_format_addr(&k->addr, k->family, a, sizeof(a)));
	add_int(j, "port", ntohs(k->port));
	add_int(j, "id", v->vip_id);
	add_int(j, "cid_len", v->cid_len);
	add_str(j, "unknown", NAME_OF(unknown_names, v->unknown_policy));
	add_str(j, "fragments", NAME_OF(frag_names, v->frag_policy));
	add_str(j, "forward", NAME_OF(fwd_names, v->fwd_mode));
	add_str(j, "learn", v->flags & QS_VIP_F_LEARN ? "on" : "off");
	add_str(j, "address_entry",
		v->flags & QS_VIP_F_ENTRY_AT_HANDSHAKE ? "handshake" : "initial");
	json_object_array_add(ctx, j);
	return 0;
}

static int vips_from_pins(const struct cli_opts *o, struct json_object *rows)
{
	int fd, err;

	fd = cli_pin_fd(o, QS_MAP_VIPS);
	if (fd < 0)
		return fd;
	err = qs_map_scan(fd, sizeof(struct qs_vip_key), sizeof(struct qs_vip), vip_pin_row, rows);
	close(fd);
	return err;
}

static int backend_pin_row(void *ctx, const void *key, const void *value)
{
	const struct qs_backend *be = value;
	__u32 id = *(const __u32 *)key;
	struct json_object *j;
	char a[64];

	if (!id || be->family == QS_AF_NONE)
		return 0;
	j = json_object_new_object();
	add_str(j, "name", NULL);
	add_str(j, "address", qs_format_addr(&be->addr, be->family, a, sizeof(a)));
	add_int(j, "id", id);
	add_int(j, "weight", be->weight);
	add_str(j, "state", NAME_OF(state_names, be->state));
	json_object_array_add(ctx, j);
	return 0;
}

/* Every slot of qs_backends, read a batch at a time. */
static int backends_from_pins(const struct cli_opts *o, struct json_object *rows)
{
	int fd = cli_pin_fd(o, QS_MAP_BACKENDS), err;

	if (fd < 0)
		return fd;
	err = qs_map_scan(fd, sizeof(__u32), sizeof(struct qs_backend), backend_pin_row, rows);
	close(fd);
	return err;
}

/* An array cell: its items joined by commas, as `ip` lists flags. */
static const char *array_cell(struct json_object *v, char *buf, size_t size)
{
	size_t n = json_object_array_length(v), len = 0;

	if (!n)
		return "-";
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? "," : "",
				json_object_get_string(json_object_array_get_idx(v, i)));
	return buf;
}

/* A table: one column per field of cols, values as JSON prints them bare. */
static void print_table(struct json_object *rows, const char *const *cols, size_t ncols)
{
	char cell[256];

	for (size_t c = 0; c < ncols; c++)
		printf("%-*s", c + 1 < ncols ? 16 : 0, cols[c]);
	printf("\n");
	for (size_t r = 0; r < json_object_array_length(rows); r++) {
		struct json_object *row = json_object_array_get_idx(rows, r), *v;
		const char *s;

		for (size_t c = 0; c < ncols; c++) {
			if (!json_object_object_get_ex(row, cols[c], &v) || !v)
				s = "-";
			else if (json_object_is_type(v, json_type_array))
				s = array_cell(v, cell, sizeof(cell));
			else
				s = json_object_get_string(v);
			printf("%-*s%s", c + 1 < ncols ? 15 : 0, s, c + 1 < ncols ? " " : "");
		}
		printf("\n");
	}
}

static int emit(const struct cli_opts *o, struct json_object *rows, const char *const *cols,
		size_t ncols)
{
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(rows, JSON_OUT));
	else
		print_table(rows, cols, ncols);
	json_object_put(rows);
	return 0;
}

enum show_kind { SHOW_VIP, SHOW_BACKEND };

static int show_config(struct qs_config *cfg, enum show_kind kind, const char *name,
		       struct json_object *rows)
{
	size_t n = kind == SHOW_VIP ? cfg->n_vips : cfg->n_backends;

	for (size_t i = 0; i < n; i++) {
		const char *nm = kind == SHOW_VIP ? cfg->vips[i].name : cfg->backends[i].name;

		if (name && strcmp(name, nm))
			continue;
		json_object_array_add(rows, kind == SHOW_VIP ? vip_row(&cfg->vips[i]) :
							       backend_row(cfg, &cfg->backends[i]));
	}
	if (name && !json_object_array_length(rows)) {
		cli_err("%s \"%s\": no such %s", kind == SHOW_VIP ? "vip" : "backend", name,
			kind == SHOW_VIP ? "vip" : "backend");
		return -ENOENT;
	}
	return 0;
}

static int show(const struct cli_opts *o, enum show_kind kind, int argc, char **argv)
{
	static const char *const vcols[] = { "name",	"address",	"port",	     "id",
					     "cid_len", "unknown",	"fragments", "forward",
					     "learn",	"address_entry" };
	static const char *const bcols[] = { "name",  "address", "id",	    "weight",
					     "state", "vips",	 "nexthop", "max_ids" };
	const char *object = kind == SHOW_VIP ? "vip" : "backend";
	struct json_object *rows = json_object_new_array();
	struct qs_config *cfg;
	int err;

	if (argc > 1) {
		cli_err("%s show: unexpected argument \"%s\"", object, argv[1]);
		err = -EINVAL;
		goto free_rows;
	}
	err = agent_config(o, &cfg);
	if (err == -EPROTO)
		goto free_rows;
	if (!err) {
		err = show_config(cfg, kind, argc ? argv[0] : NULL, rows);
		qs_config_free(cfg);
	} else {
		cli_err("%s; %s show reads %s, without names", cli_agent_absent(o, err), object,
			o->pin_dir);
		err = kind == SHOW_VIP ? vips_from_pins(o, rows) : backends_from_pins(o, rows);
	}
	if (err)
		goto free_rows;
	return kind == SHOW_VIP ? emit(o, rows, vcols, 10) : emit(o, rows, bcols, 7);
free_rows:
	json_object_put(rows);
	return err;
}

int cli_vip_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	(void)c;
	return show(o, SHOW_VIP, argc, argv);
}

int cli_backend_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	(void)c;
	return show(o, SHOW_BACKEND, argc, argv);
}

/* For stats: the configuration, or -errno quietly when no agent answers. */
int cli_agent_config(const struct cli_opts *o, struct qs_config **cfg)
{
	return agent_config(o, cfg);
}
