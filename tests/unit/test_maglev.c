// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Maglev fill's guarantees, checked over whole tables: determinism,
 * weighted shares, strictly minimal disruption, empty and invalid input,
 * the diff, and the write into a real BPF array laid out like qs_maglev.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include "router/maglev.h"
#include "abi/abi.h"

#define SIZE QS_MAGLEV_SIZE
#define SHARE_TOLERANCE (SIZE / 100) /* 1 % of the table: 655 slots */
#define SENTINEL 0x5a5a5a5au

static __u32 *table_alloc(void)
{
	__u32 *table = malloc(SIZE * sizeof(*table));

	cr_assert_not_null(table, "malloc of a %u-slot table failed", SIZE);
	return table;
}

/* Spread-out ids, so no test depends on ids being 0..n-1. */
static __u32 member_id(size_t i)
{
	return 5 + 37 * i;
}

static void members_equal(struct qs_maglev_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		m[i].backend_id = member_id(i);
		m[i].weight = 1;
	}
}

/* Unequal weights 1..5, so disruption is also checked with weights. */
static void members_mixed(struct qs_maglev_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		m[i].backend_id = member_id(i);
		m[i].weight = 1 + i % 5;
	}
}

static void build_ok(const struct qs_maglev_member *m, size_t n, __u32 *table)
{
	int err = qs_maglev_build(m, n, table, SIZE);

	cr_assert_eq(err, 0, "qs_maglev_build of %zu members: got %d want 0", n, err);
}

static void tables_equal(const char *what, const __u32 *got, const __u32 *want)
{
	for (__u32 s = 0; s < SIZE; s++)
		cr_assert_eq(got[s], want[s], "%s: slot %u got backend %u want %u", what, s, got[s],
			     want[s]);
}

static size_t slots_of(const __u32 *table, __u32 backend_id)
{
	size_t count = 0;

	for (__u32 s = 0; s < SIZE; s++)
		count += table[s] == backend_id;
	return count;
}

/* Deterministic shuffle: a failing permutation can be reproduced. */
static void shuffle(struct qs_maglev_member *m, size_t n, __u64 seed)
{
	for (size_t i = n; i > 1; i--) {
		struct qs_maglev_member tmp;
		size_t j;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		j = seed % i;
		tmp = m[i - 1];
		m[i - 1] = m[j];
		m[j] = tmp;
	}
}

Test(maglev, same_table_whatever_the_member_order)
{
	struct qs_maglev_member m[50];
	__u32 *want = table_alloc(), *got = table_alloc();
	char what[64];

	members_mixed(m, 50);
	m[7].weight = 0; /* excluded members must not matter either */
	m[31].weight = 0;
	build_ok(m, 50, want);

	build_ok(m, 50, got);
	tables_equal("same order twice", got, want);
	for (size_t i = 0; i < 25; i++) {
		struct qs_maglev_member tmp = m[i];

		m[i] = m[49 - i];
		m[49 - i] = tmp;
	}
	build_ok(m, 50, got);
	tables_equal("reversed order", got, want);
	for (int round = 0; round < 5; round++) {
		shuffle(m, 50, 0x9e3779b97f4a7c15ull + round);
		build_ok(m, 50, got);
		snprintf(what, sizeof(what), "shuffle %d", round);
		tables_equal(what, got, want);
	}
	free(got);
	free(want);
}

/* Scaling every weight by one factor describes the same shares. */
Test(maglev, same_table_for_scaled_weights)
{
	struct qs_maglev_member m[7];
	__u32 *want = table_alloc(), *got = table_alloc();

	members_mixed(m, 7);
	build_ok(m, 7, want);
	for (size_t i = 0; i < 7; i++)
		m[i].weight *= 1000;
	build_ok(m, 7, got);
	tables_equal("weights x1000", got, want);
	free(got);
	free(want);
}

/*
 * Pins the fill itself: balancers of two releases must build the same
 * table during a rolling upgrade. If this fails the fill changed, and the
 * change needs a migration plan, not a new constant.
 */
