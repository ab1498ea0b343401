// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A configuration written into a real router's maps: every entry lands as
 * the data path reads it, a packet is routed by what was written, a reload
 * removes what went and rewrites only the Maglev slots that changed, and a
 * restarted agent applying the same configuration writes no slot at all.
 * Guards against reloads that disturb flows and restarts that rewrite tables.
 */
#include <arpa/inet.h>
#include <string.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "router/apply.h"
#include "config/config.h"
#include "router/maglev.h"
#include "router/maps.h"
#include "util/words.h"
#include "world.h"

static const char conf_a[] =
	"vip web 198.18.0.100 443 cid-len 8\n"
	"vip web6 fd00::100 443\n"
	"quic-lb web config 1 mode plaintext server-id-len 2 nonce-len 5\n"
	"nexthop core dev lo encap-source4 198.18.200.0/24 encap-source6 fd00:200::\n"
	"backend a 198.18.1.10 id 1 vip web server-id web 1 5a5b\n"
	"backend b 198.18.1.11 id 2 vip web weight 3\n"
	"backend c fd00:1::12 id 3 vip web6\n"
	"backend d 198.18.1.14 id 4 vip web state draining\n";

/* b and web6 (with c) go; d is active again */
static const char conf_b[] =
	"vip web 198.18.0.100 443 cid-len 8\n"
	"quic-lb web config 1 mode plaintext server-id-len 2 nonce-len 5\n"
	"nexthop core dev lo encap-source4 198.18.200.0/24 encap-source6 fd00:200::\n"
	"backend a 198.18.1.10 id 1 vip web server-id web 1 5a5b\n"
	"backend d 198.18.1.14 id 4 vip web\n";

static struct fx fx;
static struct qs_agent_maps maps;

static int fake_l2(void *ctx, const struct qs_config *cfg, const struct qs_config_backend *be,
		   struct qs_l2 *out)
{
	(void)ctx, (void)cfg;
	memset(out, 0, sizeof(*out));
	memcpy(out->dmac, "\x02\x00\x00\x00\x00\x00", 6);
	out->dmac[5] = be->id;
	memcpy(out->smac, fx_router_mac, 6);
	out->valid = 1;
	return 0;
}

static struct qs_config *parse(const char *text)
{
	struct qs_config_error err;
	struct qs_config *cfg = NULL;
	char msg[700];

	cr_assert_eq(qs_config_parse_string("test.conf", text, &cfg, &err), 0, "%s",
		     qs_config_error_str(&err, msg, sizeof(msg)));
	return cfg;
}

static void setup(void)
{
	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	maps = (struct qs_agent_maps){ fx.vips,	  fx.backends,	 fx.nexthops, fx.maglev,
				       fx.quiclb, fx.server_ids, fx.tx_ports, fx.settings,
				       fx.quiclb_rk, fx.vip_index };
}

static void teardown(void)
{
	fx_close(&fx);
}

TestSuite(apply, .init = setup, .fini = teardown);

static void row_read(__u32 vip_id, __u32 *row)
{
	for (__u32 s = 0; s < QS_MAGLEV_SIZE; s++) {
		__u32 key = vip_id * QS_MAGLEV_SIZE + s;

		cr_assert_eq(bpf_map_lookup_elem(fx.maglev, &key, &row[s]), 0);
	}
}

static size_t slots_of(const __u32 *row, __u32 id)
{
	size_t n = 0;

	for (__u32 s = 0; s < QS_MAGLEV_SIZE; s++)
		n += row[s] == id;
	return n;
}

static int vip_get(const char *addr, __u16 port, struct qs_vip *v)
{
	struct qs_vip_key k;

	memset(&k, 0, sizeof(k));
	qs_parse_addr(addr, &k.addr, &k.family);
	k.port = htons(port);
	return bpf_map_lookup_elem(fx.vips, &k, v) ? -1 : 0;
}

Test(apply, entries_land_where_the_data_path_reads_them)
{
	struct qs_config *a = parse(conf_a);
	struct qs_maglev_rows rows = { 0 };
	struct qs_apply_stats st = { 0 };
	static __u32 row[QS_MAGLEV_SIZE];
	struct qs_server_id_key sk = { .sid = { 0x5a, 0x5b }, .config_id = 1, .sid_len = 2 };
	struct qs_backend be;
	struct qs_nexthop nh;
	struct qs_vip v;
	__u32 id = 2, owner;

	cr_assert_eq(qs_apply(&maps, a, NULL, fake_l2, NULL, &rows, &st), 0);
	cr_assert_eq(vip_get("198.18.0.100", 443, &v), 0, "VIP web missing");
	cr_assert(v.vip_id == 0 && v.cid_len == 8 && v.quiclb_mask == 1 << 1 &&
			  v.flags == QS_VIP_F_LEARN,
		  "web: id %u cid_len %u mask %x flags %x", v.vip_id, v.cid_len, v.quiclb_mask,
		  v.flags);
	cr_assert_eq(vip_get("198.18.0.100", 0, &v), 0, "fragment entry of web missing");
	cr_assert_eq(vip_get("fd00::100", 443, &v), 0, "VIP web6 missing");
	cr_assert_eq(v.vip_id, 1);
	cr_assert_eq(bpf_map_lookup_elem(fx.backends, &id, &be), 0);
	cr_assert(be.family == QS_AF_INET && be.weight == 3 && be.nexthop_id == 2,
		  "backend b: family %u weight %u nexthop %u", be.family, be.weight, be.nexthop_id);
	cr_assert_eq(bpf_map_lookup_elem(fx.nexthops, &id, &nh), 0);
	cr_assert(nh.flags == QS_NEXTHOP_F_VALID && nh.dmac[5] == 2 && nh.src4_flow_bits == 8 &&
			  nh.src4 == htonl(0xc612c800),
		  "nexthop of b: flags %u dmac %02x bits %u", nh.flags, nh.dmac[5],
		  nh.src4_flow_bits);
	cr_assert_eq(bpf_map_lookup_elem(fx.server_ids, &sk, &owner), 0, "server ID missing");
	cr_assert_eq(owner, 1);

	row_read(0, row);
	cr_assert_eq(slots_of(row, 4), 0, "draining backend got %zu slots", slots_of(row, 4));
	cr_assert_eq(slots_of(row, 1) + slots_of(row, 2), QS_MAGLEV_SIZE);
	cr_assert(slots_of(row, 2) > 2.9 * slots_of(row, 1), "weights 1:3 gave %zu:%zu",
		  slots_of(row, 1), slots_of(row, 2));
	row_read(1, row);
	cr_assert_eq(slots_of(row, 3), QS_MAGLEV_SIZE);
	cr_assert_eq(st.slots_written, 2 * QS_MAGLEV_SIZE);
	qs_maglev_rows_free(&rows);
	qs_config_free(a);
}

