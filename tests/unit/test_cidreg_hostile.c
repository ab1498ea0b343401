// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Issue 11 against the ID registry: "everything from the wire is hostile,
 * and so is a backend's key in the wrong hands: one backend must never
 * affect another's connections." Each test is an attack reproduced and
 * named for it, asserted on the map the registry writes: what backend B's
 * reports (B: 2, its key in the wrong hands) can do to backend A's IDs (A:
 * 1), attack 5; A's snapshots of several VIPs at once, each of which must
 * repair its own VIP, attack 10.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "cid_map.h"
#include "ids/intake.h"

#define A 1
#define B 2

static struct cid_map map;
static struct qs_cidreg *reg;

static void setup(void)
{
	struct qs_cid_sink sink = cid_map_sink(&map);

	reg = qs_cidreg_new(&sink);
	cr_assert_not_null(reg);
	cr_assert_eq(qs_cidreg_incarnation(reg, A, 0xa), 1);
	cr_assert_eq(qs_cidreg_incarnation(reg, B, 0xb), 1);
}

static void teardown(void)
{
	qs_cidreg_free(reg);
}

TestSuite(cidreg_hostile, .init = setup, .fini = teardown);

static const __u8 X[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const __u8 Y[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
static const __u8 P[8] = { 0x50, 1 }, Q[8] = { 0x51, 2 };

static __u32 routes(__u32 vip, const __u8 *cid)
{
	return cid_map_backend(&map, vip, cid, 8);
}

static __u32 owner(__u32 vip, const __u8 *cid)
{
	__u32 id = 0;

	return qs_cidreg_owner(reg, vip, cid, 8, &id) ? 0 : id;
}

/*
 * Attack 5a: B retires an ID A has not reported yet. The tombstone that
 * retire leaves (for a retire that overtakes its issue) is B's alone: A's
 * issue of the ID is written, and B's tombstone never makes B its owner.
 */
Test(cidreg_hostile, retire_tombstone_cannot_squat_another_backends_issue)
{
	cr_assert_eq(qs_cidreg_retire(reg, B, 0, X, 8), 0);
	cr_assert_eq(owner(0, X), 0, "B's tombstone makes B the owner of X: got %u want none",
		     owner(0, X));
	cr_assert_eq(qs_cidreg_issue(reg, A, 0, X, 8, 7), 0, "A's issue of X refused");
	cr_assert_eq(routes(0, X), A, "X routes to %u, want A", routes(0, X));
	cr_assert_eq(qs_cidreg_stats(reg)->conflicts, 0);
	/* the tombstone still holds for the backend that wrote it */
	cr_assert_eq(qs_cidreg_retire(reg, A, 0, X, 8), 0);
	cr_assert_eq(qs_cidreg_issue(reg, B, 0, X, 8, 7), 0);
	cr_assert_eq(routes(0, X), 0, "B's issue of an ID B retired was written");
	cr_assert_eq(qs_cidreg_stats(reg)->issued_after_retire, 1);
}

/* Attack 5a, the snapshot path: A's snapshot lists the ID B's tombstone names. */
Test(cidreg_hostile, retire_tombstone_cannot_squat_another_backends_snapshot)
{
	cr_assert_eq(qs_cidreg_retire(reg, B, 0, X, 8), 0);
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, A, 1, 0), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, A, 1, 0, X, 8, 7), 0, "A's snapshot of X refused");
	cr_assert_eq(qs_cidreg_snapshot_end(reg, A, 1, 0), 0);
	cid_map_work_all(reg);
	cr_assert_eq(routes(0, X), A, "X routes to %u, want A", routes(0, X));
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_added, 1);
}

/*
 * Attack 5a, the tombstone of a retire during a snapshot (which stops a
 * later part from bringing the ID back): the ID is free for anyone else.
 */
