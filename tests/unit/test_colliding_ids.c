// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Colliding keys (issue 11, item 3): connection IDs chosen so that every
 * key has the same value under uthash's fixed-seed hash
 * (tests/data/colliding-cids.txt, from tests/data/gen-colliding-cids.c)
 * would put every ID in one chain of the registry's tables (IDs, and
 * connections by handle), and each insert and lookup would walk all of
 * them: quadratic in
 * what a client or a backend sends. The tables hash under a random key
 * per process (util/hash.h), so those IDs spread like any others. The
 * tests look at the tables' shape, the longest chain, never at time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "util/hash.h" /* first: it includes uthash, whose HASH_JEN the data targets */
#include "ids/cidreg.h"
#include "util/words.h"

#ifndef QS_TEST_DATA_DIR
#define QS_TEST_DATA_DIR "tests/data"
#endif
#define MAX_KEYS 4096
/*
 * 2048 random keys in 2^19 or 2^20 buckets: a chain of 3 is rare, 5
 * about one table in 10^7; the colliding keys under HASH_JEN make one
 * chain of all 2048.
 */
#define SHORT_CHAIN 8
#define LAYOUT_BITS 20

static struct qs_cid_key keys[MAX_KEYS];
static size_t n_keys;

/* One line of the file, VIP LEN HEX, as the key the tables hash (zero padded). */
static void key_parse(struct qs_cid_key *key, const char *line)
{
	unsigned int vip, len;
	char hex[2 * QS_CID_MAX_LEN + 2];
	size_t got;

	cr_assert_eq(sscanf(line, "%u %u %41s", &vip, &len, hex), 3, "bad line: %s", line);
	memset(key, 0, sizeof(*key));
	cr_assert(qs_parse_hex(hex, key->cid, QS_CID_MAX_LEN, &got) == 0 && got == len &&
			  vip < QS_MAX_VIPS,
		  "bad key: %s", line);
	key->cid_len = len;
	key->vip_id = vip;
}

/* QS_TEST_DATA, else the tree's tests/data (the build says where). */
static void keys_load(void)
{
	const char *dir = getenv("QS_TEST_DATA");
	char path[4096], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/colliding-cids.txt", dir && *dir ? dir : QS_TEST_DATA_DIR);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s (set QS_TEST_DATA to the directory holding it)", path,
			   strerror(errno));
	n_keys = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		cr_assert_lt(n_keys, MAX_KEYS, "more than %d keys in %s", MAX_KEYS, path);
		key_parse(&keys[n_keys++], line);
	}
	fclose(f);
	cr_assert_geq(n_keys, 1000, "only %zu keys in %s", n_keys, path);
}

TestSuite(colliding_ids, .init = keys_load);

/*
 * The attack the data stands for: every key has one HASH_JEN value, so
 * one bucket at any table size. If uthash's default changes, the data no
 * longer attacks it and the tests below would pass for nothing.
 */
Test(colliding_ids, collide_in_uthash_default_hash)
{
	unsigned int first, h;

	HASH_JEN(&keys[0], sizeof(keys[0]), first);
	for (size_t i = 1; i < n_keys; i++) {
		HASH_JEN(&keys[i], sizeof(keys[i]), h);
		cr_assert_eq(h, first, "key %zu: HASH_JEN got %08x want %08x", i, h, first);
	}
}

static int count_put(void *ctx, const struct qs_cid_place *p, __u32 vip_id, __u32 backend_id,
		     __u8 kind)
{
	(void)p, (void)vip_id, (void)backend_id, (void)kind;
	++*(size_t *)ctx;
	return 0;
}

static int count_del(void *ctx, const struct qs_cid_place *p)
{
	(void)ctx, (void)p;
	return 0;
}

/*
 * The registry knows IDs by their place in qs_cidtab, SipHash under the
 * table's key (drawn at random here, as the agent's table draws it), and
 * connections by a keyed hash of their handles.
 */
