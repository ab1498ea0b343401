// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libquicsteer's QUIC-LB codec (include/quicsteer/quiclb.h) against the
 * draft's own numbers: every vector of draft-ietf-quic-load-balancers-21
 * (tests/data/quic-lb-vectors.txt) both ways, the worked four-pass example
 * pass by pass, none of the outputs of the layout before draft 19; then
 * round trips of every length the draft allows in every mode, generators
 * that never meet, and the parameters it refuses.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include "quicsteer/backend.h"
#include "quicsteer/quiclb.h"
#include "abi/quiclb.h" /* both quiclb.h at once: their guards differ */
#include "libquicsteer/feistel.h"
#include "util/words.h"
#include "crypto_allocs.h"

#ifndef QS_TEST_DATA_DIR
#define QS_TEST_DATA_DIR "tests/data"
#endif
#define MAX_VECTORS 32
#define KEY_HEX_LEN (2 * QS_QUICLB_KEY_LEN)

/* For the loops of many thousand checks: the runner counts only the failures. */
#define expect(cond, ...)                            \
	do {                                         \
		if (!(cond))                         \
			cr_assert_fail(__VA_ARGS__); \
	} while (0)

/* A configuration's mode passes from the router's layout to the codec as it is. */
_Static_assert((int)QS_QUICLB_CID_PLAINTEXT == (int)QS_QUICLB_PLAINTEXT &&
		       (int)QS_QUICLB_CID_AES_SINGLE == (int)QS_QUICLB_AES_SINGLE &&
		       (int)QS_QUICLB_CID_AES_FOUR_PASS == (int)QS_QUICLB_AES_FOUR_PASS,
	       "quiclb.h's modes are abi.h's");

struct vector {
	char kind[8]; /* plain, aes, old */
	unsigned int config;
	__u8 sid[QS_QUICLB_SID_MAX], nonce[QS_QUICLB_NONCE_MAX], key[QS_QUICLB_KEY_LEN];
	__u8 cid[QS_CID_MAX_LEN];
	size_t sid_len, nonce_len, cid_len;
	int has_key;
	char line[256];
};

static struct vector vectors[MAX_VECTORS];
static size_t n_vectors;

static void hex_field(const char *hex, __u8 *out, size_t max, size_t *len, const char *line)
{
	cr_assert(qs_parse_hex(hex, out, max, len) == 0, "bad hex %s in: %s", hex, line);
}

/* KIND CONFIG SERVER_ID NONCE KEY CID */
static void vector_parse(struct vector *v, const char *line)
{
	char sid[40], nonce[40], key[KEY_HEX_LEN + 2], cid[2 * QS_CID_MAX_LEN + 2];
	size_t key_len = 0;

	memset(v, 0, sizeof(*v));
	snprintf(v->line, sizeof(v->line), "%s", line);
	v->line[strcspn(v->line, "\n")] = 0;
	cr_assert_eq(sscanf(line, "%7s %u %39s %39s %33s %41s", v->kind, &v->config, sid, nonce,
			    key, cid),
		     6, "bad line: %s", line);
	hex_field(sid, v->sid, sizeof(v->sid), &v->sid_len, line);
	hex_field(nonce, v->nonce, sizeof(v->nonce), &v->nonce_len, line);
	hex_field(cid, v->cid, sizeof(v->cid), &v->cid_len, line);
	v->has_key = strcmp(key, "-") != 0;
	if (v->has_key)
		hex_field(key, v->key, sizeof(v->key), &key_len, line);
	cr_assert(!v->has_key || key_len == QS_QUICLB_KEY_LEN, "key of %zu bytes: %s", key_len,
		  line);
}

/* QS_TEST_DATA, else the tree's tests/data (the build says where). */
static void vectors_load(void)
{
	const char *dir = getenv("QS_TEST_DATA");
	char path[4096], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/quic-lb-vectors.txt",
		 dir && *dir ? dir : QS_TEST_DATA_DIR);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s (set QS_TEST_DATA to the directory holding it)", path,
			   strerror(errno));
	n_vectors = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		cr_assert_lt(n_vectors, MAX_VECTORS, "more than %d vectors in %s", MAX_VECTORS,
			     path);
		vector_parse(&vectors[n_vectors++], line);
	}
	fclose(f);
	/* 2 plaintext, 4 encrypted (one twice, as printed and as labelled), the example, 3 old */
	cr_assert_eq(n_vectors, 11, "got %zu vectors in %s want 11", n_vectors, path);
}

static void hex_string(const __u8 *b, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * len] = 0;
}

