// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * HTTP/3 on nghttp3: ngtcp2's stream events go to nghttp3, nghttp3's
 * requests come back as responses (GET only; body.c says what each path
 * returns). Nothing here concerns quicsteer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "h3server.h"

#define MAX_PATH_LEN 1024

struct h3s_stream {
	struct h3s_stream *next, *prev; /* the connection's streams */
	struct h3s_conn *c;
	int64_t id;
	char method[16];
	char path[MAX_PATH_LEN];
	struct h3s_body *body;
	char status[8], length[24]; /* header values, alive as long as the stream */
};

static struct h3s_stream *stream_new(struct h3s_conn *c, int64_t id)
{
	struct h3s_stream *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->c = c;
	st->id = id;
	DL_PREPEND(c->streams, st);
	return st;
}

static void stream_free(struct h3s_stream *st)
{
	DL_DELETE(st->c->streams, st);
	if (st->body)
		h3s_body_free(st->body);
	free(st);
}

/* ---- nghttp3's callbacks ---- */

static int begin_headers(nghttp3_conn *h3, int64_t id, void *conn_data, void *stream_data)
{
	struct h3s_stream *st = stream_data ? stream_data : stream_new(conn_data, id);

	if (!st)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	return nghttp3_conn_set_stream_user_data(h3, id, st);
}

static void copy_value(char *dst, size_t size, nghttp3_rcbuf *value)
{
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
	/* Too long to be anything served here: keep a prefix that matches nothing. */
	size_t n = v.len < size - 1 ? v.len : size - 1;

	memcpy(dst, v.base, n);
	dst[n] = 0;
}

static int recv_header(nghttp3_conn *h3, int64_t id, int32_t token, nghttp3_rcbuf *name,
		       nghttp3_rcbuf *value, uint8_t flags, void *conn_data, void *stream_data)
{
	struct h3s_stream *st = stream_data;

	(void)h3, (void)id, (void)name, (void)flags, (void)conn_data;
	if (token == NGHTTP3_QPACK_TOKEN__METHOD)
		copy_value(st->method, sizeof(st->method), value);
	else if (token == NGHTTP3_QPACK_TOKEN__PATH)
		copy_value(st->path, sizeof(st->path), value);
	return 0;
}

static nghttp3_ssize read_body(nghttp3_conn *h3, int64_t id, nghttp3_vec *vec, size_t veccnt,
			       uint32_t *pflags, void *conn_data, void *stream_data)
{
	struct h3s_stream *st = stream_data;

	(void)h3, (void)id, (void)conn_data;
	return h3s_body_read(st->body, vec, veccnt, pflags);
}

/* The request is complete: answer it. */
static int end_stream(nghttp3_conn *h3, int64_t id, void *conn_data, void *stream_data)
{
	static const nghttp3_data_reader reader = { .read_data = read_body };
	struct h3s_conn *c = conn_data;
	struct h3s_stream *st = stream_data;
	unsigned int status = 405;
	uint64_t length = 0;
	nghttp3_nv nva[2];

	if (!st)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	c->requests++;
	c->srv->stats.requests++;
	if (!strcmp(st->method, "GET") && h3s_body_open(c->srv, st->path, &st->body, &status, &length))
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	snprintf(st->status, sizeof(st->status), "%u", status);
	snprintf(st->length, sizeof(st->length), "%llu", (unsigned long long)length);
	nva[0] = (nghttp3_nv){ (uint8_t *)":status", (uint8_t *)st->status, 7, strlen(st->status),
			       NGHTTP3_NV_FLAG_NO_COPY_NAME | NGHTTP3_NV_FLAG_NO_COPY_VALUE };
	nva[1] = (nghttp3_nv){ (uint8_t *)"content-length", (uint8_t *)st->length, 14,
			       strlen(st->length),
			       NGHTTP3_NV_FLAG_NO_COPY_NAME | NGHTTP3_NV_FLAG_NO_COPY_VALUE };
	return nghttp3_conn_submit_response(h3, id, nva, 2, st->body ? &reader : NULL);
}

/* Body bytes the client acknowledged: file chunks can go, reading resume. */
static int acked_body(nghttp3_conn *h3, int64_t id, uint64_t n, void *conn_data,
		      void *stream_data)
{
	struct h3s_stream *st = stream_data;

	(void)conn_data;
	if (st && st->body && h3s_body_acked(st->body, n))
		return nghttp3_conn_resume_stream(h3, id);
	return 0;
}

static int h3_stream_close(nghttp3_conn *h3, int64_t id, uint64_t code, void *conn_data,
			   void *stream_data)
{
	(void)h3, (void)id, (void)code, (void)conn_data;
	if (stream_data)
		stream_free(stream_data);
	return 0;
}

/* Request body bytes (ignored) and bytes QPACK held back: flow-control credit. */
static int consumed(nghttp3_conn *h3, int64_t id, size_t n, void *conn_data, void *stream_data)
{
	struct h3s_conn *c = conn_data;

	(void)h3, (void)stream_data;
	ngtcp2_conn_extend_max_stream_offset(c->conn, id, n);
	ngtcp2_conn_extend_max_offset(c->conn, n);
	return 0;
}

static int recv_data(nghttp3_conn *h3, int64_t id, const uint8_t *data, size_t n,
		     void *conn_data, void *stream_data)
{
	(void)data;
	return consumed(h3, id, n, conn_data, stream_data);
}

static int stop_sending(nghttp3_conn *h3, int64_t id, uint64_t code, void *conn_data,
			void *stream_data)
{
	(void)h3, (void)stream_data;
	ngtcp2_conn_shutdown_stream_read(((struct h3s_conn *)conn_data)->conn, id, code);
	return 0;
}

