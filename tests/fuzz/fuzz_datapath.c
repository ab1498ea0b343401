// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the data path: each input is a short sequence of
 * frames (datapath_input.h) run in order through the real router program
 * with BPF_PROG_TEST_RUN, in a small world loaded once (needs root). After
 * every frame:
 *   1. the reason counters (qs_stats_v2) grew by exactly one packet and the
 *      frame's bytes, under one reason, and that reason's action is the
 *      verdict (docs/datapath.md, "Reasons");
 *   2. qs_cidtab, the authoritative IDs (what backends reported and the
 *      operator set), holds exactly the IDs the world wrote, with their
 *      backends and kinds, and nothing else: no packet adds, removes or
 *      changes one; qs_cids (older pins' table) stays empty. qs_learned may
 *      change, but only by a learning: an ID qs_cidtab does not hold, for
 *      the backend of the record that announces it;
 *   3. a forwarded frame (XDP_TX, XDP_REDIRECT) came from a datagram (or a
 *      fragment, for frag_hash) to a VIP whose IP and UDP lengths fit the
 *      frame and each other, and is that frame encapsulated: an outer IPv4
 *      header with a valid checksum or an IPv6 header, lengths that match
 *      the inner packet, the inner packet byte for byte, towards a backend
 *      of the world (for an encrypted QUIC-LB ID made by libquicsteer's
 *      codec, the backend of its server ID) through the next hop its entry
 *      names (and the whole frame as tests/lib/expect.c rebuilds it); for a
 *      layer-2 DSR VIP the frame with only its MAC addresses changed;
 *   4. XDP_PASS leaves the frame as it came;
 *   5. a ring-buffer record, if any, is the one of the rung that chose, for
 *      the frame's VIP and client.
 * A violation prints what was wrong and aborts, so libFuzzer keeps the input.
 *
 * The program runs in the kernel, where libFuzzer sees no coverage: what it
 * did (reason, verdict, records, non-verdict counters, with what kind of
 * frame and after which reason) is fed back as extra counters.
 *
 * The tables are reset before each input (both address tables, learned
 * IDs and the cache of decoded QUIC-LB IDs cleared, reported IDs
 * rewritten, the ring buffer's per-CPU budget refilled), so an input
 * replays alone.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "abi/abi.h"
#include "abi/flowhash.h"
#include "router/maps.h"
#include "router/reasons.h"
#include "util/clock.h"
#include "util/words.h"
#include "datapath_input.h"
#include "datapath_world.h"
#include "expect.h"
#include "fixture.h"
#include "pktbuild.h"

#define OUT_CAP 8192
#define FEATURES 16384
#define NO_REASON QS_R__COUNT
/* the larger of the two ID tables, which are read whole */
#define TABLE_READ_MAX \
	(DPW_CID_ENTRIES > DPW_LEARNED_ENTRIES ? DPW_CID_ENTRIES : DPW_LEARNED_ENTRIES)

/* Coverage of what the program did, for libFuzzer (its "extra counters"). */
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t features[FEATURES];

static struct fx fx;
static int veth_ifindex;
static int ncpus;
static int verbose;
static struct qs_counter *stats_buf;
static __u64 *aux_buf;
static uint64_t reason_packets[QS_R__COUNT], reason_bytes[QS_R__COUNT];
static uint64_t aux_total[QS_AUX__COUNT];

struct cid_pair {
	struct qs_cid_key key;
	struct qs_cid_entry val;
};

/* The world's reported and operator IDs, sorted by key. */
static struct qs_cid_key cid_keys[DPW_MAX_CIDS];
static struct qs_cid_entry cid_vals[DPW_MAX_CIDS];
static size_t n_cids;
/* qs_learned as the previous frame left it, sorted by key. */
static struct cid_pair learned_was[TABLE_READ_MAX];
static size_t n_learned_was;

/* What the current frame is, for messages. */
static struct {
	size_t index;
	int action;
	unsigned int reason;
} now;

static const char *action_name(int action)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return action >= 0 && action <= XDP_REDIRECT ? names[action] : "an unknown action";
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void violation(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_datapath: frame %zu, %s, reason %s: ", now.index,
		action_name(now.action),
		now.reason < QS_R__COUNT ? qs_reason_name(now.reason) : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void fatal(const char *what, int err)
{
	fprintf(stderr, "fuzz_datapath: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void feature(uint32_t group, uint32_t a, uint32_t b)
{
	uint32_t h = group * 0x9e3779b1u ^ a * 0x85ebca77u ^ b * 0xc2b2ae3du;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	/* seen or not: libFuzzer would make each count of a frequent pair a feature */
	features[h % FEATURES] = 1;
}

/* A forwarded packet's lengths: the IP packet in the frame, the UDP datagram in the packet. */
static void lengths_check(const struct dpi_view *v, size_t len)
{
	if (dpi_lengths_consistent(v, len))
		return;
	violation("forwarded a packet whose lengths do not fit: frame %zu, IP at %zu of %zu "
		  "(headers %zu), UDP at %zu of %u",
		  len, v->l3_off, v->ip_len, v->l3_hdr, v->l4_off, v->udp_len);
}

/* ---- reading the maps ---- */

/* A whole per-CPU array, one batched lookup. */
static int percpu_read(int fd, __u32 n, void *values)
{
	__u32 keys[64], count = n, out_batch;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, values, &count, &opts) &&
	    errno != ENOENT)
		return -errno;
	return count == n ? 0 : -EIO;
}

/* Sums qs_stats into reason_packets/bytes; returns the reason that grew. */
static unsigned int stats_step(size_t frame_len)
{
	unsigned int grown = NO_REASON;
	int err = percpu_read(fx.stats, QS_R__COUNT, stats_buf);

	if (err)
		fatal("reading qs_stats", err);
	for (unsigned int r = 0; r < QS_R__COUNT; r++) {
		uint64_t packets = 0, bytes = 0;

		for (int c = 0; c < ncpus; c++) {
			packets += stats_buf[r * ncpus + c].packets;
			bytes += stats_buf[r * ncpus + c].bytes;
		}
		if (packets == reason_packets[r] && bytes == reason_bytes[r])
			continue;
		now.reason = r;
		if (grown != NO_REASON)
			violation("counted under two reasons, %s and %s", qs_reason_name(grown),
				  qs_reason_name(r));
		if (packets != reason_packets[r] + 1 || bytes != reason_bytes[r] + frame_len)
			violation("counted %llu packets and %llu bytes, want 1 and %zu",
				  (unsigned long long)(packets - reason_packets[r]),
				  (unsigned long long)(bytes - reason_bytes[r]), frame_len);
		grown = r;
		reason_packets[r] = packets;
		reason_bytes[r] = bytes;
	}
	if (grown == NO_REASON)
		violation("counted under no reason");
	return grown;
}

/* Bit i set: qs_aux_stats counter i grew. */
static unsigned int aux_step(void)
{
	unsigned int grown = 0;
	int err = percpu_read(fx.aux_stats, QS_AUX__COUNT, aux_buf);

	if (err)
		fatal("reading qs_aux_stats", err);
	for (unsigned int i = 0; i < QS_AUX__COUNT; i++) {
		uint64_t sum = 0;

		for (int c = 0; c < ncpus; c++)
			sum += aux_buf[i * ncpus + c];
		if (sum != aux_total[i])
			grown |= 1u << i;
		aux_total[i] = sum;
	}
	return grown;
}

static int cid_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct qs_cid_key));
}

