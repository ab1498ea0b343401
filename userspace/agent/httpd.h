/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's HTTP endpoint, on libmicrohttpd: GET /metrics answers with
 * whatever the render callback writes, as Prometheus text; anything else
 * is 404, any method but GET and HEAD 405. libmicrohttpd runs its own
 * thread, so the callback must take whatever lock guards what it reads.
 */
#ifndef QS_HTTPD_H
#define QS_HTTPD_H

#include <stdio.h>
#include <linux/types.h>
#include "abi/abi.h"

/* Writes the response body; 0 or -errno (a failure answers 500). */
typedef int (*qs_httpd_render_fn)(void *ctx, FILE *out);

struct qs_httpd;

/* addr/family as in struct qs_addr; port 0 picks a free port. */
struct qs_httpd *qs_httpd_start(const struct qs_addr *addr, __u8 family, __u16 port,
				qs_httpd_render_fn render, void *ctx);
/* The port it listens on. */
__u16 qs_httpd_port(const struct qs_httpd *h);
void qs_httpd_stop(struct qs_httpd *h);

#endif /* QS_HTTPD_H */
