// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The ID registry against a small qs_cidtab in memory (cid_map.h): what
 * backends report must end up in the table exactly, a retire must
 * never remove another backend's ID, a restart must leave nothing stale,
 * and a snapshot must repair lost reports.
 */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "cid_map.h"
#include "router/maps.h"

static struct cid_map map;
static struct qs_cidreg *reg;

static void setup(void)
{
	struct qs_cid_sink sink = cid_map_sink(&map);

	reg = qs_cidreg_new(&sink);
	cr_assert_not_null(reg);
}

static void teardown(void)
{
	qs_cidreg_free(reg);
}

static const __u8 X[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const __u8 Y[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
static const __u8 Z[18] = { 0xab, 0xcd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static __u32 map_backend(__u32 vip, const __u8 *cid, size_t len)
{
	return cid_map_backend(&map, vip, cid, len);
}

static int map_count(void)
{
	return cid_map_count(&map);
}

static void work_all(void)
{
	cid_map_work_all(reg);
}

TestSuite(cidreg, .init = setup, .fini = teardown);

Test(cidreg, issue_writes_an_authoritative_entry)
{
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0x1111), 1);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, Z, sizeof(Z), 7), 0);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 1, "map backend got %u want 1",
		     map_backend(0, Z, sizeof(Z)));
	cr_assert_eq(cid_map_kind(&map, 0, Z, sizeof(Z)), QS_CID_AUTHORITATIVE);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 1);
}

Test(cidreg, duplicate_issue_is_idempotent)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, X, 8, 7), 0);
	cr_assert_eq(map.puts, 1, "puts got %d want 1", map.puts);
	cr_assert_eq(qs_cidreg_stats(reg)->issued_again, 1);
}

Test(cidreg, retire_removes_only_its_own_id)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	cr_assert_eq(qs_cidreg_retire(reg, 2, 0, X, 8), 0);
	cr_assert_eq(map_backend(0, X, 8), 1, "another backend's retire removed the ID");
	cr_assert_eq(qs_cidreg_retire(reg, 1, 0, X, 8), 0);
	cr_assert_eq(map_backend(0, X, 8), 0, "retired ID still in the map");
	cr_assert_eq(qs_cidreg_stats(reg)->retired, 1);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 0);
}

Test(cidreg, same_id_on_another_vip_is_another_entry)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	cr_assert_eq(qs_cidreg_issue(reg, 2, 1, X, 8, 7), 0);
	cr_assert_eq(map_backend(0, X, 8), 1);
	cr_assert_eq(map_backend(1, X, 8), 2);
}

Test(cidreg, retire_before_issue_leaves_nothing)
{
	cr_assert_eq(qs_cidreg_retire(reg, 1, 0, X, 8), 0);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, X, 8, 7), 0);
	cr_assert_eq(map_backend(0, X, 8), 0, "an ID retired before its issue was written");
	cr_assert_eq(qs_cidreg_stats(reg)->issued_after_retire, 1);
	cr_assert_eq(map.puts, 0);
}

/* A tombstone is its incarnation's: the next one's issue of the ID is written. */
Test(cidreg, tombstone_goes_with_its_incarnation)
{
	qs_cidreg_incarnation(reg, 1, 0xa);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 7); /* so that the change purges */
	cr_assert_eq(qs_cidreg_retire(reg, 1, 0, X, 8), 0);
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xb), 1);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, X, 8, 7), 0);
	cr_assert_eq(map_backend(0, X, 8), 1, "the previous incarnation's retire held");
	cr_assert_eq(qs_cidreg_retire(reg, 1, 0, Z, sizeof(Z)), 0);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, Z, sizeof(Z), 7), 0);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 0, "its own retire did not hold");
	work_all();
	cr_assert_eq(map_count(), 1);
}

