// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The connection-ID table (include/abi/cidtab.h, userspace/router/cidtab.c)
 * over plain memory, as the agent writes it and the data path reads it:
 * SipHash as libsodium computes it; every ID put is found with its backend
 * at a million IDs, and no ID that was not put is found among 10^8 random
 * ones; the table fills past 90 % before a put is refused, and a refused
 * put changes nothing; deletions keep the rest and the `displaced` counts
 * right; an adversary who knows the key can fill two buckets (9 IDs, one
 * refused), one who does not cannot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <sodium.h>
#include "router/cidtab.h"

static void *mem;
static struct qs_cidtab t;

static __u64 rng = 0x9e3779b97f4a7c15ull;

/* splitmix64: a fixed sequence, so a failure names an ID that can be made again */
static __u64 next64(void)
{
	__u64 z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A random ID of 8..20 bytes on a random VIP, zero-padded as the data path makes keys. */
static void random_key(struct qs_cid_key *k)
{
	__u64 a = next64(), b = next64(), c = next64();

	memset(k, 0, sizeof(*k));
	k->cid_len = 8 + (c % 13);
	k->vip_id = (c >> 8) % QS_MAX_VIPS;
	memcpy(k->cid, &a, 8);
	memcpy(k->cid + 8, &b, 8);
	memcpy(k->cid + 16, &c, 4);
	memset(k->cid + k->cid_len, 0, sizeof(k->cid) - k->cid_len);
}

static void table_new(__u32 buckets)
{
	size_t bytes = (size_t)qs_cidtab_elements(buckets) * sizeof(struct qs_cidtab_bucket);

	mem = aligned_alloc(64, bytes);
	cr_assert_not_null(mem);
	memset(mem, 0, bytes);
	cr_assert_eq(qs_cidtab_mem(&t, mem, buckets), 0);
}

static void teardown(void)
{
	free(mem);
	mem = NULL;
}

TestSuite(cidtab, .fini = teardown);

static __u32 backend_of(__u64 i)
{
	return 1 + i % (QS_MAX_BACKENDS - 1);
}

static void stats_sane(const char *when, __u64 entries)
{
	struct qs_cidtab_stats st;

	qs_cidtab_stats(&t, &st);
	cr_assert_eq(st.entries, entries, "%s: entries got %llu want %llu", when,
		     (unsigned long long)st.entries, (unsigned long long)entries);
	cr_assert_eq(st.displaced_wrong, 0, "%s: %llu buckets' displaced count is wrong", when,
		     (unsigned long long)st.displaced_wrong);
}

/* The n IDs of the sequence that starts at seed, put with backend_of(i). */
static void put_all(__u64 seed, __u64 n, const char *what)
{
	struct qs_cid_key k;

	rng = seed;
	for (__u64 i = 0; i < n; i++) {
		random_key(&k);
		cr_assert_eq(qs_cidtab_put(&t, &k, backend_of(i), 0), 0, "%s: ID %llu refused",
			     what, (unsigned long long)i);
	}
}

/* ... each found with its backend. */
static void all_found(__u64 seed, __u64 n, const char *what)
{
	struct qs_cid_key k;
	__u32 backend;
	__u8 kind;

	rng = seed;
	for (__u64 i = 0; i < n; i++) {
		random_key(&k);
		cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), 0, "%s: ID %llu not found",
			     what, (unsigned long long)i);
		cr_assert_eq(backend, backend_of(i), "%s: ID %llu: backend got %u want %u", what,
			     (unsigned long long)i, backend, backend_of(i));
	}
}

Test(cidtab, siphash_2_4_is_libsodiums)
{
	cr_assert_eq(sodium_init() < 0, 0);
	for (int i = 0; i < 1000; i++) {
		__u64 k[2] = { next64(), next64() },
		      m[4] = { next64(), next64(), next64(), next64() };
		unsigned char out[crypto_shorthash_BYTES];
		__u64 want;

		crypto_shorthash(out, (const unsigned char *)m, sizeof(m),
				 (const unsigned char *)k);
		memcpy(&want, out, sizeof(want)); /* little-endian, as the words are */
		cr_assert_eq(qs_siphash_words(k, m, 4, 2, 4), want,
			     "input %d: got %016llx want %016llx", i,
			     (unsigned long long)qs_siphash_words(k, m, 4, 2, 4),
			     (unsigned long long)want);
	}
}

