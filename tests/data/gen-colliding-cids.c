// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gen-colliding-cids: connection IDs whose keys (struct qs_cid_key: the
 * 20 ID bytes, vip_id, cid_len, zero padding) all have the same 32-bit
 * value under uthash's default hash, HASH_JEN (Bob Jenkins' lookup2), so
 * that they share one chain in a uthash table of any bucket count, as an
 * attacker who chooses IDs can make them. tests/data/colliding-cids.txt is
 * its output; tests/unit/test_hash_collisions.c reads it.
 *
 *   make colliding-cids && build/tests/gen-colliding-cids [COUNT [VIP]]
 *
 * No search is needed: lookup2's mix is a bijection of its three words,
 * and a 32-byte key is two 12-byte blocks and an 8-byte tail. Pick the
 * final state (the hash, and any two other words), undo the last mix and
 * the tail, undo the second block's mix and subtract the block (ID bytes
 * 12..19 and the VIP, fixed), undo the first mix and subtract lookup2's
 * initial state: what is left is the first block, ID bytes 0..11. Each
 * choice of the two free words gives a different key, so COUNT keys are
 * COUNT choices. Every key is checked against uthash's own HASH_JEN.
 *
 * Output: two comment lines (#), then one key a line: VIP LEN HEX (the
 * ID bytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "abi/abi.h"

/* Any value: every key hashes to it. */
#define TARGET_HASH 0x5eed0badu
/* lookup2's starting state, as HASH_JEN sets it. */
#define JEN_GOLDEN 0x9e3779b9u
#define JEN_INIT_C 0xfeedbeefu

_Static_assert(sizeof(struct qs_cid_key) == 32, "two blocks and an 8-byte tail");
_Static_assert(QS_CID_MAX_LEN == 20, "block 0 is ID bytes 0..11, block 1 bytes 12..19 and vip_id");

/* HASH_JEN_MIX run backwards: each step undone, last first. */
static void jen_unmix(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*c = (*c ^ (*b >> 15)) + *a + *b;
	*b = (*b ^ (*a << 10)) + *c + *a;
	*a = (*a ^ (*c >> 3)) + *b + *c;
	*c = (*c ^ (*b >> 5)) + *a + *b;
	*b = (*b ^ (*a << 16)) + *c + *a;
	*a = (*a ^ (*c >> 12)) + *b + *c;
	*c = (*c ^ (*b >> 13)) + *a + *b;
	*b = (*b ^ (*a << 8)) + *c + *a;
	*a = (*a ^ (*c >> 13)) + *b + *c;
}

/* Little-endian word i of the key, as HASH_JEN reads it. */
static uint32_t word_get(const uint8_t *k, int i)
{
	return k[4 * i] | k[4 * i + 1] << 8 | k[4 * i + 2] << 16 | (uint32_t)k[4 * i + 3] << 24;
}

static void word_put(uint8_t *k, int i, uint32_t w)
{
	for (int j = 0; j < 4; j++)
		k[4 * i + j] = w >> (8 * j);
}

/* The key of free words (x, y) whose HASH_JEN is TARGET_HASH. */
static void key_make(struct qs_cid_key *key, uint32_t vip, uint32_t x, uint32_t y)
{
	uint8_t *k = (uint8_t *)key;
	uint32_t a = x, b = y, c = TARGET_HASH;

	memset(key, 0, sizeof(*key));
	key->vip_id = vip;
	key->cid_len = QS_CID_MAX_LEN;
	/* ID bytes 12..19: any fixed value, so that the keys do not look alike */
	for (int i = 12; i < QS_CID_MAX_LEN; i++)
		key->cid[i] = 0xa5 ^ (uint8_t)(i * 37);
	jen_unmix(&a, &b, &c);
	/* the tail: words 6 and 7 (cid_len, padding), and the length into c */
	a -= word_get(k, 6);
	b -= word_get(k, 7);
	c -= sizeof(*key);
	jen_unmix(&a, &b, &c);
	a -= word_get(k, 3);
	b -= word_get(k, 4);
	c -= word_get(k, 5);
	jen_unmix(&a, &b, &c);
	word_put(k, 0, a - JEN_GOLDEN);
	word_put(k, 1, b - JEN_GOLDEN);
	word_put(k, 2, c - JEN_INIT_C);
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 2048;
	unsigned long vip = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	struct qs_cid_key key;
	unsigned int h;

	if (argc > 3 || !count || vip >= QS_MAX_VIPS) {
		fprintf(stderr, "usage: %s [COUNT [VIP]] (VIP below %u)\n", argv[0], QS_MAX_VIPS);
		return 2;
	}
	printf("# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)\n"
	       "# %lu IDs, one HASH_JEN value (%08x): make colliding-cids && "
	       "build/tests/gen-colliding-cids %lu %lu\n",
	       count, TARGET_HASH, count, vip);
	for (unsigned long i = 0; i < count; i++) {
		/* (x, y) distinct for every i: distinct keys (the steps are a bijection) */
		key_make(&key, vip, 0x9e3779b9u * (uint32_t)i, (uint32_t)i);
		HASH_JEN(&key, sizeof(key), h);
		if (h != TARGET_HASH) {
			fprintf(stderr, "key %lu hashes to %08x, not %08x\n", i, h, TARGET_HASH);
			return 1;
		}
		printf("%u %u ", key.vip_id, key.cid_len);
		for (int j = 0; j < key.cid_len; j++)
			printf("%02x", key.cid[j]);
		printf("\n");
	}
	return 0;
}
