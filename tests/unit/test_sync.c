// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's sync rule (ids/sync.h), pure: a backend's marks to where it
 * stands, and the counts and the time since start to a verdict.
 * test_intake.c checks that datagrams leave the marks these tests assume.
 */
#include <criterion/criterion.h>
#include "ids/sync.h"

#define SEC 1000000000ull
#define HB (10 * SEC) /* heartbeat-timeout */
#define SYNC (65 * SEC) /* sync-timeout */

struct backend_case {
	const char *name;
	struct qs_sync_marks m;
	enum qs_sync_backend want;
};

static const struct backend_case backend_cases[] = {
	{ "never heard", { 0 }, QS_SYNC_UNHEARD },
	{ "restored from the pins", { .restored = true }, QS_SYNC_RESTORED },
	{ "restored, heard since, no snapshot",
	  { .restored = true, .heard = true, .vips_named = 1 },
	  QS_SYNC_RESTORED },
	{ "heartbeats only", { .heard = true }, QS_SYNC_WAITING },
	{ "IDs on VIP 0, no snapshot", { .heard = true, .vips_named = 1 }, QS_SYNC_WAITING },
	{ "snapshot of VIP 0",
	  { .heard = true, .vips_named = 1, .vips_snapshot = 1 },
	  QS_SYNC_SNAPSHOT },
	{ "VIPs 0 and 3 named, VIP 0's snapshot only",
	  { .heard = true, .vips_named = 0x9, .vips_snapshot = 0x1 },
	  QS_SYNC_WAITING },
	{ "VIPs 0 and 3 named, both snapshots",
	  { .heard = true, .vips_named = 0x9, .vips_snapshot = 0x9 },
	  QS_SYNC_SNAPSHOT },
	{ "heartbeats without a VIP and a snapshot of VIP 2",
	  { .heard = true, .vips_named = 0x4, .vips_snapshot = 0x4 },
	  QS_SYNC_SNAPSHOT },
	{ "not heard: snapshot marks alone count for nothing",
	  { .vips_snapshot = 1 },
	  QS_SYNC_UNHEARD },
};

Test(sync, backend_standing)
{
	for (size_t i = 0; i < sizeof(backend_cases) / sizeof(backend_cases[0]); i++) {
		const struct backend_case *c = &backend_cases[i];
		enum qs_sync_backend got = qs_sync_backend(&c->m);

		cr_expect_eq(got, c->want, "%s: got %d want %d", c->name, got, c->want);
	}
}

struct judge_case {
	const char *name;
	struct qs_sync_counts c;
	__u64 since;
	enum qs_sync_verdict want;
};

static const struct judge_case judge_cases[] = {
	{ "no backends, just started", { 0 }, 0, QS_SYNC_BACKENDS },
	{ "every backend restored", { .synced = 3 }, 0, QS_SYNC_BACKENDS },
	{ "every backend's snapshot in, 2 s", { .synced = 3 }, 2 * SEC, QS_SYNC_BACKENDS },
	{ "one not heard yet, 2 s", { .synced = 2, .unheard = 1 }, 2 * SEC, QS_SYNC_NOT_HEARD },
	{ "one not heard, heartbeat-timeout passed",
	  { .synced = 2, .unheard = 1 },
	  HB,
	  QS_SYNC_BACKENDS },
	{ "none heard, heartbeat-timeout passed", { .unheard = 3 }, HB, QS_SYNC_BACKENDS },
	{ "one waiting for its snapshot",
	  { .synced = 2, .waiting = 1 },
	  2 * SEC,
	  QS_SYNC_NO_SNAPSHOT },
	{ "one waiting, heartbeat-timeout passed",
	  { .synced = 2, .waiting = 1 },
	  HB + 1,
	  QS_SYNC_NO_SNAPSHOT },
	{ "one waiting and one unheard",
	  { .waiting = 1, .unheard = 1 },
	  1 * SEC,
	  QS_SYNC_NO_SNAPSHOT },
	{ "one waiting, just before sync-timeout",
	  { .waiting = 1 },
	  SYNC - 1,
	  QS_SYNC_NO_SNAPSHOT },
	{ "one waiting, sync-timeout passed", { .waiting = 1 }, SYNC, QS_SYNC_TIMEOUT },
	{ "a restart: restored and unheard, at once",
	  { .synced = 1, .restored = 1, .unheard = 2 },
	  0,
	  QS_SYNC_BACKENDS },
	{ "a restart with a heard backend's snapshot missing",
	  { .synced = 1, .restored = 1, .unheard = 1, .waiting = 1 },
	  HB + 1,
	  QS_SYNC_NO_SNAPSHOT },
	{ "fresh: snapshotted and unheard, before heartbeat-timeout",
	  { .synced = 1, .unheard = 2 },
	  HB - 1,
	  QS_SYNC_NOT_HEARD },
	{ "unheard and synced at sync-timeout: by backends",
	  { .unheard = 1, .synced = 1 },
	  SYNC,
	  QS_SYNC_BACKENDS },
};

Test(sync, agent_verdict)
{
	for (size_t i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		const struct judge_case *c = &judge_cases[i];
		enum qs_sync_verdict got = qs_sync_judge(&c->c, c->since, HB, SYNC);

		cr_expect_eq(got, c->want, "%s: got %s want %s", c->name, qs_sync_verdict_name(got),
			     qs_sync_verdict_name(c->want));
	}
}

/* A heartbeat-timeout longer than sync-timeout: sync-timeout still ends the wait. */
Test(sync, sync_timeout_ends_a_longer_heartbeat_wait)
{
	struct qs_sync_counts c = { .unheard = 1 };

	cr_assert_eq(qs_sync_judge(&c, 30 * SEC, 3600 * SEC, 30 * SEC), QS_SYNC_TIMEOUT);
	cr_assert_eq(qs_sync_judge(&c, 29 * SEC, 3600 * SEC, 30 * SEC), QS_SYNC_NOT_HEARD);
}

Test(sync, verdict_names)
{
	cr_assert(!qs_sync_verdict_synced(QS_SYNC_NO_SNAPSHOT));
	cr_assert(!qs_sync_verdict_synced(QS_SYNC_NOT_HEARD));
	cr_assert(qs_sync_verdict_synced(QS_SYNC_BACKENDS));
	cr_assert(qs_sync_verdict_synced(QS_SYNC_TIMEOUT));
	cr_assert_str_eq(qs_sync_verdict_name(QS_SYNC_TIMEOUT), "sync_timeout");
	cr_assert_str_eq(qs_sync_verdict_name(QS_SYNC_NO_SNAPSHOT), "no_snapshot");
}
