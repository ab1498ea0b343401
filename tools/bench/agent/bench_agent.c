// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-bench-agent: the sender side of the agent's report-intake benchmark
 * (bench_agent.md). tools/bench/agent/bench_agent_run starts quicsteerd in a
 * namespace, pinned to one CPU, and this program on the other; it then:
 *
 * 1. sends 1,000,000 IDs in datagrams full of 8-byte CID_ISSUED records as
 *    fast as the agent takes them (a unix datagram socket blocks the sender
 *    when the agent's queue is full: nothing is dropped), times first send to
 *    last entry visible in the pinned qs_cidtab (mapped read-only here, as
 *    the CLI does: a poll is a memory read, no system call), counts the
 *    table's entries of that backend (all must be there), and reads the
 *    agent's VmRSS and the table's memlock with the 1,000,000 IDs live (its
 *    first fill: fresh memory);
 * 2. with those live, paces one-ID datagrams of another backend at
 *    10,000/s and, for one in ten, polls the table from here until the ID
 *    is there: send-to-visible latency (bench_agent_latency.c);
 * 3. purges the first backend's IDs with a new incarnation, timed, and waits
 *    for the agent's CPU to be quiet;
 * 4. the same as 1 and 3 with 18-byte IDs (ngtcp2's length), then with
 *    8-byte IDs again (memory the agent already has);
 * 5. the same paced latency with no load, then under control load, a
 *    ring-buffer flood and another backend's purge (bench_agent_load.c;
 *    --under-load-only runs these alone, --no-under-load skips them);
 * 6. reads the agent's intake counters: every datagram accepted, none refused;
 * 7. micro-benchmarks in this process (bench_agent_micro.c).
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "bench_agent.h"
#include "util/options.h"
#include "config/config.h"
#include "router/cidtab.h"
#include "router/maps.h"
#include "util/words.h"

#define WAIT_AGENT_S 30
#define VISIBLE_TIMEOUT_NS (60 * 1000000000ull)
#define SETTLE_STEP_US 100000
#define SETTLE_MAX_STEPS 50
#define SETTLE_QUIET_S 0.010
#define BACKEND_CID8 1
#define BACKEND_CID18 2
#define BACKEND_LATENCY 3
#define BACKEND_CID8_AGAIN 4
#define PURGE_PROBES 8

/*
 * ---- the ID table ----
 * qs_cidtab, the table the data path routes by and the agent writes
 * through mmap: an ID is visible when qs_cidtab_get (the data path's
 * lookup, a read of this process's read-only mapping) finds it with the
 * backend that reported it. qs_cids is no longer written by the agent.
 */

static void cid_key(const struct ba_ctx *c, __u32 backend_id, __u32 k, __u8 cid_len,
		    struct qs_cid_key *key)
{
	__u8 cid[QS_CID_MAX_LEN];

	ba_cid(backend_id, k, cid, cid_len);
	qs_cid_key_make(key, c->o->vip_id, cid, cid_len);
}

static bool cid_present(const struct ba_ctx *c, const struct qs_cid_key *key, __u32 backend_id)
{
	__u32 b;
	__u8 kind;

	return !qs_cidtab_get(&c->tab, key, &b, &kind) && b == backend_id &&
	       kind == QS_CID_AUTHORITATIVE;
}

bool ba_cid_visible(const struct ba_ctx *c, __u32 backend_id, __u32 k, __u8 cid_len)
{
	struct qs_cid_key key;

	cid_key(c, backend_id, k, cid_len, &key);
	return cid_present(c, &key, backend_id);
}

/* Polls until the ID's presence is want; the time it became so, or 0 on timeout. */
__u64 ba_wait_cid(const struct ba_ctx *c, __u32 backend_id, __u32 k, __u8 cid_len, bool want,
		  __u64 timeout_ns)
{
	struct qs_cid_key key;
	__u64 start = ba_now_ns(), now;

	cid_key(c, backend_id, k, cid_len, &key);
	for (;;) {
		bool there = cid_present(c, &key, backend_id);

		now = ba_now_ns();
		if (there == want)
			return now;
		if (now - start > timeout_ns)
			return 0;
	}
}

struct count_ctx {
	__u32 vip_id, backend_id;
	__u64 n;
};

static int count_one(void *ctx, const struct qs_cid_place *at, __u32 vip_id, __u32 backend_id,
		     __u8 kind)
{
	struct count_ctx *cc = ctx;

	(void)at;
	if (vip_id == cc->vip_id && backend_id == cc->backend_id && kind == QS_CID_AUTHORITATIVE)
		cc->n++;
	return 0;
}

/* Authoritative entries of a backend for the VIP in qs_cidtab (a walk of every bucket). */
__u64 ba_count_backend(const struct ba_ctx *c, __u32 backend_id)
{
	struct count_ctx cc = { c->o->vip_id, backend_id, 0 };

	qs_cidtab_scan(&c->tab, count_one, &cc);
	return cc.n;
}

/* ---- sending ---- */

int ba_send(int sock, const __u8 *buf, size_t len)
{
	ssize_t n = send(sock, buf, len, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Later than any before it, as a restarted backend's (report protocol version 2). */
__u64 ba_new_incarnation(void)
{
	static __u64 last;
	__u64 now = ba_wall_ns();

	last = now > last ? now : last + 1;
	return last;
}

/*
 * Every datagram of d, back to back; blocking sends, so the agent's
 * queue paces the sender and nothing is dropped.
 */
int ba_tput_run(struct ba_ctx *c, struct ba_tput *t, const struct ba_dgrams *d)
{
	struct ba_snap s0, s1;
	__u32 last = d->ids - 1;
	__u64 t_sent, t_end;
	int err = 0;

	t->cid_len = d->cid_len;
	t->backend_id = d->backend_id;
	t->datagrams = d->n;
	t->ids = d->ids;
	t->ids_per_dgram = d->ids_per_dgram;
	ba_snap_take(c, &s0);
	for (__u32 i = 0; !err && i < d->n; i++)
		err = ba_send(c->sock, ba_dgram(d, i), d->len[i]);
	t_sent = ba_now_ns();
	if (err) {
		fprintf(stderr, "qs-bench-agent: send to %s: %s\n", c->o->socket, strerror(-err));
		return err;
	}
	t_end = ba_wait_cid(c, d->backend_id, last, d->cid_len, true, VISIBLE_TIMEOUT_NS);
	ba_snap_take(c, &s1);
	if (!t_end) {
		fprintf(stderr, "qs-bench-agent: backend %u: the last ID never appeared\n",
			d->backend_id);
		t_end = ba_now_ns();
	}
	t->ran = true;
	t->seconds = (t_end - s0.wall_ns) / 1e9;
	t->send_seconds = (t_sent - s0.wall_ns) / 1e9;
	t->ids_per_sec = d->ids / t->seconds;
	t->dgrams_per_sec = d->n / t->seconds;
	ba_window_of(&t->win, &s0, &s1);
	t->agent_ns_per_id = (double)t->win.agent_run_ns / d->ids;
	t->counted = ba_count_backend(c, d->backend_id);
	t->complete = t->counted == d->ids;
	t->rss_after = ba_proc_mem(c->o->agent_pid, "VmRSS");
	return 0;
}

/*
 * Waits (at most 5 s) until the agent's CPU spends under 10 ms of a 100 ms
 * step on anything but the agent's thread: the kernel's deferred work
 * after a bulk change (a non-preallocated hash frees deleted entries after
 * an RCU grace period, on the CPU that deleted them) would otherwise be
 * charged to the next measurement. Returns the seconds it waited.
 */
double ba_cpu_quiet(struct ba_ctx *c)
{
	struct ba_snap a, b;
	struct ba_window w;
	__u64 t0 = ba_now_ns();

	if (c->r->agent_cpu < 0) {
		sleep(1);
		return 1;
	}
	ba_snap_take(c, &b);
	for (int i = 0; i < SETTLE_MAX_STEPS; i++) {
		a = b;
		usleep(SETTLE_STEP_US);
		ba_snap_take(c, &b);
		ba_window_of(&w, &a, &b);
		if (w.agent_cpu_other * w.seconds < SETTLE_QUIET_S)
			break;
	}
	return (ba_now_ns() - t0) / 1e9;
}

/*
 * Until none of run t's IDs is left in qs_cidtab: a few IDs spread over
 * the range first (the agent may delete in any order), then walks of the
 * whole table until one finds none. The time that walk ended; 0 if IDs
 * were still there after VISIBLE_TIMEOUT_NS (t->purge_left says how many).
 */
static __u64 wait_purged(const struct ba_ctx *c, struct ba_tput *t)
{
	__u64 start = ba_now_ns(), now;

	for (int i = 0; i < PURGE_PROBES; i++) {
		__u32 k = (__u64)(t->ids - 1) * i / (PURGE_PROBES - 1);

		if (!ba_wait_cid(c, t->backend_id, k, t->cid_len, false, VISIBLE_TIMEOUT_NS))
			break;
	}
	do {
		t->purge_left = ba_count_backend(c, t->backend_id);
		now = ba_now_ns();
	} while (t->purge_left && now - start < VISIBLE_TIMEOUT_NS);
	return t->purge_left ? 0 : now;
}

/* A new incarnation of the run's backend purges its IDs; timed until the table holds none. */
static int purge_run(struct ba_ctx *c, struct ba_tput *t)
{
	__u8 buf[QS_REPORT_MAX_DGRAM];
	int len = ba_heartbeat(buf, c->keys[t->backend_id], t->backend_id, ba_new_incarnation());
	double softirq0, softirq1;
	__u64 t0, t_end;
	int err;

	if (len < 0)
		return len;
	ba_cpu_busy_ns(c->r->agent_cpu, NULL, &softirq0);
	t0 = ba_now_ns();
	err = ba_send(c->sock, buf, len);
	if (err)
		return err;
	t_end = wait_purged(c, t);
	if (!t_end)
		t_end = ba_now_ns();
	t->purge_seconds = (t_end - t0) / 1e9;
	t->rss_after_purge = ba_proc_mem(c->o->agent_pid, "VmRSS");
	ba_cpu_quiet(c);
	ba_cpu_busy_ns(c->r->agent_cpu, NULL, &softirq1);
	t->purge_softirq_ms = (softirq1 - softirq0) / 1e6;
	t->purge_settle_seconds = (ba_now_ns() - t0) / 1e9;
	return 0;
}

/* ---- the agent's own counters ---- */

/*
 * Intake and router counters from the metrics endpoint (curl: a bench,
 * not the agent). A scrape takes the agent's lock: never during a timed run.
 */
int ba_metrics_read(struct ba_metrics *m, const char *url)
{
	char cmd[600], line[512], result[64];
	unsigned long long v;
	FILE *f;

	if (snprintf(cmd, sizeof(cmd), "curl -sf --max-time 10 '%s'", url) >= (int)sizeof(cmd))
		return -ENAMETOOLONG;
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	memset(m, 0, sizeof(*m));
	m->intake_turn_max_s = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "quicsteer_reports_total{result=\"%63[^\"]\"} %llu", result, &v) ==
		    2) {
			if (!strcmp(result, "ok"))
				m->accepted = v;
			else
				m->refused += v;
			m->read = true;
		} else if (sscanf(line, "quicsteer_ids_reported %llu", &v) == 1) {
			m->ids_reported = v;
		} else if (sscanf(line, "quicsteer_ids_purged_total %llu", &v) == 1) {
			m->ids_purged = v;
		} else if (sscanf(line, "quicsteer_intake_turn_max_seconds %lf",
				  &m->intake_turn_max_s) == 1) {
			continue;
		} else if (sscanf(line, "quicsteer_packets_total{reason=\"drop_unknown_cid\"} %llu",
				  &v) == 1) {
			m->unknown_cid_packets = v;
		} else if (sscanf(line,
				  "quicsteer_datapath_events_total{event=\"events_lost\"} %llu",
				  &v) == 1) {
			m->events_lost = v;
		}
	}
	return pclose(f) ? -EIO : 0;
}