static int cid_pair_cmp(const void *a, const void *b)
{
	return cid_key_cmp(&((const struct cid_pair *)a)->key, &((const struct cid_pair *)b)->key);
}

/* Equal but for the path, which the data path writes on hits. */
static int cid_entry_same(const struct qs_cid_entry *a, const struct qs_cid_entry *b)
{
	return a->created_ns == b->created_ns && a->backend_id == b->backend_id &&
	       a->kind == b->kind && !memcmp(a->pad, b->pad, sizeof(a->pad)) &&
	       !memcmp(a->pad2, b->pad2, sizeof(a->pad2));
}

static int cid_reported(const struct qs_cid_key *k)
{
	return bsearch(k, cid_keys, n_cids, sizeof(*k), cid_key_cmp) != NULL;
}

/* A whole ID table (qs_cids, qs_learned), sorted by key, into pairs; returns the count. */
static size_t cid_table_read(int fd, struct cid_pair *pairs, const char *what)
{
	static struct qs_cid_key keys[TABLE_READ_MAX];
	static struct qs_cid_entry vals[TABLE_READ_MAX];
	__u32 count = TABLE_READ_MAX, out_batch;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, &opts) &&
	    errno != ENOENT)
		fatal(what, -errno);
	for (__u32 i = 0; i < count; i++)
		pairs[i] = (struct cid_pair){ keys[i], vals[i] };
	qsort(pairs, count, sizeof(pairs[0]), cid_pair_cmp);
	return count;
}

