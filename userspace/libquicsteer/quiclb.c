// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * QUIC-LB connection IDs (include/quicsteer/quiclb.h): the codec of the
 * three modes, the generators that never repeat an ID, and the plaintext
 * IDs of libquicsteer 0.1 (qs_cid_quiclb_plaintext, in backend.h), made by
 * the same code. The formats are in docs/quic-lb.md.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "quicsteer/backend.h"
#include "quicsteer/quiclb.h"
#include "feistel.h"
#include "random.h"

#define QUICLB_CONFIG_SHIFT 5
#define QUICLB_LOW_BITS 0x1f
/* server ID + nonce, the plaintext block: 19 bytes at most */
#define QUICLB_BLOCK_MAX (QS_CID_MAX_LEN - 1)

_Static_assert(QS_QUICLB_KEY_LEN == QS_AES_BLOCK, "QUIC-LB keys are AES-128 keys");
_Static_assert(QUICLB_BLOCK_MAX == QS_FEISTEL_MAX_LEN, "the network takes every block");

struct qs_quiclb_codec {
	EVP_CIPHER_CTX *enc; /* the AES modes: AES under the key, encrypting */
	EVP_CIPHER_CTX *dec; /* aes-single: decrypting */
	unsigned int config_id;
	unsigned int mode;
	unsigned int sid_len;
	unsigned int nonce_len;
	unsigned int flags;
};

struct qs_quiclb_gen {
	struct qs_quiclb_codec codec;
	EVP_CIPHER_CTX *nonce_aes; /* the nonces' permutation */
	__u8 server_id[QS_QUICLB_SID_MAX];
	/* the nonce's number before the count: worker ID on top, random below */
	__u8 base[QS_QUICLB_NONCE_MAX];
	unsigned int count_bits; /* below the worker ID: nonce_len * 8 - worker_bits */
	__u64 made;
	/* 2^count_bits; UINT64_MAX from 64 bits on, never reached */
	__u64 space;
};

/* The draft's lengths: config 0..6, server ID 1..15, nonce 4..18, 19 together. */
static int quiclb_lengths_valid(unsigned int config_id, size_t sid_len, size_t nonce_len)
{
	return config_id < QS_QUICLB_CONFIGS && sid_len >= 1 && sid_len <= QS_QUICLB_SID_MAX &&
	       nonce_len >= QS_QUICLB_NONCE_MIN && nonce_len <= QS_QUICLB_NONCE_MAX &&
	       sid_len + nonce_len <= QUICLB_BLOCK_MAX;
}

/* Bytes past the library's struct, from a later header, must be zero. */
static int params_tail_zero(const struct qs_quiclb_params *p)
{
	const char *b = (const char *)p;

	for (size_t i = sizeof(*p); i < p->sz; i++)
		if (b[i])
			return 0;
	return 1;
}

