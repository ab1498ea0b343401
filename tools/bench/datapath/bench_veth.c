// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Live throughput on a veth pair, gen0 (namespace gen) <-> rtr0 (namespace
 * rtr), both created and removed by tools/bench/run:
 *
 *   generator --XDP_TX--> gen0 ====> rtr0 [router or trivial XDP_TX]
 *   sink [count, XDP_DROP] on gen0 <==== rtr0
 *
 * The generator (gen.bpf.c) is an XDP_TX program run through BPF_PROG_RUN
 * with BPF_F_TEST_XDP_LIVE_FRAMES and ingress_ifindex = gen0: the kernel turns
 * its XDP_TX into a redirect out of gen0, i.e. into rtr0's receive queue. The
 * program attached to gen0 (the sink) is a different program and is not
 * involved in that: it only runs for frames arriving on gen0, which is what
 * lets rtr0's XDP_TX frames be received at all (a veth drops XDP_TX frames
 * from its peer unless the receiving end has an XDP program). Checked on
 * 6.18: with the sink attached to gen0, every generated frame crosses to rtr0
 * and comes back (the tool prints both counts), so this two-namespace
 * topology needs no third namespace.
 *
 * Two topologies, measured in the same run; in each, the router and the
 * trivial program alternate round by round and the median is reported.
 *
 * Single core (veth_ratio). Everything runs on the generating CPU: each
 * batch's softirq (rtr0's then gen0's NAPI) runs when the generator re-enables
 * bottom halves, so a rate is that of one core doing generator + veth + rtr0
 * program + veth + sink per frame, and the ratio of two rates is (pipeline +
 * trivial program) / (pipeline + router), not the router's share of a core of
 * its own. A last round per program with the kernel's run-time statistics on
 * gives the program's own time per packet.
 *
 * Pipelined (veth_ratio_pipelined), as a router runs: the receive queue's
 * NAPI on a core of its own. Threaded NAPI on both veths (netdev napi-set,
 * bench_napi.c: what `echo 1 > /sys/class/net/IF/threaded` does), and
 *
 *   CPU 0: qs-bench's thread in BPF_PROG_RUN (the generator, pinned with
 *          sched_setaffinity) and gen0's NAPI thread (the sink);
 *   CPU 1: rtr0's NAPI thread alone: veth receive, the program, its XDP_TX.
 *
 * The sink shares CPU 0 with the generator, not CPU 1 with the program: on
 * CPU 1 its receive (costlier per frame than rtr0's whole receive with the
 * trivial program) would be charged to the core under test, which is what
 * the single-core figure already does. On CPU 0 it competes with a generator
 * that never sleeps: as an ordinary thread it got too little of the CPU,
 * gen0's ring overflowed and 40 % of rtr0's XDP_TX frames were lost after the
 * program had done its work (measured on 6.18). So it runs at SCHED_FIFO: it
 * preempts the generator whenever frames wait, the generator gets what is
 * left, and nearly every frame the router handles comes back.
 *
 * The generator offers more than rtr0's core takes, so rtr0's ring overflows:
 * a round counts the frames generated, those that reached rtr0 (its rx
 * packets), those its full ring refused (its rx dropped), those gen0's full
 * ring refused (rtr0's tx dropped) and those the sink counted; the rate is
 * the sink's count per second of the generator's wall time. Each round checks
 * that the sink counted on CPU 0 (its per-CPU map), that the router counted
 * its ID-table hits on CPU 1 (the per-CPU qs_stats) and that rtr0's NAPI
 * thread ran; its CPU time (/proc/PID/schedstat) per frame that reached rtr0
 * is that core's cost per frame.
 *
 * The pipelined rates are not the programs' capacities on this 2-CPU VM.
 * CPU 0 is saturated (the generator never sleeps; the sink's receive of
 * frames from another CPU costs it more per frame than rtr0's whole receive
 * with the trivial program costs CPU 1). And the router keeps rtr0's thread
 * busy (switched in a few times per round), while the trivial program empties
 * rtr0's ring: its thread sleeps and is woken some 2,000 times per 0.2 s
 * round, idle some 50 us each time, long enough for the 256-frame ring to
 * overflow meanwhile, so more of the trivial program's frames are refused
 * than the router's although its CPU idles half the time (6.18, KVM). The
 * trivial program's received rate is therefore that of the machine around
 * it, and veth_ratio_pipelined near (even above) 1 says that the router on a
 * core of its own keeps up with what the rest of this machine pushes through
 * it. The busy fraction and CPU time per frame of rtr0's thread say how much
 * of its core that takes: veth_core_ratio_pipelined, the trivial program's
 * time per frame over the router's, is the ratio of their capacities on a
 * core of their own (the trivial program's time includes its wake-ups).
 * Kernels without per-NAPI threaded polling (napi-set threaded, 6.17) or
 * without a second CPU get the single-core figures and the reason why not.
 *
 * The router runs in its benchmark world with the million-entry ID table; the
 * frame is an ID-table hit whose next hop is tx_ifindex 0 (XDP_TX). The next
 * hop's MAC addresses are the fixture's: the sink takes every frame whatever
 * its destination MAC, so nothing depends on them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "util/log.h"
#include "router/maps.h"
#include "gen.skel.h"
#include "sink.skel.h"
#include "tx.skel.h"

#define GEN_IF "gen0"
#define RTR_IF "rtr0"
#define GEN_BATCH 64
#define SETTLE_US 20000 /* for frames still queued when the generator returns */

/* The pipelined topology's CPUs (see the comment at the top). */
#define PIPE_GEN_CPU 0 /* qs-bench's thread, in BPF_PROG_RUN: the generator */
#define PIPE_RTR_CPU 1 /* rtr0's NAPI thread: the program under test */
#define PIPE_SINK_CPU 0 /* gen0's NAPI thread: the sink, at SCHED_FIFO */
#define PIPE_SINK_PRIO 1 /* the lowest SCHED_FIFO priority: above any SCHED_OTHER thread */
#define PIPE_MAX_NAPI 4 /* per interface; a veth has one per receive queue */

struct live {
	const struct veth_opts *o;
	int home_ns; /* the namespace qs-bench started in */
	int gen_ifindex, rtr_ifindex;
	struct gen_bpf *gen;
	struct tx_bpf *trivial;
	struct sink_bpf *sink;
	uint8_t frame[PB_MAX_FRAME];
	uint32_t len;
	/* Pipelined: the CPUs a round checks and the NAPI threads it times;
	 * -1 and 0 in the single-core topology.
	 */
	int rtr_cpu, sink_cpu;
	int rtr_pid, gen_pid;
	struct bench_napi rtr_napi[PIPE_MAX_NAPI], gen_napi[PIPE_MAX_NAPI];
	int n_rtr_napi, n_gen_napi;
	cpu_set_t home_cpus; /* qs-bench's own affinity before it was pinned */
	bool pinned;
};

/* What one generator run did. */
struct round {
	double secs; /* the generator's wall time */
	uint64_t sent; /* frames the generator ran */
	uint64_t at_return, received; /* counted at the sink by its return, after settling */
	uint64_t received_on_cpu; /* of received, on l->sink_cpu */
	uint64_t cid, all; /* the router's reason counters: ID-table hits, any reason */
	uint64_t cid_on_cpu; /* of cid, on l->rtr_cpu */
	uint64_t rtr_ns, gen_ns; /* CPU time of rtr0's and gen0's NAPI threads, during secs */
	uint64_t rtr_switches; /* times rtr0's NAPI thread was switched in, during secs */
	/* Pipelined: rtr0's link counters, i.e. the frames that reached its
	 * program, and those its full ring refused (from the generator) and
	 * gen0's full ring refused (its XDP_TX).
	 */
	uint64_t reached, lost_in, lost_out;
};

struct link_count {
	uint32_t rx, rx_dropped, tx_dropped; /* 32-bit: only differences are used */
};

static int netns_enter(const char *name)
{
	char path[256];
	int fd, err = 0;

	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
	} else {
		if (setns(fd, CLONE_NEWNET))
			err = -errno;
		close(fd);
	}
	if (err)
		pr_warn("bench: cannot enter network namespace %s: %s\n", name, strerror(-err));
	return err;
}

static int if_index_in(const char *netns, const char *ifname, int *ifindex)
{
	int err = netns_enter(netns);

	if (err)
		return err;
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex) {
		err = -errno;
		pr_warn("bench: no interface %s in %s: %s\n", ifname, netns, strerror(-err));
	}
	return err;
}

