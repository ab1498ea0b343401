// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Attacks from the wire on the router's tables, each reproduced against the
 * real program and asserted on its outcome (issue 11):
 * - a keyless client that makes up connection IDs fills only the learned
 *   table, never the one backends' reported IDs are written to;
 * - one address entry learns a bounded number of IDs;
 * - a flood of unknown IDs costs the ring buffer a bounded rate of records;
 * - a backend's report never writes over an ID the data path learned for
 *   another backend (the two kinds live in two maps).
 * Tables are small here so that a flood of a few thousand packets fills them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "agent/cids.h"
#include "ids/cidreg.h"
#include "abi/flowhash.h"
#include "router/maps.h"
#include "util/clock.h"
#include "world.h"

#define SMALL 512 /* entries of qs_cids and of qs_learned */

static struct fx fx;

static void setup(void)
{
	cr_assert_eq(fx_open_sized(&fx, SMALL, SMALL), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
}

static void teardown(void)
{
	fx_close(&fx);
}

TestSuite(hostile, .init = setup, .fini = teardown);

/* 8 bytes of hex made of n, as a connection ID. */
static const char *cid_of(unsigned int n, char buf[17])
{
	snprintf(buf, 17, "c0%06x%08x", n & 0xffffff, n * 2654435761u);
	return buf;
}

static int run(const struct pb_spec *s)
{
	uint8_t in[PB_MAX_FRAME];
	size_t len = pb_build(s, in, sizeof(in));

	cr_assert_gt(len, 0);
	return fx_run(&fx, in, len, NULL, NULL);
}

/* An address entry for CLIENT4:port, by the connection's first Initial. */
static void open_flow(uint16_t port)
{
	char cid[17];
	struct pb_spec s = world_initial(4, CLIENT4, port, cid_of(port, cid));

	cr_assert_eq(run(&s), XDP_TX, "the Initial from port %u was not routed", port);
}

static void short_from(uint16_t port, unsigned int n)
{
	char cid[17];
	struct pb_spec s = world_short(4, CLIENT4, port, cid_of(n, cid));

	run(&s);
}

static uint64_t aux(unsigned int counter)
{
	__u64 v = 0;

	qs_counter_read_u64(fx.aux_stats, counter, &v);
	return v;
}

struct tab_count {
	__u8 kind;
	size_t n, of_kind;
};

static int tab_count_one(void *ctx, const struct qs_cid_place *at, __u32 vip_id, __u32 backend_id,
			 __u8 kind)
{
	struct tab_count *c = ctx;

	(void)at, (void)vip_id, (void)backend_id;
	c->n++;
	c->of_kind += kind == c->kind;
	return 0;
}

/* Entries of qs_cidtab, and of them those of kind. */
static size_t tab_entries(const struct qs_cidtab *t, __u8 kind, size_t *of_kind)
{
	struct tab_count c = { .kind = kind };

	qs_cidtab_scan(t, tab_count_one, &c);
	*of_kind = c.of_kind;
	return c.n;
}

static size_t entries(int fd, __u8 kind, size_t *of_kind)
{
	struct qs_cid_key k, next;
	struct qs_cid_entry e;
	size_t n = 0;
	void *prev = NULL;

	*of_kind = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &e))
			continue;
		n++;
		*of_kind += e.kind == kind;
	}
	return n;
}

/*
 * Issue 11, attack 1: from one address, Initials open 64 address entries,
 * then short headers with made-up IDs (40 per entry, 2,560 in all, five
 * times the learned table). Then a backend's 512 reported IDs, the whole
 * reported table, are written through the agent's writer: every write
 * succeeds and every ID routes. (When learned IDs shared qs_cids, the
 * flood filled it and the reported writes failed with E2BIG.)
 */
