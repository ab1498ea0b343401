// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Where the agent's time goes, piece by piece, measured in this process
 * with the same library code the agent runs:
 * - per datagram: qs_report_check (structure) and qs_report_verify
 *   (structure again, then the HMAC), HMAC-SHA256 alone the way report.c
 *   calls it (OpenSSL's one-shot HMAC()) and with an EVP_MAC context kept
 *   per key, and a unix datagram's send + recv;
 * - per ID: bpf_map_update_elem, lookup and delete on a private map shaped
 *   like qs_cids (same key, value, size and BPF_F_NO_PREALLOC), and the
 *   batched update the kernel also offers: what the old path, a system
 *   call per ID into qs_cids, cost; the agent no longer writes qs_cids, so
 *   this is a comparison, not part of the agent's time;
 * - the agent's periodic sweep (every 10 s): qs_map_scan over an empty map
 *   shaped like qs_flows (LRU hash, QS_FLOW_TABLE_SIZE entries), as
 *   qs_expiry_sweep does, inline in the agent's loop;
 * - the first touch of a fresh 4 KB page (what a first fill of the agent's
 *   heap pays per page: on this VM it is far from free);
 * - qs_intake + qs_cidreg over the same 1,000,000 IDs the agent took, with a
 *   sink that writes nothing (parse, MAC, registry), first on fresh memory
 *   (the slowest datagrams of that run are kept: the registry's hash table
 *   doubling), then again on the memory the first left, then with a sink
 *   that writes a private qs_cidtab through mmap, as the agent's does (the
 *   agent minus socket and epoll); and the registry's memory per ID (RSS
 *   growth, and its own count, qs_cidreg_memory).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "bench_agent.h"
#include "ids/cidreg.h"
#include "ids/intake.h"
#include "router/cidtab.h"
#include "router/maps.h"

#define DGRAM_RUNS 20000
#define UNIX_RUNS 50000
#define MAP_IDS 200000
#define MAP_BATCH 60 /* a full datagram of 8-byte IDs */

struct micro_ctx {
	const __u8 *key;
	__u32 vip_id;
	int map;
	struct qs_cidtab tab; /* the map's, mmapped: the agent's sink */
};

/* ns per call of qs_report_check and qs_report_verify on one datagram. */
static int dgram_cost(const __u8 *buf, size_t len, const __u8 *key, double *check_ns,
		      double *verify_ns)
{
	struct qs_report_header h;
	struct qs_report_reader rd;
	int bad = 0;
	__u64 t0 = ba_now_ns();

	for (int i = 0; i < DGRAM_RUNS; i++)
		bad |= qs_report_check(buf, len, &h);
	*check_ns = (double)(ba_now_ns() - t0) / DGRAM_RUNS;
	t0 = ba_now_ns();
	for (int i = 0; i < DGRAM_RUNS; i++)
		bad |= qs_report_verify(&rd, buf, len, key);
	*verify_ns = (double)(ba_now_ns() - t0) / DGRAM_RUNS;
	return bad ? -EINVAL : 0;
}

static int verify_costs(struct ba_micro *m, const __u8 *key, const struct qs_report_endpoint *vip,
			const struct ba_dgrams *fill8)
{
	struct ba_dgrams full18, one;
	int err = ba_dgrams_build(&full18, key, vip, 1, 1, 18, 39, 0, 0) ?:
			  ba_dgrams_build(&one, key, vip, 1, 1, 18, 1, 1, 0);

	if (err)
		return err;
	err = dgram_cost(ba_dgram(fill8, 0), fill8->len[0], key, &m->check_full8_ns, &m->verify_full8_ns) ?:
		      dgram_cost(ba_dgram(&full18, 0), full18.len[0], key, &m->check_full18_ns, &m->verify_full18_ns) ?:
		      dgram_cost(ba_dgram(&one, 0), one.len[0], key, &m->check_one_ns,
				 &m->verify_one_ns);
	ba_dgrams_free(&full18);
	ba_dgrams_free(&one);
	return err;
}