static int xdp_attach_in(const char *netns, int ifindex, int prog_fd)
{
	int err = netns_enter(netns);

	if (err)
		return err;
	/* Native mode: the measurement is about the driver path. Replaces
	 * whatever program the previous round left on the interface.
	 */
	err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		pr_warn("bench: cannot attach XDP to ifindex %d in %s: %s\n", ifindex, netns,
			strerror(-err));
	return err;
}

static int live_setup(const struct veth_opts *o, struct live *l)
{
	struct pb_spec s = world_short(4, CLIENT4, CLIENT_PORT, "");
	int err;

	l->o = o;
	l->rtr_cpu = l->sink_cpu = -1;
	l->home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (l->home_ns < 0)
		return -errno;
	bench_cid_of(bench_cid_index(4, 0), s.dcid);
	s.dcid_len = WORLD_CID_LEN;
	l->len = pb_build(&s, l->frame, sizeof(l->frame));
	if (l->len < sizeof(l->gen->rodata->gen_head))
		return -EINVAL;
	l->gen = gen_bpf__open();
	if (!l->gen)
		return -errno;
	memcpy((void *)l->gen->rodata->gen_head, l->frame, sizeof(l->gen->rodata->gen_head));
	err = gen_bpf__load(l->gen);
	if (err)
		return err;
	l->trivial = tx_bpf__open_and_load();
	l->sink = sink_bpf__open_and_load();
	if (!l->trivial || !l->sink)
		return -errno ?: -ENOMEM;
	err = if_index_in(o->rtr_netns, RTR_IF, &l->rtr_ifindex) ?:
	      if_index_in(o->gen_netns, GEN_IF, &l->gen_ifindex);
	return err ?: xdp_attach_in(o->gen_netns, l->gen_ifindex,
				    bpf_program__fd(l->sink->progs.bench_sink));
}

