// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One QUIC connection on ngtcp2: its creation, the callbacks where the
 * server meets quicsteer (an ID issued, an ID retired, the handshake
 * done), reading, writing, timers and the end of it.
 *
 * A connection ends in one of three ways: CONNECTION_CLOSE sent (CLOSING:
 * the close packet is repeated to anything the client still sends),
 * CONNECTION_CLOSE received (DRAINING: silence), or silently (idle
 * timeout, a packet ngtcp2 says to drop the connection for). The first two
 * wait three PTOs (RFC 9000 10.2) before the connection is freed and the
 * agents told it is gone, so that its IDs keep routing its last packets
 * here rather than to a server that would answer with a stateless reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include "h3server.h"

/* Flow-control windows: what a client may send before the server reads it. */
#define STREAM_WINDOW (256 * 1024)
#define CONN_WINDOW (1024 * 1024)
#define MAX_STREAM_WINDOW (6 * 1024 * 1024)
#define MAX_CONN_WINDOW (16 * 1024 * 1024)
/* IDs a client may hold from us at once: as many as gtlsclient accepts. */
#define CID_LIMIT 7

static void rand_bytes(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

/*
 * ngtcp2 asks for the IDs it sends in NEW_CONNECTION_ID frames, of the
 * length of the first SCID, which this server chose (--cid-len, or the
 * connection's QUIC-LB configuration).
 */
static int get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token,
				 size_t cidlen, void *user_data)
{
	struct h3s_conn *c = user_data;
	struct h3s_server *srv = c->srv;
	uint8_t buf[NGTCP2_MAX_CIDLEN];
	int len;

	(void)conn;
	len = h3s_cid_fresh(srv, c, buf);
	if (len < 0 || (size_t)len != cidlen)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	ngtcp2_cid_init(cid, buf, len);
	if (ngtcp2_crypto_generate_stateless_reset_token(token, srv->static_secret,
							 sizeof(srv->static_secret), cid) ||
	    h3s_cid_add(c, buf, len, H3S_CID_ISSUED))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (srv->reporter) {
		/* quicsteer: a new ID, reported before the packet carrying it leaves */
		qs_reporter_cid_issued(srv->reporter, (struct sockaddr *)&c->vip, c->handle, buf,
				       len);
		srv->report_pending = true;
	}
	return 0;
}

/* The client retired an ID (RETIRE_CONNECTION_ID): it routes nowhere any more. */
static int remove_connection_id(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *user_data)
{
	struct h3s_conn *c = user_data;
	struct h3s_server *srv = c->srv;

	(void)conn;
	h3s_cid_remove(c, cid->data, cid->datalen);
	if (srv->reporter) {
		/* quicsteer: an ID retired */
		qs_reporter_cid_retired(srv->reporter, (struct sockaddr *)&c->vip, cid->data,
					cid->datalen);
		srv->report_pending = true;
	}
	return 0;
}

static int handshake_completed(ngtcp2_conn *conn, void *user_data)
{
	struct h3s_conn *c = user_data;
	struct h3s_server *srv = c->srv;
	const ngtcp2_path *path = ngtcp2_conn_get_path(conn);
	char addr[80];

	c->handshake_done = true;
	srv->stats.handshakes++;
	if (srv->reporter) {
		/* quicsteer: handshake done, with where the client is */
		qs_reporter_handshake_done(srv->reporter, (struct sockaddr *)&c->vip, c->handle,
					   path->remote.addr);
		srv->report_pending = true;
	}
	h3s_log(srv, "conn %llu from %s handshake done", (unsigned long long)c->handle,
		h3s_addr_str(path->remote.addr, addr, sizeof(addr)));
	h3s_status_write(srv);
	return 0;
}

/* A migration or a NAT rebinding, validated (or not) by ngtcp2. */
static int path_validation(ngtcp2_conn *conn, uint32_t flags, const ngtcp2_path *path,
			   ngtcp2_path_validation_result res, void *user_data)
{
	struct h3s_conn *c = user_data;
	char addr[80];

	(void)conn;
	(void)flags;
	h3s_log(c->srv, "conn %llu path to %s %s", (unsigned long long)c->handle,
		h3s_addr_str(path->remote.addr, addr, sizeof(addr)),
		res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS ? "validated" : "failed validation");
	return 0;
}