/* The draft's vectors all self-encode the length; the lengths give the AES mode. */
static struct qs_quiclb_codec *vector_codec(const struct vector *v)
{
	unsigned int mode = !v->has_key			    ? QS_QUICLB_CID_PLAINTEXT :
			    v->sid_len + v->nonce_len == 16 ? QS_QUICLB_CID_AES_SINGLE :
							      QS_QUICLB_CID_AES_FOUR_PASS;
	QS_QUICLB_PARAMS(p, .config_id = v->config, .mode = mode, .server_id_len = v->sid_len,
			 .nonce_len = v->nonce_len, .flags = QS_QUICLB_F_LEN_SELF,
			 .key = v->has_key ? v->key : NULL);
	struct qs_quiclb_codec *c = qs_quiclb_codec_new(&p);

	cr_assert_not_null(c, "codec for %s: %s", v->line, strerror(errno));
	return c;
}

TestSuite(quiclb_codec, .init = vectors_load);

Test(quiclb_codec, draft_vectors_both_ways)
{
	int seen = 0;

	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		__u8 cid[QS_CID_MAX_LEN], sid[QS_QUICLB_SID_MAX], nonce[QS_QUICLB_NONCE_MAX];
		char got[2 * QS_CID_MAX_LEN + 1], want[2 * QS_CID_MAX_LEN + 1];
		struct qs_quiclb_codec *c;
		int len;

		if (!strcmp(v->kind, "old"))
			continue;
		c = vector_codec(v);
		len = qs_quiclb_encode(c, v->sid, v->nonce, cid);
		cr_assert_eq(len, (int)v->cid_len, "%s: length got %d want %zu", v->line, len,
			     v->cid_len);
		hex_string(cid, len, got);
		hex_string(v->cid, v->cid_len, want);
		cr_assert_str_eq(got, want, "%s: encoded got %s want %s", v->line, got, want);

		cr_assert_eq(qs_quiclb_cid_config(v->cid, v->cid_len), (int)v->config);
		memset(nonce, 0xee, sizeof(nonce));
		cr_assert_eq(qs_quiclb_decode(c, v->cid, v->cid_len, sid, nonce), (int)v->sid_len,
			     "%s: decode", v->line);
		cr_assert(!memcmp(sid, v->sid, v->sid_len) &&
				  !memcmp(nonce, v->nonce, v->nonce_len),
			  "%s: decoded server ID or nonce differ", v->line);
		/* what a load balancer runs: passes 4, 3, 2, and 1 only for a long server ID */
		memset(sid, 0xee, sizeof(sid));
		cr_assert_eq(qs_quiclb_decode(c, v->cid, v->cid_len, sid, NULL), (int)v->sid_len);
		cr_assert(!memcmp(sid, v->sid, v->sid_len), "%s: server ID alone differs", v->line);
		qs_quiclb_codec_free(c);
		seen++;
	}
	cr_assert_eq(seen, 8);
}

/*
 * Draft 19 moved expand()'s length and pass octets from the front of the
 * block to its end: the same inputs encoded the old way give these IDs.
 */
Test(quiclb_codec, pre_draft19_outputs_are_not_produced)
{
	int seen = 0;

	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		__u8 cid[QS_CID_MAX_LEN], sid[QS_QUICLB_SID_MAX];
		struct qs_quiclb_codec *c;

		if (strcmp(v->kind, "old"))
			continue;
		c = vector_codec(v);
		cr_assert_eq(qs_quiclb_encode(c, v->sid, v->nonce, cid), (int)v->cid_len);
		cr_assert(memcmp(cid, v->cid, v->cid_len), "%s: the old layout's ID", v->line);
		cr_assert(cid[0] == v->cid[0], "%s: the first octet is not encrypted", v->line);
		cr_assert_eq(qs_quiclb_decode(c, v->cid, v->cid_len, sid, NULL), (int)v->sid_len);
		cr_assert(memcmp(sid, v->sid, v->sid_len),
			  "%s: the old layout's ID decodes to the server ID", v->line);
		qs_quiclb_codec_free(c);
		seen++;
	}
	cr_assert_eq(seen, 3);
}

static void hex_bytes(const char *hex, __u8 *out, size_t want)
{
	size_t len = 0;

	cr_assert(qs_parse_hex(hex, out, want, &len) == 0 && len == want, "hex %s", hex);
}

/*
 * The section "Encryption Example", step by step: each pass's AES input is
 * expand(7, pass, half) of the half it reads (left_0, right_1, left_1,
 * right_2), and its output the draft's. Pass 4's XOR operand is printed
 * b3e4357c there: the output's first bytes are b334357c, which give the
 * stated left_2 of 67947d2c (67947d20 once cleared).
 */