static void pipe_undo(struct live *l);

static void live_teardown(struct live *l)
{
	pipe_undo(l);
	if (l->rtr_ifindex && !netns_enter(l->o->rtr_netns))
		bpf_xdp_detach(l->rtr_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (l->gen_ifindex && !netns_enter(l->o->gen_netns))
		bpf_xdp_detach(l->gen_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (l->home_ns >= 0) {
		if (setns(l->home_ns, CLONE_NEWNET))
			pr_warn("bench: cannot return to the first network namespace: %s\n",
				strerror(errno));
		close(l->home_ns);
	}
	gen_bpf__destroy(l->gen);
	tx_bpf__destroy(l->trivial);
	sink_bpf__destroy(l->sink);
}

/*
 * A per-CPU map's element: the sum over CPUs of each CPU's first u64 (a
 * counter, or a qs_counter's packets), and that of CPU cpu (-1: none).
 */
static int percpu_sum(int map_fd, __u32 key, size_t value_size, int cpu, uint64_t *sum,
		      uint64_t *on_cpu)
{
	int n = libbpf_num_possible_cpus();
	size_t stride = (value_size + 7) & ~(size_t)7;
	uint64_t v;
	char *buf;

	if (n < 0)
		return n;
	buf = calloc(n, stride);
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, buf)) {
		free(buf);
		return -errno;
	}
	*sum = *on_cpu = 0;
	for (int i = 0; i < n; i++) {
		memcpy(&v, buf + (size_t)i * stride, sizeof(v));
		*sum += v;
		if (i == cpu)
			*on_cpu = v;
	}
	free(buf);
	return 0;
}

