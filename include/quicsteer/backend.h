/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libquicsteer: what a QUIC server links to be routed by quicsteer.
 *
 * A server tells the agent (quicsteerd) on every balancer which connection
 * IDs it issues and retires, so that the balancers' ID tables follow it
 * (docs/report-protocol.md). It opens one reporter per process, reports
 * from the callbacks of its QUIC stack, and drives the timers from its
 * event loop. The library also makes connection IDs: random ones, and
 * QUIC-LB ones (quicsteer/quiclb.h, included here: plaintext or encrypted,
 * from one generator per thread) that the router decodes without any
 * report.
 *
 * Link with `pkg-config --cflags --libs libquicsteer`.
 *
 * Conventions, as in libbpf: functions return 0 (or a count) on success and
 * a negative errno on failure; qs_reporter_open returns NULL with errno set.
 *
 * A minimal integration with ngtcp2 (any stack has the same four places):
 *
 *	r = qs_reporter_open(backend_id, key, agents, n_agents, &opts);
 *	...  (vip: ngtcp2_conn_get_path(conn)->local.addr, the address clients reach)
 *	get_new_connection_id:  qs_cid_random(cid->data, cidlen);
 *	                        qs_reporter_cid_issued(r, vip, handle, cid->data, cidlen);
 *	remove_connection_id:   qs_reporter_cid_retired(r, vip, cid->data, cid->datalen);
 *	handshake_completed:    qs_reporter_handshake_done(r, vip, handle,
 *	                                ngtcp2_conn_get_path(conn)->remote.addr);
 *	connection freed:       qs_reporter_conn_closed(r, handle);
 *	after each batch of packets read: qs_reporter_flush(r);
 *	a timer, every 100 ms to 1 s:
 *		if (qs_reporter_tick(r, now_ns) & QS_TICK_SNAPSHOT_DUE)
 *			for each VIP: snapshot_begin, snapshot_add per live ID, snapshot_end
 *
 * Also report the IDs ngtcp2 issues outside that callback: the server's
 * first SCID (ngtcp2_conn_server_new's scid) and the preferred address's ID.
 *
 * Threads: every qs_reporter_* function may be called from any thread at
 * any time; a mutex inside serialises them (and keeps datagrams in sequence
 * order on the wire). No thread is started. Reporting (events, flush, tick,
 * snapshots) allocates no memory. A send waits at most send_timeout_ns for
 * an agent whose queue is full (a local agent momentarily behind: unix
 * sockets queue few datagrams), then counts an error for that agent and
 * stops waiting for it until it takes a datagram again; the next snapshot
 * repairs what a lost datagram carried.
 */
#ifndef QUICSTEER_BACKEND_H
#define QUICSTEER_BACKEND_H

#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "quicsteer/quiclb.h"
#include "quicsteer/report.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qs_reporter;

/* qs_reporter_opts.flags */
enum qs_reporter_flags {
	/*
	 * Send every event in a datagram of its own, at once. The agent learns
	 * an ID one flush earlier, but every ID costs a datagram, an HMAC and a
	 * sendto per agent instead of sharing them with up to 60 others. Worth
	 * it only for servers that cannot call qs_reporter_flush after their
	 * receive loop; otherwise batching plus a flush per loop iteration gives
	 * the same latency (an ID is reported before the packet that carries it
	 * to the client leaves) at a fraction of the cost.
	 */
	QS_REPORTER_AUTO_FLUSH = 1u << 0,
};

/* Defaults of the timers qs_reporter_tick drives. */
#define QS_REPORTER_HEARTBEAT_NS 3000000000ull /* a third of the agent's 10 s default */
#define QS_REPORTER_SNAPSHOT_NS 20000000000ull /* within the 10..60 s the protocol asks */
#define QS_REPORTER_SEND_TIMEOUT_NS 10000000ull /* 10 ms, per datagram and agent */

/*
 * Optional settings. Declare with QS_REPORTER_OPTS so that sz is set and
 * every field not named is zero (its default): a program built against
 * this header keeps working with a later library whose struct has grown.
 */
struct qs_reporter_opts {
	size_t sz; /* sizeof(struct qs_reporter_opts) */
	unsigned int flags; /* enum qs_reporter_flags */
	/*
	 * The VIP that event and snapshot functions use when passed a NULL
	 * vip, and that datagrams carrying only backend-wide records (closed,
	 * heartbeat, drain) name. NULL: none; such datagrams name no VIP.
	 */
	const struct sockaddr *vip;
	__u64 heartbeat_ns; /* 0: QS_REPORTER_HEARTBEAT_NS */
	__u64 snapshot_ns; /* 0: QS_REPORTER_SNAPSHOT_NS */
	__u64 send_timeout_ns; /* 0: QS_REPORTER_SEND_TIMEOUT_NS */
};

#define QS_REPORTER_OPTS(name, ...) \
	struct qs_reporter_opts name = { .sz = sizeof(struct qs_reporter_opts), __VA_ARGS__ }

/*
 * Opens a reporter. Call once per process, after the configuration is read
 * and before the first connection is accepted: the reporter's incarnation
 * (the wall-clock time it opened, in nanoseconds) tells the agents that
 * everything this backend registered before belongs to a dead process, and
 * a later incarnation is a greater number. Every datagram also carries the
 * time it is sent, which the agents check against their own clocks. Hence
 * open the reporter once the system clock is synchronised (systemd: after
 * time-sync.target), as the agents' are: datagrams stamped further from
 * their clocks than their report-window are refused, and a process whose
 * clock stepped back since the previous one started is taken only once
 * the previous one has been silent for that window (docs/report-protocol.md,
 * "Clocks").
 *
 * backend_id: the backend's id in the agents' configuration (1..4095).
 * key: its 32-byte report key (the agent's key-file, as bytes;
 *   qs_report_key_read in quicsteer/report.h reads such a file, and
 *   qs_report_key_read_fd one the server opened and checked itself).
 * agents[n_agents]: every balancer's report listener, 1..16 of them:
 *   "198.18.0.1:4434", "[fd00::1]:4434", "lb1.example:4434" (resolved now,
 *   once) for UDP; "unix:/run/quicsteer/reports.sock" or an absolute path
 *   for a unix datagram socket. An agent that is not listening yet is not
 *   an error: sending to it fails and is counted until it is.
 * opts: NULL for the defaults.
 *
 * Returns NULL with errno: EINVAL (bad id, key, address or option), ENOENT
 * (a host name that does not resolve), ENAMETOOLONG (a socket path),
 * ENOMEM, or what socket() failed with.
 */
struct qs_reporter *qs_reporter_open(__u32 backend_id, const __u8 key[QS_REPORT_KEY_LEN],
				     const char *const *agents, size_t n_agents,
				     const struct qs_reporter_opts *opts);

/*
 * Sends what is pending and frees the reporter. Call at exit, after the
 * last report, when no other thread uses the reporter any more. Closing
 * sends nothing else: a server that stops on purpose calls
 * qs_reporter_drain first and waits for its connections to end.
 */
void qs_reporter_close(struct qs_reporter *r);

/*
 * Events. Each appends a record to the datagram being filled; a full
 * datagram is sent and the next one started, so nothing is ever refused
 * for lack of room. Records about a VIP share a datagram only with records
 * about the same VIP: a server that interleaves VIPs sends more, smaller
 * datagrams.
 *
 * vip: the address and port clients reach the service at (the local
 * address of the connection's path), struct sockaddr_in or sockaddr_in6;
 * an IPv4-mapped IPv6 address counts as the IPv4 address. NULL: opts.vip.
 * handle: the server's own number for the connection (a counter, a
 * pointer value), the same for all of its IDs, never reused by the
 * process.
 *
 * Return 0 once the event is in the report stream (delivery problems
 * show in qs_reporter_flush and qs_reporter_dest_stats), -EINVAL for an
 * ID over 20 bytes or a missing VIP, -EAFNOSUPPORT for an address family
 * other than AF_INET and AF_INET6.
 */

/*
 * Call for every connection ID the server gives out, before the packet
 * carrying it leaves: ngtcp2's get_new_connection_id callback, the SCID of
 * a new connection, the preferred address's ID. Then flush (or batch and
 * flush after the receive loop) so the ID routes before the client uses it.
 */
int qs_reporter_cid_issued(struct qs_reporter *r, const struct sockaddr *vip, __u64 handle,
			   const void *cid, size_t cid_len);

/* Call when an ID is retired: ngtcp2's remove_connection_id callback. */
int qs_reporter_cid_retired(struct qs_reporter *r, const struct sockaddr *vip, const void *cid,
			    size_t cid_len);

/*
 * Call when the handshake completes (ngtcp2's handshake_completed), with
 * the client's address and port: the agent counts it and records where the
 * connection comes from.
 */
int qs_reporter_handshake_done(struct qs_reporter *r, const struct sockaddr *vip, __u64 handle,
			       const struct sockaddr *client);

/*
 * Call when a connection is gone (closed, drained, timed out; when the
 * server frees its ngtcp2_conn): the agent removes every ID reported under
 * the handle, including any whose retire was never reported.
 */
int qs_reporter_conn_closed(struct qs_reporter *r, __u64 handle);

/*
 * Asks the agents to send no new connections to this backend (existing
 * IDs keep routing) until the next incarnation. Call when shutting down
 * gracefully. Sent at once.
 */
int qs_reporter_drain(struct qs_reporter *r);

/*
 * Sends a heartbeat at once. qs_reporter_tick does this when needed; call
 * it only if the server drives liveness itself.
 */
int qs_reporter_heartbeat(struct qs_reporter *r);

/*
 * Sends the datagram being filled, if any, to every agent. Call after the
 * events of one turn of the event loop (after processing a batch of
 * received packets, before writing the packets they produced), so that
 * new IDs reach the balancers before clients can use them.
 *
 * Returns 0 if at least one agent took the datagram (or nothing was
 * pending), or the -errno of the failure when every agent failed
 * (-ENOENT or -ECONNREFUSED: no agent on a unix path; -EAGAIN: its queue
 * is full). Either way the datagram is gone: reports are not
 * retransmitted, snapshots repair losses.
 */
int qs_reporter_flush(struct qs_reporter *r);

/* Bits qs_reporter_tick returns. */
enum qs_tick_flags {
	/* Time for a snapshot: run qs_reporter_snapshot_begin..end per VIP. */
	QS_TICK_SNAPSHOT_DUE = 1u << 0,
};

/*
 * Call periodically from the event loop, with a monotonic clock in
 * nanoseconds (CLOCK_MONOTONIC; ngtcp2 timestamps are fine), every 100 ms
 * to 1 s. It sends a datagram still being filled (so an event waits at
 * most one tick even without flushes), sends a heartbeat when no datagram
 * went out for heartbeat_ns (and on the first tick, so the agents learn
 * the new incarnation at once), and returns QS_TICK_SNAPSHOT_DUE on the
 * first tick and then once per snapshot_ns. Returns the bits (>= 0) or
 * -errno.
 */
int qs_reporter_tick(struct qs_reporter *r, __u64 now_ns);

/*
 * Snapshot: every live ID of this backend on one VIP, so the agents can
 * repair lost datagrams (IDs they hold that the snapshot lacks are
 * removed, listed ones are added). Call snapshot_begin, then snapshot_add
 * for every ID of every connection on that VIP, then snapshot_end. Other
 * threads may keep reporting events meanwhile, and the server's table may
 * change while it is walked: an ID issued after begin need not be listed,
 * an ID retired after begin may still be (its retire is reported as
 * usual). One snapshot at a time per reporter; VIPs one after the other.
 * Large snapshots span as many datagrams as needed.
 *
 * begin: -EBUSY if a snapshot is in progress. add: -EINVAL without one, or
 * for an ID over 20 bytes; -EOVERFLOW past 65536 datagrams (the snapshot
 * cannot be completed: abort it). end: sends the last part at once and
 * returns as qs_reporter_flush; -EINVAL without a snapshot in progress.
 */
int qs_reporter_snapshot_begin(struct qs_reporter *r, const struct sockaddr *vip);
int qs_reporter_snapshot_add(struct qs_reporter *r, __u64 handle, const void *cid, size_t cid_len);
int qs_reporter_snapshot_end(struct qs_reporter *r);

/*
 * Abandons the snapshot in progress, for when the server cannot finish
 * walking its table: an unfinished snapshot removes nothing at the agents
 * (the IDs it listed may be added: they were live). Never end one that is
 * not complete: the agents would remove every ID it did not list. Returns
 * 0, also when no snapshot is in progress.
 */
int qs_reporter_snapshot_abort(struct qs_reporter *r);

/* This reporter's incarnation (non-zero: its opening time, ns since the epoch), for logs. */
__u64 qs_reporter_incarnation(struct qs_reporter *r);

/* What one destination (an entry of agents[] in open's order) took. */
struct qs_reporter_dest_stats {
	__u64 datagrams; /* sent */
	__u64 bytes; /* in datagrams sent */
	__u64 errors; /* datagrams it did not take */
	int last_error; /* -errno of the latest failure, 0 if none */
};

/* Fills *st for destination i; -EINVAL if there is no such destination. */
int qs_reporter_dest_stats(struct qs_reporter *r, size_t i, struct qs_reporter_dest_stats *st);

/*
 * Connection IDs. Both return the ID's length (> 0) or -errno, and are safe
 * from any thread.
 *
 * qs_cid_random: len (1..20) random bytes from getrandom. Use the length
 * configured as the VIP's cid-len at the agents: short-header packets do
 * not carry it, the router reads that many bytes. On a VIP with QUIC-LB
 * configurations, an ID whose top three bits name one of them is parsed
 * as a QUIC-LB ID: use a QUIC-LB generator there (qs_quiclb_gen_new in
 * quicsteer/quiclb.h), or set those bits to 0b111 (unroutable) in buf[0]
 * yourself, as a server must once its generator is exhausted.
 */
int qs_cid_random(void *buf, size_t len);

/*
 * qs_cid_quiclb_plaintext: a QUIC-LB ID in the unencrypted (plaintext) mode
 * of draft-ietf-quic-load-balancers:
 *
 *	byte 0:               config_id << 5 | 5 random bits
 *	bytes 1..sid_len:     server_id
 *	then nonce_len bytes: random
 *
 * The router reads the configuration from the top three bits and the
 * server ID from bytes 1..sid_len (bpf/route.h, route_quiclb), and routes
 * such IDs without any report, given the agents' matching "quic-lb" and
 * "server-id" configuration. buf holds 1 + sid_len + nonce_len bytes
 * (QS_CID_MAX_LEN always suffices). config_id 0..6, sid_len 1..15,
 * nonce_len 4..18, total at most 20; -EINVAL otherwise.
 *
 * The nonce is random, so two calls make the same ID as often as random
 * nonces meet, and nothing keeps two threads apart: new servers use a
 * generator of quicsteer/quiclb.h instead (mode QS_QUICLB_CID_PLAINTEXT
 * gives these IDs, without repeats, and its AES modes encrypt them).
 * Kept for servers built against libquicsteer 0.1; it is that codec's
 * plaintext encoding with a random nonce and random low bits.
 */
int qs_cid_quiclb_plaintext(void *buf, unsigned int config_id, const void *server_id,
			    size_t sid_len, size_t nonce_len);

#ifdef __cplusplus
}
#endif

#endif /* QUICSTEER_BACKEND_H */