Test(colliding_ids, registry_chains_stay_short)
{
	size_t puts = 0;
	struct qs_cid_sink sink = {
		.buckets = 555556, .put = count_put, .del = count_del, .ctx = &puts
	};
	struct qs_cidreg *reg;
	unsigned int longest;

	cr_assert_eq(getrandom(sink.key, sizeof(sink.key), 0), (ssize_t)sizeof(sink.key));
	reg = qs_cidreg_new(&sink);

	cr_assert_not_null(reg, "qs_cidreg_new: %s", strerror(errno));
	for (size_t i = 0; i < n_keys; i++) {
		const struct qs_cid_key *k = &keys[i];

		/* a handle each: the connection table gets as many entries */
		cr_assert_eq(qs_cidreg_issue(reg, 1, k->vip_id, k->cid, k->cid_len, i + 1), 0,
			     "issue of key %zu", i);
	}
	cr_assert_eq(qs_cidreg_stats(reg)->issued, n_keys, "issued: got %llu want %zu",
		     (unsigned long long)qs_cidreg_stats(reg)->issued, n_keys);
	cr_assert_eq(puts, n_keys, "map writes: got %zu want %zu", puts, n_keys);
	longest = qs_cidreg_longest_chain(reg);
	cr_assert_leq(longest, SHORT_CHAIN, "longest chain: got %u want at most %d (%zu keys)",
		      longest, SHORT_CHAIN, n_keys);
	qs_cidreg_free(reg);
}

/* Keys of the data that land in the same one of 2^LAYOUT_BITS buckets in a and b. */
static size_t same_buckets(const __u32 *a, const __u32 *b)
{
	const __u32 mask = (1u << LAYOUT_BITS) - 1;
	size_t same = 0;

	for (size_t i = 0; i < n_keys; i++)
		same += (a[i] & mask) == (b[i] & mask);
	return same;
}

/*
 * Two keys, two layouts: what one key's table puts together, another's
 * spreads, so what an attacker learns of one process (by timing it) says
 * nothing of the next. Fixed keys: the assertion is about the hash, not
 * about luck.
 */
Test(colliding_ids, two_keys_two_layouts)
{
	static __u32 ha[MAX_KEYS], hb[MAX_KEYS];
	uint8_t ka[QS_HASH_KEY_LEN], kb[QS_HASH_KEY_LEN];
	size_t same;

	for (int i = 0; i < QS_HASH_KEY_LEN; i++) {
		ka[i] = i;
		kb[i] = 0x80 + i;
	}
	for (size_t i = 0; i < n_keys; i++) {
		ha[i] = qs_hash_bytes_keyed(ka, &keys[i], sizeof(keys[i]));
		hb[i] = qs_hash_bytes_keyed(kb, &keys[i], sizeof(keys[i]));
	}
	same = same_buckets(ha, hb);
	cr_assert_lt(same, n_keys / 100, "keys in the same bucket under both keys: got %zu of %zu",
		     same, n_keys);
}

/* A child's hashes of the data under its own process key, into fd. */
static void child_hashes(int fd)
{
	static __u32 h[MAX_KEYS];

	if (qs_hash_init())
		_exit(2);
	for (size_t i = 0; i < n_keys; i++)
		h[i] = qs_hash_bytes(&keys[i], sizeof(keys[i]));
	_exit(write(fd, h, n_keys * sizeof(h[0])) == (ssize_t)(n_keys * sizeof(h[0])) ? 0 : 3);
}

static void hashes_of_process(__u32 *h)
{
	int fds[2], status;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0, "pipe: %s", strerror(errno));
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		child_hashes(fds[1]);
	}
	close(fds[1]);
	for (size_t got = 0, want = n_keys * sizeof(h[0]); got < want;) {
		ssize_t n = read(fds[0], (char *)h + got, want - got);

		cr_assert_gt(n, 0, "child's hashes: got %zu bytes want %zu", got, want);
		got += n;
	}
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid: %s", strerror(errno));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %d", status);
}

/*
 * Two processes, two keys: each draws its own at its first hash. The
 * test's process has hashed nothing (Criterion runs each test in its
 * own), so each child draws anew.
 */
Test(colliding_ids, two_processes_two_layouts)
{
	static __u32 ha[MAX_KEYS], hb[MAX_KEYS];
	size_t same;

	hashes_of_process(ha);
	hashes_of_process(hb);
	same = same_buckets(ha, hb);
	cr_assert_lt(same, n_keys / 100,
		     "keys in the same bucket in both processes: got %zu of %zu", same, n_keys);
}
