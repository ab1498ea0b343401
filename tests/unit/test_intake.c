// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Report intake end to end but for the sockets: datagrams built with the
 * encoder, applied to a registry whose sink records the map writes. What a
 * backend reports reaches the table; forged, unknown, replayed, stale,
 * untimely and garbage datagrams are refused under their reason and change
 * nothing. The agent's wall clock is NOW unless a test moves it.
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
static const __u8 Z[8] = { 7, 7, 7, 7, 7, 7, 7, 7 };

#define SEC 1000000000ull
#define NOW (1700000000 * SEC) /* the agent's wall clock, unless a test says */
#define WINDOW QS_INTAKE_DEFAULT_WINDOW_NS
static __u64 stamp; /* the timestamp start() writes; NOW at setup */

static int map_puts, map_dels;
static struct qs_cidreg *reg;
static struct qs_intake *in;

static int sink_put(void *ctx, const struct qs_cid_place *p, __u32 vip_id, __u32 backend_id,
		    __u8 kind)
{
	(void)ctx, (void)p, (void)vip_id, (void)backend_id, (void)kind;
	map_puts++;
	return 0;
}

static int sink_del(void *ctx, const struct qs_cid_place *p)
{
	(void)ctx, (void)p;
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
	struct qs_cid_sink sink = { .buckets = 1024, .put = sink_put, .del = sink_del };

	map_puts = map_dels = 0;
	stamp = NOW;
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
	struct qs_report_header h = {
		.incarnation = inc, .sequence = seq, .timestamp = stamp, .backend_id = id
	};

	h.vip.family = QS_AF_INET;
	h.vip.addr.addr[0] = htonl(0xc6120064); /* 198.18.0.100 */
	h.vip.port = htons(443);
	cr_assert_eq(qs_report_encoder_init(&d->enc, d->buf, sizeof(d->buf), &h), 0);
}

static int send_with(struct dgram *d, const __u8 *key)
{
	d->len = qs_report_finish(&d->enc, key);
	cr_assert_gt(d->len, 0);
	return qs_intake_datagram(in, d->buf, d->len, 1000, NOW);
}

/* A datagram finished but kept, as an attacker on the path captures it. */
static void capture(struct dgram *d, __u32 id, __u64 inc, __u64 seq, const __u8 *cid)
{
	start(d, id, inc, seq);
	qs_report_add_cid_issued(&d->enc, 7, cid, 8);
	d->len = qs_report_finish(&d->enc, key1);
	cr_assert_gt(d->len, 0);
}

