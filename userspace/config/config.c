// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The configuration language: every statement, its positional arguments
 * and its options, in one table (stmts[]) from which config_parse.c derives
 * parsing, the syntax messages and the synopsis that docs/configuration.md
 * and --help print. A statement reads like the CLI command that creates
 * the same object, so an operator learns one set of words:
 *
 *	vip web 192.0.2.1 443 cid-len 8    ~  quicsteer vip add web 192.0.2.1 443 cid-len 8
 *
 * Keywords are matched exactly, never by prefix as the CLI allows: a file
 * written today must not change meaning when a later release adds an
 * option that shares a prefix.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/words.h"
#include "config_parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct word_value xdp_modes[] = {
	{ "native", QS_XDP_NATIVE },
	{ "generic", QS_XDP_GENERIC },
	{ NULL, 0 },
};

int qs_xdp_mode_parse(const char *text, enum qs_xdp_mode *mode)
{
	for (const struct word_value *w = xdp_modes; w->word; w++)
		if (!strcmp(text, w->word)) {
			*mode = w->value;
			return 0;
		}
	return -EINVAL;
}

const char *qs_xdp_mode_name(enum qs_xdp_mode mode)
{
	return mode == QS_XDP_GENERIC ? "generic" : "native";
}

static const struct word_value on_off[] = {
	{ "on", 1 },
	{ "off", 0 },
	{ NULL, 0 },
};

static const struct word_value unknown_policies[] = {
	{ "drop", QS_UNKNOWN_DROP },
	{ "hash", QS_UNKNOWN_HASH },
	{ NULL, 0 },
};

static const struct word_value address_entries[] = {
	{ "initial", QS_ADDRESS_ENTRY_INITIAL },
	{ "handshake", QS_ADDRESS_ENTRY_HANDSHAKE },
	{ NULL, 0 },
};

static const struct word_value frag_policies[] = {
	{ "drop", QS_FRAG_DROP },
	{ "pass", QS_FRAG_PASS },
	{ "hash", QS_FRAG_HASH },
	{ NULL, 0 },
};

static const struct word_value fwd_modes[] = {
	{ "encap", QS_FWD_ENCAP },
	{ "l2dsr", QS_FWD_L2DSR },
	{ NULL, 0 },
};

static const struct word_value quiclb_modes[] = {
	{ "plaintext", QS_QUICLB_PLAINTEXT },
	{ "aes-single", QS_QUICLB_AES_SINGLE },
	{ "aes-four-pass", QS_QUICLB_AES_FOUR_PASS },
	{ NULL, 0 },
};

static const struct word_value backend_states[] = {
	{ "active", QS_BACKEND_ACTIVE },
	{ "draining", QS_BACKEND_DRAINING },
	{ "down", QS_BACKEND_DOWN },
	{ NULL, 0 },
};

static int listen_where(struct parser *p, const struct opt *o, void *obj);
static int backend_vip(struct parser *p, const struct opt *o, void *obj);
static int backend_server_id(struct parser *p, const struct opt *o, void *obj);
static int server_id_hex(struct parser *p, const struct opt *o, void *obj);
static int nexthop_src4(struct parser *p, const struct opt *o, void *obj);
static int quiclb_key(struct parser *p, const struct opt *o, void *obj);

#define CFG(f) offsetof(struct qs_config, f)
#define IFC(f) offsetof(struct qs_config_interface, f)
#define LIS(f) offsetof(struct qs_config_listener, f)
#define VIP(f) offsetof(struct qs_config_vip, f)
#define QLB(f) offsetof(struct qs_config_quiclb, f)
#define NH(f) offsetof(struct qs_config_nexthop, f)
#define BE(f) offsetof(struct qs_config_backend, f)
#define SID(f) offsetof(struct qs_config_server_id, f)
#define PORT(struct_, f)                                               \
	{                                                              \
		.what = "port", .metavar = "PORT", .type = ARG_UINT,   \
		.offset = offsetof(struct_, f), .min = 1, .max = 65535 \
	}

static const struct opt pin_dir_args[] = {
	{ .what = "path", .type = ARG_PATH, .offset = CFG(pin_dir) },
};

static const struct opt control_socket_args[] = {
	{ .what = "path", .type = ARG_SOCK_PATH, .offset = CFG(control_socket) },
};

