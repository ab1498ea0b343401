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
 * Everything runs on the generating CPU: each batch's softirq (rtr0's then
 * gen0's NAPI) runs when the generator re-enables bottom halves, so a rate is
 * that of one core doing generator + veth + rtr0 program + veth + sink per
 * frame, and the ratio of two rates is (pipeline + trivial program) /
 * (pipeline + router), not the router's share of a core of its own. A
 * last round per program with the kernel's run-time statistics on gives the
 * program's own time per packet.
 *
 * The router runs in its benchmark world with the million-entry ID table; the
 * frame is an ID-table hit whose next hop is tx_ifindex 0 (XDP_TX). The next
 * hop's MAC addresses are the fixture's: the sink takes every frame whatever
 * its destination MAC, so nothing depends on them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "log.h"
#include "maps.h"
#include "gen.skel.h"
#include "sink.skel.h"
#include "tx.skel.h"

#define GEN_IF "gen0"
#define RTR_IF "rtr0"
#define GEN_BATCH 64
#define SETTLE_US 20000 /* for frames still queued when the generator returns */

struct live {
	const struct veth_opts *o;
	int home_ns; /* the namespace qs-bench started in */
	int gen_ifindex, rtr_ifindex;
	struct gen_bpf *gen;
	struct tx_bpf *trivial;
	struct sink_bpf *sink;
	uint8_t frame[PB_MAX_FRAME];
	uint32_t len;
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

static void live_teardown(struct live *l)
{
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

static int sink_count(const struct live *l, uint64_t *sum)
{
	int n = libbpf_num_possible_cpus();
	__u32 key = 0;
	__u64 *v;

	if (n < 0)
		return n;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(l->sink->maps.sink_packets), &key, v)) {
		free(v);
		return -errno;
	}
	*sum = 0;
	for (int i = 0; i < n; i++)
		*sum += v[i];
	free(v);
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs the generator for frames frames; the sink's count when it returned. */
static int generate(struct live *l, uint32_t frames, double *seconds, uint64_t *at_return)
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
	return sink_count(l, at_return);
}

/* Every reason counter summed: the router's packets of any verdict. */
static uint64_t reasons_total(struct bench *b)
{
	uint64_t sum = 0;

	for (unsigned int r = 0; r < QS_R__COUNT; r++)
		sum += fx_reason(&b->fx, r);
	return sum;
}

/*
 * The router must have counted (nearly) every packet as an ID-table hit; a
 * few others may be the namespaces' own traffic, which the run script keeps
 * down by turning IPv6 off there.
 */
static void router_path_check(struct bench *b, uint64_t cid0, uint64_t all0, uint64_t back,
			      struct veth_result *res)
{
	uint64_t cid = fx_reason(&b->fx, QS_R_ROUTE_CID) - cid0;
	uint64_t all = reasons_total(b) - all0;

	if ((cid && all - cid <= all / 1000 && cid >= back) || res->wrong_path)
		return;
	res->wrong_path = true;
	snprintf(res->why, sizeof(res->why),
		 "router counted %llu ID-table hits of %llu packets, %llu came back",
		 (unsigned long long)cid, (unsigned long long)all, (unsigned long long)back);
}

/* One generator run through prog on rtr0; pps counted at the sink. */
static int live_round(struct bench *b, struct live *l, int prog, double *pps,
		      struct veth_result *res)
{
	uint64_t s0, s1, s2, cid0, all0;
	double secs = 0;
	int err;

	err = xdp_attach_in(l->o->rtr_netns, l->rtr_ifindex, prog) ?:
	      netns_enter(l->o->gen_netns) ?: sink_count(l, &s0);
	if (err)
		return err;
	cid0 = fx_reason(&b->fx, QS_R_ROUTE_CID);
	all0 = reasons_total(b);
	err = generate(l, l->o->frames, &secs, &s1);
	if (err)
		return err;
	usleep(SETTLE_US);
	err = sink_count(l, &s2);
	if (err)
		return err;
	*pps = (s1 - s0) / secs;
	res->generated += l->o->frames;
	res->received += s2 - s0;
	if (s2 == s0 && !res->wrong_path) {
		res->wrong_path = true;
		snprintf(res->why, sizeof(res->why), "no frame came back to %s", GEN_IF);
	}
	if (prog == b->fx.prog)
		router_path_check(b, cid0, all0, s2 - s0, res);
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
	struct veth_result scratch = { 0 };
	__u64 t0 = 0, n0 = 0, t1 = 0, n1 = 0;
	double pps;
	int stats, err;

	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0)
		return -errno;
	err = prog_run_stats(prog, &t0, &n0) ?: live_round(b, l, prog, &pps, &scratch) ?:
	      prog_run_stats(prog, &t1, &n1);
	close(stats);
	if (!err)
		*ns = n1 > n0 ? (double)(t1 - t0) / (n1 - n0) : 0;
	return err;
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
	err = live_round(b, &l, b->fx.prog, &res->router_pps[0], res) ?:
	      live_round(b, &l, trivial, &res->trivial_pps[0], res);
	res->generated = res->received = 0;
	for (uint32_t r = 0; r < o->rounds && !err; r++) {
		err = live_round(b, &l, b->fx.prog, &res->router_pps[r], res) ?:
		      live_round(b, &l, trivial, &res->trivial_pps[r], res);
	}
	err = err ?: live_prog_ns(b, &l, b->fx.prog, &res->router_prog_ns) ?:
		     live_prog_ns(b, &l, trivial, &res->trivial_prog_ns);
	res->ran = !err;
out:
	live_teardown(&l);
	return err;
}
