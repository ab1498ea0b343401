// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The rules a configuration must keep before the agent writes a single map
 * entry from it: those of each object alone (also applied line by line by
 * the parser) and those across objects (names, ids, references, address
 * families, table limits, QUIC-LB lengths). The same pass guards the
 * control socket, whose configurations come from no file (line 0).
 *
 * Every rule runs and the problem on the earliest line wins, so an operator
 * fixes a file top to bottom. Lookups are linear where the counts are
 * bounded small (32 VIPs, 256 nexthops); backends (4095) are sorted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/words.h"
#include "config.h"
#include "abi/quiclb.h"

struct checker {
	struct qs_config_error *err;
	bool found;
};

static int set_error(struct qs_config_error *e, unsigned int line, const char *fmt, va_list ap)
{
	e->line = line;
	e->column = 0;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -EINVAL;
}

static int object_error(struct qs_config_error *e, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int object_error(struct qs_config_error *e, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(e, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Keeps the problem on the earliest line (the first reported among equals). */
static void keep(struct checker *c, const struct qs_config_error *e)
{
	if (c->found && e->line >= c->err->line)
		return;
	c->err->line = e->line;
	c->err->column = e->column;
	memcpy(c->err->msg, e->msg, sizeof(c->err->msg));
	c->found = true;
}

static void report(struct checker *c, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct checker *c, unsigned int line, const char *fmt, ...)
{
	struct qs_config_error e;
	va_list ap;

	va_start(ap, fmt);
	set_error(&e, line, fmt, ap);
	va_end(ap);
	keep(c, &e);
}

int qs_config_check_vip(const struct qs_config_vip *v, struct qs_config_error *e)
{
	if (qs_config_name_problem(v->name))
		return object_error(e, v->line, "vip \"%s\": name %s", v->name,
				    qs_config_name_problem(v->name));
	if (v->addr.family != QS_AF_INET && v->addr.family != QS_AF_INET6)
		return object_error(e, v->line, "vip \"%s\": address missing", v->name);
	if (v->port < 1 || v->port > 65535)
		return object_error(e, v->line, "vip \"%s\": port %u out of range (1..65535)",
				    v->name, v->port);
	if (v->id != QS_CONFIG_ID_NONE && v->id >= QS_MAX_VIPS)
		return object_error(e, v->line, "vip \"%s\": id %u out of range (0..%d)", v->name,
				    v->id, QS_MAX_VIPS - 1);
	if (v->cid_len > QS_CID_MAX_LEN)
		return object_error(e, v->line, "vip \"%s\": cid-len %u out of range (0..%d)",
				    v->name, v->cid_len, QS_CID_MAX_LEN);
	if (v->unknown_policy > QS_UNKNOWN_HASH || v->frag_policy > QS_FRAG_HASH ||
	    v->fwd_mode > QS_FWD_L2DSR || v->address_entry > QS_ADDRESS_ENTRY_HANDSHAKE)
		return object_error(
			e, v->line,
			"vip \"%s\": unknown, fragments, forward or address-entry not valid",
			v->name);
	return 0;
}

static int quiclb_lengths(const struct qs_config_quiclb *q, struct qs_config_error *e,
			  const char *vip, unsigned int cfg)
{
	__u32 sum = q->server_id_len + q->nonce_len;

	/* longer IDs the data path ignores (abi/quiclb.h); the lengths are in range here */
	if (qs_quiclb_cid_len(q->server_id_len, q->nonce_len) > QS_CID_MAX_LEN)
		return object_error(
			e, q->line,
			"quic-lb \"%s\" config %u: server-id-len %u + nonce-len %u = %u, "
			"more than %d (the ID's first byte makes %d)",
			vip, cfg, q->server_id_len, q->nonce_len, sum, QS_CID_MAX_LEN - 1,
			QS_CID_MAX_LEN);
	/* the draft fixes the algorithm by the length: one AES block or not */
	if (q->mode == QS_QUICLB_AES_SINGLE && sum != QS_QUICLB_KEY_LEN)
		return object_error(e, q->line,
				    "quic-lb \"%s\" config %u: aes-single needs server-id-len + "
				    "nonce-len = 16, not %u (use aes-four-pass)",
				    vip, cfg, sum);
	if (q->mode == QS_QUICLB_AES_FOUR_PASS && sum == QS_QUICLB_KEY_LEN)
		return object_error(e, q->line,
				    "quic-lb \"%s\" config %u: server-id-len + nonce-len = 16 "
				    "needs aes-single, not aes-four-pass",
				    vip, cfg);
	return 0;
}

int qs_config_check_quiclb(const struct qs_config_quiclb *q, struct qs_config_error *e)
{
	const char *vip = q->vip;
	unsigned int cfg = q->config_id;

	if (cfg >= QS_QUICLB_CONFIGS)
		return object_error(e, q->line, "quic-lb \"%s\": config %u out of range (0..%d)",
				    vip, cfg, QS_QUICLB_CONFIGS - 1);
	if (q->mode < QS_QUICLB_PLAINTEXT || q->mode > QS_QUICLB_AES_FOUR_PASS)
		return object_error(e, q->line, "quic-lb \"%s\" config %u: mode missing", vip, cfg);
	if (q->server_id_len < 1 || q->server_id_len > QS_QUICLB_SID_MAX)
		return object_error(
			e, q->line,
			"quic-lb \"%s\" config %u: server-id-len %u out of range (1..%d)", vip, cfg,
			q->server_id_len, QS_QUICLB_SID_MAX);
	if (q->nonce_len < QS_QUICLB_NONCE_MIN || q->nonce_len > QS_QUICLB_NONCE_MAX)
		return object_error(
			e, q->line, "quic-lb \"%s\" config %u: nonce-len %u out of range (%d..%d)",
			vip, cfg, q->nonce_len, QS_QUICLB_NONCE_MIN, QS_QUICLB_NONCE_MAX);
	if (quiclb_lengths(q, e, vip, cfg))
		return -EINVAL;
	if (q->mode != QS_QUICLB_PLAINTEXT && !q->key_file[0])
		return object_error(
			e, q->line, "quic-lb \"%s\" config %u: mode %s needs a key-file", vip, cfg,
			q->mode == QS_QUICLB_AES_SINGLE ? "aes-single" : "aes-four-pass");
	if (q->mode == QS_QUICLB_PLAINTEXT && q->key_file[0])
		return object_error(e, q->line,
				    "quic-lb \"%s\" config %u: mode plaintext takes no key-file",
				    vip, cfg);
	return 0;
}

int qs_config_check_nexthop(const struct qs_config_nexthop *nh, struct qs_config_error *e)
{
	static const __u8 no_mac[6];
	const char *problem = qs_config_ifname_problem(nh->dev);

	if (qs_config_name_problem(nh->name))
		return object_error(e, nh->line, "nexthop \"%s\": name %s", nh->name,
				    qs_config_name_problem(nh->name));
	if (problem)
		return object_error(e, nh->line, "nexthop \"%s\": dev \"%s\" %s", nh->name, nh->dev,
				    problem);
	if (memcmp(nh->lladdr, no_mac, sizeof(no_mac)) && nh->gateway.family == QS_AF_NONE)
		return object_error(
			e, nh->line,
			"nexthop \"%s\": lladdr needs a gateway (without one, each "
			"backend's own address is resolved; give the backend an lladdr)",
			nh->name);
	if (nh->ttl < 1 || nh->ttl > 255)
		return object_error(e, nh->line, "nexthop \"%s\": ttl %u out of range (1..255)",
				    nh->name, nh->ttl);
	if (nh->src4_prefix_len && (nh->src4_prefix_len < 16 || nh->src4_prefix_len > 32))
		return object_error(e, nh->line,
				    "nexthop \"%s\": encap-source4 prefix length %u out of range "
				    "(16..32)",
				    nh->name, nh->src4_prefix_len);
	return 0;
}

static int backend_server_ids_alone(const struct qs_config_backend *be, struct qs_config_error *e)
{
	for (size_t i = 0; i < be->n_server_ids; i++) {
		const struct qs_config_server_id *s = &be->server_ids[i];

		if (s->config_id >= QS_QUICLB_CONFIGS || s->len < 1 || s->len > QS_QUICLB_SID_MAX)
			return object_error(e, be->line,
					    "backend \"%s\": server-id for vip \"%s\" config %u is "
					    "not valid",
					    be->name, s->vip, s->config_id);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(be->server_ids[j].vip, s->vip) &&
			    be->server_ids[j].config_id == s->config_id)
				return object_error(e, be->line,
						    "backend \"%s\": two server-ids for vip \"%s\" "
						    "config %u",
						    be->name, s->vip, s->config_id);
	}
	return 0;
}

int qs_config_check_backend(const struct qs_config_backend *be, struct qs_config_error *e)
{
	if (qs_config_name_problem(be->name))
		return object_error(e, be->line, "backend \"%s\": name %s", be->name,
				    qs_config_name_problem(be->name));
	if (be->addr.family != QS_AF_INET && be->addr.family != QS_AF_INET6)
		return object_error(e, be->line, "backend \"%s\": address missing", be->name);
	if (be->id < 1 || be->id >= QS_MAX_BACKENDS)
		return object_error(e, be->line, "backend \"%s\": id %u out of range (1..%d)",
				    be->name, be->id, QS_MAX_BACKENDS - 1);
	if (be->weight > 65535)
		return object_error(e, be->line,
				    "backend \"%s\": weight %u out of range (0..65535)", be->name,
				    be->weight);
	if (be->state > QS_BACKEND_DOWN)
		return object_error(e, be->line, "backend \"%s\": state %u not valid", be->name,
				    be->state);
	if (be->max_ids != QS_CONFIG_MAX_IDS_UNSET && be->max_ids > QS_CONFIG_MAX_BACKEND_MAX_IDS)
		return object_error(
			e, be->line,
			"backend \"%s\": max-ids %u out of range (0..%u; the ID table's "
			"size)",
			be->name, be->max_ids, QS_CONFIG_MAX_BACKEND_MAX_IDS);
	if (be->key_file && be->key_file[0] != '/')
		return object_error(e, be->line,
				    "backend \"%s\": key-file \"%s\" is not an absolute "
				    "path",
				    be->name, be->key_file);
	for (size_t i = 0; i < be->n_vips; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(be->vips[i], be->vips[j]))
				return object_error(e, be->line,
						    "backend \"%s\": vip \"%s\" given twice",
						    be->name, be->vips[i]);
	return backend_server_ids_alone(be, e);
}

static bool sun_path_ok(const char *path)
{
	return path[0] == '/' && strlen(path) < QS_CONFIG_SUN_PATH_MAX;
}

/* Settings have no line of their own here; the parser checked their ranges. */
static void check_settings(struct checker *c, const struct qs_config *cfg)
{
	__u64 hb = cfg->heartbeat_timeout_ms;

	if (cfg->pin_dir[0] != '/')
		report(c, 0, "pin-dir \"%s\" is not an absolute path", cfg->pin_dir);
	if (!sun_path_ok(cfg->control_socket))
		report(c, 0, "control-socket \"%s\" is not an absolute path of at most %d bytes",
		       cfg->control_socket, QS_CONFIG_SUN_PATH_MAX - 1);
	if (cfg->metrics_addr.family != QS_AF_NONE &&
	    (cfg->metrics_port < 1 || cfg->metrics_port > 65535))
		report(c, 0, "metrics-listen: port %u out of range (1..65535)", cfg->metrics_port);
	if (cfg->learned_ttl_ms < 100 || cfg->learned_ttl_ms > 3600000)
		report(c, 0, "learned-ttl out of range (100ms..1h)");
	if (cfg->flow_idle_ms < QS_CONFIG_MIN_FLOW_IDLE_MS || cfg->flow_idle_ms > 86400000)
		report(c, 0, "flow-idle out of range (120s..24h; RFC 9312)");
	if (hb && (hb < 100 || hb > 3600000))
		report(c, 0, "heartbeat-timeout out of range (100ms..1h or off)");
	if (cfg->sync_timeout_ms < QS_CONFIG_MIN_SYNC_TIMEOUT_MS ||
	    cfg->sync_timeout_ms > QS_CONFIG_MAX_SYNC_TIMEOUT_MS)
		report(c, 0, "sync-timeout out of range (1s..1h)");
	if (cfg->report_window_ms < QS_CONFIG_MIN_REPORT_WINDOW_MS ||
	    cfg->report_window_ms > QS_CONFIG_MAX_REPORT_WINDOW_MS)
		report(c, 0, "report-window out of range (1s..1h)");
	if (cfg->backend_max_ids > QS_CONFIG_MAX_BACKEND_MAX_IDS)
		report(c, 0, "backend-max-ids %u out of range (0..%u; the ID table's size)",
		       cfg->backend_max_ids, QS_CONFIG_MAX_BACKEND_MAX_IDS);
}

static void check_interfaces(struct checker *c, const struct qs_config *cfg)
{
	for (size_t i = 0; i < cfg->n_interfaces; i++) {
		const struct qs_config_interface *ifc = &cfg->interfaces[i];
		const char *problem = qs_config_ifname_problem(ifc->name);

		if (problem)
			report(c, ifc->line, "interface \"%s\": name %s", ifc->name, problem);
		if (ifc->mode != QS_XDP_NATIVE && ifc->mode != QS_XDP_GENERIC)
			report(c, ifc->line, "interface \"%s\": mode %u not valid", ifc->name,
			       ifc->mode);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->interfaces[j].name, ifc->name))
				report(c, ifc->line,
				       "interface \"%s\": given twice (first on line %u)",
				       ifc->name, cfg->interfaces[j].line);
	}
	if (cfg->n_interfaces > QS_CONFIG_MAX_INTERFACES)
		report(c, 0, "more than %d interfaces", QS_CONFIG_MAX_INTERFACES);
}