Test(hostile, keyless_client_cannot_fill_the_reported_table)
{
	struct agent_cids cids;
	struct qs_cid_sink sink;
	struct qs_cidreg *reg;
	size_t n_kind;
	char hex[17];
	uint8_t cid[8];

	for (uint16_t p = 0; p < 64; p++)
		open_flow(30000 + p);
	for (unsigned int i = 0; i < 64 * 40; i++)
		short_from(30000 + i % 64, 100000 + i);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_FLOW_LEARN), 64 * QS_FLOW_LEARN_MAX,
		     "learned %llu IDs, want %u (32 per address entry)",
		     (unsigned long long)fx_reason(&fx, QS_R_ROUTE_FLOW_LEARN),
		     64 * QS_FLOW_LEARN_MAX);
	cr_assert_eq(entries(fx.cids, QS_CID_LEARNED, &n_kind), 0,
		     "the flood wrote into the agent's old table");

	cr_assert_eq(agent_cids_init(&cids, fx.cids, fx.cidtab_fd, fx.learned, 30000000000ull), 0);
	sink = agent_cids_sink(&cids);
	reg = qs_cidreg_new(&sink);
	cr_assert_not_null(reg);
	cr_assert_eq(qs_cidreg_incarnation(reg, BE_A, 1), 1);
	for (unsigned int i = 0; i < SMALL; i++) {
		pb_hex(cid_of(500000 + i, hex), cid, 8);
		cr_assert_eq(qs_cidreg_issue(reg, BE_A, VIP4_ID, cid, 8, i + 1), 0,
			     "reported ID %u refused", i);
	}
	cr_assert_eq(qs_cidreg_stats(reg)->sink_errors, 0,
		     "%llu reported IDs could not be written during the flood",
		     (unsigned long long)qs_cidreg_stats(reg)->sink_errors);
	cr_assert_eq(tab_entries(&cids.tab, QS_CID_AUTHORITATIVE, &n_kind), SMALL);
	cr_assert_eq(n_kind, SMALL);
	for (unsigned int i = 0; i < SMALL; i += 37) {
		struct pb_spec s = world_short(4, CLIENT4_B, 9999, cid_of(500000 + i, hex));
		uint64_t before = fx_reason(&fx, QS_R_ROUTE_CID);

		cr_assert_eq(run(&s), XDP_TX);
		cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_CID), before + 1,
			     "reported ID %u does not route", i);
	}
	qs_cidreg_free(reg);
	agent_cids_fini(&cids);
}

/* One address entry, 100 made-up IDs: 32 learned, the rest routed unlearned. */
Test(hostile, one_address_entry_learns_at_most_32_ids)
{
	size_t kind;

	open_flow(31000);
	for (unsigned int i = 0; i < 100; i++)
		short_from(31000, 200000 + i);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_FLOW_LEARN), QS_FLOW_LEARN_MAX);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_FLOW_NOLEARN), 100 - QS_FLOW_LEARN_MAX);
	cr_assert_eq(aux(QS_AUX_LEARN_CAPPED), 100 - QS_FLOW_LEARN_MAX);
	cr_assert_eq(entries(fx.learned, QS_CID_LEARNED, &kind), QS_FLOW_LEARN_MAX);
}

/*
 * Issue 11, attack 2's lever: 10,000 unknown IDs from unknown addresses are
 * dropped and counted one by one, but emit at most the per-CPU budget of
 * records a second (two seconds at most, on one CPU, here), the rest
 * counted as sampled out.
 */
Test(hostile, unknown_id_flood_is_sampled_not_emitted)
{
	const unsigned int flood = 10000;
	char cid[17];
	int records = 0, n;

	for (unsigned int i = 0; i < flood; i++) {
		struct pb_spec s =
			world_short(4, CLIENT4_B, 1000 + i % 50000, cid_of(300000 + i, cid));

		run(&s);
	}
	cr_assert_eq(fx_reason(&fx, QS_R_DROP_UNKNOWN_CID), flood);
	while ((n = fx_poll_events(&fx)) > 0)
		records += n;
	cr_assert_leq(records, 2 * QS_EVENTS_PER_CPU_SEC, "%d records for %u dropped packets",
		      records, flood);
	cr_assert_eq(records + aux(QS_AUX_EVENTS_SAMPLED_OUT) + aux(QS_AUX_EVENTS_LOST), flood,
		     "records %d + sampled out %llu + lost %llu != %u", records,
		     (unsigned long long)aux(QS_AUX_EVENTS_SAMPLED_OUT),
		     (unsigned long long)aux(QS_AUX_EVENTS_LOST), flood);
	cr_assert_gt(aux(QS_AUX_EVENTS_SAMPLED_OUT), 0);
}

/* The outer destination of an encapsulated IPv4 frame, as a backend id (0: none). */
static uint32_t backend_of(const uint8_t *out)
{
	struct in_addr dst;

	memcpy(&dst, out + 14 + 16, 4);
	for (uint32_t id = BE_A; id < WORLD_BACKENDS; id++)
		if (world_backend_addr[id] && !strcmp(inet_ntoa(dst), world_backend_addr[id]))
			return id;
	return 0;
}

