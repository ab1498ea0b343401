/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * qs-bench: the data-path benchmark. Per-packet cost of the router's main
 * paths through BPF_PROG_RUN against a do-nothing floor program, memory per
 * ID-table entry, and live throughput on a veth pair. Timing is reported,
 * never judged; only a case that did not take the path it claims to measure
 * makes the tool fail. Functions return 0 or -errno.
 */
#ifndef QS_BENCH_H
#define QS_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include "world.h"

/* The ID table is filled with this many entries, in a map sized as the
 * router's default, which is what a production router loads.
 */
#ifndef BENCH_CID_ENTRIES /* -D for experiments with other table sizes */
#define BENCH_CID_ENTRIES 1000000u
#endif
#ifndef BENCH_CID_CAPACITY
#define BENCH_CID_CAPACITY QS_CID_TABLE_SIZE
#endif

#define BENCH_MAX_ROUNDS 32
#define BENCH_MAX_CASES 24 /* per table */

/* Extra VIPs beside world.h's: QUIC-LB ones and an address that is no VIP. */
#define BENCH_VIP4_QUICLB "198.18.0.101"
#define BENCH_VIP6_QUICLB "fd00::101"
#define BENCH_VIP4_QUICLB_ID 2
#define BENCH_VIP6_QUICLB_ID 3
#define BENCH_NOT_VIP4 "198.18.0.200"
#define BENCH_NOT_VIP6 "fd00::200"
#define BENCH_QUICLB_SID 0x5a5b /* server ID of every QUIC-LB configuration */
/*
 * The encrypted configurations' key: config 2 single-pass (2 + 14 bytes),
 * 3 to 5 four-pass with IDs of 7, 12 and 18 bytes (server ID 2 bytes,
 * nonces 4, 9 and 15).
 */
#define BENCH_QUICLB_KEY "\x8f\x95\xf0\x92\x45\x76\x5f\x80\x25\x69\x34\xe5\x0c\x66\x20\x7f"
#define BENCH_QUICLB_SINGLE 2
#define BENCH_QUICLB_FOUR_7 3
#define BENCH_QUICLB_FOUR_12 4
#define BENCH_QUICLB_FOUR_18 5
/* The nonce length of an encrypted configuration of the benchmark. */
unsigned int bench_quiclb_nonce_len(unsigned int config_id);
#define BENCH_VIP4_NOLEARN "198.18.0.102" /* a VIP that does not learn IDs */
#define BENCH_VIP4_NOLEARN_ID 4
/*
 * VIPs of address-entry handshake (QS_VIP_F_ENTRY_AT_HANDSHAKE), with the
 * Maglev rows of VIP4 and VIP6: new_initial's frames sent to them are
 * routed as there, and write nothing.
 */
#define BENCH_VIP4_HANDSHAKE "198.18.0.103"
#define BENCH_VIP6_HANDSHAKE "fd00::103"
#define BENCH_VIP4_HANDSHAKE_ID 5
#define BENCH_VIP6_HANDSHAKE_ID 6
/*
 * The learning cases' clients: one address, ports BENCH_LEARN_PORT +
 * 0 .. BENCH_LEARN_PORTS - 1, each with an established entry, each frame
 * from the next, so that no entry reaches its cap of learned IDs
 * (QS_FLOW_LEARN_MAX) between two resets.
 */
#define BENCH_LEARN_PORT 20000
#define BENCH_LEARN_PORTS 1024

/* Frames a case cycles through: same length, one after the other. */
struct frameset {
	uint8_t *buf;
	uint32_t n;
	uint32_t len;
	uint32_t stride;
	uint32_t next; /* fresh cases: the number of the next frame built */
};

struct bench_case;

/* The loaded router with its world, the floor program and the run sizes. */
struct bench {
	struct fx fx;
	struct floor_bpf *floor;
	struct probe_bpf *probe;
	struct ring_buffer *probe_ring; /* probe_ringbuf_event's records, drained */
	int floor_prog;
	int pin_cpu; /* where pinned cases run, with their consumer thread */
	bool consumer_reads_events; /* a consumer thread owns qs_events: nobody else drains it */
	uint64_t events_drained; /* records of qs_events that qs-bench drained, ever */
	uint32_t rounds;
	uint32_t runs; /* BPF_PROG_RUN calls per case per round */
};

