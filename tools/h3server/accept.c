// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Every datagram starts here: a packet whose DCID is one of a
 * connection's goes to it; a client's first Initial makes a connection
 * (after a Retry, with --retry); everything else is dropped.
 *
 * Unknown short-header DCIDs are dropped silently, with no stateless
 * reset. Behind a balancer, a packet that reaches the wrong backend (an
 * ID the agents have not learnt yet, a pool change) is the normal case of
 * a misroute, not a sign that the connection is dead: a stateless reset
 * would kill a connection that its next packets, routed right, would
 * have kept alive. QUIC's retransmissions cover the dropped packet.
 *
 * Retry and quicsteer: the Retry's new SCID is the DCID of the client's
 * second Initial, which must reach this backend again. QUIC-LB IDs route
 * there by themselves; random ones need the agents' ID table. So the SCID
 * is made like every other ID (--cid-scheme, --cid-len), reported under a
 * fresh handle and flushed before the Retry leaves, and remembered
 * (struct h3s_retry) for the token's lifetime. The connection that the
 * second Initial creates takes that handle over, so the ID is retired
 * with the connection (one qs_reporter_conn_closed drops it with the
 * rest). A Retry no connection follows is retired when its token expires.
 * The Retry itself stays stateless: the token alone (address, original
 * DCID, time, under a per-process secret) decides whether the second
 * Initial is accepted; the memory only keeps the report tidy.
 *
 * At most --max-connections connections live at once, Retry or not (the
 * ones closing or draining count: they hold their state until freed). A
 * first Initial past them is answered, statelessly, with a
 * CONNECTION_CLOSE of CONNECTION_REFUSED (RFC 9000 10.2.3 and 20.1): the
 * client learns at once instead of waiting out its handshake timeout, and
 * the answer is smaller than the Initial that asked for it. No Retry goes
 * to a client that would be refused: the check comes first.
 */
#include <stdlib.h>
#include <string.h>
#include "h3server.h"

/* Retries remembered at most: past it, a Retry's ID is not reported (the address table routes). */
#define MAX_RETRIES 65536

static void send_version_negotiation(struct h3s_listener *l, const ngtcp2_path *path,
				     const ngtcp2_version_cid *vc)
{
	static const uint32_t versions[] = { NGTCP2_PROTO_VER_V1 };
	uint8_t buf[256], rnd;
	ngtcp2_ssize n;

	gnutls_rnd(GNUTLS_RND_NONCE, &rnd, 1);
	n = ngtcp2_pkt_write_version_negotiation(buf, sizeof(buf), rnd, vc->scid, vc->scidlen,
						 vc->dcid, vc->dcidlen, versions, 1);
	if (n > 0)
		h3s_send(l, path, buf, n);
}

static void retry_remember(struct h3s_server *srv, const ngtcp2_cid *scid,
			   const struct sockaddr *vip, socklen_t vip_len)
{
	struct h3s_retry *e;

	if (HASH_COUNT(srv->retries) >= MAX_RETRIES || !(e = calloc(1, sizeof(*e))))
		return;
	memcpy(e->data, scid->data, scid->datalen);
	e->len = scid->datalen;
	e->handle = ++srv->next_handle;
	e->expiry = h3s_now() + H3S_RETRY_TOKEN_TIMEOUT;
	memcpy(&e->vip, vip, vip_len);
	HASH_ADD(hh, srv->retries, data, e->len, e);
	srv->stats.cids_issued++;
	if (srv->reporter) {
		/*
		 * quicsteer: the Retry's SCID, the DCID of the client's next
		 * Initial: reported and flushed before the Retry leaves.
		 */
		qs_reporter_cid_issued(srv->reporter, vip, e->handle, e->data, e->len);
		srv->report_pending = true;
		h3s_report_flush(srv);
	}
}

/* The handle a Retry's SCID was reported under, now the connection's; 0 if none. */
static uint64_t retry_claim(struct h3s_server *srv, const ngtcp2_cid *dcid)
{
	struct h3s_retry *e;
	uint64_t handle;

	HASH_FIND(hh, srv->retries, dcid->data, dcid->datalen, e);
	if (!e)
		return 0;
	handle = e->handle;
	HASH_DEL(srv->retries, e);
	free(e);
	return handle;
}

static void retry_drop(struct h3s_server *srv, struct h3s_retry *e)
{
	HASH_DEL(srv->retries, e);
	srv->stats.cids_retired++;
	if (srv->reporter) {
		/* quicsteer: no connection used this Retry's ID: gone with its handle */
		qs_reporter_conn_closed(srv->reporter, e->handle);
		srv->report_pending = true;
	}
	free(e);
}

void h3s_retries_expire(struct h3s_server *srv, uint64_t now)
{
	struct h3s_retry *e, *tmp;

	HASH_ITER(hh, srv->retries, e, tmp)
		if (e->expiry <= now)
			retry_drop(srv, e);
}

void h3s_retries_free(struct h3s_server *srv)
{
	struct h3s_retry *e, *tmp;

	HASH_ITER(hh, srv->retries, e, tmp)
		retry_drop(srv, e);
}