static int sink_count(const struct live *l, uint64_t *sum, uint64_t *on_cpu)
{
	return percpu_sum(bpf_map__fd(l->sink->maps.sink_packets), 0, sizeof(__u64), l->sink_cpu,
			  sum, on_cpu);
}

static int router_cid_count(struct bench *b, const struct live *l, uint64_t *sum,
			    uint64_t *on_cpu)
{
	return percpu_sum(b->fx.stats, QS_R_ROUTE_CID, sizeof(struct qs_counter), l->rtr_cpu, sum,
			  on_cpu);
}

/*
 * rtr0's counters as rtnetlink reports them in the current namespace: a veth
 * counts XDP frames received as rx packets, frames its peer could not put in
 * its full ring as rx dropped, and XDP_TX frames the peer's full ring refused
 * as tx dropped (ethtool -S shows the same per queue).
 */
static int link_count_of(const char *ifname, struct link_count *c)
{
	struct ifaddrs *all, *i;
	int err = -ENODEV;

	if (getifaddrs(&all))
		return -errno;
	for (i = all; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    !strcmp(i->ifa_name, ifname)) {
			const struct rtnl_link_stats *st = i->ifa_data;

			c->rx = st->rx_packets;
			c->rx_dropped = st->rx_dropped;
			c->tx_dropped = st->tx_dropped;
			err = 0;
			break;
		}
	}
	freeifaddrs(all);
	return err;
}

/*
 * A thread's time on a CPU so far and how many times it was switched in, from
 * /proc/PID/schedstat (the scheduler's own account, ns); 0 for pid 0 or when
 * it cannot be read.
 */
struct sched_use {
	uint64_t ns, switches;
};

static struct sched_use thread_use(int pid)
{
	unsigned long long ns = 0, wait = 0, n = 0;
	struct sched_use u = { 0 };
	char path[64];
	FILE *f;

	if (!pid)
		return u;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "re");
	if (!f)
		return u;
	if (fscanf(f, "%llu %llu %llu", &ns, &wait, &n) == 3) {
		u.ns = ns;
		u.switches = n;
	}
	fclose(f);
	return u;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs the generator for frames frames. */
static int generate(struct live *l, uint32_t frames, double *seconds)
{
	struct xdp_md ctx = { .data_end = l->len, .ingress_ifindex = l->gen_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = l->frame, .data_size_in = l->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = frames,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = GEN_BATCH);
	double t0;
	int err;

	t0 = now_seconds();
	if (bpf_prog_test_run_opts(bpf_program__fd(l->gen->progs.bench_gen), &opts)) {
		err = -errno;
		pr_warn("bench: live-frame generator on %s failed: %s\n", GEN_IF, strerror(-err));
		return err;
	}
	*seconds = now_seconds() - t0;
	return 0;
}

/* Every reason counter summed: the router's packets of any verdict. */
static uint64_t reasons_total(struct bench *b)
{
	uint64_t sum = 0;

	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		sum += fx_reason(&b->fx, r);
	return sum;
}

