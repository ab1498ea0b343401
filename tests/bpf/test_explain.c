// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs_explain (the CLI's `route`) must say what the program does: for each
 * packet, the explanation is computed from the live maps first, then the
 * same packet runs through the real router, and the reason it counted and
 * the backend it sent to must be the explanation's. Guards against an
 * operator tool that tells a different story from the data path.
 */
#include <arpa/inet.h>
#include <string.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "router/explain.h"
#include "router/maps.h"
#include "util/words.h"
#include "abi/quicver.h"
#include "router/reasons.h"
#include "quicsteer/quiclb.h"
#include "world.h"

#define CID_A "a1a2a3a4a5a6a7a8"
#define CID_NEW "e1e2e3e4e5e6e7e8"

static struct fx fx;

static void setup(void)
{
	uint8_t a[8];
	struct qs_flow f = world_flow_opened(BE_B, "0a0b0c0d");
	struct qs_flow_key k;

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	pb_hex(CID_A, a, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, a, 8, BE_A, QS_CID_AUTHORITATIVE), 0);
	memset(&k, 0, sizeof(k));
	qs_parse_addr(CLIENT4_B, &k.addr, &k.family);
	k.vip_id = VIP4_ID;
	k.port = htons(CLIENT_PORT);
	cr_assert_eq(qs_flow_put(fx.flows, &k, &f), 0);
}

static void teardown(void)
{
	fx_close(&fx);
}

TestSuite(explain, .init = setup, .fini = teardown);

/* The description of a packet built from a spec, as the CLI would give it. */
static void describe(const struct pb_spec *s, struct qs_explain_packet *p)
{
	__u8 family;

	memset(p, 0, sizeof(*p));
	qs_parse_addr(s->dst, &p->vip, &family);
	qs_parse_addr(s->src, &p->client, &p->family);
	p->vip_port = s->dport;
	p->client_port = s->sport;
	p->is_long = s->quic == PB_QUIC_LONG;
	p->version = s->version;
	p->type_bits = s->type_bits;
	memcpy(p->dcid, s->dcid, s->dcid_len);
	p->dcid_len = s->dcid_len;
	memcpy(p->scid, s->scid, s->scid_len);
	p->scid_len = s->scid_len;
	p->udp_payload_len = s->payload_len;
}

/* The explanation of s, once the program has been shown to agree with it. */
static struct qs_explain agree(const char *name, struct pb_spec s)
{
	struct qs_explain_maps m = { .vips = fx.vips,
				     .backends = fx.backends,
				     .nexthops = fx.nexthops,
				     .maglev = fx.maglev,
				     .learned = fx.learned,
				     .settings = fx.settings,
				     .quiclb = fx.quiclb,
				     .server_ids = fx.server_ids,
				     .flows = fx.flows,
				     .flows_new = fx.flows_new,
				     .cidtab = &fx.cidtab };
	uint8_t in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	size_t len = pb_build(&s, in, sizeof(in)), out_len = 0;
	struct qs_explain_packet p;
	struct qs_explain e;
	uint32_t backend = QS_NO_BACKEND;
	int action;

	uint64_t before;

	describe(&s, &p);
	cr_assert_eq(qs_explain(&m, &p, &e), 0);
	before = fx_reason(&fx, e.reason);
	action = fx_run(&fx, in, len, out, &out_len);
	cr_assert_eq(fx_reason(&fx, e.reason), before + 1,
		     "%s: explained %s (%s), the program counted otherwise", name,
		     qs_reason_name(e.reason), e.why);
	if (action == XDP_TX || action == XDP_REDIRECT) {
		struct qs_backend be;

		/* the outer header's family is the backend's */
		cr_assert_eq(bpf_map_lookup_elem(fx.backends, &e.backend_id, &be), 0,
			     "%s: forwarded, but the explained backend %u is not configured", name,
			     e.backend_id);
		backend = world_sent_to(out, be.family);
	}
	cr_assert_eq(backend, e.backend_id, "%s: explained backend %u, the program sent to %u",
		     name, e.backend_id, backend);
	return e;
}

