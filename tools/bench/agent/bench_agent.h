/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * qs-bench-agent: the agent's report-intake benchmark. A sender (this
 * program) feeds a real quicsteerd, started by tools/bench/agent/bench_agent_run
 * in a namespace of its own, authenticated report datagrams over its unix
 * report socket, and watches the pinned ID table to see when they land:
 * throughput with datagrams full of CID_ISSUED records, latency from send to
 * entry visible in qs_cidtab (mapped read-only here: a memory read per
 * poll) at a paced rate, the agent's resident memory and the table's kernel
 * memory with 1,000,000 live IDs. Micro-benchmarks of the pieces the agent
 * runs per datagram and per ID (MAC, parse, registry, table write, socket)
 * say where the time goes. Timing is reported, never judged: only a run
 * that lost IDs or had datagrams refused fails. Functions return 0 or
 * -errno.
 */
#ifndef QS_BENCH_AGENT_H
#define QS_BENCH_AGENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "quicsteer/report.h"
#include "router/cidtab.h"

/* issue 14: intake on one core, send to visible, memory per ID at 1,000,000 IDs */
#define BA_TARGET_IDS_PER_SEC 1500000.0
#define BA_TARGET_P99_US 100.0
#define BA_TARGET_KERNEL_BYTES_PER_ID 48.0
#define BA_TARGET_AGENT_BYTES_PER_ID 64.0
#define BA_MEMORY_IDS 1000000.0 /* the memory targets' count of IDs */
#define BA_TARGET_UL_P99_US 1000.0 /* under control load and a ring-buffer flood */
#define BA_TARGET_PURGE_MAX_US 10000.0 /* while another backend's IDs are purged */
#define BA_MAX_BACKENDS 8 /* ids 1..7 in the generated configuration */
#define BA_MAX_THREADS 16 /* of the agent, read from /proc/PID/task */

struct ba_opts {
	const char *socket; /* the agent's unix report socket */
	const char *pin_dir; /* where the agent pins its maps (qs_cidtab) */
	const char *key_dir; /* bN.key: backend N's key, 64 hex digits */
	const char *metrics_url; /* NULL: intake counters not checked */
	const char *json;
	const char *vip; /* address of the VIP the configuration declares */
	__u16 vip_port;
	__u32 vip_id;
	int agent_pid;
	__u32 ids; /* per throughput run (and the memory fill) */
	__u32 lat_reports; /* datagrams of the latency run */
	__u32 lat_rate; /* datagrams per second */
	__u32 lat_sample; /* measure one datagram in this many */
	bool no_micro;
	/* under load (bench_agent_load.c) */
	bool ul_only, no_ul;
	unsigned int ul_scenarios; /* 1 << enum ba_ul_kind; the idle floor always runs */
	__u32 ul_reports; /* datagrams per under-load run */
	__u32 event_rate; /* unknown-ID packets per second through the router */
	__u32 event_burst; /* of them per test run, when on time */
	__u32 purge_ids;
	int load_cpu; /* -1: the sender's */
	const char *control_socket; /* the agent's, for the CLI */
	const char *cli; /* build/quicsteer */
	const char *ifname; /* the router's interface */
};

/* A set of encoded datagrams, ready to send. */
struct ba_dgrams {
	__u8 *buf; /* n slots of QS_REPORT_MAX_DGRAM bytes */
	__u16 *len;
	__u32 n;
	__u32 ids; /* CID_ISSUED records over all of them */
	__u32 ids_per_dgram; /* in every full datagram */
	__u32 backend_id;
	__u64 incarnation;
	__u8 cid_len;
	__u32 first_key; /* ID k of the set is ba_cid(backend, first_key + k) */
};

/*
 * The agent's threads, read from /proc: CPU time and how often they slept,
 * summed over all of them (the agent may run one thread or several), and
 * each one's CPU time, to name the busiest.
 */
struct ba_proc_sample {
	__u64 run_ns;
	__u64 vol_switches;
	__u64 invol_switches;
	__u64 minor_faults; /* the whole process's */
	int n_threads;
	int tid[BA_MAX_THREADS];
	__u64 thread_run_ns[BA_MAX_THREADS];
	char comm[BA_MAX_THREADS][16];
};

/* One instant of the agent's thread, this thread and both CPUs. */
struct ba_snap {
	__u64 wall_ns;
	struct ba_proc_sample agent;
	double sender_run_ns;
	__u64 sender_vol, sender_invol;
	double agent_cpu_busy_ns, sender_cpu_busy_ns; /* /proc/stat, steal excluded */
	double agent_cpu_steal_ns, sender_cpu_steal_ns;
};