static const char *listener_str(const struct qs_config_listener *l, char *buf, size_t size)
{
	char addr[64];

	if (l->kind == QS_LISTEN_UNIX)
		snprintf(buf, size, "unix %s", l->path);
	else
		snprintf(buf, size, "udp %s %u",
			 qs_format_addr(&l->addr.addr, l->addr.family, addr, sizeof(addr)),
			 l->port);
	return buf;
}

static bool listener_same(const struct qs_config_listener *a, const struct qs_config_listener *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == QS_LISTEN_UNIX)
		return !strcmp(a->path, b->path);
	return a->port == b->port && a->addr.family == b->addr.family &&
	       !memcmp(&a->addr.addr, &b->addr.addr, sizeof(a->addr.addr));
}

static void check_listeners(struct checker *c, const struct qs_config *cfg)
{
	char what[160];

	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct qs_config_listener *l = &cfg->listeners[i];

		listener_str(l, what, sizeof(what));
		if (l->kind == QS_LISTEN_UNIX ? !sun_path_ok(l->path) :
						(l->kind != QS_LISTEN_UDP || !l->addr.family ||
						 l->port < 1 || l->port > 65535))
			report(c, l->line, "report-listen %s: not a valid listener", what);
		if (l->kind == QS_LISTEN_UNIX && !strcmp(l->path, cfg->control_socket))
			report(c, l->line, "report-listen %s: that is the control socket's path",
			       what);
		if (l->kind != QS_LISTEN_UNIX && l->group[0])
			report(c, l->line, "report-listen %s: group is for unix sockets", what);
		for (size_t j = 0; j < i; j++)
			if (listener_same(&cfg->listeners[j], l))
				report(c, l->line,
				       "report-listen %s: given twice (first on line %u)", what,
				       cfg->listeners[j].line);
	}
	if (cfg->n_listeners > QS_CONFIG_MAX_LISTENERS)
		report(c, 0, "more than %d report listeners", QS_CONFIG_MAX_LISTENERS);
}

