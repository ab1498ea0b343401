// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The benchmark's world: world.h's VIPs and backends, two QUIC-LB VIPs, a
 * VIP that does not learn, two of address-entry handshake, the address
 * entries of the benchmark's client, and an ID table filled with a million
 * entries, whose memory is measured while it is filled.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bench.h"
#include "util/log.h"
#include "router/maps.h"
#include "util/words.h"

#define FILL_CHUNK 65536u

/*
 * splitmix64's finaliser is a bijection on 64-bit values, so distinct k give
 * distinct IDs: the table's IDs (k < BENCH_CID_ENTRIES) and the IDs the
 * learning case invents (k far above) can never collide, yet they look as
 * random as a backend's would, which spreads them over the hash buckets.
 */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void bench_cid_of(uint32_t k, uint8_t cid[WORLD_CID_LEN])
{
	uint64_t v = splitmix64(k);

	for (int i = 0; i < WORLD_CID_LEN; i++)
		cid[i] = v >> (8 * (WORLD_CID_LEN - 1 - i));
}

/*
 * Entry k belongs to VIP4 when even, VIP6 when odd. The i-th ID a case
 * looks up is spread over the whole table (7919 is prime to the half size)
 * so that successive runs do not walk neighbouring buckets.
 */
uint32_t bench_cid_index(int family, uint32_t i)
{
	uint32_t half = BENCH_CID_ENTRIES / 2;

	return 2 * (uint32_t)(((uint64_t)i * 7919u) % half) + (family == 6);
}

static int quiclb_vip(struct fx *fx, const char *addr, uint32_t vip_id, uint32_t backend)
{
	struct qs_vip vip = { .vip_id = vip_id, .cid_len = WORLD_CID_LEN,
			      .flags = QS_VIP_F_LEARN, .quiclb_mask = 1 << 1 };
	/* Config 1, as in the packet tests: 1 + 2-byte server ID + 5-byte nonce. */
	struct qs_quiclb_config cfg = { .mode = QS_QUICLB_PLAINTEXT, .server_id_len = 2,
					.nonce_len = 5 };
	struct qs_server_id_key sk = { .vip_id = vip_id, .config_id = 1, .sid_len = 2,
				       .sid = { BENCH_QUICLB_SID >> 8, BENCH_QUICLB_SID & 0xff } };

	int err = 0;

	for (unsigned int id = BENCH_QUICLB_SINGLE; !err && id <= BENCH_QUICLB_FOUR_18; id++) {
		struct qs_quiclb_config enc = { .server_id_len = 2,
						.nonce_len = bench_quiclb_nonce_len(id) };
		struct qs_server_id_key k = sk;

		enc.mode = enc.nonce_len == 14 ? QS_QUICLB_AES_SINGLE : QS_QUICLB_AES_FOUR_PASS;
		k.config_id = id;
		vip.quiclb_mask |= 1 << id;
		err = qs_quiclb_rk_put(fx->quiclb_rk, vip_id, id, (const __u8 *)BENCH_QUICLB_KEY) ?:
		      qs_quiclb_put(fx->quiclb, vip_id, id, &enc) ?:
		      qs_server_id_put(fx->server_ids, &k, backend);
	}
	return err ?: fx_vip(fx, addr, VIP_PORT, &vip) ?:
		      qs_quiclb_put(fx->quiclb, vip_id, 1, &cfg) ?:
		      qs_server_id_put(fx->server_ids, &sk, backend);
}

/*
 * An established connection's address entry, naming the backend its IDs
 * name, opened by an Initial with the world's SCID: the benchmark's
 * Initials (their DCIDs vary) are of its connection.
 */
static int client_flow_port(struct fx *fx, int family, uint32_t vip_id, uint32_t backend,
			    uint16_t port)
{
	struct qs_flow f = world_flow_opened(backend, "");
	struct qs_flow_key k;
	int err;

	memset(&k, 0, sizeof(k));
	err = qs_parse_addr(family == 6 ? CLIENT6 : CLIENT4, &k.addr, &k.family);
	if (err)
		return err;
	k.vip_id = vip_id;
	k.port = htons(port);
	return qs_flow_put(fx->flows, &k, &f);
}