static void send_retry(struct h3s_server *srv, struct h3s_listener *l, const ngtcp2_path *path,
		       const ngtcp2_pkt_hd *hd)
{
	uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN], buf[H3S_MAX_UDP_PAYLOAD];
	uint8_t id[NGTCP2_MAX_CIDLEN];
	ngtcp2_ssize tokenlen, n;
	ngtcp2_cid scid;
	char addr[80];
	int len;

	len = h3s_cid_fresh(srv, NULL, id);
	if (len < 0)
		return;
	ngtcp2_cid_init(&scid, id, len);
	tokenlen = ngtcp2_crypto_generate_retry_token(
		token, srv->static_secret, sizeof(srv->static_secret), hd->version,
		path->remote.addr, path->remote.addrlen, &scid, &hd->dcid, h3s_now());
	if (tokenlen < 0)
		return;
	n = ngtcp2_crypto_write_retry(buf, sizeof(buf), hd->version, &hd->scid, &scid, &hd->dcid,
				      token, tokenlen);
	if (n < 0)
		return;
	retry_remember(srv, &scid, path->local.addr, path->local.addrlen);
	if (h3s_send(l, path, buf, n) == 0) {
		srv->stats.retries_sent++;
		srv->stats.bytes_sent += n;
	}
	h3s_log(srv, "retry sent to %s", h3s_addr_str(path->remote.addr, addr, sizeof(addr)));
}

/* A token that fails verification: close without keeping any state (RFC 9000 8.1.2). */
static void send_invalid_token(struct h3s_listener *l, const ngtcp2_path *path,
			       const ngtcp2_pkt_hd *hd)
{
	uint8_t buf[H3S_MAX_UDP_PAYLOAD];
	ngtcp2_ssize n;

	n = ngtcp2_crypto_write_connection_close(buf, sizeof(buf), hd->version, &hd->scid,
						 &hd->dcid, NGTCP2_INVALID_TOKEN, NULL, 0);
	if (n > 0)
		h3s_send(l, path, buf, n);
}

/* --max-connections alive: a new one is refused, without state. */
static bool conns_full(const struct h3s_server *srv)
{
	return srv->stats.connections - srv->stats.closed >= srv->opt->max_connections;
}

static void send_refused(struct h3s_server *srv, struct h3s_listener *l, const ngtcp2_path *path,
			 const ngtcp2_pkt_hd *hd)
{
	uint8_t buf[H3S_MAX_UDP_PAYLOAD];
	struct h3s_retry *e;
	ngtcp2_ssize n;
	char addr[80];

	/* the second Initial of a Retry sent before the server filled: its ID goes now */
	HASH_FIND(hh, srv->retries, hd->dcid.data, hd->dcid.datalen, e);
	if (e)
		retry_drop(srv, e);
	n = ngtcp2_crypto_write_connection_close(buf, sizeof(buf), hd->version, &hd->scid,
						 &hd->dcid, NGTCP2_CONNECTION_REFUSED, NULL, 0);
	if (n > 0 && h3s_send(l, path, buf, n) == 0)
		srv->stats.bytes_sent += n;
	srv->stats.refused++;
	h3s_log(srv, "connection from %s refused: --max-connections %llu reached",
		h3s_addr_str(path->remote.addr, addr, sizeof(addr)),
		(unsigned long long)srv->opt->max_connections);
}

static void accept_initial(struct h3s_server *srv, struct h3s_listener *l,
			   const ngtcp2_path *path, const uint8_t *data, size_t len)
{
	ngtcp2_pkt_hd hd;
	ngtcp2_cid odcid;
	uint64_t handle = 0;
	struct h3s_conn *c;

	if (ngtcp2_accept(&hd, data, len))
		return;
	if (conns_full(srv)) {
		send_refused(srv, l, path, &hd);
		return;
	}
	if (srv->opt->retry) {
		if (!hd.token.len || hd.token.base[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
			/* No token, or a NEW_TOKEN one, which this server never gives. */
			send_retry(srv, l, path, &hd);
			return;
		}
		if (ngtcp2_crypto_verify_retry_token(
			    &odcid, hd.token.base, hd.token.len, srv->static_secret,
			    sizeof(srv->static_secret), hd.version, path->remote.addr,
			    path->remote.addrlen, &hd.dcid, H3S_RETRY_TOKEN_TIMEOUT, h3s_now())) {
			send_invalid_token(l, path, &hd);
			return;
		}
		handle = retry_claim(srv, &hd.dcid);
	}
	c = h3s_conn_new(srv, l, path, &hd, srv->opt->retry ? &odcid : NULL, handle);
	if (c)
		h3s_conn_read(c, path, data, len);
}

void h3s_datagram(struct h3s_server *srv, struct h3s_listener *l, const ngtcp2_path *path,
		  uint8_t *data, size_t len)
{
	ngtcp2_version_cid vc;
	struct h3s_conn *c;
	int rv;

	/*
	 * An empty UDP datagram is legal on the wire, and libngtcp2 0.12
	 * asserts datalen != 0 in ngtcp2_pkt_decode_version_cid: one such
	 * datagram from anyone would abort the server.
	 */
	if (len == 0)
		return;
	rv = ngtcp2_pkt_decode_version_cid(&vc, data, len, h3s_cid_short_len(srv, data, len));
	if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
		send_version_negotiation(l, path, &vc);
		return;
	}
	if (rv)
		return;
	c = h3s_cid_lookup(srv, vc.dcid, vc.dcidlen);
	if (c)
		h3s_conn_read(c, path, data, len);
	else if ((data[0] & 0x80) && !srv->stopping)
		accept_initial(srv, l, path, data, len);
	/* else: an unknown short-header DCID, dropped (see the top of this file) */
}