static bool addr_equal(const struct qs_config_addr *a, const struct qs_config_addr *b)
{
	return a->family == b->family && !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static const char *const frag_names[] = { "drop", "pass", "hash" };

/* Two VIPs against each other: names, ids, address and port, fragments. */
static void check_vip_pair(struct checker *c, const struct qs_config_vip *v,
			   const struct qs_config_vip *w)
{
	char addr[64];

	if (!strcmp(v->name, w->name))
		report(c, v->line, "vip \"%s\": name given twice (first on line %u)", v->name,
		       w->line);
	if (v->id == w->id && v->id != QS_CONFIG_ID_NONE)
		report(c, v->line, "vip \"%s\": id %u already used by vip \"%s\" (line %u)",
		       v->name, v->id, w->name, w->line);
	if (!addr_equal(&v->addr, &w->addr))
		return;
	qs_format_addr(&v->addr.addr, v->addr.family, addr, sizeof(addr));
	if (v->port == w->port)
		report(c, v->line, "vip \"%s\": %s port %u already used by vip \"%s\" (line %u)",
		       v->name, addr, v->port, w->name, w->line);
	/* fragments carry no port: one address-wide entry, one policy */
	if (v->frag_policy != w->frag_policy && v->frag_policy <= QS_FRAG_HASH &&
	    w->frag_policy <= QS_FRAG_HASH)
		report(c, v->line,
		       "vip \"%s\": fragments %s differs from vip \"%s\" (line %u, fragments %s) "
		       "on the same address %s",
		       v->name, frag_names[v->frag_policy], w->name, w->line,
		       frag_names[w->frag_policy], addr);
}

static void check_vips(struct checker *c, const struct qs_config *cfg)
{
	struct qs_config_error e;

	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct qs_config_vip *v = &cfg->vips[i];

		if (qs_config_check_vip(v, &e))
			keep(c, &e);
		if (v->id == QS_CONFIG_ID_NONE)
			report(c, v->line, "vip \"%s\": no id assigned", v->name);
		for (size_t j = 0; j < i; j++)
			check_vip_pair(c, v, &cfg->vips[j]);
	}
	if (cfg->n_vips > QS_MAX_VIPS)
		report(c, 0, "more than %d vips", QS_MAX_VIPS);
}

