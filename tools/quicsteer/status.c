// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * status: the agent's answer, or without an agent what the pins and the
 * kernel tell (which maps are pinned, their occupancy, where the router is
 * attached and which program it is), as JSON or as lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "abi/abi.h"
#include "router/status.h"

struct pins {
	const struct cli_opts *o;
	struct json_object *names;
	int fds[32];
	size_t n;
};

static int pin_fd(void *ctx, const char *name)
{
	struct pins *p = ctx;
	int fd = cli_pin_try(p->o, name);

	if (fd < 0 || p->n == sizeof(p->fds) / sizeof(p->fds[0]))
		return fd < 0 ? fd : (close(fd), -1);
	p->fds[p->n++] = fd;
	json_object_array_add(p->names, json_object_new_string(name));
	return fd;
}

/* The router's program: the one attached, found by its id. */
static struct json_object *program_of(struct json_object *attachments)
{
	struct json_object *id, *prog = NULL;
	int fd;

	if (!json_object_array_length(attachments) ||
	    !json_object_object_get_ex(json_object_array_get_idx(attachments, 0), "prog_id", &id))
		return NULL;
	fd = bpf_prog_get_fd_by_id(json_object_get_int64(id));
	if (fd >= 0) {
		prog = qs_status_program_json(fd);
		close(fd);
	}
	return prog;
}

int cli_status_from_pins(const struct cli_opts *o)
{
	struct pins p = { .o = o, .names = json_object_new_array() };
	struct json_object *j = json_object_new_object(), *tables, *att;

	tables = qs_status_tables_json(pin_fd, NULL, &p);
	for (size_t i = 0; i < p.n; i++)
		close(p.fds[i]);
	if (!p.n) {
		cli_err("status: no router is pinned under %s (no agent, and none of its maps "
			"there: --pin-dir names another directory?)",
			o->pin_dir);
		json_object_put(tables);
		json_object_put(p.names);
		json_object_put(j);
		return -ENOENT;
	}
	att = qs_status_attachments_json();
	json_object_object_add(j, "agent", json_object_new_boolean(0));
	json_object_object_add(j, "pin_dir", json_object_new_string(o->pin_dir));
	json_object_object_add(j, "maps", p.names);
	json_object_object_add(j, "program", program_of(att));
	json_object_object_add(j, "attachments", att);
	json_object_object_add(j, "abi_version", json_object_new_int(QS_ABI_VERSION));
	json_object_object_add(j, "tables", tables);
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(j, JSON_OUT));
	} else {
		printf("agent: not running (read from the pins and the kernel)\n");
		json_object_object_del(j, "agent");
		cli_status_print(j);
	}
	json_object_put(j);
	return 0;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "-";
}

static void print_tables(struct json_object *rows)
{
	printf("%-16s %-13s %10s %10s %6s\n", "table", "type", "entries", "max", "use");
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i), *e, *m;
		double max;

		json_object_object_get_ex(r, "entries", &e);
		json_object_object_get_ex(r, "max_entries", &m);
		max = json_object_get_double(m);
		printf("%-16s %-13s %10s %10s ", str_of(r, "name"), str_of(r, "type"),
		       e ? json_object_get_string(e) : "-", json_object_get_string(m));
		if (e && max > 0)
			printf("%5.1f%%\n", 100.0 * json_object_get_double(e) / max);
		else
			printf("%6s\n", "-");
	}
}

static void print_attachments(struct json_object *rows)
{
	printf("attachments:%s\n", json_object_array_length(rows) ? "" : " none");
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i), *d;

		json_object_object_get_ex(r, "dispatcher", &d);
		printf("  %s %s mode, program %s%s\n", str_of(r, "interface"), str_of(r, "mode"),
		       str_of(r, "prog_id"),
		       json_object_get_boolean(d) ? " (under libxdp's dispatcher)" : "");
	}
}

/* Each backend's IDs against its quota, a line each. */
static void print_backend_ids(struct json_object *rows)
{
	printf("%-16s %5s %10s %10s %12s\n", "backend", "id", "ids", "max_ids", "over_quota");
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i);

		printf("%-16s %5s %10s %10s %12s\n", str_of(r, "name"), str_of(r, "id"),
		       str_of(r, "ids"), str_of(r, "max_ids"), str_of(r, "over_quota"));
	}
}

/* Members as "key: value" lines; tables, attachments and backends' IDs as tables. */
void cli_status_print(struct json_object *st)
{
	json_object_object_foreach(st, key, val)
	{
		if (!strcmp(key, "ok") || !strcmp(key, "tables") || !strcmp(key, "attachments") ||
		    !strcmp(key, "backend_ids"))
			continue;
		if (!strcmp(key, "program") && val)
			printf("program: id %s, %s, tag %s\n", str_of(val, "id"),
			       str_of(val, "name"), str_of(val, "tag"));
		else
			printf("%s: %s\n", key,
			       !val ? "-" :
			       json_object_is_type(val, json_type_string) ?
				      json_object_get_string(val) :
				      json_object_to_json_string_ext(val, JSON_OUT));
	}
	if (json_object_object_get_ex(st, "attachments", NULL))
		print_attachments(json_object_object_get(st, "attachments"));
	if (json_object_object_get_ex(st, "tables", NULL))
		print_tables(json_object_object_get(st, "tables"));
	if (json_object_object_get_ex(st, "backend_ids", NULL))
		print_backend_ids(json_object_object_get(st, "backend_ids"));
}