static const struct opt metrics_args[] = {
	{ .what = "address", .type = ARG_ANY_ADDR, .offset = CFG(metrics_addr) },
	PORT(struct qs_config, metrics_port),
};

static const struct opt learned_ttl_args[] = {
	{ .what = "learned-ttl",
	  .type = ARG_DURATION,
	  .offset = CFG(learned_ttl_ms),
	  .min = 100,
	  .max = 3600000 },
};

static const struct opt flow_idle_args[] = {
	{ .what = "flow-idle",
	  .type = ARG_DURATION,
	  .offset = CFG(flow_idle_ms),
	  .min = QS_CONFIG_MIN_FLOW_IDLE_MS,
	  .max = 86400000,
	  .note = "RFC 9312: NATs keep idle UDP bindings at least 2 minutes" },
};

static const struct opt heartbeat_args[] = {
	{ .what = "heartbeat-timeout",
	  .metavar = "DURATION|off",
	  .type = ARG_DURATION,
	  .offset = CFG(heartbeat_timeout_ms),
	  .min = 100,
	  .max = 3600000,
	  .flags = OPT_OFF },
};

static const struct opt sync_timeout_args[] = {
	{ .what = "sync-timeout",
	  .type = ARG_DURATION,
	  .offset = CFG(sync_timeout_ms),
	  .min = QS_CONFIG_MIN_SYNC_TIMEOUT_MS,
	  .max = QS_CONFIG_MAX_SYNC_TIMEOUT_MS },
};

static const struct opt report_window_args[] = {
	{ .what = "report-window",
	  .type = ARG_DURATION,
	  .offset = CFG(report_window_ms),
	  .min = QS_CONFIG_MIN_REPORT_WINDOW_MS,
	  .max = QS_CONFIG_MAX_REPORT_WINDOW_MS },
};

static const struct opt report_accept_v1_args[] = {
	{ .what = "report-accept-v1",
	  .type = ARG_BOOL,
	  .offset = CFG(report_accept_v1),
	  .words = on_off },
};

static const struct opt backend_max_ids_args[] = {
	{ .what = "backend-max-ids",
	  .type = ARG_UINT,
	  .offset = CFG(backend_max_ids),
	  .max = QS_CONFIG_MAX_BACKEND_MAX_IDS,
	  .note = "the ID table's size" },
};

static const struct opt interface_args[] = {
	{ .what = "name", .type = ARG_IFNAME, .offset = IFC(name) },
};

static const struct opt interface_opts[] = {
	{ .word = "mode", .type = ARG_WORD, .offset = IFC(mode), .words = xdp_modes },
};

static const struct opt listen_args[] = {
	{ .what = "listener",
	  .metavar = "{udp ADDRESS PORT | unix PATH}",
	  .type = ARG_CUSTOM,
	  .custom = listen_where },
};

static const struct opt listen_opts[] = {
	{ .word = "group", .metavar = "GROUP", .type = ARG_NAME, .offset = LIS(group) },
};

static const struct opt listen_udp_args[] = {
	{ .what = "address", .type = ARG_ANY_ADDR, .offset = LIS(addr) },
	PORT(struct qs_config_listener, port),
};

static const struct opt listen_unix_path = { .what = "path",
					     .type = ARG_SOCK_PATH,
					     .offset = LIS(path) };

static const struct opt vip_args[] = {
	{ .what = "name", .type = ARG_NAME, .offset = VIP(name) },
	{ .what = "address", .type = ARG_ADDR, .offset = VIP(addr) },
	PORT(struct qs_config_vip, port),
};

static const struct opt vip_opts[] = {
	{ .word = "id", .type = ARG_UINT, .offset = VIP(id), .max = QS_MAX_VIPS - 1 },
	{ .word = "cid-len", .type = ARG_UINT, .offset = VIP(cid_len), .max = QS_CID_MAX_LEN },
	{ .word = "unknown",
	  .type = ARG_WORD,
	  .offset = VIP(unknown_policy),
	  .words = unknown_policies },
	{ .word = "fragments",
	  .type = ARG_WORD,
	  .offset = VIP(frag_policy),
	  .words = frag_policies },
	{ .word = "forward", .type = ARG_WORD, .offset = VIP(fwd_mode), .words = fwd_modes },
	{ .word = "learn", .type = ARG_BOOL, .offset = VIP(learn), .words = on_off },
	{ .word = "address-entry",
	  .type = ARG_WORD,
	  .offset = VIP(address_entry),
	  .words = address_entries },
};

