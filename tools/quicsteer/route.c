// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `route`: which rung and backend a packet would get, from the live maps,
 * sending nothing (userspace/router/explain.c); `maglev show`: each backend's
 * share of a VIP's Maglev slots, and a digest of the row that balancers
 * built from the same configuration share. Both read the pins, agent or not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include "cli.h"
#include "config/config.h"
#include "router/cidtab.h"
#include "router/explain.h"
#include "router/maps.h"
#include "abi/quiclb.h"
#include "abi/quicver.h"
#include "router/reasons.h"
#include "util/words.h"

/*
 * The maps qs_explain reads, from their pins; qs_cidtab mapped read-only
 * into *tab (m->cidtab NULL when no agent has made the table: no IDs).
 */
static int maps_open(const struct cli_opts *o, struct qs_explain_maps *m, struct qs_cidtab *tab)
{
	int *fds[] = { &m->vips,     &m->backends, &m->nexthops,  &m->maglev, &m->learned,
		       &m->settings, &m->flows,	   &m->flows_new, &m->quiclb, &m->server_ids };
	const char *names[] = { QS_MAP_VIPS,	QS_MAP_BACKENDS,  QS_MAP_NEXTHOPS, QS_MAP_MAGLEV,
				QS_MAP_LEARNED, QS_MAP_SETTINGS,  QS_MAP_FLOWS,	   QS_MAP_FLOWS_NEW,
				QS_MAP_QUICLB,	QS_MAP_SERVER_IDS };
	int err;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		*fds[i] = cli_pin_fd(o, names[i]);
		if (*fds[i] < 0)
			return *fds[i];
	}
	err = cli_cidtab_map(o, tab);
	m->cidtab = err ? NULL : tab;
	return err > 0 ? 0 : err;
}

/* FORM: initial | 0rtt | handshake | short | version HEX (a long header). */
static int form_parse(char **argv, int argc, int *used, struct qs_explain_packet *p)
{
	static const struct {
		const char *name;
		__u8 bits;
	} forms[] = { { "initial", 0 }, { "0rtt", 1 }, { "handshake", 2 } };
	__u64 version;

	*used = 1;
	p->version = QS_QUIC_V1;
	if (!strcmp(argv[0], "short"))
		return 0;
	p->is_long = true;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (!strcmp(argv[0], forms[i].name)) {
			p->type_bits = forms[i].bits;
			return 0;
		}
	if (!strcmp(argv[0], "version") && argc > 1) {
		*used = 2;
		if (qs_parse_u64_hex(argv[1], &version) || version > 0xffffffffu) {
			cli_err("route: version \"%.40s\": a 32-bit hexadecimal number wanted",
				argv[1]);
			return -EINVAL;
		}
		p->version = (__u32)version;
		return 0;
	}
	cli_err("route: form \"%s\": initial, 0rtt, handshake, short or version HEX", argv[0]);
	return -EINVAL;
}

/* [size N] [scid HEX], in any order, after the DCID. */
static int options_parse(int argc, char **argv, struct qs_explain_packet *p)
{
	__u64 size;
	size_t len;

	for (; argc; argc -= 2, argv += 2) {
		if (argc >= 2 && !strcmp(argv[0], "size") && !qs_parse_u64(argv[1], &size)) {
			p->udp_payload_len = size;
		} else if (argc >= 2 && !strcmp(argv[0], "scid") && p->is_long &&
			   !qs_parse_hex(argv[1], p->scid, sizeof(p->scid), &len)) {
			p->scid_len = len;
		} else {
			cli_err("route: unexpected \"%.40s\"", argv[0]);
			return -EINVAL;
		}
	}
	return 0;
}

/* route VIP PORT CLIENT CLIENT-PORT FORM [DCID-HEX] [size N] [scid HEX] */
static int packet_parse(int argc, char **argv, struct qs_explain_packet *p)
{
	struct qs_addr_port vip, client;
	__u64 vport, cport;
	size_t len;
	int used, err;

	memset(p, 0, sizeof(*p));
	if (qs_parse_addr_port(argv[0], QS_PORT_NONE, &vip) ||
	    qs_parse_addr_port(argv[2], QS_PORT_NONE, &client) || vip.family != client.family) {
		cli_err("route: \"%s\" and \"%s\": addresses of one family wanted", argv[0],
			argv[2]);
		return -EINVAL;
	}
	if (qs_parse_u64_range(argv[1], 1, 65535, &vport) ||
	    qs_parse_u64_range(argv[3], 0, 65535, &cport)) {
		cli_err("route: ports \"%s\", \"%s\": 1..65535 wanted", argv[1], argv[3]);
		return -EINVAL;
	}
	p->vip = vip.addr, p->client = client.addr, p->family = vip.family;
	p->vip_port = vport, p->client_port = cport;
	err = form_parse(argv + 4, argc - 4, &used, p);
	argc -= 4 + used, argv += 4 + used;
	if (!err && argc && strcmp(argv[0], "size") && strcmp(argv[0], "scid")) {
		err = qs_parse_hex(argv[0], p->dcid, sizeof(p->dcid), &len) ? -EINVAL : 0;
		if (err)
			cli_err("route: DCID \"%.60s\": hexadecimal bytes wanted", argv[0]);
		p->dcid_len = len;
		argc--, argv++;
	}
	return err ?: options_parse(argc, argv, p);
}

