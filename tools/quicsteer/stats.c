// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stats: the router's counters from the pinned per-CPU maps, summed over
 * CPUs (qs_counter_read), named by reasons.c and, when the agent answers,
 * by the configuration's VIP and backend names. -w: rates once a second.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli.h"
#include "config/config.h"
#include "router/maps.h"
#include "abi/abi.h"
#include "router/reasons.h"

struct stats_snap {
	struct qs_counter reason[QS_R__COUNT];
	__u64 aux[QS_AUX__COUNT];
	struct qs_counter vip[QS_MAX_VIPS];
	struct qs_counter be[QS_MAX_BACKENDS];
};

struct stats_maps {
	int stats, aux, vip, be;
};

/* Names by id; NULL entries: not configured (or unknown without an agent). */
struct stats_names {
	bool known;
	const char *vip[QS_MAX_VIPS];
	const char *be[QS_MAX_BACKENDS];
};

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

static void close_maps(struct stats_maps *m)
{
	int *fds[] = { &m->stats, &m->aux, &m->vip, &m->be };

	for (size_t i = 0; i < 4; i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

static int open_maps(const struct cli_opts *o, struct stats_maps *m)
{
	m->stats = cli_pin_fd(o, QS_MAP_STATS);
	m->aux = m->stats < 0 ? -1 : cli_pin_fd(o, QS_MAP_AUX_STATS);
	m->vip = m->aux < 0 ? -1 : cli_pin_fd(o, QS_MAP_VIP_STATS);
	m->be = m->vip < 0 ? -1 : cli_pin_fd(o, QS_MAP_BACKEND_STATS);
	if (m->be >= 0)
		return 0;
	close_maps(m);
	return -ENOENT;
}

static int read_snap(const struct stats_maps *m, const struct stats_names *nm, struct stats_snap *s)
{
	int err = 0;

	for (__u32 r = 0; r < QS_R__COUNT && !err; r++)
		err = qs_counter_read(m->stats, r, &s->reason[r]);
	for (__u32 a = 0; a < QS_AUX__COUNT && !err; a++)
		err = qs_counter_read_u64(m->aux, a, &s->aux[a]);
	for (__u32 v = 0; v < QS_MAX_VIPS && !err; v++)
		err = !nm->known || nm->vip[v] ? qs_counter_read(m->vip, v, &s->vip[v]) : 0;
	for (__u32 b = 1; b < QS_MAX_BACKENDS && !err; b++)
		err = !nm->known || nm->be[b] ? qs_counter_read(m->be, b, &s->be[b]) : 0;
	if (err)
		cli_err("stats: reading the counters: %s", strerror(-err));
	return err;
}

static struct json_object *counter_json(const struct qs_counter *c)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "packets", json_object_new_int64(c->packets));
	json_object_object_add(j, "bytes", json_object_new_int64(c->bytes));
	return j;
}

/* Per VIP or backend: the configured ones, or those counting, by id. */
static struct json_object *objects_json(const struct qs_counter *c, const char *const *names,
					__u32 first, __u32 n, bool known)
{
	struct json_object *arr = json_object_new_array(), *j;

	for (__u32 id = first; id < n; id++) {
		if (known ? !names[id] : !c[id].packets)
			continue;
		j = counter_json(&c[id]);
		json_object_object_add(j, "id", json_object_new_int64(id));
		json_object_object_add(j, "name",
				       names[id] ? json_object_new_string(names[id]) : NULL);
		json_object_array_add(arr, j);
	}
	return arr;
}

static struct json_object *stats_json(const struct stats_snap *s, const struct stats_names *nm)
{
	struct json_object *j = json_object_new_object(), *r = json_object_new_object(),
			   *a = json_object_new_object();

	for (__u32 i = 0; i < QS_R__COUNT; i++)
		json_object_object_add(r, qs_reason_name(i), counter_json(&s->reason[i]));
	for (__u32 i = 0; i < QS_AUX__COUNT; i++)
		json_object_object_add(a, qs_aux_counter_name(i), json_object_new_int64(s->aux[i]));
	json_object_object_add(j, "agent", json_object_new_boolean(nm->known));
	json_object_object_add(j, "reasons", r);
	json_object_object_add(j, "aux", a);
	json_object_object_add(j, "vips", objects_json(s->vip, nm->vip, 0, QS_MAX_VIPS, nm->known));
	json_object_object_add(j, "backends",
			       objects_json(s->be, nm->be, 1, QS_MAX_BACKENDS, nm->known));
	return j;
}

