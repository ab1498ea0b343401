// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libquicsteer in qs-h3server. Every place this server calls the library,
 * each marked "quicsteer:" where it is:
 *
 *   start-up         report.c  h3s_report_open     qs_report_key_read_fd, qs_reporter_open
 *   ID made          cids.c    cid_make            qs_cid_random (random scheme)
 *                    quiclb.c  h3s_lb_cid          qs_quiclb_gen_next; qs_cid_random once
 *                                                  exhausted (unroutable)
 *   QUIC-LB config   quiclb.c  lbconf_new, key_read   qs_key_read_fd, qs_quiclb_gen_new
 *   its end          quiclb.c  lbconf_free         qs_quiclb_gen_free
 *   first SCID       conn.c    h3s_conn_new        qs_reporter_cid_issued
 *   new ID           conn.c    get_new_connection_id  qs_reporter_cid_issued
 *   Retry's SCID     accept.c  retry_remember      qs_reporter_cid_issued (+ flush)
 *   ID retired       conn.c    remove_connection_id   qs_reporter_cid_retired
 *   handshake done   conn.c    handshake_completed qs_reporter_handshake_done
 *   connection gone  conn.c    h3s_conn_free       qs_reporter_conn_closed
 *   unused Retry     accept.c  retry_drop          qs_reporter_conn_closed
 *   after a read batch (main.c loop), and before a packet written
 *   outside one leaves (conn.c conn_send):
 *                    report.c  h3s_report_flush    qs_reporter_flush
 *   every 200 ms     report.c  h3s_report_tick     qs_reporter_tick, and when a
 *                              snapshot is due, snapshot_begin/add/end per VIP
 *   SIGUSR1          report.c  h3s_report_drain    qs_reporter_drain
 *   exit             report.c  h3s_report_close    qs_reporter_close
 *   status file      report.c  h3s_report_counts   qs_reporter_dest_stats
 *
 * The VIP of every report is the connection's local address: the address
 * and port the client reached, as the router knows the service.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "h3server.h"
#include "util/fileio.h"

#define MAX_VIPS 64

/* 0, or 2 (the exit status) after saying why. */
int h3s_report_open(struct h3s_server *srv)
{
	const struct h3s_options *o = srv->opt;
	/* quicsteer: 0 is the reporter's default interval of snapshots */
	QS_REPORTER_OPTS(ropts, .snapshot_ns = o->snapshot_ns);
	uint8_t key[QS_REPORT_KEY_LEN];
	char why[160];
	int fd, err;

	if (o->no_report)
		return 0;
	/*
	 * The agent's rule for its key files (util/fileio.h): a regular file
	 * that only this server's user or root can read or change.
	 */
	fd = qs_secret_open(o->report_key, why, sizeof(why));
	if (fd < 0) {
		fprintf(stderr, "qs-h3server: --report-key %s: %s\n", o->report_key, why);
		return 2;
	}
	/* quicsteer: the key file, in the format the agent's key-file reads */
	err = qs_report_key_read_fd(fd, key);
	close(fd);
	if (err) {
		fprintf(stderr, "qs-h3server: --report-key %s: %s\n", o->report_key,
			err == -EINVAL ? "not 64 hex digits" : strerror(-err));
		return 2;
	}
	/* quicsteer: one reporter per process: a new incarnation for the agents */
	srv->reporter = qs_reporter_open(o->backend_id, key, o->agents, o->n_agents, &ropts);
	memset(key, 0, sizeof(key));
	if (!srv->reporter) {
		fprintf(stderr, "qs-h3server: --agent: %s\n", strerror(errno));
		return 2;
	}
	h3s_log(srv, "reporting as backend %u, incarnation %016llx", o->backend_id,
		(unsigned long long)qs_reporter_incarnation(srv->reporter));
	return 0;
}