/* ---- set-up ---- */

static int keys_load(struct ba_ctx *c)
{
	for (__u32 id = 1; id < BA_MAX_BACKENDS; id++) {
		char path[4096], hex[2 * QS_REPORT_KEY_LEN + 2] = "";
		size_t n = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/b%u.key", c->o->key_dir, id);
		f = fopen(path, "re");
		if (!f)
			return -errno;
		if (!fgets(hex, sizeof(hex), f))
			hex[0] = 0;
		fclose(f);
		hex[strcspn(hex, "\n")] = 0;
		if (qs_parse_hex(hex, c->keys[id], QS_REPORT_KEY_LEN, &n) ||
		    n != QS_REPORT_KEY_LEN)
			return -EINVAL;
	}
	return 0;
}

/*
 * The pinned qs_cidtab mapped read-only, once the agent has made it
 * (-ENODATA before), and qs_cids opened for its memlock alone.
 */
static int tables_open(struct ba_ctx *c)
{
	int err;

	if (c->tab_fd < 0 && (c->tab_fd = qs_pin_open(c->o->pin_dir, QS_MAP_CIDTAB)) < 0)
		return c->tab_fd;
	if (c->cids_fd < 0 && (c->cids_fd = qs_pin_open(c->o->pin_dir, QS_MAP_CIDS)) < 0)
		return c->cids_fd;
	err = qs_cidtab_map_ro(&c->tab, c->tab_fd);
	if (err)
		c->tab.map = NULL;
	return err;
}