Test(maglev, fill_is_pinned)
{
	struct qs_maglev_member m[] = {
		{ .backend_id = 1, .weight = 1 },     { .backend_id = 2, .weight = 2 },
		{ .backend_id = 3, .weight = 3 },     { .backend_id = 40, .weight = 4 },
		{ .backend_id = 4095, .weight = 10 },
	};
	const __u64 want_fnv = 0x8f2bc9fadf52b743ull;
	__u32 *table = table_alloc();
	__u64 fnv = 0xcbf29ce484222325ull;

	build_ok(m, 5, table);
	/* FNV-1a over the values, not the bytes: the same on any endianness. */
	for (__u32 s = 0; s < SIZE; s++) {
		fnv ^= table[s];
		fnv *= 0x100000001b3ull;
	}
	cr_assert_eq(fnv, want_fnv, "table checksum: got 0x%016llx want 0x%016llx",
		     (unsigned long long)fnv, (unsigned long long)want_fnv);
	free(table);
}

struct share_case {
	const char *name;
	size_t n;
	__u32 weights[64];
	int equal; /* all weights 1, weights[] unused */
};

static void check_shares(const struct share_case *c)
{
	struct qs_maglev_member m[64];
	__u32 *table = table_alloc();
	__u64 total = 0;
	size_t assigned = 0;

	for (size_t i = 0; i < c->n; i++) {
		m[i].backend_id = member_id(i);
		m[i].weight = c->equal ? 1 : c->weights[i];
		total += m[i].weight;
	}
	build_ok(m, c->n, table);
	for (size_t i = 0; i < c->n; i++) {
		size_t got = slots_of(table, m[i].backend_id);
		__u64 want = (__u64)SIZE * m[i].weight / total;
		__u64 off = got > want ? got - want : want - got;

		cr_expect(off <= SHARE_TOLERANCE,
			  "%s: backend %u (weight %u) got %zu slots want %llu +- %u", c->name,
			  m[i].backend_id, m[i].weight, got, (unsigned long long)want,
			  SHARE_TOLERANCE);
		assigned += got;
	}
	cr_expect_eq(assigned, SIZE, "%s: slots held by members: got %zu want %u", c->name,
		     assigned, SIZE);
	free(table);
}