int cli_route_explain(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct qs_explain_packet p;
	struct qs_explain_maps m;
	struct qs_cidtab tab;
	struct qs_explain e;
	json_object *j;
	int err;

	(void)c;
	err = packet_parse(argc, argv, &p);
	if (err)
		return err;
	err = maps_open(o, &m, &tab);
	if (err)
		return err;
	qs_explain(&m, &p, &e);
	if (m.cidtab)
		qs_cidtab_unmap(&tab);
	if (!o->json) {
		printf("%s", qs_reason_name(e.reason));
		if (e.backend_id != QS_NO_BACKEND)
			printf(" backend %u", e.backend_id);
		printf(": %s\n", e.why);
		return 0;
	}
	j = json_object_new_object();
	json_object_object_add(j, "reason", json_object_new_string(qs_reason_name(e.reason)));
	json_object_object_add(j, "vip_id", json_object_new_int64(e.vip_id));
	json_object_object_add(j, "backend_id", json_object_new_int64(e.backend_id));
	json_object_object_add(j, "cid_len", json_object_new_int(e.cid_len));
	json_object_object_add(j, "why", json_object_new_string(e.why));
	puts(json_object_to_json_string_ext(j, JSON_OUT));
	json_object_put(j);
	return 0;
}

/*
 * maglev show [VIP-ID]: slots per backend of each VIP row in use, and the
 * row's SHA-256 over its slots' backend ids (each 4 bytes, host order, slot
 * 0 first): two balancers with the same digest for a VIP pick the same
 * backend for every new connection to it. From one batched scan of
 * qs_maglev, which yields an array's keys in order.
 */
struct maglev_counts {
	__u32 only; /* a VIP id, or QS_MAX_VIPS: every row */
	__u32 slots[QS_MAX_VIPS][QS_MAX_BACKENDS];
	EVP_MD_CTX *row[QS_MAX_VIPS];
};

static int maglev_count(void *ctx, const void *key, const void *value)
{
	struct maglev_counts *mc = ctx;
	__u32 v = qs_maglev_row(*(const __u32 *)key), be = *(const __u32 *)value;

	if (mc->only != QS_MAX_VIPS && v > mc->only)
		return 1; /* past the row wanted */
	if (v >= QS_MAX_VIPS || (mc->only != QS_MAX_VIPS && v != mc->only))
		return 0;
	if (be < QS_MAX_BACKENDS)
		mc->slots[v][be]++;
	return EVP_DigestUpdate(mc->row[v], value, sizeof(be)) == 1 ? 0 : -EIO;
}

static int maglev_digests_init(struct maglev_counts *mc)
{
	for (__u32 v = 0; v < QS_MAX_VIPS; v++) {
		mc->row[v] = EVP_MD_CTX_new();
		if (!mc->row[v] || EVP_DigestInit_ex(mc->row[v], EVP_sha256(), NULL) != 1)
			return -ENOMEM;
	}
	return 0;
}

static void maglev_digests_free(struct maglev_counts *mc)
{
	for (__u32 v = 0; v < QS_MAX_VIPS; v++)
		EVP_MD_CTX_free(mc->row[v]);
}

/* Row v's digest in hex, into out[2 * 32 + 1]; 0 or -EIO. */
static int maglev_digest(struct maglev_counts *mc, __u32 v, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(mc->row[v], md, &len) != 1)
		return -EIO;
	qs_format_hex(md, len, out, size);
	return 0;
}

int cli_maglev_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	static struct maglev_counts mc;
	json_object *rows = json_object_new_array();
	__u64 only = QS_MAX_VIPS;
	int fd = cli_pin_fd(o, QS_MAP_MAGLEV), err = 0;

	(void)c;
	if (argc && (qs_parse_u64(argv[0], &only) || only >= QS_MAX_VIPS)) {
		cli_err("maglev show: VIP id \"%s\": 0..%d wanted", argv[0], QS_MAX_VIPS - 1);
		json_object_put(rows);
		return -EINVAL;
	}
	memset(&mc, 0, sizeof(mc));
	mc.only = only;
	err = maglev_digests_init(&mc);
	if (err)
		cli_err("maglev show: %s", strerror(-err));
	if (fd >= 0 && !err) {
		__u32 before_row = qs_maglev_index(only, 0) - 1;

		/* one VIP: from its row's first slot on (the key before it) */
		err = qs_map_scan_after(fd, sizeof(__u32), sizeof(__u32),
					only == QS_MAX_VIPS || only == 0 ? NULL : &before_row,
					maglev_count, &mc);
		err = err == 1 ? 0 : err;
		if (err)
			cli_err("maglev show: reading %s: %s", QS_MAP_MAGLEV, strerror(-err));
	}
	for (__u32 v = 0; fd >= 0 && !err && v < QS_MAX_VIPS; v++) {
		char digest[2 * EVP_MAX_MD_SIZE + 1];

		err = maglev_digest(&mc, v, digest, sizeof(digest));
		for (__u32 be = 1; !err && be < QS_MAX_BACKENDS; be++) {
			__u32 n = mc.slots[v][be];
			json_object *r;

			if (!n)
				continue;
			if (!o->json) {
				printf("vip %u backend %u slots %u share %.2f%% row %.16s\n", v, be,
				       n, 100.0 * n / QS_MAGLEV_SIZE, digest);
				continue;
			}
			r = json_object_new_object();
			json_object_object_add(r, "vip_id", json_object_new_int64(v));
			json_object_object_add(r, "backend_id", json_object_new_int64(be));
			json_object_object_add(r, "slots", json_object_new_int64(n));
			json_object_object_add(r, "row_sha256", json_object_new_string(digest));
			json_object_array_add(rows, r);
		}
	}
	maglev_digests_free(&mc);
	if (o->json && fd >= 0 && !err)
		puts(json_object_to_json_string_ext(rows, JSON_OUT));
	json_object_put(rows);
	return fd < 0 ? fd : err;
}
