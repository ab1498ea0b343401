// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The metrics endpoint over a real TCP connection on the loopback: GET
 * /metrics returns what the render callback wrote with the Prometheus
 * content type; other paths, other methods and a failing render get their
 * own statuses. Guards against a scrape that silently returns nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <criterion/criterion.h>
#include "agent/httpd.h"

static int render_ok(void *ctx, FILE *out)
{
	(void)ctx;
	fputs("# TYPE quicsteer_test_total counter\nquicsteer_test_total 42\n", out);
	return 0;
}

static int render_fail(void *ctx, FILE *out)
{
	(void)ctx, (void)out;
	return -EIO;
}

/*
 * How long a request waits for the server to answer and close: an upper
 * bound only, generous for slow or busy machines (TESTBED.md), so that a
 * server that never answers fails the test instead of hanging it.
 */
#define ANSWER_TIMEOUT_S 30

/* One request on a fresh connection; the whole response into buf. */
static void request(__u16 port, const char *req, char *buf, size_t cap)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	size_t got = 0;
	ssize_t n = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "connect: %s",
		     strerror(errno));
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += n;
	cr_assert(n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK),
		  "the server did not answer and close within %d s (got %zu bytes: %.*s)",
		  ANSWER_TIMEOUT_S, got, (int)got, buf);
	buf[got] = 0;
	close(fd);
}

static struct qs_httpd *start(qs_httpd_render_fn render)
{
	struct qs_addr lo = { .addr = { htonl(INADDR_LOOPBACK) } };
	struct qs_httpd *h = qs_httpd_start(&lo, QS_AF_INET, 0, render, NULL);

	cr_assert_not_null(h, "cannot start: %s", strerror(errno));
	cr_assert_gt(qs_httpd_port(h), 0);
	return h;
}

Test(httpd, get_metrics)
{
	struct qs_httpd *h = start(render_ok);
	char resp[4096];

	request(qs_httpd_port(h), "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	cr_assert(!strncmp(resp, "HTTP/1.0 200", 12) || !strncmp(resp, "HTTP/1.1 200", 12),
		  "status line: %.40s", resp);
	cr_assert_not_null(strstr(resp, "text/plain; version=0.0.4"), "content type in: %s", resp);
	cr_assert_not_null(strstr(resp, "\r\n\r\n# TYPE quicsteer_test_total counter\n"
					"quicsteer_test_total 42\n"),
			   "body in: %s", resp);
	qs_httpd_stop(h);
}

Test(httpd, other_paths_and_methods)
{
	struct qs_httpd *h = start(render_ok);
	char resp[4096];

	request(qs_httpd_port(h), "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	cr_assert_not_null(strstr(resp, " 404 "), "GET /: %.40s", resp);
	request(qs_httpd_port(h), "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", resp,
		sizeof(resp));
	cr_assert_not_null(strstr(resp, " 405 "), "POST: %.40s", resp);
	qs_httpd_stop(h);
}

Test(httpd, failing_render_is_500)
{
	struct qs_httpd *h = start(render_fail);
	char resp[4096];

	request(qs_httpd_port(h), "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	cr_assert_not_null(strstr(resp, " 500 "), "status: %.40s", resp);
	qs_httpd_stop(h);
}