Test(maglev, shares_follow_weights)
{
	static const struct share_case cases[] = {
		{ .name = "one backend", .n = 1, .equal = 1 },
		{ .name = "3 equal", .n = 3, .equal = 1 },
		{ .name = "7 equal", .n = 7, .equal = 1 },
		{ .name = "50 equal", .n = 50, .equal = 1 },
		{ .name = "weights 1,2,3,4,10", .n = 5, .weights = { 1, 2, 3, 4, 10 } },
		{ .name = "weights 1,100", .n = 2, .weights = { 1, 100 } },
		{ .name = "weights 65535 x3, 1", .n = 4, .weights = { 65535, 65535, 65535, 1 } },
		{ .name = "weights 4e9, 1e9", .n = 2, .weights = { 4000000000u, 1000000000u } },
		{ .name = "12 mixed", .n = 12, .weights = { 5, 1, 9, 3, 3, 7, 2, 8, 1, 6, 4, 10 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_shares(&cases[i]);
}

Test(maglev, zero_weight_members_get_no_slot)
{
	struct qs_maglev_member m[] = {
		{ .backend_id = 1, .weight = 0 },
		{ .backend_id = 2, .weight = 3 },
		{ .backend_id = 3, .weight = 0 },
	};
	__u32 *table = table_alloc();

	build_ok(m, 3, table);
	for (__u32 s = 0; s < SIZE; s++)
		cr_assert_eq(table[s], 2, "slot %u: got backend %u want 2", s, table[s]);
	free(table);
}

Test(maglev, no_weight_means_no_backend)
{
	struct qs_maglev_member m[] = {
		{ .backend_id = 1, .weight = 0 },
		{ .backend_id = 2, .weight = 0 },
	};
	__u32 *table = table_alloc();
	int err;

	build_ok(m, 2, table);
	for (__u32 s = 0; s < SIZE; s++)
		cr_assert_eq(table[s], QS_NO_BACKEND, "all weights 0, slot %u: got %u want %u", s,
			     table[s], QS_NO_BACKEND);

	memset(table, 0, SIZE * sizeof(*table));
	err = qs_maglev_build(NULL, 0, table, SIZE);
	cr_assert_eq(err, 0, "no members: got %d want 0", err);
	for (__u32 s = 0; s < SIZE; s++)
		cr_assert_eq(table[s], QS_NO_BACKEND, "no members, slot %u: got %u want %u", s,
			     table[s], QS_NO_BACKEND);
	free(table);
}

/*
 * Removing (or draining) one member: its slots go to survivors, every
 * other slot stays exactly where it was.
 */
static void check_removal(const struct qs_maglev_member *all, size_t n, size_t gone, int drain)
{
	struct qs_maglev_member m[64];
	__u32 *before = table_alloc(), *after = table_alloc();
	__u32 gone_id = all[gone].backend_id;
	size_t k = 0, moved = 0;

	for (size_t i = 0; i < n; i++) {
		if (i != gone || drain)
			m[k++] = all[i];
		if (i == gone && drain)
			m[k - 1].weight = 0;
	}
	build_ok(all, n, before);
	build_ok(m, k, after);
	for (__u32 s = 0; s < SIZE; s++) {
		if (before[s] != gone_id) {
			cr_assert_eq(after[s], before[s],
				     "n=%zu %s %u: slot %u moved, got backend %u want %u", n,
				     drain ? "drain" : "remove", gone_id, s, after[s], before[s]);
			continue;
		}
		moved++;
		cr_assert(after[s] != gone_id && after[s] != QS_NO_BACKEND,
			  "n=%zu %s %u: slot %u got backend %u want a survivor", n,
			  drain ? "drain" : "remove", gone_id, s, after[s]);
	}
	cr_assert(moved > 0, "n=%zu: slots of backend %u got 0 want > 0", n, gone_id);
	free(after);
	free(before);
}

Test(maglev, removal_moves_only_its_slots)
{
	static const size_t sizes[] = { 2, 3, 5, 10, 50 };
	struct qs_maglev_member m[64];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		members_mixed(m, n);
		check_removal(m, n, 0, 0);
		check_removal(m, n, n / 2, 0);
		check_removal(m, n, n - 1, 0);
	}
	members_equal(m, 4);
	for (size_t gone = 0; gone < 4; gone++)
		check_removal(m, 4, gone, 0);
}

Test(maglev, drain_moves_only_its_slots)
{
	static const size_t sizes[] = { 2, 3, 7, 50 };
	struct qs_maglev_member m[64];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		members_mixed(m, n);
		check_removal(m, n, 0, 1);
		check_removal(m, n, n - 1, 1);
	}
}

Test(maglev, drain_equals_removal)
{
	struct qs_maglev_member m[10];
	__u32 *removed = table_alloc(), *drained = table_alloc();

	members_mixed(m, 10);
	build_ok(m, 9, removed); /* without the last member */
	m[9].weight = 0;
	build_ok(m, 10, drained);
	tables_equal("drained vs removed", drained, removed);
	free(drained);
	free(removed);
}

/* Adding one member: it takes slots, no slot moves between old members. */
Test(maglev, addition_only_takes_slots)
{
	static const size_t sizes[] = { 1, 2, 4, 9, 49 };
	struct qs_maglev_member m[64];
	__u32 *before = table_alloc(), *after = table_alloc();

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		__u32 new_id;
		size_t taken = 0;

		members_mixed(m, n + 1);
		new_id = m[n].backend_id;
		build_ok(m, n, before);
		build_ok(m, n + 1, after);
		for (__u32 s = 0; s < SIZE; s++) {
			if (after[s] == new_id) {
				taken++;
				continue;
			}
			cr_assert_eq(after[s], before[s],
				     "n=%zu add %u: slot %u moved, got backend %u want %u", n,
				     new_id, s, after[s], before[s]);
		}
		cr_assert(taken > 0, "n=%zu add %u: slots taken got 0 want > 0", n, new_id);
	}
	free(after);
	free(before);
}