static void conn_callbacks(ngtcp2_callbacks *cb)
{
	*cb = (ngtcp2_callbacks){
		.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb,
		.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
		.encrypt = ngtcp2_crypto_encrypt_cb,
		.decrypt = ngtcp2_crypto_decrypt_cb,
		.hp_mask = ngtcp2_crypto_hp_mask_cb,
		.update_key = ngtcp2_crypto_update_key_cb,
		.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
		.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
		.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
		.version_negotiation = ngtcp2_crypto_version_negotiation_cb,
		.rand = rand_bytes,
		.get_new_connection_id = get_new_connection_id,
		.remove_connection_id = remove_connection_id,
		.handshake_completed = handshake_completed,
		.path_validation = path_validation,
	};
	h3s_http3_callbacks(cb);
}

static void conn_params(struct h3s_server *srv, const ngtcp2_pkt_hd *hd, const ngtcp2_cid *scid,
			const ngtcp2_cid *odcid, ngtcp2_transport_params *p)
{
	ngtcp2_transport_params_default(p);
	p->initial_max_stream_data_bidi_local = STREAM_WINDOW;
	p->initial_max_stream_data_bidi_remote = STREAM_WINDOW;
	p->initial_max_stream_data_uni = STREAM_WINDOW;
	p->initial_max_data = CONN_WINDOW;
	p->initial_max_streams_bidi = 100;
	p->initial_max_streams_uni = 3;
	p->max_idle_timeout = srv->opt->idle_timeout_ns;
	p->active_connection_id_limit = CID_LIMIT;
	p->stateless_reset_token_present = 1;
	ngtcp2_crypto_generate_stateless_reset_token(p->stateless_reset_token, srv->static_secret,
						     sizeof(srv->static_secret), scid);
	if (odcid) {
		/* After a Retry: the client's first DCID, and the Retry's SCID it now uses. */
		p->original_dcid = *odcid;
		p->retry_scid = hd->dcid;
		p->retry_scid_present = 1;
	} else {
		p->original_dcid = hd->dcid;
	}
}

/* A fresh ID for a new connection's first SCID, not already in use. */
static int first_scid(struct h3s_conn *c, ngtcp2_cid *scid)
{
	uint8_t buf[NGTCP2_MAX_CIDLEN];
	int len;

	if (c->srv->opt->cid_scheme == H3S_CID_QUICLB) {
		/* the configuration all its IDs will come from */
		c->quiclb = h3s_lb_pick(&c->srv->quiclb);
		h3s_lb_hold(c->quiclb);
	}
	len = h3s_cid_fresh(c->srv, c, buf);
	if (len > 0)
		ngtcp2_cid_init(scid, buf, len);
	return len < 0 ? len : 0;
}

/* Undoes first_scid's hold. */
static void conn_quiclb_release(struct h3s_conn *c)
{
	if (c->quiclb)
		h3s_lb_release(&c->srv->quiclb, c->quiclb);
	c->quiclb = NULL;
}

static void conn_link(struct h3s_conn *c)
{
	struct h3s_server *srv = c->srv;

	DL_PREPEND(srv->conns, c);
	srv->stats.connections++;
}

/*
 * A connection for a client's acceptable first Initial (hd). odcid: the
 * DCID of its first Initial when hd's is a Retry's SCID, which was
 * reported under handle (else 0: a new handle).
 */
struct h3s_conn *h3s_conn_new(struct h3s_server *srv, struct h3s_listener *l,
			      const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
			      const ngtcp2_cid *odcid, uint64_t handle)
{
	ngtcp2_callbacks cb;
	ngtcp2_settings settings;
	ngtcp2_transport_params params;
	ngtcp2_cid scid;
	struct h3s_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->srv = srv;
	if (first_scid(c, &scid))
		goto err_free;
	c->listener = l;
	c->handle = handle ? handle : ++srv->next_handle;
	memcpy(&c->vip, path->local.addr, path->local.addrlen);
	memcpy(&c->client, path->remote.addr, path->remote.addrlen);
	conn_callbacks(&cb);
	ngtcp2_settings_default(&settings);
	settings.initial_ts = h3s_now();
	settings.max_window = MAX_CONN_WINDOW;
	settings.max_stream_window = MAX_STREAM_WINDOW;
	if (odcid)
		settings.token = hd->token;
	conn_params(srv, hd, &scid, odcid, &params);
	if (ngtcp2_conn_server_new(&c->conn, &hd->scid, &scid, path, hd->version, &cb, &settings,
				   &params, NULL, c))
		goto err_free;
	if (h3s_tls_session_new(c))
		goto err_conn;
	if (h3s_cid_add(c, scid.data, scid.datalen, H3S_CID_ISSUED) ||
	    h3s_cid_add(c, hd->dcid.data, hd->dcid.datalen, odcid ? H3S_CID_RETRY : H3S_CID_CLIENT))
		goto err_ids;
	if (srv->reporter) {
		/*
		 * quicsteer: the first SCID passes through no ngtcp2 callback:
		 * the server chose it, and reports it here.
		 */
		qs_reporter_cid_issued(srv->reporter, (struct sockaddr *)&c->vip, c->handle,
				       scid.data, scid.datalen);
		srv->report_pending = true;
	}
	conn_link(c);
	return c;

err_ids:
	h3s_cids_remove_all(c);
	gnutls_deinit(c->tls);
err_conn:
	ngtcp2_conn_del(c->conn);
err_free:
	conn_quiclb_release(c);
	free(c);
	return NULL;
}