Test(cidtab, put_get_replace_del)
{
	struct qs_cid_key k, other;
	__u32 backend;
	__u8 kind;

	table_new(256);
	random_key(&k);
	random_key(&other);
	cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), -ENOENT);
	cr_assert_eq(qs_cidtab_put(&t, &k, 7, 0), 0);
	cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), 0);
	cr_assert(backend == 7 && kind == QS_CID_AUTHORITATIVE, "got %u/%u", backend, kind);
	cr_assert_eq(qs_cidtab_put(&t, &k, 4095, 1), 0, "a new backend and kind, in place");
	cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), 0);
	cr_assert(backend == 4095 && kind == QS_CID_OPERATOR, "got %u/%u", backend, kind);
	cr_assert_eq(qs_cidtab_put(&t, &k, QS_MAX_BACKENDS, 0), -ERANGE);
	stats_sane("one ID", 1);
	cr_assert_eq(qs_cidtab_get(&t, &other, &backend, &kind), -ENOENT);
	cr_assert_eq(qs_cidtab_del(&t, &other), -ENOENT);
	k.vip_id ^= 1;
	cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), -ENOENT, "another VIP's ID");
	k.vip_id ^= 1;
	cr_assert_eq(qs_cidtab_del(&t, &k), 0);
	cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), -ENOENT);
	stats_sane("none", 0);
}

/* A table made over memory that holds one keeps its key; another size is refused. */
Test(cidtab, a_table_is_taken_as_it_is)
{
	struct qs_cidtab again;
	struct qs_cid_key k;
	__u32 backend;
	__u8 kind;

	table_new(64);
	random_key(&k);
	cr_assert_eq(qs_cidtab_put(&t, &k, 3, 0), 0);
	cr_assert_eq(qs_cidtab_mem(&again, mem, 64), 0);
	cr_assert_eq(memcmp(again.key, t.key, sizeof(t.key)), 0, "the key was drawn again");
	cr_assert_eq(qs_cidtab_get(&again, &k, &backend, &kind), 0);
	cr_assert_eq(backend, 3);
	cr_assert_eq(qs_cidtab_mem(&again, mem, 63), -EPROTO);
}

#define MILLION 1000000

/*
 * The table at the size the agent makes for 2M entries (555,556 buckets,
 * 2.2M slots) holding a million IDs: every one found with its backend, and
 * 10^8 random IDs that were not put: none found. Also how many IDs live in
 * their second bucket, and how many buckets send misses there.
 */
Test(cidtab, a_million_ids_found_and_1e8_absent_ones_not, .timeout = 600)
{
	struct qs_cidtab_stats st;
	__u64 seed, false_matches = 0;
	struct qs_cid_key k;
	__u32 backend;
	__u8 kind;

	table_new(qs_cidtab_buckets_for(2 * MILLION));
	cr_assert_eq(t.buckets, 555556);
	seed = rng;
	put_all(seed, MILLION, "a million");
	stats_sane("a million", MILLION);
	all_found(seed, MILLION, "a million");
	qs_cidtab_stats(&t, &st);
	cr_log_info("cidtab at 1M IDs in 2.2M slots: %.2f%% of IDs in their second bucket, "
		    "%.2f%% of buckets full, %.2f%% send misses to a second line",
		    100.0 * st.second / st.entries, 100.0 * st.full_buckets / t.buckets,
		    100.0 * st.displaced_buckets / t.buckets);
	rng ^= 0x5555555555555555ull; /* another sequence: IDs that were not put */
	for (__u64 i = 0; i < 100 * MILLION; i++) {
		random_key(&k);
		false_matches += qs_cidtab_get(&t, &k, &backend, &kind) == 0;
	}
	cr_assert_eq(false_matches, 0, "%llu of 10^8 absent IDs found",
		     (unsigned long long)false_matches);
}