/* Invariant 2, qs_cidtab: the world's IDs, each as it wrote it, and nothing else. */
static void cidtab_check(void)
{
	struct qs_cidtab_stats st;

	for (size_t i = 0; i < n_cids; i++) {
		__u32 backend;
		__u8 kind;

		if (qs_cidtab_get(&fx.cidtab, &cid_keys[i], &backend, &kind))
			violation("qs_cidtab lost an ID the world wrote (vip %u, length %u)",
				  cid_keys[i].vip_id, cid_keys[i].cid_len);
		if (backend != cid_vals[i].backend_id || kind != cid_vals[i].kind)
			violation("qs_cidtab entry (vip %u, length %u) changed: backend %u kind %u, "
				  "want backend %u kind %u",
				  cid_keys[i].vip_id, cid_keys[i].cid_len, backend, kind,
				  cid_vals[i].backend_id, cid_vals[i].kind);
	}
	qs_cidtab_stats(&fx.cidtab, &st);
	if (st.entries != n_cids || st.displaced_wrong)
		violation("qs_cidtab holds %llu entries (%llu buckets miscounted), the world wrote %zu",
			  (unsigned long long)st.entries, (unsigned long long)st.displaced_wrong,
			  n_cids);
}

/* Invariant 2: qs_cidtab as the world wrote it, and qs_cids (older pins' table) untouched. */
static void cids_check(void)
{
	static struct cid_pair got[TABLE_READ_MAX];
	size_t n = cid_table_read(fx.cids, got, "reading qs_cids");

	if (n)
		violation("qs_cids holds %zu entries: nothing writes it", n);
	cidtab_check();
}

/* ---- the world ---- */

static void add_cid(const struct dpw_cid *c, struct qs_cid_key *keys, struct qs_cid_entry *vals,
		    size_t *n, __u64 now_ns)
{
	uint8_t cid[QS_CID_MAX_LEN];
	int len = pb_hex(c->hex, cid, sizeof(cid));

	if (len < 0 || qs_cid_key_make(&keys[*n], c->vip_id, cid, len))
		fatal(c->hex, EINVAL);
	memset(&vals[*n], 0, sizeof(vals[*n]));
	vals[*n].backend_id = c->backend_id;
	vals[*n].kind = c->kind;
	if (c->kind == QS_CID_LEARNED)
		vals[*n].created_ns = now_ns - c->age_s * 1000000000ull;
	(*n)++;
}

static void batch_put(int fd, const void *keys, const void *vals, size_t n, const char *what)
{
	__u32 count = n;

	if (n && bpf_map_update_batch(fd, keys, vals, &count, NULL))
		fatal(what, -errno);
}

/* Empties an LRU table; a batch at a time. */
static void table_clear(int fd, size_t key_size, size_t value_size, const char *what)
{
	static char keys[1024 * 32], vals[1024 * 32];
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 out_batch, count;
	int more = 1;
	void *in = NULL;

	if (key_size > 32 || value_size > 32)
		fatal(what, E2BIG);
	while (more) {
		count = 1024;
		more = !bpf_map_lookup_and_delete_batch(fd, in, &out_batch, keys, vals, &count,
							&opts);
		if (!more && errno != ENOENT)
			fatal(what, -errno);
		in = &out_batch;
	}
}

/*
 * The ring buffer's per-CPU budget of this second: emitted records, on
 * every CPU. 0 at the start of every input, so that what the frames before
 * it sent does not decide whether its records are sampled out;
 * QS_EVENTS_PER_CPU_SEC before a frame marked DPI_CTL_BUDGET_SPENT.
 */
static void budget_set(__u64 emitted)
{
	static struct qs_event_budget *b;
	__u32 zero = 0;

	if (!b && !(b = calloc(ncpus, sizeof(*b))))
		fatal("allocating", ENOMEM);
	for (int c = 0; c < ncpus; c++)
		b[c] = (struct qs_event_budget){ .second = qs_now_coarse_ns() >> 30,
						 .emitted = emitted };
	if (bpf_map_update_elem(fx.ev_budget, &zero, b, BPF_ANY))
		fatal("writing qs_ev_budget", -errno);
}