Test(cidreg, conflicting_issue_is_refused)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	cr_assert_eq(qs_cidreg_issue(reg, 2, 0, X, 8, 9), -EEXIST);
	cr_assert_eq(map_backend(0, X, 8), 1, "conflict moved the ID");
	cr_assert_eq(qs_cidreg_stats(reg)->conflicts, 1);
}

Test(cidreg, new_incarnation_purges_the_old_ids)
{
	qs_cidreg_incarnation(reg, 1, 0xaaaa);
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 8);
	qs_cidreg_incarnation(reg, 2, 0xbbbb);
	qs_cidreg_issue(reg, 2, 0, Z, sizeof(Z), 1);
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xaaaa), 0, "same incarnation purged");
	cr_assert_eq(map_count(), 3);
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xcccc), 1);
	cr_assert_eq(qs_cidreg_stats(reg)->pending, 2);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 1);
	cr_assert_eq(qs_cidreg_owner(reg, 0, Y, 8, &(__u32){ 0 }), -ENOENT,
		     "the registry still holds a purged ID");
	work_all();
	cr_assert_eq(map_backend(0, X, 8), 0, "old incarnation's X left behind");
	cr_assert_eq(map_backend(0, Y, 8), 0, "old incarnation's Y left behind");
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 2, "another backend's ID purged");
	cr_assert_eq(qs_cidreg_stats(reg)->purged, 2);
}

Test(cidreg, close_removes_the_connection_ids)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Z, sizeof(Z), 8);
	cr_assert_eq(qs_cidreg_close(reg, 1, 7), 0);
	cr_assert_eq(map_backend(0, X, 8), 0);
	cr_assert_eq(map_backend(0, Y, 8), 0);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 1, "another connection's ID removed");
}

Test(cidreg, snapshot_repairs_lost_reports)
{
	qs_cidreg_incarnation(reg, 1, 0xaaaa);
	qs_cidreg_issue(reg, 1, 0, X, 8, 7); /* the retire of X was lost */
	/* the issue of Z was lost; Y is live */
	qs_cidreg_issue(reg, 1, 0, Y, 8, 8);
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, 1, 42, 0), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, 1, 42, 0, Y, 8, 8), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, 1, 42, 0, Z, sizeof(Z), 9), 0);
	cr_assert_eq(map_backend(0, X, 8), 1, "removed before the snapshot ended");
	cr_assert_eq(qs_cidreg_snapshot_end(reg, 1, 42, 0), 0);
	work_all();
	cr_assert_eq(map_backend(0, X, 8), 0, "X not in the snapshot but kept");
	cr_assert_eq(map_backend(0, Y, 8), 1);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 1, "lost Z not added");
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_added, 1);
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_removed, 1);
}

Test(cidreg, unfinished_snapshot_removes_nothing)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_snapshot_begin(reg, 1, 1, 0);
	qs_cidreg_snapshot_add(reg, 1, 1, 0, Y, 8, 8);
	/* a new snapshot starts before the first ended: the first is abandoned */
	qs_cidreg_snapshot_begin(reg, 1, 2, 0);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, 1, 1, 0), -ESTALE);
	cr_assert_eq(map_backend(0, X, 8), 1, "an abandoned snapshot removed X");
}

Test(cidreg, issue_during_a_snapshot_survives_its_end)
{
	qs_cidreg_snapshot_begin(reg, 1, 5, 0);
	qs_cidreg_snapshot_add(reg, 1, 5, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 8);
	qs_cidreg_snapshot_end(reg, 1, 5, 0);
	cr_assert_eq(map_backend(0, Y, 8), 1, "ID issued during the snapshot removed");
}

Test(cidreg, failed_map_write_is_not_recorded)
{
	map.fail_puts = 1;
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, X, 8, 7), -ENOSPC);
	cr_assert_eq(qs_cidreg_stats(reg)->sink_errors, 1);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 0);
	/* the next snapshot writes it */
	qs_cidreg_snapshot_begin(reg, 1, 1, 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, 1, 1, 0, X, 8, 7), 0);
	qs_cidreg_snapshot_end(reg, 1, 1, 0);
	cr_assert_eq(map_backend(0, X, 8), 1);
}