static void check_quiclbs(struct checker *c, const struct qs_config *cfg)
{
	struct qs_config_error e;

	for (size_t i = 0; i < cfg->n_quiclbs; i++) {
		const struct qs_config_quiclb *q = &cfg->quiclbs[i];

		if (qs_config_check_quiclb(q, &e))
			keep(c, &e);
		if (!qs_config_find_vip(cfg, q->vip))
			report(c, q->line, "quic-lb \"%s\" config %u: unknown vip \"%s\"", q->vip,
			       q->config_id, q->vip);
		for (size_t j = 0; j < i; j++) {
			const struct qs_config_quiclb *r = &cfg->quiclbs[j];

			if (!strcmp(r->vip, q->vip) && r->config_id == q->config_id)
				report(c, q->line,
				       "quic-lb \"%s\" config %u: given twice (first on line %u)",
				       q->vip, q->config_id, r->line);
		}
	}
}

static void check_nexthops(struct checker *c, const struct qs_config *cfg)
{
	struct qs_config_error e;

	for (size_t i = 0; i < cfg->n_nexthops; i++) {
		const struct qs_config_nexthop *nh = &cfg->nexthops[i];

		if (qs_config_check_nexthop(nh, &e))
			keep(c, &e);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->nexthops[j].name, nh->name))
				report(c, nh->line,
				       "nexthop \"%s\": name given twice (first on line %u)",
				       nh->name, cfg->nexthops[j].line);
	}
	if (cfg->n_nexthops > QS_CONFIG_MAX_NEXTHOPS)
		report(c, 0, "more than %d nexthops", QS_CONFIG_MAX_NEXTHOPS);
}

