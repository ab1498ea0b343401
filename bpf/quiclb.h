/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rung a for the encrypted QUIC-LB modes (draft-ietf-quic-load-balancers,
 * "Encrypted Modes"): the server ID of a connection ID, decrypted with its
 * configuration's round keys (qs_quiclb_rk), into a qs_server_ids key.
 *
 * The ID is its first byte then the ciphertext, ct, of the plaintext
 * server ID || nonce, len = sid_len + nonce_len bytes:
 * - single-pass (len 16): one block, through the inverse cipher;
 * - four-pass (len 5..19 but 16): a Feistel network of four passes of the
 *   cipher over halves of half = ceil(len / 2) bytes. For an odd len the
 *   middle byte is shared, its high nibble the left half's, its low nibble
 *   the right's. Pass n's cipher input is expand(len, n, half): the half,
 *   zeros, then len and n in the block's last two bytes. Decoding runs
 *   passes 4, 3 and 2 to get the left half back, and pass 1 only when the
 *   server ID runs into the right half.
 * Halves are kept as three big-endian words (at most 10 bytes, so the
 * bytes of len and n, 14 and 15, stay clear), bytes past the half zero.
 */
#ifndef QS_BPF_QUICLB_H
#define QS_BPF_QUICLB_H

#include "aes.h"

/*
 * What the decoding works on, on the caller's stack: the ID's bytes (the
 * first byte, then the ciphertext; room so that every index is masked
 * into it), the configuration's lengths and mode; the server ID out.
 */
struct quiclb_half {
	__u32 w[3];
};

struct qs_quiclb_dec {
	__u8 id[32];
	__u8 sid[QS_QUICLB_SID_MAX + 1]; /* out: sid_len bytes, zeros after */
	__u32 len; /* server ID and nonce: the ciphertext's length */
	__u32 sid_len;
	__u32 mode; /* QS_QUICLB_AES_SINGLE or QS_QUICLB_AES_FOUR_PASS */
	/* the work, here rather than on a stack the ladder has mostly used */
	struct quiclb_half left, right, lmask, rmask;
	struct qs_aes_block b;
	__u8 rb[16];
};

/* The decoding's input and output: off the stack, which the ladder fills. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qs_quiclb_dec);
} qs_quiclb_scratch SEC(".maps");

/* All ones when a < b, else 0, without a branch (a, b < 2^31). */
static __always_inline __u32 lt_mask(__u32 a, __u32 b)
{
	return (__u32)((__s32)(a - b) >> 31);
}

/* Mask of the first n bytes (any n; 4 and more: all) of a big-endian word. */
static __always_inline __u32 be_bytes_mask(__u32 n)
{
	__u32 m = 0;

#pragma clang loop unroll(disable)
	for (int i = 0; i < 4; i++)
		m |= (0xffu << (24 - 8 * i)) & lt_mask(i, n);
	return m;
}

/*
 * The masks of the two halves of a len-byte plaintext: half bytes each,
 * the left without the middle byte's low nibble and the right without its
 * high nibble when len is odd.
 */
static __always_inline void quiclb_masks(__u32 len, __u32 half, struct quiclb_half *left,
					 struct quiclb_half *right)
{
	__u32 odd = -(len & 1), at = half - 1; /* the left half's last byte */

#pragma clang loop unroll(disable)
	for (int i = 0; i < 3; i++) {
		__u32 m = be_bytes_mask(half - 4 * i) & lt_mask(4 * i, half);
		/* this word's bit of byte at's low nibble, if at is in it */
		__u32 nib = 0x0fu << ((24 - 8 * (at - 4 * i)) & 31);

		nib &= lt_mask(at - 4 * i, 4) & ~lt_mask(at, 4 * i);
		left->w[i] = m & ~(nib & odd);
		right->w[i] = m;
	}
	right->w[0] &= ~(0xf0000000u & odd);
}

/* n (at most 10) bytes of the ID from byte at into a half. */
static __always_inline void quiclb_half_load(struct quiclb_half *h, const struct qs_quiclb_dec *d,
					     __u32 at, __u32 n)
{
	h->w[0] = h->w[1] = h->w[2] = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 10; i++)
		h->w[i / 4] |= ((__u32)d->id[(at + i) & 31] << (24 - 8 * (i % 4))) & lt_mask(i, n);
}

/* One pass: into ^= the cipher of expand(len, pass, from), masked; b its block. */
static __always_inline int quiclb_pass(struct quiclb_half *into, const struct quiclb_half *from,
				       const struct quiclb_half *mask, __u32 len, __u32 pass,
				       struct qs_aes_block *b, const struct qs_quiclb_rk *rk)
{
	b->w[0] = from->w[0];
	b->w[1] = from->w[1];
	b->w[2] = from->w[2];
	b->w[3] = len << 8 | pass;
	if (qs_aes_encrypt(b, rk))
		return -1;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 3; i++)
		into->w[i] ^= b->w[i] & mask->w[i];
	return 0;
}

