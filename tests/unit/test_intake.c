// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Report intake end to end but for the sockets: datagrams built with the
 * encoder, applied to a registry whose sink records the map writes. What a
 * backend reports reaches the table; forged, unknown, replayed, stale and
 * garbage datagrams are refused under their reason and change nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "ids/intake.h"

static const __u8 key1[QS_REPORT_KEY_LEN] = { 1, 1, 1 };
static const __u8 key2[QS_REPORT_KEY_LEN] = { 2, 2, 2 };
static const __u8 X[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const __u8 Y[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };

static int map_puts, map_dels;
static struct qs_cidreg *reg;
static struct qs_intake *in;

static int sink_put(void *ctx, const struct qs_cid_key *k, const struct qs_cid_entry *e)
{
	(void)ctx, (void)k, (void)e;
	map_puts++;
	return 0;
}

static int sink_del(void *ctx, const struct qs_cid_key *k)
{
	(void)ctx, (void)k;
	map_dels++;
	return 0;
}

static int key_of(void *ctx, __u32 id, const __u8 **key)
{
	(void)ctx;
	if (id != 1 && id != 2)
		return -ENOENT;
	*key = id == 1 ? key1 : key2;
	return 0;
}

static int vip_of(void *ctx, __u32 backend_id, const struct qs_report_endpoint *vip, __u32 *vip_id)
{
	(void)ctx, (void)backend_id;
	if (vip->family != QS_AF_INET || vip->addr.addr[0] != htonl(0xc6120064) ||
	    vip->port != htons(443))
		return -ENOENT;
	*vip_id = 0;
	return 0;
}

static void setup(void)
{
	struct qs_cid_sink sink = { .put = sink_put, .del = sink_del };

	map_puts = map_dels = 0;
	reg = qs_cidreg_new(&sink);
	in = qs_intake_new(reg, key_of, vip_of, NULL);
	cr_assert(reg && in);
}

static void teardown(void)
{
	qs_intake_free(in);
	qs_cidreg_free(reg);
}

TestSuite(intake, .init = setup, .fini = teardown);

/* A datagram of backend id, incarnation inc, sequence seq to the VIP. */
struct dgram {
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM];
	int len;
};

static void start(struct dgram *d, __u32 id, __u64 inc, __u64 seq)
{
	struct qs_report_header h = { .incarnation = inc, .sequence = seq, .backend_id = id };

	h.vip.family = QS_AF_INET;
	h.vip.addr.addr[0] = htonl(0xc6120064); /* 198.18.0.100 */
	h.vip.port = htons(443);
	cr_assert_eq(qs_report_encoder_init(&d->enc, d->buf, sizeof(d->buf), &h), 0);
}

static int send_with(struct dgram *d, const __u8 *key)
{
	d->len = qs_report_finish(&d->enc, key);
	cr_assert_gt(d->len, 0);
	return qs_intake_datagram(in, d->buf, d->len, 1000);
}

static __u32 owner(const __u8 *cid)
{
	__u32 be = 0;

	return qs_cidreg_owner(reg, 0, cid, 8, &be) ? 0 : be;
}

static int issue_one(__u32 id, __u64 inc, __u64 seq, const __u8 *cid, const __u8 *key)
{
	struct dgram d;

	start(&d, id, inc, seq);
	qs_report_add_cid_issued(&d.enc, 7, cid, 8);
	return send_with(&d, key);
}

Test(intake, issued_ids_reach_the_table)
{
	cr_assert_eq(issue_one(1, 0xa, 1, X, key1), QS_REPORT_OK);
	cr_assert_eq(owner(X), 1);
	cr_assert_eq(map_puts, 1);
	cr_assert_eq(qs_intake_count(in, QS_REPORT_OK), 1);
	cr_assert_eq(qs_intake_backend(in, 1)->last_seen_ns, 1000);
}

Test(intake, forged_mac_changes_nothing)
{
	cr_assert_eq(issue_one(1, 0xa, 1, X, key2), QS_REPORT_E_BAD_MAC);
	cr_assert_eq(owner(X), 0);
	cr_assert_eq(map_puts, 0);
	cr_assert_eq(qs_intake_count(in, QS_REPORT_E_BAD_MAC), 1);
	cr_assert_null(qs_intake_backend(in, 1), "a forged datagram set the backend's state");
}

Test(intake, unknown_backend_refused)
{
	cr_assert_eq(issue_one(3, 0xa, 1, X, key1), QS_REPORT_E_UNKNOWN_BACKEND);
	cr_assert_eq(map_puts, 0);
}

Test(intake, unknown_vip_refused)
{
	struct dgram d;
	struct qs_report_header h = { .incarnation = 1, .sequence = 1, .backend_id = 1 };

	h.vip.family = QS_AF_INET;
	h.vip.addr.addr[0] = htonl(0xc6120065);
	h.vip.port = htons(443);
	cr_assert_eq(qs_report_encoder_init(&d.enc, d.buf, sizeof(d.buf), &h), 0);
	qs_report_add_cid_issued(&d.enc, 7, X, 8);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_E_UNKNOWN_VIP);
	cr_assert_eq(map_puts, 0);
}

Test(intake, replay_refused)
{
	cr_assert_eq(issue_one(1, 0xa, 5, X, key1), QS_REPORT_OK);
	cr_assert_eq(issue_one(1, 0xa, 5, Y, key1), QS_REPORT_E_REPLAY);
	cr_assert_eq(issue_one(1, 0xa, 4, Y, key1), QS_REPORT_E_REPLAY);
	cr_assert_eq(owner(Y), 0, "a replayed datagram was applied");
	cr_assert_eq(issue_one(1, 0xa, 6, Y, key1), QS_REPORT_OK);
	cr_assert_eq(owner(Y), 1);
}