Test(explain, agrees_with_the_program)
{
	struct pb_spec s;

	agree("new Initial", world_initial(4, CLIENT4, CLIENT_PORT, "0102030405060708"));
	agree("Initial of a known client", world_initial(4, CLIENT4_B, CLIENT_PORT, "0a0b0c0d"));
	s = world_initial(4, CLIENT4_B, CLIENT_PORT, "1a1b1c1d1e1f");
	agree("Initial of a known client, its SCID", s);
	s.scid_len = 4;
	agree("Initial of another connection from a known client", s);
	s = world_handshake(4, CLIENT4_B, CLIENT_PORT, "2a2b2c2d2e2f");
	s.type_bits = 1;
	s.scid_len = 0;
	agree("0-RTT of another connection from a known client", s);
	agree("ID table", world_short(4, CLIENT4, 41000, CID_A));
	agree("unknown ID, known client", world_short(4, CLIENT4_B, CLIENT_PORT, CID_NEW));
	agree("unknown ID, unknown client", world_short(4, CLIENT4, 42000, CID_NEW));
	agree("v6 new Initial", world_initial(6, CLIENT6, CLIENT_PORT, "0102030405060708"));
	s = world_initial(4, CLIENT4, 43000, "0102030405060708");
	s.payload_len = 1100;
	agree("small Initial", s);
	s = world_handshake(4, CLIENT4, 44000, "0102030405060708");
	s.version = QS_QUIC_V2;
	s.type_bits = 2;
	agree("v2 0-RTT", s);
	s = world_handshake(4, CLIENT4, 45000, "0102030405060708");
	s.version = 0x1a2a3a4a;
	agree("other version", s);
	s = world_short(4, CLIENT4, 46000, CID_A);
	s.dst = "198.18.0.222";
	agree("not a VIP", s);
	s = world_initial(4, CLIENT4, 46001, "0102030405060708");
	s.dport = 0;
	agree("port 0, no address-wide entry", s);
	cr_assert_eq(fx_vip(&fx, VIP4, 0, &(struct qs_vip){ .frag_policy = QS_FRAG_HASH }), 0);
	agree("port 0 of the address-wide entry", s);
	cr_assert_eq(fx_backend(&fx, BE_A, world_backend_addr[BE_A], QS_BACKEND_DOWN), 0);
	agree("ID table, backend down", world_short(4, CLIENT4, 41000, CID_A));
}

static void cid_key(const char *hex, struct qs_cid_key *k)
{
	uint8_t id[8];

	pb_hex(hex, id, sizeof(id));
	cr_assert_eq(qs_cid_key_make(k, VIP4_ID, id, sizeof(id)), 0);
}

/* An ID put into qs_cidtab alone, and a short header of it explained as the ID table's. */
static void agree_cidtab_alone(const char *hex, __u16 port, __u32 backend, int operator_kind)
{
	const char *whose = operator_kind ? "operator" : "reported";
	struct qs_cid_key k;
	struct qs_explain e;

	cid_key(hex, &k);
	cr_assert_eq(qs_cidtab_put(&fx.cidtab, &k, backend, operator_kind), 0);
	e = agree(whose, world_short(4, CLIENT4, port, hex));
	cr_assert(e.reason == QS_R_ROUTE_CID && e.backend_id == backend,
		  "%s: got %s backend %u (%s) want route_cid backend %u", whose,
		  qs_reason_name(e.reason), e.backend_id, e.why, backend);
	cr_assert(strstr(e.why, whose), "got \"%s\" want a %s entry", e.why, whose);
}

/*
 * Rung b reads qs_cidtab, as the program does: an ID there alone routes
 * by it, reported or the operator's; an ID in qs_cids alone (the agent's
 * record, which the data path does not read) does not.
 */
