// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Encrypted QUIC-LB IDs decoded by the router (bpf/quiclb.h, bpf/aes.h):
 * - every encrypted vector of draft-ietf-quic-load-balancers' appendix and
 *   its worked four-pass example (tests/data/quic-lb-vectors.txt says
 *   where they come from) routes to the backend of its server ID;
 * - the outputs of the pre-draft-19 four-pass layout do not;
 * - single-pass IDs made with OpenSSL's AES-128 under random keys, for
 *   every server-ID length the mode allows, route to their server IDs'
 *   backends, and IDs that decode to no configured server ID fall through.
 */
#include <string.h>
#include <sys/random.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <bpf/bpf.h>
#include "quicsteer/quiclb.h"
#include "router/maps.h"
#include "util/words.h"
#include "world.h"

static struct fx fx;

static void setup(void)
{
	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
}

static void teardown(void)
{
	fx_close(&fx);
}

TestSuite(quiclb_aes, .init = setup, .fini = teardown);

struct config {
	unsigned int id, mode, sid_len, nonce_len;
	const char *key;
};

/* VIP4 with these configurations (and their keys), nothing else. */
static void configure(const struct config *c, size_t n)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID, .cid_len = WORLD_CID_LEN, .flags = QS_VIP_F_LEARN };
	uint8_t key[QS_QUICLB_KEY_LEN];

	for (size_t i = 0; i < n; i++) {
		struct qs_quiclb_config q = { .mode = c[i].mode,
					      .server_id_len = c[i].sid_len,
					      .nonce_len = c[i].nonce_len };

		cr_assert_eq(pb_hex(c[i].key, key, sizeof(key)), sizeof(key));
		cr_assert_eq(qs_quiclb_rk_put(fx.quiclb_rk, VIP4_ID, c[i].id, key), 0);
		cr_assert_eq(qs_quiclb_put(fx.quiclb, VIP4_ID, c[i].id, &q), 0);
		v4.quiclb_mask |= 1 << c[i].id;
	}
	cr_assert_eq(fx_vip(&fx, VIP4, VIP_PORT, &v4), 0);
}

static void server_id(unsigned int config_id, const uint8_t *sid, size_t len, uint32_t backend)
{
	struct qs_server_id_key k = { .vip_id = VIP4_ID, .config_id = config_id, .sid_len = len };

	memcpy(k.sid, sid, len);
	cr_assert_eq(qs_server_id_put(fx.server_ids, &k, backend), 0);
}

static void server_id_hex(unsigned int config_id, const char *hex, uint32_t backend)
{
	uint8_t sid[QS_QUICLB_SID_MAX];

	server_id(config_id, sid, pb_hex(hex, sid, sizeof(sid)), backend);
}

/*
 * A short header with DCID cid (len bytes) from a client the router does
 * not know: the backend rung a (QUIC-LB) sent it to, or none.
 */
static uint32_t route_cid(const uint8_t *cid, size_t len)
{
	struct pb_spec s = world_short(4, CLIENT4_B, 45000, "00");
	uint8_t in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	size_t out_len = 0, n;
	uint64_t before = fx_reason(&fx, QS_R_ROUTE_QUICLB);
	int action;

	memcpy(s.dcid, cid, len);
	s.dcid_len = len;
	n = pb_build(&s, in, sizeof(in));
	cr_assert_gt(n, 0);
	action = fx_run(&fx, in, n, out, &out_len);
	if (fx_reason(&fx, QS_R_ROUTE_QUICLB) == before)
		return QS_NO_BACKEND;
	cr_assert_eq(action, XDP_TX);
	return world_sent_to(out, 4);
}

/* The same with the DCID in hex: QS_R_ROUTE_QUICLB and the backend, or QS_R__COUNT. */
static unsigned int route_hex(const char *hex, uint32_t *backend)
{
	uint8_t cid[QS_CID_MAX_LEN];

	*backend = route_cid(cid, pb_hex(hex, cid, sizeof(cid)));
	return *backend != QS_NO_BACKEND ? QS_R_ROUTE_QUICLB : QS_R__COUNT;
}

/*
 * The appendix's encrypted table: one key. Its fourth row says config
 * rotation bits 3, but the first octet of its ID, 0x12, carries 0 (the
 * pre-draft-19 output of the same row begins 0x72, which carries 3): the
 * first octet is what a balancer reads, so that row is configuration 0
 * of another setup here (vector_18_bytes_routes_to_its_server_id).
 */
