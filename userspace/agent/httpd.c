// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "httpd.h"
#include "util/log.h"
#include "util/words.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct qs_httpd {
	struct MHD_Daemon *daemon;
	qs_httpd_render_fn render;
	void *ctx;
	__u16 port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, char *body,
			     size_t len, const char *type)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	char *body = strdup(text);

	return body ? reply(conn, status, body, strlen(body), "text/plain") : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct qs_httpd *h = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *out;
	int err;

	(void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "try /metrics\n");
	out = open_memstream(&body, &len);
	if (!out)
		return MHD_NO;
	err = h->render(h->ctx, out);
	fclose(out);
	if (err) {
		free(body);
		pr_warn("metrics: cannot render: %s\n", strerror(-err));
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable\n");
	}
	return reply(conn, MHD_HTTP_OK, body, len, METRICS_CONTENT_TYPE);
}

static struct MHD_Daemon *daemon_start(struct qs_httpd *h, const struct qs_addr *addr, __u8 family,
				       __u16 port)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const struct qs_addr_port ap = { .addr = *addr, .port = port, .family = family };
	struct sockaddr_storage ss;

	if (!qs_addr_port_sockaddr(&ap, &ss))
		return NULL;
	if (family == QS_AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
}

struct qs_httpd *qs_httpd_start(const struct qs_addr *addr, __u8 family, __u16 port,
				qs_httpd_render_fn render, void *ctx)
{
	struct qs_httpd *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;

	if (!h)
		return NULL;
	h->render = render;
	h->ctx = ctx;
	h->daemon = daemon_start(h, addr, family, port);
	if (!h->daemon) {
		pr_warn("metrics: cannot listen on port %u\n", port);
		free(h);
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	return h;
}

__u16 qs_httpd_port(const struct qs_httpd *h)
{
	return h->port;
}

void qs_httpd_stop(struct qs_httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