/* The ring a case's consumer thread reads while its runs happen. */
enum bench_ring {
	BENCH_RING_NONE,
	BENCH_RING_EVENTS, /* the router's qs_events */
	BENCH_RING_PROBE_WAKE, /* probe.bpf.c's probe_ring_wake */
};

struct bench_case {
	const char *name; /* also the JSON name */
	int family;
	unsigned int reason; /* QS_R_* every run must be counted under */
	uint32_t action; /* XDP action every run must return */
	uint32_t nframes; /* frames cycled through (0: one per run); events drained as often */
	bool fresh; /* the router gets frame next++ instead: an ID never seen before */
	double target; /* ratio of the median to the floor's; 0: none */
	void (*spec)(const struct bench_case *c, uint32_t i, struct pb_spec *s);
	/*
	 * Undoes, outside the timed part, what the runs of frames [first,
	 * first + n) wrote: for a cycling case before its frames come round
	 * again, for a fresh case at the end of each batch.
	 */
	int (*reset)(struct bench *b, const struct bench_case *c, uint32_t first, uint32_t n);
	/* A program of probe.bpf.c to run instead of the router; no reason checked. */
	const char *probe;
	/*
	 * A thread reads this ring as the agent does (bench_consumer.c) while
	 * the runs happen, on the runs' CPU; it must read every record they
	 * emitted.
	 */
	enum bench_ring consumer;
	bool pinned; /* runs on bench.pin_cpu (always with a consumer) */
	/* The event budget is reset every cycle: every run must emit a record. */
	bool every_run_emits;
	/* No run may write an address entry (qs_flows_v2, qs_flows_new) or a record. */
	bool writes_nothing;
	const char *stopped; /* the same case without a consumer, in the same table */
	/* A case of the same table this one's median is divided by, reported as over_key. */
	const char *over, *over_key;
};

/* A table of cases measured together against the floor. */
struct case_table {
	const char *title;
	const struct bench_case *cases;
	unsigned int n;
};

/* What a case's consumer thread saw, summed over the recorded rounds. */
struct consumer_counts {
	uint64_t records; /* read by the thread */
	uint64_t wakeups; /* epoll_wait returned the ring */
	uint64_t timeouts; /* epoll_wait returned nothing after QS_EVENTS_DRAIN_MS */
	uint64_t off_cpu; /* turns that ran off the runs' CPU (must be none) */
};

/*
 * What one case measured: ns per packet of each round, and of its floor,
 * as the kernel timed the program (ns) and as the caller saw each
 * BPF_PROG_RUN call (wall_ns: the system call, and whatever ran on the CPU
 * meanwhile, such as a reader the program woke).
 */
struct case_result {
	double ns[BENCH_MAX_ROUNDS];
	double floor_ns[BENCH_MAX_ROUNDS];
	double wall_ns[BENCH_MAX_ROUNDS];
	double floor_wall_ns[BENCH_MAX_ROUNDS];
	/* records the runs emitted, and runs over the event budget (the router's aux counters) */
	uint64_t emitted, sampled_out;
	/* a case that writes nothing: address entries gained, records drained or over budget */
	int64_t entries_added;
	uint64_t records_written;
	struct consumer_counts consumer;
	bool wrong_path;
	char why[160];
};

struct table_result {
	const struct case_table *table;
	struct case_result r[BENCH_MAX_CASES];
};

struct mem_result {
	uint32_t entries;
	uint64_t memlock_empty, memlock_full; /* qs_cids, bytes, /proc/self/fdinfo: nothing writes it */
	uint64_t cidtab_memlock; /* qs_cidtab's, preallocated: the same empty or full */
	int64_t slab_percpu_kb; /* change of Slab + Percpu in /proc/meminfo */
	int64_t available_kb; /* change of MemAvailable (positive: less available) */
	double fill_seconds;
	bool meminfo_settled; /* false: Slab never stayed put before the fill */
};

/*
 * The pipelined topology: rtr0's receive (the program under test) on a CPU of
 * its own. Rates are frames counted at the sink per second of the
 * generator's wall time; offered is what the generator sent per second (the
 * difference overflowed a veth ring). busy is the CPU time of rtr0's NAPI
 * thread per second of wall time (near 1: the program's CPU was the limit),
 * sink_busy that of gen0's (the sink's, on the generator's CPU).
 */