Test(quiclb_codec, worked_example_pass_by_pass)
{
	static const char *const aes_in[4] = { "31441a90000000000000000000000701",
					       "0e3c1ff9000000000000000000000702",
					       "d4a04850000000000000000000000703",
					       "09be054a000000000000000000000704" };
	static const char *const aes_out[4] = { "a255dd8cdacf01948d3a848c3c7fee23",
						"e5e452cb9e1bedb0b2bf830506bf4c4e",
						"b7821ab3024fed0913b6a04d18e3216f",
						"b334357cfdf81e3fafe180154eaf7378" };
	__u8 key[QS_QUICLB_KEY_LEN], plain[7], out[7], back[7], want[QS_AES_BLOCK];
	struct qs_feistel_trace trace;
	EVP_CIPHER_CTX *aes;

	hex_bytes("fdf726a9893ec05c0632d3956680baf0", key, sizeof(key));
	hex_bytes("31441a9c69c275", plain, sizeof(plain));
	aes = qs_aes_ecb_new(key, 1);
	cr_assert_not_null(aes);
	memset(&trace, 0, sizeof(trace));
	cr_assert_eq(qs_feistel_encrypt(aes, plain, sizeof(plain), out, &trace), 0);
	for (int p = 0; p < 4; p++) {
		hex_bytes(aes_in[p], want, sizeof(want));
		cr_assert(!memcmp(trace.in[p], want, sizeof(want)), "pass %d: AES input differs",
			  p + 1);
		hex_bytes(aes_out[p], want, sizeof(want));
		cr_assert(!memcmp(trace.out[p], want, sizeof(want)), "pass %d: AES output differs",
			  p + 1);
	}
	hex_bytes("67947d29be054a", want, 7);
	cr_assert(!memcmp(out, want, 7), "left_2 || right_2");
	/* the draft's decoding, with right_1's nibble cleared after pass 3 */
	cr_assert_eq(qs_feistel_decrypt(aes, out, sizeof(out), sizeof(out), back), 0);
	cr_assert(!memcmp(back, plain, sizeof(plain)), "decrypted back");
	EVP_CIPHER_CTX_free(aes);
}

/*
 * The draft prints the second plaintext row as nonce 3487d970b and ID
 * 20a350d28b4203487d970b: 9 and 22 hex digits for 5 and 11 bytes. Each
 * field printed in hex without its leading zeros gives exactly that text:
 * the config rotation bits (20), the length (a), the server ID, the nonce
 * 03487d970b. Read as bytes, the printed ID would say length 0 and server
 * ID a350d28b42.
 */
Test(quiclb_codec, printed_plaintext_row_is_its_fields_unpadded)
{
	const struct vector *v = &vectors[1];
	char printed[64], sid_hex[40], nonce_hex[40];
	__u8 cid[QS_CID_MAX_LEN], sid[QS_QUICLB_SID_MAX];
	struct qs_quiclb_codec *c;
	int len;

	cr_assert(!strcmp(v->kind, "plain") && v->config == 1, "row 2 is %s", v->line);
	c = vector_codec(v);
	len = qs_quiclb_encode(c, v->sid, v->nonce, cid);
	cr_assert_eq(len, 11);
	hex_string(cid + 1, v->sid_len, sid_hex);
	hex_string(cid + 1 + v->sid_len, v->nonce_len, nonce_hex);
	snprintf(printed, sizeof(printed), "%x%x%s%s", cid[0] & 0xe0, cid[0] & 0x1f,
		 sid_hex + strspn(sid_hex, "0"), nonce_hex + strspn(nonce_hex, "0"));
	cr_assert_str_eq(printed, "20a350d28b4203487d970b");
	cr_assert_str_eq(nonce_hex + strspn(nonce_hex, "0"), "3487d970b");
	hex_bytes("20a350d28b4203487d970b", cid, 11);
	cr_assert_eq(qs_quiclb_decode(c, cid, 11, sid, NULL), 5);
	cr_assert((cid[0] & 0x1f) == 0 && !memcmp(sid, "\xa3\x50\xd2\x8b\x42", 5));
	qs_quiclb_codec_free(c);
}