Test(apply, a_packet_follows_what_was_written)
{
	struct qs_config *a = parse(conf_a);
	struct qs_maglev_rows rows = { 0 };
	struct qs_apply_stats st = { 0 };
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, "205a5b0102030405");
	uint8_t in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	size_t len = pb_build(&s, in, sizeof(in)), out_len = 0;

	cr_assert_eq(qs_apply(&maps, a, NULL, fake_l2, NULL, &rows, &st), 0);
	cr_assert_eq(fx_run(&fx, in, len, out, &out_len), XDP_TX);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_QUICLB), 1);
	cr_assert_eq(out[5], 1, "sent to the next hop of backend %u, want a (1)", out[5]);
	cr_assert(!memcmp(out + 14 + 16, "\xc6\x12\x01\x0a", 4), "outer destination not a");
	qs_maglev_rows_free(&rows);
	qs_config_free(a);
}

Test(apply, reload_writes_only_what_changed)
{
	struct qs_config *a = parse(conf_a), *b = parse(conf_b);
	struct qs_maglev_rows rows = { 0 };
	struct qs_apply_stats st = { 0 };
	static __u32 before[QS_MAGLEV_SIZE], after[QS_MAGLEV_SIZE];
	size_t changed = 0, moved_a = 0;
	struct qs_backend be;
	struct qs_vip v;
	__u32 id = 2;

	cr_assert_eq(qs_apply(&maps, a, NULL, fake_l2, NULL, &rows, &st), 0);
	row_read(0, before);
	cr_assert_eq(qs_config_assign_ids(b, a), 0);
	memset(&st, 0, sizeof(st));
	cr_assert_eq(qs_apply(&maps, b, a, fake_l2, NULL, &rows, &st), 0);
	row_read(0, after);
	for (__u32 s = 0; s < QS_MAGLEV_SIZE; s++) {
		changed += before[s] != after[s];
		/* a keeps its slots but for those d, back from draining, takes */
		moved_a += before[s] == 1 && after[s] != 1 && after[s] != 4;
	}
	cr_assert_eq(moved_a, 0, "%zu slots of a moved elsewhere than to d", moved_a);
	cr_assert_eq(slots_of(after, 2), 0, "removed backend still has slots");
	cr_assert_gt(slots_of(after, 4), 0, "undrained backend has no slot");
	/* row 0's changed slots, and web6's whole row emptied */
	cr_assert_eq(st.slots_written, changed + QS_MAGLEV_SIZE, "slots written got %llu want %zu",
		     (unsigned long long)st.slots_written, changed + QS_MAGLEV_SIZE);
	cr_assert_eq(bpf_map_lookup_elem(fx.backends, &id, &be), 0);
	cr_assert_eq(be.family, QS_AF_NONE, "removed backend still in qs_backends");
	cr_assert_neq(vip_get("fd00::100", 443, &v), 0, "removed VIP still in qs_vips");
	cr_assert_neq(vip_get("fd00::100", 0, &v), 0, "removed VIP's fragment entry stays");
	cr_assert_eq(vip_get("198.18.0.100", 443, &v), 0);
	qs_maglev_rows_free(&rows);
	qs_config_free(a);
	qs_config_free(b);
}

Test(apply, restart_with_the_same_configuration_writes_no_slot)
{
	struct qs_config *a = parse(conf_a);
	struct qs_maglev_rows rows = { 0 }, fresh = { 0 };
	struct qs_apply_stats st = { 0 };

	cr_assert_eq(qs_apply(&maps, a, NULL, fake_l2, NULL, &rows, &st), 0);
	memset(&st, 0, sizeof(st));
	cr_assert_eq(qs_apply(&maps, a, NULL, fake_l2, NULL, &fresh, &st), 0);
	cr_assert_eq(st.slots_written, 0, "restart rewrote %llu slots",
		     (unsigned long long)st.slots_written);
	qs_maglev_rows_free(&rows);
	qs_maglev_rows_free(&fresh);
	qs_config_free(a);
}
