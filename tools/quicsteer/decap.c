// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `decap show|allow|del|flush`: on a backend, the allow-lists and counters
 * of decap.bpf.o, read and written through its pins alone (no agent runs
 * there). Without --pin-dir they are looked for where ip(8) pins them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli.h"
#include "router/decap.h"
#include "router/maps.h"
#include "router/reasons.h"
#include "util/words.h"

static const char *decap_pin_dir(const struct cli_opts *o)
{
	return o->pin_dir_set ? o->pin_dir : QS_DECAP_PIN_DIR_IP;
}

static int decap_pin(const struct cli_opts *o, const char *map)
{
	struct cli_opts d = *o;
	char path[PATH_MAX];
	int fd;

	d.pin_dir = decap_pin_dir(o);
	fd = cli_pin_try(&d, map);
	if (fd < 0) {
		qs_pin_path(d.pin_dir, map, path, sizeof(path));
		cli_err("%s: %s (is decap.bpf.o loaded? ip pins its maps under %s, xdp-loader "
			"-p under its DIR: give that with --pin-dir)",
			path, strerror(-fd), QS_DECAP_PIN_DIR_IP);
	}
	return fd;
}

/* ---- show ---- */

struct decap_lists {
	struct qs_prefix srcs[QS_DECAP_MAX_SRCS];
	struct qs_vip_key vips[QS_DECAP_MAX_VIPS];
	struct qs_counter reasons[QS_D__COUNT];
	size_t n_srcs, n_vips;
};

static int lists_read(const struct cli_opts *o, struct decap_lists *l)
{
	int srcs = -1, vips = -1, stats, err = 0;

	stats = decap_pin(o, QS_MAP_DECAP_STATS);
	if (stats >= 0)
		srcs = decap_pin(o, QS_MAP_DECAP_SRCS);
	if (srcs >= 0)
		vips = decap_pin(o, QS_MAP_DECAP_VIPS);
	if (vips < 0) {
		err = stats < 0 ? stats : srcs < 0 ? srcs : vips;
		goto close_fds;
	}
	err = qs_decap_srcs_list(srcs, l->srcs, QS_DECAP_MAX_SRCS, &l->n_srcs) ?:
		      qs_decap_vips_list(vips, l->vips, QS_DECAP_MAX_VIPS, &l->n_vips);
	for (__u32 r = 0; r < QS_D__COUNT && !err; r++)
		err = qs_counter_read(stats, r, &l->reasons[r]);
	if (err)
		cli_err("decap: reading the pins under %s: %s", decap_pin_dir(o), strerror(-err));
close_fds:
	if (vips >= 0)
		close(vips);
	if (srcs >= 0)
		close(srcs);
	if (stats >= 0)
		close(stats);
	return err;
}

static void show_text(const struct decap_lists *l)
{
	char buf[INET6_ADDRSTRLEN + 8];

	for (size_t i = 0; i < l->n_srcs; i++)
		printf("source %s\n", qs_format_prefix(&l->srcs[i], buf, sizeof(buf)));
	if (!l->n_srcs)
		printf("source none: every encapsulated packet is dropped (drop_source)\n");
	for (size_t i = 0; i < l->n_vips; i++)
		printf("vip %s %u\n",
		       qs_format_addr(&l->vips[i].addr, l->vips[i].family, buf, sizeof(buf)),
		       ntohs(l->vips[i].port));
	if (!l->n_vips)
		printf("vip none: every encapsulated packet is dropped (drop_not_vip)\n");
	for (__u32 r = 0; r < QS_D__COUNT; r++)
		printf("reason %s packets %llu bytes %llu\n", qs_decap_reason_name(r),
		       (unsigned long long)l->reasons[r].packets,
		       (unsigned long long)l->reasons[r].bytes);
}

static void show_json(const struct decap_lists *l, const char *pin_dir)
{
	json_object *j = json_object_new_object(), *srcs = json_object_new_array(),
		    *vips = json_object_new_array(), *reasons = json_object_new_object(), *e;
	char buf[INET6_ADDRSTRLEN + 8];

	for (size_t i = 0; i < l->n_srcs; i++) {
		qs_format_prefix(&l->srcs[i], buf, sizeof(buf));
		json_object_array_add(srcs, json_object_new_string(buf));
	}
	for (size_t i = 0; i < l->n_vips; i++) {
		const struct qs_vip_key *v = &l->vips[i];

		e = json_object_new_object();
		qs_format_addr(&v->addr, v->family, buf, sizeof(buf));
		json_object_object_add(e, "address", json_object_new_string(buf));
		json_object_object_add(e, "port", json_object_new_int(ntohs(v->port)));
		json_object_array_add(vips, e);
	}
	for (__u32 r = 0; r < QS_D__COUNT; r++) {
		e = json_object_new_object();
		json_object_object_add(e, "packets", json_object_new_int64(l->reasons[r].packets));
		json_object_object_add(e, "bytes", json_object_new_int64(l->reasons[r].bytes));
		json_object_object_add(reasons, qs_decap_reason_name(r), e);
	}
	json_object_object_add(j, "pin_dir", json_object_new_string(pin_dir));
	json_object_object_add(j, "sources", srcs);
	json_object_object_add(j, "vips", vips);
	json_object_object_add(j, "reasons", reasons);
	puts(json_object_to_json_string_ext(j, JSON_OUT));
	json_object_put(j);
}