static int reset_stream(nghttp3_conn *h3, int64_t id, uint64_t code, void *conn_data,
			void *stream_data)
{
	(void)h3, (void)stream_data;
	ngtcp2_conn_shutdown_stream_write(((struct h3s_conn *)conn_data)->conn, id, code);
	return 0;
}

/* The HTTP/3 layer, once the handshake is done: nghttp3 and its three streams. */
int h3s_http3_ensure(struct h3s_conn *c)
{
	static const nghttp3_callbacks cb = {
		.acked_stream_data = acked_body,
		.stream_close = h3_stream_close,
		.recv_data = recv_data,
		.deferred_consume = consumed,
		.begin_headers = begin_headers,
		.recv_header = recv_header,
		.end_stream = end_stream,
		.stop_sending = stop_sending,
		.reset_stream = reset_stream,
	};
	nghttp3_settings settings;
	int64_t ctrl, qenc, qdec;

	if (c->h3)
		return 0;
	if (ngtcp2_conn_get_streams_uni_left(c->conn) < 3)
		return -EPROTO;
	nghttp3_settings_default(&settings);
	if (nghttp3_conn_server_new(&c->h3, &cb, &settings, NULL, c))
		return -ENOMEM;
	nghttp3_conn_set_max_client_streams_bidi(
		c->h3, ngtcp2_conn_get_local_transport_params(c->conn)->initial_max_streams_bidi);
	if (ngtcp2_conn_open_uni_stream(c->conn, &ctrl, NULL) ||
	    nghttp3_conn_bind_control_stream(c->h3, ctrl) ||
	    ngtcp2_conn_open_uni_stream(c->conn, &qenc, NULL) ||
	    ngtcp2_conn_open_uni_stream(c->conn, &qdec, NULL) ||
	    nghttp3_conn_bind_qpack_streams(c->h3, qenc, qdec))
		return -EPROTO;
	return 0;
}

void h3s_http3_free(struct h3s_conn *c)
{
	/* nghttp3_conn_del calls no stream_close: free what is left here. */
	while (c->streams)
		stream_free(c->streams);
	nghttp3_conn_del(c->h3);
	c->h3 = NULL;
}

/* ---- ngtcp2's stream callbacks, passed on to nghttp3 ---- */

static int recv_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t offset,
			    const uint8_t *data, size_t len, void *user_data, void *stream_data)
{
	struct h3s_conn *c = user_data;
	nghttp3_ssize n;

	(void)offset, (void)stream_data;
	if (h3s_http3_ensure(c))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	n = nghttp3_conn_read_stream(c->h3, id, data, len, flags & NGTCP2_STREAM_DATA_FLAG_FIN);
	if (n < 0) {
		c->h3_error = n;
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	ngtcp2_conn_extend_max_stream_offset(conn, id, n);
	ngtcp2_conn_extend_max_offset(conn, n);
	return 0;
}

static int acked_stream_data_offset(ngtcp2_conn *conn, int64_t id, uint64_t offset,
				    uint64_t len, void *user_data, void *stream_data)
{
	struct h3s_conn *c = user_data;
	int rv;

	(void)conn, (void)offset, (void)stream_data;
	rv = c->h3 ? nghttp3_conn_add_ack_offset(c->h3, id, len) : 0;
	if (rv) {
		c->h3_error = rv;
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static int stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t code,
			void *user_data, void *stream_data)
{
	struct h3s_conn *c = user_data;
	int rv;

	(void)stream_data;
	if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
		code = NGHTTP3_H3_NO_ERROR;
	rv = c->h3 ? nghttp3_conn_close_stream(c->h3, id, code) : 0;
	if (rv && rv != NGHTTP3_ERR_STREAM_NOT_FOUND) {
		c->h3_error = rv;
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	/* A request stream done: the client may open another. */
	if (!ngtcp2_conn_is_local_stream(conn, id) && ngtcp2_is_bidi_stream(id))
		ngtcp2_conn_extend_max_streams_bidi(conn, 1);
	return 0;
}

static int stream_reset(ngtcp2_conn *conn, int64_t id, uint64_t final_size, uint64_t code,
			void *user_data, void *stream_data)
{
	struct h3s_conn *c = user_data;

	(void)conn, (void)final_size, (void)code, (void)stream_data;
	return c->h3 && nghttp3_conn_shutdown_stream_read(c->h3, id) ? NGTCP2_ERR_CALLBACK_FAILURE :
								       0;
}

static int stream_stop_sending(ngtcp2_conn *conn, int64_t id, uint64_t code, void *user_data,
			       void *stream_data)
{
	return stream_reset(conn, id, 0, code, user_data, stream_data);
}

static int extend_max_remote_streams_bidi(ngtcp2_conn *conn, uint64_t max, void *user_data)
{
	struct h3s_conn *c = user_data;

	(void)conn;
	if (c->h3)
		nghttp3_conn_set_max_client_streams_bidi(c->h3, max);
	return 0;
}

static int extend_max_stream_data(ngtcp2_conn *conn, int64_t id, uint64_t max, void *user_data,
				  void *stream_data)
{
	struct h3s_conn *c = user_data;

	(void)conn, (void)max, (void)stream_data;
	return c->h3 && nghttp3_conn_unblock_stream(c->h3, id) ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

void h3s_http3_callbacks(ngtcp2_callbacks *cb)
{
	cb->recv_stream_data = recv_stream_data;
	cb->acked_stream_data_offset = acked_stream_data_offset;
	cb->stream_close = stream_close;
	cb->stream_reset = stream_reset;
	cb->stream_stop_sending = stream_stop_sending;
	cb->extend_max_remote_streams_bidi = extend_max_remote_streams_bidi;
	cb->extend_max_stream_data = extend_max_stream_data;
}