/* Fill a small table until a put is refused. Returns how many went in. */
static __u64 fill_until_refused(__u64 seed)
{
	struct qs_cidtab_stats before, after;
	struct qs_cid_key k;
	__u32 backend;
	__u8 kind;
	__u64 n = 0;
	int err;

	rng = seed;
	for (;;) {
		random_key(&k);
		qs_cidtab_stats(&t, &before);
		err = qs_cidtab_put(&t, &k, backend_of(n), 0);
		if (err)
			break;
		n++;
	}
	cr_assert_eq(err, -ENOSPC);
	qs_cidtab_stats(&t, &after);
	cr_assert_eq(memcmp(&before, &after, sizeof(before)), 0, "a refused put changed the table");
	cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), -ENOENT, "the refused ID is there");
	return n;
}

Test(cidtab, fills_past_90_percent_and_a_refused_put_changes_nothing)
{
	__u64 slots, n, seed = 12345;

	table_new(1024);
	slots = (__u64)QS_CIDTAB_SLOTS * t.buckets;
	n = fill_until_refused(seed);
	cr_log_info("cidtab: %llu of %llu slots filled before a put was refused",
		    (unsigned long long)n, (unsigned long long)slots);
	cr_assert_geq(n * 10, slots * 9, "only %llu of %llu slots", (unsigned long long)n,
		      (unsigned long long)slots);
	stats_sane("full", n);
	all_found(seed, n, "moved about");
}

/* 90 % full, half deleted: the rest stay, and the deleted ones go back in. */
Test(cidtab, deletions_keep_the_rest)
{
	__u64 n, seed = 777;
	struct qs_cid_key k;
	__u32 backend;
	__u8 kind;

	table_new(256);
	n = (__u64)QS_CIDTAB_SLOTS * t.buckets * 9 / 10;
	put_all(seed, n, "90 %");
	rng = seed;
	for (__u64 i = 0; i < n; i++) {
		random_key(&k);
		if (i % 2)
			cr_assert_eq(qs_cidtab_del(&t, &k), 0);
	}
	stats_sane("half deleted", n - n / 2);
	rng = seed;
	for (__u64 i = 0; i < n; i++) {
		random_key(&k);
		cr_assert_eq(qs_cidtab_get(&t, &k, &backend, &kind), i % 2 ? -ENOENT : 0, "ID %llu",
			     (unsigned long long)i);
	}
	rng = seed;
	for (__u64 i = 0; i < n; i++) {
		random_key(&k);
		if (i % 2)
			cr_assert_eq(qs_cidtab_put(&t, &k, backend_of(i), 0), 0,
				     "ID %llu refused after the deletions", (unsigned long long)i);
	}
	stats_sane("put again", n);
}

/*
 * With the key, IDs can be chosen that share both buckets (3 and 6): 8
 * fit, the 9th is refused and nothing moves (every ID there can only go where it is).
 * Under another key the same IDs spread like any others.
 */
Test(cidtab, only_the_key_lets_ids_crowd_two_buckets)
{
	struct qs_cid_key crowd[9], k;
	int n = 0;

	table_new(QS_CIDTAB_MIN_BUCKETS);
	while (n < 9) {
		__u64 h;

		random_key(&k);
		h = qs_cidtab_hash(t.key, &k);
		if (qs_cidtab_first(h, t.buckets) == 3 &&
		    qs_cidtab_other(3, qs_cidtab_fp(h), t.buckets) == 6)
			crowd[n++] = k;
	}
	for (int i = 0; i < 8; i++)
		cr_assert_eq(qs_cidtab_put(&t, &crowd[i], 1, 0), 0, "crowd %d refused", i);
	cr_assert_eq(qs_cidtab_put(&t, &crowd[8], 1, 0), -ENOSPC);
	stats_sane("crowded", 8);
	teardown();
	table_new(QS_CIDTAB_MIN_BUCKETS);
	for (int i = 0; i < 9; i++)
		cr_assert_eq(qs_cidtab_put(&t, &crowd[i], 1, 0), 0, "under a fresh key, %d refused",
			     i);
	stats_sane("a fresh key", 9);
}
