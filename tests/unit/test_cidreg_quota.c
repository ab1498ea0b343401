// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Issue 11, a backend's key in the wrong hands against the ID table: the
 * key can report IDs without end, and without a quota it fills qs_cids,
 * after which every other backend's new IDs fail to be written (E2BIG)
 * and their migrated connections stop routing. Each backend may hold its
 * max_ids (cidreg.h): what is past it is refused and counted, and another
 * backend's IDs are written and touched as if nothing happened.
 *
 * The map is cid_map.h's stand-in, full at TABLE entries as a BPF hash map
 * is (a put of a new key fails with -E2BIG): the tests fail without the
 * quota because A's flood fills it and B's issues then fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <criterion/criterion.h>
#include "cid_map.h"
#include "ids/intake.h"
#include "router/maps.h"

#define A 1 /* its key in the wrong hands */
#define B 2
#define TABLE 48 /* the map's size */
#define QUOTA_A 12
#define B_IDS 30 /* what B needs: it fits beside A's quota, not beside a full map */

static struct cid_map map;
static struct qs_cidreg *reg;

static void setup(void)
{
	struct qs_cid_sink sink = cid_map_sink(&map);

	map.cap = TABLE;
	reg = qs_cidreg_new(&sink);
	cr_assert_not_null(reg);
	cr_assert_eq(qs_cidreg_incarnation(reg, A, 0xa), 1);
	cr_assert_eq(qs_cidreg_incarnation(reg, B, 0xb), 1);
	cr_assert_eq(qs_cidreg_set_max_ids(reg, A, QUOTA_A), 0);
}

static void teardown(void)
{
	qs_cidreg_free(reg);
}

TestSuite(cidreg_quota, .init = setup, .fini = teardown);

/* The i-th ID of a series: tag, then i. */
static const __u8 *id_of(__u8 tag, __u32 i)
{
	static __u8 ids[4][8];
	static int next;
	__u8 *id = ids[next++ & 3];

	memset(id, 0, 8);
	id[0] = tag;
	memcpy(id + 4, &i, sizeof(i));
	return id;
}

static __u32 routes(__u8 tag, __u32 i)
{
	return cid_map_backend(&map, 0, id_of(tag, i), 8);
}

static const struct qs_cidreg_quota *quota(__u32 backend)
{
	const struct qs_cidreg_quota *q = qs_cidreg_quota(reg, backend);

	cr_assert_not_null(q);
	return q;
}

/* Backend be issues IDs tag/from.. of n connections (handle: the ID's number). */
static void issue_all(__u32 be, __u8 tag, __u32 from, __u32 n, int want)
{
	for (__u32 i = from; i < from + n; i++) {
		int got = qs_cidreg_issue(reg, be, 0, id_of(tag, i), 8, i);

		cr_assert_eq(got, want, "backend %u, ID %02x/%u: got %d want %d", be, tag, i, got,
			     want);
	}
}

/* B's IDs are all written and route to B: A's flood took nothing of theirs. */
static void b_whole(__u32 n)
{
	for (__u32 i = 0; i < n; i++)
		cr_assert_eq(routes(0xb0, i), B, "B's ID %u routes to %u, want B", i,
			     routes(0xb0, i));
	cr_assert_eq(quota(B)->ids, n, "B holds %u IDs, want %u", quota(B)->ids, n);
	cr_assert_eq(quota(B)->over_quota, 0, "B was refused %llu IDs",
		     (unsigned long long)quota(B)->over_quota);
	cr_assert_eq(qs_cidreg_stats(reg)->sink_errors, 0, "got %llu failed map writes want 0",
		     (unsigned long long)qs_cidreg_stats(reg)->sink_errors);
}