static int quiclb_params_check(const struct qs_quiclb_params *p)
{
	unsigned int sum;

	if (!p || p->sz < sizeof(*p) || !params_tail_zero(p) ||
	    !quiclb_lengths_valid(p->config_id, p->server_id_len, p->nonce_len) ||
	    p->flags & ~QS_QUICLB_F_LEN_SELF)
		return -EINVAL;
	sum = p->server_id_len + p->nonce_len;
	switch (p->mode) {
	case QS_QUICLB_CID_PLAINTEXT:
		return p->key ? -EINVAL : 0;
	case QS_QUICLB_CID_AES_SINGLE:
		/* the draft picks the algorithm by the length: one block or not */
		return p->key && sum == QS_AES_BLOCK ? 0 : -EINVAL;
	case QS_QUICLB_CID_AES_FOUR_PASS:
		return p->key && sum != QS_AES_BLOCK ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static void quiclb_codec_fini(struct qs_quiclb_codec *c)
{
	/* libcrypto wipes the key schedules it frees */
	EVP_CIPHER_CTX_free(c->enc);
	EVP_CIPHER_CTX_free(c->dec);
	OPENSSL_cleanse(c, sizeof(*c));
}

/* Plaintext codecs hold no context: they can live on the stack. 0 or -errno. */
static int quiclb_codec_init(struct qs_quiclb_codec *c, const struct qs_quiclb_params *p)
{
	int err = quiclb_params_check(p);

	if (err)
		return err;
	memset(c, 0, sizeof(*c));
	c->config_id = p->config_id;
	c->mode = p->mode;
	c->sid_len = p->server_id_len;
	c->nonce_len = p->nonce_len;
	c->flags = p->flags;
	if (c->mode == QS_QUICLB_CID_PLAINTEXT)
		return 0;
	/* four-pass runs AES forwards both ways; only a single block is inverted */
	c->enc = qs_aes_ecb_new(p->key, 1);
	if (c->enc && c->mode == QS_QUICLB_CID_AES_SINGLE)
		c->dec = qs_aes_ecb_new(p->key, 0);
	if (!c->enc || (c->mode == QS_QUICLB_CID_AES_SINGLE && !c->dec)) {
		err = -errno;
		quiclb_codec_fini(c);
		return err;
	}
	return 0;
}

struct qs_quiclb_codec *qs_quiclb_codec_new(const struct qs_quiclb_params *params)
{
	struct qs_quiclb_codec *c = malloc(sizeof(*c));
	int err = c ? quiclb_codec_init(c, params) : -ENOMEM;

	if (err) {
		free(c);
		errno = -err;
		return NULL;
	}
	return c;
}

void qs_quiclb_codec_free(struct qs_quiclb_codec *codec)
{
	if (!codec)
		return;
	quiclb_codec_fini(codec);
	free(codec);
}

int qs_quiclb_codec_cid_len(const struct qs_quiclb_codec *codec)
{
	return codec ? (int)(1 + codec->sid_len + codec->nonce_len) : -EINVAL;
}

int qs_quiclb_cid_config(const void *cid, size_t cid_len)
{
	return cid && cid_len ? *(const __u8 *)cid >> QUICLB_CONFIG_SHIFT : -EINVAL;
}

/* Config rotation bits, then the length minus one or five random bits. */
static int quiclb_first_octet(const struct qs_quiclb_codec *c, __u8 *octet)
{
	__u8 low = c->sid_len + c->nonce_len; /* the ID's length minus one */
	int err;

	if (!(c->flags & QS_QUICLB_F_LEN_SELF)) {
		err = qs_random_fill(&low, 1);
		if (err)
			return err;
	}
	*octet = c->config_id << QUICLB_CONFIG_SHIFT | (low & QUICLB_LOW_BITS);
	return 0;
}

int qs_quiclb_encode(struct qs_quiclb_codec *codec, const void *server_id, const void *nonce,
		     void *cid)
{
	__u8 block[QUICLB_BLOCK_MAX], out[QS_CID_MAX_LEN];
	unsigned int len;
	int err;

	if (!codec || !server_id || !nonce || !cid)
		return -EINVAL;
	len = codec->sid_len + codec->nonce_len;
	memcpy(block, server_id, codec->sid_len);
	memcpy(block + codec->sid_len, nonce, codec->nonce_len);
	err = quiclb_first_octet(codec, out);
	if (err)
		return err;
	switch (codec->mode) {
	case QS_QUICLB_CID_AES_SINGLE:
		err = qs_aes_block(codec->enc, block, out + 1);
		break;
	case QS_QUICLB_CID_AES_FOUR_PASS:
		err = qs_feistel_encrypt(codec->enc, block, len, out + 1, NULL);
		break;
	default:
		memcpy(out + 1, block, len);
	}
	if (err)
		return err;
	memcpy(cid, out, 1 + len);
	return 1 + len;
}

int qs_quiclb_decode(struct qs_quiclb_codec *codec, const void *cid, size_t cid_len,
		     void *server_id, void *nonce)
{
	const __u8 *in = cid;
	__u8 block[QUICLB_BLOCK_MAX];
	unsigned int len;
	int err = 0;

	if (!codec || !cid || !server_id)
		return -EINVAL;
	len = codec->sid_len + codec->nonce_len;
	if (cid_len < 1 + len)
		return -EINVAL;
	if (in[0] >> QUICLB_CONFIG_SHIFT != codec->config_id)
		return -ENOENT;
	switch (codec->mode) {
	case QS_QUICLB_CID_AES_SINGLE:
		err = qs_aes_block(codec->dec, in + 1, block);
		break;
	case QS_QUICLB_CID_AES_FOUR_PASS:
		/* the server ID alone, unless the nonce is wanted too */
		err = qs_feistel_decrypt(codec->enc, in + 1, len, nonce ? len : codec->sid_len,
					 block);
		break;
	default:
		memcpy(block, in + 1, len);
	}
	if (err)
		return err;
	memcpy(server_id, block, codec->sid_len);
	if (nonce)
		memcpy(nonce, block + codec->sid_len, codec->nonce_len);
	return codec->sid_len;
}

int qs_cid_quiclb_plaintext(void *buf, unsigned int config_id, const void *server_id,
			    size_t sid_len, size_t nonce_len)
{
	__u8 nonce[QS_QUICLB_NONCE_MAX];
	struct qs_quiclb_codec c;
	int err;

	/* checked before the narrowing to the params' unsigned int */
	if (!buf || !server_id || !quiclb_lengths_valid(config_id, sid_len, nonce_len))
		return -EINVAL;
	QS_QUICLB_PARAMS(p, .config_id = config_id, .mode = QS_QUICLB_CID_PLAINTEXT,
			 .server_id_len = sid_len, .nonce_len = nonce_len);
	err = quiclb_codec_init(&c, &p);
	err = err ? err : qs_random_fill(nonce, nonce_len);
	return err ? err : qs_quiclb_encode(&c, server_id, nonce, buf);
}

/*
 * The key of the generators' nonce permutation. AES modes: HMAC-SHA256
 * under the configuration's key of a label of its own, so every process
 * with that configuration permutes alike (distinct worker IDs keep them
 * apart) and the key itself never meets a block AES sees. Plaintext: no
 * secret to derive from, so one drawn once per process.
 */
static pthread_once_t plain_nonce_key_once = PTHREAD_ONCE_INIT;
static __u8 plain_nonce_key[QS_AES_BLOCK];
static int plain_nonce_key_err;

static void plain_nonce_key_draw(void)
{
	plain_nonce_key_err = qs_random_fill(plain_nonce_key, sizeof(plain_nonce_key));
}

static int quiclb_nonce_key(const struct qs_quiclb_params *p, __u8 key[QS_AES_BLOCK])
{
	static const char label[] = "quicsteer QUIC-LB nonce permutation";
	__u8 mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (p->mode == QS_QUICLB_CID_PLAINTEXT) {
		pthread_once(&plain_nonce_key_once, plain_nonce_key_draw);
		memcpy(key, plain_nonce_key, QS_AES_BLOCK);
		return plain_nonce_key_err;
	}
	if (!HMAC(EVP_sha256(), p->key, QS_QUICLB_KEY_LEN, (const __u8 *)label, sizeof(label) - 1,
		  mac, &mac_len) ||
	    mac_len < QS_AES_BLOCK) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return -EIO;
	}
	memcpy(key, mac, QS_AES_BLOCK);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

/* The low 64 bits of a big-endian number of len (4..18) bytes. */
static __u64 low64_get(const __u8 *b, unsigned int len)
{
	__u64 v = 0;

	for (unsigned int i = 0; i < 8 && i < len; i++)
		v |= (__u64)b[len - 1 - i] << (8 * i);
	return v;
}

static void low64_put(__u8 *b, unsigned int len, __u64 v)
{
	for (unsigned int i = 0; i < 8 && i < len; i++)
		b[len - 1 - i] = v >> (8 * i);
}

/* The worker ID into the top bits bits of the number, the rest untouched. */
static void quiclb_put_worker(__u8 *b, unsigned int worker_id, unsigned int bits)
{
	for (unsigned int i = 0; i < bits; i++) {
		__u8 mask = 0x80 >> (i % 8);

		if (worker_id >> (bits - 1 - i) & 1)
			b[i / 8] |= mask;
		else
			b[i / 8] &= ~mask;
	}
}

static int quiclb_gen_init(struct qs_quiclb_gen *g, const struct qs_quiclb_params *p,
			   const void *server_id, unsigned int worker_id, unsigned int worker_bits)
{
	__u8 key[QS_AES_BLOCK];
	int err;

	if (!server_id || worker_bits > QS_QUICLB_WORKER_BITS_MAX ||
	    (__u64)worker_id >> worker_bits)
		return -EINVAL;
	err = quiclb_codec_init(&g->codec, p);
	if (err)
		return err;
	memcpy(g->server_id, server_id, p->server_id_len);
	g->count_bits = p->nonce_len * 8 - worker_bits;
	g->space = g->count_bits >= 64 ? UINT64_MAX : 1ull << g->count_bits;
	/* the draft: start the count at a random value */
	err = qs_random_fill(g->base, p->nonce_len);
	if (err)
		return err;
	quiclb_put_worker(g->base, worker_id, worker_bits);
	err = quiclb_nonce_key(p, key);
	if (err)
		return err;
	g->nonce_aes = qs_aes_ecb_new(key, 1);
	OPENSSL_cleanse(key, sizeof(key));
	return g->nonce_aes ? 0 : -errno;
}

struct qs_quiclb_gen *qs_quiclb_gen_new(const struct qs_quiclb_params *params,
					const void *server_id, unsigned int worker_id,
					unsigned int worker_bits)
{
	struct qs_quiclb_gen *g = calloc(1, sizeof(*g));
	int err = g ? quiclb_gen_init(g, params, server_id, worker_id, worker_bits) : -ENOMEM;

	if (err) {
		qs_quiclb_gen_free(g); /* NULL is fine */
		errno = -err;
		return NULL;
	}
	return g;
}

void qs_quiclb_gen_free(struct qs_quiclb_gen *gen)
{
	if (!gen)
		return;
	quiclb_codec_fini(&gen->codec);
	EVP_CIPHER_CTX_free(gen->nonce_aes);
	OPENSSL_cleanse(gen, sizeof(*gen));
	free(gen);
}

int qs_quiclb_gen_next(struct qs_quiclb_gen *gen, void *cid)
{
	__u8 number[QS_QUICLB_NONCE_MAX], nonce[QS_QUICLB_NONCE_MAX];
	unsigned int len, bits;
	__u64 low, mask;
	int ret;

	if (!gen || !cid)
		return -EINVAL;
	if (gen->made >= gen->space)
		return -ENOSPC;
	/*
	 * The count: the random start plus the IDs made so far, modulo
	 * 2^count_bits (its low 64 bits only, when it has more: the rest
	 * stays the random start's, and 2^64 IDs are never reached).
	 */
	len = gen->codec.nonce_len;
	bits = gen->count_bits < 64 ? gen->count_bits : 64;
	mask = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
	memcpy(number, gen->base, len);
	low = low64_get(number, len);
	low = (low & ~mask) | ((low + gen->made) & mask);
	low64_put(number, len, low);
	ret = qs_feistel_encrypt(gen->nonce_aes, number, len, nonce, NULL);
	if (ret)
		return ret;
	ret = qs_quiclb_encode(&gen->codec, gen->server_id, nonce, cid);
	if (ret > 0)
		gen->made++;
	return ret;
}

int qs_quiclb_gen_cid_len(const struct qs_quiclb_gen *gen)
{
	return gen ? qs_quiclb_codec_cid_len(&gen->codec) : -EINVAL;
}

__u64 qs_quiclb_gen_left(const struct qs_quiclb_gen *gen)
{
	if (!gen)
		return 0;
	/* 2^64 and more to go, of which this many are certainly left */
	return gen->count_bits >= 64 ? UINT64_MAX : gen->space - gen->made;
}
