// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Expiry against a real router: an ID the data path learned goes at its
 * deadline unless a report made it authoritative; learned entries found
 * in the table without a ring-buffer record (agent restart, full ring) are
 * tracked too; address entries go after their idle time, never before 2
 * minutes. Guards against learned IDs that live forever (a misroute waiting
 * for a reused ID) and against expiring what a backend confirmed. Both do
 * their work in bounded steps, which the tests count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "agent/cids.h"
#include "agent/flows.h"
#include "ids/expiry.h"
#include "router/maps.h"
#include "util/words.h"
#include "world.h"
#include "util/clock.h"

#define TTL_NS (30ull * 1000000000ull)
#define IDLE_NS (120ull * 1000000000ull)
#define NEW_CID "e1e2e3e4e5e6e7e8"

static struct fx fx;
static struct agent_cids cids;
static struct qs_expiry_table table;
static struct qs_expiry *x;
static struct qs_flow_sweep *sweep;

static void setup(void)
{
	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	agent_cids_init(&cids, fx.cids);
	table = agent_cids_expiry_table(&cids);
	x = qs_expiry_new(&table, TTL_NS);
	cr_assert_not_null(x);
	sweep = qs_flow_sweep_new(fx.flows, IDLE_NS);
	cr_assert_not_null(sweep);
}

static void teardown(void)
{
	qs_expiry_free(x);
	qs_flow_sweep_free(sweep);
	fx_close(&fx);
}

/* Steps of a whole pass over qs_flows. */
static int sweep_pass(__u64 now)
{
	int steps = 0, ret;

	while (!(ret = qs_flow_sweep_step(sweep, now)))
		cr_assert_lt(++steps, 10000, "the sweep does not end");
	cr_assert_eq(ret, 1, "sweep step: %s", strerror(-ret));
	return steps + 1;
}

TestSuite(expiry, .init = setup, .fini = teardown);

static void put_flow(const char *client, uint16_t port, __u64 last_seen)
{
	struct qs_flow f = { .last_seen_ns = last_seen, .backend_id = BE_B };
	struct qs_flow_key k;

	memset(&k, 0, sizeof(k));
	qs_parse_addr(client, &k.addr, &k.family);
	k.vip_id = VIP4_ID;
	k.port = htons(port);
	cr_assert_eq(qs_flow_put(fx.flows, &k, &f), 0);
}

static int flow_exists(const char *client, uint16_t port)
{
	struct qs_flow_key k;
	struct qs_flow f;

	memset(&k, 0, sizeof(k));
	qs_parse_addr(client, &k.addr, &k.family);
	k.vip_id = VIP4_ID;
	k.port = htons(port);
	return qs_flow_get(fx.flows, &k, &f) == 0;
}

static int learned_kind(struct qs_cid_entry *e)
{
	uint8_t cid[8];
	struct qs_cid_key k;

	pb_hex(NEW_CID, cid, 8);
	qs_cid_key_make(&k, VIP4_ID, cid, 8);
	return qs_cid_get(fx.cids, &k, e);
}

/* A short header with an unknown ID from a known address: learned. */
static const struct qs_event *learn_one(void)
{
	uint8_t in[PB_MAX_FRAME];
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, NEW_CID);
	size_t len = pb_build(&s, in, sizeof(in));

	put_flow(CLIENT4, CLIENT_PORT, qs_now_coarse_ns());
	cr_assert_eq(fx_run(&fx, in, len, NULL, NULL), XDP_TX);
	cr_assert_eq(fx_poll_events(&fx), 1);
	cr_assert_eq(fx.events[0].type, QS_EV_LEARNED_CID);
	cr_assert_eq(qs_expiry_event(x, &fx.events[0]), 0);
	return &fx.events[0];
}

Test(expiry, learned_id_goes_at_its_deadline)
{
	const struct qs_event *ev = learn_one();
	struct qs_cid_entry e;

	cr_assert_eq(qs_expiry_expire(x, ev->ts_ns + TTL_NS - 1, 100), 0);
	cr_assert_eq(learned_kind(&e), 0, "removed before its deadline");
	cr_assert_eq(qs_expiry_expire(x, ev->ts_ns + TTL_NS, 100), 0);
	cr_assert_eq(learned_kind(&e), -ENOENT, "still there after its deadline");
	cr_assert_eq(qs_expiry_stats(x)->expired, 1);
	cr_assert_eq(qs_expiry_stats(x)->tracked, 0);
}

Test(expiry, confirmed_id_stays)
{
	const struct qs_event *ev = learn_one();
	struct qs_cid_entry e;
	uint8_t cid[8];

	pb_hex(NEW_CID, cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_B, QS_CID_AUTHORITATIVE), 0);
	cr_assert_eq(qs_expiry_expire(x, ev->ts_ns + TTL_NS, 100), 0);
	cr_assert_eq(learned_kind(&e), 0, "a confirmed ID was removed");
	cr_assert_eq(e.kind, QS_CID_AUTHORITATIVE);
	cr_assert_eq(qs_expiry_stats(x)->confirmed, 1);
	cr_assert_eq(qs_expiry_stats(x)->expired, 0);
}