/* xorshift64*: reproducible inputs, a different stream per seed. */
static __u64 rnd_next(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void rnd_fill(__u64 *s, __u8 *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		b[i] = rnd_next(s) >> 56;
}

#define ROUNDS 1000

/* ROUNDS random server IDs and nonces through one codec and back. */
static void round_trips(unsigned int config, unsigned int mode, unsigned int sl, unsigned int nl,
			unsigned int flags, const __u8 *key, __u64 *seed)
{
	QS_QUICLB_PARAMS(p, .config_id = config, .mode = mode, .server_id_len = sl, .nonce_len = nl,
			 .flags = flags, .key = key);
	__u8 sid[QS_QUICLB_SID_MAX], nonce[QS_QUICLB_NONCE_MAX], cid[QS_CID_MAX_LEN + 3];
	__u8 got_sid[QS_QUICLB_SID_MAX], got_nonce[QS_QUICLB_NONCE_MAX], block[QS_CID_MAX_LEN];
	struct qs_quiclb_codec *c = qs_quiclb_codec_new(&p);
	unsigned int len = 1 + sl + nl, low_bits = 0, first_low = 0;

	cr_assert_not_null(c, "mode %u sid %u nonce %u: %s", mode, sl, nl, strerror(errno));
	cr_assert_eq(qs_quiclb_codec_cid_len(c), (int)len);
	for (int r = 0; r < ROUNDS; r++) {
		rnd_fill(seed, sid, sl);
		rnd_fill(seed, nonce, nl);
		rnd_fill(seed, cid + len, 3); /* bytes a server may append */
		expect(qs_quiclb_encode(c, sid, nonce, cid) == (int)len, "mode %u sid %u nonce %u",
		       mode, sl, nl);
		expect(cid[0] >> 5 == config, "mode %u sid %u nonce %u: config bits", mode, sl, nl);
		expect(!(flags & QS_QUICLB_F_LEN_SELF) || (cid[0] & 0x1f) == len - 1,
		       "mode %u sid %u nonce %u: length", mode, sl, nl);
		first_low = r ? first_low : cid[0] & 0x1f;
		low_bits |= (cid[0] & 0x1f) ^ first_low;
		memcpy(block, sid, sl);
		memcpy(block + sl, nonce, nl);
		/* the plaintext mode leaves the block as it is, the AES modes never */
		expect(!memcmp(cid + 1, block, sl + nl) == (mode == QS_QUICLB_CID_PLAINTEXT),
		       "mode %u sid %u nonce %u: the block in the clear", mode, sl, nl);
		expect(qs_quiclb_decode(c, cid, len + (r & 3), got_sid, got_nonce) == (int)sl &&
			       !memcmp(got_sid, sid, sl) && !memcmp(got_nonce, nonce, nl),
		       "mode %u sid %u nonce %u flags %u: round trip", mode, sl, nl, flags);
		memset(got_sid, 0, sizeof(got_sid));
		expect(qs_quiclb_decode(c, cid, len, got_sid, NULL) == (int)sl &&
			       !memcmp(got_sid, sid, sl),
		       "mode %u sid %u nonce %u: server ID alone", mode, sl, nl);
	}
	if (!(flags & QS_QUICLB_F_LEN_SELF))
		cr_assert_neq(low_bits, 0, "sid %u nonce %u: the low bits never changed", sl, nl);
	qs_quiclb_codec_free(c);
}

/*
 * Every length the draft allows (server ID 1..15, nonce 4..18, 19
 * together: 120 pairs) in plaintext and in the AES mode the sum picks,
 * with and without the length in the first octet.
 */
Test(quiclb_codec, round_trips_every_length_and_mode)
{
	__u64 seed = 0x9e3779b97f4a7c15ull;
	__u8 key[QS_QUICLB_KEY_LEN];
	unsigned int pairs = 0;

	rnd_fill(&seed, key, sizeof(key));
	for (unsigned int sl = 1; sl <= QS_QUICLB_SID_MAX; sl++) {
		for (unsigned int nl = QS_QUICLB_NONCE_MIN; sl + nl <= 19; nl++) {
			unsigned int aes = sl + nl == 16 ? QS_QUICLB_CID_AES_SINGLE :
							   QS_QUICLB_CID_AES_FOUR_PASS;

			for (unsigned int flags = 0; flags <= QS_QUICLB_F_LEN_SELF; flags++) {
				round_trips((sl + nl) % 7, QS_QUICLB_CID_PLAINTEXT, sl, nl, flags,
					    NULL, &seed);
				round_trips(sl % 7, aes, sl, nl, flags, key, &seed);
			}
			pairs++;
		}
	}
	cr_assert_eq(pairs, 120);
}

/* What rung a of the router computes for a plaintext ID: the same server ID. */
Test(quiclb_codec, plaintext_ids_give_the_routers_server_id_key)
{
	QS_QUICLB_PARAMS(p, .config_id = 5, .mode = QS_QUICLB_CID_PLAINTEXT, .server_id_len = 6,
			 .nonce_len = 9);
	struct qs_quiclb_config cfg = { .mode = QS_QUICLB_PLAINTEXT,
					.server_id_len = 6,
					.nonce_len = 9 };
	struct qs_quiclb_gen *g = qs_quiclb_gen_new(&p, "\x01\x02\x03\x04\x05\x06", 3, 4);
	struct qs_server_id_key sk;
	struct qs_cid_key k;

	cr_assert_not_null(g);
	for (int i = 0; i < 100; i++) {
		memset(&k, 0, sizeof(k));
		k.cid_len = qs_quiclb_gen_next(g, k.cid);
		cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, k.cid_len), 6);
		qs_quiclb_server_id_key(&k, 6, &sk);
		cr_assert(sk.config_id == 5 && !memcmp(sk.sid, "\x01\x02\x03\x04\x05\x06", 6));
	}
	qs_quiclb_gen_free(g);
}