static int client_flow(struct fx *fx, int family, uint32_t vip_id, uint32_t backend)
{
	return client_flow_port(fx, family, vip_id, backend, CLIENT_PORT);
}

int bench_learn_flows(struct bench *b, int family)
{
	int err = 0;

	for (uint16_t p = 0; !err && p < BENCH_LEARN_PORTS; p++)
		err = client_flow_port(&b->fx, family, family == 6 ? VIP6_ID : VIP4_ID,
				       family == 6 ? BE_C6 : BE_A, BENCH_LEARN_PORT + p);
	return err;
}

/*
 * A VIP of address-entry handshake whose Maglev row is ring's, as the
 * world's VIP of its family: Maglev picks the same backends, so the frames
 * encapsulated and sent are those of new_initial.
 */
static int handshake_vip(struct fx *fx, const char *addr, uint32_t vip_id, const uint32_t *ring)
{
	struct qs_vip vip = { .vip_id = vip_id, .cid_len = WORLD_CID_LEN,
			      .flags = QS_VIP_F_LEARN | QS_VIP_F_ENTRY_AT_HANDSHAKE };

	return fx_vip(fx, addr, VIP_PORT, &vip) ?: fx_maglev_round_robin(fx, vip_id, ring, 2);
}

unsigned int bench_quiclb_nonce_len(unsigned int config_id)
{
	switch (config_id) {
	case BENCH_QUICLB_SINGLE:
		return 14;
	case BENCH_QUICLB_FOUR_7:
		return 4;
	case BENCH_QUICLB_FOUR_12:
		return 9;
	default:
		return 15;
	}
}

int bench_world_setup(struct bench *b)
{
	struct qs_vip nolearn = { .vip_id = BENCH_VIP4_NOLEARN_ID, .cid_len = WORLD_CID_LEN };
	struct fx *fx = &b->fx;

	return world_setup(fx) ?:
	       fx_vip(fx, BENCH_VIP4_NOLEARN, VIP_PORT, &nolearn) ?:
	       client_flow(fx, 4, BENCH_VIP4_NOLEARN_ID, BE_A) ?:
	       quiclb_vip(fx, BENCH_VIP4_QUICLB, BENCH_VIP4_QUICLB_ID, BE_A) ?:
	       quiclb_vip(fx, BENCH_VIP6_QUICLB, BENCH_VIP6_QUICLB_ID, BE_C6) ?:
	       handshake_vip(fx, BENCH_VIP4_HANDSHAKE, BENCH_VIP4_HANDSHAKE_ID, world_vip4_ring) ?:
	       handshake_vip(fx, BENCH_VIP6_HANDSHAKE, BENCH_VIP6_HANDSHAKE_ID, world_vip6_ring) ?:
	       client_flow(fx, 4, VIP4_ID, BE_A) ?: client_flow(fx, 6, VIP6_ID, BE_C6) ?:
	       client_flow(fx, 4, BENCH_VIP4_QUICLB_ID, BE_A) ?:
	       client_flow(fx, 6, BENCH_VIP6_QUICLB_ID, BE_C6) ?: bench_learn_flows(b, 4) ?:
	       bench_learn_flows(b, 6);
}

/*
 * On this kernel the memlock line of a map's fdinfo is the map's own account
 * of its memory (map_mem_usage), which for a non-preallocated hash map grows
 * with the number of live elements.
 */
static int fdinfo_memlock(int fd, uint64_t *bytes)
{
	unsigned long long v;
	char path[64], line[256];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memlock: %llu", &v) == 1) {
			*bytes = v;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* kB of each /proc/meminfo field named in fields, in order. */
static int meminfo_read(const char *const *fields, int64_t *kb, int n)
{
	char line[256], name[64];
	long long v;
	int found = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %lld", name, &v) != 2)
			continue;
		for (int i = 0; i < n; i++) {
			if (!strcmp(name, fields[i])) {
				kb[i] = v;
				found++;
			}
		}
	}
	fclose(f);
	return found == n ? 0 : -ENOENT;
}

static const char *const mem_fields[] = { "Slab", "Percpu", "MemAvailable" };