#define VECTOR_KEY "8f95f09245765f80256934e50c66207f"
static const struct config vector_configs[] = {
	{ 0, QS_QUICLB_AES_FOUR_PASS, 3, 4, VECTOR_KEY },
	{ 1, QS_QUICLB_AES_FOUR_PASS, 10, 5, VECTOR_KEY },
	{ 2, QS_QUICLB_AES_SINGLE, 8, 8, VECTOR_KEY },
};

static const struct {
	unsigned int config_id;
	const char *sid, *cid;
} vectors[] = {
	{ 0, "ed793a", "0720b1d07b359d3c" },
	{ 1, "ed793a51d49b8f5fab65", "2fcc381bc74cb4fbad2823a3d1f8fed2" },
	{ 2, "ed793a51d49b8f5f", "504dd2d05a7b0de9b2b9907afb5ecf8cc3" },
};

Test(quiclb_aes, draft_vectors_route_to_their_server_ids)
{
	uint32_t backend;

	configure(vector_configs, 3);
	for (size_t i = 0; i < 3; i++)
		server_id_hex(vectors[i].config_id, vectors[i].sid, BE_B);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(route_hex(vectors[i].cid, &backend), QS_R_ROUTE_QUICLB,
			     "vector %zu (%s) not routed by its server ID", i, vectors[i].cid);
		cr_assert_eq(backend, BE_B, "vector %zu went to %u", i, backend);
	}
}

/* The table's 18-byte four-pass row: even, the server ID in the left half. */
Test(quiclb_aes, vector_18_bytes_routes_to_its_server_id)
{
	static const struct config c = { 0, QS_QUICLB_AES_FOUR_PASS, 9, 9, VECTOR_KEY };
	uint32_t backend;

	configure(&c, 1);
	server_id_hex(0, "ed793a51d49b8f5fab", BE_A);
	cr_assert_eq(route_hex("125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc", &backend),
		     QS_R_ROUTE_QUICLB);
	cr_assert_eq(backend, BE_A);
}

/* The draft's worked four-pass example: 7 bytes, odd, the server ID in the left half. */
Test(quiclb_aes, worked_example_routes_to_its_server_id)
{
	static const struct config c = { 0, QS_QUICLB_AES_FOUR_PASS, 3, 4,
					 "fdf726a9893ec05c0632d3956680baf0" };
	uint32_t backend;

	configure(&c, 1);
	server_id_hex(0, "31441a", BE_A);
	cr_assert_eq(route_hex("0767947d29be054a", &backend), QS_R_ROUTE_QUICLB);
	cr_assert_eq(backend, BE_A);
}

/*
 * The pre-draft-19 expand() layout gives other IDs for the same inputs:
 * decoded by the draft's layout they name other server IDs, so they fall
 * through to the rest of the ladder.
 */
Test(quiclb_aes, pre_draft_19_outputs_are_not_decoded_to_the_server_ids)
{
	static const char *const old[] = { "074126ee38bf5454", "2fcd3f572d4eefb046fdb51d164efccc",
					   "72124d1eb8fbb21e4a490ca53cfe21d04ae63a" };
	uint32_t backend;

	configure(vector_configs, 3);
	for (size_t i = 0; i < 3; i++)
		server_id_hex(vectors[i].config_id, vectors[i].sid, BE_B);
	server_id_hex(3, "ed793a51d49b8f5fab", BE_B);
	cr_assert_eq(qs_quiclb_put(fx.quiclb, VIP4_ID, 3,
				   &(struct qs_quiclb_config){ .mode = QS_QUICLB_AES_FOUR_PASS,
							       .server_id_len = 9,
							       .nonce_len = 9 }),
		     0);
	cr_assert_eq(qs_quiclb_rk_put(fx.quiclb_rk, VIP4_ID, 3,
				      (const uint8_t *)"\x8f\x95\xf0\x92\x45\x76\x5f\x80"
						       "\x25\x69\x34\xe5\x0c\x66\x20\x7f"),
		     0);
	cr_assert_eq(fx_vip(&fx, VIP4, VIP_PORT,
			    &(struct qs_vip){ .vip_id = VIP4_ID,
					      .cid_len = WORLD_CID_LEN,
					      .flags = QS_VIP_F_LEARN,
					      .quiclb_mask = 0xf }),
		     0);
	for (size_t i = 0; i < 3; i++)
		cr_assert_neq(route_hex(old[i], &backend), QS_R_ROUTE_QUICLB,
			      "%s (old layout) decoded to a configured server ID", old[i]);
}