/* One generator run through prog on rtr0, counted at the sink and by the router. */
static int live_round(struct bench *b, struct live *l, int prog, struct round *rd)
{
	uint64_t s0 = 0, s0c = 0, s1 = 0, s1c = 0, s2 = 0, s2c = 0;
	uint64_t c0 = 0, c0c = 0, c2 = 0, c2c = 0, all0;
	struct sched_use r0, g0, r1, g1;
	struct link_count k0 = { 0 }, k2 = { 0 };
	bool pipelined = l->rtr_pid;
	int err;

	memset(rd, 0, sizeof(*rd));
	err = xdp_attach_in(l->o->rtr_netns, l->rtr_ifindex, prog) ?:
	      (pipelined ? link_count_of(RTR_IF, &k0) : 0) ?:
	      netns_enter(l->o->gen_netns) ?: sink_count(l, &s0, &s0c) ?:
	      router_cid_count(b, l, &c0, &c0c);
	if (err)
		return err;
	all0 = reasons_total(b);
	r0 = thread_use(l->rtr_pid);
	g0 = thread_use(l->gen_pid);
	err = generate(l, l->o->frames, &rd->secs);
	if (err)
		return err;
	r1 = thread_use(l->rtr_pid);
	g1 = thread_use(l->gen_pid);
	rd->rtr_ns = r1.ns - r0.ns;
	rd->rtr_switches = r1.switches - r0.switches;
	rd->gen_ns = g1.ns - g0.ns;
	err = sink_count(l, &s1, &s1c);
	if (err)
		return err;
	usleep(SETTLE_US);
	err = sink_count(l, &s2, &s2c) ?: router_cid_count(b, l, &c2, &c2c);
	if (!err && pipelined)
		err = netns_enter(l->o->rtr_netns) ?: link_count_of(RTR_IF, &k2);
	if (err)
		return err;
	rd->reached = (uint32_t)(k2.rx - k0.rx);
	rd->lost_in = (uint32_t)(k2.rx_dropped - k0.rx_dropped);
	rd->lost_out = (uint32_t)(k2.tx_dropped - k0.tx_dropped);
	rd->sent = l->o->frames;
	rd->at_return = s1 - s0;
	rd->received = s2 - s0;
	rd->received_on_cpu = s2c - s0c;
	rd->cid = c2 - c0;
	rd->cid_on_cpu = c2c - c0c;
	rd->all = reasons_total(b) - all0;
	return 0;
}

static void wrong_path(struct veth_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wrong_path(struct veth_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->wrong_path)
		return;
	res->wrong_path = true;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
}

/*
 * Something must come back, and the router must have counted (nearly) every
 * packet as an ID-table hit; a few others may be the namespaces' own traffic,
 * which the run script keeps down by turning IPv6 off there.
 */
static void path_check(struct bench *b, int prog, const struct round *rd,
		       struct veth_result *res, const char *topology)
{
	if (!rd->received)
		wrong_path(res, "%sno frame came back to %s", topology, GEN_IF);
	if (prog != b->fx.prog)
		return;
	if (!rd->cid || rd->all - rd->cid > rd->all / 1000 || rd->cid < rd->received)
		wrong_path(res, "%srouter counted %llu ID-table hits of %llu packets, %llu came back",
			   topology, (unsigned long long)rd->cid, (unsigned long long)rd->all,
			   (unsigned long long)rd->received);
}

/* Single-core: pps counted at the sink by the generator's return. */
static int single_round(struct bench *b, struct live *l, int prog, double *pps,
			struct veth_result *res)
{
	struct round rd;
	int err = live_round(b, l, prog, &rd);

	if (err)
		return err;
	*pps = rd.at_return / rd.secs;
	res->generated += rd.sent;
	res->received += rd.received;
	path_check(b, prog, &rd, res, "");
	return 0;
}

static int prog_run_stats(int prog, __u64 *run_ns, __u64 *runs)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return -errno;
	*run_ns = info.run_time_ns;
	*runs = info.run_cnt;
	return 0;
}

/*
 * One more round with the kernel's run-time statistics on: the program's own
 * time per packet on rtr0, free of BPF_PROG_RUN's syscall per packet. Apart
 * from the rate rounds, as the statistics cost two clock reads per packet.
 */
static int live_prog_ns(struct bench *b, struct live *l, int prog, double *ns)
{
	__u64 t0 = 0, n0 = 0, t1 = 0, n1 = 0;
	struct round rd;
	int stats, err;

	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0)
		return -errno;
	err = prog_run_stats(prog, &t0, &n0) ?: live_round(b, l, prog, &rd) ?:
	      prog_run_stats(prog, &t1, &n1);
	close(stats);
	if (!err)
		*ns = n1 > n0 ? (double)(t1 - t0) / (n1 - n0) : 0;
	return err;
}