Test(cidreg_hostile, retire_during_a_snapshot_frees_the_id_for_others)
{
	cr_assert_eq(qs_cidreg_issue(reg, B, 0, X, 8, 7), 0);
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, B, 1, 0), 0);
	cr_assert_eq(qs_cidreg_retire(reg, B, 0, X, 8), 0);
	cr_assert_eq(qs_cidreg_issue(reg, A, 0, X, 8, 9), 0, "A's issue of a retired ID refused");
	cr_assert_eq(routes(0, X), A);
	/* B's later part, taken before its retire, lists X: refused, A keeps it */
	cr_assert_eq(qs_cidreg_snapshot_add(reg, B, 1, 0, X, 8, 7), 0);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, B, 1, 0), 0);
	cid_map_work_all(reg);
	cr_assert_eq(routes(0, X), A, "X routes to %u, want A", routes(0, X));
}

/* One backend's tombstones, however many, leave another's bound alone. */
Test(cidreg_hostile, tombstone_bound_is_per_backend)
{
	__u8 id[8] = { 0xee };

	for (__u32 i = 0; i <= QS_CIDREG_MAX_TOMBS; i++) {
		memcpy(id + 4, &i, sizeof(i));
		cr_assert_eq(qs_cidreg_retire(reg, B, 0, id, 8), 0);
	}
	cr_assert_eq(qs_cidreg_issue(reg, A, 0, X, 8, 7), 0);
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, A, 1, 0), 0);
	cr_assert_eq(qs_cidreg_retire(reg, A, 0, X, 8), 0);
	qs_cidreg_snapshot_add(reg, A, 1, 0, X, 8, 7);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, A, 1, 0), 0);
	cid_map_work_all(reg);
	cr_assert_eq(routes(0, X), 0, "A's retire during its snapshot was not remembered");
}

/*
 * Attack 5b: B issues an ID that A issues a moment later. First claim
 * wins (IDs are the backends' choice), but A's contested claim is refused
 * and counted, and never moves the ID: neither A's issue, nor A's
 * snapshot listing it, nor A's close of the connection A gave it to.
 */
Test(cidreg_hostile, early_issue_holds_and_the_contested_claim_is_refused)
{
	cr_assert_eq(qs_cidreg_issue(reg, B, 0, X, 8, 5), 0);
	cr_assert_eq(qs_cidreg_issue(reg, A, 0, X, 8, 7), -EEXIST);
	cr_assert_eq(qs_cidreg_stats(reg)->conflicts, 1);
	cr_assert_eq(routes(0, X), B, "a contested issue moved X to %u", routes(0, X));
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, A, 1, 0), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, A, 1, 0, X, 8, 7), -EEXIST);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, A, 1, 0), 0);
	cid_map_work_all(reg);
	cr_assert_eq(qs_cidreg_stats(reg)->conflicts, 2);
	cr_assert_eq(routes(0, X), B, "a contested snapshot moved X to %u", routes(0, X));
	cr_assert_eq(qs_cidreg_close(reg, A, 7), 0);
	cr_assert_eq(routes(0, X), B, "A's close removed B's X");
	cr_assert_eq(owner(0, X), B);
	cr_assert_eq(qs_cidreg_stats(reg)->live, 1);
}

/* Attack 5b, the other way: B's snapshot lists an ID A holds. */
Test(cidreg_hostile, snapshot_cannot_take_another_backends_id)
{
	cr_assert_eq(qs_cidreg_issue(reg, A, 0, X, 8, 7), 0);
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, B, 1, 0), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, B, 1, 0, X, 8, 7), -EEXIST);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, B, 1, 0), 0);
	cid_map_work_all(reg);
	cr_assert_eq(routes(0, X), A, "B's snapshot moved X to %u", routes(0, X));
	cr_assert_eq(qs_cidreg_stats(reg)->conflicts, 1);
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_added, 0);
}

/*
 * Everything else B can send about A's IDs: retires, a close of A's
 * handle, an empty snapshot of the VIP, an aborted one, a new incarnation
 * (which purges what B registered), its removal (a purge): A's IDs stay.
 */