static void rnd(void *buf, size_t n)
{
	cr_assert_eq(getrandom(buf, n, 0), (ssize_t)n);
}

/* One AES-128 block, by OpenSSL. */
static void aes_encrypt(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;

	cr_assert_not_null(ctx);
	cr_assert_eq(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	cr_assert_eq(EVP_EncryptUpdate(ctx, out, &n, in, 16), 1);
	cr_assert_eq(n, 16);
	EVP_CIPHER_CTX_free(ctx);
}

/*
 * Single-pass, against OpenSSL: for each server-ID length 1 to 12 (the
 * nonce at least 4 bytes), a random key and eight random server IDs; IDs
 * of random nonces route to their server IDs' backends; random IDs of the
 * same length decode to no configured server ID and fall through.
 */
/* Whether sids[0..n) holds sids[n]. */
static bool sid_taken(uint8_t sids[][QS_QUICLB_SID_MAX], int n, unsigned int len)
{
	for (int i = 0; i < n; i++)
		if (!memcmp(sids[i], sids[n], len))
			return true;
	return false;
}

Test(quiclb_aes, single_pass_ids_made_by_openssl_route_to_their_server_ids)
{
	const unsigned int per_length = 2000;
	uint8_t key[16], sids[8][QS_QUICLB_SID_MAX], pt[16], cid[17];
	char hex[2 * 17 + 1], key_hex[33];
	uint32_t backend;

	for (unsigned int sid_len = 1; sid_len <= 12; sid_len++) {
		struct config c = { 2, QS_QUICLB_AES_SINGLE, sid_len, 16 - sid_len, key_hex };
		unsigned int fell = 0;

		rnd(key, sizeof(key));
		qs_format_hex(key, 16, key_hex, sizeof(key_hex));
		configure(&c, 1);
		for (int s = 0; s < 8; s++) {
			/* distinct: two equal 1-byte IDs (about one draw in ten)
			 * would give the second's backend to both */
			do
				rnd(sids[s], sid_len);
			while (sid_taken(sids, s, sid_len));
			server_id(2, sids[s], sid_len, s % 2 ? BE_A : BE_B);
		}
		for (unsigned int n = 0; n < per_length; n++) {
			int s = n % 8;

			memcpy(pt, sids[s], sid_len);
			rnd(pt + sid_len, 16 - sid_len);
			cid[0] = 2 << 5 | 16;
			aes_encrypt(key, pt, cid + 1);
			qs_format_hex(cid, 17, hex, sizeof(hex));
			cr_assert_eq(route_hex(hex, &backend), QS_R_ROUTE_QUICLB,
				     "sid_len %u: %s not decoded", sid_len, hex);
			cr_assert_eq(backend, s % 2 ? BE_A : BE_B, "sid_len %u: %s went to %u",
				     sid_len, hex, backend);
			/* a random ID of the length: its server ID is not configured */
			rnd(cid + 1, 16);
			qs_format_hex(cid, 17, hex, sizeof(hex));
			fell += route_hex(hex, &backend) != QS_R_ROUTE_QUICLB;
		}
		/* a random server ID of 1 byte is one of the 8 about 3% of the time */
		cr_assert_gt(fell, per_length * 9 / 10,
			     "sid_len %u: %u of %u random IDs fell through", sid_len, fell,
			     per_length);
	}
}

static uint64_t aux(unsigned int counter)
{
	__u64 v = 0;

	qs_counter_read_u64(fx.aux_stats, counter, &v);
	return v;
}

/*
 * A connection's packets pay AES once: the first is decrypted and cached,
 * the next ones are routed from the cache. A server ID moved to another
 * backend (the agent writes the configuration's round keys again, a
 * generation on) is decrypted again and goes to its new backend.
 */
Test(quiclb_aes, a_decoded_id_is_cached_until_its_configuration_changes)
{
	uint32_t backend;
	uint8_t key[16];

	configure(vector_configs, 3);
	server_id_hex(2, "ed793a51d49b8f5f", BE_B);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(route_hex(vectors[2].cid, &backend), QS_R_ROUTE_QUICLB);
		cr_assert_eq(backend, BE_B);
	}
	cr_assert_eq(aux(QS_AUX_QUICLB_DECRYPTED), 1, "decrypted %llu times, want once",
		     (unsigned long long)aux(QS_AUX_QUICLB_DECRYPTED));
	cr_assert_eq(aux(QS_AUX_QUICLB_CACHED), 2);
	cr_assert_eq(fx_map_entries(fx.quiclb_cache), 1);

	server_id_hex(2, "ed793a51d49b8f5f", BE_A);
	pb_hex(VECTOR_KEY, key, sizeof(key));
	cr_assert_eq(qs_quiclb_rk_put(fx.quiclb_rk, VIP4_ID, 2, key), 0);
	cr_assert_eq(route_hex(vectors[2].cid, &backend), QS_R_ROUTE_QUICLB);
	cr_assert_eq(backend, BE_A, "the cached backend was used after the change");
	cr_assert_eq(aux(QS_AUX_QUICLB_DECRYPTED), 2);
}

