// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Ring-buffer flood for the runs under load (bench_agent_load.c): QUIC
 * short-header packets to the VIP with connection IDs nobody issued, from
 * client addresses the router has never seen, run through the router at a
 * paced rate. Each is dropped as drop_unknown_cid and leaves one record in
 * the ring buffer (qs_events) for the agent to read.
 *
 * How: BPF_PROG_TEST_RUN of the very program the interface runs (its id
 * from bpf_xdp_query, whoever attached it: the router, or libxdp's
 * dispatcher in front of it), from a thread of this process at SCHED_IDLE
 * on the load CPU. The thread spins on the clock and runs a packet as soon
 * as one is due, so they come evenly spaced (10 us apart at 100,000/s), as
 * packets from many clients would, and each may wake the agent: a record
 * written when the agent has caught up wakes it. Spinning costs nothing
 * here: at SCHED_IDLE the thread has only the time nobody else wants.
 * When it got the CPU late, one run (repeat = the packets due) catches up,
 * for up to 1 ms of packets: a thread kept off its CPU longer (other
 * processes on the machine: it is the lowest priority there is) skips the
 * rest, counted, rather than fill the ring in a burst the rate never had.
 * --event-burst N runs N at a time instead (fewer wake-ups).
 *
 * Rather than live frames into the veth: nothing to set up beyond what the
 * agent attached (no generator program, which qs-bench-agent does not
 * build, no peer to make ready), every packet counted exactly, and the
 * same maps, counters and ring. The one difference, the context the router runs in (a system call
 * here, the veth's NAPI softirq on the wire), the agent cannot see: it
 * reads the same records at the same rate. The cost of the path on the
 * wire is qs-bench's to measure.
 *
 * The ring's fill is read from its consumer and producer positions, mapped
 * read-only from the pinned qs_events, after every test run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "bench_agent.h"
#include "router/maps.h"

#define CATCH_UP_NS 1000000ull
#define PKT_LEN 83 /* Ethernet 14, IPv4 20, UDP 8, QUIC: flags 1, DCID 8, 32 more */
#define OFF_IP 14
#define OFF_UDP 34
#define OFF_QUIC 42
#define CLIENT_NET 0xc6120200u /* 198.18.2.0/24 */

struct ba_injector {
	const struct ba_ctx *c;
	int cpu;
	struct ba_event_load *res;
	__u32 burst; /* packets per test run when on time */
	int prog_fd, ring_fd;
	__u8 pkt[PKT_LEN];
	volatile unsigned long *cons, *prod; /* the ring's positions */
	long page;
	pthread_t thread;
	atomic_bool stop;
	_Atomic __u64 sent;
	__u64 runs, backlog_sum, run_ns_sum; /* test runs, and their sums */
	__u64 t_start, t_end, cpu_ns;
	__u64 mark_sent[2], mark_cons[2], mark_ns[2];
	int err;
};

static __u16 ip_checksum(const __u8 *h, size_t len)
{
	__u32 sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Ethernet, IPv4 to the VIP, UDP, a QUIC short header with an 8-byte DCID. */
static int packet_build(struct ba_injector *in)
{
	const struct qs_report_endpoint *vip = &in->c->vip;
	__u8 *p = in->pkt;
	__u16 sum;

	if (vip->family != QS_AF_INET)
		return -EAFNOSUPPORT;
	memset(p, 0, PKT_LEN);
	memcpy(p, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	p[OFF_IP] = 0x45;
	*(__be16 *)(p + OFF_IP + 2) = htons(PKT_LEN - OFF_IP);
	p[OFF_IP + 6] = 0x40; /* DF */
	p[OFF_IP + 8] = 64;
	p[OFF_IP + 9] = IPPROTO_UDP;
	*(__be32 *)(p + OFF_IP + 12) = htonl(CLIENT_NET | 1);
	memcpy(p + OFF_IP + 16, &vip->addr, 4);
	sum = ip_checksum(p + OFF_IP, 20);
	*(__be16 *)(p + OFF_IP + 10) = htons(sum);
	*(__be16 *)(p + OFF_UDP) = htons(40000);
	*(__be16 *)(p + OFF_UDP + 2) = vip->port;
	*(__be16 *)(p + OFF_UDP + 4) = htons(PKT_LEN - OFF_UDP); /* checksum 0: none */
	p[OFF_QUIC] = 0x41; /* short header, fixed bit, 2-byte packet number */
	return 0;
}

/* Another client port and ID for the next test run (the router keeps nothing of either). */
static void packet_vary(struct ba_injector *in, __u64 n)
{
	ba_cid(0xffff, n, in->pkt + OFF_QUIC + 1, 8);
	*(__be16 *)(in->pkt + OFF_UDP) = htons(1024 + n % 60000);
}

static int inject(struct ba_injector *in, __u32 n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->pkt, .data_size_in = PKT_LEN,
		    .repeat = n);

	packet_vary(in, in->runs);
	if (bpf_prog_test_run_opts(in->prog_fd, &opts))
		return -errno;
	if (opts.retval != XDP_DROP)
		in->res->bad_verdicts++;
	in->run_ns_sum += (__u64)opts.duration * n;
	in->runs++;
	return 0;
}

static void backlog_note(struct ba_injector *in)
{
	__u64 backlog = *in->prod - *in->cons;

	in->backlog_sum += backlog;
	if (backlog > in->res->backlog_max)
		in->res->backlog_max = backlog;
}

static __u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *inject_loop(void *arg)
{
	struct ba_injector *in = arg;
	double per_ns = in->res->rate / 1e9;
	__u32 max_batch = CATCH_UP_NS * per_ns > in->burst ? CATCH_UP_NS * per_ns : in->burst;
	__u64 cpu0 = thread_cpu_ns();

	in->err = ba_set_load_sched(in->cpu);
	in->t_start = ba_now_ns();
	while (!in->err && !atomic_load(&in->stop)) {
		__u64 sent = atomic_load(&in->sent);
		double due = (ba_now_ns() - in->t_start) * per_ns - sent - in->res->skipped;
		__u32 n;

		if (due < in->burst)
			continue;
		n = due > max_batch ? max_batch : (__u32)due;
		in->res->skipped += (__u64)due - n;
		in->err = inject(in, n);
		atomic_store(&in->sent, sent + n);
		backlog_note(in);
	}
	in->t_end = ba_now_ns();
	in->cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

/* The program the interface runs, by its id; its name into res. */
static int attached_prog(struct ba_injector *in, const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int ifindex = if_nametoindex(ifname);
	__u32 id;

	if (!ifindex || bpf_xdp_query(ifindex, 0, &q))
		return -errno ?: -ENODEV;
	id = q.drv_prog_id ?: q.prog_id ?: q.skb_prog_id;
	if (!id)
		return -ENOENT;
	in->prog_fd = bpf_prog_get_fd_by_id(id);
	if (in->prog_fd < 0)
		return -errno;
	in->res->prog_id = id;
	if (!bpf_obj_get_info_by_fd(in->prog_fd, &info, &len))
		snprintf(in->res->prog_name, sizeof(in->res->prog_name), "%s", info.name);
	return 0;
}

/* The pinned ring's consumer and producer pages, read-only. */
static int ring_map(struct ba_injector *in)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	void *p;

	in->ring_fd = qs_pin_open(in->c->o->pin_dir, QS_MAP_EVENTS);
	if (in->ring_fd < 0)
		return in->ring_fd;
	if (bpf_obj_get_info_by_fd(in->ring_fd, &info, &len))
		return -errno;
	in->res->ring_bytes = info.max_entries;
	in->page = sysconf(_SC_PAGESIZE);
	p = mmap(NULL, in->page, PROT_READ, MAP_SHARED, in->ring_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	in->cons = p;
	p = mmap(NULL, in->page, PROT_READ, MAP_SHARED, in->ring_fd, in->page);
	if (p == MAP_FAILED)
		return -errno;
	in->prod = p;
	return 0;
}

static void injector_free(struct ba_injector *in)
{
	if (in->cons)
		munmap((void *)in->cons, in->page);
	if (in->prod)
		munmap((void *)in->prod, in->page);
	if (in->ring_fd >= 0)
		close(in->ring_fd);
	if (in->prog_fd >= 0)
		close(in->prog_fd);
	free(in);
}

/* One packet first: it must be dropped as an unknown ID (XDP_DROP), or the set-up is wrong. */
static int injector_check(struct ba_injector *in)
{
	int err = inject(in, 1);

	atomic_store(&in->sent, 1);
	if (!err && in->res->bad_verdicts)
		err = -EPROTO;
	if (err)
		fprintf(stderr, "qs-bench-agent: events: test run of program %u (%s) on %s: %s\n",
			in->res->prog_id, in->res->prog_name, in->c->o->ifname,
			err == -EPROTO ? "verdict not XDP_DROP for an unknown ID" : strerror(-err));
	return err;
}

int ba_inject_start(struct ba_injector **out, const struct ba_ctx *c, int cpu,
		    struct ba_event_load *res)
{
	struct ba_injector *in = calloc(1, sizeof(*in));
	double rate = c->o->event_rate;
	int err;

	if (!in)
		return -ENOMEM;
	*in = (struct ba_injector){ .c = c,
				    .cpu = cpu,
				    .res = res,
				    .burst = c->o->event_burst,
				    .prog_fd = -1,
				    .ring_fd = -1 };
	memset(res, 0, sizeof(*res));
	res->rate = rate;
	res->burst = in->burst;
	err = packet_build(in) ?: attached_prog(in, c->o->ifname) ?: ring_map(in);
	if (err)
		fprintf(stderr, "qs-bench-agent: events: router on %s, ring %s: %s\n", c->o->ifname,
			QS_MAP_EVENTS, strerror(-err));
	err = err ?: injector_check(in) ?: -pthread_create(&in->thread, NULL, inject_loop, in);
	if (err) {
		injector_free(in);
		return err;
	}
	*out = in;
	return 0;
}

/* The latency run starts (end false) or ends: the rate within it and what the agent consumed. */
void ba_inject_mark(struct ba_injector *in, bool end)
{
	in->mark_sent[end] = atomic_load(&in->sent);
	in->mark_cons[end] = *in->cons;
	in->mark_ns[end] = ba_now_ns();
}

int ba_inject_stop(struct ba_injector *in)
{
	struct ba_event_load *r = in->res;
	double run_s = (in->mark_ns[1] - in->mark_ns[0]) / 1e9;
	int err;

	atomic_store(&in->stop, true);
	pthread_join(in->thread, NULL);
	r->packets = atomic_load(&in->sent);
	r->seconds = (in->t_end - in->t_start) / 1e9;
	r->run_packets = in->mark_sent[1] - in->mark_sent[0];
	r->run_rate = run_s > 0 ? r->run_packets / run_s : 0;
	r->consumed = (in->mark_cons[1] - in->mark_cons[0]) / (sizeof(struct qs_event) + 8);
	r->consumed_rate = run_s > 0 ? r->consumed / run_s : 0;
	r->backlog_mean = in->runs ? (double)in->backlog_sum / in->runs : 0;
	r->router_ns = r->packets ? (double)in->run_ns_sum / r->packets : 0;
	r->injector_busy = r->seconds > 0 ? in->cpu_ns / 1e9 / r->seconds : 0;
	err = in->err;
	if (err)
		fprintf(stderr, "qs-bench-agent: events: test run: %s\n", strerror(-err));
	injector_free(in);
	return err;
}