struct veth_pipe_result {
	bool ran;
	char not_run[160]; /* why it was not measured */
	int gen_cpu, rtr_cpu, sink_cpu;
	int rtr_napi_pid, gen_napi_pid;
	double router_pps[BENCH_MAX_ROUNDS], trivial_pps[BENCH_MAX_ROUNDS];
	double router_offered_pps[BENCH_MAX_ROUNDS], trivial_offered_pps[BENCH_MAX_ROUNDS];
	double router_busy[BENCH_MAX_ROUNDS], trivial_busy[BENCH_MAX_ROUNDS];
	double router_sink_busy[BENCH_MAX_ROUNDS], trivial_sink_busy[BENCH_MAX_ROUNDS];
	/* rtr0's NAPI thread's CPU time per frame that reached rtr0 */
	double router_core_ns[BENCH_MAX_ROUNDS], trivial_core_ns[BENCH_MAX_ROUNDS];
	/* times it was switched in per round: about 1 + the times it slept */
	double router_switches[BENCH_MAX_ROUNDS], trivial_switches[BENCH_MAX_ROUNDS];
	/* Frames: generated, reached rtr0, refused by rtr0's full ring (lost_in),
	 * refused by gen0's (lost_out), counted by the sink; the router's own
	 * ID-table hits (handled).
	 */
	uint64_t router_generated, router_reached, router_lost_in, router_lost_out;
	uint64_t router_received, router_handled;
	uint64_t trivial_generated, trivial_reached, trivial_lost_in, trivial_lost_out;
	uint64_t trivial_received;
	double router_prog_ns, trivial_prog_ns; /* run time per packet, bpf_stats */
};

struct veth_result {
	bool ran;
	uint32_t rounds;
	double router_pps[BENCH_MAX_ROUNDS];
	double trivial_pps[BENCH_MAX_ROUNDS];
	uint64_t generated, received;
	double router_prog_ns, trivial_prog_ns; /* run time per packet, bpf_stats */
	bool wrong_path; /* either topology */
	char why[160];
	struct veth_pipe_result pipe;
};

struct bench_results {
	struct table_result main; /* the cases with targets */
	struct table_result diag; /* variants that split the main cases' cost */
	struct table_result probe; /* helpers alone */
	struct mem_result mem;
	struct veth_result veth;
};

/* bench_cases.c (the cases), bench_measure.c (case_measure) */
extern const struct case_table bench_main_cases, bench_diag_cases, bench_probe_cases;
int frameset_build(const struct bench_case *c, uint32_t runs, struct frameset *fs);
void frameset_free(struct frameset *fs);
int case_measure(struct bench *b, const struct bench_case *c, struct frameset *fs,
		 struct case_result *res, uint32_t round);

/* bench_consumer.c */
struct bench_consumer;
/* NULL with errno set */
struct bench_consumer *consumer_start(int map_fd, int cpu);
int consumer_stop(struct bench_consumer *c, struct consumer_counts *out);
int bench_pin_cpu_choose(void);
/* The calling thread's affinity before bench_pin, to go back to. */
struct bench_cpus;
struct bench_cpus *bench_pin(int cpu); /* NULL with errno set */
int bench_unpin(struct bench_cpus *home); /* also frees home */
int bench_budget_reset(struct bench *b);

/* bench_world.c */
int bench_world_setup(struct bench *b);
/* The learning cases' entries (BENCH_LEARN_PORT), written again: none has learned yet. */
int bench_learn_flows(struct bench *b, int family);
void bench_cid_of(uint32_t k, uint8_t cid[WORLD_CID_LEN]);
uint32_t bench_cid_index(int family, uint32_t i);
int bench_cid_fill(struct bench *b, struct mem_result *mem);

/* bench_veth.c */
struct veth_opts {
	const char *gen_netns, *rtr_netns;
	uint32_t frames; /* per generator run */
	uint32_t rounds;
};
int veth_measure(struct bench *b, const struct veth_opts *o, struct veth_result *res);

/* bench_napi.c: in the calling thread's network namespace */
struct bench_napi {
	uint32_t id;
	int pid; /* its kthread, 0 when not threaded */
	uint32_t threaded;
};
int napi_list(int ifindex, struct bench_napi *out, int max); /* count or -errno */
int napi_set_threaded(uint32_t napi_id, uint32_t threaded);

/* bench_report.c */
double stat_median(const double *v, uint32_t n);
double stat_min(const double *v, uint32_t n);
void report_print(const struct bench *b, const struct bench_results *res);
int report_json(const char *path, const struct bench *b, const struct bench_results *res);

#endif /* QS_BENCH_H */