/* An agent restart: learned entries get a deadline, reported ones an owner. */
Test(expiry, restore_tracks_learned_entries_without_events)
{
	struct qs_cid_sink sink = agent_cids_sink(&cids);
	struct qs_cidreg *reg = qs_cidreg_new(&sink);
	uint8_t cid[8];
	struct qs_cid_entry e;
	__u32 owner = QS_NO_BACKEND;
	__u64 now = qs_now_coarse_ns();

	pb_hex(NEW_CID, cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_B, QS_CID_LEARNED), 0);
	pb_hex("a1a2a3a4a5a6a7a8", cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_A, QS_CID_AUTHORITATIVE), 0);
	cr_assert_not_null(reg);
	cr_assert_eq(agent_cids_restore(&cids, reg, x, now), 0);
	cr_assert_eq(qs_cidreg_owner(reg, VIP4_ID, cid, 8, &owner), 0, "reported ID not adopted");
	cr_assert_eq(owner, BE_A, "owner got %u want %u", owner, BE_A);
	qs_cidreg_free(reg);
	cr_assert_eq(qs_expiry_stats(x)->tracked, 1, "tracked got %llu want 1",
		     (unsigned long long)qs_expiry_stats(x)->tracked);
	cr_assert_eq(qs_expiry_expire(x, now + TTL_NS, 100), 0);
	cr_assert_eq(learned_kind(&e), -ENOENT);
	cr_assert_eq(qs_cid_get(fx.cids, &(struct qs_cid_key){ 0 }, &e), -ENOENT);
}

Test(expiry, idle_address_entries_go)
{
	__u64 now = qs_now_coarse_ns() + 1000ull * 1000000000ull;

	put_flow(CLIENT4, 1000, now - IDLE_NS - 1);
	put_flow(CLIENT4, 1001, now - IDLE_NS + 1000000000ull);
	sweep_pass(now);
	cr_assert(!flow_exists(CLIENT4, 1000), "idle entry kept");
	cr_assert(flow_exists(CLIENT4, 1001), "active entry removed");
	cr_assert_eq(qs_flow_sweep_stats(sweep)->flows_expired, 1);
	cr_assert_eq(qs_flow_sweep_stats(sweep)->flows, 1, "occupancy got %llu want 1",
		     (unsigned long long)qs_flow_sweep_stats(sweep)->flows);
}

Test(expiry, idle_time_under_two_minutes_refused)
{
	struct qs_flow_sweep *bad = qs_flow_sweep_new(fx.flows, IDLE_NS - 1);

	cr_assert_null(bad, "flow idle under 120 s accepted (RFC 9312)");
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(qs_expiry_new(&table, 0), "a learned TTL of 0 accepted");
}

/* A sweep reads one chunk per step, however large the table. */
Test(expiry, flow_sweep_goes_a_chunk_per_step)
{
	__u64 now = qs_now_coarse_ns() + 1000ull * 1000000000ull;
	int steps;

	for (int port = 0; port < 3000; port++)
		put_flow(CLIENT4, 2000 + port, port % 3 ? now : now - IDLE_NS - 1);
	steps = sweep_pass(now);
	cr_assert_geq(steps, 3, "3000 entries swept in %d steps: chunks of over 1024", steps);
	cr_assert_eq(qs_flow_sweep_stats(sweep)->flows_expired, 1000);
	cr_assert_eq(qs_flow_sweep_stats(sweep)->flows, 2000);
	cr_assert(!flow_exists(CLIENT4, 2000) && flow_exists(CLIENT4, 2001));
	sweep_pass(now);
	cr_assert_eq(qs_flow_sweep_stats(sweep)->passes, 2);
	cr_assert_eq(qs_flow_sweep_stats(sweep)->flows, 2000, "a second pass miscounted");
}

/* Expiry removes at most its budget per call, oldest first. */
Test(expiry, expire_is_bounded_per_call)
{
	struct qs_event ev = { .type = QS_EV_LEARNED_CID, .vip_id = VIP4_ID, .cid_len = 8 };
	__u64 now = qs_now_coarse_ns();
	struct qs_cid_entry e;

	for (int i = 0; i < 5; i++) {
		memset(ev.cid, 0xc0 + i, 8);
		ev.ts_ns = now + i;
		cr_assert_eq(fx_cid(&fx, VIP4_ID, ev.cid, 8, BE_B, QS_CID_LEARNED), 0);
		cr_assert_eq(qs_expiry_event(x, &ev), 0);
	}
	cr_assert_eq(qs_expiry_next_deadline(x), now + TTL_NS);
	cr_assert_eq(qs_expiry_expire(x, now + TTL_NS + 2, 2), 1, "more were due");
	cr_assert_eq(qs_expiry_stats(x)->expired, 2);
	cr_assert_eq(qs_expiry_expire(x, now + TTL_NS + 2, 2), 0, "nothing more was due");
	cr_assert_eq(qs_expiry_stats(x)->expired, 3, "the deadline not yet due was expired");
	cr_assert_eq(qs_expiry_next_deadline(x), now + TTL_NS + 3);
	cr_assert_eq(qs_expiry_expire(x, now + TTL_NS + 10, 100), 0);
	cr_assert_eq(qs_expiry_stats(x)->tracked, 0);
	cr_assert_eq(qs_expiry_next_deadline(x), 0);
	cr_assert_eq(qs_cid_get(fx.cids, &(struct qs_cid_key){ .vip_id = VIP4_ID }, &e), -ENOENT);
}
