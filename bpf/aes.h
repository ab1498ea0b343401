/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * AES-128 on one block, in BPF, from tables (FIPS-197 with the usual
 * T-tables: one round of a column is four lookups and XORs) and the round
 * keys the agent writes for each QUIC-LB configuration (qs_quiclb_rk,
 * abi/aes.h). The tables are made at build time (bpf/gen/aes_tables.c)
 * and live in .rodata, 8.5 KiB, so that they stay in the first-level cache
 * under load.
 *
 * Each cipher is one global function, verified once on its own rather
 * than at every place the ladder calls it, and called (not inlined): the
 * four-pass decoding runs the cipher three or four times.
 */
#ifndef QS_BPF_AES_H
#define QS_BPF_AES_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"
#include "aes_tables.h"

/* A 16-byte block as four big-endian columns. */
struct qs_aes_block {
	__u32 w[4];
};

#define TE(t0, t1, t2, t3)                                          \
	(qs_aes_te0[(t0) >> 24] ^ qs_aes_te1[((t1) >> 16) & 0xff] ^ \
	 qs_aes_te2[((t2) >> 8) & 0xff] ^ qs_aes_te3[(t3)&0xff])
#define TD(t0, t1, t2, t3)                                          \
	(qs_aes_td0[(t0) >> 24] ^ qs_aes_td1[((t1) >> 16) & 0xff] ^ \
	 qs_aes_td2[((t2) >> 8) & 0xff] ^ qs_aes_td3[(t3)&0xff])
#define LAST(s, t0, t1, t2, t3)                                                                  \
	((s)[(t0) >> 24] << 24 ^ (s)[((t1) >> 16) & 0xff] << 16 ^ (s)[((t2) >> 8) & 0xff] << 8 ^ \
	 (s)[(t3)&0xff])

/* The cipher on b in place, with rk's encryption schedule. 0, or -1 for NULL. */
__noinline int qs_aes_encrypt(struct qs_aes_block *b, const struct qs_quiclb_rk *rk)
{
	__u32 s0, s1, s2, s3, t0, t1, t2, t3;

	if (!b || !rk)
		return -1;
	s0 = b->w[0] ^ rk->enc[0];
	s1 = b->w[1] ^ rk->enc[1];
	s2 = b->w[2] ^ rk->enc[2];
	s3 = b->w[3] ^ rk->enc[3];
#pragma unroll
	for (int r = 1; r < 10; r++) {
		t0 = TE(s0, s1, s2, s3) ^ rk->enc[4 * r];
		t1 = TE(s1, s2, s3, s0) ^ rk->enc[4 * r + 1];
		t2 = TE(s2, s3, s0, s1) ^ rk->enc[4 * r + 2];
		t3 = TE(s3, s0, s1, s2) ^ rk->enc[4 * r + 3];
		s0 = t0;
		s1 = t1;
		s2 = t2;
		s3 = t3;
	}
	b->w[0] = LAST(qs_aes_s, s0, s1, s2, s3) ^ rk->enc[40];
	b->w[1] = LAST(qs_aes_s, s1, s2, s3, s0) ^ rk->enc[41];
	b->w[2] = LAST(qs_aes_s, s2, s3, s0, s1) ^ rk->enc[42];
	b->w[3] = LAST(qs_aes_s, s3, s0, s1, s2) ^ rk->enc[43];
	return 0;
}

/* The inverse cipher on b in place, with rk's decryption schedule. */
__noinline int qs_aes_decrypt(struct qs_aes_block *b, const struct qs_quiclb_rk *rk)
{
	__u32 s0, s1, s2, s3, t0, t1, t2, t3;

	if (!b || !rk)
		return -1;
	s0 = b->w[0] ^ rk->dec[0];
	s1 = b->w[1] ^ rk->dec[1];
	s2 = b->w[2] ^ rk->dec[2];
	s3 = b->w[3] ^ rk->dec[3];
#pragma unroll
	for (int r = 1; r < 10; r++) {
		t0 = TD(s0, s3, s2, s1) ^ rk->dec[4 * r];
		t1 = TD(s1, s0, s3, s2) ^ rk->dec[4 * r + 1];
		t2 = TD(s2, s1, s0, s3) ^ rk->dec[4 * r + 2];
		t3 = TD(s3, s2, s1, s0) ^ rk->dec[4 * r + 3];
		s0 = t0;
		s1 = t1;
		s2 = t2;
		s3 = t3;
	}
	b->w[0] = LAST(qs_aes_si, s0, s3, s2, s1) ^ rk->dec[40];
	b->w[1] = LAST(qs_aes_si, s1, s0, s3, s2) ^ rk->dec[41];
	b->w[2] = LAST(qs_aes_si, s2, s1, s0, s3) ^ rk->dec[42];
	b->w[3] = LAST(qs_aes_si, s3, s2, s1, s0) ^ rk->dec[43];
	return 0;
}

#undef TE
#undef TD
#undef LAST

#endif /* QS_BPF_AES_H */