/*
 * What the two CPUs did during a measurement, per second of it: the
 * agent's thread and the sender's, and everything else on their CPUs
 * (other processes, kernel work no thread is charged with), so that a
 * figure disturbed by someone else on the machine says so.
 */
struct ba_window {
	double seconds;
	double agent_busy, sender_busy; /* the threads' CPU time / wall time */
	double agent_cpu_other, sender_cpu_other; /* CPU busy - the thread's time, / wall */
	double agent_cpu_steal; /* the hypervisor ran something else */
	__u64 agent_sleeps, agent_preempted; /* voluntary, involuntary context switches */
	__u64 sender_sleeps, sender_preempted;
	__u64 agent_run_ns;
	__u64 agent_faults; /* minor page faults: first touches of memory */
	int agent_threads;
	char agent_busiest[16]; /* the thread that ran most, and its share of the wall time */
	double agent_busiest_busy;
};

struct ba_tput {
	bool ran;
	__u8 cid_len;
	__u32 backend_id;
	__u32 datagrams, ids, ids_per_dgram;
	double seconds; /* first send to last entry visible */
	double send_seconds; /* first send to last send returned */
	double ids_per_sec, dgrams_per_sec;
	struct ba_window win; /* first send to last ID visible */
	double agent_ns_per_id; /* agent main thread CPU time / IDs */
	__u64 counted; /* entries of this backend in qs_cidtab afterwards */
	bool complete; /* counted == ids */
	__u64 rss_after; /* agent VmRSS with this run's IDs live */
	/* the purge (new incarnation) that removed them afterwards */
	double purge_seconds;
	__u64 purge_left;
	__u64 rss_after_purge;
	/*
	 * Softirq time on the agent's CPU from the purge until the CPU was
	 * quiet, and how long that took (with qs_cidtab, plain stores, there
	 * is no deferred kernel work left to wait for: it should be ~0).
	 */
	double purge_softirq_ms;
	double purge_settle_seconds;
};

/*
 * A sample of the latency run: its send time from the start, its latency,
 * and meanwhile the agent's threads' time on a CPU (summed) and the longest
 * any of them waited on a run queue (which ran most and which waited,
 * indices into ba_latency.threads), and the sender's wait.
 */
struct ba_lat_sample {
	double at_ms;
	double us;
	double agent_run_us, agent_wait_us, sender_wait_us;
	__s8 run_thread, wait_thread;
};

/* How a latency run paces and samples; NULL to ba_lat_run: spin, 1 s timeout. */
struct ba_pace {
	bool sleep; /* sleep to each slot, leaving the CPU to SCHED_IDLE load between */
	__u64 sample_timeout_ns;
	bool end_on_timeout; /* a sample that timed out ends the run (its agent is stuck) */
	bool keep_samples; /* ba_latency.all stays, for the caller to free */
	/* before each slot's send, outside any timing; non-zero ends the run */
	int (*slot_hook)(void *ctx, __u32 slot);
	void *hook_ctx;
};

#define BA_SLOWEST 8

struct ba_latency {
	bool ran;
	__u32 reports, samples, timeouts, late;
	double rate;
	double achieved_rate;
	double median_us, p90_us, p99_us, p999_us, max_us, min_us;
	/* samples in which neither thread waited for its CPU over 50 us */
	__u32 clean_samples;
	double clean_median_us, clean_p99_us, clean_max_us;
	__u32 agent_waited, sender_waited; /* the others, by who waited */
	__u32 agent_busy_elsewhere; /* agent ran over 200 us within the sample */
	__u32 agent_blocked; /* neither ran nor waited for 1 ms of the sample */
	struct ba_window win;
	double lookup_ns; /* one poll of qs_cidtab (qs_cidtab_get): the resolution */
	__u64 live_ids; /* other backends' IDs in the table meanwhile */
	double quiet_wait_s; /* waited for the agent's CPU to be quiet first */
	struct ba_lat_sample slowest[BA_SLOWEST]; /* slowest first */
	__u64 counted;
	bool complete;
	int n_threads; /* the agent's, watched per sample */
	char threads[BA_MAX_THREADS][16];
	struct ba_lat_sample *all; /* with ba_pace.keep_samples: every sample, slowest first */
};