Test(cidreg, purge_removes_every_id_of_a_backend)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 7);
	qs_cidreg_issue(reg, 2, 0, Z, sizeof(Z), 7);
	cr_assert_eq(qs_cidreg_purge(reg, 1), 0);
	work_all();
	cr_assert_eq(map_count(), 1, "map entries got %d want 1", map_count());
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 2);
}

Test(cidreg, bad_ids_are_refused)
{
	__u8 long_id[21] = { 0 };
	__u32 owner;

	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, long_id, 21, 7), -EINVAL);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, X, 0, 7), -EINVAL);
	cr_assert_eq(qs_cidreg_issue(reg, 1, QS_MAX_VIPS, X, 8, 7), -EINVAL);
	cr_assert_eq(map.puts, 0);
	cr_assert_eq(qs_cidreg_owner(reg, 0, X, 8, &owner), -ENOENT);
}

/* After an agent restart, map entries are adopted and a retire still works. */
Test(cidreg, adopted_ids_survive_the_first_incarnation_and_retire)
{
	struct qs_cid_place at = cid_map_place(&map, 0, X, 8);

	cr_assert_eq(qs_cidtab_put_at(&map.tab, &at, 0, 1, 0), 0);
	cr_assert_eq(qs_cidreg_adopt(reg, &at, 0, 1), 0);
	cr_assert_eq(map.puts, 0, "adopting wrote the map");
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xa), 1);
	cr_assert_eq(map.dels, 0, "the first incarnation after a restart purged adopted IDs");
	cr_assert_eq(qs_cidreg_retire(reg, 1, 0, X, 8), 0);
	cr_assert_eq(map.dels, 1, "retire of an adopted ID did not reach the map");
	cr_assert_eq(map_backend(0, X, 8), 0, "the retire left the entry");
	cr_assert_eq(qs_cidtab_put_at(&map.tab, &at, 0, 1, 0), 0);
	cr_assert_eq(qs_cidreg_adopt(reg, &at, 0, 1), 0);
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xb), 1);
	work_all();
	cr_assert_eq(map.dels, 2, "a later new incarnation kept an adopted ID");
	cr_assert_eq(map_count(), 0);
}

Test(cidreg, snapshot_of_one_vip_leaves_the_others)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 1, Y, 8, 7);
	qs_cidreg_snapshot_begin(reg, 1, 3, 0);
	qs_cidreg_snapshot_add(reg, 1, 3, 0, X, 8, 7);
	qs_cidreg_snapshot_end(reg, 1, 3, 0);
	cr_assert_eq(map_backend(1, Y, 8), 1, "a snapshot of VIP 0 removed an ID of VIP 1");
	cr_assert_eq(map_backend(0, X, 8), 1);
}

Test(cidreg, retire_during_a_snapshot_stands)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_snapshot_begin(reg, 1, 4, 0);
	qs_cidreg_retire(reg, 1, 0, X, 8);
	/* a later part of the snapshot, taken before the retire, lists X */
	qs_cidreg_snapshot_add(reg, 1, 4, 0, X, 8, 7);
	qs_cidreg_snapshot_end(reg, 1, 4, 0);
	cr_assert_eq(map_backend(0, X, 8), 0, "the snapshot brought back a retired ID");
}

Test(cidreg, aborted_snapshot_removes_nothing)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_snapshot_begin(reg, 1, 6, 0);
	qs_cidreg_snapshot_abort(reg, 1, 0);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, 1, 6, 0), -ESTALE);
	cr_assert_eq(map_backend(0, X, 8), 1);
}