/*
 * Issue 11, attack 5c ("a report overwrites a learned entry pointing at
 * another backend"), moot since learned IDs live in qs_learned: the data
 * path learned X for B; A reports X. The agent's writer puts A's entry in
 * qs_cidtab, the packets of X route to A by it (it is read first), and
 * B's learned entry is left as it was, by the issue and by A's retire.
 */
Test(hostile, report_does_not_touch_a_learned_entry_of_another_backend)
{
	struct qs_cid_entry learned, after;
	struct qs_cid_key key;
	__u32 reported_backend;
	__u8 reported_kind;
	struct agent_cids cids;
	struct qs_cid_sink sink;
	struct qs_cidreg *reg;
	uint8_t cid[8], out[PB_MAX_FRAME + 64];
	uint8_t in[PB_MAX_FRAME];
	struct pb_spec s = world_short(4, CLIENT4_B, 9999, "5c5c5c5c5c5c5c5c");
	size_t len = pb_build(&s, in, sizeof(in)), out_len = 0;

	pb_hex("5c5c5c5c5c5c5c5c", cid, 8);
	cr_assert_eq(qs_cid_key_make(&key, VIP4_ID, cid, 8), 0);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_B, QS_CID_LEARNED), 0);
	cr_assert_eq(bpf_map_lookup_elem(fx.learned, &key, &learned), 0);

	cr_assert_eq(agent_cids_init(&cids, fx.cids, fx.cidtab_fd, fx.learned, 30000000000ull), 0);
	sink = agent_cids_sink(&cids);
	reg = qs_cidreg_new(&sink);
	cr_assert_not_null(reg);
	cr_assert_eq(qs_cidreg_incarnation(reg, BE_A, 1), 1);
	cr_assert_eq(qs_cidreg_issue(reg, BE_A, VIP4_ID, cid, 8, 1), 0, "A's report refused");
	cr_assert_eq(qs_cidreg_stats(reg)->conflicts + qs_cidreg_stats(reg)->sink_errors, 0);
	cr_assert_eq(agent_cids_lookup(&cids, &key, &reported_backend, &reported_kind), 0,
		     "A's entry not written");
	cr_assert_eq(reported_backend, BE_A);
	cr_assert_eq(reported_kind, QS_CID_AUTHORITATIVE);
	cr_assert_eq(bpf_map_lookup_elem(fx.learned, &key, &after), 0, "B's learned entry went");
	cr_assert_eq(memcmp(&after, &learned, sizeof(after)), 0, "B's learned entry changed");

	cr_assert_gt(len, 0);
	cr_assert_eq(fx_run(&fx, in, len, out, &out_len), XDP_TX);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_CID), 1, "X did not route by qs_cidtab");
	cr_assert_eq(backend_of(out), BE_A, "X routed to %u, want A", backend_of(out));

	cr_assert_eq(qs_cidreg_retire(reg, BE_A, VIP4_ID, cid, 8), 0);
	cr_assert_neq(agent_cids_lookup(&cids, &key, &reported_backend, &reported_kind), 0,
		      "A's retire left A's entry");
	cr_assert_eq(bpf_map_lookup_elem(fx.learned, &key, &after), 0,
		     "A's retire removed B's learned entry");
	qs_cidreg_free(reg);
	agent_cids_fini(&cids);
}

/*
 * Issue 11, attack 6: a spoofed short header from a victim's address and
 * port, carrying an ID another backend reported (the attacker's own
 * connection), marks the victim's address entry ambiguous. The mark used
 * to hold for good, and every new ID of the victim that no report had
 * named yet was dropped from then on; now it lapses
 * QS_FLOW_AMBIGUOUS_HOLD coarse seconds after the last such packet (a
 * socket that really carries two connections renews it every second).
 */