/* Sends what a write produced; the reports of the IDs it may carry first. */
static void conn_send(struct h3s_conn *c, const ngtcp2_path *path, const uint8_t *pkt, size_t len)
{
	struct h3s_listener *l = h3s_listener_by_addr(c->srv, path->local.addr);

	/* quicsteer: an ID ngtcp2 asked for while writing is reported before it leaves */
	h3s_report_flush(c->srv);
	if (h3s_send(l ? l : c->listener, path, pkt, len) == 0) {
		c->bytes_sent += len;
		c->srv->stats.bytes_sent += len;
	}
}

/* Ends the connection with CONNECTION_CLOSE; CLOSING for three PTOs. */
static void conn_close(struct h3s_conn *c, const ngtcp2_connection_close_error *ccerr)
{
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	uint64_t now = h3s_now();
	ngtcp2_ssize n;

	if (c->state != H3S_LIVE)
		return;
	ngtcp2_path_storage_zero(&ps);
	n = ngtcp2_conn_write_connection_close(c->conn, &ps.path, &pi, c->close_pkt,
					       sizeof(c->close_pkt), ccerr, now);
	c->state = n > 0 ? H3S_CLOSING : H3S_DRAINING;
	c->close_deadline = n > 0 ? now + 3 * ngtcp2_conn_get_pto(c->conn) : now;
	if (n > 0) {
		c->close_pkt_len = n;
		conn_send(c, &ps.path, c->close_pkt, n);
	}
}

/* ngtcp2 reported liberr: close, drain or drop the connection as it says. */
void h3s_conn_fail(struct h3s_conn *c, int liberr)
{
	ngtcp2_connection_close_error ccerr;
	uint64_t now = h3s_now();

	switch (liberr) {
	case NGTCP2_ERR_DRAINING:
		c->state = H3S_DRAINING;
		c->close_deadline = now + 3 * ngtcp2_conn_get_pto(c->conn);
		return;
	case NGTCP2_ERR_DROP_CONN:
	case NGTCP2_ERR_RETRY:
	case NGTCP2_ERR_IDLE_CLOSE:
	case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
		/* Silently: nothing to say, or nobody to say it to. */
		c->state = H3S_DRAINING;
		c->close_deadline = now;
		return;
	case NGTCP2_ERR_CRYPTO:
		ngtcp2_connection_close_error_set_transport_error_tls_alert(
			&ccerr, ngtcp2_conn_get_tls_alert(c->conn), NULL, 0);
		break;
	default:
		if (c->h3_error)
			ngtcp2_connection_close_error_set_application_error(
				&ccerr, nghttp3_err_infer_quic_app_error_code(c->h3_error), NULL,
				0);
		else
			ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr,
										 NULL, 0);
	}
	conn_close(c, &ccerr);
}

void h3s_conn_read(struct h3s_conn *c, const ngtcp2_path *path, const uint8_t *data, size_t len)
{
	ngtcp2_pkt_info pi = { 0 };
	int rv;

	if (c->state == H3S_CLOSING) {
		/* RFC 9000 10.2.1: answer what still comes with the close again. */
		conn_send(c, path, c->close_pkt, c->close_pkt_len);
		return;
	}
	if (c->state == H3S_DRAINING)
		return;
	rv = ngtcp2_conn_read_pkt(c->conn, path, &pi, data, len, h3s_now());
	if (rv) {
		h3s_conn_fail(c, rv);
		return;
	}
	memcpy(&c->client, path->remote.addr, path->remote.addrlen);
	if (ngtcp2_conn_get_handshake_completed(c->conn) && h3s_http3_ensure(c)) {
		h3s_conn_fail(c, NGTCP2_ERR_INTERNAL);
		return;
	}
	c->dirty = true;
}