Test(cidreg_quota, default_is_a_quarter_of_the_table)
{
	cr_assert_eq(QS_CIDREG_DEFAULT_MAX_IDS, 524288);
	cr_assert_eq(quota(B)->max_ids, QS_CID_TABLE_SIZE / 4, "got %u want %u", quota(B)->max_ids,
		     QS_CID_TABLE_SIZE / 4);
	cr_assert_eq(quota(A)->max_ids, QUOTA_A);
	cr_assert_eq(qs_cidreg_set_max_ids(reg, QS_MAX_BACKENDS, 1), -EINVAL);
	cr_assert_null(qs_cidreg_quota(reg, QS_CIDREG_OPERATOR), "the operator has a quota");
	/* 0: the backend registers nothing */
	cr_assert_eq(qs_cidreg_set_max_ids(reg, B, 0), 0);
	issue_all(B, 0xb0, 0, 3, -EDQUOT);
	cr_assert_eq(cid_map_count(&map), 0);
}

/*
 * A's key issues a thousand IDs: the first QUOTA_A are written, every
 * other one is refused and counted, as A's; then B's issues are all
 * written, and A's flood did nothing to them.
 */
Test(cidreg_quota, flood_past_the_quota_is_refused_and_the_other_backend_writes_all)
{
	issue_all(A, 0xa0, 0, QUOTA_A, 0);
	issue_all(A, 0xa0, QUOTA_A, 1000 - QUOTA_A, -EDQUOT);
	cr_assert_eq(quota(A)->ids, QUOTA_A);
	cr_assert_eq(quota(A)->over_quota, 1000 - QUOTA_A, "A's refusals: got %llu want %d",
		     (unsigned long long)quota(A)->over_quota, 1000 - QUOTA_A);
	cr_assert_eq(qs_cidreg_stats(reg)->over_quota, 1000 - QUOTA_A);
	cr_assert_eq(qs_cidreg_stats(reg)->issued, QUOTA_A);
	cr_assert_eq(cid_map_count(&map), QUOTA_A, "the map holds %d of A's IDs, want %d",
		     cid_map_count(&map), QUOTA_A);
	for (__u32 i = 0; i < QUOTA_A; i++)
		cr_assert_eq(routes(0xa0, i), A, "A's ID %u within its quota went", i);
	issue_all(B, 0xb0, 0, B_IDS, 0);
	b_whole(B_IDS);
	/* A's flood goes on, and touches nothing of B's: retires and closes included */
	issue_all(A, 0xa1, 0, 50, -EDQUOT);
	for (__u32 i = 0; i < B_IDS; i++) {
		qs_cidreg_retire(reg, A, 0, id_of(0xb0, i), 8);
		qs_cidreg_close(reg, A, i);
	}
	cid_map_work_all(reg);
	b_whole(B_IDS);
	cr_assert_eq(quota(A)->ids, 0, "A's close of its own handles left %u", quota(A)->ids);
}

/* An ID confirmed is no new ID; one retired or closed frees its room at once. */
Test(cidreg_quota, room_comes_back_as_ids_leave)
{
	issue_all(A, 0xa0, 0, QUOTA_A, 0);
	issue_all(A, 0xa0, 0, QUOTA_A, 0); /* issued again: confirmed, not refused */
	cr_assert_eq(quota(A)->over_quota, 0);
	cr_assert_eq(qs_cidreg_stats(reg)->issued_again, QUOTA_A);
	issue_all(A, 0xa1, 0, 1, -EDQUOT);
	cr_assert_eq(qs_cidreg_retire(reg, A, 0, id_of(0xa0, 0), 8), 0);
	cr_assert_eq(quota(A)->ids, QUOTA_A - 1);
	issue_all(A, 0xa1, 0, 1, 0);
	issue_all(A, 0xa1, 1, 1, -EDQUOT);
	cr_assert_eq(qs_cidreg_close(reg, A, 1), 0);
	cr_assert_eq(qs_cidreg_close(reg, A, 2), 0);
	cr_assert_eq(quota(A)->ids, QUOTA_A - 2);
	issue_all(A, 0xa1, 1, 2, 0);
	cr_assert_eq(cid_map_count(&map), QUOTA_A);
	cr_assert_eq(routes(0xa1, 2), A);
}