Test(explain, reads_the_table_the_program_reads)
{
	struct qs_cid_entry only_cids = { .backend_id = BE_B, .kind = QS_CID_AUTHORITATIVE };
	struct qs_cid_key k;
	struct qs_explain e;

	agree_cidtab_alone("b1b2b3b4b5b6b7b8", 49000, BE_B, 0);
	agree_cidtab_alone("c1c2c3c4c5c6c7c8", 49001, BE_A, 1);
	cid_key("d1d2d3d4d5d6d7d8", &k);
	cr_assert_eq(qs_cid_put(fx.cids, &k, &only_cids), 0);
	e = agree("ID of qs_cids alone", world_short(4, CLIENT4, 49002, "d1d2d3d4d5d6d7d8"));
	cr_assert_neq(e.reason, QS_R_ROUTE_CID, "an ID of qs_cids alone explained as the ID table");
}

/*
 * One client port with an established entry (BE_A, opened by 0a0b0c0d)
 * and a newer Initial's in qs_flows_new: for BE_B, then for BE_A.
 */
Test(explain, agrees_on_the_two_address_tables)
{
	struct qs_flow est = world_flow_opened(BE_A, "0a0b0c0d"),
		       fresh = world_flow_opened(BE_B, "3a3b3c3d");
	struct pb_spec s = world_handshake(4, CLIENT4, 47000, "0102030405060708");

	s.version = 0x1a2a3a4a;
	cr_assert_eq(world_flow_put(&fx, 4, CLIENT4, 47000, &est), 0);
	cr_assert_eq(world_flow_put_new(&fx, 4, CLIENT4, 47000, &fresh), 0);
	agree("unknown ID, the tables disagree", world_short(4, CLIENT4, 47000, CID_NEW));
	agree("other version, the tables disagree", s);
	agree("Initial of the newer connection", world_initial(4, CLIENT4, 47000, "3a3b3c3d"));
	agree("Initial of the older connection", world_initial(4, CLIENT4, 47000, "0a0b0c0d"));
	agree("Initial of a third connection", world_initial(4, CLIENT4, 47000, "4a4b4c4d"));
	fresh = world_flow_opened(BE_A, "5a5b5c5d");
	cr_assert_eq(world_flow_put_new(&fx, 4, CLIENT4, 47000, &fresh), 0);
	agree("unknown ID, the tables agree", world_short(4, CLIENT4, 47000, CID_NEW));
	agree("other version, the tables agree", s);
}

/* address-entry handshake: Initials and 0-RTT go to Maglev whatever the address table holds. */
Test(explain, agrees_on_address_entry_handshake)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .flags = QS_VIP_F_LEARN | QS_VIP_F_ENTRY_AT_HANDSHAKE };
	struct pb_spec s;

	cr_assert_eq(fx_vip(&fx, VIP4, VIP_PORT, &v4), 0);
	agree("new Initial", world_initial(4, CLIENT4, CLIENT_PORT, "0102030405060708"));
	agree("Initial of a known client", world_initial(4, CLIENT4_B, CLIENT_PORT, "0a0b0c0d"));
	s = world_handshake(4, CLIENT4_B, CLIENT_PORT, "2a2b2c2d2e2f");
	s.type_bits = 1;
	agree("0-RTT from a known client", s);
	agree("Handshake, unknown ID, known client",
	      world_handshake(4, CLIENT4_B, CLIENT_PORT, "3a3b3c3d3e3f"));
	agree("Handshake, unknown ID, unknown client",
	      world_handshake(4, CLIENT4, 48000, "3a3b3c3d3e3f"));
	cr_assert_eq(fx_cid(&fx, VIP4_ID, (const uint8_t *)"\x4a\x4b\x4c\x4d\x4e\x4f\x40\x41", 8,
			    BE_B, QS_CID_LEARNED),
		     0);
	agree("Handshake, learned ID", world_handshake(4, CLIENT4, 48001, "4a4b4c4d4e4f4041"));
	agree("short header, learned ID", world_short(4, CLIENT4, 48001, "4a4b4c4d4e4f4041"));
	agree("ID table", world_short(4, CLIENT4, 41000, CID_A));
	agree("unknown ID, known client", world_short(4, CLIENT4_B, CLIENT_PORT, CID_NEW));
}