struct ba_micro {
	bool ran;
	/* per datagram, in-process */
	double check_full8_ns, verify_full8_ns; /* 60 x 8-byte CID_ISSUED */
	double check_full18_ns, verify_full18_ns; /* 39 x 18-byte */
	double check_one_ns, verify_one_ns; /* one 18-byte CID_ISSUED */
	double hmac_oneshot_ns; /* HMAC() over 1200 bytes, as report.c does */
	double hmac_reused_ns; /* EVP_MAC, fetched once, context reused */
	double unix_dgram_ns; /* send + recv of 1232 bytes on a socketpair */
	/*
	 * per ID, on a private map shaped like qs_cids: what the old path (a
	 * system call per ID) cost, for comparison; the agent no longer pays it
	 */
	double map_update_ns, map_update_batch_ns, map_lookup_ns, map_delete_ns;
	/*
	 * qs_intake + qs_cidreg in-process, per ID: cold (fresh memory, as the
	 * agent's first fill), then warm (the memory a freed registry left).
	 */
	double intake_null_cold_ns; /* sink does nothing: parse, MAC, registry */
	double intake_null_ns; /* warm */
	double intake_map_ns; /* warm, sink writes a private qs_cidtab through mmap: the agent minus the socket */
	double registry_bytes_per_id; /* this process's RSS growth with the registry */
	double registry_memory_per_id; /* what the registry counts itself (qs_cidreg_memory) */
	double fault_ns; /* first touch of a fresh 4 KB page */
	/* the slowest datagrams of the cold run: IDs held before it, ms */
#define BA_STALLS 8
	__u32 stall_ids[BA_STALLS];
	double stall_ms[BA_STALLS];
	double dgram_median_us; /* of the cold run */
	double flow_scan_empty_ms; /* the agent's 10-second sweep of an empty qs_flows */
	__u32 intake_ids;
};

/* What the agent's metrics endpoint says (curl, before and after a run). */
struct ba_metrics {
	bool read;
	__u64 accepted, refused; /* report datagrams by verdict */
	__u64 ids_reported, ids_purged;
	__u64 unknown_cid_packets; /* the router's drop_unknown_cid verdicts */
	__u64 events_lost; /* ring buffer full */
	double intake_turn_max_s; /* the intake thread's longest turn; < 0: not served */
};

/* ---- under load (bench_agent_load.c, _cli.c, _inject.c) ---- */

enum ba_ul_kind { BA_UL_IDLE, BA_UL_CONTROL, BA_UL_EVENTS, BA_UL_PURGE, BA_UL_RUNS };

#define BA_CLI_COMMANDS 4
struct ba_cli_stats {
	__u32 runs, failed;
	double total_ms, max_ms; /* spawn to exit, wall clock */
};

/* (a) a client looping CLI commands against the agent */
struct ba_control_load {
	__u32 commands, failed;
	double seconds; /* the loop's whole life */
	double per_sec;
	double run_per_sec; /* commands that ended within the latency run, per second of it */
	double cpu_seconds; /* the commands' user + system time */
	struct ba_cli_stats cmd[BA_CLI_COMMANDS];
	char first_error[160]; /* the first failure's stderr, its first line */
};

/* (b) unknown-ID packets run through the attached router, one ring record each */
struct ba_event_load {
	double rate; /* asked */
	__u32 burst;
	__u32 prog_id;
	char prog_name[16];
	__u64 packets; /* injected in all */
	__u64 skipped; /* due while the injector was kept off its CPU over 1 ms: not sent */
	double seconds;
	__u64 run_packets; /* within the latency run */
	double run_rate;
	bool counted_known; /* the metrics endpoint answered before and after */
	__u64 counted; /* the router's drop_unknown_cid verdicts meanwhile (metrics) */
	double counted_rate; /* counted over the injector's life */
	__u64 events_lost; /* the router found the ring full */
	__u64 consumed; /* records the agent took within the run (consumer position) */
	double consumed_rate;
	__u64 ring_bytes, backlog_max; /* bytes written and not yet consumed */
	double backlog_mean;
	double router_ns; /* the kernel's own time per packet (test run) */
	double injector_busy; /* its thread's CPU time / wall time */
	__u64 bad_verdicts; /* test runs whose verdict was not XDP_DROP */
};