/* Pipelined */

static void not_run(struct veth_pipe_result *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void not_run(struct veth_pipe_result *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->not_run, sizeof(p->not_run), fmt, ap);
	va_end(ap);
}

static int pin_to(int pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set))
		return -errno;
	/* Read back: a kthread that refuses (PF_NO_SETAFFINITY) says EINVAL,
	 * but check what the scheduler holds anyway.
	 */
	if (sched_getaffinity(pid, sizeof(set), &set))
		return -errno;
	return CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set) ? 0 : -EPERM;
}

/*
 * Threaded NAPI on every NAPI instance of ifname (in netns), each kthread
 * pinned to cpu. The instances exist while an XDP program is attached.
 */
static int napi_thread_on(const char *netns, int ifindex, const char *ifname, int cpu,
			  struct bench_napi *napi, int *n, int *pid)
{
	int err;

	err = netns_enter(netns);
	if (err)
		return err;
	*n = napi_list(ifindex, napi, PIPE_MAX_NAPI);
	if (*n <= 0)
		return *n ?: -ENODEV;
	for (int i = 0; i < *n; i++) {
		err = napi_set_threaded(napi[i].id, 1);
		if (err) {
			pr_warn("bench: napi-set threaded on %s NAPI %u: %s\n", ifname,
				napi[i].id, strerror(-err));
			return err;
		}
	}
	*n = napi_list(ifindex, napi, PIPE_MAX_NAPI);
	if (*n <= 0)
		return *n ?: -ENODEV;
	for (int i = 0; i < *n; i++) {
		if (!napi[i].pid)
			return -ESRCH;
		err = pin_to(napi[i].pid, cpu);
		if (err)
			return err;
	}
	*pid = napi[0].pid;
	return 0;
}

static void pipe_undo(struct live *l)
{
	if (l->n_rtr_napi && !netns_enter(l->o->rtr_netns))
		for (int i = 0; i < l->n_rtr_napi; i++)
			napi_set_threaded(l->rtr_napi[i].id, 0);
	if (l->n_gen_napi && !netns_enter(l->o->gen_netns))
		for (int i = 0; i < l->n_gen_napi; i++)
			napi_set_threaded(l->gen_napi[i].id, 0);
	l->n_rtr_napi = l->n_gen_napi = 0;
	l->rtr_pid = l->gen_pid = 0;
	l->rtr_cpu = l->sink_cpu = -1;
	if (l->pinned && sched_setaffinity(0, sizeof(l->home_cpus), &l->home_cpus))
		pr_warn("bench: cannot restore qs-bench's CPU affinity: %s\n", strerror(errno));
	l->pinned = false;
}

/*
 * The pipelined topology: threaded NAPI on both ends, rtr0's thread pinned to
 * PIPE_RTR_CPU, gen0's to PIPE_SINK_CPU, and qs-bench's own thread to
 * PIPE_GEN_CPU. The NAPI instances exist while XDP is attached: the sink is,
 * and the router goes on rtr0 first.
 */