/*
 * Made-up IDs of an encrypted configuration's length decode to server IDs
 * nobody has: each is decrypted and falls through, and none is cached, so
 * a flood of them cannot evict a connection's cached ID.
 */
Test(quiclb_aes, made_up_ids_are_not_cached)
{
	const unsigned int flood = 5000;
	uint8_t cid[17];
	char hex[35];
	uint32_t backend;

	configure(vector_configs, 3);
	server_id_hex(2, "ed793a51d49b8f5f", BE_B);
	cr_assert_eq(route_hex(vectors[2].cid, &backend), QS_R_ROUTE_QUICLB);
	for (unsigned int n = 0; n < flood; n++) {
		rnd(cid, sizeof(cid));
		cid[0] = 2 << 5 | 16;
		qs_format_hex(cid, sizeof(cid), hex, sizeof(hex));
		cr_assert_neq(route_hex(hex, &backend), QS_R_ROUTE_QUICLB,
			      "a made-up ID decoded to the configured server ID");
	}
	cr_assert_eq(aux(QS_AUX_QUICLB_DECRYPTED), 1 + flood);
	cr_assert_eq(fx_map_entries(fx.quiclb_cache), 1, "made-up IDs were cached");
	cr_assert_eq(route_hex(vectors[2].cid, &backend), QS_R_ROUTE_QUICLB);
	cr_assert_eq(aux(QS_AUX_QUICLB_CACHED), 1, "the connection's ID left the cache");
}

/* ---- the router against libquicsteer's codec (quicsteer/quiclb.h) ---- */

/* The IPv4 backends a server ID's first byte picks among. */
static const uint32_t sid_backends[3] = { BE_A, BE_B, 5 };

static uint32_t backend_of_sid(const uint8_t *sid)
{
	return sid_backends[sid[0] % 3];
}

/* Configuration 3 of VIP4 in mode for these lengths, under key; its codec. */
static struct qs_quiclb_codec *codec_config(unsigned int sid_len, unsigned int nonce_len,
					    const uint8_t key[16])
{
	unsigned int mode =
		sid_len + nonce_len == 16 ? QS_QUICLB_AES_SINGLE : QS_QUICLB_AES_FOUR_PASS;
	struct qs_vip v4 = { .vip_id = VIP4_ID,
			     .cid_len = WORLD_CID_LEN,
			     .flags = QS_VIP_F_LEARN,
			     .quiclb_mask = 1 << 3 };
	struct qs_quiclb_config q = { .mode = mode,
				      .server_id_len = sid_len,
				      .nonce_len = nonce_len };
	QS_QUICLB_PARAMS(p, .config_id = 3, .mode = mode, .server_id_len = sid_len,
			 .nonce_len = nonce_len, .flags = QS_QUICLB_F_LEN_SELF, .key = key);
	struct qs_quiclb_codec *codec = qs_quiclb_codec_new(&p);

	cr_assert_not_null(codec, "sid %u nonce %u: no codec", sid_len, nonce_len);
	cr_assert_eq(qs_quiclb_rk_put(fx.quiclb_rk, VIP4_ID, 3, key), 0);
	cr_assert_eq(qs_quiclb_put(fx.quiclb, VIP4_ID, 3, &q), 0);
	cr_assert_eq(fx_vip(&fx, VIP4, VIP_PORT, &v4), 0);
	return codec;
}

