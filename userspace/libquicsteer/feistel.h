/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libquicsteer's own (not exported, not installed): AES-128-ECB one block at
 * a time, and the four-pass Feistel network of draft-ietf-quic-load-balancers
 * ("General Case: Four-Pass Encryption") that quiclb.c encodes and decodes
 * IDs with and permutes its generators' nonces with.
 */
#ifndef QS_LIBQUICSTEER_FEISTEL_H
#define QS_LIBQUICSTEER_FEISTEL_H

#include <linux/types.h>
#include <openssl/evp.h>

#define QS_AES_BLOCK 16
/* The network takes 4..19 bytes: halves of 2..10, room for expand()'s two octets. */
#define QS_FEISTEL_MIN_LEN 4
#define QS_FEISTEL_MAX_LEN 19

/*
 * What each pass put into and got out of AES, for the tests that check the
 * draft's worked example step by step: in[p - 1] is expand(len, p, half).
 */
struct qs_feistel_trace {
	__u8 in[4][QS_AES_BLOCK];
	__u8 out[4][QS_AES_BLOCK];
};

/*
 * A context for AES-128-ECB under key, without padding, encrypting (enc 1)
 * or decrypting (0); NULL with errno ENOMEM or EIO.
 */
EVP_CIPHER_CTX *qs_aes_ecb_new(const __u8 key[QS_AES_BLOCK], int enc);

/* One block through ctx, in and out may not overlap; 0 or -EIO. */
int qs_aes_block(EVP_CIPHER_CTX *ctx, const __u8 in[QS_AES_BLOCK], __u8 out[QS_AES_BLOCK]);

/*
 * Encrypts len (QS_FEISTEL_MIN_LEN..MAX_LEN) bytes of in into out with the
 * four passes; aes encrypts. trace, if not NULL, records the passes.
 * 0 or -EIO.
 */
int qs_feistel_encrypt(EVP_CIPHER_CTX *aes, const __u8 *in, unsigned int len, __u8 *out,
		       struct qs_feistel_trace *trace);

/*
 * Decrypts len bytes of in into out, with passes 4, 3 and 2, and 1 only
 * when want (the leading bytes the caller needs) is more than the left half
 * holds whole (len / 2). Past want, out holds what the passes left there.
 * 0 or -EIO.
 */
int qs_feistel_decrypt(EVP_CIPHER_CTX *aes, const __u8 *in, unsigned int len, unsigned int want,
		       __u8 *out);

#endif /* QS_LIBQUICSTEER_FEISTEL_H */