static void print_objects(const char *title, struct json_object *arr, const char *unit)
{
	printf("\n%-24s %16s %16s\n", title, unit[0] ? "packets/s" : "packets",
	       unit[0] ? "bytes/s" : "bytes");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		char label[64];

		json_object_object_get_ex(o, "name", &v);
		if (v)
			snprintf(label, sizeof(label), "%s", json_object_get_string(v));
		else
			snprintf(label, sizeof(label), "id %s",
				 json_object_get_string(json_object_object_get(o, "id")));
		printf("%-24s %16s %16s\n", label,
		       json_object_get_string(json_object_object_get(o, "packets")),
		       json_object_get_string(json_object_object_get(o, "bytes")));
	}
}

/* Text: the same JSON document laid out as tables. unit: "/s" for rates. */
static void print_stats(struct json_object *j, const char *unit)
{
	struct json_object *r = json_object_object_get(j, "reasons");

	printf("%-24s %16s %16s\n", "reason", unit[0] ? "packets/s" : "packets",
	       unit[0] ? "bytes/s" : "bytes");
	json_object_object_foreach(r, name, c)
	{
		printf("%-24s %16s %16s\n", name,
		       json_object_get_string(json_object_object_get(c, "packets")),
		       json_object_get_string(json_object_object_get(c, "bytes")));
	}
	printf("\n");
	json_object_object_foreach(json_object_object_get(j, "aux"), aname, av)
		printf("%-24s %16s\n", aname, json_object_get_string(av));
	print_objects("vip", json_object_object_get(j, "vips"), unit);
	print_objects("backend", json_object_object_get(j, "backends"), unit);
}

static void emit(const struct cli_opts *o, const struct stats_snap *s, const struct stats_names *nm,
		 const char *unit)
{
	struct json_object *j = stats_json(s, nm);

	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(j, JSON_OUT));
	else
		print_stats(j, unit);
	json_object_put(j);
	fflush(stdout);
}

static void counter_diff(struct qs_counter *d, const struct qs_counter *now,
			 const struct qs_counter *was, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		d[i].packets = now[i].packets - was[i].packets;
		d[i].bytes = now[i].bytes - was[i].bytes;
	}
}

/* Rates: the difference of two snapshots a second apart, until SIGINT. */
static int watch(const struct cli_opts *o, const struct stats_maps *m, const struct stats_names *nm,
		 struct stats_snap *s)
{
	struct stats_snap *now = calloc(2, sizeof(*now)), *rate;
	int err = -ENOMEM;

	if (!now)
		return err;
	err = 0;
	rate = now + 1;
	signal(SIGINT, on_sigint);
	while (!stop) {
		sleep(1);
		err = read_snap(m, nm, now);
		if (err || stop)
			break;
		counter_diff(rate->reason, now->reason, s->reason, QS_R__COUNT);
		counter_diff(rate->vip, now->vip, s->vip, QS_MAX_VIPS);
		counter_diff(rate->be, now->be, s->be, QS_MAX_BACKENDS);
		for (size_t i = 0; i < QS_AUX__COUNT; i++)
			rate->aux[i] = now->aux[i] - s->aux[i];
		if (!o->json)
			printf("\033[H\033[J");
		emit(o, rate, nm, "/s");
		*s = *now;
	}
	free(now);
	return err;
}

static void names_from_config(struct stats_names *nm, const struct qs_config *cfg)
{
	nm->known = true;
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (cfg->vips[i].id < QS_MAX_VIPS)
			nm->vip[cfg->vips[i].id] = cfg->vips[i].name;
	for (size_t i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].id < QS_MAX_BACKENDS)
			nm->be[cfg->backends[i].id] = cfg->backends[i].name;
}

static int parse_args(int argc, char **argv, bool *watching)
{
	*watching = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-w")) {
			cli_err("stats: unknown argument \"%s\" (stats [-w])", argv[i]);
			return -EINVAL;
		}
		*watching = true;
	}
	return 0;
}

int cli_stats_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct stats_names *nm = calloc(1, sizeof(*nm));
	struct stats_snap *s = calloc(1, sizeof(*s));
	struct qs_config *cfg = NULL;
	struct stats_maps m;
	bool watching;
	int err;

	(void)c;
	err = !nm || !s ? -ENOMEM : parse_args(argc, argv, &watching);
	if (err)
		goto free_mem;
	err = cli_agent_config(o, &cfg);
	if (!err)
		names_from_config(nm, cfg);
	else if (err != -EPROTO)
		cli_err("%s; stats from %s, by id", cli_agent_absent(o, err), o->pin_dir);
	err = open_maps(o, &m);
	if (err)
		goto free_cfg;
	err = read_snap(&m, nm, s);
	if (!err)
		watching ? (err = watch(o, &m, nm, s)) : emit(o, s, nm, "");
	close_maps(&m);
free_cfg:
	qs_config_free(cfg);
free_mem:
	free(s);
	free(nm);
	return err;
}
