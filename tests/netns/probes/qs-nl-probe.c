// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Drives userspace/agent/netlink.c for tests/netns/test-netlink.sh, which
 * runs it inside the test's namespaces and reads its one-line results.
 *
 *   qs-nl-probe [-v] resolve ADDR
 *	resolve ADDR err=NAME ifindex=N dev=NAME gw=ADDR|none src=ADDR|none
 *		mac=MAC|none src_mac=MAC state=NUD
 *   qs-nl-probe [-v] wait ADDR [-t SECONDS] [-n RESOLVES]
 *	as the agent does: resolve; while the answer is -EAGAIN or
 *	-EHOSTUNREACH, wait for the monitor to report the next hop's entry
 *	settled (an "event neigh" line) and resolve again, at most RESOLVES
 *	times (default 2).
 *   qs-nl-probe [-v] monitor [-t SECONDS] [-u TEXT] [-b RCVBUF] [-w FILE]
 *	prints "ready" once subscribed, then one "event ..." line per
 *	change; stops at the first line containing TEXT (exit 0) or after
 *	SECONDS (exit 1 if TEXT was given). -b shrinks the receive buffer
 *	and -w reads nothing until FILE exists (the test makes it once the
 *	changes are made), to provoke an overrun.
 *
 * Exit status: 0 success, 1 failure or timeout, 2 usage.
 */
#define _GNU_SOURCE /* strerrorname_np */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/neighbour.h>
#include "util/log.h"
#include "router/maps.h"
#include "util/words.h"
#include "agent/netlink.h"

struct probe_opts {
	double seconds;
	const char *until;
	int rcvbuf;
	const char *wait_file;
	int resolves;
};

/* What `wait` is waiting for: a settled entry for this next hop. */
struct hop_watch {
	struct qs_addr addr;
	__u32 ifindex;
	__u8 family;
	bool seen;
};

struct monitor_watch {
	const char *until;
	bool matched;
};