/* (c) a backend holding purge_ids IDs restarts */
struct ba_purge_load {
	__u32 backend_id;
	struct ba_tput fill; /* its IDs, sent before the run */
	double at_ms; /* the new incarnation's datagram, into the run */
	double seconds; /* from it to the last probed ID gone */
	bool outlasted_run;
	__u64 left; /* the backend's entries afterwards */
	__u32 samples; /* sent while the purge ran */
	double median_us, p99_us, max_us;
	double softirq_ms; /* on the agent's CPU, until it was quiet */
};

struct ba_under_load {
	bool ran;
	unsigned int scenarios;
	__u32 backend_id; /* whose one-ID datagrams are timed */
	__u32 sample_every;
	char ifname[16]; /* the router's interface */
	int load_cpu;
	char load_cpus[64];
	/* the agent's threads at the end, with the CPUs each may run on */
	int n_threads;
	char thread_comm[BA_MAX_THREADS][16];
	char thread_cpus[BA_MAX_THREADS][64];
	struct ba_latency run[BA_UL_RUNS];
	struct ba_control_load control;
	struct ba_event_load events;
	struct ba_purge_load purge;
	__u64 datagrams; /* sent to the agent in all */
};

struct ba_results {
	int agent_cpu, sender_cpu; /* -1: not pinned to a single CPU */
	char agent_cpus[64], sender_cpus[64];
	int cpus;
	int unix_max_dgram_qlen;
	__u64 rss_start, hwm_end;
	/* RssAnon: the agent's own heap, without the mmapped table VmRSS counts */
	__u64 rss_anon_start, rss_anon_1m;
	/*
	 * fdinfo memlock of the pinned qs_cidtab (preallocated: sized by the
	 * table's capacity, not by what it holds) and of qs_cids (no longer
	 * written: it should stay near its empty size), at start and with the
	 * first fill's IDs live.
	 */
	__u64 cidtab_memlock_start, cidtab_memlock_1m;
	__u64 cids_memlock_start, cids_memlock_1m;
	__u32 cidtab_buckets; /* of the pinned qs_cidtab, 4 slots each */
#define BA_TPUT_RUNS 3
	struct ba_tput tput[BA_TPUT_RUNS]; /* 8-byte (first fill), 18-byte, 8-byte again */
	struct ba_latency lat;
	struct ba_micro micro;
	struct ba_under_load ul;
	/* intake counters from the agent's metrics endpoint */
	struct ba_metrics metrics;
	__u64 expected_accepted;
	bool ok; /* every ID landed and nothing was refused */
	char why[200];
};

/* The run's state, shared by the phases. */
struct ba_ctx {
	const struct ba_opts *o;
	struct ba_results *r;
	__u8 keys[BA_MAX_BACKENDS][QS_REPORT_KEY_LEN];
	struct qs_report_endpoint vip;
	int sock;
	int tab_fd, cids_fd; /* the pinned qs_cidtab and qs_cids */
	struct qs_cidtab tab; /* qs_cidtab mapped read-only: where IDs are looked for */
};

/* bench_agent.c: the agent's socket and ID table (qs_cidtab), and what the phases share */
int ba_send(int sock, const __u8 *buf, size_t len);
__u64 ba_new_incarnation(void);
int ba_tput_run(struct ba_ctx *c, struct ba_tput *t, const struct ba_dgrams *d);
double ba_cpu_quiet(struct ba_ctx *c);
int ba_metrics_read(struct ba_metrics *m, const char *url);
bool ba_cid_visible(const struct ba_ctx *c, __u32 backend_id, __u32 k, __u8 cid_len);
__u64 ba_wait_cid(const struct ba_ctx *c, __u32 backend_id, __u32 k, __u8 cid_len, bool want,
		  __u64 timeout_ns);
__u64 ba_count_backend(const struct ba_ctx *c, __u32 backend_id);

/* bench_agent_latency.c */
int ba_lat_run(const struct ba_ctx *c, struct ba_latency *l, const struct ba_dgrams *d,
	       const struct ba_pace *pace);
int ba_lat_percentiles(const struct ba_lat_sample *smp, __u32 n, double from_ms, double to_ms,
		       __u32 *count, double *median, double *p99, double *max);