#define WORKER_IDS 100000

struct worker {
	struct qs_quiclb_gen *gen;
	__u8 (*cids)[QS_CID_MAX_LEN];
	int len;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < WORKER_IDS; i++)
		if (qs_quiclb_gen_next(w->gen, w->cids[i]) != w->len)
			return "qs_quiclb_gen_next failed";
	return NULL;
}

static int cid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, QS_CID_MAX_LEN);
}

/*
 * Two workers of one server, each in a thread of its own with its own
 * generator, make 100,000 IDs each at once: none twice, and every one
 * decodes to the server's ID.
 */
static void two_workers(unsigned int mode, unsigned int sl, unsigned int nl, unsigned int flags)
{
	static const __u8 key[QS_QUICLB_KEY_LEN] = {
		0x8f, 0x95, 0xf0, 0x92, 0x45, 0x76, 0x5f, 0x80,
		0x25, 0x69, 0x34, 0xe5, 0x0c, 0x66, 0x20, 0x7f
	};
	static const __u8 server_id[QS_QUICLB_SID_MAX] = { 0xed, 0x79, 0x3a, 0x51, 0xd4 };
	QS_QUICLB_PARAMS(p, .config_id = 2, .mode = mode, .server_id_len = sl, .nonce_len = nl,
			 .flags = flags, .key = mode == QS_QUICLB_CID_PLAINTEXT ? NULL : key);
	__u8(*cids)[QS_CID_MAX_LEN] = calloc(2 * WORKER_IDS, QS_CID_MAX_LEN);
	struct qs_quiclb_codec *c = qs_quiclb_codec_new(&p);
	struct worker w[2];
	pthread_t t[2];
	void *failed;
	__u8 sid[QS_QUICLB_SID_MAX];

	cr_assert(cids && c);
	for (int i = 0; i < 2; i++) {
		w[i].gen = qs_quiclb_gen_new(&p, server_id, i, 1);
		cr_assert_not_null(w[i].gen, "worker %d: %s", i, strerror(errno));
		w[i].cids = cids + i * WORKER_IDS;
		w[i].len = 1 + sl + nl;
		cr_assert_eq(qs_quiclb_gen_cid_len(w[i].gen), w[i].len);
		cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(pthread_join(t[i], &failed), 0);
		cr_assert_null(failed, "mode %u worker %d: %s", mode, i, (char *)failed);
		cr_assert_eq(qs_quiclb_gen_left(w[i].gen),
			     nl * 8 - 1 >= 64 ? UINT64_MAX : (1ull << (nl * 8 - 1)) - WORKER_IDS);
		qs_quiclb_gen_free(w[i].gen);
	}
	qsort(cids, 2 * WORKER_IDS, QS_CID_MAX_LEN, cid_cmp);
	for (int i = 0; i < 2 * WORKER_IDS; i++) {
		expect(i == 0 || memcmp(cids[i - 1], cids[i], QS_CID_MAX_LEN),
		       "mode %u: an ID made twice", mode);
		expect(qs_quiclb_decode(c, cids[i], 1 + sl + nl, sid, NULL) == (int)sl &&
			       !memcmp(sid, server_id, sl),
		       "mode %u: another server ID", mode);
	}
	qs_quiclb_codec_free(c);
	free(cids);
}

Test(quiclb_codec, two_workers_never_make_the_same_id)
{
	two_workers(QS_QUICLB_CID_PLAINTEXT, 3, 5, 0);
	two_workers(QS_QUICLB_CID_AES_SINGLE, 5, 11, QS_QUICLB_F_LEN_SELF);
	two_workers(QS_QUICLB_CID_AES_FOUR_PASS, 4, 5, 0);
}

