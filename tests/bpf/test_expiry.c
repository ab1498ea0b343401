// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Ageing against a real router: a learned ID past its TTL is not used by
 * the data path, with or without the agent, and the agent's sweep frees it
 * with no ring-buffer record to go by; address entries go after their idle
 * time, never before 2 minutes. Guards against learned IDs that live
 * forever (a misroute waiting for a reused ID) and against removing what
 * is still in use. Sweeps do their work in bounded steps, which the tests
 * count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "agent/cids.h"
#include "agent/sweep.h"
#include "router/maps.h"
#include "world.h"
#include "util/clock.h"
#include "util/words.h"

#define TTL_NS (30ull * 1000000000ull)
#define IDLE_NS (120ull * 1000000000ull)
#define NEW_CID "e1e2e3e4e5e6e7e8"

static struct fx fx;
static struct agent_cids cids;
static struct agent_sweep *sweep;

static void setup(void)
{
	struct qs_settings st = { .learned_ttl_ns = TTL_NS };
	__u32 zero = 0;

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	cr_assert_eq(bpf_map_update_elem(fx.settings, &zero, &st, BPF_ANY), 0);
	cr_assert_eq(agent_cids_init(&cids, fx.cids, fx.cidtab_fd, fx.learned, TTL_NS), 0);
	sweep = agent_flow_sweep_new(fx.flows, IDLE_NS);
	cr_assert_not_null(sweep);
}

static void teardown(void)
{
	agent_cids_fini(&cids);
	agent_sweep_free(sweep);
	fx_close(&fx);
}

/* Steps of a whole pass of s. */
static int sweep_pass(struct agent_sweep *s, __u64 now)
{
	int steps = 0, ret;

	while (!(ret = agent_sweep_step(s, now)))
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

static void new_cid_key(struct qs_cid_key *k)
{
	uint8_t cid[8];

	pb_hex(NEW_CID, cid, 8);
	qs_cid_key_make(k, VIP4_ID, cid, 8);
}

/* Runs a short header with NEW_CID from CLIENT4; returns the reason counted. */
static unsigned int short_reason(void)
{
	uint8_t in[PB_MAX_FRAME];
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, NEW_CID);
	size_t len = pb_build(&s, in, sizeof(in));
	uint64_t before[QS_R__COUNT];

	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		before[r] = fx_reason(&fx, r);
	fx_run(&fx, in, len, NULL, NULL);
	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		if (fx_reason(&fx, r) != before[r])
			return r;
	return QS_R__COUNT;
}

/* The attack of a lost record: no event reaches anyone, the ID still ages. */
Test(expiry, learned_id_past_its_ttl_is_not_routed_without_any_event)
{
	struct qs_cid_entry e = { .backend_id = BE_A, .kind = QS_CID_LEARNED };
	struct qs_cid_key k;

	new_cid_key(&k);
	e.created_ns = qs_now_coarse_ns();
	cr_assert_eq(qs_cid_put(fx.learned, &k, &e), 0);
	cr_assert_eq(short_reason(), QS_R_ROUTE_CID_LEARNED, "a fresh learned ID is not used");
	e.created_ns = qs_now_coarse_ns() - TTL_NS - 1000000000ull;
	cr_assert_eq(qs_cid_put(fx.learned, &k, &e), 0);
	cr_assert_neq(short_reason(), QS_R_ROUTE_CID_LEARNED,
		      "a learned ID past its TTL still routes");
}

/* A stale learned entry is replaced when the address learns the ID again. */
Test(expiry, stale_learned_id_is_learned_again)
{
	struct qs_cid_entry e = { .backend_id = BE_A, .kind = QS_CID_LEARNED };
	struct qs_cid_key k;

	new_cid_key(&k);
	e.created_ns = qs_now_coarse_ns() - TTL_NS - 1000000000ull;
	cr_assert_eq(qs_cid_put(fx.learned, &k, &e), 0);
	put_flow(CLIENT4, CLIENT_PORT, qs_now_coarse_ns());
	cr_assert_eq(short_reason(), QS_R_ROUTE_FLOW_LEARN);
	cr_assert_eq(qs_cid_get(fx.learned, &k, &e), 0);
	cr_assert_eq(e.backend_id, BE_B, "relearned for backend %u, want the entry's %u",
		     e.backend_id, BE_B);
	cr_assert_eq(short_reason(), QS_R_ROUTE_CID_LEARNED);
}

/* The agent's sweep frees learned IDs by age, with nothing tracked. */
Test(expiry, sweep_removes_learned_ids_past_their_ttl)
{
	struct qs_cid_entry e = { .backend_id = BE_B, .kind = QS_CID_LEARNED };
	__u64 now = qs_now_coarse_ns() + 1000ull * 1000000000ull;
	struct qs_cid_key k;
	uint8_t cid[8];
	int steps;

	for (int i = 0; i < 3000; i++) {
		memset(cid, 0, sizeof(cid));
		memcpy(cid, &i, sizeof(i));
		qs_cid_key_make(&k, VIP4_ID, cid, 8);
		e.created_ns = i % 3 ? now : now - TTL_NS - 1;
		cr_assert_eq(qs_cid_put(fx.learned, &k, &e), 0);
	}
	cids.next_sweep_ns = 0;
	for (steps = 0; agent_cids_sweep_step(&cids, now); steps++)
		cr_assert_lt(steps, 10000, "the sweep does not end");
	cr_assert_geq(steps, 2, "3000 entries swept in %d steps: chunks of over 1024", steps + 1);
	cr_assert_eq(agent_cids_learned_stats(&cids)->expired, 1000);
	cr_assert_eq(agent_cids_learned_stats(&cids)->entries, 2000);
	cr_assert_geq(cids.next_sweep_ns, now + AGENT_CIDS_SWEEP_EVERY_NS, "next sweep not due later");
	cr_assert_not(agent_cids_sweep_step(&cids, now), "a sweep ran before it was due");
}