static void tables_close(struct ba_ctx *c)
{
	if (c->tab.map)
		qs_cidtab_unmap(&c->tab);
	if (c->tab_fd >= 0)
		close(c->tab_fd);
	if (c->cids_fd >= 0)
		close(c->cids_fd);
}

/* Connects to the report socket and maps the pinned ID table, waiting for the agent. */
static int agent_connect(struct ba_ctx *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err = -ETIMEDOUT;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->o->socket);
	c->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0)
		return -errno;
	for (int i = 0; i < WAIT_AGENT_S * 10; i++) {
		err = connect(c->sock, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
		if (!err && !(err = tables_open(c)))
			return 0;
		usleep(100000);
	}
	fprintf(stderr, "qs-bench-agent: agent not ready (%s, %s/%s): %s\n", c->o->socket,
		c->o->pin_dir, QS_MAP_CIDTAB, strerror(-err));
	return err;
}

static void machine_facts(struct ba_ctx *c)
{
	struct ba_results *r = c->r;

	r->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	r->agent_cpu = ba_proc_cpu(c->o->agent_pid, r->agent_cpus, sizeof(r->agent_cpus));
	r->sender_cpu = ba_proc_cpu(getpid(), r->sender_cpus, sizeof(r->sender_cpus));
	r->unix_max_dgram_qlen = ba_read_int("/proc/sys/net/unix/max_dgram_qlen");
	r->rss_start = ba_proc_mem(c->o->agent_pid, "VmRSS");
	r->rss_anon_start = ba_proc_mem(c->o->agent_pid, "RssAnon");
	r->cidtab_memlock_start = ba_map_memlock(c->tab_fd);
	r->cids_memlock_start = ba_map_memlock(c->cids_fd);
	r->cidtab_buckets = c->tab.buckets;
}