/* HMAC-SHA256 over 1200 bytes: one-shot as report.c does, and with a kept context. */
static int hmac_costs(struct ba_micro *m, const __u8 *key)
{
	static __u8 data[1200];
	__u8 out[EVP_MAX_MD_SIZE];
	unsigned int olen;
	size_t slen;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256",
								 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	int bad = !ctx || !EVP_MAC_init(ctx, key, QS_REPORT_KEY_LEN, params);
	__u64 t0 = ba_now_ns();

	for (int i = 0; !bad && i < DGRAM_RUNS; i++)
		bad = !HMAC(EVP_sha256(), key, QS_REPORT_KEY_LEN, data, sizeof(data), out, &olen);
	m->hmac_oneshot_ns = (double)(ba_now_ns() - t0) / DGRAM_RUNS;
	t0 = ba_now_ns();
	/* NULL key: the context keeps the one it was given */
	for (int i = 0; !bad && i < DGRAM_RUNS; i++)
		bad = !EVP_MAC_init(ctx, NULL, 0, NULL) ||
		      !EVP_MAC_update(ctx, data, sizeof(data)) ||
		      !EVP_MAC_final(ctx, out, &slen, sizeof(out));
	m->hmac_reused_ns = (double)(ba_now_ns() - t0) / DGRAM_RUNS;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return bad ? -EIO : 0;
}

/* send + recv of one full-size datagram on a unix socketpair, same thread. */
static int unix_cost(struct ba_micro *m)
{
	__u8 buf[QS_REPORT_MAX_DGRAM + 1] = { 0 };
	int sv[2], err = 0;
	__u64 t0;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	t0 = ba_now_ns();
	for (int i = 0; !err && i < UNIX_RUNS; i++)
		if (send(sv[0], buf, QS_REPORT_MAX_DGRAM, 0) != QS_REPORT_MAX_DGRAM ||
		    recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) != QS_REPORT_MAX_DGRAM)
			err = -EIO;
	m->unix_dgram_ns = (double)(ba_now_ns() - t0) / UNIX_RUNS;
	close(sv[0]);
	close(sv[1]);
	return err;
}

/* A map shaped like the router's qs_cids, private to this process: the old path. */
static int probe_map(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "qsba_probe", sizeof(struct qs_cid_key),
				sizeof(struct qs_cid_entry), QS_CID_TABLE_SIZE, &opts);

	return fd < 0 ? -errno : fd;
}

static int map_costs(struct ba_micro *m, __u32 vip_id)
{
	struct qs_cid_key *keys = calloc(MAP_IDS, sizeof(*keys));
	struct qs_cid_entry *vals = calloc(MAP_IDS, sizeof(*vals));
	int fd = probe_map(), err = fd < 0 ? fd : 0;
	__u64 t0;

	for (__u32 i = 0; keys && vals && i < MAP_IDS; i++) {
		__u8 cid[8];

		ba_cid(6, i, cid, sizeof(cid));
		qs_cid_key_make(&keys[i], vip_id, cid, sizeof(cid));
		vals[i].backend_id = 6;
	}
	if (!keys || !vals)
		err = -ENOMEM;
	t0 = ba_now_ns();
	for (__u32 i = 0; !err && i < MAP_IDS; i++)
		err = qs_cid_put(fd, &keys[i], &vals[i]);
	m->map_update_ns = (double)(ba_now_ns() - t0) / MAP_IDS;
	t0 = ba_now_ns();
	for (__u32 i = 0; !err && i < MAP_IDS; i++)
		err = qs_cid_get(fd, &keys[i], &vals[i]);
	m->map_lookup_ns = (double)(ba_now_ns() - t0) / MAP_IDS;
	t0 = ba_now_ns();
	for (__u32 i = 0; !err && i < MAP_IDS; i++)
		err = qs_cid_del(fd, &keys[i]);
	m->map_delete_ns = (double)(ba_now_ns() - t0) / MAP_IDS;
	t0 = ba_now_ns();
	for (__u32 i = 0; !err && i < MAP_IDS; i += MAP_BATCH) {
		__u32 n = MAP_IDS - i < MAP_BATCH ? MAP_IDS - i : MAP_BATCH;

		if (bpf_map_update_batch(fd, &keys[i], &vals[i], &n, NULL))
			err = -errno;
	}
	m->map_update_batch_ns = (double)(ba_now_ns() - t0) / MAP_IDS;
	if (fd >= 0)
		close(fd);
	free(keys);
	free(vals);
	return err;
}