Test(expiry, reported_id_is_never_swept)
{
	uint8_t cid[8];
	struct qs_cid_key k;
	__u32 backend;
	__u8 kind;

	pb_hex(NEW_CID, cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_B, QS_CID_AUTHORITATIVE), 0);
	cids.next_sweep_ns = 0;
	while (agent_cids_sweep_step(&cids, qs_now_coarse_ns() + 10 * TTL_NS))
		;
	new_cid_key(&k);
	cr_assert_eq(agent_cids_lookup(&cids, &k, &backend, &kind), 0, "a reported ID was removed");
	cr_assert_eq(backend, BE_B);
	cr_assert_eq(short_reason(), QS_R_ROUTE_CID);
}

Test(expiry, idle_address_entries_go)
{
	__u64 now = qs_now_coarse_ns() + 1000ull * 1000000000ull;

	put_flow(CLIENT4, 1000, now - IDLE_NS - 1);
	put_flow(CLIENT4, 1001, now - IDLE_NS + 1000000000ull);
	sweep_pass(sweep, now);
	cr_assert(!flow_exists(CLIENT4, 1000), "idle entry kept");
	cr_assert(flow_exists(CLIENT4, 1001), "active entry removed");
	cr_assert_eq(agent_sweep_stats(sweep)->expired, 1);
	cr_assert_eq(agent_sweep_stats(sweep)->entries, 1, "occupancy got %llu want 1",
		     (unsigned long long)agent_sweep_stats(sweep)->entries);
}

Test(expiry, idle_time_under_two_minutes_refused)
{
	struct agent_sweep *bad = agent_flow_sweep_new(fx.flows, IDLE_NS - 1);

	cr_assert_null(bad, "flow idle under 120 s accepted (RFC 9312)");
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(agent_flow_sweep_set_idle(sweep, IDLE_NS - 1), -EINVAL);
}

/* A sweep reads one chunk per step, however large the table. */
Test(expiry, flow_sweep_goes_a_chunk_per_step)
{
	__u64 now = qs_now_coarse_ns() + 1000ull * 1000000000ull;
	int steps;

	for (int port = 0; port < 3000; port++)
		put_flow(CLIENT4, 2000 + port, port % 3 ? now : now - IDLE_NS - 1);
	steps = sweep_pass(sweep, now);
	cr_assert_geq(steps, 3, "3000 entries swept in %d steps: chunks of over 1024", steps);
	cr_assert_eq(agent_sweep_stats(sweep)->expired, 1000);
	cr_assert_eq(agent_sweep_stats(sweep)->entries, 2000);
	cr_assert(!flow_exists(CLIENT4, 2000) && flow_exists(CLIENT4, 2001));
	sweep_pass(sweep, now);
	cr_assert_eq(agent_sweep_stats(sweep)->passes, 2);
	cr_assert_eq(agent_sweep_stats(sweep)->entries, 2000, "a second pass miscounted");
}

/* An agent restart: reported and operator's IDs go back to the registry. */
Test(expiry, restore_adopts_reported_ids)
{
	struct qs_cid_sink sink = agent_cids_sink(&cids);
	struct qs_cidreg *reg = qs_cidreg_new(&sink);
	__u32 owner = QS_NO_BACKEND;
	uint8_t cid[8];

	cr_assert_not_null(reg);
	pb_hex("a1a2a3a4a5a6a7a8", cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_A, QS_CID_AUTHORITATIVE), 0);
	cr_assert_eq(agent_cids_restore(&cids, reg), 0);
	cr_assert_eq(qs_cidreg_owner(reg, VIP4_ID, cid, 8, &owner), 0, "reported ID not adopted");
	cr_assert_eq(owner, BE_A, "owner got %u want %u", owner, BE_A);
	qs_cidreg_free(reg);
}

/*
 * Issue 11, found by reading: expiry misordered its deadlines when
 * learned-ttl was lowered at run time (each ID kept the deadline of the
 * TTL it was learned under). Now the data path and the sweep both judge
 * every learned ID by its age against the TTL of the moment: lowered, it
 * applies at once to the IDs learned before.
 */
Test(expiry, lowered_ttl_applies_at_once_to_ids_learned_before)
{
	struct qs_cid_entry e = { .backend_id = BE_A, .kind = QS_CID_LEARNED };
	struct qs_settings st = { .learned_ttl_ns = TTL_NS / 10 };
	__u64 now = qs_now_coarse_ns();
	struct qs_cid_key k;
	__u32 zero = 0;

	new_cid_key(&k);
	e.created_ns = now - TTL_NS / 5; /* young under 30 s, old under 3 s */
	cr_assert_eq(qs_cid_put(fx.learned, &k, &e), 0);
	cr_assert_eq(short_reason(), QS_R_ROUTE_CID_LEARNED);
	cr_assert_eq(bpf_map_update_elem(fx.settings, &zero, &st, BPF_ANY), 0);
	cr_assert_neq(short_reason(), QS_R_ROUTE_CID_LEARNED, "the data path kept the old TTL");
	/* another ID, which no packet relearns (the one above was, by its address) */
	k.cid[0] ^= 0xff;
	e.created_ns = now - TTL_NS / 5;
	cr_assert_eq(qs_cid_put(fx.learned, &k, &e), 0);
	agent_cids_set_ttl(&cids, st.learned_ttl_ns);
	cids.next_sweep_ns = 0;
	while (agent_cids_sweep_step(&cids, qs_now_coarse_ns()))
		;
	cr_assert_eq(qs_cid_get(fx.learned, &k, &e), -ENOENT, "the sweep kept the old TTL");
}