Test(hostile, spoofed_packet_marks_an_address_ambiguous_for_seconds_not_for_good)
{
	struct qs_flow f = { .last_seen_ns = qs_now_coarse_ns(), .backend_id = BE_B };
	struct pb_spec spoofed, victim;
	uint8_t attacker_cid[8];
	char hex[17];

	cr_assert_eq(world_flow_put(&fx, 4, CLIENT4, CLIENT_PORT, &f), 0);
	pb_hex(cid_of(700000, hex), attacker_cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, attacker_cid, 8, BE_A, QS_CID_AUTHORITATIVE), 0);
	spoofed = world_short(4, CLIENT4, CLIENT_PORT, hex);
	cr_assert_eq(run(&spoofed), XDP_TX);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_CID), 1);
	cr_assert_eq(world_flow_get(&fx, 4, CLIENT4, CLIENT_PORT, &f), 0);
	cr_assert(qs_flow_ambiguous(&f, qs_now_coarse_ns()), "the spoofed packet marked nothing");

	victim = world_short(4, CLIENT4, CLIENT_PORT, cid_of(700001, hex));
	run(&victim);
	cr_assert_eq(fx_reason(&fx, QS_R_DROP_AMBIGUOUS), 1, "within the hold, not dropped");

	/* the hold passes: no packet renewed the mark */
	f.ambiguous_s = (qs_now_coarse_ns() >> 30) - QS_FLOW_AMBIGUOUS_HOLD;
	cr_assert_eq(world_flow_put(&fx, 4, CLIENT4, CLIENT_PORT, &f), 0);
	victim = world_short(4, CLIENT4, CLIENT_PORT, cid_of(700002, hex));
	cr_assert_eq(run(&victim), XDP_TX, "the victim's new ID is still dropped");
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_FLOW_LEARN), 1,
		     "the victim's new ID is not routed by its address entry");
	cr_assert_eq(fx_reason(&fx, QS_R_DROP_AMBIGUOUS), 1);
}

/*
 * A 1200-byte Initial from a forged source, the n-th of a flood, and its
 * retransmission: the entry is used as a live one's is.
 */
static void forged_initial(unsigned int n)
{
	char addr[32], cid[17];
	struct pb_spec s;

	snprintf(addr, sizeof(addr), "198.19.%u.%u", (n >> 8) & 0xff, n & 0xff);
	s = world_initial(4, addr, 1024 + (n >> 16), cid_of(900000 + n, cid));
	cr_assert_eq(run(&s), XDP_TX, "forged Initial %u not routed", n);
	cr_assert_eq(run(&s), XDP_TX, "forged Initial %u not routed again", n);
}

/*
 * A client of CLIENT4:port: its Initial, then a packet with an ID its
 * backend (Maglev's pick) reported, which vouches for its address entry.
 */
static uint32_t established_client(uint16_t port)
{
	uint32_t backend = world_maglev(4, CLIENT4, port);
	char hex[17];
	uint8_t cid[8];
	struct pb_spec s;

	open_flow(port);
	pb_hex(cid_of(600000 + port, hex), cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, backend, QS_CID_AUTHORITATIVE), 0);
	s = world_short(4, CLIENT4, port, hex);
	cr_assert_eq(run(&s), XDP_TX);
	return backend;
}

/*
 * Issue 11, attack 6b: forged Initials from new sources, four times the
 * address table, cannot evict established clients. 64 clients open their
 * connections and use an ID their backend reported; then the flood, each
 * forged Initial sent twice so that its entry looks as used as a live one
 * (the LRU keeps entries it has seen used: a flood written once evicts
 * little). Every client's entry is still there, and a new ID no report
 * has named yet is routed by it to the client's backend. (When an
 * Initial's entry went straight into the one address table, the flood
 * evicted the clients' entries, and those IDs were dropped as unknown.)
 */
Test(hostile, forged_initial_flood_cannot_evict_established_clients)
{
	const unsigned int clients = 64, flood = 4 * FX_FLOW_ENTRIES;
	uint32_t backend[64];
	char hex[17];
	uint8_t out[PB_MAX_FRAME + 64], in[PB_MAX_FRAME];

	for (unsigned int i = 0; i < clients; i++)
		backend[i] = established_client(20000 + i);
	cr_assert_eq(aux(QS_AUX_FLOW_PROMOTED), clients, "promoted %llu entries, want %u",
		     (unsigned long long)aux(QS_AUX_FLOW_PROMOTED), clients);
	cr_assert_eq(fx_map_entries(fx.flows), clients);
	cr_assert_eq(fx_map_entries(fx.flows_new), 0);

	for (unsigned int n = 0; n < flood; n++)
		forged_initial(n);
	cr_assert_leq(fx_map_entries(fx.flows_new), FX_FLOW_ENTRIES);

	for (unsigned int i = 0; i < clients; i++) {
		struct pb_spec s = world_short(4, CLIENT4, 20000 + i, cid_of(800000 + i, hex));
		size_t len = pb_build(&s, in, sizeof(in)), out_len = 0;
		struct qs_flow f;

		cr_assert_eq(world_flow_get(&fx, 4, CLIENT4, 20000 + i, &f), 0,
			     "client %u's address entry was evicted by the flood", i);
		cr_assert_eq(f.backend_id, backend[i]);
		cr_assert_eq(fx_run(&fx, in, len, out, &out_len), XDP_TX,
			     "client %u's new ID is not routed", i);
		cr_assert_eq(backend_of(out), backend[i], "client %u's new ID went to %u, want %u",
			     i, backend_of(out), backend[i]);
	}
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_FLOW_LEARN), clients);
}