#define SLICE (1 << 16)

/*
 * Every ID a generator makes until it is exhausted, sorted: a 4-byte nonce
 * and 16 worker bits leave 2^16 to a worker, all different, then -ENOSPC
 * for good.
 */
static __u8 (*slice_of(const struct qs_quiclb_params *p, unsigned int worker_id))[QS_CID_MAX_LEN]
{
	struct qs_quiclb_gen *g = qs_quiclb_gen_new(p, "\xab\xcd", worker_id, 16);
	struct qs_quiclb_codec *c = qs_quiclb_codec_new(p);
	__u8(*cids)[QS_CID_MAX_LEN] = calloc(SLICE, QS_CID_MAX_LEN);
	__u8 sid[2], cid[QS_CID_MAX_LEN];

	cr_assert(g && c && cids);
	cr_assert_eq(qs_quiclb_gen_left(g), SLICE);
	for (int i = 0; i < SLICE; i++) {
		expect(qs_quiclb_gen_next(g, cids[i]) == 7, "ID %d", i);
		expect(qs_quiclb_decode(c, cids[i], 7, sid, NULL) == 2 &&
			       !memcmp(sid, "\xab\xcd", 2),
		       "ID %d: another server ID", i);
	}
	cr_assert_eq(qs_quiclb_gen_left(g), 0);
	cr_assert_eq(qs_quiclb_gen_next(g, cid), -ENOSPC);
	cr_assert_eq(qs_quiclb_gen_next(g, cid), -ENOSPC, "exhausted for good");
	qsort(cids, SLICE, QS_CID_MAX_LEN, cid_cmp);
	for (int i = 1; i < SLICE; i++)
		expect(memcmp(cids[i - 1], cids[i], QS_CID_MAX_LEN), "an ID made twice");
	qs_quiclb_codec_free(c);
	qs_quiclb_gen_free(g);
	return cids;
}

/*
 * The worker ID is what keeps workers apart, not their random starts: two
 * generators of one worker ID make the same 2^16 IDs (each from its own
 * start; the length in the first octet leaves it no random bits), and one
 * of another worker ID none of them.
 */
Test(quiclb_codec, generator_exhausts_its_workers_slice)
{
	QS_QUICLB_PARAMS(p, .config_id = 0, .mode = QS_QUICLB_CID_AES_FOUR_PASS, .server_id_len = 2,
			 .nonce_len = 4, .flags = QS_QUICLB_F_LEN_SELF,
			 .key = (const __u8 *)"0123456789abcdef");
	__u8(*a)[QS_CID_MAX_LEN] = slice_of(&p, 0xffff);
	__u8(*b)[QS_CID_MAX_LEN] = slice_of(&p, 0xffff);
	__u8(*other)[QS_CID_MAX_LEN] = slice_of(&p, 0xfffe);
	struct qs_quiclb_gen *g;
	int i = 0, j = 0;

	cr_assert(!memcmp(a, b, SLICE * QS_CID_MAX_LEN), "one worker ID, two slices");
	while (i < SLICE && j < SLICE) {
		int d = memcmp(a[i], other[j], QS_CID_MAX_LEN);

		expect(d, "workers 0xffff and 0xfffe made one ID");
		i += d <= 0;
		j += d > 0;
	}
	free(a);
	free(b);
	free(other);

	p.nonce_len = 17;
	g = qs_quiclb_gen_new(&p, "\xab\xcd", 0, 16);
	cr_assert_eq(qs_quiclb_gen_left(g), UINT64_MAX, "120 count bits: never exhausted");
	qs_quiclb_gen_free(g);
}

/* The nonces of the AES modes are encrypted in the ID: a decode returns them. */
Test(quiclb_codec, generated_nonces_show_no_count)
{
	QS_QUICLB_PARAMS(p, .config_id = 1, .mode = QS_QUICLB_CID_AES_FOUR_PASS, .server_id_len = 3,
			 .nonce_len = 8, .key = (const __u8 *)"0123456789abcdef");
	struct qs_quiclb_gen *g = qs_quiclb_gen_new(&p, "\x01\x02\x03", 0, 0);
	struct qs_quiclb_codec *c = qs_quiclb_codec_new(&p);
	__u8 cid[QS_CID_MAX_LEN], sid[3], nonce[8], prev[8];
	int same_top = 0;

	cr_assert(g && c);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(qs_quiclb_gen_next(g, cid), 12);
		cr_assert_eq(qs_quiclb_decode(c, cid, 12, sid, nonce), 3);
		same_top += i && !memcmp(nonce, prev, 6);
		memcpy(prev, nonce, 8);
	}
	/* a bare counter would keep its top 6 bytes for 256 IDs at a time */
	cr_assert_lt(same_top, 5, "%d nonces share their top 6 bytes with the last", same_top);
	qs_quiclb_codec_free(c);
	qs_quiclb_gen_free(g);
}