/* How packets of VIP v reach backend be: family and next-hop rules. */
static void check_backend_path(struct checker *c, const struct qs_config_backend *be,
			       const struct qs_config_vip *v, const struct qs_config_nexthop *nh)
{
	static const struct qs_addr no_src6;

	if (v->fwd_mode == QS_FWD_L2DSR) {
		if (nh && nh->gateway.family != QS_AF_NONE)
			report(c, be->line,
			       "backend \"%s\": vip \"%s\" forwards l2dsr, which needs an on-link "
			       "nexthop (nexthop \"%s\" has a gateway)",
			       be->name, v->name, nh->name);
		return;
	}
	if (v->addr.family == QS_AF_INET6 && be->addr.family == QS_AF_INET)
		report(c, be->line,
		       "backend \"%s\": IPv4 address cannot serve IPv6 vip \"%s\" (IPv6 clients "
		       "are encapsulated to IPv6 backends only)",
		       be->name, v->name);
	if (!nh)
		return;
	if (be->addr.family == QS_AF_INET && !nh->src4_prefix_len)
		report(c, be->line,
		       "backend \"%s\": nexthop \"%s\" has no encap-source4 (vip \"%s\" "
		       "encapsulates to this IPv4 backend)",
		       be->name, nh->name, v->name);
	if (be->addr.family == QS_AF_INET6 && !memcmp(&nh->src6, &no_src6, sizeof(no_src6)))
		report(c, be->line,
		       "backend \"%s\": nexthop \"%s\" has no encap-source6 (vip \"%s\" "
		       "encapsulates to this IPv6 backend)",
		       be->name, nh->name, v->name);
}

