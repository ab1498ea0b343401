// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "router/maps.h"
#include "util/words.h"
#include "quicsteer/quiclb.h"
#include "datapath_world.h"
#include "fixture.h"
#include "pktbuild.h"

#define LEARN QS_VIP_F_LEARN
#define HASH QS_UNKNOWN_HASH
#define AUTH QS_CID_AUTHORITATIVE
#define OPER QS_CID_OPERATOR
#define LEARNED QS_CID_LEARNED
#define NO_SUCH_IFINDEX 1000 /* in no network namespace the fuzzer makes */

const struct dpw_vip dpw_vips[] = {
	{ "198.18.0.100", 443, { .vip_id = 0, .cid_len = 8, .flags = LEARN } },
	{ "198.18.0.100", 0, { .vip_id = 0, .frag_policy = QS_FRAG_HASH } },
	{ "fd00::100", 443, { .vip_id = 1, .cid_len = 8, .unknown_policy = HASH, .flags = LEARN } },
	{ "fd00::100", 0, { .vip_id = 1, .frag_policy = QS_FRAG_PASS } },
	/* the captures' server (tests/data/captures) */
	{ "198.18.0.2", 4433, { .vip_id = 2, .cid_len = 18, .flags = LEARN } },
	{ "198.18.0.2", 0, { .vip_id = 2, .frag_policy = QS_FRAG_DROP } },
	{ "fd00:18::2",
	  4433,
	  { .vip_id = 3, .cid_len = 18, .unknown_policy = HASH, .flags = LEARN } },
	{ "fd00:18::2", 0, { .vip_id = 3, .frag_policy = QS_FRAG_HASH } },
	{ "198.18.0.101",
	  443,
	  { .vip_id = 4, .cid_len = 8, .fwd_mode = QS_FWD_L2DSR, .unknown_policy = HASH } },
	/*
	 * QUIC-LB: configs 1 and 2 plaintext, 3 single-pass AES, 4 four-pass
	 * AES, 5 longer than 20 bytes (ignored)
	 */
	{ "198.18.0.102",
	  443,
	  { .vip_id = 5,
	    .cid_len = 8,
	    .flags = LEARN,
	    .quiclb_mask = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 } },
	/*
	 * config 0 plaintext, 3 single-pass AES with lengths that do not sum
	 * to 16 (no ID decrypts); short headers without an ID
	 */
	{ "fd00::102",
	  443,
	  { .vip_id = 6, .cid_len = 0, .flags = LEARN, .quiclb_mask = 1 << 0 | 1 << 3 } },
	/* the last VIP id, its Maglev row never written */
	{ "198.18.0.103",
	  443,
	  { .vip_id = QS_MAX_VIPS - 1, .cid_len = 20, .unknown_policy = HASH } },
};
const size_t dpw_n_vips = sizeof(dpw_vips) / sizeof(dpw_vips[0]);

/*
 * Backend 8 has no entry (family none); QS_MAX_BACKENDS - 2 was never
 * configured (a reported ID names one of 0..4095: qs_cidtab keeps 12 bits).
 */
const struct dpw_backend dpw_backends[] = {
	{ 1, "198.18.1.10", DPW_NH_TX, QS_BACKEND_ACTIVE },
	{ 2, "198.18.1.11", DPW_NH_VETH, QS_BACKEND_ACTIVE },
	{ 3, "fd00:1::12", DPW_NH_TX, QS_BACKEND_ACTIVE },
	{ 4, "fd00:1::13", DPW_NH_VETH, QS_BACKEND_ACTIVE },
	{ 5, "198.18.1.14", DPW_NH_TX, QS_BACKEND_DRAINING },
	{ 6, "198.18.1.15", DPW_NH_MISSING_PORT, QS_BACKEND_ACTIVE },
	{ 7, "198.18.1.16", DPW_NH_INVALID, QS_BACKEND_ACTIVE },
	{ QS_MAX_BACKENDS - 1, "fd00:1::ff", DPW_NH_TX, QS_BACKEND_DOWN },
};
const size_t dpw_n_backends = sizeof(dpw_backends) / sizeof(dpw_backends[0]);

static const struct {
	uint32_t vip_id;
	uint32_t ids[4];
	size_t n;
} maglev_rows[] = {
	{ 0, { 1, 2, 3, 6 }, 4 }, /* 6: no usable next hop */
	{ 1, { 3, 4, 1, QS_MAX_BACKENDS - 1 }, 4 }, /* 1: IPv4, drop_family */
	{ 2, { 1, 2, 3, 4 }, 4 },
	{ 3, { 3, 4 }, 2 },
	{ 4, { 1, 2, 7, 8 }, 4 }, /* 7: invalid next hop; 8: no backend */
	{ 5, { 1, 3 }, 2 },
	{ 6, { 3, QS_MAX_BACKENDS - 1 }, 2 },
};