/* bench_agent_proc.c */
__u64 ba_proc_mem(int pid, const char *name); /* VmRSS, VmHWM: bytes */
void ba_thread_sample(int pid, struct ba_proc_sample *s);
int ba_proc_cpu(int pid, char *list, size_t size);
int ba_read_int(const char *path);
__u64 ba_map_memlock(int fd);
double ba_cpu_busy_ns(int cpu, double *steal_ns, double *softirq_ns);
void ba_snap_take(const struct ba_ctx *c, struct ba_snap *s);
void ba_window_of(struct ba_window *w, const struct ba_snap *a, const struct ba_snap *b);
int ba_schedstat_open(int pid, int tid);
int ba_schedstat_read(int fd, __u64 *run_ns, __u64 *wait_ns);
/* every thread of a process, for schedstat reads around each sample */
struct ba_sched_set {
	int n;
	int fd[BA_MAX_THREADS];
	char comm[BA_MAX_THREADS][16];
};
int ba_sched_set_open(struct ba_sched_set *s, int pid);
void ba_sched_set_close(struct ba_sched_set *s);
void ba_sched_set_read(const struct ba_sched_set *s, __u64 *run_ns, __u64 *wait_ns);
int ba_proc_threads(int pid, int *tids, char (*comm)[16], int max);
int ba_set_load_sched(int cpu);

/* bench_agent_dgrams.c */
void ba_cid(__u32 backend_id, __u32 k, __u8 *cid, __u8 len);
int ba_dgrams_build(struct ba_dgrams *d, const __u8 *key, const struct qs_report_endpoint *vip,
		    __u32 backend_id, __u64 incarnation, __u8 cid_len, __u32 ids,
		    __u32 ids_per_dgram, __u32 first_key);
void ba_dgrams_free(struct ba_dgrams *d);
static inline __u8 *ba_dgram(const struct ba_dgrams *d, __u32 i)
{
	return d->buf + (size_t)i * QS_REPORT_MAX_DGRAM;
}
int ba_heartbeat(__u8 *buf, const __u8 *key, __u32 backend_id, __u64 incarnation);
__u64 ba_now_ns(void);
/* CLOCK_REALTIME: report timestamps and incarnations. */
__u64 ba_wall_ns(void);

/* bench_agent_micro.c */
int ba_micro_run(struct ba_micro *m, const __u8 *key, const struct qs_report_endpoint *vip,
		 __u32 vip_id, const struct ba_dgrams *fill8);

/* bench_agent_load.c: the agent under load */
int ba_ul_run(struct ba_ctx *c);
bool ba_ul_verdict(const struct ba_results *r, char *why, size_t size);
int ba_ul_scenarios_parse(const char *list, unsigned int *mask);

/* bench_agent_cli.c: (a), a client looping CLI commands */
struct ba_cli_loop;
int ba_cli_start(struct ba_cli_loop **loop, const struct ba_opts *o, int cpu,
		 struct ba_control_load *res);
void ba_cli_mark(struct ba_cli_loop *loop, bool end); /* the latency run's start and end */
int ba_cli_stop(struct ba_cli_loop *loop);
const char *ba_cli_name(int k);

/* bench_agent_inject.c: (b), unknown-ID packets through the attached router */
struct ba_injector;
int ba_inject_start(struct ba_injector **in, const struct ba_ctx *c, int cpu,
		    struct ba_event_load *res);
void ba_inject_mark(struct ba_injector *in, bool end);
int ba_inject_stop(struct ba_injector *in);

/* bench_agent_report.c */
double ba_percentile(double *sorted, __u32 n, double p);
void ba_print(const struct ba_opts *o, const struct ba_results *r);
int ba_json(const char *path, const struct ba_opts *o, const struct ba_results *r);
void ba_print_window(const struct ba_window *w, __u32 datagrams);
void ba_print_slowest(const struct ba_latency *l, int n);
void ba_print_causes(const struct ba_latency *l);
void ba_json_lat(FILE *f, const struct ba_latency *l, const char *ind, const char *sep);
void ba_json_window(FILE *f, const struct ba_window *w, __u32 datagrams, const char *sep);
void ba_jnum(FILE *f, const char *key, double v, const char *sep);
void ba_jint(FILE *f, const char *key, unsigned long long v, const char *sep);
void ba_jint_ran(FILE *f, const char *key, bool ran, unsigned long long v, const char *sep);
void ba_jbool(FILE *f, const char *key, bool ran, bool v, const char *sep);
void ba_jstr(FILE *f, const char *key, const char *v, const char *sep);
const char *ba_met(bool ran, bool ok);

/* bench_agent_ulreport.c: the under-load part of the table and the JSON */
void ba_ul_print(const struct ba_results *r);
void ba_ul_json(FILE *f, const struct ba_results *r);

#endif /* QS_BENCH_AGENT_H */