/*
 * QUIC-LB on VIP4: config 1 (8-byte IDs, a 2-byte server ID in the first
 * word), config 2 (18-byte IDs, an 11-byte server ID across two words),
 * config 5 (34-byte IDs: ignored), config 6 (encrypted: length only).
 */
static void quiclb_setup(void)
{
	static const struct qs_quiclb_config cfg[QS_QUICLB_CONFIGS] = {
		[1] = { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 2, .nonce_len = 5 },
		[2] = { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 11, .nonce_len = 6 },
		[5] = { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 15, .nonce_len = 18 },
		[6] = { .mode = QS_QUICLB_AES_SINGLE, .server_id_len = 4, .nonce_len = 12 },
	};
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .flags = QS_VIP_F_LEARN,
			     .quiclb_mask = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 6) };
	struct qs_server_id_key k1 = {
		.vip_id = VIP4_ID, .config_id = 1, .sid_len = 2, .sid = { 0x5a, 0x5b }
	};
	struct qs_server_id_key k2 = { .vip_id = VIP4_ID,
				       .config_id = 2,
				       .sid_len = 11,
				       .sid = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
						0x19, 0x1a, 0x1b } };

	cr_assert_eq(fx_vip(&fx, VIP4, VIP_PORT, &v4), 0);
	for (__u32 id = 0; id < QS_QUICLB_CONFIGS; id++)
		cr_assert_eq(qs_quiclb_put(fx.quiclb, VIP4_ID, id, &cfg[id]), 0);
	cr_assert_eq(qs_server_id_put(fx.server_ids, &k1, BE_B), 0);
	cr_assert_eq(qs_server_id_put(fx.server_ids, &k2, BE_A), 0);
}

/* Each rule of the QUIC-LB rung, which the CLI predicts on its own. */
Test(explain, agrees_on_quic_lb)
{
	quiclb_setup();
	agree("QUIC-LB, short", world_short(4, CLIENT4, 47000, "3f5a5b0102030405"));
	agree("QUIC-LB, Handshake", world_handshake(4, CLIENT4, 47001, "3f5a5b0102030405"));
	agree("QUIC-LB, server ID across words",
	      world_short(4, CLIENT4, 47002, "411112131415161718191a1b010203040506"));
	agree("QUIC-LB, unknown server ID", world_short(4, CLIENT4, 47003, "3f5a5c0102030405"));
	agree("QUIC-LB, unknown wide server ID from a known client",
	      world_short(4, CLIENT4_B, CLIENT_PORT, "411112131415161718191a1c010203040506"));
	agree("QUIC-LB, config over 20 bytes ignored",
	      world_short(4, CLIENT4_B, CLIENT_PORT, "a1b2c3d4e5f60718"));
	agree("QUIC-LB, encrypted config: length only",
	      world_short(4, CLIENT4_B, CLIENT_PORT, "c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1"));
	agree("QUIC-LB, config not set", world_short(4, CLIENT4, 47004, "6162636465666768"));
	agree("QUIC-LB, unroutable", world_short(4, CLIENT4, 47005, CID_NEW));
	agree("QUIC-LB, ID table after the rung", world_short(4, CLIENT4, 47006, CID_A));
}

/*
 * Encrypted QUIC-LB IDs, which the CLI decodes with libquicsteer's codec
 * and the key the router's map holds: config 3 four-pass (a 3-byte server
 * ID, 12-byte IDs), config 6 single-pass (4 + 12); IDs of configured
 * server IDs, of others, and of the wrong length.
 */
