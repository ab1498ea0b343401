// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * quicsteerd: loads and attaches the router (or adopts one attached by ip or
 * xdp-loader), writes its configuration into the maps, takes backend
 * reports, expires what the data path learned, follows neighbours, serves
 * the control socket and metrics. Everything that matters lives in pinned
 * maps: stopping, crashing or restarting the agent never detaches the
 * router or loses an entry.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "log.h"
#include "options.h"
#include "quicsteer.skel.h"

#define DEFAULT_CONFIG "/etc/quicsteer/quicsteer.conf"
#define SWEEP_EVERY_TICKS 10

/* The options; getopt's table and --help both come from here. */
static const struct qs_option options[] = {
	{ { "config", required_argument, NULL, 'c' },
	  "FILE",
	  "configuration (" DEFAULT_CONFIG ")" },
	{ { "adopt", no_argument, NULL, 'a' },
	  NULL,
	  "use the router ip or xdp-loader attached, through its pins: attach nothing" },
	{ { "detach", no_argument, NULL, 'd' },
	  NULL,
	  "detach the router from the configured interfaces and exit" },
	{ { "check", no_argument, NULL, 'n' }, NULL, "check the configuration and exit" },
	{ { "verbose", no_argument, NULL, 'v' }, NULL, "log debug messages" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this text" },
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *out)
{
	qs_options_usage(out, "quicsteerd [OPTION]...", options, N_OPTIONS);
}

struct run_opts {
	const char *config;
	bool adopt, detach, check;
};

/* 0, or the exit status: 2 for a usage error, 0 after --help. */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	struct option longopts[N_OPTIONS + 1];
	char shortopts[2 * N_OPTIONS + 1];
	int c;

	qs_options_getopt(options, N_OPTIONS, longopts, shortopts);
	o->config = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'a':
			o->adopt = true;
			break;
		case 'd':
			o->detach = true;
			break;
		case 'n':
			o->check = true;
			break;
		case 'v':
			qs_log_set_level(QS_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	return optind < argc ? (usage(stderr), 2) : 0;
}

static int cid_put(void *ctx, const struct qs_cid_key *k, const struct qs_cid_entry *e)
{
	return qs_cid_put(*(int *)ctx, k, e);
}

static int cid_del(void *ctx, const struct qs_cid_key *k)
{
	return qs_cid_del(*(int *)ctx, k);
}

static int cids_fd;

static int cid_put_batch(void *ctx, const struct qs_cid_key *keys, const struct qs_cid_entry *e,
			 size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	__u32 count = n;

	return bpf_map_update_batch(*(int *)ctx, keys, e, &count, &opts) ? -errno : 0;
}

/* A batch delete stops at a key already gone; the rest go on. */
static int cid_del_batch(void *ctx, const struct qs_cid_key *keys, size_t n)
{
	int fd = *(int *)ctx;

	while (n) {
		__u32 count = n;

		if (!bpf_map_delete_batch(fd, keys, &count, NULL))
			return 0;
		if (errno != ENOENT)
			return -errno;
		/* count were deleted, keys[count] was missing */
		keys += count + 1;
		n -= count + 1 < n ? count + 1 : n;
	}
	return 0;
}

/*
 * Pins need a bpffs. Where the pin directory lies under /sys/fs/bpf and
 * nothing is mounted there (some boots, every `ip netns exec`), mount it,
 * as xdp-loader does.
 */
static int bpffs_ensure(const char *pin_dir)
{
	struct statfs st;

	if (strncmp(pin_dir, "/sys/fs/bpf/", 12))
		return 0;
	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		pr_warn("pin directory %s: no bpffs at /sys/fs/bpf and cannot mount one: %s\n",
			pin_dir, strerror(errno));
		return -errno;
	}
	pr_info("mounted a bpffs at /sys/fs/bpf\n");
	return 0;
}