/*
 * IDs removed in bulk (a new incarnation, the backend's removal) count
 * until their map entries are deleted: a key that restarts its backend
 * over and over, each incarnation flooding, never holds more than its
 * quota of the map, however far the paced deletions lag.
 */
Test(cidreg_quota, removed_ids_count_until_their_entries_are_deleted)
{
	for (__u64 inc = 0xa1; inc < 0xa1 + 20; inc++) {
		cr_assert_eq(qs_cidreg_incarnation(reg, A, inc), 1);
		for (__u32 i = 0; i < 100; i++)
			qs_cidreg_issue(reg, A, 0, id_of((__u8)(0x40 + inc - 0xa1), i), 8, i);
		cr_assert_leq(cid_map_count(&map), QUOTA_A,
			      "incarnation %llx: A has %d entries in the map, its quota is %d",
			      (unsigned long long)inc, cid_map_count(&map), QUOTA_A);
		cr_assert_eq(quota(A)->ids, cid_map_count(&map));
		qs_cidreg_work(reg, 3); /* deletions lag behind */
	}
	issue_all(B, 0xb0, 0, B_IDS, 0);
	b_whole(B_IDS);
	cid_map_work_all(reg);
	cr_assert_eq(quota(A)->ids, cid_map_count(&map) - B_IDS);
	/* a backend removed: its IDs count until deleted, then it starts from none */
	cr_assert_eq(qs_cidreg_purge(reg, A), 0);
	cr_assert_eq(quota(A)->ids, cid_map_count(&map) - B_IDS);
	cid_map_work_all(reg);
	cr_assert_eq(quota(A)->ids, 0);
	cr_assert_eq(qs_cidreg_incarnation(reg, A, 0xaa), 1);
	issue_all(A, 0xa0, 0, QUOTA_A, 0);
}

/*
 * A snapshot adds what fits and refuses the rest, counted alike. The IDs
 * it no longer lists count until its end has removed them, so a snapshot
 * that replaces a full quota's IDs with others adds them only the next
 * time: the price of never holding more than the quota.
 */
Test(cidreg_quota, snapshot_past_the_quota)
{
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, A, 1, 0), 0);
	for (__u32 i = 0; i < 20; i++)
		cr_assert_eq(qs_cidreg_snapshot_add(reg, A, 1, 0, id_of(0xa0, i), 8, i),
			     i < QUOTA_A ? 0 : -EDQUOT, "listed ID %u", i);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, A, 1, 0), 0);
	cid_map_work_all(reg);
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_added, QUOTA_A);
	cr_assert_eq(quota(A)->over_quota, 20 - QUOTA_A);
	cr_assert_eq(cid_map_count(&map), QUOTA_A);
	issue_all(B, 0xb0, 0, B_IDS, 0);
	/* another QUOTA_A IDs in place of these */
	for (__u32 sid = 2; sid <= 3; sid++) {
		cr_assert_eq(qs_cidreg_snapshot_begin(reg, A, sid, 0), 0);
		for (__u32 i = 0; i < QUOTA_A; i++)
			cr_assert_eq(qs_cidreg_snapshot_add(reg, A, sid, 0, id_of(0xa1, i), 8, i),
				     sid == 2 ? -EDQUOT : 0, "snapshot %u, listed ID %u", sid, i);
		cr_assert_eq(qs_cidreg_snapshot_end(reg, A, sid, 0), 0);
		cid_map_work_all(reg);
	}
	for (__u32 i = 0; i < QUOTA_A; i++) {
		cr_assert_eq(routes(0xa0, i), 0, "ID %u, no longer listed, stayed", i);
		cr_assert_eq(routes(0xa1, i), A, "ID %u, listed twice, is not there", i);
	}
	b_whole(B_IDS);
}

