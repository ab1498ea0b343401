/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The hash of every table keyed by bytes a client or a backend chooses
 * (connection IDs, handles, addresses): SipHash-2-4 (libsodium's
 * crypto_shorthash) under a key drawn at random once per process. uthash's
 * own hash (HASH_JEN) has a fixed seed: whoever picks the keys can put
 * them all in one chain (tests/data/gen-colliding-cids.c makes such IDs
 * without a search), and every insert and lookup then walks that chain.
 * With a secret key nobody outside the process can tell which keys share
 * a bucket.
 *
 * Include this header instead of <uthash.h>: it sets uthash's
 * HASH_FUNCTION first, so every table of the file uses the keyed hash.
 * Functions return 0 or -errno unless they say otherwise.
 */
#ifndef QS_HASH_H
#define QS_HASH_H

#ifdef UTHASH_H
#error "util/hash.h must come before <uthash.h>: uthash would take its fixed-seed hash"
#endif

#include <stddef.h>
#include <stdint.h>

#define QS_HASH_KEY_LEN 16

/*
 * Draws the process's key (sodium_init(), then its random source) the
 * first time; later calls return what the first returned. qs_hash_bytes
 * draws it too if nobody did, so that a table made before it still hashes
 * under a random key; calling this first is what lets a failure be seen:
 * qs_cidreg_new fails with it, qs-h3server does not start.
 */
int qs_hash_init(void);
/* len bytes at p under the process's key. */
uint32_t qs_hash_bytes(const void *p, size_t len);
/* Under a key of QS_HASH_KEY_LEN bytes the caller gives (tests compare two keys). */
uint32_t qs_hash_bytes_keyed(const uint8_t *key, const void *p, size_t len);

#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = qs_hash_bytes((keyptr), (keylen)))
#include <uthash.h>

/*
 * The longest chain of a uthash table (head->hh.tbl; 0 for NULL): what a
 * lookup may have to walk. It reads every bucket (2^20 in the ID table),
 * so it is for tests and on-demand status, not for each request.
 */
unsigned int qs_hash_longest_chain(const UT_hash_table *tbl);

#endif /* QS_HASH_H */