Test(intake, new_incarnation_purges_and_old_one_is_stale)
{
	cr_assert_eq(issue_one(1, 0xa, 1, X, key1), QS_REPORT_OK);
	cr_assert_eq(issue_one(1, 0xb, 1, Y, key1), QS_REPORT_OK);
	cr_assert_eq(owner(X), 0, "the previous incarnation's ID survived the restart");
	cr_assert_eq(owner(Y), 1);
	cr_assert_eq(issue_one(1, 0xa, 2, X, key1), QS_REPORT_E_STALE_INCARNATION);
	cr_assert_eq(owner(X), 0, "a late datagram of the old process came back");
}

Test(intake, retire_and_issue_in_one_batch)
{
	struct dgram d;

	start(&d, 1, 0xa, 1);
	qs_report_add_cid_retired(&d.enc, X, 8);
	qs_report_add_cid_issued(&d.enc, 7, X, 8);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	cr_assert_eq(owner(X), 0, "additions must be applied before removals");
}

Test(intake, snapshot_over_two_datagrams_repairs)
{
	struct dgram d;

	cr_assert_eq(issue_one(1, 0xa, 1, X, key1), QS_REPORT_OK); /* its retire was lost */
	start(&d, 1, 0xa, 2);
	qs_report_add_snapshot_part(&d.enc, 9, 0, 0);
	qs_report_add_snapshot_cid(&d.enc, 7, Y, 8);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	cr_assert_eq(owner(X), 1, "removed before the snapshot's last part");
	start(&d, 1, 0xa, 3);
	qs_report_add_snapshot_part(&d.enc, 9, 1, QS_REPORT_SNAPSHOT_FINAL);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	cr_assert_eq(owner(X), 1, "removed before the registry's deferred work ran");
	cr_assert_eq(qs_cidreg_work(reg, 100), 0, "the snapshot's sweep did not end");
	cr_assert_eq(owner(X), 0, "the snapshot did not remove the lost retire's ID");
	cr_assert_eq(owner(Y), 1, "the snapshot did not add the lost issue's ID");
}

Test(intake, garbage_is_counted_and_changes_nothing)
{
	__u8 buf[QS_REPORT_MAX_DGRAM + 10];
	__u64 refused = 0;

	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t len = rand() % sizeof(buf);

		for (size_t j = 0; j < len; j++)
			buf[j] = rand();
		cr_assert_neq(qs_intake_datagram(in, buf, len, 1), QS_REPORT_OK);
	}
	for (int r = 1; r < QS_REPORT_NR_REASONS; r++)
		refused += qs_intake_count(in, r);
	cr_assert_eq(refused, 20000);
	cr_assert_eq(map_puts + map_dels, 0);
}

Test(intake, snapshot_part_after_its_ids)
{
	struct dgram d;

	start(&d, 1, 0xa, 1);
	qs_report_add_snapshot_cid(&d.enc, 7, X, 8);
	qs_report_add_snapshot_part(&d.enc, 3, 0, QS_REPORT_SNAPSHOT_FINAL);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	cr_assert_eq(owner(X), 1, "IDs before their SNAPSHOT_PART were dropped");
}

Test(intake, snapshot_with_a_missing_part_removes_nothing)
{
	struct dgram d;

	cr_assert_eq(issue_one(1, 0xa, 1, Y, key1), QS_REPORT_OK);
	start(&d, 1, 0xa, 2);
	qs_report_add_snapshot_part(&d.enc, 4, 0, 0);
	qs_report_add_snapshot_cid(&d.enc, 7, X, 8);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	/* part 1, which listed Y, is lost */
	start(&d, 1, 0xa, 4);
	qs_report_add_snapshot_part(&d.enc, 4, 2, QS_REPORT_SNAPSHOT_FINAL);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	cr_assert_eq(owner(Y), 1, "a snapshot with a gap removed an ID");
}

static struct qs_reporter_state stored;
static int stores;

static void store_state(void *ctx, __u32 backend_id, const struct qs_reporter_state *st)
{
	(void)ctx;
	cr_assert_eq(backend_id, 1);
	stored = *st;
	stores++;
}

/* What the agent keeps in its pin survives a restart: replays stay refused. */
Test(intake, state_kept_and_restored)
{
	struct qs_reporter_state st;

	qs_intake_set_store(in, store_state);
	cr_assert_eq(issue_one(1, 0xa, 5, X, key1), QS_REPORT_OK);
	cr_assert_eq(issue_one(1, 0xb, 1, Y, key1), QS_REPORT_OK);
	cr_assert_eq(stores, 2);
	cr_assert(stored.incarnation == 0xb && stored.sequence == 1 && stored.old[0] == 0xa,
		  "stored incarnation %llx sequence %llu old %llx",
		  (unsigned long long)stored.incarnation, (unsigned long long)stored.sequence,
		  (unsigned long long)stored.old[0]);
	st = stored;
	/* a fresh agent */
	qs_intake_free(in);
	in = qs_intake_new(reg, key_of, vip_of, NULL);
	qs_intake_restore(in, 1, &st, 777000000000ull);
	/* heard from at the restore: no heartbeat timeout has passed yet */
	cr_assert_eq(qs_intake_backend(in, 1)->last_seen_ns, 777000000000ull);
	cr_assert_eq(issue_one(1, 0xb, 1, X, key1), QS_REPORT_E_REPLAY);
	cr_assert_eq(issue_one(1, 0xa, 6, X, key1), QS_REPORT_E_STALE_INCARNATION);
	cr_assert_eq(owner(Y), 1, "restoring purged the current incarnation's ID");
	cr_assert_eq(issue_one(1, 0xb, 2, X, key1), QS_REPORT_OK);
}