/* ---- the phases ---- */

/* One throughput run; its IDs stay until purge_run. */
static int tput_phase(struct ba_ctx *c, struct ba_tput *t, __u32 backend_id, __u8 cid_len,
		      struct ba_dgrams *fill)
{
	int err = ba_dgrams_build(fill, c->keys[backend_id], &c->vip, backend_id,
				  ba_new_incarnation(), cid_len, c->o->ids, 0, 0);

	if (err)
		return err;
	printf("  throughput, %u-byte IDs, backend %u: %u IDs in %u datagrams...\n", cid_len,
	       backend_id, fill->ids, fill->n);
	fflush(stdout);
	return ba_tput_run(c, t, fill);
}

static int lat_phase(struct ba_ctx *c)
{
	struct ba_dgrams d;
	int err = ba_dgrams_build(&d, c->keys[BACKEND_LATENCY], &c->vip, BACKEND_LATENCY,
				  ba_new_incarnation(), 18, c->o->lat_reports, 1, 0);

	if (err)
		return err;
	printf("  latency: %u one-ID datagrams at %u/s, 1 in %u timed...\n", d.n, c->o->lat_rate,
	       c->o->lat_sample);
	fflush(stdout);
	c->r->lat.live_ids = c->r->tput[0].counted;
	c->r->lat.quiet_wait_s = ba_cpu_quiet(c);
	err = ba_lat_run(c, &c->r->lat, &d, NULL);
	ba_dgrams_free(&d);
	return err;
}