/* A weight change moves slots to or from that member only. */
Test(maglev, weight_change_moves_only_its_slots)
{
	struct qs_maglev_member m[8];
	__u32 *base = table_alloc(), *raised = table_alloc(), *lowered = table_alloc();
	__u32 id;

	members_mixed(m, 8);
	id = m[3].backend_id;
	build_ok(m, 8, base);
	m[3].weight *= 3;
	build_ok(m, 8, raised);
	m[3].weight = 1;
	build_ok(m, 8, lowered);
	for (__u32 s = 0; s < SIZE; s++) {
		cr_assert(raised[s] == base[s] || raised[s] == id,
			  "raise %u: slot %u got backend %u want %u or %u", id, s, raised[s],
			  base[s], id);
		cr_assert(lowered[s] == base[s] || base[s] == id,
			  "lower %u: slot %u got backend %u want %u (only %u's slots move)", id, s,
			  lowered[s], base[s], id);
	}
	cr_assert_neq(memcmp(base, raised, SIZE * sizeof(*base)), 0,
		      "raise %u: got an unchanged table want some slots taken", id);
	free(lowered);
	free(raised);
	free(base);
}

/* Every rejected call must leave the table exactly as it was. */
Test(maglev, rejects_invalid_input)
{
	static const __u32 bad_sizes[] = { 0, 1, 4, 9, 65535, 65536, 4294967295u };
	static struct qs_maglev_member many[QS_MAX_BACKENDS + 1];
	struct qs_maglev_member ok[] = {
		{ .backend_id = 1, .weight = 1 },
		{ .backend_id = 2, .weight = 1 },
	};
	struct qs_maglev_member dup[] = {
		{ .backend_id = 7, .weight = 1 },
		{ .backend_id = 8, .weight = 1 },
		{ .backend_id = 7, .weight = 0 },
	};
	struct qs_maglev_member no_backend[] = { { .backend_id = QS_NO_BACKEND, .weight = 1 } };
	struct qs_maglev_member too_big[] = { { .backend_id = QS_MAX_BACKENDS, .weight = 1 } };
	__u32 *table = table_alloc();
	int err;

	for (__u32 s = 0; s < SIZE; s++)
		table[s] = SENTINEL;
	for (size_t i = 0; i <= QS_MAX_BACKENDS; i++) {
		/* 4097 distinct valid ids cannot exist: the count check fires first. */
		many[i].backend_id = i % QS_MAX_BACKENDS;
		many[i].weight = 1;
	}

	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		err = qs_maglev_build(ok, 2, table, bad_sizes[i]);
		cr_assert_eq(err, -EINVAL, "size %u: got %d want %d", bad_sizes[i], err, -EINVAL);
	}
	err = qs_maglev_build(ok, 2, NULL, SIZE);
	cr_assert_eq(err, -EINVAL, "NULL table: got %d want %d", err, -EINVAL);
	err = qs_maglev_build(NULL, 2, table, SIZE);
	cr_assert_eq(err, -EINVAL, "NULL members, n 2: got %d want %d", err, -EINVAL);
	err = qs_maglev_build(dup, 3, table, SIZE);
	cr_assert_eq(err, -EINVAL, "duplicate id 7: got %d want %d", err, -EINVAL);
	err = qs_maglev_build(many, QS_MAX_BACKENDS + 1, table, SIZE);
	cr_assert_eq(err, -EINVAL, "n %d: got %d want %d", QS_MAX_BACKENDS + 1, err, -EINVAL);
	err = qs_maglev_build(no_backend, 1, table, SIZE);
	cr_assert_eq(err, -EINVAL, "id QS_NO_BACKEND: got %d want %d", err, -EINVAL);
	err = qs_maglev_build(too_big, 1, table, SIZE);
	cr_assert_eq(err, -EINVAL, "id %u: got %d want %d", QS_MAX_BACKENDS, err, -EINVAL);

	for (__u32 s = 0; s < SIZE; s++)
		cr_assert_eq(table[s], SENTINEL,
			     "after rejected calls, slot %u: got 0x%x want 0x%x", s, table[s],
			     SENTINEL);
	free(table);
}

