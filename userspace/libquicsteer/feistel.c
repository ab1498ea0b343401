// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The four-pass Feistel network of draft-ietf-quic-load-balancers-21,
 * written from the draft's description (docs/quic-lb.md has the layout).
 *
 * The plaintext of len bytes is cut into halves of half = ceil(len / 2)
 * bytes. For an odd len the middle byte is split by nibble: the left half
 * keeps its high nibble (its own low nibble is zero), the right half its
 * low nibble (its own high nibble is zero), and every pass clears that
 * nibble again after its XOR so that the halves never grow. Pass p XORs
 * into one half the first half bytes of AES(expand(len, p, other half)),
 * where expand() is the other half, zeros, then len in octet 15 and p in
 * octet 16 of the block (the layout of draft 19 on: before it, the two
 * octets came first, and the same inputs gave other IDs).
 *
 *	pass 1: right ^= F(1, left)	pass 3: right ^= F(3, left)
 *	pass 2: left ^= F(2, right)	pass 4: left ^= F(4, right)
 *
 * Decoding runs 4, 3, 2, 1 with the same XORs. The draft's decoding
 * pseudocode clears left_1's nibble after pass 3, where right_1's is meant
 * (pass 3 changes only right_1); this follows the computation.
 */
#include <errno.h>
#include <string.h>
#include "feistel.h"

EVP_CIPHER_CTX *qs_aes_ecb_new(const __u8 key[QS_AES_BLOCK], int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	if (EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		errno = EIO;
		return NULL;
	}
	return ctx;
}

int qs_aes_block(EVP_CIPHER_CTX *ctx, const __u8 in[QS_AES_BLOCK], __u8 out[QS_AES_BLOCK])
{
	int n = 0;

	/* ECB without padding: a whole block in, the same block out, no state kept */
	if (EVP_CipherUpdate(ctx, out, &n, in, QS_AES_BLOCK) != 1 || n != QS_AES_BLOCK)
		return -EIO;
	return 0;
}

/*
 * An odd length's middle byte is shared by nibble: the left half's last
 * nibble and the right half's first belong to the other half, zero here.
 */
static void feistel_clear_left(__u8 *left, unsigned int half_len)
{
	left[half_len - 1] &= 0xf0;
}

static void feistel_clear_right(__u8 *right)
{
	right[0] &= 0x0f;
}

/*
 * Pass p: the right half (odd p) or the left one (even p) ^=
 * truncate(AES(expand(len, p, the other half)), half_len), then its
 * odd-length nibble cleared.
 */
static int feistel_pass(EVP_CIPHER_CTX *aes, unsigned int len, unsigned int pass, __u8 *left,
			__u8 *right, struct qs_feistel_trace *trace)
{
	unsigned int half_len = (len + 1) / 2;
	__u8 block[QS_AES_BLOCK] = { 0 }, result[QS_AES_BLOCK];
	__u8 *into = pass & 1 ? right : left;
	int err;

	memcpy(block, pass & 1 ? left : right, half_len);
	block[QS_AES_BLOCK - 2] = len;
	block[QS_AES_BLOCK - 1] = pass;
	err = qs_aes_block(aes, block, result);
	if (err)
		return err;
	if (trace) {
		memcpy(trace->in[pass - 1], block, QS_AES_BLOCK);
		memcpy(trace->out[pass - 1], result, QS_AES_BLOCK);
	}
	for (unsigned int i = 0; i < half_len; i++)
		into[i] ^= result[i];
	if (len & 1 && into == left)
		feistel_clear_left(left, half_len);
	else if (len & 1)
		feistel_clear_right(right);
	return 0;
}

static void feistel_split(const __u8 *in, unsigned int len, __u8 *left, __u8 *right)
{
	unsigned int half_len = (len + 1) / 2;

	memcpy(left, in, half_len);
	memcpy(right, in + len - half_len, half_len);
	if (len & 1) {
		feistel_clear_left(left, half_len);
		feistel_clear_right(right);
	}
}

/* The halves back into len bytes: an odd length's middle byte is both nibbles. */
static void feistel_join(const __u8 *left, const __u8 *right, unsigned int len, __u8 *out)
{
	unsigned int half_len = (len + 1) / 2;

	if (!(len & 1)) {
		memcpy(out, left, half_len);
		memcpy(out + half_len, right, half_len);
		return;
	}
	memcpy(out, left, half_len - 1);
	out[half_len - 1] = left[half_len - 1] | right[0];
	memcpy(out + half_len, right + 1, half_len - 1);
}

int qs_feistel_encrypt(EVP_CIPHER_CTX *aes, const __u8 *in, unsigned int len, __u8 *out,
		       struct qs_feistel_trace *trace)
{
	__u8 left[QS_FEISTEL_MAX_LEN / 2 + 1], right[QS_FEISTEL_MAX_LEN / 2 + 1];
	int err;

	if (len < QS_FEISTEL_MIN_LEN || len > QS_FEISTEL_MAX_LEN)
		return -EINVAL;
	feistel_split(in, len, left, right); /* left_0, right_0 */
	for (unsigned int pass = 1; pass <= 4; pass++) {
		err = feistel_pass(aes, len, pass, left, right, trace);
		if (err)
			return err;
	}
	feistel_join(left, right, len, out); /* left_2, right_2 */
	return 0;
}

int qs_feistel_decrypt(EVP_CIPHER_CTX *aes, const __u8 *in, unsigned int len, unsigned int want,
		       __u8 *out)
{
	__u8 left[QS_FEISTEL_MAX_LEN / 2 + 1], right[QS_FEISTEL_MAX_LEN / 2 + 1];
	/* left_0 holds len / 2 bytes whole: pass 1 gives right_0, for the rest */
	unsigned int last = want > len / 2 ? 1 : 2;
	int err;

	if (len < QS_FEISTEL_MIN_LEN || len > QS_FEISTEL_MAX_LEN || want > len)
		return -EINVAL;
	feistel_split(in, len, left, right); /* left_2, right_2 */
	for (unsigned int pass = 4; pass >= last; pass--) {
		err = feistel_pass(aes, len, pass, left, right, NULL);
		if (err)
			return err;
	}
	feistel_join(left, right, len, out);
	return 0;
}