static const __u8 some_key[QS_QUICLB_KEY_LEN] = { 1 };

/* A configuration in full: every field named, so that each row says all it is. */
#define PARAMS(config, mode_, sl, nl, flags_, key_)                                        \
	{                                                                                  \
		.sz = sizeof(struct qs_quiclb_params), .config_id = config, .mode = mode_, \
		.server_id_len = sl, .nonce_len = nl, .flags = flags_, .key = key_         \
	}
#define PLAIN QS_QUICLB_CID_PLAINTEXT
#define SINGLE QS_QUICLB_CID_AES_SINGLE
#define FOUR QS_QUICLB_CID_AES_FOUR_PASS

static const struct params_case {
	const char *what;
	struct qs_quiclb_params p;
	int ok;
} params_cases[] = {
	{ "plaintext", PARAMS(0, PLAIN, 3, 4, 0, NULL), 1 },
	{ "four-pass, config 6, 15 + 4", PARAMS(6, FOUR, 15, 4, 0, some_key), 1 },
	{ "single-pass of 16 bytes", PARAMS(1, SINGLE, 8, 8, QS_QUICLB_F_LEN_SELF, some_key), 1 },
	{ "config 7 is unroutable", PARAMS(7, PLAIN, 3, 4, 0, NULL), 0 },
	{ "no server ID", PARAMS(0, PLAIN, 0, 4, 0, NULL), 0 },
	{ "server ID 16", PARAMS(0, PLAIN, 16, 4, 0, NULL), 0 },
	{ "nonce 3", PARAMS(0, PLAIN, 3, 3, 0, NULL), 0 },
	{ "nonce 19", PARAMS(0, PLAIN, 1, 19, 0, NULL), 0 },
	{ "sum 20", PARAMS(0, FOUR, 15, 5, 0, some_key), 0 },
	{ "plaintext with a key", PARAMS(0, PLAIN, 3, 4, 0, some_key), 0 },
	{ "four-pass without a key", PARAMS(0, FOUR, 3, 4, 0, NULL), 0 },
	{ "single-pass without a key", PARAMS(0, SINGLE, 8, 8, 0, NULL), 0 },
	{ "four-pass of 16 bytes", PARAMS(0, FOUR, 8, 8, 0, some_key), 0 },
	{ "single-pass of 15 bytes", PARAMS(0, SINGLE, 8, 7, 0, some_key), 0 },
	{ "mode 0", PARAMS(0, 0, 3, 4, 0, NULL), 0 },
	{ "mode 4", PARAMS(0, 4, 3, 4, 0, some_key), 0 },
	{ "an unknown flag", PARAMS(0, PLAIN, 3, 4, 2, NULL), 0 },
};