/* A purge reaches the table only through qs_cidreg_work, and leaves nothing. */
Test(cidreg, purge_by_work)
{
	__u8 id[8] = { 0 };

	for (int i = 0; i < 10; i++) {
		id[0] = i;
		cr_assert_eq(qs_cidreg_issue(reg, 1, 0, id, 8, i), 0);
	}
	qs_cidreg_retire(reg, 1, 0, Y, 8); /* a tombstone among them */
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xa), 1);
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xb), 1);
	cr_assert_eq(map.dels, 0, "the purge wrote the table before qs_cidreg_work");
	work_all();
	cr_assert_eq(map.dels, 10, "dels got %d want 10", map.dels);
	cr_assert_eq(map_count(), 0, "entries left %d", map_count());
	cr_assert_eq(qs_cidreg_stats(reg)->purged, 10);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 0);
}

/* A write the table refuses leaves no record: the next issue tries again. */
Test(cidreg, refused_write_leaves_no_record)
{
	map.fail_puts = 1;
	cr_assert_eq(qs_cidreg_issue(reg, 2, 0, Z, sizeof(Z), 1), -ENOSPC);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 0, "a record whose write failed stayed");
	cr_assert_eq(qs_cidreg_stats(reg)->sink_errors, 1);
	cr_assert_eq(qs_cidreg_issue(reg, 2, 0, Z, sizeof(Z), 1), 0);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 2);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 1);
}

/*
 * An operator's entry: no report of any backend removes it (retire, close,
 * snapshot, new incarnation, purge), a backend's issue of it is refused as
 * a conflict; the operator's del and flush do remove it.
 */
Test(cidreg, operator_entry_survives_reports)
{
	__u32 replaced, owner;

	qs_cidreg_incarnation(reg, 1, 0x1111);
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	cr_assert_eq(qs_cidreg_op_set(reg, 0, X, 8, 2, &replaced), 0);
	cr_assert_eq(replaced, 1, "replaced got %u want backend 1", replaced);
	cr_assert_eq(map_backend(0, X, 8), 2);
	cr_assert_eq(cid_map_kind(&map, 0, X, 8), QS_CID_OPERATOR);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 0);
	cr_assert_eq(qs_cidreg_stats(reg)->operator, 1);
	qs_cidreg_retire(reg, 1, 0, X, 8);
	qs_cidreg_close(reg, 1, 7);
	qs_cidreg_retire(reg, 2, 0, X, 8);
	cr_assert_eq(qs_cidreg_issue(reg, 3, 0, X, 8, 1), -EEXIST);
	qs_cidreg_snapshot_begin(reg, 2, 5, 0);
	qs_cidreg_snapshot_end(reg, 2, 5, 0);
	qs_cidreg_incarnation(reg, 1, 0x2222);
	qs_cidreg_incarnation(reg, 2, 0x3333);
	qs_cidreg_purge(reg, 1);
	cr_assert_eq(map_backend(0, X, 8), 2, "a report removed the operator's entry");
	cr_assert_eq(qs_cidreg_owner(reg, 0, X, 8, &owner), 0);
	cr_assert_eq(owner, QS_CIDREG_OPERATOR);
	/* a second add moves it; del removes it */
	cr_assert_eq(qs_cidreg_op_set(reg, 0, X, 8, 3, &replaced), 0);
	cr_assert_eq(replaced, QS_CIDREG_OPERATOR);
	cr_assert_eq(map_backend(0, X, 8), 3);
	cr_assert_eq(qs_cidreg_remove(reg, 0, X, 8, &owner), 0);
	cr_assert_eq(owner, QS_CIDREG_OPERATOR);
	cr_assert_eq(map_count(), 0);
	cr_assert_eq(qs_cidreg_stats(reg)->operator, 0);
	cr_assert_eq(qs_cidreg_remove(reg, 0, X, 8, &owner), -ENOENT);
}