/* Whether every ID landed and every datagram was accepted. */
static void verdict(struct ba_results *r)
{
	const struct ba_metrics *m = &r->metrics;

	r->ok = false;
	for (int i = 0; i < BA_TPUT_RUNS; i++)
		if (r->tput[i].ran && (!r->tput[i].complete || r->tput[i].purge_left)) {
			snprintf(r->why, sizeof(r->why),
				 "backend %u: %llu of %u IDs in qs_cidtab, %llu left after purge",
				 r->tput[i].backend_id, (unsigned long long)r->tput[i].counted,
				 r->tput[i].ids, (unsigned long long)r->tput[i].purge_left);
			return;
		}
	if (r->lat.ran && (!r->lat.complete || r->lat.timeouts)) {
		snprintf(r->why, sizeof(r->why), "latency: %llu of %u IDs, %u samples timed out",
			 (unsigned long long)r->lat.counted, r->lat.reports, r->lat.timeouts);
	} else if (m->read && (m->refused || m->accepted != r->expected_accepted)) {
		snprintf(r->why, sizeof(r->why),
			 "agent accepted %llu datagrams of %llu, refused %llu",
			 (unsigned long long)m->accepted, (unsigned long long)r->expected_accepted,
			 (unsigned long long)m->refused);
	} else if (!r->ul.ran || ba_ul_verdict(r, r->why, sizeof(r->why))) {
		r->ok = true;
	}
}

/*
 * Throughput, latency and purges as bench_agent.md lists them; fill8 (the
 * first fill's datagrams) stays for the micro-benchmarks.
 */
static int intake_phases(struct ba_ctx *c, struct ba_dgrams *fill8)
{
	struct ba_results *r = c->r;
	struct ba_dgrams fill = { 0 };
	int err;

	/* the first fill is also the memory figure; latency is taken with it live */
	err = tput_phase(c, &r->tput[0], BACKEND_CID8, 8, fill8);
	if (!err) {
		r->rss_anon_1m = ba_proc_mem(c->o->agent_pid, "RssAnon");
		r->cidtab_memlock_1m = ba_map_memlock(c->tab_fd);
		r->cids_memlock_1m = ba_map_memlock(c->cids_fd);
	}
	err = err ?: lat_phase(c) ?: purge_run(c, &r->tput[0]);
	err = err							   ?:
		      tput_phase(c, &r->tput[1], BACKEND_CID18, 18, &fill) ?:
		      purge_run(c, &r->tput[1]);
	ba_dgrams_free(&fill);
	err = err							       ?:
		      tput_phase(c, &r->tput[2], BACKEND_CID8_AGAIN, 8, &fill) ?:
		      purge_run(c, &r->tput[2]);
	ba_dgrams_free(&fill);
	return err;
}

/* Every datagram sent to the agent, which its counters must match. */
static __u64 datagrams_sent(const struct ba_results *r)
{
	__u64 n = r->lat.reports + r->ul.datagrams;

	for (int i = 0; i < BA_TPUT_RUNS; i++)
		if (r->tput[i].ran)
			n += r->tput[i].datagrams + 1; /* and its purge */
	return n;
}

static int bench(struct ba_ctx *c)
{
	struct ba_results *r = c->r;
	struct ba_dgrams fill8 = { 0 };
	int err = keys_load(c);

	if (err) {
		fprintf(stderr, "qs-bench-agent: keys in %s: %s\n", c->o->key_dir, strerror(-err));
		return err;
	}
	err = agent_connect(c);
	if (err)
		return err;
	/* its metrics endpoint starts last: once it answers, the agent is up */
	for (int i = 0; c->o->metrics_url && i < WAIT_AGENT_S * 10; i++) {
		struct ba_metrics scratch;

		if (!ba_metrics_read(&scratch, c->o->metrics_url) && scratch.read)
			break;
		usleep(100000);
	}
	machine_facts(c);
	if (!c->o->ul_only)
		err = intake_phases(c, &fill8);
	if (!err && !c->o->no_ul)
		err = ba_ul_run(c);
	r->expected_accepted = datagrams_sent(r);
	if (!err && c->o->metrics_url && ba_metrics_read(&r->metrics, c->o->metrics_url))
		fprintf(stderr, "qs-bench-agent: metrics at %s unreadable\n", c->o->metrics_url);
	r->hwm_end = ba_proc_mem(c->o->agent_pid, "VmHWM");
	if (!err && !c->o->no_micro && fill8.n) {
		printf("  micro-benchmarks (in this process, on CPU %s)...\n", r->sender_cpus);
		fflush(stdout);
		err = ba_micro_run(&r->micro, c->keys[BACKEND_CID8], &c->vip, c->o->vip_id, &fill8);
	}
	ba_dgrams_free(&fill8);
	if (!err)
		verdict(r);
	tables_close(c);
	close(c->sock);
	return err;
}