/* One packet: stream data nghttp3 has ready, or whatever else ngtcp2 has to send. */
static ngtcp2_ssize conn_write_one(struct h3s_conn *c, ngtcp2_path *path, ngtcp2_pkt_info *pi,
				   uint8_t *buf, size_t size, uint64_t now)
{
	for (;;) {
		nghttp3_vec vec[16];
		nghttp3_ssize nvec = 0;
		int64_t stream_id = -1;
		int fin = 0;
		ngtcp2_ssize n, ndata = -1;
		uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;

		if (c->h3 && ngtcp2_conn_get_max_data_left(c->conn)) {
			nvec = nghttp3_conn_writev_stream(c->h3, &stream_id, &fin, vec, 16);
			if (nvec < 0) {
				c->h3_error = nvec;
				return NGTCP2_ERR_CALLBACK_FAILURE;
			}
		}
		if (fin)
			flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		/* nghttp3_vec and ngtcp2_vec are the same {base, len} pair. */
		n = ngtcp2_conn_writev_stream(c->conn, path, pi, buf, size, &ndata, flags, stream_id,
					      (const ngtcp2_vec *)vec, nvec, now);
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
			nghttp3_conn_block_stream(c->h3, stream_id);
			continue;
		}
		if (n == NGTCP2_ERR_STREAM_SHUT_WR) {
			nghttp3_conn_shutdown_stream_write(c->h3, stream_id);
			continue;
		}
		if (ndata >= 0 && nghttp3_conn_add_write_offset(c->h3, stream_id, ndata))
			return NGTCP2_ERR_CALLBACK_FAILURE;
		if (n == NGTCP2_ERR_WRITE_MORE)
			continue;
		return n;
	}
}

/* Writes everything ngtcp2 will send now (congestion and pacing permitting). */
void h3s_conn_write(struct h3s_conn *c)
{
	uint8_t buf[H3S_MAX_UDP_PAYLOAD];
	uint64_t now = h3s_now();
	size_t max_pkts;

	if (c->state != H3S_LIVE)
		return;
	c->dirty = false;
	/* What ngtcp2's pacer allows in one burst; its timer brings the rest. */
	max_pkts = ngtcp2_conn_get_send_quantum(c->conn) / sizeof(buf);
	max_pkts = max_pkts < 1 ? 1 : max_pkts > 64 ? 64 : max_pkts;
	for (size_t i = 0; i < max_pkts; i++) {
		ngtcp2_path_storage ps;
		ngtcp2_pkt_info pi;
		ngtcp2_ssize n;

		ngtcp2_path_storage_zero(&ps);
		n = conn_write_one(c, &ps.path, &pi, buf, sizeof(buf), now);
		if (n < 0) {
			h3s_conn_fail(c, n);
			return;
		}
		if (n == 0)
			break;
		conn_send(c, &ps.path, buf, n);
	}
	ngtcp2_conn_update_pkt_tx_time(c->conn, now);
}

uint64_t h3s_conn_expiry(struct h3s_conn *c)
{
	return c->state == H3S_LIVE ? ngtcp2_conn_get_expiry(c->conn) : c->close_deadline;
}

/* Its timer fired: ngtcp2's (loss, ACK, idle, pacing), or the end of closing. */
void h3s_conn_on_expiry(struct h3s_conn *c, uint64_t now)
{
	int rv;

	if (c->state != H3S_LIVE) {
		if (now >= c->close_deadline)
			h3s_conn_free(c);
		return;
	}
	rv = ngtcp2_conn_handle_expiry(c->conn, now);
	if (rv)
		h3s_conn_fail(c, rv);
	else
		h3s_conn_write(c);
}

/* The server stops: CONNECTION_CLOSE (H3_NO_ERROR) now, then free it. */
void h3s_conn_shutdown(struct h3s_conn *c)
{
	ngtcp2_connection_close_error ccerr;

	ngtcp2_connection_close_error_set_application_error(&ccerr, NGHTTP3_H3_NO_ERROR, NULL, 0);
	conn_close(c, &ccerr);
	h3s_conn_free(c);
}

void h3s_conn_free(struct h3s_conn *c)
{
	struct h3s_server *srv = c->srv;

	if (srv->reporter) {
		/* quicsteer: the connection is gone: the agents drop every ID of its handle */
		qs_reporter_conn_closed(srv->reporter, c->handle);
		srv->report_pending = true;
	}
	srv->stats.closed++;
	h3s_log(srv, "conn %llu closed: %llu bytes sent, %llu requests",
		(unsigned long long)c->handle, (unsigned long long)c->bytes_sent,
		(unsigned long long)c->requests);
	h3s_cids_remove_all(c);
	conn_quiclb_release(c);
	DL_DELETE(srv->conns, c);
	h3s_http3_free(c);
	ngtcp2_conn_del(c->conn);
	gnutls_deinit(c->tls);
	free(c);
	h3s_status_write(srv);
}