Test(cidreg_hostile, no_report_of_one_backend_removes_anothers_ids)
{
	cr_assert_eq(qs_cidreg_issue(reg, A, 0, X, 8, 7), 0);
	cr_assert_eq(qs_cidreg_issue(reg, A, 1, Y, 8, 7), 0);
	cr_assert_eq(qs_cidreg_issue(reg, B, 1, X, 8, 7), 0);
	qs_cidreg_retire(reg, B, 0, X, 8);
	qs_cidreg_retire(reg, B, 1, Y, 8);
	qs_cidreg_close(reg, B, 7);
	qs_cidreg_snapshot_begin(reg, B, 1, 0);
	qs_cidreg_snapshot_end(reg, B, 1, 0);
	qs_cidreg_snapshot_begin(reg, B, 2, 1);
	qs_cidreg_snapshot_abort(reg, B, 1);
	qs_cidreg_incarnation(reg, B, 0xbb);
	qs_cidreg_purge(reg, B);
	cid_map_work_all(reg);
	cr_assert_eq(routes(0, X), A, "A's X on VIP 0 went");
	cr_assert_eq(routes(1, Y), A, "A's Y on VIP 1 went");
	cr_assert_eq(routes(1, X), 0, "B's own X outlived B's close and purge");
	cr_assert_eq(qs_cidreg_stats(reg)->live, 2);
	/* A's own close and snapshot still work */
	cr_assert_eq(qs_cidreg_close(reg, A, 7), 0);
	cr_assert_eq(cid_map_count(&map), 0);
}

/*
 * Attack 10 in the registry: one snapshot in progress per (backend, VIP).
 * A begin on VIP 2 leaves VIP 1's open, a part names its VIP, an abort and
 * an end concern their VIP alone, a retire during VIP 1's stands there.
 */
Test(cidreg_hostile, snapshots_of_two_vips_are_apart)
{
	for (__u32 v = 1; v <= 2; v++)
		cr_assert_eq(qs_cidreg_issue(reg, A, v, X, 8, 7), 0);
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, A, 10, 1), 0);
	cr_assert_eq(qs_cidreg_snapshot_begin(reg, A, 20, 2), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, A, 10, 1, Y, 8, 8), 0, "VIP 1's was discarded");
	cr_assert_eq(qs_cidreg_snapshot_add(reg, A, 20, 2, Y, 8, 8), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, A, 10, 2, P, 8, 8), -ESTALE,
		     "snapshot 10 of VIP 1 took an ID of VIP 2");
	cr_assert_eq(qs_cidreg_retire(reg, A, 1, Y, 8), 0);
	cr_assert_eq(qs_cidreg_snapshot_add(reg, A, 10, 1, Y, 8, 8), 0);
	qs_cidreg_snapshot_abort(reg, A, 1);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, A, 10, 1), -ESTALE);
	cr_assert_eq(qs_cidreg_snapshot_end(reg, A, 20, 2), 0, "VIP 1's abort ended VIP 2's");
	cid_map_work_all(reg);
	cr_assert_eq(routes(1, X), A, "VIP 1's aborted snapshot removed X");
	cr_assert_eq(routes(1, Y), 0, "a part listed an ID retired during its snapshot");
	cr_assert_eq(routes(2, X), 0, "VIP 2's snapshot kept X");
	cr_assert_eq(routes(2, Y), A);
	cr_assert_eq(routes(2, P), 0);
}

/*
 * Attack 10, through the intake: one backend's snapshots of VIP 1 and VIP
 * 2, their parts interleaved in datagrams (as docs/report-protocol.md
 * allows: one snapshot in progress per backend and VIP).
 */
#define NOW (1700000000ull * 1000000000ull) /* the agent's wall clock, and the datagrams' */

static const __u8 key_a[QS_REPORT_KEY_LEN] = { 1, 1, 1 };
static struct qs_intake *in;
static __u64 seq;

static int key_of(void *ctx, __u32 id, const __u8 **key)
{
	(void)ctx;
	*key = key_a;
	return id == A ? 0 : -ENOENT;
}

/* VIP v is 198.18.0.v:443. */
static int vip_of(void *ctx, __u32 backend_id, const struct qs_report_endpoint *vip, __u32 *vip_id)
{
	__u32 addr = ntohl(vip->addr.addr[0]);

	(void)ctx, (void)backend_id;
	if (vip->family != QS_AF_INET || vip->port != htons(443) ||
	    (addr & ~0xffu) != 0xc6120000u || (addr & 0xff) >= QS_MAX_VIPS)
		return -ENOENT;
	*vip_id = addr & 0xff;
	return 0;
}