/* ---- command line ---- */

/* long-only options */
enum {
	OPT_UL_ONLY = 256,
	OPT_NO_UL,
	OPT_UL,
	OPT_UL_REPORTS,
	OPT_EVENT_RATE,
	OPT_EVENT_BURST,
	OPT_PURGE_IDS,
	OPT_LOAD_CPU,
	OPT_CONTROL,
	OPT_CLI,
	OPT_IFACE,
};

static const struct qs_option options[] = {
	{ { "socket", required_argument, NULL, 's' }, "PATH", "the agent's unix report socket" },
	{ { "pin-dir", required_argument, NULL, 'p' }, "DIR", "the agent's pin directory" },
	{ { "key-dir", required_argument, NULL, 'k' }, "DIR", "bN.key for backends 1..7" },
	{ { "agent-pid", required_argument, NULL, 'a' }, "PID", "the agent's process" },
	{ { "vip", required_argument, NULL, 'V' }, "ADDR", "VIP address (198.18.0.100)" },
	{ { "vip-port", required_argument, NULL, 'P' }, "PORT", "VIP port (443)" },
	{ { "vip-id", required_argument, NULL, 'I' }, "N", "the VIP's id (1)" },
	{ { "metrics", required_argument, NULL, 'm' }, "URL", "the agent's metrics endpoint" },
	{ { "json", required_argument, NULL, 'j' }, "FILE", "write the results here" },
	{ { "ids", required_argument, NULL, 'n' }, "N", "IDs per throughput run (1000000)" },
	{ { "lat-reports", required_argument, NULL, 'l' }, "N", "latency datagrams (60000)" },
	{ { "lat-rate", required_argument, NULL, 'r' }, "N", "latency datagrams/s (10000)" },
	{ { "lat-sample", required_argument, NULL, 'S' }, "N", "time 1 in N (10)" },
	{ { "no-micro", no_argument, NULL, 'M' }, NULL, "skip the micro-benchmarks" },
	{ { "under-load-only", no_argument, NULL, OPT_UL_ONLY },
	  NULL,
	  "only the runs under load (and their idle floor)" },
	{ { "no-under-load", no_argument, NULL, OPT_NO_UL }, NULL, "skip the runs under load" },
	{ { "under-load", required_argument, NULL, OPT_UL },
	  "LIST",
	  "of control,events,purge (all); the idle floor always runs" },
	{ { "ul-reports", required_argument, NULL, OPT_UL_REPORTS },
	  "N",
	  "datagrams per run under load (30000: 3 s)" },
	{ { "event-rate", required_argument, NULL, OPT_EVENT_RATE },
	  "N",
	  "unknown-ID packets/s through the router (100000)" },
	{ { "event-burst", required_argument, NULL, OPT_EVENT_BURST },
	  "N",
	  "of them at once (1: evenly spaced)" },
	{ { "purge-ids", required_argument, NULL, OPT_PURGE_IDS },
	  "N",
	  "IDs of the restarting backend (1000000)" },
	{ { "load-cpu", required_argument, NULL, OPT_LOAD_CPU },
	  "N",
	  "CPU of the load generators (the sender's)" },
	{ { "control-socket", required_argument, NULL, OPT_CONTROL },
	  "PATH",
	  "the agent's control socket, for the CLI" },
	{ { "cli", required_argument, NULL, OPT_CLI }, "PATH", "the quicsteer CLI" },
	{ { "interface", required_argument, NULL, OPT_IFACE },
	  "IF",
	  "where the router is attached (qsba0)" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this text" },
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *out)
{
	qs_options_usage(out, "qs-bench-agent [OPTION]...", options, N_OPTIONS);
}

/* The options of the runs under load; -EINVAL for a bad scenario list. */
static int ul_opt_set(struct ba_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_UL_ONLY:
		o->ul_only = true;
		break;
	case OPT_NO_UL:
		o->no_ul = true;
		break;
	case OPT_UL:
		return ba_ul_scenarios_parse(arg, &o->ul_scenarios);
	case OPT_UL_REPORTS:
		o->ul_reports = strtoul(arg, NULL, 0);
		break;
	case OPT_EVENT_RATE:
		o->event_rate = strtoul(arg, NULL, 0);
		break;
	case OPT_EVENT_BURST:
		o->event_burst = strtoul(arg, NULL, 0);
		break;
	case OPT_PURGE_IDS:
		o->purge_ids = strtoul(arg, NULL, 0);
		break;
	case OPT_LOAD_CPU:
		o->load_cpu = atoi(arg);
		break;
	case OPT_CONTROL:
		o->control_socket = arg;
		break;
	case OPT_CLI:
		o->cli = arg;
		break;
	case OPT_IFACE:
		o->ifname = arg;
		break;
	}
	return 0;
}