Test(explain, agrees_on_encrypted_quic_lb)
{
	static const uint8_t key[16] = { 0x8f, 0x95, 0xf0, 0x92, 0x45, 0x76, 0x5f, 0x80,
					 0x25, 0x69, 0x34, 0xe5, 0x0c, 0x66, 0x20, 0x7f };
	static const uint8_t sid3[3] = { 0xed, 0x79, 0x3a }, sid6[4] = { 0x0a, 0x0b, 0x0c, 0x0d },
			     other[4] = { 1, 2, 3, 4 }, nonce[12] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	struct qs_quiclb_config c3 = { .mode = QS_QUICLB_AES_FOUR_PASS,
				       .server_id_len = 3,
				       .nonce_len = 8 },
				c6 = { .mode = QS_QUICLB_AES_SINGLE,
				       .server_id_len = 4,
				       .nonce_len = 12 };
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .flags = QS_VIP_F_LEARN,
			     .quiclb_mask = (1 << 3) | (1 << 6) };
	struct qs_server_id_key k3 = {
		.vip_id = VIP4_ID, .config_id = 3, .sid_len = 3, .sid = { 0xed, 0x79, 0x3a }
	};
	struct qs_server_id_key k6 = {
		.vip_id = VIP4_ID, .config_id = 6, .sid_len = 4, .sid = { 0x0a, 0x0b, 0x0c, 0x0d }
	};
	QS_QUICLB_PARAMS(p3, .config_id = 3, .mode = QS_QUICLB_CID_AES_FOUR_PASS,
			 .server_id_len = 3, .nonce_len = 8, .key = key);
	QS_QUICLB_PARAMS(p6, .config_id = 6, .mode = QS_QUICLB_CID_AES_SINGLE, .server_id_len = 4,
			 .nonce_len = 12, .key = key);
	struct qs_quiclb_codec *e3 = qs_quiclb_codec_new(&p3), *e6 = qs_quiclb_codec_new(&p6);
	uint8_t cid[QS_CID_MAX_LEN];
	char hex[2 * QS_CID_MAX_LEN + 1];
	int len;

	cr_assert(e3 && e6);
	memcpy(c3.key, key, 16);
	memcpy(c6.key, key, 16);
	cr_assert_eq(qs_quiclb_rk_put(fx.quiclb_rk, VIP4_ID, 3, key), 0);
	cr_assert_eq(qs_quiclb_rk_put(fx.quiclb_rk, VIP4_ID, 6, key), 0);
	cr_assert_eq(qs_quiclb_put(fx.quiclb, VIP4_ID, 3, &c3), 0);
	cr_assert_eq(qs_quiclb_put(fx.quiclb, VIP4_ID, 6, &c6), 0);
	cr_assert_eq(fx_vip(&fx, VIP4, VIP_PORT, &v4), 0);
	cr_assert_eq(qs_server_id_put(fx.server_ids, &k3, BE_A), 0);
	cr_assert_eq(qs_server_id_put(fx.server_ids, &k6, BE_B), 0);

	len = qs_quiclb_encode(e3, sid3, nonce, cid);
	agree("QUIC-LB four-pass",
	      world_short(4, CLIENT4, 48000, qs_format_hex(cid, len, hex, sizeof(hex))));
	len = qs_quiclb_encode(e6, sid6, nonce, cid);
	agree("QUIC-LB single-pass",
	      world_short(4, CLIENT4, 48001, qs_format_hex(cid, len, hex, sizeof(hex))));
	agree("QUIC-LB single-pass, cached", world_short(4, CLIENT4, 48002, hex));
	len = qs_quiclb_encode(e6, other, nonce, cid);
	agree("QUIC-LB single-pass, server ID not configured",
	      world_short(4, CLIENT4, 48003, qs_format_hex(cid, len, hex, sizeof(hex))));
	qs_quiclb_codec_free(e3);
	qs_quiclb_codec_free(e6);
}