/* decap show: the allow-lists, in order, and the counters per reason. */
int cli_decap_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct decap_lists *l;
	int err;

	if (argc) {
		cli_err("decap show: unexpected \"%s\" (decap show takes no argument)", argv[0]);
		return -EINVAL;
	}
	(void)c;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = lists_read(o, l);
	if (!err && o->json)
		show_json(l, decap_pin_dir(o));
	else if (!err)
		show_text(l);
	free(l);
	return err;
}

/* ---- allow, del ---- */

/* One entry's words: source PREFIX, or vip ADDRESS PORT. */
struct decap_entry {
	bool is_vip;
	struct qs_prefix src;
	struct qs_vip_key vip;
};

static int entry_parse(const char *verb, int argc, char **argv, struct decap_entry *e)
{
	struct qs_addr addr;
	__u8 family;
	__u64 port;
	int err;

	e->is_vip = !strcmp(argv[0], "vip");
	if (strcmp(argv[0], "source") && !e->is_vip) {
		cli_err("decap %s: \"%s\": expected source PREFIX or vip ADDRESS PORT", verb,
			argv[0]);
		return -EINVAL;
	}
	if (argc != (e->is_vip ? 3 : 2)) {
		cli_err("decap %s: %s wants %s", verb, argv[0],
			e->is_vip ? "an ADDRESS and a PORT, nothing after" :
				    "one PREFIX, nothing after");
		return -EINVAL;
	}
	if (!e->is_vip) {
		err = qs_parse_prefix(argv[1], &e->src);
		if (err)
			cli_err("decap %s: source \"%s\": %s", verb, argv[1],
				err == -ERANGE ? "prefix length past 32 (IPv4) or 128 (IPv6)" :
						 "not ADDRESS[/BITS] with no bit set past BITS");
		return err ? -EINVAL : 0;
	}
	if (qs_parse_addr(argv[1], &addr, &family)) {
		cli_err("decap %s: vip \"%s\": not an IPv4 or IPv6 address", verb, argv[1]);
		return -EINVAL;
	}
	if (qs_parse_u64_range(argv[2], 0, 65535, &port)) {
		cli_err("decap %s: vip %s port \"%s\": not a port (0..65535; 0: fragments)", verb,
			argv[1], argv[2]);
		return -EINVAL;
	}
	qs_decap_vip_key_make(&e->vip, &addr, family, (__u16)port);
	return 0;
}

/* decap allow|del source PREFIX | vip ADDRESS PORT */
int cli_decap_change(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	bool allow = !strcmp(c->verb, "allow");
	char what[96], prefix[INET6_ADDRSTRLEN + 8];
	struct decap_entry e;
	int fd, err = entry_parse(c->verb, argc, argv, &e);

	if (err)
		return err;
	fd = decap_pin(o, e.is_vip ? QS_MAP_DECAP_VIPS : QS_MAP_DECAP_SRCS);
	if (fd < 0)
		return fd;
	if (e.is_vip)
		err = allow ? qs_decap_vip_allow(fd, &e.vip) : qs_decap_vip_remove(fd, &e.vip);
	else
		err = allow ? qs_decap_src_allow(fd, &e.src) : qs_decap_src_remove(fd, &e.src);
	close(fd);
	if (!err)
		return 0;
	if (e.is_vip)
		snprintf(what, sizeof(what), "vip %s %s", argv[1], argv[2]);
	else
		snprintf(what, sizeof(what), "source %s",
			 qs_format_prefix(&e.src, prefix, sizeof(prefix)));
	if (err == -ENOENT)
		cli_err("decap %s: %s: not allowed, nothing to remove", c->verb, what);
	else if (err == -ENOSPC || err == -E2BIG)
		cli_err("decap %s: %s: the list is full (%d entries)", c->verb, what,
			e.is_vip ? QS_DECAP_MAX_VIPS : QS_DECAP_MAX_SRCS);
	else
		cli_err("decap %s: %s: %s", c->verb, what, strerror(-err));
	return err;
}

/* ---- flush ---- */

static int flush_one(const struct cli_opts *o, const char *map, size_t key_size, const char *name,
		     json_object *j)
{
	int fd = decap_pin(o, map), n;

	if (fd < 0)
		return fd;
	n = qs_decap_flush(fd, key_size);
	close(fd);
	if (n < 0) {
		cli_err("decap flush: %s: %s", name, strerror(-n));
		return n;
	}
	if (o->json)
		json_object_object_add(j, name, json_object_new_int(n));
	else
		printf("decap flush: %d %s removed\n", n, name);
	return 0;
}

/* decap flush [sources|vips]: both lists unless one is named. */
int cli_decap_flush(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	bool srcs = !argc || !strcmp(argv[0], "sources"), vips = !argc || !strcmp(argv[0], "vips");
	json_object *j;
	int err = 0;

	(void)c;
	if (argc > 1 || (!srcs && !vips)) {
		cli_err("decap flush: \"%s\": expected sources, vips or nothing (both)",
			argv[argc > 1 && (srcs || vips) ? 1 : 0]);
		return -EINVAL;
	}
	j = json_object_new_object();
	if (srcs)
		err = flush_one(o, QS_MAP_DECAP_SRCS, sizeof(struct qs_decap_src_key), "sources",
				j);
	if (!err && vips)
		err = flush_one(o, QS_MAP_DECAP_VIPS, sizeof(struct qs_vip_key), "vips", j);
	if (!err && o->json)
		puts(json_object_to_json_string_ext(j, JSON_OUT));
	json_object_put(j);
	return err;
}