static int pipe_setup(struct bench *b, struct live *l, struct veth_pipe_result *p)
{
	int err;

	p->gen_cpu = PIPE_GEN_CPU;
	p->rtr_cpu = PIPE_RTR_CPU;
	p->sink_cpu = PIPE_SINK_CPU;
	if (sched_getaffinity(0, sizeof(l->home_cpus), &l->home_cpus)) {
		err = -errno;
		not_run(p, "sched_getaffinity: %s", strerror(-err));
		return err;
	}
	if (!CPU_ISSET(PIPE_GEN_CPU, &l->home_cpus) || !CPU_ISSET(PIPE_RTR_CPU, &l->home_cpus) ||
	    !CPU_ISSET(PIPE_SINK_CPU, &l->home_cpus)) {
		not_run(p, "needs CPUs %d and %d; qs-bench may run on %d CPU(s)", PIPE_GEN_CPU,
			PIPE_RTR_CPU, CPU_COUNT(&l->home_cpus));
		return -ENODEV;
	}
	err = xdp_attach_in(l->o->rtr_netns, l->rtr_ifindex, b->fx.prog);
	if (err) {
		not_run(p, "cannot attach the router to %s: %s", RTR_IF, strerror(-err));
		return err;
	}
	err = napi_thread_on(l->o->rtr_netns, l->rtr_ifindex, RTR_IF, PIPE_RTR_CPU, l->rtr_napi,
			     &l->n_rtr_napi, &l->rtr_pid);
	if (err) {
		not_run(p, "threaded NAPI on %s pinned to CPU %d: %s", RTR_IF, PIPE_RTR_CPU,
			strerror(-err));
		return err;
	}
	err = napi_thread_on(l->o->gen_netns, l->gen_ifindex, GEN_IF, PIPE_SINK_CPU, l->gen_napi,
			     &l->n_gen_napi, &l->gen_pid);
	if (err) {
		not_run(p, "threaded NAPI on %s pinned to CPU %d: %s", GEN_IF, PIPE_SINK_CPU,
			strerror(-err));
		return err;
	}
	err = sched_setscheduler(l->gen_pid, SCHED_FIFO,
				 &(struct sched_param){ .sched_priority = PIPE_SINK_PRIO }) ? -errno : 0;
	if (err) {
		not_run(p, "cannot make %s's NAPI thread SCHED_FIFO: %s", GEN_IF, strerror(-err));
		return err;
	}
	if (!thread_use(l->rtr_pid).ns || !thread_use(l->gen_pid).ns) {
		not_run(p, "cannot read /proc/%d/schedstat", l->rtr_pid);
		return -ENOENT;
	}
	err = pin_to(0, PIPE_GEN_CPU);
	if (err) {
		not_run(p, "cannot pin qs-bench to CPU %d: %s", PIPE_GEN_CPU, strerror(-err));
		return err;
	}
	l->pinned = true;
	l->rtr_cpu = PIPE_RTR_CPU;
	l->sink_cpu = PIPE_SINK_CPU;
	p->rtr_napi_pid = l->rtr_pid;
	p->gen_napi_pid = l->gen_pid;
	return 0;
}

/*
 * One pipelined round; slot < 0 is a warm-up, checked but not recorded. Each
 * frame must have been counted where the topology puts it: the sink's on
 * PIPE_SINK_CPU, the router's ID-table hits on PIPE_RTR_CPU, and rtr0's NAPI
 * thread (pinned there) must have run.
 */
static int pipe_round(struct bench *b, struct live *l, bool router, int slot,
		      struct veth_result *res)
{
	struct veth_pipe_result *p = &res->pipe;
	int prog = router ? b->fx.prog : bpf_program__fd(l->trivial->progs.bench_tx);
	struct round rd;
	int err = live_round(b, l, prog, &rd);