const struct dpw_cid dpw_cids[] = {
	{ 0, "a1a2a3a4a5a6a7a8", 1, AUTH, 0 },
	{ 0, "a0a1a2a3a4a5a6a7", 2, OPER, 0 },
	{ 0, "a9", 3, AUTH, 0 }, /* long headers only: short ones are 8 bytes here */
	{ 0, "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4", 6, AUTH, 0 },
	{ 0, "d1d2d3d4d5d6d7d8", 8, AUTH, 0 },
	{ 0, "d9dadbdcdddedfe0", QS_MAX_BACKENDS - 2, AUTH, 0 }, /* a backend never configured */
	{ 1, "c1c2c3c4c5c6c7c8", 3, AUTH, 0 },
	{ 1, "c9cacbcccdcecfd0", 1, AUTH, 0 },
	/* the server's IDs in the captures (client to server DCIDs after the first Initial) */
	{ 2, "8cf85db2d6e94f964faa6ca09974ff3c9d99", 1, AUTH, 0 }, /* quic-v4-basic */
	{ 2, "c012e301c7ac37c2a6bdc5c99b79cfb35e44", 2, AUTH, 0 }, /* quic-v4-migration, before */
	{ 2, "82b2fed1d45d85309725e633d92c57511009", 4, AUTH, 0 }, /* quic-v4-rebinding */
	{ 2, "5fdfa4cb59480baafd4e91c5aa0962e6221e", 3, OPER, 0 }, /* quic-v4-retry, Retry SCID */
	{ 2, "ec44abe623276e526c4ec51831c932d3c9ec", 2, AUTH, 0 }, /* quic-v4-retry */
	{ 3, "7104c00a0050db891561735d637c775dab16", 3, AUTH, 0 }, /* quic-v6-basic */
	{ 4, "a1a2a3a4a5a6a7a8", 2, AUTH, 0 },
	{ 5, "20eeee0102030405", QS_MAX_BACKENDS - 1, AUTH, 0 }, /* QUIC-LB, unknown server ID */
	{ 5, "e1e2e3e4e5e6e7e8", 1, AUTH, 0 }, /* QUIC-LB's unroutable 0b111 */
	{ 6, "07", 3, AUTH, 0 },
	{ QS_MAX_VIPS - 1, "0102030405060708090a0b0c0d0e0f1011121314", 1, OPER, 0 },
};
const size_t dpw_n_cids = sizeof(dpw_cids) / sizeof(dpw_cids[0]);

const struct dpw_cid dpw_learned[] = {
	{ 0, "b1b2b3b4b5b6b7b8", 2, LEARNED, 0 },
	{ 0, "b9babbbcbdbebfc0", 1, LEARNED, 60 }, /* stale under any TTL */
	{ 0, "b0b1b2b3b4b5b6b7", 4, LEARNED, 25 }, /* stale under the world's TTL alone */
	{ 3, "b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2", 4, LEARNED, 60 },
	{ 5, "a0a1a2a3a4a5a6a7", 1, LEARNED, 0 },
};
const size_t dpw_n_learned = sizeof(dpw_learned) / sizeof(dpw_learned[0]);

#define KEY_A "000102030405060708090a0b0c0d0e0f"
#define KEY_B "8f8e8d8c8b8a89888786858483828180"

static const struct {
	uint32_t vip_id, config_id;
	struct qs_quiclb_config c;
	const char *key; /* encrypted modes: qs_quiclb_rk's round keys of it */
} quiclb[] = {
	{ 5, 1, { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 2, .nonce_len = 5 }, NULL },
	{ 5, 2, { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 3, .nonce_len = 10 }, NULL },
	{ 5, 3, { .mode = QS_QUICLB_AES_SINGLE, .server_id_len = 4, .nonce_len = 12 }, KEY_A },
	{ 5, 4, { .mode = QS_QUICLB_AES_FOUR_PASS, .server_id_len = 3, .nonce_len = 8 }, KEY_B },
	{ 5, 5, { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 15, .nonce_len = 18 }, NULL },
	{ 6, 0, { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 1, .nonce_len = 4 }, NULL },
	{ 6, 3, { .mode = QS_QUICLB_AES_SINGLE, .server_id_len = 2, .nonce_len = 6 }, KEY_A },
};