/* flush: by kind, VIP and the backend an entry routes to. */
Test(cidreg, flush_by_kind_vip_and_backend)
{
	__u32 replaced;

	qs_cidreg_incarnation(reg, 1, 0x1111);
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 1, X, 8, 7);
	qs_cidreg_op_set(reg, 0, Y, 8, 1, &replaced);
	qs_cidreg_op_set(reg, 0, Z, sizeof(Z), 2, &replaced);
	cr_assert_eq(qs_cidreg_flush(reg, 1, QS_NO_BACKEND, QS_CIDREG_FLUSH_REPORTED), 1);
	work_all();
	cr_assert_eq(map_backend(1, X, 8), 0);
	cr_assert_eq(map_backend(0, X, 8), 1, "another VIP's ID went");
	cr_assert_eq(qs_cidreg_flush(reg, QS_MAX_VIPS, 1, QS_CIDREG_FLUSH_OPERATOR), 1);
	work_all();
	cr_assert_eq(map_backend(0, Y, 8), 0);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 2, "another backend's entry went");
	cr_assert_eq(qs_cidreg_flush(reg, QS_MAX_VIPS, QS_NO_BACKEND,
				     QS_CIDREG_FLUSH_REPORTED | QS_CIDREG_FLUSH_OPERATOR),
		     2);
	work_all();
	cr_assert_eq(map_count(), 0);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 0);
	/* the backend's incarnation stands: its next issue is no purge */
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0x1111), 0);
}

/* After an agent restart the map's operator entries are adopted as such. */
Test(cidreg, adopted_operator_entry_stays_the_operators)
{
	struct qs_cid_place at = cid_map_place(&map, 0, X, 8);
	__u32 owner;

	cr_assert_eq(qs_cidtab_put_at(&map.tab, &at, 0, 4, 1), 0);
	cr_assert_eq(qs_cidreg_adopt_operator(reg, &at, 0, 4), 0);
	cr_assert_eq(qs_cidreg_issue(reg, 4, 0, X, 8, 1), -EEXIST);
	cr_assert_eq(qs_cidreg_owner(reg, 0, X, 8, &owner), 0);
	cr_assert_eq(owner, QS_CIDREG_OPERATOR);
	cr_assert_eq(qs_cidreg_flush(reg, QS_MAX_VIPS, 4, QS_CIDREG_FLUSH_OPERATOR), 1);
}

/*
 * A purge costs nothing per ID when it is made: the map entries go by
 * qs_cidreg_work, never more per call than its budget, oldest removal
 * first, while the registry forgets the IDs at once.
 */
Test(cidreg, purge_is_bounded_per_call)
{
	__u8 id[8] = { 0 };

	qs_cidreg_incarnation(reg, 1, 0xa);
	for (int i = 0; i < 50; i++) {
		id[0] = i;
		cr_assert_eq(qs_cidreg_issue(reg, 1, 0, id, 8, i), 0);
	}
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0xb), 1);
	cr_assert_eq(map_count(), 50, "the purge deleted before qs_cidreg_work");
	cr_assert_eq(qs_cidreg_stats(reg)->purged, 50);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 0);
	for (int left = 50; left > 0; left -= 20) {
		size_t want = left > 20 ? left - 20 : 0;

		cr_assert_eq(qs_cidreg_work(reg, 20), want, "after a call of 20: got %zu want %zu",
			     qs_cidreg_work(reg, 0), want);
		cr_assert_eq(map_count(), (int)want, "entries got %d want %zu", map_count(), want);
	}
	cr_assert_eq(qs_cidreg_stats(reg)->pending, 0);
	cr_assert_eq(qs_cidreg_work(reg, 20), 0);
}

/*
 * An ID whose purge has not reached the map yet is free: its new
 * incarnation, or another backend, may issue it, and the purge then leaves
 * the new entry alone.
 */