	if (err)
		return err;
	path_check(b, prog, &rd, res, "pipelined: ");
	if (rd.received - rd.received_on_cpu > rd.received / 1000)
		wrong_path(res, "pipelined: the sink counted %llu of %llu frames off CPU %d",
			   (unsigned long long)(rd.received - rd.received_on_cpu),
			   (unsigned long long)rd.received, PIPE_SINK_CPU);
	if (router && rd.cid - rd.cid_on_cpu > rd.cid / 1000)
		wrong_path(res, "pipelined: the router counted %llu of %llu packets off CPU %d",
			   (unsigned long long)(rd.cid - rd.cid_on_cpu),
			   (unsigned long long)rd.cid, PIPE_RTR_CPU);
	if (!rd.rtr_ns)
		wrong_path(res, "pipelined: %s's NAPI thread (pid %d) never ran", RTR_IF,
			   l->rtr_pid);
	if (slot < 0)
		return 0;
	if (router) {
		p->router_pps[slot] = rd.at_return / rd.secs;
		p->router_offered_pps[slot] = rd.sent / rd.secs;
		p->router_busy[slot] = rd.rtr_ns / 1e9 / rd.secs;
		p->router_sink_busy[slot] = rd.gen_ns / 1e9 / rd.secs;
		p->router_core_ns[slot] = rd.reached ? rd.rtr_ns / (double)rd.reached : 0;
		p->router_switches[slot] = rd.rtr_switches;
		p->router_generated += rd.sent;
		p->router_received += rd.received;
		p->router_handled += rd.cid;
		p->router_reached += rd.reached;
		p->router_lost_in += rd.lost_in;
		p->router_lost_out += rd.lost_out;
	} else {
		p->trivial_pps[slot] = rd.at_return / rd.secs;
		p->trivial_offered_pps[slot] = rd.sent / rd.secs;
		p->trivial_busy[slot] = rd.rtr_ns / 1e9 / rd.secs;
		p->trivial_sink_busy[slot] = rd.gen_ns / 1e9 / rd.secs;
		p->trivial_core_ns[slot] = rd.reached ? rd.rtr_ns / (double)rd.reached : 0;
		p->trivial_switches[slot] = rd.rtr_switches;
		p->trivial_generated += rd.sent;
		p->trivial_received += rd.received;
		p->trivial_reached += rd.reached;
		p->trivial_lost_in += rd.lost_in;
		p->trivial_lost_out += rd.lost_out;
	}
	return 0;
}

/* Never fails the run: what it could not measure it says in p->not_run. */
static void pipe_measure(struct bench *b, struct live *l, const struct veth_opts *o,
			 struct veth_result *res)
{
	struct veth_pipe_result *p = &res->pipe;
	int trivial = bpf_program__fd(l->trivial->progs.bench_tx);
	int err;

	if (!pipe_setup(b, l, p)) {
		err = pipe_round(b, l, true, -1, res) ?: pipe_round(b, l, false, -1, res);
		for (uint32_t r = 0; r < o->rounds && !err; r++)
			err = pipe_round(b, l, true, r, res) ?: pipe_round(b, l, false, r, res);
		err = err ?: live_prog_ns(b, l, b->fx.prog, &p->router_prog_ns) ?:
			     live_prog_ns(b, l, trivial, &p->trivial_prog_ns);
		if (err)
			not_run(p, "a generator run failed: %s", strerror(-err));
		p->ran = !err;
	}
	pipe_undo(l);
	if (!p->ran)
		pr_warn("bench: pipelined live veth not measured: %s\n", p->not_run);
}

/* Router and trivial program alternate, so drift affects both alike. */
int veth_measure(struct bench *b, const struct veth_opts *o, struct veth_result *res)
{
	struct live l = { .home_ns = -1 };
	int trivial, err;

	memset(res, 0, sizeof(*res));
	res->rounds = o->rounds;
	err = live_setup(o, &l);
	if (err)
		goto out;
	trivial = bpf_program__fd(l.trivial->progs.bench_tx);
	/* Warm-up: page pools, NAPI and the JIT'd code's first touches. */
	err = single_round(b, &l, b->fx.prog, &res->router_pps[0], res) ?:
	      single_round(b, &l, trivial, &res->trivial_pps[0], res);
	res->generated = res->received = 0;
	for (uint32_t r = 0; r < o->rounds && !err; r++) {
		err = single_round(b, &l, b->fx.prog, &res->router_pps[r], res) ?:
		      single_round(b, &l, trivial, &res->trivial_pps[r], res);
	}
	err = err ?: live_prog_ns(b, &l, b->fx.prog, &res->router_prog_ns) ?:
		     live_prog_ns(b, &l, trivial, &res->trivial_prog_ns);
	res->ran = !err;
	if (!err)
		pipe_measure(b, &l, o, res);
out:
	live_teardown(&l);
	return err;
}