/*
 * A quota lowered below what the backend holds (a reload) removes
 * nothing: its connections route on; it gets no new ID until it is
 * under the new quota. Raised again, it takes new IDs at once.
 */
Test(cidreg_quota, lowered_quota_keeps_what_is_held_and_refuses_new_ids)
{
	issue_all(A, 0xa0, 0, QUOTA_A, 0);
	cr_assert_eq(qs_cidreg_set_max_ids(reg, A, 4), 0);
	for (__u32 i = 0; i < QUOTA_A; i++)
		cr_assert_eq(routes(0xa0, i), A, "ID %u went when the quota was lowered", i);
	cr_assert_eq(quota(A)->ids, QUOTA_A);
	issue_all(A, 0xa1, 0, 1, -EDQUOT);
	issue_all(A, 0xa0, 0, QUOTA_A, 0); /* what it holds is confirmed */
	for (__u32 i = 0; i < QUOTA_A - 4; i++)
		cr_assert_eq(qs_cidreg_retire(reg, A, 0, id_of(0xa0, i), 8), 0);
	cr_assert_eq(quota(A)->ids, 4);
	issue_all(A, 0xa1, 0, 1, -EDQUOT);
	cr_assert_eq(qs_cidreg_retire(reg, A, 0, id_of(0xa0, QUOTA_A - 1), 8), 0);
	issue_all(A, 0xa1, 0, 1, 0);
	issue_all(A, 0xa1, 1, 1, -EDQUOT);
	cr_assert_eq(quota(A)->over_quota, 3);
	cr_assert_eq(qs_cidreg_set_max_ids(reg, A, QUOTA_A), 0);
	issue_all(A, 0xa1, 1, QUOTA_A - 4, 0);
	cr_assert_eq(quota(A)->ids, QUOTA_A);
}

/*
 * The operator's IDs count for no backend, whatever they route to; one
 * that takes a backend's ID over gives that backend its room back.
 */
Test(cidreg_quota, operator_ids_count_for_no_backend)
{
	__u32 replaced;

	for (__u32 i = 0; i < 20; i++)
		cr_assert_eq(qs_cidreg_op_set(reg, 0, id_of(0x0e, i), 8, A, &replaced), 0);
	cr_assert_eq(quota(A)->ids, 0, "the operator's IDs count as A's");
	issue_all(A, 0xa0, 0, QUOTA_A, 0);
	cr_assert_eq(qs_cidreg_op_set(reg, 0, id_of(0xa0, 0), 8, B, &replaced), 0);
	cr_assert_eq(replaced, A);
	cr_assert_eq(quota(A)->ids, QUOTA_A - 1);
	cr_assert_eq(quota(B)->ids, 0);
	issue_all(A, 0xa1, 0, 1, 0);
	cr_assert_eq(qs_cidreg_stats(reg)->operator, 21);
}

/* After an agent restart the map's entries count again, past a quota too: kept. */
Test(cidreg_quota, adopted_ids_count_and_are_kept)
{
	for (__u32 i = 0; i < 20; i++) {
		struct qs_cid_place at = cid_map_place(&map, 0, id_of(0xa0, i), 8);

		cr_assert_eq(qs_cidtab_put_at(&map.tab, &at, 0, A, 0), 0);
		cr_assert_eq(qs_cidreg_adopt(reg, &at, 0, A), 0, "ID %u not taken back", i);
	}
	cr_assert_eq(quota(A)->ids, 20);
	issue_all(A, 0xa1, 0, 1, -EDQUOT);
	for (__u32 i = 0; i < 20; i++) {
		__u32 owner = 0;

		cr_assert_eq(qs_cidreg_owner(reg, 0, id_of(0xa0, i), 8, &owner), 0);
		cr_assert_eq(owner, A);
	}
}