Test(cidreg, purged_id_may_be_issued_before_its_purge_ends)
{
	__u32 owner;

	qs_cidreg_incarnation(reg, 1, 0xa);
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 7);
	qs_cidreg_incarnation(reg, 1, 0xb);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, X, 8, 9), 0);
	cr_assert_eq(qs_cidreg_issue(reg, 2, 0, Y, 8, 9), 0, "a purged ID is still held");
	cr_assert_eq(qs_cidreg_stats(reg)->conflicts, 0);
	work_all();
	cr_assert_eq(map_backend(0, X, 8), 1, "the purge removed the new incarnation's X");
	cr_assert_eq(map_backend(0, Y, 8), 2, "the purge removed backend 2's Y");
	cr_assert_eq(qs_cidreg_owner(reg, 0, Y, 8, &owner), 0);
	cr_assert_eq(owner, 2);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 2);
	cr_assert_eq(qs_cidreg_stats(reg)->pending, 0);
}

/* A backend removed while its purge runs, and added again: nothing mixes. */
Test(cidreg, purge_then_backend_removed)
{
	qs_cidreg_incarnation(reg, 1, 0xa);
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_incarnation(reg, 1, 0xb);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 7);
	cr_assert_eq(qs_cidreg_purge(reg, 1), 0);
	qs_cidreg_issue(reg, 1, 0, Z, sizeof(Z), 7);
	work_all();
	cr_assert_eq(map_count(), 1, "entries got %d want 1", map_count());
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 1);
	cr_assert_eq(qs_cidreg_stats(reg)->purged, 2);
}

/* No place outside the table and no VIP past the last is taken in, not even from the table. */
Test(cidreg, adopt_refuses_places_no_id_can_have)
{
	struct qs_cid_place at = cid_map_place(&map, 0, X, 8);
	__u32 owner;

	cr_assert_eq(qs_cidreg_adopt(reg, &at, QS_MAX_VIPS, 1), -EINVAL);
	at.first = CID_MAP_BUCKETS;
	cr_assert_eq(qs_cidreg_adopt_operator(reg, &at, 0, 1), -EINVAL);
	at = cid_map_place(&map, 0, X, 8);
	at.fp = 0;
	cr_assert_eq(qs_cidreg_adopt(reg, &at, 0, 1), -EINVAL);
	at.fp = 1ull << QS_CIDTAB_FP_BITS;
	cr_assert_eq(qs_cidreg_adopt(reg, &at, 0, 1), -EINVAL);
	cr_assert_eq(qs_cidreg_owner(reg, 0, X, 8, &owner), -ENOENT);
	cr_assert_eq(qs_cidreg_stats(reg)->live + qs_cidreg_stats(reg)->operator, 0);
}

/* A close finds its connection's IDs by handle, also after an ID changed connection. */
Test(cidreg, close_follows_the_handle)
{
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 7);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 9); /* reported again, for connection 9 */
	qs_cidreg_issue(reg, 2, 0, Z, sizeof(Z), 7); /* another backend's connection 7 */
	cr_assert_eq(qs_cidreg_close(reg, 1, 7), 0);
	cr_assert_eq(map_backend(0, X, 8), 0);
	cr_assert_eq(map_backend(0, Y, 8), 1, "an ID of connection 9 went with connection 7");
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 2, "backend 2's connection 7 went");
	cr_assert_eq(qs_cidreg_close(reg, 1, 9), 0);
	cr_assert_eq(map_backend(0, Y, 8), 0);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 1);
}

/*
 * What a snapshot did not list goes by qs_cidreg_work, at most its budget
 * per call, the IDs listed or issued since staying; an ID issued again
 * after the snapshot ended is no longer stale.
 */