static const char *err_name(int err)
{
	const char *name = err ? strerrorname_np(-err) : "0";

	return name ? name : "UNKNOWN";
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_resolve(const char *dst, int err, const struct qs_nl_nexthop *nh)
{
	char gw[INET6_ADDRSTRLEN] = "none", src[INET6_ADDRSTRLEN] = "none";
	char mac[QS_NL_MAC_STRLEN] = "none", smac[QS_NL_MAC_STRLEN] = "none";
	static const struct qs_addr zero;

	if (nh->gw_family)
		qs_nl_addr_str(&nh->gateway, nh->gw_family, gw, sizeof(gw));
	if (memcmp(&nh->src, &zero, sizeof(zero)))
		qs_nl_addr_str(&nh->src, nh->family, src, sizeof(src));
	if (!err)
		qs_nl_mac_str(nh->dmac, mac);
	if (nh->ifname[0])
		qs_nl_mac_str(nh->smac, smac);
	printf("resolve %s err=%s ifindex=%u dev=%s gw=%s src=%s mac=%s src_mac=%s state=%s\n", dst,
	       err_name(err), nh->ifindex, nh->ifname[0] ? nh->ifname : "none", gw, src, mac, smac,
	       qs_nl_nud_name(nh->nud_state));
	fflush(stdout);
}

static void format_event(const struct qs_nl_event *ev, char *line, size_t len)
{
	char addr[INET6_ADDRSTRLEN], mac[QS_NL_MAC_STRLEN] = "none";
	const char *verb = ev->deleted ? "del" : "new";

	switch (ev->type) {
	case QS_NL_EV_NEIGH:
		if (ev->neigh.has_mac)
			qs_nl_mac_str(ev->neigh.mac, mac);
		snprintf(line, len, "event neigh %s family=%u addr=%s ifindex=%u mac=%s state=%s",
			 verb, ev->neigh.family,
			 qs_nl_addr_str(&ev->neigh.addr, ev->neigh.family, addr, sizeof(addr)),
			 ev->ifindex, mac, qs_nl_nud_name(ev->neigh.state));
		break;
	case QS_NL_EV_LINK:
		if (ev->link.has_mac)
			qs_nl_mac_str(ev->link.mac, mac);
		snprintf(line, len, "event link %s ifindex=%u name=%s up=%d mac=%s", verb,
			 ev->ifindex, ev->link.name, ev->link.up, mac);
		break;
	case QS_NL_EV_ROUTE:
		snprintf(line, len,
			 "event route %s family=%u dst=%s/%u ifindex=%u table=%u type=%u", verb,
			 ev->route.family,
			 qs_nl_addr_str(&ev->route.dst, ev->route.family, addr, sizeof(addr)),
			 ev->route.dst_len, ev->ifindex, ev->route.table, ev->route.type);
		break;
	case QS_NL_EV_RESYNC:
		snprintf(line, len, "event resync");
		break;
	}
}

static void on_monitor_event(const struct qs_nl_event *ev, void *ctx)
{
	struct monitor_watch *w = ctx;
	char line[256];

	format_event(ev, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	if (w->until && strstr(line, w->until))
		w->matched = true;
}

/* Only an entry the kernel has settled (a MAC, or given up) ends the wait. */
static void on_hop_event(const struct qs_nl_event *ev, void *ctx)
{
	struct hop_watch *w = ctx;
	char line[256];

	if (ev->type != QS_NL_EV_NEIGH || ev->deleted || ev->ifindex != w->ifindex ||
	    ev->neigh.family != w->family || memcmp(&ev->neigh.addr, &w->addr, sizeof(w->addr)))
		return;
	if (ev->neigh.state & (NUD_INCOMPLETE | NUD_NONE))
		return;
	format_event(ev, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	w->seen = true;
}

/* Polls the monitor until done() or the deadline; 0, -ETIMEDOUT or -errno. */
static int monitor_until(struct qs_nl_monitor *mon, double deadline, qs_nl_event_fn fn, void *ctx,
			 bool *done)
{
	struct pollfd pfd = { .fd = qs_nl_monitor_fd(mon), .events = POLLIN };
	double left;
	int ret;

	while (!*done) {
		left = deadline - now_s();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0) {
			ret = qs_nl_monitor_read(mon, fn, ctx);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static int cmd_resolve(const char *text)
{
	struct qs_nl_nexthop nh;
	struct qs_addr dst;
	struct qs_nl *nl;
	__u8 family;
	int err;

	if (qs_parse_addr(text, &dst, &family)) {
		fprintf(stderr, "qs-nl-probe: bad address %s\n", text);
		return 2;
	}
	err = qs_nl_open(&nl);
	if (err)
		return 1;
	err = qs_nl_resolve(nl, &dst, family, &nh);
	print_resolve(text, err, &nh);
	qs_nl_close(nl);
	return err ? 1 : 0;
}

static int wait_resolved(struct qs_nl *nl, struct qs_nl_monitor *mon, const char *text,
			 const struct probe_opts *o)
{
	double deadline = now_s() + o->seconds;
	struct qs_nl_nexthop nh;
	struct hop_watch w;
	struct qs_addr dst;
	__u8 family;
	int i, err;

	if (qs_parse_addr(text, &dst, &family))
		return -EINVAL;
	for (i = 0; i < o->resolves; i++) {
		err = qs_nl_resolve(nl, &dst, family, &nh);
		print_resolve(text, err, &nh);
		if ((err != -EAGAIN && err != -EHOSTUNREACH) || i + 1 == o->resolves)
			break;
		memset(&w, 0, sizeof(w));
		w.addr = nh.gw_family ? nh.gateway : dst;
		w.family = nh.gw_family ? nh.gw_family : family;
		w.ifindex = nh.ifindex;
		err = monitor_until(mon, deadline, on_hop_event, &w, &w.seen);
		if (err) {
			printf("wait %s err=%s\n", text, err_name(err));
			break;
		}
	}
	return err;
}

static int cmd_wait(const char *text, const struct probe_opts *o)
{
	struct qs_nl_monitor *mon;
	struct qs_nl *nl;
	int err;

	/* Subscribe first: the answer may come before the request returns. */
	err = qs_nl_monitor_open(&mon);
	if (err)
		return 1;
	err = qs_nl_open(&nl);
	if (err)
		goto out_monitor;
	err = wait_resolved(nl, mon, text, o);
	qs_nl_close(nl);
out_monitor:
	qs_nl_monitor_close(mon);
	return err ? 1 : 0;
}

/* Polls for path until the deadline; 0 or -ETIMEDOUT. */
static int file_until(const char *path, double deadline)
{
	while (access(path, F_OK)) {
		if (now_s() >= deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}

static int cmd_monitor(const struct probe_opts *o)
{
	struct monitor_watch w = { .until = o->until };
	double deadline = now_s() + o->seconds;
	struct qs_nl_monitor *mon;
	int fd, err;

	err = qs_nl_monitor_open(&mon);
	if (err)
		return 1;
	fd = qs_nl_monitor_fd(mon);
	if (o->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof(o->rcvbuf))) {
		perror("qs-nl-probe: SO_RCVBUF");
		err = -errno;
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	if (o->wait_file && file_until(o->wait_file, deadline)) {
		fprintf(stderr, "qs-nl-probe: no %s within %g s\n", o->wait_file, o->seconds);
		err = -ETIMEDOUT;
		goto out;
	}
	err = monitor_until(mon, deadline, on_monitor_event, &w, &w.matched);
	if (err == -ETIMEDOUT && !o->until)
		err = 0;
out:
	qs_nl_monitor_close(mon);
	return err ? 1 : 0;
}

static int parse_opts(int argc, char **argv, struct probe_opts *o)
{
	int c;

	*o = (struct probe_opts){ .seconds = 5, .resolves = 2 };
	while ((c = getopt(argc, argv, "t:u:b:w:n:")) != -1) {
		switch (c) {
		case 't':
			o->seconds = atof(optarg);
			break;
		case 'u':
			o->until = optarg;
			break;
		case 'b':
			o->rcvbuf = atoi(optarg);
			break;
		case 'w':
			o->wait_file = optarg;
			break;
		case 'n':
			o->resolves = atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	return o->seconds > 0 && o->resolves > 0 ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct probe_opts o;
	const char *cmd;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		qs_log_set_level(QS_LOG_DEBUG);
		argv++;
		argc--;
	}
	cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "resolve") && argc == 3)
		return cmd_resolve(argv[2]);
	if (!strcmp(cmd, "wait") && argc >= 3 && !parse_opts(argc - 2, argv + 2, &o))
		return cmd_wait(argv[2], &o);
	if (!strcmp(cmd, "monitor") && !parse_opts(argc - 1, argv + 1, &o))
		return cmd_monitor(&o);
	fprintf(stderr,
		"usage: qs-nl-probe [-v] resolve ADDR\n"
		"       qs-nl-probe [-v] wait ADDR [-t SECONDS] [-n RESOLVES]\n"
		"       qs-nl-probe [-v] monitor [-t SECONDS] [-u TEXT] [-b RCVBUF] [-w FILE]\n");
	return 2;
}