/*
 * The limits themselves are valid: every assignable id (1 to
 * QS_MAX_BACKENDS - 1; 0 is QS_NO_BACKEND), tiny primes.
 */
Test(maglev, accepts_limits)
{
	static struct qs_maglev_member many[QS_MAX_BACKENDS - 1];
	static __u32 small[1031]; /* prime, keeps 4095 members fast */
	__u32 two[2];
	int err;

	for (size_t i = 0; i < QS_MAX_BACKENDS - 1; i++) {
		many[i].backend_id = QS_MAX_BACKENDS - 1 - i;
		many[i].weight = 1;
	}
	err = qs_maglev_build(many, QS_MAX_BACKENDS - 1, small, 1031);
	cr_assert_eq(err, 0, "%d members: got %d want 0", QS_MAX_BACKENDS - 1, err);
	for (__u32 s = 0; s < 1031; s++)
		cr_assert(small[s] > 0 && small[s] < QS_MAX_BACKENDS,
			  "slot %u: got backend %u want 1..%d", s, small[s], QS_MAX_BACKENDS - 1);

	err = qs_maglev_build(many, 3, two, 2);
	cr_assert_eq(err, 0, "size 2: got %d want 0", err);
}

Test(maglev, diff_lists_changed_slots)
{
	const __u32 old[] = { 1, 2, 3, 4, 5 };
	const __u32 new[] = { 1, 9, 3, 9, 5 };
	__u32 changed[5] = { 0 };
	size_t count;

	count = qs_maglev_diff(old, new, 5, changed);
	cr_assert_eq(count, 2, "small diff count: got %zu want 2", count);
	cr_assert(changed[0] == 1 && changed[1] == 3, "small diff: got {%u, %u} want {1, 3}",
		  changed[0], changed[1]);

	count = qs_maglev_diff(old, old, 5, changed);
	cr_assert_eq(count, 0, "identical tables: got %zu want 0", count);

	count = qs_maglev_diff(NULL, new, 5, changed);
	cr_assert_eq(count, 5, "old NULL: got %zu want 5", count);
	for (__u32 i = 0; i < 5; i++)
		cr_assert_eq(changed[i], i, "old NULL, entry %u: got %u want %u", i, changed[i], i);

	count = qs_maglev_diff(old, new, 5, NULL);
	cr_assert_eq(count, 2, "changed NULL (count only): got %zu want 2", count);
}

/* On real tables: the diff of a removal is exactly the removed slots. */
Test(maglev, diff_of_removal_is_its_slots)
{
	struct qs_maglev_member m[10];
	__u32 *before = table_alloc(), *after = table_alloc(), *changed = table_alloc();
	size_t count, want;

	members_mixed(m, 10);
	build_ok(m, 10, before);
	build_ok(m, 9, after);
	want = slots_of(before, m[9].backend_id);
	count = qs_maglev_diff(before, after, SIZE, changed);
	cr_assert_eq(count, want, "changed slots: got %zu want %zu", count, want);
	for (size_t i = 0; i < count; i++) {
		cr_assert(i == 0 || changed[i] > changed[i - 1],
			  "entry %zu: got slot %u after %u want ascending", i, changed[i],
			  i ? changed[i - 1] : 0);
		cr_assert_eq(before[changed[i]], m[9].backend_id,
			     "changed slot %u: got old backend %u want %u", changed[i],
			     before[changed[i]], m[9].backend_id);
	}
	free(changed);
	free(after);
	free(before);
}