Test(cidreg, snapshot_sweep_is_bounded_per_call)
{
	__u8 id[8] = { 0 };
	size_t left;

	for (int i = 0; i < 40; i++) {
		id[0] = i;
		cr_assert_eq(qs_cidreg_issue(reg, 1, 0, id, 8, i), 0);
	}
	qs_cidreg_issue(reg, 1, 1, X, 8, 99); /* another VIP's: no snapshot of it */
	qs_cidreg_snapshot_begin(reg, 1, 5, 0);
	for (int i = 0; i < 10; i++) {
		id[0] = i;
		qs_cidreg_snapshot_add(reg, 1, 5, 0, id, 8, i);
	}
	qs_cidreg_issue(reg, 1, 0, Y, 8, 50); /* issued during the snapshot */
	cr_assert_eq(qs_cidreg_snapshot_end(reg, 1, 5, 0), 0);
	id[0] = 39;
	qs_cidreg_issue(reg, 1, 0, id, 8, 39); /* reported again after it ended */
	cr_assert_eq(map_count(), 42, "the snapshot's end removed IDs before qs_cidreg_work");
	for (int calls = 0; (left = qs_cidreg_work(reg, 7)); calls++) {
		cr_assert_lt(calls, 40, "the sweep does not end");
		cr_assert_geq(map_count(), 42 - 7 * (calls + 1), "more than 7 entries went in a call");
	}
	cr_assert_eq(map_count(), 13, "entries got %d want 13", map_count());
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_removed, 29);
	id[0] = 39;
	cr_assert_eq(map_backend(0, id, 8), 1, "an ID reported after the snapshot was swept");
	cr_assert_eq(map_backend(0, Y, 8), 1, "an ID issued during the snapshot was swept");
	cr_assert_eq(map_backend(1, X, 8), 1, "another VIP's ID was swept");
	id[0] = 10;
	cr_assert_eq(map_backend(0, id, 8), 0);
}

/* A flush of reported IDs is a sweep: counted at once, IDs issued after it stay. */
Test(cidreg, flush_of_reported_ids_spares_later_ones)
{
	qs_cidreg_incarnation(reg, 1, 0x1111);
	qs_cidreg_issue(reg, 1, 0, X, 8, 7);
	qs_cidreg_issue(reg, 1, 1, X, 8, 7);
	cr_assert_eq(qs_cidreg_flush(reg, QS_MAX_VIPS, 1, QS_CIDREG_FLUSH_REPORTED), 2);
	cr_assert_eq(qs_cidreg_stats(reg)->retired, 2);
	qs_cidreg_issue(reg, 1, 0, Y, 8, 8);
	work_all();
	cr_assert_eq(map_backend(0, X, 8), 0);
	cr_assert_eq(map_backend(1, X, 8), 0);
	cr_assert_eq(map_backend(0, Y, 8), 1, "an ID issued after the flush went with it");
	cr_assert_eq(qs_cidreg_stats(reg)->live, 1);
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_removed, 0, "a flush counted as a snapshot");
	cr_assert_eq(qs_cidreg_incarnation(reg, 1, 0x1111), 0, "the flush ended the incarnation");
}

/* Prefetched IDs, issued in another order or not at all, land where their own bytes put them. */
Test(cidreg, prefetch_changes_nothing_but_the_order_of_work)
{
	qs_cidreg_prefetch_begin(reg);
	qs_cidreg_prefetch(reg, 0, X, 8);
	qs_cidreg_prefetch(reg, 1, Y, 8);
	qs_cidreg_prefetch(reg, 0, Z, sizeof(Z));
	cr_assert_eq(map_count(), 0, "a prefetch wrote the table");
	cr_assert_eq(qs_cidreg_issue(reg, 1, 0, Y, 8, 7), 0); /* Y on VIP 0: not the one prefetched */
	cr_assert_eq(qs_cidreg_issue(reg, 2, 0, X, 8, 7), 0);
	cr_assert_eq(qs_cidreg_issue(reg, 1, 1, Y, 8, 7), 0);
	cr_assert_eq(map_backend(0, Y, 8), 1);
	cr_assert_eq(map_backend(0, X, 8), 2);
	cr_assert_eq(map_backend(1, Y, 8), 1);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 0, "a prefetched ID was written");
	cr_assert_eq(map_count(), 3);
	qs_cidreg_prefetch_begin(reg);
	cr_assert_eq(qs_cidreg_issue(reg, 3, 0, Z, sizeof(Z), 7), 0);
	cr_assert_eq(map_backend(0, Z, sizeof(Z)), 3);
}