/* Every input starts from the same tables. */
static void tables_reset(void)
{
	static struct qs_cid_key keys[DPW_MAX_CIDS];
	static struct qs_cid_entry vals[DPW_MAX_CIDS];
	__u64 t = qs_now_coarse_ns();
	size_t n = 0;

	table_clear(fx.flows, sizeof(struct qs_flow_key), sizeof(struct qs_flow),
		    "clearing qs_flows_v2");
	table_clear(fx.flows_new, sizeof(struct qs_flow_key), sizeof(struct qs_flow),
		    "clearing qs_flows_new");
	table_clear(fx.quiclb_cache, sizeof(struct qs_cid_key), sizeof(struct qs_quiclb_cached),
		    "clearing qs_quiclb_cache");
	table_clear(fx.learned, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry),
		    "clearing qs_learned");
	for (size_t i = 0; i < n_cids; i++) {
		int err = qs_cidtab_put(&fx.cidtab, &cid_keys[i], cid_vals[i].backend_id,
					cid_vals[i].kind == QS_CID_OPERATOR);

		if (err)
			fatal("rewriting qs_cidtab", -err);
	}
	for (size_t i = 0; i < dpw_n_learned; i++)
		add_cid(&dpw_learned[i], keys, vals, &n, t);
	batch_put(fx.learned, keys, vals, n, "writing qs_learned");
	n_learned_was = cid_table_read(fx.learned, learned_was, "reading qs_learned");
	budget_set(0);
}

/* The world's reported IDs into cid_keys and cid_vals, sorted by key for cids_check. */
static void cids_sorted(void)
{
	static struct cid_pair pairs[DPW_MAX_CIDS];

	if (dpw_n_cids > DPW_MAX_CIDS)
		fatal("the world's IDs", E2BIG);
	for (size_t i = 0; i < dpw_n_cids; i++)
		add_cid(&dpw_cids[i], cid_keys, cid_vals, &n_cids, 0);
	for (size_t i = 0; i < n_cids; i++)
		pairs[i] = (struct cid_pair){ cid_keys[i], cid_vals[i] };
	qsort(pairs, n_cids, sizeof(pairs[0]), cid_pair_cmp);
	for (size_t i = 0; i < n_cids; i++) {
		cid_keys[i] = pairs[i].key;
		cid_vals[i] = pairs[i].val;
	}
}

/* A veth of the fuzzer's own network namespace: the egress of XDP_REDIRECT. */
static int veth_make(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	if (system("ip link add qsfz0 type veth peer name qsfz1"))
		return -ENODEV;
	return if_nametoindex("qsfz0") ?: -ENODEV;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int err;

	(void)argc, (void)argv;
	verbose = getenv("QS_FUZZ_VERBOSE") != NULL;
	if (geteuid())
		fatal("needs root to load the router and run it with BPF_PROG_TEST_RUN", EPERM);
	veth_ifindex = veth_make();
	if (veth_ifindex < 0)
		fatal("making a veth in a network namespace of its own", veth_ifindex);
	err = fx_open_sized(&fx, DPW_CID_ENTRIES, DPW_LEARNED_ENTRIES);
	if (err)
		fatal("loading the router", err);
	err = dpw_setup(&fx, veth_ifindex);
	if (err)
		fatal("writing the world's tables", err);
	err = dpw_lb_ids_make();
	if (err)
		fatal("making the world's QUIC-LB IDs", err);
	cids_sorted();
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		fatal("counting CPUs", ncpus);
	stats_buf = calloc((size_t)QS_R__COUNT * ncpus, sizeof(*stats_buf));
	aux_buf = calloc((size_t)QS_AUX__COUNT * ncpus, sizeof(*aux_buf));
	if (!stats_buf || !aux_buf)
		fatal("allocating", ENOMEM);
	tables_reset();
	cids_check();
	/* the counters' starting point: nothing has run yet */
	return 0;
}

/* ---- checks of one verdict ---- */

enum { A_PASS, A_DROP, A_FORWARD, A_NONE };

/*
 * docs/datapath.md, "Reasons": the action each reason goes with. Every
 * reason is listed: one added to the enum and not here is a violation
 * until it is, so the table cannot fall behind quietly.
 */
static int reason_action(unsigned int reason)
{
	switch (reason) {
	case QS_R_PASS_NOT_IP:
	case QS_R_PASS_NOT_UDP:
	case QS_R_PASS_NOT_VIP:
	case QS_R_PASS_MALFORMED_L2L3:
	case QS_R_FRAG_PASS:
		return A_PASS;
	case QS_R_FRAG_HASH:
	case QS_R_ROUTE_QUICLB:
	case QS_R_ROUTE_CID:
	case QS_R_ROUTE_CID_LEARNED:
	case QS_R_ROUTE_CID_DOWN:
	case QS_R_ROUTE_FLOW:
	case QS_R_ROUTE_FLOW_LEARN:
	case QS_R_ROUTE_FLOW_NOLEARN:
	case QS_R_ROUTE_NEW:
	case QS_R_ROUTE_NEW_0RTT:
	case QS_R_ROUTE_NEW_REUSED:
	case QS_R_ROUTE_VERSION:
	case QS_R_ROUTE_UNKNOWN_HASH:
		return A_FORWARD;
	case QS_R_FRAG_DROP:
	case QS_R_DROP_PORT_ZERO:
	case QS_R_DROP_MALFORMED_L3:
	case QS_R_DROP_TRUNCATED:
	case QS_R_DROP_CID_TOO_LONG:
	case QS_R_DROP_SMALL_INITIAL:
	case QS_R_DROP_UNKNOWN_CID:
	case QS_R_DROP_AMBIGUOUS:
	case QS_R_DROP_NO_BACKEND:
	case QS_R_DROP_NO_NEXTHOP:
	case QS_R_DROP_FAMILY:
	case QS_R_DROP_ENCAP:
		return A_DROP;
	default:
		return A_NONE;
	}
}