static int router_start(struct agent *a)
{
	struct qs_load_opts lo = { .pin_dir = a->cfg->pin_dir };
	struct quicsteer_bpf *s;
	int err = bpffs_ensure(a->cfg->pin_dir) ?: qs_router_init(&a->router, &lo);

	for (size_t i = 0; !err && !a->adopt && i < a->cfg->n_interfaces; i++)
		err = qs_router_attach(&a->router, a->cfg->interfaces[i].name,
				       a->cfg->interfaces[i].mode);
	/* adopted, or no interface: load for the pinned maps alone */
	if (!err && (a->adopt || !a->cfg->n_interfaces))
		err = quicsteer_bpf__load(a->router.skel);
	if (err)
		return err;
	s = a->router.skel;
	a->maps = (struct qs_agent_maps){
		bpf_map__fd(s->maps.qs_vips),	  bpf_map__fd(s->maps.qs_backends),
		bpf_map__fd(s->maps.qs_nexthops), bpf_map__fd(s->maps.qs_maglev),
		bpf_map__fd(s->maps.qs_quiclb),	  bpf_map__fd(s->maps.qs_server_ids),
		bpf_map__fd(s->maps.qs_tx_ports),
	};
	cids_fd = bpf_map__fd(s->maps.qs_cids);
	a->cids_fd = cids_fd;
	a->flows_fd = bpf_map__fd(s->maps.qs_flows);
	return 0;
}

static int adopt_entry(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_entry *e = value;

	if (e->kind == QS_CID_AUTHORITATIVE)
		qs_cidreg_adopt(ctx, key, e->backend_id);
	else if (e->kind == QS_CID_OPERATOR)
		qs_cidreg_adopt_operator(ctx, key, e->backend_id);
	return 0;
}

static int reporters_fd;

static void reporter_store(void *ctx, __u32 backend_id, const struct qs_reporter_state *st)
{
	(void)ctx;
	if (bpf_map_update_elem(reporters_fd, &backend_id, st, BPF_ANY))
		pr_warn("backend %u: cannot keep where its reports stand: %s\n", backend_id,
			strerror(errno));
}

/* Where each backend's reports stood before a restart, from the pin. */
static void reporters_restore(struct agent *a)
{
	struct qs_reporter_state st;
	__u64 now = qs_now_coarse_ns();

	reporters_fd = bpf_map__fd(a->router.skel->maps.qs_reporters);
	for (__u32 id = 1; id < QS_MAX_BACKENDS; id++)
		if (!bpf_map_lookup_elem(reporters_fd, &id, &st) && st.incarnation)
			qs_intake_restore(a->intake, id, &st, now);
	qs_intake_set_store(a->intake, reporter_store);
}

static int state_start(struct agent *a)
{
	struct qs_cid_sink sink = { .put = cid_put,
				    .del = cid_del,
				    .del_batch = cid_del_batch,
				    .put_batch = cid_put_batch,
				    .ctx = &cids_fd };
	int fd_flows = bpf_map__fd(a->router.skel->maps.qs_flows);

	a->cidreg = qs_cidreg_new(&sink);
	a->intake = a->cidreg ? agent_intake_new(a) : NULL;
	a->expiry = qs_expiry_new(cids_fd, fd_flows, a->cfg->learned_ttl_ms * 1000000ull,
				  a->cfg->flow_idle_ms * 1000000ull);
	if (!a->intake || !a->expiry)
		return -ENOMEM;
	reporters_restore(a);
	/*
	 * After a restart: reported IDs in the map go back to their backends,
	 * learned ones get a deadline.
	 */
	return qs_map_scan(cids_fd, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry), adopt_entry, a->cidreg) ?:
		       qs_expiry_scan_learned(a->expiry, qs_now_coarse_ns()) ?:
		       qs_nl_open(&a->nl)				     ?:
		       qs_nl_monitor_open(&a->nl_mon)			     ?:
									       agent_ring_open(a);
}

static int services_start(struct agent *a)
{
	const struct qs_config *c = a->cfg;
	int err = agent_reports_open(a) ?: agent_control_open(a);

	if (!err && c->metrics_addr.family != QS_AF_NONE) {
		a->httpd = qs_httpd_start(&c->metrics_addr.addr, c->metrics_addr.family,
					  c->metrics_port, agent_metrics, a);
		if (!a->httpd)
			err = -errno;
	}
	return err;
}

