// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the server tells its operator: one log line per event on stderr
 * (unless --quiet), and the status file, JSON rewritten whole (a
 * temporary file renamed over it) after every handshake and close and at
 * exit, so a reader never sees half of it:
 *
 *   {"backend_id":N,"connections":N,"handshakes":N,"closed":N,"active":N,
 *    "requests":N,"bytes_sent":N,"cids_issued":N,"cids_retired":N,
 *    "retries_sent":N,"refused":N,"reports_sent":N,"report_errors":N,
 *    "quiclb":[...]}
 *
 * connections: accepted (a connection made for a first Initial);
 * bytes_sent: UDP payload bytes, every packet of every connection and
 * every Retry; cids_issued / cids_retired: IDs given out (first SCIDs,
 * NEW_CONNECTION_ID, Retry SCIDs) and IDs no longer live (retired by the
 * client, or gone with their connection or their unused Retry), so
 * issued - retired is what the agents should hold; refused: clients'
 * first Initials refused with --max-connections alive (one a client,
 * unless the answer was lost and it sent again); reports_sent /
 * report_errors: report datagrams the agents took or not, summed over them;
 * quiclb: the QUIC-LB configurations held (quiclb.c, h3s_lb_status).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include "h3server.h"
#include "util/fileio.h"

const char *h3s_addr_str(const struct sockaddr *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)a;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (a->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)a;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(s4->sin_port));
	} else {
		snprintf(buf, size, "(family %u)", a->sa_family);
	}
	return buf;
}

void h3s_log(struct h3s_server *srv, const char *fmt, ...)
{
	va_list ap;

	if (srv->opt->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void status_json(FILE *f, void *ctx)
{
	struct h3s_server *srv = ctx;
	const struct h3s_stats *s = &srv->stats;

	fprintf(f,
		"{\"backend_id\":%u,\"connections\":%llu,\"handshakes\":%llu,\"closed\":%llu,"
		"\"active\":%llu,\"requests\":%llu,\"bytes_sent\":%llu,\"cids_issued\":%llu,"
		"\"cids_retired\":%llu,\"retries_sent\":%llu,\"refused\":%llu,"
		"\"reports_sent\":%llu,\"report_errors\":%llu,\"quiclb\":",
		srv->opt->backend_id, (unsigned long long)s->connections,
		(unsigned long long)s->handshakes, (unsigned long long)s->closed,
		(unsigned long long)(s->connections - s->closed), (unsigned long long)s->requests,
		(unsigned long long)s->bytes_sent, (unsigned long long)s->cids_issued,
		(unsigned long long)s->cids_retired, (unsigned long long)s->retries_sent,
		(unsigned long long)s->refused, (unsigned long long)s->reports_sent,
		(unsigned long long)s->report_errors);
	h3s_lb_status(&srv->quiclb, f);
	fputs("}\n", f);
}

void h3s_status_write(struct h3s_server *srv)
{
	if (!srv->opt->status_file)
		return;
	h3s_report_counts(srv);
	if (qs_file_replace(srv->opt->status_file, status_json, srv))
		fprintf(stderr, "qs-h3server: --status-file %s: cannot write it\n",
			srv->opt->status_file);
}