static void check_backend_refs(struct checker *c, const struct qs_config *cfg,
			       const struct qs_config_backend *be)
{
	static const __u8 no_mac[6];
	const struct qs_config_nexthop *nh = qs_config_backend_nexthop(cfg, be);

	if (be->nexthop[0] && !nh)
		report(c, be->line, "backend \"%s\": unknown nexthop \"%s\"", be->name,
		       be->nexthop);
	else if (!nh && !cfg->n_nexthops)
		report(c, be->line, "backend \"%s\": no nexthop declared", be->name);
	else if (!nh)
		report(c, be->line, "backend \"%s\": nexthop required (%zu nexthops are declared)",
		       be->name, cfg->n_nexthops);
	if (nh && memcmp(be->lladdr, no_mac, sizeof(no_mac)) && nh->gateway.family != QS_AF_NONE)
		report(c, be->line,
		       "backend \"%s\": lladdr needs an on-link nexthop (nexthop \"%s\" has a "
		       "gateway)",
		       be->name, nh->name);
	for (size_t i = 0; i < be->n_vips; i++) {
		const struct qs_config_vip *v = qs_config_find_vip(cfg, be->vips[i]);

		if (!v)
			report(c, be->line, "backend \"%s\": unknown vip \"%s\"", be->name,
			       be->vips[i]);
		else
			check_backend_path(c, be, v, nh);
	}
}

static void check_backend_server_ids(struct checker *c, const struct qs_config *cfg,
				     const struct qs_config_backend *be)
{
	char hex[2 * QS_QUICLB_SID_MAX + 1];

	for (size_t i = 0; i < be->n_server_ids; i++) {
		const struct qs_config_server_id *s = &be->server_ids[i];
		const struct qs_config_quiclb *q = qs_config_find_quiclb(cfg, s->vip, s->config_id);

		qs_format_hex(s->sid, s->len, hex, sizeof(hex));
		if (!qs_config_backend_serves(be, s->vip))
			report(c, be->line,
			       "backend \"%s\": server-id for vip \"%s\", which it does not serve "
			       "(add vip %s)",
			       be->name, s->vip, s->vip);
		else if (!q)
			report(c, be->line,
			       "backend \"%s\": server-id for vip \"%s\" config %u, which has no "
			       "quic-lb statement",
			       be->name, s->vip, s->config_id);
		else if (q->server_id_len != s->len)
			report(c, be->line,
			       "backend \"%s\": server-id %s for vip \"%s\" config %u is %u bytes, "
			       "the config's server-id-len is %u",
			       be->name, hex, s->vip, s->config_id, s->len, q->server_id_len);
	}
}

/* Sorted by name, then by position: the first of equal names comes first. */
static int backend_name_cmp(const void *a, const void *b)
{
	const struct qs_config_backend *x = *(const struct qs_config_backend *const *)a;
	const struct qs_config_backend *y = *(const struct qs_config_backend *const *)b;
	int r = strcmp(x->name, y->name);

	return r ? r : (x > y) - (x < y);
}