static int epoll_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Signals, the tick, sockets, ring buffer, netlink: until SIGTERM or SIGINT. */
static int run(struct agent *a, int sfd, int tfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), ring_fd = ring_buffer__epoll_fd(a->ring);
	int nl_fd = qs_nl_monitor_fd(a->nl_mon), err = 0;
	struct epoll_event evs[16];
	unsigned long ticks = 0;

	if (ep < 0)
		return -errno;
	a->epoll_fd = ep;
	err = epoll_add(ep, sfd)	     ?:
		      epoll_add(ep, tfd)     ?:
		      epoll_add(ep, ring_fd) ?:
		      epoll_add(ep, nl_fd)   ?:
					       epoll_add(ep, a->control_fd);
	for (int i = 0; !err && i < a->n_report_fds; i++)
		err = epoll_add(ep, a->report_fds[i]);
	while (!err) {
		int n = epoll_wait(ep, evs, 16, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP)
					agent_reload(a);
				else
					goto out;
			} else if (fd == tfd) {
				__u64 expirations;

				if (read(tfd, &expirations, sizeof(expirations)) > 0)
					agent_tick(a, qs_now_coarse_ns(),
						   ++ticks % SWEEP_EVERY_TICKS == 0);
			} else if (fd == ring_fd) {
				ring_buffer__consume(a->ring);
			} else if (fd == nl_fd) {
				agent_neigh_changes(a);
			} else if (fd == a->control_fd) {
				agent_control_serve(a);
			} else if (agent_monitor_owns(a, fd)) {
				agent_monitor_readable(a, fd);
			} else {
				agent_reports_read(a, fd);
			}
		}
		if (n < 0 && errno != EINTR)
			err = -errno;
	}
out:
	agent_monitor_close(a);
	close(ep);
	return err;
}

static int signals_and_timer(int *sfd, int *tfd)
{
	struct itimerspec second = { { 1, 0 }, { 1, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	*sfd = signalfd(-1, &set, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (*sfd < 0 || *tfd < 0 || timerfd_settime(*tfd, 0, &second, NULL))
		return -errno;
	return 0;
}

static int config_load(struct agent *a)
{
	struct qs_config_error cerr;
	char msg[700];
	int err = qs_config_parse_file(a->config_path, &a->cfg, &cerr);

	if (err) {
		fprintf(stderr, "quicsteerd: %s\n",
			err == -EINVAL ? qs_config_error_str(&cerr, msg, sizeof(msg)) :
					 strerror(-err));
		return err;
	}
	for (size_t i = 0; i < a->cfg->n_backends; i++)
		a->configured_state[a->cfg->backends[i].id] = a->cfg->backends[i].state;
	return agent_file_ifaces_take(a, a->cfg) ?: agent_keys_load(a, a->cfg);
}

static int detach_all(const struct qs_config *cfg)
{
	int status = 0;

	for (size_t i = 0; i < cfg->n_interfaces; i++)
		if (qs_router_detach(cfg->interfaces[i].name, cfg->interfaces[i].mode))
			status = 1;
	return status;
}

static int agent_main(struct agent *a)
{
	int sfd = -1, tfd = -1, err;

	err = signals_and_timer(&sfd, &tfd) ?: router_start(a) ?: state_start(a);
	if (!err)
		err = agent_apply(a, NULL) ?: services_start(a);
	if (err) {
		pr_warn("cannot start: %s\n", strerror(-err));
		return 1;
	}
	pr_info("running: %zu VIPs, %zu backends, pins under %s\n", a->cfg->n_vips,
		a->cfg->n_backends, a->cfg->pin_dir);
	err = run(a, sfd, tfd);
	/* the router stays attached and the maps pinned: traffic goes on */
	qs_httpd_stop(a->httpd);
	agent_reports_close(a);
	pr_info("stopped%s\n", err ? " on an error" : "");
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct agent a = { .control_fd = -1,
				  .epoll_fd = -1,
				  .lock = PTHREAD_MUTEX_INITIALIZER };
	struct run_opts o = { 0 };
	int status = parse_args(argc, argv, &o);

	if (status)
		return status < 0 ? 0 : status;
	qs_log_route_libbpf();
	a.config_path = o.config;
	a.adopt = o.adopt;
	if (config_load(&a))
		return 1;
	if (o.check)
		return 0;
	if (o.detach)
		return detach_all(a.cfg);
	return agent_main(&a);
}
