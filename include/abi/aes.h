/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * AES-128 (FIPS-197) arithmetic for the data path's QUIC-LB decoding,
 * which runs the cipher in BPF (bpf/aes.h) from tables and round keys:
 * - the S-box and the field's multiplication, from which the build makes
 *   the data path's tables (bpf/gen/aes_tables.c);
 * - the key schedules, which the agent writes for each QUIC-LB
 *   configuration (qs_quiclb_rk): the cipher's, and the decryption's for
 *   the equivalent inverse cipher (FIPS-197 5.3.5: InvMixColumns applied
 *   to round keys 1 to 9), so that decryption runs from tables as
 *   encryption does.
 * OpenSSL keeps its round keys to itself (EVP) or in a deprecated API, so
 * the schedules are computed here; tests check the data path's cipher
 * against OpenSSL's on random blocks and keys.
 *
 * Words hold a column, its first byte most significant (big-endian).
 * Userspace only: the data path reads the results from maps and tables.
 */
#ifndef QUICSTEER_ABI_AES_H
#define QUICSTEER_ABI_AES_H

#include <linux/types.h>

#define QS_AES_ROUNDS 10
#define QS_AES_RK_WORDS (4 * (QS_AES_ROUNDS + 1))

/* Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
static inline __u8 qs_aes_xtime(__u8 a)
{
	return (__u8)(a << 1) ^ (a & 0x80 ? 0x1b : 0);
}

static inline __u8 qs_aes_mul(__u8 a, __u8 b)
{
	__u8 r = 0;

	for (; b; b >>= 1, a = qs_aes_xtime(a))
		if (b & 1)
			r ^= a;
	return r;
}

/* The multiplicative inverse (a^254), 0 for 0. */
static inline __u8 qs_aes_inverse(__u8 a)
{
	__u8 r = 1;

	for (int i = 0; i < 254; i++)
		r = qs_aes_mul(r, a);
	return a ? r : 0;
}

static inline __u8 qs_aes_rotl8(__u8 b, int n)
{
	return (__u8)(b << n | b >> (8 - n));
}

/* SubBytes of one byte: the inverse, then the affine map (FIPS-197 5.1.1). */
static inline __u8 qs_aes_sbox(__u8 a)
{
	__u8 b = qs_aes_inverse(a);

	return b ^ qs_aes_rotl8(b, 1) ^ qs_aes_rotl8(b, 2) ^ qs_aes_rotl8(b, 3) ^
	       qs_aes_rotl8(b, 4) ^ 0x63;
}

static inline __u32 qs_aes_sub_word(__u32 w)
{
	return (__u32)qs_aes_sbox(w >> 24) << 24 | (__u32)qs_aes_sbox(w >> 16 & 0xff) << 16 |
	       (__u32)qs_aes_sbox(w >> 8 & 0xff) << 8 | qs_aes_sbox(w & 0xff);
}

/* InvMixColumns of one column. */
static inline __u32 qs_aes_inv_mix_column(__u32 w)
{
	__u8 a[4] = { w >> 24, w >> 16 & 0xff, w >> 8 & 0xff, w & 0xff };
	__u32 r = 0;

	for (int i = 0; i < 4; i++) {
		__u8 b = qs_aes_mul(a[i], 14) ^ qs_aes_mul(a[(i + 1) & 3], 11) ^
			 qs_aes_mul(a[(i + 2) & 3], 13) ^ qs_aes_mul(a[(i + 3) & 3], 9);

		r |= (__u32)b << (24 - 8 * i);
	}
	return r;
}

/*
 * The key schedules of a 16-byte key: enc for the cipher, dec for the
 * equivalent inverse cipher (dec's round r is enc's round 10 - r, mixed).
 */
static inline void qs_aes128_schedules(const __u8 key[16], __u32 enc[QS_AES_RK_WORDS],
				       __u32 dec[QS_AES_RK_WORDS])
{
	__u8 rcon = 1;

	for (int i = 0; i < 4; i++)
		enc[i] = (__u32)key[4 * i] << 24 | (__u32)key[4 * i + 1] << 16 |
			 (__u32)key[4 * i + 2] << 8 | key[4 * i + 3];
	for (int i = 4; i < QS_AES_RK_WORDS; i++) {
		__u32 t = enc[i - 1];

		if (i % 4 == 0) {
			t = qs_aes_sub_word(t << 8 | t >> 24) ^ (__u32)rcon << 24;
			rcon = qs_aes_xtime(rcon);
		}
		enc[i] = enc[i - 4] ^ t;
	}
	for (int r = 0; r <= QS_AES_ROUNDS; r++)
		for (int c = 0; c < 4; c++) {
			__u32 w = enc[4 * (QS_AES_ROUNDS - r) + c];

			dec[4 * r + c] =
				r == 0 || r == QS_AES_ROUNDS ? w : qs_aes_inv_mix_column(w);
		}
}

#endif /* QUICSTEER_ABI_AES_H */