static int scan_nothing(void *ctx, const void *key, const void *value)
{
	(void)ctx, (void)key, (void)value;
	return 0;
}

/* The best of three scans of an empty qs_flows-shaped map. */
static int sweep_cost(struct ba_micro *m)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "qsba_flows", sizeof(struct qs_flow_key),
				sizeof(struct qs_flow), QS_FLOW_TABLE_SIZE, NULL);
	int err = fd < 0 ? -errno : 0;

	m->flow_scan_empty_ms = NAN;
	for (int i = 0; !err && i < 3; i++) {
		__u64 t0 = ba_now_ns();
		double ms;

		err = qs_map_scan(fd, sizeof(struct qs_flow_key), sizeof(struct qs_flow),
				  scan_nothing, NULL);
		ms = (ba_now_ns() - t0) / 1e6;
		if (!(ms >= m->flow_scan_empty_ms))
			m->flow_scan_empty_ms = ms;
	}
	if (fd >= 0)
		close(fd);
	return err;
}

static int key_of(void *ctx, __u32 backend_id, const __u8 **key)
{
	(void)backend_id;
	*key = ((struct micro_ctx *)ctx)->key;
	return 0;
}

static int vip_of(void *ctx, __u32 backend_id, const struct qs_report_endpoint *vip, __u32 *vip_id)
{
	(void)backend_id, (void)vip;
	*vip_id = ((struct micro_ctx *)ctx)->vip_id;
	return 0;
}

static int null_put(void *ctx, const struct qs_cid_place *p, __u32 vip_id, __u32 backend_id,
		    __u8 kind)
{
	(void)ctx, (void)p, (void)vip_id, (void)backend_id, (void)kind;
	return 0;
}

static int null_del(void *ctx, const struct qs_cid_place *p)
{
	(void)ctx, (void)p;
	return 0;
}

static int tab_put(void *ctx, const struct qs_cid_place *p, __u32 vip_id, __u32 backend_id,
		   __u8 kind)
{
	return qs_cidtab_put_at(&((struct micro_ctx *)ctx)->tab, p, vip_id, backend_id,
				kind == QS_CID_OPERATOR);
}

static int tab_del(void *ctx, const struct qs_cid_place *p)
{
	return qs_cidtab_del_at(&((struct micro_ctx *)ctx)->tab, p);
}

static void tab_prefetch(void *ctx, const struct qs_cid_place *p)
{
	qs_cidtab_prefetch(&((struct micro_ctx *)ctx)->tab, p);
}

/* A qs_cidtab of the router's default size, as the agent maps it: the agent's sink. */
static int tab_map(struct micro_ctx *mc)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	__u32 buckets = qs_cidtab_buckets_for(QS_CID_TABLE_SIZE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "qsba_cidtab", sizeof(__u32),
				sizeof(struct qs_cidtab_bucket), qs_cidtab_elements(buckets), &opts);
	int err = fd < 0 ? -errno : qs_cidtab_map(&mc->tab, fd);

	mc->map = fd;
	return err;
}