/*
 * Forged sources on one reported ID (a client's own connection, say): each
 * packet routes by the ID, but the ID opens at most one address entry a
 * coarse second, so 10,000 of them cannot fill the address table.
 */
Test(hostile, forged_sources_on_one_reported_id_open_one_entry_a_second)
{
	const unsigned int flood = 10000;
	uint8_t cid[8];
	char hex[17], addr[32];
	__u64 first_s, last_s;
	size_t opened;

	pb_hex(cid_of(610000, hex), cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_A, QS_CID_AUTHORITATIVE), 0);
	first_s = qs_now_coarse_ns() >> 30;
	for (unsigned int n = 0; n < flood; n++) {
		struct pb_spec s;

		snprintf(addr, sizeof(addr), "198.19.%u.%u", (n >> 8) & 0xff, n & 0xff);
		s = world_short(4, addr, 2000, hex);
		cr_assert_eq(run(&s), XDP_TX);
	}
	last_s = qs_now_coarse_ns() >> 30;
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_CID), flood);
	opened = fx_map_entries(fx.flows);
	cr_assert_geq(opened, 1, "the first new address opened no entry");
	cr_assert_leq(opened, last_s - first_s + 1, "%zu entries opened in %llu coarse seconds",
		      opened, (unsigned long long)(last_s - first_s + 1));
	cr_assert_eq(fx_map_entries(fx.flows_new), 0);
	cr_assert_eq(aux(QS_AUX_PATH_CAPPED), flood - opened);
}

/*
 * A learned ID is the client's own word: from a new address (a NAT
 * rebinding) it opens an entry among the unproven ones only.
 */
Test(hostile, learned_id_opens_only_an_unproven_entry)
{
	uint8_t cid[8];
	struct qs_flow f;
	struct pb_spec s = world_short(4, CLIENT4_B, 3000, "5d5d5d5d5d5d5d5d");

	pb_hex("5d5d5d5d5d5d5d5d", cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, BE_B, QS_CID_LEARNED), 0);
	cr_assert_eq(run(&s), XDP_TX);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_CID_LEARNED), 1);
	cr_assert_neq(world_flow_get(&fx, 4, CLIENT4_B, 3000, &f), 0,
		      "a learned ID opened an established entry");
	cr_assert_eq(world_flow_get_new(&fx, 4, CLIENT4_B, 3000, &f), 0);
	cr_assert_eq(f.backend_id, BE_B);
}

/*
 * An Initial's entry moves to the established table when a reported ID of
 * its backend comes from its address, with its Initial's tags: the
 * connection's later Initials still find it.
 */
Test(hostile, reported_id_vouches_for_an_initials_entry)
{
	struct qs_flow before, after;
	char hex[17];
	struct pb_spec again = world_initial(4, CLIENT4, 21000, cid_of(21000, hex));
	struct pb_spec vouch = world_short(4, CLIENT4, 21000, "5e01020304050607");
	uint8_t cid[8];

	open_flow(21000);
	cr_assert_eq(world_flow_get_new(&fx, 4, CLIENT4, 21000, &before), 0);
	cr_assert_neq(world_flow_get(&fx, 4, CLIENT4, 21000, &after), 0,
		      "an Initial opened an established entry");
	pb_hex("5e01020304050607", cid, 8);
	cr_assert_eq(fx_cid(&fx, VIP4_ID, cid, 8, before.backend_id, QS_CID_AUTHORITATIVE), 0);
	cr_assert_eq(run(&vouch), XDP_TX);
	cr_assert_eq(aux(QS_AUX_FLOW_PROMOTED), 1);
	cr_assert_eq(world_flow_get(&fx, 4, CLIENT4, 21000, &after), 0, "not moved");
	cr_assert_neq(world_flow_get_new(&fx, 4, CLIENT4, 21000, &before), 0,
		      "the Initial's entry stayed in qs_flows_new");
	cr_assert_eq(after.dcid_tag, world_cid_tag(hex), "the Initial's tags were lost");
	cr_assert_eq(run(&again), XDP_TX);
	cr_assert_eq(fx_reason(&fx, QS_R_ROUTE_FLOW), 1, "the Initial's retransmission is lost");
}