static void map_row_equals(int fd, __u32 vip_id, const __u32 *want, const char *what)
{
	for (__u32 s = 0; s < SIZE; s++) {
		__u32 key = vip_id * SIZE + s, value;
		int err = bpf_map_lookup_elem(fd, &key, &value);

		cr_assert_eq(err, 0, "%s: lookup of key %u: got %d want 0", what, key, -errno);
		cr_assert_eq(value, want[s], "%s: row %u slot %u got backend %u want %u", what,
			     vip_id, s, value, want[s]);
	}
}

static __u32 map_get(int fd, __u32 key)
{
	__u32 value;
	int err = bpf_map_lookup_elem(fd, &key, &value);

	cr_assert_eq(err, 0, "lookup of key %u: got %d want 0", key, -errno);
	return value;
}

/*
 * Needs CAP_BPF: fails loudly without it. The map has the full qs_maglev
 * shape, so neighbouring rows show a write that strays out of its row.
 */
Test(maglev, write_updates_changed_slots_only)
{
	const __u32 vip_id = 3, marker = 0xabcdef;
	struct qs_maglev_member m[6];
	__u32 *first = table_alloc(), *second = table_alloc();
	__u32 untouched = SIZE, key;
	size_t want;
	int fd, n;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "qs_maglev_test", sizeof(__u32), sizeof(__u32),
			    QS_MAX_VIPS * QS_MAGLEV_SIZE, NULL);
	cr_assert(fd >= 0, "bpf_map_create: got %d want a map fd (needs root or CAP_BPF)", -errno);

	members_mixed(m, 6);
	build_ok(m, 6, first);
	n = qs_maglev_write(fd, vip_id, NULL, first, SIZE);
	cr_assert_eq(n, SIZE, "first write: got %d slots want %u", n, SIZE);
	map_row_equals(fd, vip_id, first, "after first write");
	cr_assert_eq(map_get(fd, vip_id * SIZE - 1), 0, "last slot of row %u: got %u want 0",
		     vip_id - 1, map_get(fd, vip_id * SIZE - 1));
	cr_assert_eq(map_get(fd, (vip_id + 1) * SIZE), 0, "first slot of row %u: got %u want 0",
		     vip_id + 1, map_get(fd, (vip_id + 1) * SIZE));

	m[2].weight = 0; /* drain one */
	build_ok(m, 6, second);
	want = qs_maglev_diff(first, second, SIZE, NULL);
	cr_assert(want > 0 && want < SIZE, "slots changed by a drain: got %zu want 1..%u", want,
		  SIZE - 1);

	/* A slot the second write must skip: if it is rewritten, the marker goes. */
	for (__u32 s = 0; s < SIZE && untouched == SIZE; s++)
		if (first[s] == second[s])
			untouched = s;
	key = vip_id * SIZE + untouched;
	cr_assert_eq(bpf_map_update_elem(fd, &key, &marker, BPF_ANY), 0, "marker write: got %d",
		     -errno);

	n = qs_maglev_write(fd, vip_id, first, second, SIZE);
	cr_assert_eq(n, (int)want, "second write: got %d slots want %zu", n, want);
	cr_assert_eq(map_get(fd, key), marker, "unchanged slot %u: got %u want marker %u",
		     untouched, map_get(fd, key), marker);
	second[untouched] = marker;
	map_row_equals(fd, vip_id, second, "after second write");

	n = qs_maglev_write(fd, vip_id, second, second, SIZE);
	cr_assert_eq(n, 0, "write of an unchanged table: got %d want 0", n);

	n = qs_maglev_write(fd, QS_MAX_VIPS, NULL, second, SIZE);
	cr_assert_eq(n, -EINVAL, "vip_id %d: got %d want %d", QS_MAX_VIPS, n, -EINVAL);
	n = qs_maglev_write(fd, vip_id, NULL, second, 1031);
	cr_assert_eq(n, -EINVAL, "size 1031: got %d want %d", n, -EINVAL);
	n = qs_maglev_write(fd, vip_id, NULL, NULL, SIZE);
	cr_assert_eq(n, -EINVAL, "NULL table: got %d want %d", n, -EINVAL);

	close(fd);
	free(second);
	free(first);
}