static int opt_set(struct ba_opts *o, int c, const char *arg)
{
	if (c >= OPT_UL_ONLY)
		return ul_opt_set(o, c, arg);
	switch (c) {
	case 's':
		o->socket = arg;
		break;
	case 'p':
		o->pin_dir = arg;
		break;
	case 'k':
		o->key_dir = arg;
		break;
	case 'a':
		o->agent_pid = atoi(arg);
		break;
	case 'V':
		o->vip = arg;
		break;
	case 'P':
		o->vip_port = atoi(arg);
		break;
	case 'I':
		o->vip_id = atoi(arg);
		break;
	case 'm':
		o->metrics_url = arg;
		break;
	case 'j':
		o->json = arg;
		break;
	case 'n':
		o->ids = strtoul(arg, NULL, 0);
		break;
	case 'l':
		o->lat_reports = strtoul(arg, NULL, 0);
		break;
	case 'r':
		o->lat_rate = strtoul(arg, NULL, 0);
		break;
	case 'S':
		o->lat_sample = strtoul(arg, NULL, 0);
		break;
	case 'M':
		o->no_micro = true;
		break;
	}
	return 0;
}

/* What the chosen runs need was given. */
static bool opts_complete(const struct ba_opts *o)
{
	unsigned int ul = o->no_ul ? 0 : o->ul_scenarios;

	if (!o->socket || !o->pin_dir || !o->key_dir || o->agent_pid <= 0 || o->ids < 1 ||
	    o->lat_reports < 1 || !o->lat_rate || !o->lat_sample || (o->ul_only && o->no_ul))
		return false;
	if (!o->no_ul &&
	    (o->ul_reports < 1 || !o->event_rate || !o->event_burst || o->purge_ids < 1))
		return false;
	if ((ul & (1u << BA_UL_CONTROL)) && (!o->cli || !o->control_socket))
		return false;
	return !(ul & (1u << BA_UL_EVENTS)) || o->ifname;
}

/* 0, or the exit status: 2 for a usage error, -1 after --help. */
static int parse_args(int argc, char **argv, struct ba_opts *o)
{
	struct option longopts[N_OPTIONS + 1];
	char shortopts[2 * N_OPTIONS + 1];
	int c;

	qs_options_getopt(options, N_OPTIONS, longopts, shortopts);
	*o = (struct ba_opts){ .vip = "198.18.0.100",
			       .vip_port = 443,
			       .vip_id = 1,
			       .ids = 1000000,
			       .lat_reports = 60000,
			       .lat_rate = 10000,
			       .lat_sample = 10,
			       .ul_scenarios = (1u << BA_UL_RUNS) - 1,
			       .ul_reports = 30000,
			       .event_rate = 100000,
			       .event_burst = 1,
			       .purge_ids = 1000000,
			       .load_cpu = -1 };
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h')
			return usage(stdout), -1;
		if (c == '?' || opt_set(o, c, optarg))
			return usage(stderr), 2;
	}
	if (optind < argc || !opts_complete(o))
		return usage(stderr), 2;
	return 0;
}

int main(int argc, char **argv)
{
	static struct ba_results res;
	struct ba_opts o;
	struct ba_ctx c = { .o = &o, .r = &res, .sock = -1, .tab_fd = -1, .cids_fd = -1 };
	int status = parse_args(argc, argv, &o);

	if (status)
		return status < 0 ? 0 : status;
	if (qs_parse_addr(o.vip, &c.vip.addr, &c.vip.family)) {
		fprintf(stderr, "qs-bench-agent: bad VIP address %s\n", o.vip);
		return 2;
	}
	c.vip.port = htons(o.vip_port);
	if (bench(&c))
		return 1;
	ba_print(&o, &res);
	if (o.json && ba_json(o.json, &o, &res)) {
		fprintf(stderr, "qs-bench-agent: cannot write %s\n", o.json);
		return 1;
	}
	return res.ok ? 0 : 1;
}