/* The captured datagram sent again, the agent's clock reading wall. */
static int replay(const struct dgram *d, __u64 wall)
{
	return qs_intake_datagram(in, d->buf, d->len, 2000, wall);
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
	struct qs_report_header h = {
		.incarnation = 1, .sequence = 1, .timestamp = NOW, .backend_id = 1
	};

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
		cr_assert_neq(qs_intake_datagram(in, buf, len, 1, NOW), QS_REPORT_OK);
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
	cr_assert(stored.incarnation == 0xb && stored.sequence == 1 && stored.old[0] == 0xa &&
			  stored.version == QS_REPORT_VERSION,
		  "stored incarnation %llx sequence %llu old %llx version %u",
		  (unsigned long long)stored.incarnation, (unsigned long long)stored.sequence,
		  (unsigned long long)stored.old[0], stored.version);
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

/*
 * Issue 11, item 4: one captured old datagram locked a backend out. With
 * random incarnations the agent could tell an old one only while it was
 * among the last 16 replaced: a datagram 17 restarts old was taken as new,
 * purged the live IDs, brought back its own and made every later datagram
 * of the real backend stale_incarnation. Incarnations are ordered now.
 */
Test(intake, replay_of_an_incarnation_17_restarts_old_is_refused)
{
	struct dgram old;

	capture(&old, 1, 0x100, 1, Z);
	cr_assert_eq(replay(&old, NOW), QS_REPORT_OK); /* its first delivery */
	for (__u64 inc = 0x101; inc <= 0x111; inc++) /* 17 restarts */
		cr_assert_eq(issue_one(1, inc, 1, inc == 0x111 ? X : Y, key1), QS_REPORT_OK);
	cr_assert_eq(owner(Z), 0, "the first restart did not purge Z");
	map_dels = 0;
	cr_assert_eq(replay(&old, NOW), QS_REPORT_E_STALE_INCARNATION,
		     "replay of an incarnation 17 restarts old: want stale_incarnation");
	cr_assert_eq(qs_intake_count(in, QS_REPORT_E_STALE_INCARNATION), 1, "not counted");
	cr_assert_eq(owner(X), 1, "the replay purged the live incarnation's ID");
	cr_assert_eq(owner(Z), 0, "the replay brought back a stale ID");
	cr_assert_eq(map_dels, 0, "the replay deleted from the map");
	cr_assert_eq(qs_intake_backend(in, 1)->incarnation, 0x111, "the live one was replaced");
	cr_assert_eq(issue_one(1, 0x111, 2, Y, key1), QS_REPORT_OK,
		     "the live backend's next datagram refused");
	cr_assert_eq(owner(X), 1);
	cr_assert_eq(owner(Y), 1);
}

/*
 * An agent started afresh (a reboot: no pins) remembers nothing, so only
 * time can tell it a datagram is old: outside the window, refused.
 */
Test(intake, replay_to_a_fresh_intake_outside_the_window_is_refused)
{
	struct dgram old;

	capture(&old, 1, 0xa, 1, X); /* sent at NOW */
	cr_assert_eq(replay(&old, NOW + WINDOW + 1), QS_REPORT_E_STALE_TIMESTAMP,
		     "replay outside the window to a fresh intake: want stale_timestamp");
	cr_assert_eq(qs_intake_count(in, QS_REPORT_E_STALE_TIMESTAMP), 1, "not counted");
	cr_assert_eq(owner(X), 0, "the replayed ID routes");
	cr_assert_null(qs_intake_backend(in, 1), "the replay set the backend's state");
	cr_assert_eq(map_puts + map_dels, 0, "the replay wrote to the map");
	/* the live backend, the same incarnation now, is taken */
	stamp = NOW + WINDOW + 1;
	start(&old, 1, 0xa, 9);
	qs_report_add_cid_issued(&old.enc, 7, Y, 8);
	old.len = qs_report_finish(&old.enc, key1);
	cr_assert_eq(replay(&old, NOW + WINDOW + 1), QS_REPORT_OK, "the live backend refused");
	cr_assert_eq(owner(Y), 1);
}

/*
 * Within the window a fresh agent cannot tell a replay by its time, but an
 * older incarnation stays older: once the live one is taken, a datagram
 * of an earlier one is refused and purges nothing.
 */
Test(intake, replay_within_the_window_of_an_older_incarnation_is_refused)
{
	struct dgram old;

	capture(&old, 1, 0xa, 3, Z); /* never seen by this agent */
	cr_assert_eq(issue_one(1, 0xb, 1, X, key1), QS_REPORT_OK); /* the live one */
	cr_assert_eq(replay(&old, NOW + WINDOW), QS_REPORT_E_STALE_INCARNATION,
		     "older incarnation within the window: want stale_incarnation");
	cr_assert_eq(owner(X), 1, "the live incarnation's ID purged");
	cr_assert_eq(owner(Z), 0, "the older incarnation's ID routes");
	cr_assert_eq(map_dels, 0, "the replay deleted from the map");
	cr_assert_eq(issue_one(1, 0xb, 2, Y, key1), QS_REPORT_OK,
		     "the live backend's next datagram refused");
	cr_assert_eq(owner(X), 1, "the live backend's next datagram purged its own ID");
	cr_assert_eq(owner(Y), 1);
}

/* The live incarnation's own old datagram, replayed within the window: a replay. */
Test(intake, replay_within_the_window_of_the_live_incarnation_is_refused)
{
	struct dgram old;

	capture(&old, 1, 0xb, 1, Z);
	cr_assert_eq(replay(&old, NOW), QS_REPORT_OK);
	cr_assert_eq(issue_one(1, 0xb, 2, X, key1), QS_REPORT_OK);
	start(&old, 1, 0xb, 3);
	qs_report_add_cid_retired(&old.enc, Z, 8);
	cr_assert_eq(send_with(&old, key1), QS_REPORT_OK);
	capture(&old, 1, 0xb, 1, Z);
	cr_assert_eq(replay(&old, NOW + 1), QS_REPORT_E_REPLAY);
	cr_assert_eq(owner(Z), 0, "the replay brought a retired ID back");
	cr_assert_eq(owner(X), 1);
	cr_assert_eq(issue_one(1, 0xb, 4, Y, key1), QS_REPORT_OK);
}

/*
 * A fresh agent that hears the replay of an older incarnation first takes
 * it (nothing says it is old): the live backend's next datagram, at most a
 * heartbeat later, is newer, replaces it and purges what it brought.
 */
Test(intake, older_incarnation_replayed_first_is_replaced_by_the_live_one)
{
	struct dgram old;

	capture(&old, 1, 0xa, 5, Z);
	cr_assert_eq(replay(&old, NOW), QS_REPORT_OK);
	cr_assert_eq(owner(Z), 1);
	cr_assert_eq(issue_one(1, 0xb, 7, X, key1), QS_REPORT_OK, "the live one refused");
	cr_assert_eq(owner(Z), 0, "the replayed incarnation's ID survived the live one");
	cr_assert_eq(owner(X), 1);
	cr_assert_eq(replay(&old, NOW), QS_REPORT_E_STALE_INCARNATION);
	cr_assert_eq(owner(X), 1);
}

/* Both edges of the window, either way. */
Test(intake, window_edges)
{
	struct dgram d;

	capture(&d, 1, 0xa, 1, X);
	cr_assert_eq(replay(&d, NOW - WINDOW - 1), QS_REPORT_E_FUTURE_TIMESTAMP);
	cr_assert_eq(replay(&d, NOW + WINDOW + 1), QS_REPORT_E_STALE_TIMESTAMP);
	cr_assert_null(qs_intake_backend(in, 1));
	cr_assert_eq(replay(&d, NOW - WINDOW), QS_REPORT_OK, "sent a window ahead of the clock");
	capture(&d, 1, 0xa, 2, Y);
	cr_assert_eq(replay(&d, NOW + WINDOW), QS_REPORT_OK, "sent a window ago");
	qs_intake_set_freshness(in, 2 * WINDOW, false);
	capture(&d, 1, 0xa, 3, Z);
	cr_assert_eq(replay(&d, NOW + 2 * WINDOW), QS_REPORT_OK, "the window is the setting's");
	cr_assert_eq(replay(&d, NOW + 2 * WINDOW), QS_REPORT_E_REPLAY);
}

/* A datagram of backend 1 as received at monotonic time mono, the wall clock NOW. */
static int deliver(const struct dgram *d, __u64 mono)
{
	return qs_intake_datagram(in, d->buf, d->len, mono, NOW);
}

/*
 * A backend whose clock stepped back between two processes: the new one's
 * incarnation is the smaller number. It is refused while the live one
 * still reports, and taken once the live one has been silent for longer
 * than the window: no replay is fresh then, unless the live process is
 * gone, and nothing is left to protect. The replaced one never comes back.
 */
Test(intake, older_incarnation_takes_over_a_backend_silent_for_the_window)
{
	struct dgram live, next;

	capture(&live, 1, 0xb, 1, X); /* its clock was ahead */
	cr_assert_eq(deliver(&live, 10 * SEC), QS_REPORT_OK);
	capture(&next, 1, 0xa, 1, Y); /* restarted, the clock stepped back */
	cr_assert_eq(deliver(&next, 10 * SEC + WINDOW), QS_REPORT_E_STALE_INCARNATION,
		     "taken while the live one was heard a window ago");
	cr_assert_eq(owner(X), 1);
	cr_assert_eq(deliver(&next, 10 * SEC + WINDOW + 1), QS_REPORT_OK,
		     "refused though the live one has been silent for longer than the window");
	cr_assert_eq(owner(X), 0, "the silent incarnation's ID stayed");
	cr_assert_eq(owner(Y), 1);
	/* the replaced one, greater though it is, is never taken again */
	capture(&live, 1, 0xb, 2, X);
	cr_assert_eq(deliver(&live, 11 * SEC + WINDOW), QS_REPORT_E_STALE_INCARNATION);
	cr_assert_eq(owner(Y), 1, "a replaced incarnation came back");
	capture(&next, 1, 0xa, 2, Z);
	cr_assert_eq(deliver(&next, 12 * SEC + WINDOW), QS_REPORT_OK);
}

/* A version-1 datagram: its header, as a backend on the old library sends it. */
static void capture_v1(struct dgram *d, __u64 inc, __u64 seq, const __u8 *cid)
{
	struct qs_report_header h = {
		.incarnation = inc, .sequence = seq, .backend_id = 1, .version = QS_REPORT_V1
	};

	h.vip.family = QS_AF_INET;
	h.vip.addr.addr[0] = htonl(0xc6120064);
	h.vip.port = htons(443);
	cr_assert_eq(qs_report_encoder_init(&d->enc, d->buf, sizeof(d->buf), &h), 0);
	qs_report_add_cid_issued(&d->enc, 7, cid, 8);
	d->len = qs_report_finish(&d->enc, key1);
	cr_assert_gt(d->len, 0);
}

Test(intake, version_1_refused_by_default)
{
	struct dgram d;

	capture_v1(&d, 0x5eed, 1, X);
	cr_assert_eq(replay(&d, NOW), QS_REPORT_E_V1_REFUSED);
	cr_assert_eq(owner(X), 0);
	cr_assert_null(qs_intake_backend(in, 1));
}

/*
 * With report-accept-v1 (an upgrade of the backends in progress) version 1
 * is taken by its old rules, until the backend speaks version 2: from then
 * on a version-1 datagram, which carries nothing that dates it, is refused.
 */
Test(intake, version_1_taken_when_asked_until_the_backend_speaks_version_2)
{
	struct dgram v1, late;

	qs_intake_set_freshness(in, WINDOW, true);
	capture_v1(&late, 0x5eed, 1, Z);
	capture_v1(&v1, 0x5eed, 2, X);
	cr_assert_eq(replay(&v1, NOW), QS_REPORT_OK);
	cr_assert_eq(qs_intake_backend(in, 1)->version, QS_REPORT_V1);
	cr_assert_eq(replay(&late, NOW), QS_REPORT_E_REPLAY, "version 1's own rules");
	/* upgraded: a version-2 incarnation replaces the version-1 one */
	cr_assert_eq(issue_one(1, 0xb, 1, Y, key1), QS_REPORT_OK);
	cr_assert_eq(owner(X), 0, "the upgrade kept the version-1 incarnation's ID");
	cr_assert_eq(owner(Y), 1);
	capture_v1(&v1, 0xf00d, 1, Z); /* any version-1 datagram, new incarnation or not */
	cr_assert_eq(replay(&v1, NOW), QS_REPORT_E_V1_DOWNGRADE);
	cr_assert_eq(owner(Y), 1, "a version-1 datagram purged the upgraded backend");
	cr_assert_eq(owner(Z), 0);
	cr_assert_eq(issue_one(1, 0xb, 2, X, key1), QS_REPORT_OK);
}

/* The pin says which version a backend's incarnation is. */
Test(intake, version_restored_from_the_pin)
{
	struct qs_reporter_state st = { .incarnation = 0x5eed,
					.sequence = 4,
					.version = QS_REPORT_V1 };
	struct dgram d;

	qs_intake_set_freshness(in, WINDOW, true);
	qs_intake_restore(in, 1, &st, 1);
	capture_v1(&d, 0x5eed, 4, X);
	cr_assert_eq(replay(&d, NOW), QS_REPORT_E_REPLAY);
	capture_v1(&d, 0x5eed, 5, X);
	cr_assert_eq(replay(&d, NOW), QS_REPORT_OK);
	st.version = QS_REPORT_VERSION;
	st.incarnation = 0xb;
	qs_intake_restore(in, 1, &st, 1);
	capture_v1(&d, 0x5eed, 6, Y);
	cr_assert_eq(replay(&d, NOW), QS_REPORT_E_V1_DOWNGRADE);
	cr_assert_eq(issue_one(1, 0xa, 9, Y, key1), QS_REPORT_E_STALE_INCARNATION);
	cr_assert_eq(issue_one(1, 0xb, 5, Y, key1), QS_REPORT_OK);
}

/* A backend removed from the configuration is forgotten: added again, it starts afresh. */
Test(intake, forget_starts_the_backend_afresh)
{
	struct dgram v1;

	qs_intake_set_store(in, store_state);
	qs_intake_set_freshness(in, WINDOW, true);
	cr_assert_eq(issue_one(1, 0xb, 5, X, key1), QS_REPORT_OK);
	qs_intake_forget(in, 1);
	cr_assert_null(qs_intake_backend(in, 1));
	cr_assert_eq(stored.incarnation, 0, "the pin still says where it stood");
	/* rolled back to a version-1 library: no longer a downgrade */
	capture_v1(&v1, 0x5eed, 1, Y);
	cr_assert_eq(replay(&v1, NOW), QS_REPORT_OK);
	cr_assert_eq(owner(Y), 1);
}

static enum qs_sync_backend sync_of(__u32 id)
{
	const struct qs_intake_backend *b = qs_intake_backend(in, id);

	return b ? qs_sync_backend(&b->sync) : QS_SYNC_UNHEARD;
}

/* A heartbeat of backend id that names no VIP. */
static int heartbeat(__u32 id, __u64 inc, __u64 seq)
{
	struct qs_report_header h = {
		.incarnation = inc, .sequence = seq, .timestamp = stamp, .backend_id = id
	};
	struct dgram d;

	cr_assert_eq(qs_report_encoder_init(&d.enc, d.buf, sizeof(d.buf), &h), 0);
	qs_report_add_heartbeat(&d.enc);
	return send_with(&d, id == 1 ? key1 : key2);
}

/* The marks of the agent's sync (ids/sync.h), as datagrams leave them. */
Test(intake, sync_marks_follow_heard_backends_and_their_snapshots)
{
	struct dgram d;

	cr_assert_eq(sync_of(1), QS_SYNC_UNHEARD);
	cr_assert_eq(heartbeat(1, 0xa, 1), QS_REPORT_OK);
	cr_assert_eq(sync_of(1), QS_SYNC_WAITING, "heard: a snapshot is due");
	/* a snapshot whose second part is lost completes nothing */
	start(&d, 1, 0xa, 2);
	qs_report_add_snapshot_part(&d.enc, 4, 0, 0);
	qs_report_add_snapshot_cid(&d.enc, 7, X, 8);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	start(&d, 1, 0xa, 4);
	qs_report_add_snapshot_part(&d.enc, 4, 2, QS_REPORT_SNAPSHOT_FINAL);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	cr_assert_eq(sync_of(1), QS_SYNC_WAITING, "a snapshot with a gap counted as complete");
	start(&d, 1, 0xa, 5);
	qs_report_add_snapshot_part(&d.enc, 5, 0, QS_REPORT_SNAPSHOT_FINAL);
	cr_assert_eq(send_with(&d, key1), QS_REPORT_OK);
	cr_assert_eq(sync_of(1), QS_SYNC_SNAPSHOT);
	/* a new incarnation keeps what the agent saw since its start */
	cr_assert_eq(heartbeat(1, 0xb, 1), QS_REPORT_OK);
	cr_assert_eq(sync_of(1), QS_SYNC_SNAPSHOT);
	/* refused datagrams leave a backend unheard */
	cr_assert_eq(issue_one(2, 0xa, 1, Y, key1), QS_REPORT_E_BAD_MAC);
	cr_assert_eq(sync_of(2), QS_SYNC_UNHEARD);
	qs_intake_forget(in, 1);
	cr_assert_eq(sync_of(1), QS_SYNC_UNHEARD, "a removed backend kept its marks");
}

Test(intake, sync_marks_restored_backend_is_synced)
{
	struct qs_reporter_state st = { .incarnation = 0xa,
					.sequence = 3,
					.version = QS_REPORT_VERSION };

	qs_intake_restore(in, 1, &st, 1000);
	cr_assert_eq(sync_of(1), QS_SYNC_RESTORED);
	cr_assert_eq(issue_one(1, 0xa, 4, X, key1), QS_REPORT_OK);
	cr_assert_eq(sync_of(1), QS_SYNC_RESTORED, "heard after restore: no snapshot needed");
}

/* What the handshake callback was told, in order. */
static struct {
	int n;
	__u32 backend_id[4], vip_id[4];
	struct qs_report_endpoint client[4];
} hs;

static void handshake_seen(void *ctx, __u32 backend_id, __u32 vip_id,
			   const struct qs_report_endpoint *client)
{
	(void)ctx;
	if (hs.n < 4) {
		hs.backend_id[hs.n] = backend_id;
		hs.vip_id[hs.n] = vip_id;
		hs.client[hs.n] = *client;
	}
	hs.n++;
}

/*
 * A handshake reaches the callback with its backend, VIP and client, once
 * per record of an accepted datagram; a forged or replayed datagram's
 * handshakes reach nothing.
 */
Test(intake, handshakes_reach_the_callback_only_from_accepted_datagrams)
{
	struct qs_report_endpoint client = { .family = QS_AF_INET6, .port = htons(40001) };
	struct dgram d;

	memset(&hs, 0, sizeof(hs));
	qs_intake_set_handshake(in, handshake_seen);
	client.addr.addr[0] = htonl(0xfd000001);
	client.addr.addr[3] = htonl(2);
	start(&d, 2, 0xb, 1);
	qs_report_add_handshake(&d.enc, 9, &client);
	cr_assert_eq(send_with(&d, key2), QS_REPORT_OK);
	cr_assert_eq(hs.n, 1, "got %d handshakes want 1", hs.n);
	cr_assert_eq(hs.backend_id[0], 2);
	cr_assert_eq(hs.vip_id[0], 0);
	cr_assert(!memcmp(&hs.client[0], &client, sizeof(client)), "client changed on the way");
	cr_assert_neq(replay(&d, NOW), QS_REPORT_OK);
	start(&d, 2, 0xb, 2);
	qs_report_add_handshake(&d.enc, 10, &client);
	cr_assert_neq(send_with(&d, key1), QS_REPORT_OK); /* backend 2's datagram, 1's key */
	cr_assert_eq(hs.n, 1, "a refused datagram's handshake got through: %d", hs.n);
}