/* A write that fails leaves no count behind. */
Test(cidreg_quota, failed_writes_take_no_room)
{
	cr_assert_eq(qs_cidreg_set_max_ids(reg, A, 3), 0);
	map.fail_puts = 1;
	issue_all(A, 0xa0, 0, 1, -ENOSPC);
	cr_assert_eq(quota(A)->ids, 0);
	issue_all(A, 0xa0, 0, 2, 0);
	map.fail_puts = 1;
	issue_all(A, 0xa0, 2, 1, -ENOSPC);
	cr_assert_eq(quota(A)->ids, 2, "got %u want 2", quota(A)->ids);
	cr_assert_eq(cid_map_count(&map), 2);
	issue_all(A, 0xa1, 0, 1, 0);
	cr_assert_eq(quota(A)->ids, 3);
}

/*
 * The same flood through the intake: full datagrams of A's key, every
 * one authentic, accepted (a refused ID refuses a record, not the
 * datagram); then B's datagram, whose every ID is written.
 */
#define NOW (1700000000ull * 1000000000ull)

static const __u8 key_a[QS_REPORT_KEY_LEN] = { 0xa };
static const __u8 key_b[QS_REPORT_KEY_LEN] = { 0xb };
static struct qs_intake *in;
static __u64 seq; /* the datagrams' sequence number, either backend's */

static int key_of(void *ctx, __u32 id, const __u8 **key)
{
	(void)ctx;
	*key = id == A ? key_a : key_b;
	return id == A || id == B ? 0 : -ENOENT;
}

/* The one VIP, 198.18.0.1:443, is VIP 0. */
#define VIP_ADDR 0xc6120001

static int vip_of(void *ctx, __u32 backend_id, const struct qs_report_endpoint *vip, __u32 *vip_id)
{
	bool ours = vip->family == QS_AF_INET && vip->port == htons(443) &&
		    vip->addr.addr[0] == htonl(VIP_ADDR);

	(void)ctx, (void)backend_id;
	*vip_id = 0;
	return ours ? 0 : -ENOENT;
}

/* One datagram of backend be: IDs tag/from.. as many as fit; returns how many. */
static __u32 send_issues(__u32 be, __u8 tag, __u32 from, __u32 most)
{
	struct qs_report_header h = {
		.incarnation = 0x10 + be, .sequence = ++seq, .timestamp = NOW, .backend_id = be
	};
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM];
	__u32 n = 0;
	int len;

	h.vip.family = QS_AF_INET;
	h.vip.addr.addr[0] = htonl(VIP_ADDR);
	h.vip.port = htons(443);
	cr_assert_eq(qs_report_encoder_init(&enc, buf, sizeof(buf), &h), 0);
	while (n < most && !qs_report_add_cid_issued(&enc, from + n, id_of(tag, from + n), 8))
		n++;
	len = qs_report_finish(&enc, be == A ? key_a : key_b);
	cr_assert_gt(len, 0);
	cr_assert_eq(qs_intake_datagram(in, buf, len, 1000, NOW), QS_REPORT_OK,
		     "backend %u's datagram %llu refused", be, (unsigned long long)seq);
	return n;
}

Test(cidreg_quota, stolen_key_floods_full_datagrams_and_the_other_backend_is_whole)
{
	__u32 sent = 0;

	in = qs_intake_new(reg, key_of, vip_of, NULL);
	cr_assert_not_null(in);

	for (int d = 0; d < 20; d++)
		sent += send_issues(A, 0xa0, sent, 1000);
	cr_assert_gt(sent, 20 * 50, "got %u IDs in 20 datagrams", sent);
	cr_assert_eq(send_issues(B, 0xb0, 0, B_IDS), B_IDS);
	b_whole(B_IDS);
	cr_assert_eq(cid_map_count(&map), QUOTA_A + B_IDS, "A's flood wrote %d entries, want %d",
		     cid_map_count(&map) - B_IDS, QUOTA_A);
	cr_assert_eq(quota(A)->over_quota, sent - QUOTA_A);
	cr_assert_eq(qs_intake_count(in, QS_REPORT_OK), 21);
	qs_intake_free(in);
}