static void verdict_check(int action, unsigned int reason)
{
	static const int want[] = { [A_PASS] = XDP_PASS, [A_DROP] = XDP_DROP };
	int a = reason_action(reason);

	if (a == A_NONE)
		violation("a reason this fuzzer does not know the action of (reason_action)");
	if (action < XDP_DROP || action > XDP_REDIRECT)
		violation("not a verdict of the router");
	if (a == A_FORWARD ? action != XDP_TX && action != XDP_REDIRECT : action != want[a])
		violation("the reason goes with %s",
			  a == A_FORWARD ? "XDP_TX or XDP_REDIRECT" : action_name(want[a]));
}

/* Forwarding failed after the ladder chose: its reason replaces the rung's. */
static int forward_failed(unsigned int reason)
{
	return reason == QS_R_DROP_NO_BACKEND || reason == QS_R_DROP_NO_NEXTHOP ||
	       reason == QS_R_DROP_FAMILY || reason == QS_R_DROP_ENCAP;
}

/* Records the frame would have sent and did not: sampled out, or the ring was full. */
static unsigned int events_missed(unsigned int aux)
{
	return !!(aux & (1u << QS_AUX_EVENTS_SAMPLED_OUT)) + !!(aux & (1u << QS_AUX_EVENTS_LOST));
}

/*
 * Invariant 5: at most one record, the one of the rung that chose. The
 * ladder writes its tables and records before forwarding, so a new address
 * entry or a learned ID of a frame whose forwarding then failed is recorded
 * under the failure's reason. route_new (an Initial's address entry) has a
 * record unless the address was ambiguous; route_new_reused always has
 * one, route_new_0rtt never.
 */
static unsigned int events_check(unsigned int reason, unsigned int aux, const struct dpi_view *v)
{
	unsigned int missed = events_missed(aux);
	int must = reason == QS_R_ROUTE_FLOW_LEARN || reason == QS_R_ROUTE_NEW_REUSED ||
		   reason == QS_R_DROP_UNKNOWN_CID || reason == QS_R_DROP_AMBIGUOUS;
	const struct qs_event *ev = &fx.events[0];
	const struct dpw_vip *vip;
	int fits;

	if (fx.n_events + missed > 1)
		violation("%d ring-buffer records, %u sampled out or lost: one at most",
			  fx.n_events, missed);
	if (must && fx.n_events + missed != 1)
		violation("no ring-buffer record");
	if (!fx.n_events)
		return 0;
	switch (ev->type) {
	case QS_EV_NEW_FLOW:
		fits = reason == QS_R_ROUTE_NEW || reason == QS_R_ROUTE_NEW_REUSED ||
		       forward_failed(reason);
		break;
	case QS_EV_LEARNED_CID:
		fits = reason == QS_R_ROUTE_FLOW_LEARN || forward_failed(reason);
		break;
	case QS_EV_UNKNOWN_CID:
		fits = reason == QS_R_DROP_UNKNOWN_CID || reason == QS_R_DROP_AMBIGUOUS;
		break;
	default:
		fits = 0;
	}
	if (!fits)
		violation("a ring-buffer record of type %u", ev->type);
	vip = dpw_vip_find(v->family, v->daddr, v->dport);
	if (!vip || ev->vip_id != vip->vip.vip_id || ev->family != v->family ||
	    ev->client_port != htons(v->sport) || memcmp(&ev->client, v->saddr, 16) ||
	    ev->cid_len > QS_CID_MAX_LEN)
		violation("a ring-buffer record of another VIP, client or ID length (vip %u, "
			  "ID length %u)",
			  ev->vip_id, ev->cid_len);
	return ev->type;
}

