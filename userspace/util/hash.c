// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sodium.h>
#include "hash.h"

_Static_assert(QS_HASH_KEY_LEN == crypto_shorthash_KEYBYTES, "SipHash-2-4's key");

static uint8_t process_key[QS_HASH_KEY_LEN];
static int key_err;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/*
 * Once per process, whichever thread hashes first. sodium_init() picks
 * libsodium's implementations and opens its random source; it is safe to
 * call again elsewhere (it returns 1 then).
 */
static void key_draw(void)
{
	if (sodium_init() < 0) {
		key_err = -EIO;
		return;
	}
	crypto_shorthash_keygen(process_key);
}

int qs_hash_init(void)
{
	int err = pthread_once(&key_once, key_draw);

	return err ? -err : key_err;
}

uint32_t qs_hash_bytes_keyed(const uint8_t *key, const void *p, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint32_t h;

	crypto_shorthash(out, p, len, key);
	/* uthash keeps 32 bits and takes a bucket from the low ones: any 4 of SipHash's 8 do */
	memcpy(&h, out, sizeof(h));
	return h;
}

uint32_t qs_hash_bytes(const void *p, size_t len)
{
	/* after the first call a load and a branch: nothing beside SipHash */
	pthread_once(&key_once, key_draw);
	return qs_hash_bytes_keyed(process_key, p, len);
}

unsigned int qs_hash_longest_chain(const UT_hash_table *tbl)
{
	unsigned int longest = 0;

	if (!tbl)
		return 0;
	for (unsigned int i = 0; i < tbl->num_buckets; i++)
		if (tbl->buckets[i].count > longest)
			longest = tbl->buckets[i].count;
	return longest;
}