static const struct opt quiclb_args[] = {
	{ .what = "vip", .metavar = "VIP", .type = ARG_NAME, .offset = QLB(vip) },
};

static const struct opt quiclb_opts[] = {
	{ .word = "config",
	  .type = ARG_UINT,
	  .offset = QLB(config_id),
	  .max = QS_QUICLB_CONFIGS - 1,
	  .flags = OPT_REQUIRED },
	{ .word = "mode",
	  .type = ARG_WORD,
	  .offset = QLB(mode),
	  .words = quiclb_modes,
	  .flags = OPT_REQUIRED },
	{ .word = "server-id-len",
	  .type = ARG_UINT,
	  .offset = QLB(server_id_len),
	  .min = 1,
	  .max = QS_QUICLB_SID_MAX,
	  .flags = OPT_REQUIRED },
	{ .word = "nonce-len",
	  .type = ARG_UINT,
	  .offset = QLB(nonce_len),
	  .min = QS_QUICLB_NONCE_MIN,
	  .max = QS_QUICLB_NONCE_MAX,
	  .flags = OPT_REQUIRED },
	{ .word = "key-file", .type = ARG_PATH, .offset = QLB(key_file) },
	/* refused, with the reason: a key written here would be shown and logged */
	{ .word = "key", .type = ARG_CUSTOM, .custom = quiclb_key, .flags = OPT_REFUSED },
};

static const struct opt nexthop_args[] = {
	{ .what = "name", .type = ARG_NAME, .offset = NH(name) },
};

static const struct opt nexthop_opts[] = {
	{ .word = "dev", .type = ARG_IFNAME, .offset = NH(dev), .flags = OPT_REQUIRED },
	{ .word = "gateway", .type = ARG_ADDR, .offset = NH(gateway) },
	{ .word = "lladdr", .type = ARG_MAC, .offset = NH(lladdr) },
	{ .word = "encap-source4",
	  .metavar = "ADDRESS[/BITS]",
	  .type = ARG_CUSTOM,
	  .custom = nexthop_src4 },
	{ .word = "encap-source6", .type = ARG_SRC6, .offset = NH(src6) },
	{ .word = "ttl", .type = ARG_UINT, .offset = NH(ttl), .min = 1, .max = 255 },
};

static const struct opt backend_args[] = {
	{ .what = "name", .type = ARG_NAME, .offset = BE(name) },
	{ .what = "address", .type = ARG_ADDR, .offset = BE(addr) },
};

static const struct opt backend_opts[] = {
	{ .word = "id",
	  .type = ARG_UINT,
	  .offset = BE(id),
	  .min = 1,
	  .max = QS_MAX_BACKENDS - 1,
	  .flags = OPT_REQUIRED },
	{ .word = "vip",
	  .metavar = "VIP",
	  .type = ARG_CUSTOM,
	  .flags = OPT_REPEAT,
	  .custom = backend_vip },
	{ .word = "weight", .type = ARG_UINT, .offset = BE(weight), .max = 65535 },
	{ .word = "state", .type = ARG_WORD, .offset = BE(state), .words = backend_states },
	{ .word = "nexthop", .type = ARG_NAME, .offset = BE(nexthop) },
	{ .word = "lladdr", .type = ARG_MAC, .offset = BE(lladdr) },
	{ .word = "server-id",
	  .metavar = "VIP CONFIG HEX",
	  .type = ARG_CUSTOM,
	  .flags = OPT_REPEAT,
	  .custom = backend_server_id },
	{ .word = "key-file", .type = ARG_HEAP_PATH, .offset = BE(key_file) },
	{ .word = "max-ids",
	  .type = ARG_UINT,
	  .offset = BE(max_ids),
	  .max = QS_CONFIG_MAX_BACKEND_MAX_IDS,
	  .note = "the ID table's size" },
};

static const struct opt server_id_args[] = {
	{ .what = "server-id vip", .type = ARG_NAME, .offset = SID(vip) },
	{ .what = "server-id config",
	  .type = ARG_UINT,
	  .offset = SID(config_id),
	  .max = QS_QUICLB_CONFIGS - 1 },
	{ .what = "server-id", .type = ARG_CUSTOM, .custom = server_id_hex },
};