/*
 * The one qs_learned entry this frame added or rewrote (NULL: none), and in
 * *was what it replaced (NULL: nothing). No entry may go: the table is far
 * larger than an input can fill, so not even the LRU evicts.
 */
static const struct cid_pair *learned_diff(const struct cid_pair *got, size_t n,
					   const struct cid_pair **was)
{
	const struct cid_pair *change = NULL;
	size_t i = 0, j = 0, changed = 0;

	*was = NULL;
	while (i < n_learned_was || j < n) {
		int c = i == n_learned_was ? 1 :
			j == n		   ? -1 :
					     cid_key_cmp(&learned_was[i].key, &got[j].key);

		if (c < 0)
			violation("qs_learned lost an entry (vip %u, length %u)",
				  learned_was[i].key.vip_id, learned_was[i].key.cid_len);
		if (c > 0 || !cid_entry_same(&learned_was[i].val, &got[j].val)) {
			changed++;
			change = &got[j];
			*was = c > 0 ? NULL : &learned_was[i];
		}
		i += c <= 0;
		j++;
	}
	if (changed > 1)
		violation("%zu qs_learned entries changed by one frame", changed);
	return change;
}

/*
 * Invariant 2 for qs_learned: a frame changes at most one entry, and only
 * by learning an ID: one that qs_cidtab does not hold, of kind learned, new
 * or over a stale entry (never a live one: an address does not get to move
 * another's ID), and announced by the frame's record (unless sampled out).
 */
static void learned_check(unsigned int reason, const struct qs_event *ev, int missed)
{
	static struct cid_pair got[TABLE_READ_MAX];
	size_t n = cid_table_read(fx.learned, got, "reading qs_learned");
	const struct cid_pair *was, *change = learned_diff(got, n, &was);
	__u64 was_created = was ? was->val.created_ns : 0;
	struct qs_cid_key ev_key;

	/* the next frame's starting point (was pointed into it) */
	memcpy(learned_was, got, n * sizeof(got[0]));
	n_learned_was = n;
	if (!change) {
		if (reason == QS_R_ROUTE_FLOW_LEARN)
			violation("route_flow_learn, and qs_learned is as it was");
		return;
	}
	if (reason != QS_R_ROUTE_FLOW_LEARN && !forward_failed(reason))
		violation("qs_learned changed (vip %u, length %u)", change->key.vip_id,
			  change->key.cid_len);
	if (change->val.kind != QS_CID_LEARNED || cid_reported(&change->key))
		violation("learned an ID of kind %u%s", change->val.kind,
			  cid_reported(&change->key) ? " that qs_cidtab holds" : "");
	if (was && qs_now_coarse_ns() - was_created <= DPW_LEARNED_TTL_NS)
		violation("a live learned ID rewritten, for backend %u", change->val.backend_id);
	if (!ev) {
		if (!missed)
			violation("an ID learned without a ring-buffer record");
		return;
	}
	if (ev->type != QS_EV_LEARNED_CID ||
	    qs_cid_key_make(&ev_key, ev->vip_id, ev->cid, ev->cid_len) ||
	    cid_key_cmp(&ev_key, &change->key) || ev->backend_id != change->val.backend_id)
		violation("the ID learned is not the one its record announces");
}

/* The world's encrypted QUIC-LB ID that is the frame's DCID, if one is. */
static const struct dpw_lb_id *lb_id_of(const uint8_t *f, size_t len, const struct dpi_view *v)
{
	const struct dpw_vip *vip = dpw_vip_find(v->family, v->daddr, v->dport);
	size_t q = v->l4_off + 8, at;

	if (!vip || !v->udp || q >= len)
		return NULL;
	for (size_t i = 0; i < dpw_n_lb_ids; i++) {
		const struct dpw_lb_id *id = &dpw_lb_ids[i];

		if (id->vip_id != vip->vip.vip_id)
			continue;
		if (!(f[q] & 0x80))
			at = q + 1;
		else if (q + 6 <= len && f[q + 5] == id->len)
			at = q + 6;
		else
			continue;
		if (at + id->len <= len && !memcmp(f + at, id->cid, id->len))
			return id;
	}
	return NULL;
}

/*
 * A frame routed by an encrypted QUIC-LB ID went to the backend of the
 * server ID that libquicsteer's codec (a second implementation of the
 * draft) put in, decrypted or from the cache.
 */
static void quiclb_check(const uint8_t *in, size_t len, const struct dpi_view *v,
			 unsigned int reason, uint32_t backend_id)
{
	const struct dpw_lb_id *id = reason == QS_R_ROUTE_QUICLB ? lb_id_of(in, len, v) : NULL;

	if (id && id->backend_id != backend_id)
		violation("an encrypted QUIC-LB ID of backend %u's server ID sent to backend %u",
			  id->backend_id, backend_id);
}