static void setup_intake(void)
{
	setup();
	in = qs_intake_new(reg, key_of, vip_of, NULL);
	cr_assert_not_null(in);
	seq = 0;
}

static void teardown_intake(void)
{
	qs_intake_free(in);
	teardown();
}

TestSuite(cidreg_hostile_intake, .init = setup_intake, .fini = teardown_intake);

struct dgram {
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM];
};

/* The next datagram of backend A to VIP vip_id. */
static void start(struct dgram *d, __u32 vip_id)
{
	struct qs_report_header h = {
		.incarnation = 0xa, .sequence = ++seq, .timestamp = NOW, .backend_id = A
	};

	h.vip.family = QS_AF_INET;
	h.vip.addr.addr[0] = htonl(0xc6120000u | vip_id);
	h.vip.port = htons(443);
	cr_assert_eq(qs_report_encoder_init(&d->enc, d->buf, sizeof(d->buf), &h), 0);
}

static void send_dgram(struct dgram *d)
{
	int len = qs_report_finish(&d->enc, key_a);

	cr_assert_gt(len, 0);
	cr_assert_eq(qs_intake_datagram(in, d->buf, len, 1000, NOW), QS_REPORT_OK);
}

static void issue_on(__u32 vip_id, const __u8 *cid)
{
	struct dgram d;

	start(&d, vip_id);
	qs_report_add_cid_issued(&d.enc, 7, cid, 8);
	send_dgram(&d);
}

/* Part part of snapshot sid of vip_id, listing cid (if any). */
static void part_on(__u32 vip_id, __u32 sid, __u16 part, int final, const __u8 *cid)
{
	struct dgram d;

	start(&d, vip_id);
	qs_report_add_snapshot_part(&d.enc, sid, part, final ? QS_REPORT_SNAPSHOT_FINAL : 0);
	if (cid)
		qs_report_add_snapshot_cid(&d.enc, 7, cid, 8);
	send_dgram(&d);
}

/*
 * On each VIP, X (its retire was lost) is listed by neither part, P by
 * part 0, Q (its issue was lost) by part 1: each snapshot's end removes
 * its own VIP's X and adds its Q.
 */
Test(cidreg_hostile_intake, interleaved_snapshots_of_two_vips_each_repair_their_own)
{
	issue_on(1, X);
	issue_on(2, X);
	issue_on(1, P);
	issue_on(2, P);
	part_on(1, 10, 0, 0, P);
	part_on(2, 20, 0, 0, P);
	part_on(1, 10, 1, 1, Q);
	part_on(2, 20, 1, 1, Q);
	cid_map_work_all(reg);
	for (__u32 v = 1; v <= 2; v++) {
		cr_assert_eq(routes(v, X), 0, "VIP %u: X, listed by no part, kept", v);
		cr_assert_eq(routes(v, P), A, "VIP %u: P, listed by part 0, went", v);
		cr_assert_eq(routes(v, Q), A, "VIP %u: Q, listed by part 1, not added", v);
	}
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_removed, 2);
	cr_assert_eq(qs_cidreg_stats(reg)->snapshot_added, 2);
}

/* A part of VIP 1's snapshot goes missing: VIP 1 keeps all, VIP 2's snapshot goes on. */
Test(cidreg_hostile_intake, abort_of_one_vips_snapshot_leaves_the_others)
{
	issue_on(1, X);
	issue_on(2, X);
	part_on(1, 10, 0, 0, P);
	part_on(2, 20, 0, 0, P);
	part_on(1, 10, 2, 1, NULL); /* part 1 was lost: VIP 1's snapshot is abandoned */
	part_on(2, 20, 1, 1, Q);
	cid_map_work_all(reg);
	cr_assert_eq(routes(1, X), A, "VIP 1's abandoned snapshot removed X");
	cr_assert_eq(routes(2, X), 0, "VIP 2's snapshot, aborted with VIP 1's, kept X");
	cr_assert_eq(routes(2, P), A);
	cr_assert_eq(routes(2, Q), A, "VIP 2's snapshot, aborted with VIP 1's, did not add Q");
}