static int check_backend_names_ids(struct checker *c, const struct qs_config *cfg)
{
	const struct qs_config_backend **sorted, **owner;
	size_t n = cfg->n_backends;

	sorted = calloc(n + 1, sizeof(*sorted));
	owner = calloc(QS_MAX_BACKENDS, sizeof(*owner));
	if (!sorted || !owner)
		goto err_nomem;
	for (size_t i = 0; i < n; i++) {
		const struct qs_config_backend *be = &cfg->backends[i];

		sorted[i] = be;
		if (be->id >= QS_MAX_BACKENDS)
			continue; /* reported by qs_config_check_backend */
		if (owner[be->id])
			report(c, be->line,
			       "backend \"%s\": id %u already used by backend \"%s\" "
			       "(line %u)",
			       be->name, be->id, owner[be->id]->name, owner[be->id]->line);
		else
			owner[be->id] = be;
	}
	qsort(sorted, n, sizeof(*sorted), backend_name_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(sorted[i]->name, sorted[first]->name))
			first = i;
		else
			report(c, sorted[i]->line,
			       "backend \"%s\": name given twice (first on line "
			       "%u)",
			       sorted[i]->name, sorted[first]->line);
	}
	free(owner);
	free(sorted);
	return 0;
err_nomem:
	free(owner);
	free(sorted);
	return -ENOMEM;
}

struct sid_ref {
	const struct qs_config_server_id *sid;
	const struct qs_config_backend *be;
};

static int sid_cmp(const struct qs_config_server_id *x, const struct qs_config_server_id *y)
{
	int r = strcmp(x->vip, y->vip);

	if (!r)
		r = (x->config_id > y->config_id) - (x->config_id < y->config_id);
	if (!r)
		r = (x->len > y->len) - (x->len < y->len);
	if (!r)
		r = memcmp(x->sid, y->sid, x->len < sizeof(x->sid) ? x->len : sizeof(x->sid));
	return r;
}

/* By server ID, then by position: the first owner comes first. */
static int sid_ref_cmp(const void *a, const void *b)
{
	const struct sid_ref *x = a, *y = b;
	int r = sid_cmp(x->sid, y->sid);

	return r ? r : (x->be > y->be) - (x->be < y->be);
}

/* A server ID routes to one backend: it may belong to one only. */
static int check_server_id_owners(struct checker *c, const struct qs_config *cfg)
{
	char hex[2 * QS_QUICLB_SID_MAX + 1];
	struct sid_ref *refs;
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_backends; i++)
		n += cfg->backends[i].n_server_ids;
	refs = calloc(n + 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < cfg->n_backends; i++)
		for (size_t j = 0; j < cfg->backends[i].n_server_ids; j++)
			refs[n++] = (struct sid_ref){ &cfg->backends[i].server_ids[j],
						      &cfg->backends[i] };
	qsort(refs, n, sizeof(*refs), sid_ref_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct sid_ref *r = &refs[i], *f = &refs[first];

		if (sid_cmp(r->sid, f->sid)) {
			first = i;
			continue;
		}
		if (r->be == f->be)
			continue; /* one backend twice: qs_config_check_backend's */
		qs_format_hex(r->sid->sid, r->sid->len, hex, sizeof(hex));
		report(c, r->be->line,
		       "backend \"%s\": server-id %s for vip \"%s\" config %u already belongs to "
		       "backend \"%s\" (line %u)",
		       r->be->name, hex, r->sid->vip, r->sid->config_id, f->be->name, f->be->line);
	}
	free(refs);
	return 0;
}

static int check_backends(struct checker *c, const struct qs_config *cfg)
{
	struct qs_config_error e;
	int err;

	for (size_t i = 0; i < cfg->n_backends; i++) {
		const struct qs_config_backend *be = &cfg->backends[i];

		if (qs_config_check_backend(be, &e))
			keep(c, &e);
		check_backend_refs(c, cfg, be);
		check_backend_server_ids(c, cfg, be);
	}
	if (cfg->n_backends > QS_MAX_BACKENDS - 1)
		report(c, 0, "more than %d backends", QS_MAX_BACKENDS - 1);
	err = check_backend_names_ids(c, cfg);
	return err ? err : check_server_id_owners(c, cfg);
}

int qs_config_check(const struct qs_config *cfg, struct qs_config_error *err)
{
	struct qs_config_error scratch;
	struct checker c = { .err = err ? err : &scratch };
	int ret;

	check_settings(&c, cfg);
	check_interfaces(&c, cfg);
	check_listeners(&c, cfg);
	check_vips(&c, cfg);
	check_quiclbs(&c, cfg);
	check_nexthops(&c, cfg);
	ret = check_backends(&c, cfg);
	if (ret)
		return ret;
	return c.found ? -EINVAL : 0;
}