/* Invariant 3 for an encapsulated frame. */
static void encap_check(const uint8_t *in, size_t len, const struct dpi_view *v, const uint8_t *out,
			size_t out_len, int action, unsigned int reason, uint32_t ingress)
{
	static uint8_t want[OUT_CAP];
	const uint8_t *outer = out + 14;
	size_t outer_len, inner_len = len - v->l3_off, declared, want_len;
	struct expect_encap e;
	const struct dpw_backend *be;
	struct qs_addr saddr = { 0 };
	int family, tx;

	if (out_len < 14 + 20)
		violation("a forwarded frame of %zu bytes", out_len);
	if (out[12] == 0x08 && out[13] == 0x00) {
		family = 4;
		outer_len = 20;
		declared = (outer[2] << 8 | outer[3]);
		if (outer[0] != 0x45 || dpi_ipv4_csum(outer, 20))
			violation("outer IPv4 header %02x, checksum %s", outer[0],
				  dpi_ipv4_csum(outer, 20) ? "wrong" : "right");
		if (outer[9] != 4 || v->family != 4)
			violation("IPv%d in IPv4 (protocol %u)", v->family, outer[9]);
	} else if (out[12] == 0x86 && out[13] == 0xdd && out_len >= 14 + 40) {
		family = 6;
		outer_len = 40;
		declared = 40 + (outer[4] << 8 | outer[5]);
		if (outer[0] >> 4 != 6 || outer[6] != (v->family == 4 ? 4 : 41))
			violation("outer IPv6 header %02x, next header %u for IPv%d", outer[0],
				  outer[6], v->family);
	} else {
		violation("forwarded with Ethernet type %02x%02x", out[12], out[13]);
	}
	if (declared != outer_len + v->ip_len || 14 + declared > out_len)
		violation("outer length %zu for an inner packet of %zu in a frame of %zu", declared,
			  v->ip_len, out_len);
	if (out_len - 14 - outer_len != inner_len ||
	    memcmp(outer + outer_len, in + v->l3_off, inner_len))
		violation("the inner packet is not the one received");
	be = dpw_backend_by_addr(family, outer + (family == 4 ? 16 : 24));
	if (!be)
		violation("encapsulated towards no backend of the world");
	quiclb_check(in, len, v, reason, be->id);
	tx = be->nexthop == DPW_NH_TX ||
	     (be->nexthop == DPW_NH_VETH && ingress == (uint32_t)veth_ifindex);
	if (be->nexthop != DPW_NH_TX && be->nexthop != DPW_NH_VETH)
		violation("forwarded to backend %u, whose next hop cannot be used", be->id);
	if (action != (tx ? XDP_TX : XDP_REDIRECT))
		violation("backend %u's next hop wants %s", be->id, tx ? "XDP_TX" : "XDP_REDIRECT");
	/* the whole frame, as the test suite's second implementation writes it */
	memcpy(saddr.addr, v->saddr, 16);
	e.backend_family = family;
	e.backend = be->addr;
	e.flow_hash = qs_flow_hash(saddr.addr, v->fragment ? 0 : htons(v->sport));
	want_len = expect_encap(in, len, v->vlans, &e, want);
	if (want_len != out_len || memcmp(want, out, out_len))
		violation("output differs from tests/lib/expect.c's: %s",
			  expect_diff(out, out_len, want, want_len));
}

/* Invariants 3 and 4. */
static void output_check(const uint8_t *in, size_t len, const struct dpi_view *v,
			 const uint8_t *out, size_t out_len, int action, unsigned int reason,
			 uint32_t ingress)
{
	const struct dpw_vip *vip;

	if (action == XDP_PASS) {
		if (out_len != len || memcmp(in, out, len))
			violation("XDP_PASS changed the frame");
		return;
	}
	if (action != XDP_TX && action != XDP_REDIRECT)
		return;
	if (!v->family)
		violation("forwarded a frame that is no IP packet");
	vip = dpw_vip_find(v->family, v->daddr, v->fragment ? 0 : v->dport);
	if (reason == QS_R_FRAG_HASH ?
		    !v->fragment || !vip || vip->vip.frag_policy != QS_FRAG_HASH :
		    v->fragment || !v->udp || !vip || vip->port == 0)
		violation("forwarded a %s that is not for a VIP",
			  v->fragment ? "fragment" : "datagram");
	lengths_check(v, len);
	if (vip->vip.fwd_mode == QS_FWD_L2DSR) {
		static uint8_t want[OUT_CAP];

		if (expect_l2(in, len, want) != out_len || memcmp(want, out, out_len))
			violation("layer-2 DSR output: %s", expect_diff(out, out_len, want, len));
		return;
	}
	encap_check(in, len, v, out, out_len, action, reason, ingress);
}