Test(quiclb_codec, bad_parameters_are_refused)
{
	const struct qs_quiclb_params plain = params_cases[0].p;
	struct {
		struct qs_quiclb_params p;
		__u64 later;
	} grown = { plain, 0 };
	struct qs_quiclb_params p = plain;
	__u8 cid[QS_CID_MAX_LEN + 1] = { 0 }, sid[QS_QUICLB_SID_MAX];
	struct qs_quiclb_codec *c;

	for (size_t i = 0; i < sizeof(params_cases) / sizeof(params_cases[0]); i++) {
		const struct params_case *t = &params_cases[i];

		errno = 0;
		c = qs_quiclb_codec_new(&t->p);
		cr_assert(t->ok ? c != NULL : !c && errno == EINVAL, "%s: got %s want %s", t->what,
			  c ? "a codec" : strerror(errno), t->ok ? "a codec" : "EINVAL");
		qs_quiclb_codec_free(c);
	}
	grown.p.sz = sizeof(grown);
	c = qs_quiclb_codec_new(&grown.p);
	cr_assert_not_null(c, "a later header's zero tail");
	qs_quiclb_codec_free(c);
	grown.later = 1;
	cr_assert_null(qs_quiclb_codec_new(&grown.p), "a later header's field set");
	p.sz = sizeof(p) - 1;
	cr_assert_null(qs_quiclb_codec_new(&p), "sz short");
	errno = 0;
	cr_assert(!qs_quiclb_codec_new(NULL) && errno == EINVAL);

	errno = 0;
	cr_assert(!qs_quiclb_gen_new(&plain, "abc", 2, 1) && errno == EINVAL, "worker 2 of 1 bit");
	cr_assert(!qs_quiclb_gen_new(&plain, "abc", 0, 17) && errno == EINVAL, "17 worker bits");
	cr_assert(!qs_quiclb_gen_new(&plain, NULL, 0, 0) && errno == EINVAL, "no server ID");

	c = qs_quiclb_codec_new(&plain);
	cr_assert_not_null(c);
	cr_assert_eq(qs_quiclb_encode(c, NULL, "abcd", cid), -EINVAL);
	cr_assert_eq(qs_quiclb_encode(c, "abc", "abcd", NULL), -EINVAL);
	cr_assert_eq(qs_quiclb_decode(c, cid, 7, sid, NULL), -EINVAL, "7 bytes of 8");
	cr_assert_eq(qs_quiclb_decode(c, cid, 8, sid, NULL), 3);
	cid[0] = 1 << 5;
	cr_assert_eq(qs_quiclb_decode(c, cid, 8, sid, NULL), -ENOENT, "config 1");
	cid[0] = 7 << 5;
	cr_assert_eq(qs_quiclb_decode(c, cid, 8, sid, NULL), -ENOENT, "unroutable");
	cr_assert_eq(qs_quiclb_cid_config(cid, 8), 7);
	cr_assert_eq(qs_quiclb_cid_config(cid, 0), -EINVAL);
	cr_assert_eq(qs_quiclb_codec_cid_len(NULL), -EINVAL);
	qs_quiclb_codec_free(c);
	qs_quiclb_codec_free(NULL);
	qs_quiclb_gen_free(NULL);
}

/* libquicsteer 0.1's plaintext IDs are the plaintext codec's, random nonce and all. */
Test(quiclb_codec, plaintext_ids_of_0_1_decode)
{
	QS_QUICLB_PARAMS(p, .config_id = 4, .mode = QS_QUICLB_CID_PLAINTEXT, .server_id_len = 2,
			 .nonce_len = 6);
	struct qs_quiclb_codec *c = qs_quiclb_codec_new(&p);
	__u8 cid[QS_CID_MAX_LEN], sid[2];

	cr_assert_eq(qs_cid_quiclb_plaintext(cid, 4, "\x0a\x0b", 2, 6), 9);
	cr_assert_eq(qs_quiclb_decode(c, cid, 9, sid, NULL), 2);
	cr_assert(!memcmp(sid, "\x0a\x0b", 2));
	qs_quiclb_codec_free(c);
}

/* Encoding, decoding and generating allocate nothing: only _new does. */
Test(quiclb_codec, encode_decode_generate_allocate_nothing)
{
	const struct vector *v = &vectors[4]; /* single-pass: its own decrypting context */
	__u8 cid[QS_CID_MAX_LEN], sid[QS_QUICLB_SID_MAX], nonce[QS_QUICLB_NONCE_MAX];
	struct qs_quiclb_codec *single, *four;
	struct qs_quiclb_gen *g;
	long allocs;

	cr_assert(crypto_allocs_installed(), "libcrypto allocated before main");
	cr_assert_eq(v->sid_len + v->nonce_len, 16, "%s", v->line);
	single = vector_codec(v);
	four = vector_codec(&vectors[3]); /* four-pass, all four passes to decode */
	QS_QUICLB_PARAMS(p, .config_id = 2, .mode = QS_QUICLB_CID_AES_FOUR_PASS,
			 .server_id_len = 10, .nonce_len = 5, .key = v->key);
	g = qs_quiclb_gen_new(&p, v->sid, 1, 8);
	cr_assert(single && four && g);
	crypto_allocs_start();
	for (int i = 0; i < 100; i++) {
		qs_quiclb_encode(single, v->sid, v->nonce, cid);
		qs_quiclb_decode(single, cid, 17, sid, nonce);
		qs_quiclb_encode(four, vectors[3].sid, vectors[3].nonce, cid);
		qs_quiclb_decode(four, cid, 16, sid, nonce);
		qs_quiclb_gen_next(g, cid);
	}
	allocs = crypto_allocs_stop();
	cr_assert_eq(allocs, 0, "got %ld libcrypto allocations want 0", allocs);
	qs_quiclb_gen_free(g);
	qs_quiclb_codec_free(four);
	qs_quiclb_codec_free(single);
}