void h3s_report_flush(struct h3s_server *srv)
{
	if (!srv->reporter || !srv->report_pending)
		return;
	srv->report_pending = false;
	/* quicsteer: send the batch of events, before the packets that carry new IDs */
	qs_reporter_flush(srv->reporter);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return !memcmp(a, b, sizeof(struct sockaddr_in));
	return !memcmp(a, b, sizeof(struct sockaddr_in6));
}

/* One VIP's snapshot: every issued ID of every connection on it, and pending Retries. */
static int snapshot_vip(struct h3s_server *srv, const struct sockaddr_storage *vip)
{
	struct qs_reporter *r = srv->reporter;
	struct h3s_retry *e, *tmp;
	int err;

	/* quicsteer: a snapshot of all live IDs on this VIP, repairing lost reports */
	err = qs_reporter_snapshot_begin(r, (const struct sockaddr *)vip);
	for (struct h3s_conn *c = srv->conns; c && !err; c = c->next)
		for (struct h3s_cid *id = c->ids; id && !err; id = id->next)
			if (id->issued && same_addr(&c->vip, vip))
				err = qs_reporter_snapshot_add(r, c->handle, id->data, id->len);
	HASH_ITER(hh, srv->retries, e, tmp)
		if (!err && same_addr(&e->vip, vip))
			err = qs_reporter_snapshot_add(r, e->handle, e->data, e->len);
	if (err) {
		qs_reporter_snapshot_abort(r);
		return err;
	}
	return qs_reporter_snapshot_end(r);
}

static void add_vip(struct sockaddr_storage *vips, size_t *n, const struct sockaddr_storage *v)
{
	for (size_t i = 0; i < *n; i++)
		if (same_addr(&vips[i], v))
			return;
	if (*n < MAX_VIPS)
		vips[(*n)++] = *v;
}

static void snapshots(struct h3s_server *srv)
{
	static struct sockaddr_storage vips[MAX_VIPS];
	size_t n = 0;

	/* The listeners' VIPs (an empty snapshot removes what a lost close left), then any other. */
	for (size_t i = 0; i < srv->n_listeners; i++)
		add_vip(vips, &n, &srv->listeners[i].addr);
	for (struct h3s_conn *c = srv->conns; c; c = c->next)
		add_vip(vips, &n, &c->vip);
	for (size_t i = 0; i < n; i++)
		snapshot_vip(srv, &vips[i]);
}

void h3s_report_tick(struct h3s_server *srv, uint64_t now)
{
	int bits;

	if (!srv->reporter)
		return;
	/* quicsteer: heartbeats, what waits in the batch, and whether a snapshot is due */
	bits = qs_reporter_tick(srv->reporter, now);
	srv->report_pending = false;
	if (bits > 0 && (bits & QS_TICK_SNAPSHOT_DUE))
		snapshots(srv);
}

void h3s_report_drain(struct h3s_server *srv)
{
	if (!srv->reporter)
		return;
	/* quicsteer: no new connections for this backend, please (existing IDs keep routing) */
	if (qs_reporter_drain(srv->reporter) == 0)
		h3s_log(srv, "draining: asked the agents for no new connections");
}

/* What the agents took and did not (summed over them), for the status file. */
void h3s_report_counts(struct h3s_server *srv)
{
	struct qs_reporter_dest_stats st;
	uint64_t sent = 0, errors = 0;

	if (!srv->reporter)
		return;
	/* quicsteer: per-agent delivery counters */
	for (size_t i = 0; qs_reporter_dest_stats(srv->reporter, i, &st) == 0; i++) {
		sent += st.datagrams;
		errors += st.errors;
	}
	srv->stats.reports_sent = sent;
	srv->stats.report_errors = errors;
}

void h3s_report_close(struct h3s_server *srv)
{
	if (!srv->reporter)
		return;
	h3s_report_flush(srv);
	h3s_report_counts(srv);
	/* quicsteer: sends what is pending and frees the reporter */
	qs_reporter_close(srv->reporter);
	srv->reporter = NULL;
}