/* ---- one frame ---- */

/* An ID length as the ladder tells them apart. */
static uint32_t cid_len_class(uint8_t len)
{
	return len == 0	 ? 0 :
	       len < 8	 ? 1 :
	       len == 8	 ? 2 :
	       len < 18	 ? 3 :
	       len == 18 ? 4 :
	       len <= 20 ? 5 :
			   6;
}

/*
 * What kind of frame got the reason, coarsely, a few separate features
 * rather than their product (which grows the corpus without end): its
 * layers, its VIP, its QUIC header's form, version and ID length.
 */
static void frame_features(unsigned int reason, const uint8_t *f, size_t len,
			   const struct dpi_view *v)
{
	const struct dpw_vip *vip = v->family ? dpw_vip_find(v->family, v->daddr, v->dport) : NULL;
	size_t q = v->l4_off + 8;

	feature(10, reason,
		v->vlans | v->family << 2 | v->fragment << 5 | v->udp << 6 |
			dpi_lengths_consistent(v, len) << 7);
	feature(11, reason, vip ? vip->vip.vip_id + 1 : 0);
	if (!v->udp || q >= len)
		return;
	feature(12, reason, (f[q] & 0xb0) | (len - q >= QS_MIN_INITIAL_DGRAM));
	if (f[q] & 0x80 && q + 6 <= len) {
		uint32_t version =
			(uint32_t)f[q + 1] << 24 | f[q + 2] << 16 | f[q + 3] << 8 | f[q + 4];

		feature(13, reason,
			version == 1	      ? 1 :
			version == 0x6b3343cf ? 2 :
			version == 0xff00001d ? 3 :
			version == 0	      ? 4 :
						5);
		feature(14, reason, cid_len_class(f[q + 5]));
	}
}

static unsigned int frame_run(const struct dpi_record *rec, unsigned int prev)
{
	static uint8_t in[DPI_MAX_FRAME], out[OUT_CAP];
	uint32_t ingress = rec->ctl & DPI_CTL_INGRESS_VETH ? veth_ifindex : 0;
	struct qs_prog_run run = { .in = in,
				   .in_len = rec->len,
				   .out = out,
				   .out_cap = OUT_CAP,
				   .ingress_ifindex = ingress };
	unsigned int reason, aux, ev;
	struct dpi_view v;
	int err;

	memcpy(in, rec->frame, rec->len);
	if (rec->ctl & DPI_CTL_FIX_LENGTHS)
		dpi_fix_lengths(in, rec->len);
	if (rec->ctl & DPI_CTL_BUDGET_SPENT)
		budget_set(QS_EVENTS_PER_CPU_SEC);
	now.action = -1;
	now.reason = NO_REASON;
	err = qs_prog_run(fx.prog, &run);
	if (err)
		violation("BPF_PROG_TEST_RUN of %zu bytes: %s", rec->len, strerror(-err));
	now.action = run.action;
	reason = stats_step(rec->len);
	aux = aux_step();
	fx.n_events = 0;
	fx_poll_events(&fx);
	dpi_view(in, rec->len, &v);
	if (verbose)
		fprintf(stderr, "frame %zu: %zu bytes, %s, %s\n", now.index, rec->len,
			action_name(run.action), qs_reason_name(reason));
	verdict_check(run.action, reason);
	ev = events_check(reason, aux, &v);
	cids_check();
	learned_check(reason, fx.n_events ? &fx.events[0] : NULL, events_missed(aux));
	output_check(in, rec->len, &v, out, run.out_len, run.action, reason, ingress);

	feature(1, reason, run.action);
	feature(2, prev, reason);
	feature(3, reason, aux & ~(1u << QS_AUX_EVENTS_SAMPLED_OUT));
	feature(4, reason, ev);
	frame_features(reason, in, rec->len, &v);
	return reason;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dpi_input in;
	unsigned int prev = NO_REASON;

	dpi_split(data, size, &in);
	tables_reset();
	for (now.index = 0; now.index < in.n; now.index++) {
		const struct dpi_record *rec = &in.rec[now.index];

		if (rec->len < DPI_MIN_FRAME)
			continue;
		prev = frame_run(rec, prev);
	}
	return 0;
}