#define SETTLE_STEP_US 250000
#define SETTLE_WINDOW 5 /* readings: a second without movement */
#define SETTLE_MAX_STEPS 40
#define SETTLE_KB 1024 /* one byte per entry at a million entries */

/*
 * Reads meminfo once Slab + Percpu has stayed put for a second. A hash map's
 * elements go back to the allocator some time after its last fd closes (a
 * workqueue, RCU grace periods): when runs follow each other closely, the
 * previous run's million IDs are freed while this run fills its table, and
 * measured at once the two cancel out. *settled is false if it never stayed
 * put.
 */
static int meminfo_settled(int64_t *kb, bool *settled)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	int err, n = 0;

	*settled = false;
	for (int i = 0; i < SETTLE_MAX_STEPS; i++) {
		err = meminfo_read(mem_fields, kb, 3);
		if (err)
			return err;
		lo = kb[0] + kb[1] < lo ? kb[0] + kb[1] : lo;
		hi = kb[0] + kb[1] > hi ? kb[0] + kb[1] : hi;
		if (hi - lo >= SETTLE_KB) {
			lo = hi = kb[0] + kb[1];
			n = 0;
		}
		if (++n == SETTLE_WINDOW) {
			*settled = true;
			return 0;
		}
		usleep(SETTLE_STEP_US);
	}
	return 0;
}

static int cid_fill_chunk(struct bench *b, uint32_t first, uint32_t n, struct qs_cid_key *keys,
			  struct qs_cid_entry *vals)
{
	uint8_t cid[WORLD_CID_LEN];
	int err;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = first + i;

		bench_cid_of(k, cid);
		qs_cid_key_make(&keys[i], k & 1 ? VIP6_ID : VIP4_ID, cid, sizeof(cid));
		memset(&vals[i], 0, sizeof(vals[i]));
		vals[i].backend_id = k & 1 ? BE_C6 : BE_A;
		vals[i].kind = QS_CID_AUTHORITATIVE;
	}
	/* what the data path reads, as the agent writes it */
	for (uint32_t i = 0; i < n; i++) {
		err = qs_cidtab_put(&b->fx.cidtab, &keys[i], vals[i].backend_id, 0);
		if (err)
			return err;
	}
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fills the ID table with BENCH_CID_ENTRIES authoritative IDs, half per VIP. */
int bench_cid_fill(struct bench *b, struct mem_result *mem)
{
	struct qs_cid_entry *vals = calloc(FILL_CHUNK, sizeof(*vals));
	struct qs_cid_key *keys = calloc(FILL_CHUNK, sizeof(*keys));
	int64_t before[3], after[3];
	bool settled;
	double t0;
	int err;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	memset(mem, 0, sizeof(*mem));
	err = fdinfo_memlock(b->fx.cids, &mem->memlock_empty) ?: meminfo_settled(before, &settled);
	if (err)
		goto out;
	t0 = now_seconds();
	for (uint32_t k = 0; k < BENCH_CID_ENTRIES && !err; k += FILL_CHUNK) {
		uint32_t n = BENCH_CID_ENTRIES - k < FILL_CHUNK ? BENCH_CID_ENTRIES - k : FILL_CHUNK;

		err = cid_fill_chunk(b, k, n, keys, vals);
	}
	mem->fill_seconds = now_seconds() - t0;
	if (err) {
		pr_warn("bench: filling the ID table (%s) failed: %s\n", QS_MAP_CIDTAB,
			strerror(-err));
		goto out;
	}
	err = fdinfo_memlock(b->fx.cids, &mem->memlock_full) ?:
	      fdinfo_memlock(b->fx.cidtab_fd, &mem->cidtab_memlock) ?:
	      meminfo_read(mem_fields, after, 3);
	/* Read at once after the fill: nothing of this map is freed meanwhile. */
	mem->meminfo_settled = settled;
	mem->entries = BENCH_CID_ENTRIES;
	mem->slab_percpu_kb = (after[0] + after[1]) - (before[0] + before[1]);
	mem->available_kb = before[2] - after[2];
out:
	free(keys);
	free(vals);
	return err;
}