static const struct {
	uint32_t vip_id, config_id;
	const char *sid;
	uint32_t backend_id;
} server_ids[] = {
	{ 5, 1, "5a5b", 2 },	 { 5, 2, "c0ffee", 1 }, { 5, 2, "0badbe", 8 },
	{ 5, 3, "01020304", 1 }, { 5, 3, "05060708", 4 }, { 5, 4, "0a0b0c", 2 },
	{ 5, 4, "0d0e0f", QS_MAX_BACKENDS - 1 },	  { 6, 0, "07", 3 },
	{ 6, 0, "08", 1 },
};

/* Server IDs of the encrypted configurations that no backend has. */
static const struct {
	uint32_t vip_id, config_id;
	const char *sid;
} unknown_server_ids[] = { { 5, 3, "0f0f0f0f" }, { 5, 4, "ffeedd" } };

struct dpw_lb_id dpw_lb_ids[DPW_MAX_LB_IDS];
size_t dpw_n_lb_ids;

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int nexthop_put(struct fx *fx, uint32_t id, uint32_t tx_ifindex, uint8_t flags)
{
	struct qs_nexthop nh = { .tx_ifindex = tx_ifindex,
				 .src4_flow_bits = FX_SRC4_FLOW_BITS,
				 .flags = flags };
	struct qs_addr src4;
	__u8 family;
	int err;

	memcpy(nh.dmac, fx_nexthop_mac, 6);
	memcpy(nh.smac, fx_router_mac, 6);
	err = qs_parse_addr(FX_OUTER_SRC4, &src4, &family) ?:
		      qs_parse_addr(FX_OUTER_SRC6, &nh.src6, &family);
	nh.src4 = src4.addr[0];
	return err ?: qs_nexthop_put(fx->nexthops, id, &nh);
}

static int backends_put(struct fx *fx)
{
	int err = 0;

	for (size_t i = 0; i < dpw_n_backends && !err; i++) {
		const struct dpw_backend *b = &dpw_backends[i];
		struct qs_backend be = { .nexthop_id = b->nexthop, .state = b->state, .weight = 1 };

		err = qs_parse_addr(b->addr, &be.addr, &be.family) ?:
			      qs_backend_put(fx->backends, b->id, &be);
	}
	return err;
}

static int quiclb_put(struct fx *fx)
{
	int err = 0;

	for (size_t i = 0; i < N(quiclb) && !err; i++) {
		uint8_t key[QS_QUICLB_KEY_LEN];

		/* as the agent writes them: the round keys before the configuration */
		if (quiclb[i].key)
			err = pb_hex(quiclb[i].key, key, sizeof(key)) != sizeof(key) ?
				      -EINVAL :
				      qs_quiclb_rk_put(fx->quiclb_rk, quiclb[i].vip_id,
						       quiclb[i].config_id, key);
		err = err ?: qs_quiclb_put(fx->quiclb, quiclb[i].vip_id, quiclb[i].config_id,
					   &quiclb[i].c);
	}
	for (size_t i = 0; i < N(server_ids) && !err; i++) {
		struct qs_server_id_key k;
		int len;

		memset(&k, 0, sizeof(k));
		len = pb_hex(server_ids[i].sid, k.sid, QS_QUICLB_SID_MAX);
		k.vip_id = server_ids[i].vip_id;
		k.config_id = server_ids[i].config_id;
		k.sid_len = len;
		err = len < 0 ? -EINVAL :
				qs_server_id_put(fx->server_ids, &k, server_ids[i].backend_id);
	}
	return err;
}

int dpw_setup(struct fx *fx, uint32_t veth_ifindex)
{
	struct qs_settings settings = { .learned_ttl_ns = DPW_LEARNED_TTL_NS };
	__u32 zero = 0;
	int err = 0;

	if (bpf_map_update_elem(fx->settings, &zero, &settings, BPF_ANY))
		return -errno;

	for (size_t i = 0; i < dpw_n_vips && !err; i++)
		err = fx_vip(fx, dpw_vips[i].addr, dpw_vips[i].port, &dpw_vips[i].vip);
	err = err ?: nexthop_put(fx, DPW_NH_TX, 0, QS_NEXTHOP_F_VALID);
	err = err ?: nexthop_put(fx, DPW_NH_VETH, veth_ifindex, QS_NEXTHOP_F_VALID);
	err = err ?: nexthop_put(fx, DPW_NH_MISSING_PORT, NO_SUCH_IFINDEX, QS_NEXTHOP_F_VALID);
	err = err ?: nexthop_put(fx, DPW_NH_INVALID, 0, 0);
	if (!err && bpf_map_update_elem(fx->tx_ports, &veth_ifindex, &veth_ifindex, BPF_ANY))
		err = -errno;
	err = err ?: backends_put(fx);
	for (size_t i = 0; i < N(maglev_rows) && !err; i++)
		err = fx_maglev_round_robin(fx, maglev_rows[i].vip_id, maglev_rows[i].ids,
					    maglev_rows[i].n);
	return err ?: quiclb_put(fx);
}