static __always_inline __u8 half_byte(const struct quiclb_half *h, int i)
{
	return h->w[i / 4] >> (24 - 8 * (i % 4));
}

/* Four-pass: d->len 5..19 but 16. */
static __always_inline int quiclb_four_pass(struct qs_quiclb_dec *d, const struct qs_quiclb_rk *rk)
{
	__u32 len = d->len & 31, half = (len + 1) / 2, right_at = len - half;

	quiclb_masks(len, half, &d->lmask, &d->rmask);
	quiclb_half_load(&d->left, d, 1, half);
	quiclb_half_load(&d->right, d, 1 + right_at, half);
#pragma clang loop unroll(disable)
	for (int i = 0; i < 3; i++) {
		d->left.w[i] &= d->lmask.w[i];
		d->right.w[i] &= d->rmask.w[i];
	}
	if (quiclb_pass(&d->left, &d->right, &d->lmask, len, 4, &d->b, rk) ||
	    quiclb_pass(&d->right, &d->left, &d->rmask, len, 3, &d->b, rk) ||
	    quiclb_pass(&d->left, &d->right, &d->lmask, len, 2, &d->b, rk))
		return -1;
	/* pass 1 only when the server ID does not end in the left half's whole bytes */
	if (d->sid_len > half - (len & 1) &&
	    quiclb_pass(&d->right, &d->left, &d->rmask, len, 1, &d->b, rk))
		return -1;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 12; i++)
		d->rb[i] = half_byte(&d->right, i);
	d->rb[12] = d->rb[13] = d->rb[14] = d->rb[15] = 0;
	/* byte i: the left half's, or'ed with the right's from right_at on */
#pragma clang loop unroll(disable)
	for (int i = 0; i < QS_QUICLB_SID_MAX + 1; i++) {
		__u32 b = i < 12 ? half_byte(&d->left, i) : 0;

		b |= d->rb[(i - right_at) & 15] & ~lt_mask(i, right_at);
		d->sid[i] = b & lt_mask(i, d->sid_len);
	}
	return 0;
}

/* Single-pass: d->len 16, one block. */
static __always_inline int quiclb_single_pass(struct qs_quiclb_dec *d,
					      const struct qs_quiclb_rk *rk)
{
#pragma clang loop unroll(disable)
	for (int i = 0; i < 4; i++)
		d->b.w[i] = (__u32)d->id[1 + 4 * i] << 24 | (__u32)d->id[2 + 4 * i] << 16 |
			    (__u32)d->id[3 + 4 * i] << 8 | d->id[4 + 4 * i];
	if (qs_aes_decrypt(&d->b, rk))
		return -1;
#pragma clang loop unroll(disable)
	for (int i = 0; i < QS_QUICLB_SID_MAX + 1; i++)
		d->sid[i] = (d->b.w[i / 4] >> (24 - 8 * (i % 4))) & lt_mask(i, d->sid_len);
	return 0;
}

/*
 * The server ID of an encrypted ID: 0, or -1 when the lengths do not fit
 * the mode. A global function: verified once, with any lengths.
 */
__noinline int qs_quiclb_decrypt(struct qs_quiclb_dec *d, const struct qs_quiclb_rk *rk)
{
	if (!d || !rk || d->sid_len < 1 || d->sid_len > QS_QUICLB_SID_MAX)
		return -1;
	if (d->mode == QS_QUICLB_AES_SINGLE)
		return d->len == 16 ? quiclb_single_pass(d, rk) : -1;
	if (d->len < 5 || d->len > QS_CID_MAX_LEN - 1 || d->len == 16)
		return -1;
	return quiclb_four_pass(d, rk);
}

/*
 * The qs_server_ids key of an encrypted ID (cid, of the configuration's
 * length) under configuration cfg with round keys rk: 0, or -1.
 */
static __always_inline int qs_quiclb_decrypt_key(const struct qs_cid_key *cid,
						 const struct qs_quiclb_config *cfg,
						 const struct qs_quiclb_rk *rk,
						 struct qs_server_id_key *sk)
{
	__u32 zero = 0;
	struct qs_quiclb_dec *d = bpf_map_lookup_elem(&qs_quiclb_scratch, &zero);

	if (!d)
		return -1;
	__builtin_memset(d->id + QS_CID_MAX_LEN, 0, sizeof(d->id) - QS_CID_MAX_LEN);
	__builtin_memcpy(d->id, cid->cid, QS_CID_MAX_LEN);
	d->len = cfg->server_id_len + cfg->nonce_len;
	d->sid_len = cfg->server_id_len;
	d->mode = cfg->mode;
	if (qs_quiclb_decrypt(d, rk))
		return -1;
	__builtin_memcpy(sk->sid, d->sid, sizeof(sk->sid));
	sk->vip_id = cid->vip_id;
	sk->config_id = qs_quiclb_config_id(cid->cid[0]);
	sk->sid_len = d->sid_len;
	sk->pad[0] = sk->pad[1] = 0;
	return 0;
}

#endif /* QS_BPF_QUICLB_H */