/*
 * Random IDs, decoded by the router and by the codec, for server IDs of
 * one byte: all 256 are configured (each to a backend by its value), so
 * every random ID decodes to a configured server ID, and the backend the
 * router sends it to says which server ID it decoded. n IDs per length.
 */
static void random_ids_agree(unsigned int nonce_len, unsigned int n)
{
	uint8_t key[16], cid[QS_CID_MAX_LEN], sid[QS_QUICLB_SID_MAX];
	struct qs_quiclb_codec *codec;
	int len;

	rnd(key, sizeof(key));
	codec = codec_config(1, nonce_len, key);
	len = qs_quiclb_codec_cid_len(codec);
	for (unsigned int s = 0; s < 256; s++)
		server_id(3, (uint8_t[]){ s }, 1, backend_of_sid((uint8_t[]){ s }));
	for (unsigned int i = 0; i < n; i++) {
		rnd(cid, len);
		cid[0] = 3 << 5 | (len - 1);
		cr_assert_eq(qs_quiclb_decode(codec, cid, len, sid, NULL), 1);
		/* the cache is bypassed: every ID is new */
		cr_assert_eq(route_cid(cid, len), backend_of_sid(sid),
			     "nonce-len %u, ID %u: the router and the codec decode differently",
			     nonce_len, i);
	}
	qs_quiclb_codec_free(codec);
}

/* 100,000 random IDs each: single-pass, and four-pass IDs of 7, 12 and 18 bytes. */
Test(quiclb_aes, random_ids_decode_as_the_codec_decodes_them, .timeout = 600)
{
	static const unsigned int nonce_lens[] = { 15, 5, 10, 16 };

	for (size_t i = 0; i < 4; i++)
		random_ids_agree(nonce_lens[i], 100000);
	cr_assert_eq(aux(QS_AUX_QUICLB_CACHED), 0);
}

/* 2,000 random IDs for every other nonce length of a one-byte server ID. */
Test(quiclb_aes, random_ids_of_every_nonce_length_decode_as_the_codec_decodes_them)
{
	for (unsigned int nonce_len = QS_QUICLB_NONCE_MIN; nonce_len <= 18; nonce_len++)
		random_ids_agree(nonce_len, 2000);
}

/*
 * Every length the draft allows (server ID 1 to 15 bytes, nonce 4 to 18,
 * at most 19 together), in the AES mode the sum picks: eight random server
 * IDs configured, IDs the codec makes of them with random nonces route to
 * their backends. The server IDs end on every byte of the words the
 * program reads, and cross them.
 */
Test(quiclb_aes, encoded_ids_of_every_length_route_to_their_server_ids, .timeout = 600)
{
	uint8_t key[16], sids[8][QS_QUICLB_SID_MAX], nonce[QS_QUICLB_NONCE_MAX];
	uint8_t cid[QS_CID_MAX_LEN];

	for (unsigned int sid_len = 1; sid_len <= QS_QUICLB_SID_MAX; sid_len++) {
		for (unsigned int nonce_len = QS_QUICLB_NONCE_MIN;
		     nonce_len <= QS_QUICLB_NONCE_MAX && sid_len + nonce_len <= 19; nonce_len++) {
			struct qs_quiclb_codec *codec;
			int len;

			rnd(key, sizeof(key));
			codec = codec_config(sid_len, nonce_len, key);
			for (int s = 0; s < 8; s++) {
				rnd(sids[s], sid_len);
				server_id(3, sids[s], sid_len, backend_of_sid(sids[s]));
			}
			for (unsigned int i = 0; i < 200; i++) {
				const uint8_t *sid = sids[i % 8];

				rnd(nonce, nonce_len);
				len = qs_quiclb_encode(codec, sid, nonce, cid);
				cr_assert_eq(len, 1 + (int)(sid_len + nonce_len));
				cr_assert_eq(
					route_cid(cid, len), backend_of_sid(sid),
					"sid %u nonce %u: an ID of server ID %02x.. went elsewhere",
					sid_len, nonce_len, sid[0]);
			}
			qs_quiclb_codec_free(codec);
		}
	}
}