/* One ID of server ID sid_hex made by codec, into dpw_lb_ids. */
static int lb_id_make(struct qs_quiclb_codec *codec, uint32_t vip_id, const char *sid_hex,
		      uint32_t backend_id)
{
	static const uint8_t nonce[QS_QUICLB_NONCE_MAX] = { 0x6e, 0x6f, 0x6e, 0x63, 0x65 };
	struct dpw_lb_id *id = &dpw_lb_ids[dpw_n_lb_ids];
	uint8_t sid[QS_QUICLB_SID_MAX];
	int len;

	if (dpw_n_lb_ids == DPW_MAX_LB_IDS || pb_hex(sid_hex, sid, sizeof(sid)) < 0)
		return -EINVAL;
	len = qs_quiclb_encode(codec, sid, nonce, id->cid);
	if (len < 0)
		return len;
	id->vip_id = vip_id;
	id->len = len;
	id->backend_id = backend_id;
	dpw_n_lb_ids++;
	return 0;
}

/* The IDs of quiclb[i]: of every server ID configured, and of one not. */
static int lb_ids_of(size_t i, struct qs_quiclb_codec *codec)
{
	uint32_t vip = quiclb[i].vip_id, cfg = quiclb[i].config_id;
	int err = 0;

	for (size_t j = 0; j < N(server_ids) && !err; j++)
		if (server_ids[j].vip_id == vip && server_ids[j].config_id == cfg)
			err = lb_id_make(codec, vip, server_ids[j].sid, server_ids[j].backend_id);
	for (size_t j = 0; j < N(unknown_server_ids) && !err; j++)
		if (unknown_server_ids[j].vip_id == vip && unknown_server_ids[j].config_id == cfg)
			err = lb_id_make(codec, vip, unknown_server_ids[j].sid, QS_NO_BACKEND);
	return err;
}

int dpw_lb_ids_make(void)
{
	int err = 0;

	dpw_n_lb_ids = 0;
	for (size_t i = 0; i < N(quiclb) && !err; i++) {
		uint8_t key[QS_QUICLB_KEY_LEN];
		struct qs_quiclb_codec *codec;
		/* self-described length: no random bits, the same IDs in every process */
		QS_QUICLB_PARAMS(params, .config_id = quiclb[i].config_id,
				 .mode = quiclb[i].c.mode, .server_id_len = quiclb[i].c.server_id_len,
				 .nonce_len = quiclb[i].c.nonce_len, .flags = QS_QUICLB_F_LEN_SELF,
				 .key = key);

		if (!quiclb[i].key)
			continue;
		if (pb_hex(quiclb[i].key, key, sizeof(key)) != sizeof(key))
			return -EINVAL;
		codec = qs_quiclb_codec_new(&params);
		if (!codec && errno == EINVAL)
			continue; /* lengths the draft does not allow: no server makes its IDs */
		err = codec ? lb_ids_of(i, codec) : -errno;
		qs_quiclb_codec_free(codec);
	}
	return err;
}

static int addr_is(const char *text, int family, const uint8_t *addr)
{
	uint8_t a[16];

	return inet_pton(family == 6 ? AF_INET6 : AF_INET, text, a) == 1 &&
	       !memcmp(a, addr, family == 6 ? 16 : 4);
}

const struct dpw_vip *dpw_vip_find(int family, const uint8_t *addr, uint16_t port)
{
	for (size_t i = 0; i < dpw_n_vips; i++)
		if (dpw_vips[i].port == port && addr_is(dpw_vips[i].addr, family, addr))
			return &dpw_vips[i];
	return NULL;
}

const struct dpw_backend *dpw_backend_by_addr(int family, const uint8_t *addr)
{
	for (size_t i = 0; i < dpw_n_backends; i++)
		if (addr_is(dpw_backends[i].addr, family, addr))
			return &dpw_backends[i];
	return NULL;
}