static const struct opt vip_ref = { .what = "vip", .type = ARG_NAME };

static int listen_where(struct parser *p, const struct opt *o, void *obj)
{
	struct qs_config_listener *l = obj;
	int r = cfg_next_word(p), err;

	(void)o;
	if (r < 0)
		return r;
	if (!r)
		return cfg_perr_at(p, 0, "missing udp or unix");
	if (!strcmp(p->word, "udp")) {
		l->kind = QS_LISTEN_UDP;
		err = cfg_positional(p, &listen_udp_args[0], l);
		return err ? err : cfg_positional(p, &listen_udp_args[1], l);
	}
	if (!strcmp(p->word, "unix")) {
		l->kind = QS_LISTEN_UNIX;
		return cfg_positional(p, &listen_unix_path, l);
	}
	return cfg_perr(p, "\"%s\" is not one of udp|unix", cfg_shown(p));
}

static int backend_vip(struct parser *p, const struct opt *o, void *obj)
{
	struct qs_config_backend *be = obj;
	char name[QS_CONFIG_NAME_MAX], (*slot)[QS_CONFIG_NAME_MAX];
	int err = cfg_option_word(p, o);

	if (!err)
		err = cfg_arg_store(p, &vip_ref, name);
	if (err)
		return err;
	for (size_t i = 0; i < be->n_vips; i++)
		if (!strcmp(be->vips[i], name))
			return cfg_perr(p, "vip \"%s\" given twice", name);
	if (be->n_vips >= QS_MAX_VIPS)
		return cfg_perr(p, "more than %d vips", QS_MAX_VIPS);
	slot = cfg_push(&be->vips, &be->n_vips, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	memcpy(*slot, name, sizeof(name));
	return 0;
}

static int server_id_hex(struct parser *p, const struct opt *o, void *obj)
{
	struct qs_config_server_id *sid = obj;
	size_t len;
	int r = cfg_next_word(p);

	(void)o;
	if (r < 0)
		return r;
	if (!r)
		return cfg_perr_at(p, 0, "missing server-id");
	r = qs_parse_hex(p->word, sid->sid, sizeof(sid->sid), &len);
	if (r == -ERANGE)
		return cfg_perr(p, "server-id %s longer than %d bytes", cfg_shown(p),
				QS_QUICLB_SID_MAX);
	if (r)
		return cfg_perr(p, "server-id \"%s\" is not hex bytes", cfg_shown(p));
	sid->len = (__u32)len;
	return 0;
}

/* VIP CONFIG HEX; whether the VIP has that config, of that length, is
 * checked once every statement is in (qs_config_check).
 */
static int backend_server_id(struct parser *p, const struct opt *o, void *obj)
{
	struct qs_config_backend *be = obj;
	struct qs_config_server_id sid = { 0 }, *slot;
	int err = 0;

	(void)o;
	for (size_t i = 0; i < ARRAY_SIZE(server_id_args) && !err; i++)
		err = cfg_positional(p, &server_id_args[i], &sid);
	if (err)
		return err;
	if (be->n_server_ids >= QS_MAX_VIPS * QS_QUICLB_CONFIGS)
		return cfg_perr(p, "more than %d server-ids", QS_MAX_VIPS * QS_QUICLB_CONFIGS);
	slot = cfg_push(&be->server_ids, &be->n_server_ids, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = sid;
	return 0;
}

/* ADDRESS[/BITS]: the flow hash fills the 32 - BITS low bits of the source. */
static int nexthop_src4(struct parser *p, const struct opt *o, void *obj)
{
	struct qs_config_nexthop *nh = obj;
	char *slash, addr[INET_ADDRSTRLEN];
	struct qs_addr parsed;
	__u8 family = QS_AF_NONE;
	__u64 bits = 32;
	__u32 host, a;
	int err = cfg_option_word(p, o);

	if (err)
		return err;
	slash = strchr(p->word, '/');
	if ((slash && qs_parse_u64(slash + 1, &bits)) ||
	    snprintf(addr, sizeof(addr), "%.*s",
		     (int)(slash ? (size_t)(slash - p->word) : strlen(p->word)),
		     p->word) >= (int)sizeof(addr) ||
	    qs_parse_addr(addr, &parsed, &family) || family != QS_AF_INET)
		return cfg_perr(p, "encap-source4 \"%s\" is not an IPv4 ADDRESS[/BITS]",
				cfg_shown(p));
	if (bits < 16 || bits > 32)
		return cfg_perr(p, "encap-source4 %s: prefix length %s out of range (16..32)",
				cfg_shown(p), slash + 1);
	a = parsed.addr[0];
	host = bits == 32 ? 0 : 0xffffffffu >> bits;
	if (ntohl(a) & host)
		return cfg_perr(p, "encap-source4 %s has host bits set (the flow hash fills them)",
				cfg_shown(p));
	if (!a)
		return cfg_perr(p, "encap-source4 %s is not a usable source address", cfg_shown(p));
	nh->src4 = a;
	nh->src4_prefix_len = (__u32)bits;
	return 0;
}

static int quiclb_key(struct parser *p, const struct opt *o, void *obj)
{
	int err = cfg_option_word(p, o);

	(void)obj;
	if (err)
		return err;
	/* the key is never echoed: messages end up in logs */
	return cfg_perr(p, "key: QUIC-LB keys are read from files, never written in the "
			   "configuration (which the agent shows): use key-file PATH");
}

static void vip_init(void *obj)
{
	struct qs_config_vip *v = obj;

	v->id = QS_CONFIG_ID_NONE;
	v->cid_len = QS_CONFIG_DEFAULT_CID_LEN;
	v->learn = true;
}

static void nexthop_init(void *obj)
{
	struct qs_config_nexthop *nh = obj;

	nh->ttl = QS_CONFIG_DEFAULT_TTL;
}

static void backend_init(void *obj)
{
	struct qs_config_backend *be = obj;

	be->weight = QS_CONFIG_DEFAULT_WEIGHT;
	be->max_ids = QS_CONFIG_MAX_IDS_UNSET;
}

static void backend_release(void *obj)
{
	struct qs_config_backend *be = obj;

	free(be->vips);
	free(be->server_ids);
	free(be->key_file);
	be->vips = NULL;
	be->server_ids = NULL;
	be->key_file = NULL;
}

static int interface_commit(struct parser *p, void *obj)
{
	struct qs_config_interface *ifc = obj;

	ifc->line = p->lineno;
	return cfg_append(p, &p->cfg->interfaces, &p->cfg->n_interfaces, QS_CONFIG_MAX_INTERFACES,
			  ifc, sizeof(*ifc), "interfaces");
}

static int listener_commit(struct parser *p, void *obj)
{
	struct qs_config_listener *l = obj;

	l->line = p->lineno;
	return cfg_append(p, &p->cfg->listeners, &p->cfg->n_listeners, QS_CONFIG_MAX_LISTENERS, l,
			  sizeof(*l), "report listeners");
}

static int vip_commit(struct parser *p, void *obj)
{
	struct qs_config_vip *v = obj;

	v->line = p->lineno;
	v->id_explicit = v->id != QS_CONFIG_ID_NONE;
	if (qs_config_check_vip(v, p->err))
		return -EINVAL;
	return cfg_append(p, &p->cfg->vips, &p->cfg->n_vips, QS_MAX_VIPS, v, sizeof(*v), "vips");
}

static int quiclb_commit(struct parser *p, void *obj)
{
	struct qs_config_quiclb *q = obj;

	q->line = p->lineno;
	if (qs_config_check_quiclb(q, p->err))
		return -EINVAL;
	return cfg_append(p, &p->cfg->quiclbs, &p->cfg->n_quiclbs, QS_MAX_VIPS * QS_QUICLB_CONFIGS,
			  q, sizeof(*q), "quic-lb configurations");
}

static int nexthop_commit(struct parser *p, void *obj)
{
	struct qs_config_nexthop *nh = obj;

	nh->line = p->lineno;
	if (qs_config_check_nexthop(nh, p->err))
		return -EINVAL;
	return cfg_append(p, &p->cfg->nexthops, &p->cfg->n_nexthops, QS_CONFIG_MAX_NEXTHOPS, nh,
			  sizeof(*nh), "nexthops");
}

/* On success the backend's arrays belong to the configuration. */
static int backend_commit(struct parser *p, void *obj)
{
	struct qs_config_backend *be = obj;

	be->line = p->lineno;
	if (qs_config_check_backend(be, p->err))
		return -EINVAL;
	return cfg_append(p, &p->cfg->backends, &p->cfg->n_backends, QS_MAX_BACKENDS - 1, be,
			  sizeof(*be), "backends");
}

#define ARGS(a) .args = a, .n_args = ARRAY_SIZE(a)
#define OPTS(o) .opts = o, .n_opts = ARRAY_SIZE(o)

/* The order is the documentation's and that of "expected ..." lists. */
const struct stmt qs_config_stmts[] = {
	{ .word = "pin-dir", ARGS(pin_dir_args) },
	{ .word = "control-socket", ARGS(control_socket_args) },
	{ .word = "metrics-listen", ARGS(metrics_args) },
	{ .word = "learned-ttl", ARGS(learned_ttl_args) },
	{ .word = "flow-idle", ARGS(flow_idle_args) },
	{ .word = "heartbeat-timeout", ARGS(heartbeat_args) },
	{ .word = "sync-timeout", ARGS(sync_timeout_args) },
	{ .word = "report-window", ARGS(report_window_args) },
	{ .word = "report-accept-v1", ARGS(report_accept_v1_args) },
	{ .word = "backend-max-ids", ARGS(backend_max_ids_args) },
	{ .word = "interface",
	  ARGS(interface_args),
	  OPTS(interface_opts),
	  .size = sizeof(struct qs_config_interface),
	  .commit = interface_commit },
	{ .word = "report-listen",
	  ARGS(listen_args),
	  OPTS(listen_opts),
	  .size = sizeof(struct qs_config_listener),
	  .commit = listener_commit },
	{ .word = "vip",
	  ARGS(vip_args),
	  OPTS(vip_opts),
	  .size = sizeof(struct qs_config_vip),
	  .init = vip_init,
	  .commit = vip_commit },
	{ .word = "quic-lb",
	  ARGS(quiclb_args),
	  OPTS(quiclb_opts),
	  .size = sizeof(struct qs_config_quiclb),
	  .commit = quiclb_commit },
	{ .word = "nexthop",
	  ARGS(nexthop_args),
	  OPTS(nexthop_opts),
	  .size = sizeof(struct qs_config_nexthop),
	  .init = nexthop_init,
	  .commit = nexthop_commit },
	{ .word = "backend",
	  ARGS(backend_args),
	  OPTS(backend_opts),
	  .size = sizeof(struct qs_config_backend),
	  .init = backend_init,
	  .commit = backend_commit,
	  .discard = backend_release },
};

const size_t qs_config_n_stmts = ARRAY_SIZE(qs_config_stmts);

/* once_line has a slot per statement; seen has a bit per option. */
_Static_assert(ARRAY_SIZE(qs_config_stmts) <=
		       sizeof(((struct parser *)0)->once_line) / sizeof(unsigned int),
	       "parser.once_line too small");
_Static_assert(ARRAY_SIZE(backend_opts) <= 32 && ARRAY_SIZE(nexthop_opts) <= 32,
	       "parser.seen too small");

struct qs_config *qs_config_new(void)
{
	struct qs_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "%s", QS_CONFIG_DEFAULT_PIN_DIR);
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 QS_CONFIG_DEFAULT_CONTROL_SOCKET);
	cfg->learned_ttl_ms = QS_CONFIG_DEFAULT_LEARNED_TTL_MS;
	cfg->flow_idle_ms = QS_CONFIG_DEFAULT_FLOW_IDLE_MS;
	cfg->heartbeat_timeout_ms = QS_CONFIG_DEFAULT_HEARTBEAT_MS;
	cfg->sync_timeout_ms = QS_CONFIG_DEFAULT_SYNC_TIMEOUT_MS;
	cfg->report_window_ms = QS_CONFIG_DEFAULT_REPORT_WINDOW_MS;
	cfg->backend_max_ids = QS_CONFIG_DEFAULT_BACKEND_MAX_IDS;
	return cfg;
}

void qs_config_free(struct qs_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_backends; i++)
		backend_release(&cfg->backends[i]);
	free(cfg->interfaces);
	free(cfg->listeners);
	free(cfg->vips);
	free(cfg->quiclbs);
	free(cfg->nexthops);
	free(cfg->backends);
	free(cfg);
}
