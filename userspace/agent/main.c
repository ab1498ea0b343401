// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * quicsteerd: loads and attaches the router (or adopts one attached by ip or
 * xdp-loader), writes its configuration into the maps, takes backend
 * reports, expires what the data path learned, follows neighbours, serves
 * the control socket and metrics. Everything that matters lives in pinned
 * maps: stopping, crashing or restarting the agent never detaches the
 * router or loses an entry.
 *
 * Three threads of its own (docs/agent-threads.md): this one (main.c)
 * owns the configuration and serves the control socket; the intake thread
 * (reports.c) takes reports; the events thread (events.c) reads the ring
 * buffer and sweeps the address table.
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
#include "util/log.h"
#include "util/options.h"
#include "quicsteer.skel.h"
#include "util/clock.h"
#include "util/hash.h"

#define DEFAULT_CONFIG "/etc/quicsteer/quicsteer.conf"
#define MAIN_JOBS 64 /* finished jobs answered per turn */

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
		bpf_map__fd(s->maps.qs_tx_ports), bpf_map__fd(s->maps.qs_settings),
		bpf_map__fd(s->maps.qs_quiclb_rk), bpf_map__fd(s->maps.qs_vip_index),
	};
	return 0;
}

/*
 * The state each thread will own, built while only this thread runs: the
 * first view, the intake's registry taken back from the pins (a restart),
 * the events thread's ring buffer.
 */
static int state_start(struct agent *a)
{
	return agent_view_start(a) ?: agent_jobq_init(&a->done) ?: agent_intake_open(a) ?:
		       agent_events_open(a) ?:
		       qs_nl_open(&a->nl) ?: qs_nl_monitor_open(&a->nl_mon);
}

static int services_start(struct agent *a)
{
	const struct qs_config *c = a->cfg;
	int err;

	/* the sync's clock (sync.c): reports are heard from now on */
	a->started_ns = qs_now_coarse_ns();
	err = agent_control_open(a) ?: agent_intake_start(a) ?: agent_events_start(a);

	if (!err && c->metrics_addr.family != QS_AF_NONE) {
		a->httpd = qs_httpd_start(&c->metrics_addr.addr, c->metrics_addr.family,
					  c->metrics_port, agent_metrics, a);
		if (!a->httpd)
			err = -errno;
	}
	return err;
}


static void signal_read(struct agent *a, int sfd, bool *stop)
{
	struct signalfd_siginfo si;
	struct agent_job *job = NULL;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGHUP) {
		*stop = true;
		return;
	}
	if (!agent_reload(a, &job) && job)
		agent_post(a, job);
}

/* Jobs the other threads finished: their answers go out. */
static void jobs_done(struct agent *a)
{
	struct agent_job *job;

	for (int i = 0; i < MAIN_JOBS && (job = agent_jobq_pop(&a->done)); i++)
		agent_control_done(a, job);
}

static int epoll_timeout_ms(struct agent *a)
{
	__u64 now = qs_now_coarse_ns(), next = agent_control_expire(a, now);

	if (!next)
		return -1; /* the tick's timer wakes the loop anyway */
	return next > now ? (next - now) / 1000000 + 1 : 0;
}

/* Signals, the tick, control, netlink, finished jobs: until SIGTERM or SIGINT. */
static int run(struct agent *a, int sfd, int tfd)
{
	int ep = a->epoll_fd, nl_fd = qs_nl_monitor_fd(a->nl_mon), err;
	struct epoll_event evs[16];
	bool stop = false;

	err = agent_epoll_add(ep, sfd) ?: agent_epoll_add(ep, tfd) ?: agent_epoll_add(ep, nl_fd) ?:
		      agent_epoll_add(ep, a->control_fd) ?: agent_epoll_add(ep, a->done.efd);
	while (!err && !stop) {
		int n = epoll_wait(ep, evs, 16, epoll_timeout_ms(a));

		if (n < 0 && errno != EINTR)
			err = -errno;
		for (int i = 0; i < n && !stop; i++) {
			int fd = evs[i].data.fd;
			__u64 expirations;

			if (fd == sfd)
				signal_read(a, sfd, &stop);
			else if (fd == tfd && read(tfd, &expirations, sizeof(expirations)) > 0)
				agent_tick(a, qs_now_coarse_ns());
			else if (fd == nl_fd)
				agent_neigh_changes(a);
			else if (fd == a->done.efd)
				jobs_done(a);
			else if (agent_control_owns(a, fd))
				agent_control_ready(a, fd, evs[i].events);
		}
	}
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
	err = agent_file_ifaces_take(a, a->cfg);
	if (!err && (err = agent_keys_load(a, a->cfg, &cerr)))
		fprintf(stderr, "quicsteerd: %s\n", qs_config_error_str(&cerr, msg, sizeof(msg)));
	return err;
}

static int detach_all(const struct qs_config *cfg)
{
	int status = 0;

	for (size_t i = 0; i < cfg->n_interfaces; i++)
		if (qs_router_detach(cfg->interfaces[i].name, cfg->interfaces[i].mode))
			status = 1;
	return status;
}

/* The threads stop first, then every job they returned is answered or freed. */
static void agent_stop(struct agent *a)
{
	struct agent_job *job;

	qs_httpd_stop(a->httpd);
	a->httpd = NULL;
	agent_intake_stop(a);
	agent_events_stop(a);
	while (a->done.efd >= 0 && (job = agent_jobq_pop(&a->done)))
		agent_control_done(a, job);
	agent_control_close(a);
}

static int agent_main(struct agent *a)
{
	int sfd = -1, tfd = -1, err;

	a->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	err = a->epoll_fd < 0 ? -errno : 0;
	err = err ?: signals_and_timer(&sfd, &tfd) ?: router_start(a) ?: state_start(a);
	if (!err)
		err = agent_apply(a, NULL) ?: services_start(a);
	if (err) {
		pr_warn("cannot start: %s\n", strerror(-err));
		agent_stop(a);
		return 1;
	}
	pr_info("running: %zu VIPs, %zu backends, pins under %s\n", a->cfg->n_vips,
		a->cfg->n_backends, a->cfg->pin_dir);
	err = run(a, sfd, tfd);
	/* the router stays attached and the maps pinned: traffic goes on */
	agent_stop(a);
	pr_info("stopped%s\n", err ? " on an error" : "");
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct agent a = { .control_fd = -1,
				  .epoll_fd = -1,
				  .done = { .efd = -1 },
				  .view_lock = PTHREAD_MUTEX_INITIALIZER,
				  .counters_lock = PTHREAD_MUTEX_INITIALIZER };
	struct run_opts o = { 0 };
	int status = parse_args(argc, argv, &o);
	char why[160];

	if (status)
		return status < 0 ? 0 : status;
	/* a request without its handler is this build's fault: refuse to start */
	if (agent_commands_check(why, sizeof(why))) {
		pr_warn("built wrong: %s\n", why);
		return 1;
	}
	qs_log_route_libbpf();
	a.config_path = o.config;
	a.adopt = o.adopt;
	if (config_load(&a))
		return 1;
	if (o.check)
		return 0;
	if (o.detach)
		return detach_all(a.cfg);
	/* the ID tables hash under a random key (util/hash.h): none, no start */
	if (qs_hash_init()) {
		pr_warn("no random key for the ID tables' hash (libsodium)\n");
		return 1;
	}
	return agent_main(&a);
}
