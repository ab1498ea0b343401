// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-h3server: start-up, the event loop and shutdown (h3server.h lists
 * the files, report.c every call into libquicsteer).
 *
 * One thread, one epoll set: the listening sockets and a signalfd. Each
 * turn reads a batch of datagrams, flushes the reports those produced
 * (new IDs reach the agents before the packets carrying them leave),
 * writes what the connections that read something have to send, and runs
 * the timers that are due: every connection's ngtcp2 expiry (a list walk:
 * this is a reference server, not a fast one) and the reporter's tick.
 */
#define _GNU_SOURCE /* in6_pktinfo, O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include "h3server.h"

/* How often the reporter's timers run (the library asks for 100 ms .. 1 s). */
#define REPORT_TICK_NS (200 * NGTCP2_MILLISECONDS)

uint64_t h3s_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NGTCP2_SECONDS + ts.tv_nsec;
}

static int signals_open(struct h3s_server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	srv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (srv->sigfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->sigfd, &ev))
		return -errno;
	return 0;
}

/*
 * SIGTERM and SIGINT stop the server; SIGUSR1 asks the agents to drain
 * it; SIGHUP reads --quic-lb-file again.
 */
static void signals_read(struct h3s_server *srv)
{
	struct signalfd_siginfo si;

	while (read(srv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			h3s_report_drain(srv);
		} else if (si.ssi_signo == SIGHUP) {
			h3s_cids_reload(srv);
			h3s_status_write(srv);
		} else {
			srv->stopping = true;
		}
	}
}

/* Runs the timers that are due; returns the next deadline (ns). */
static uint64_t timers_run(struct h3s_server *srv, uint64_t *next_tick)
{
	uint64_t now = h3s_now(), next;
	struct h3s_conn *c, *tmp;

	if (now >= *next_tick) {
		h3s_retries_expire(srv, now);
		h3s_report_tick(srv, now);
		*next_tick = now + REPORT_TICK_NS;
	}
	next = *next_tick;
	for (c = srv->conns; c; c = tmp) {
		tmp = c->next;
		if (h3s_conn_expiry(c) <= now)
			h3s_conn_on_expiry(c, now); /* may free c */
	}
	for (c = srv->conns; c; c = c->next)
		if (h3s_conn_expiry(c) < next)
			next = h3s_conn_expiry(c);
	return next;
}

static void loop(struct h3s_server *srv)
{
	uint64_t next_tick = 0;

	while (!srv->stopping) {
		struct epoll_event evs[H3S_MAX_LISTEN + 1];
		uint64_t deadline = timers_run(srv, &next_tick), now = h3s_now();
		/* Rounded up: waking early would only spin. */
		int timeout = deadline > now ? (deadline - now + NGTCP2_MILLISECONDS - 1) /
						       NGTCP2_MILLISECONDS :
					       0;
		int n = epoll_wait(srv->epfd, evs, H3S_MAX_LISTEN + 1, timeout);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr)
				h3s_listener_read(srv, evs[i].data.ptr);
			else
				signals_read(srv);
		}
		/* quicsteer: IDs issued while reading are reported before anything is written */
		h3s_report_flush(srv);
		for (struct h3s_conn *c = srv->conns; c; c = c->next)
			if (c->dirty)
				h3s_conn_write(c);
	}
}

/* Stop: close every connection (CONNECTION_CLOSE, reported), then the reporter. */
static void shutdown_all(struct h3s_server *srv)
{
	h3s_log(srv, "stopping: closing %llu connections",
		(unsigned long long)(srv->stats.connections - srv->stats.closed));
	while (srv->conns)
		h3s_conn_shutdown(srv->conns);
	h3s_retries_free(srv);
	h3s_report_close(srv);
	h3s_status_write(srv);
}

static int setup(struct h3s_server *srv)
{
	int err;

	/* the ID and Retry tables hash under a random key: clients choose what goes in */
	if (qs_hash_init()) {
		fprintf(stderr, "qs-h3server: no random key for the ID tables' hash (libsodium)\n");
		return 1;
	}
	srv->dirfd = -1;
	if (srv->opt->dir) {
		srv->dirfd = open(srv->opt->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (srv->dirfd < 0) {
			fprintf(stderr, "qs-h3server: --dir %s: %s\n", srv->opt->dir,
				strerror(errno));
			return 2;
		}
	}
	if (h3s_tls_init(srv))
		return 2;
	gnutls_rnd(GNUTLS_RND_KEY, srv->static_secret, sizeof(srv->static_secret));
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	err = srv->epfd < 0 ? -errno : signals_open(srv);
	if (err) {
		fprintf(stderr, "qs-h3server: epoll/signalfd: %s\n", strerror(-err));
		return 1;
	}
	if (h3s_cids_open(srv) || h3s_listeners_open(srv))
		return 2;
	return h3s_report_open(srv);
}

static void teardown(struct h3s_server *srv)
{
	h3s_listeners_close(srv);
	if (srv->sigfd >= 0)
		close(srv->sigfd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->dirfd >= 0)
		close(srv->dirfd);
	h3s_tls_free(srv);
	h3s_cids_close(srv);
}

int main(int argc, char **argv)
{
	struct h3s_options opt;
	struct h3s_server srv = { .opt = &opt, .epfd = -1, .sigfd = -1, .dirfd = -1 };
	int rv;

	rv = h3s_options_parse(&opt, argc, argv);
	if (rv)
		return rv == 1 ? 0 : rv;
	rv = setup(&srv);
	if (rv == 0) {
		h3s_status_write(&srv);
		h3s_log(&srv, "serving on %zu addresses%s", srv.n_listeners,
			opt.retry ? ", with Retry" : "");
		loop(&srv);
		shutdown_all(&srv);
	}
	if (srv.reporter)
		qs_reporter_close(srv.reporter);
	teardown(&srv);
	return rv;
}