static __u64 self_rss(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* First touch of fresh anonymous memory, per 4 KB page (no huge pages). */
static int fault_cost(struct ba_micro *m)
{
	const size_t size = 64 << 20, page = 4096;
	__u8 *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 t0;

	if (p == MAP_FAILED)
		return -errno;
	madvise(p, size, MADV_NOHUGEPAGE);
	t0 = ba_now_ns();
	for (size_t off = 0; off < size; off += page)
		p[off] = 1;
	m->fault_ns = (double)(ba_now_ns() - t0) / (size / page);
	munmap(p, size);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The slowest datagrams of a run (us[i]: datagram i), with the IDs held before each. */
static void stalls_note(struct ba_micro *m, double *us, const struct ba_dgrams *d)
{
	for (__u32 i = 0; i < d->n; i++) {
		int at = BA_STALLS;

		while (at > 0 && us[i] / 1e3 > m->stall_ms[at - 1])
			at--;
		if (at == BA_STALLS)
			continue;
		memmove(&m->stall_ms[at + 1], &m->stall_ms[at],
			(BA_STALLS - 1 - at) * sizeof(m->stall_ms[0]));
		memmove(&m->stall_ids[at + 1], &m->stall_ids[at],
			(BA_STALLS - 1 - at) * sizeof(m->stall_ids[0]));
		m->stall_ms[at] = us[i] / 1e3;
		m->stall_ids[at] = i * d->ids_per_dgram;
	}
	qsort(us, d->n, sizeof(*us), cmp_double);
	m->dgram_median_us = ba_percentile(us, d->n, 50);
}

/*
 * The datagrams the agent took, through a fresh qs_intake and qs_cidreg;
 * ns per ID, (rss) the registry's memory per ID and (m) the slowest
 * datagrams.
 */
static int intake_cost(struct micro_ctx *mc, const struct qs_cid_sink *sink,
		       const struct ba_dgrams *d, double *ns_per_id, double *rss_per_id,
		       struct ba_micro *m)
{
	struct qs_cidreg *reg = qs_cidreg_new(sink);
	struct qs_intake *in = reg ? qs_intake_new(reg, key_of, vip_of, mc) : NULL;
	double *us = m ? calloc(d->n, sizeof(*us)) : NULL;
	__u64 rss0 = self_rss(), t0 = ba_now_ns(), t = t0, t1;
	int err = in && (us || !m) ? 0 : -ENOMEM;

	/* the sets are stamped when built, which may be a while ago */
	if (in)
		qs_intake_set_freshness(in, 3600000000000ull, false);
	/* one backend reports the whole set, past the default quota of a quarter table */
	for (__u32 id = 1; in && id < QS_MAX_BACKENDS; id++)
		qs_cidreg_set_max_ids(reg, id, QS_CID_TABLE_SIZE);

	for (__u32 i = 0; !err && i < d->n; i++, t = t1) {
		if (qs_intake_datagram(in, ba_dgram(d, i), d->len[i], t0, ba_wall_ns()) !=
		    QS_REPORT_OK)
			err = -EINVAL;
		t1 = ba_now_ns();
		if (us)
			us[i] = (t1 - t) / 1e3;
	}
	*ns_per_id = (double)(ba_now_ns() - t0) / d->ids;
	if (!err && m)
		stalls_note(m, us, d);
	free(us);
	if (!err && qs_cidreg_stats(reg)->live != d->ids)
		err = -EIO;
	if (rss_per_id)
		*rss_per_id = ((double)self_rss() - rss0) / d->ids;
	if (m && reg)
		m->registry_memory_per_id = (double)qs_cidreg_memory(reg) / d->ids;
	qs_intake_free(in);
	qs_cidreg_free(reg);
	return err;
}

int ba_micro_run(struct ba_micro *m, const __u8 *key, const struct qs_report_endpoint *vip,
		 __u32 vip_id, const struct ba_dgrams *fill8)
{
	struct micro_ctx mc = { .key = key, .vip_id = vip_id, .map = -1 };
	/* the registry hashes under the table's key: any key will do where nothing is written */
	struct qs_cid_sink null_sink = {
		.key = { 0x0123456789abcdefull, 0xfedcba9876543210ull },
		.buckets = qs_cidtab_buckets_for(QS_CID_TABLE_SIZE),
		.put = null_put,
		.del = null_del,
		.ctx = &mc
	};
	struct qs_cid_sink map_sink = {
		.put = tab_put, .del = tab_del, .prefetch = tab_prefetch, .ctx = &mc
	};
	int err = verify_costs(m, key, vip, fill8) ?:
			  hmac_costs(m, key)	   ?:
			  unix_cost(m)		   ?:
			  map_costs(m, vip_id)	   ?:
						     sweep_cost(m);

	if (err)
		return err;
	m->intake_ids = fill8->ids;
	err = fault_cost(m) ?:
		      intake_cost(&mc, &null_sink, fill8, &m->intake_null_cold_ns, &m->registry_bytes_per_id, m) ?:
		      intake_cost(&mc, &null_sink, fill8, &m->intake_null_ns, NULL, NULL);
	if (err)
		return err;
	err = tab_map(&mc);
	if (!err) {
		memcpy(map_sink.key, mc.tab.key, sizeof(map_sink.key));
		map_sink.buckets = mc.tab.buckets;
		err = intake_cost(&mc, &map_sink, fill8, &m->intake_map_ns, NULL, NULL);
		qs_cidtab_unmap(&mc.tab);
	}
	if (mc.map >= 0)
		close(mc.map);
	m->ran = !err;
	return err;
}
