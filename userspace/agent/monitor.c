// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `v1 monitor` (docs/control-protocol.md): the connection stays open and
 * each ring-buffer event and each report datagram becomes one JSON message
 * to every subscriber. A subscriber never slows the agent: sends do not
 * block, a message that does not fit in the subscriber's socket buffer is
 * dropped and counted, and the count goes to it in a "lost" message as
 * soon as one fits again. Nothing is built while nobody listens. The
 * events thread owns the subscribers: the main thread hands it each
 * monitor connection, the intake thread copies of report datagrams.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>
#include "agent.h"
#include "util/log.h"
#include "util/words.h"

#define MONITOR_MAX_SUBSCRIBERS 16
#define MONITOR_JSON (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct subscriber {
	int fd;
	__u64 lost; /* messages dropped since the last one that went */
};

struct agent_monitor {
	struct subscriber subs[MONITOR_MAX_SUBSCRIBERS];
	int n;
};

struct agent_monitor *agent_monitor_new(void)
{
	return calloc(1, sizeof(struct agent_monitor));
}

static void unsubscribe(struct agent_monitor *m, int epoll_fd, int i)
{
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, m->subs[i].fd, NULL);
	close(m->subs[i].fd);
	m->subs[i] = m->subs[--m->n];
	pr_debug("monitor: a subscriber left (%d remain)\n", m->n);
}

void agent_monitor_free(struct agent_monitor *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++)
		close(m->subs[i].fd);
	free(m);
}

/* The subscription's answer, or an error and the connection closed. */
int agent_monitor_subscribe(struct agent_monitor *m, int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	char answer[128];
	int err = 0;

	if (m->n == MONITOR_MAX_SUBSCRIBERS) {
		snprintf(answer, sizeof(answer),
			 "{\"ok\":false,\"error\":\"monitor: already %d subscribers\"}",
			 MONITOR_MAX_SUBSCRIBERS);
		err = -EBUSY;
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
		   epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		snprintf(answer, sizeof(answer), "{\"ok\":false,\"error\":\"monitor: %s\"}",
			 strerror(-err));
	} else {
		snprintf(answer, sizeof(answer), "{\"monitor\":true,\"ok\":true}");
	}
	if (send(fd, answer, strlen(answer), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && !err) {
		err = -errno;
		epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	}
	if (err) {
		close(fd);
		return err;
	}
	m->subs[m->n++] = (struct subscriber){ .fd = fd };
	pr_debug("monitor: a subscriber joined (%d now)\n", m->n);
	return 0;
}

/* A subscriber says nothing after its request: readable means it left. */
void agent_monitor_readable(struct agent_monitor *m, int epoll_fd, int fd)
{
	char buf[256];

	for (int i = 0; i < m->n; i++) {
		if (m->subs[i].fd != fd)
			continue;
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN)
			return;
		unsubscribe(m, epoll_fd, i);
		return;
	}
}

int agent_monitor_count(const struct agent_monitor *m)
{
	return m ? m->n : 0;
}

/* Messages that never reached the monitor: each subscriber is told. */
void agent_monitor_lost(struct agent_monitor *m, __u64 n)
{
	for (int i = 0; i < m->n; i++)
		m->subs[i].lost += n;
}

/* 0 sent, -EAGAIN no room, other -errno: the subscriber is gone. */
static int send_text(int fd, const char *text)
{
	return send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* msg to every subscriber; takes msg. */
static void broadcast(struct agent_monitor *m, int epoll_fd, json_object *msg)
{
	const char *text = json_object_to_json_string_ext(msg, MONITOR_JSON);
	char lost[96];

	for (int i = m->n - 1; i >= 0; i--) {
		struct subscriber *s = &m->subs[i];
		int err = 0;

		if (s->lost) {
			snprintf(lost, sizeof(lost), "{\"type\":\"lost\",\"count\":%llu}",
				 (unsigned long long)s->lost);
			err = send_text(s->fd, lost);
			if (!err)
				s->lost = 0;
		}
		if (!err)
			err = send_text(s->fd, text);
		if (err == -EAGAIN || err == -ENOBUFS)
			s->lost++;
		else if (err)
			unsubscribe(m, epoll_fd, i);
	}
	json_object_put(msg);
}

static void add_named(json_object *o, const char *idk, const char *namek, __u32 id,
		      const char *name)
{
	json_object_object_add(o, idk, json_object_new_int64(id));
	json_object_object_add(o, namek, name ? json_object_new_string(name) : NULL);
}

static const char *const event_types[] = {
	[QS_EV_LEARNED_CID] = "learned_cid",
	[QS_EV_UNKNOWN_CID] = "unknown_cid",
	[QS_EV_NEW_FLOW] = "new_flow",
};

void agent_monitor_event(struct agent_monitor *m, int epoll_fd, const struct agent_view *v,
			 const struct qs_event *ev)
{
	char addr[INET6_ADDRSTRLEN], hex[2 * QS_CID_MAX_LEN + 1];
	json_object *o;

	if (!m->n)
		return;
	o = json_object_new_object();
	json_object_object_add(
		o, "type",
		json_object_new_string(ev->type < sizeof(event_types) / sizeof(event_types[0]) &&
					       event_types[ev->type] ?
				       event_types[ev->type] :
				       "unknown_event"));
	json_object_object_add(o, "ts_ns", json_object_new_int64(ev->ts_ns));
	add_named(o, "vip_id", "vip", ev->vip_id, agent_view_vip_name(v, ev->vip_id));
	add_named(o, "backend_id", "backend", ev->backend_id,
		  agent_view_backend_name(v, ev->backend_id));
	qs_format_addr(&ev->client, ev->family, addr, sizeof(addr));
	json_object_object_add(o, "client", json_object_new_string(addr));
	json_object_object_add(o, "client_port", json_object_new_int(ntohs(ev->client_port)));
	qs_format_hex(ev->cid, ev->cid_len < QS_CID_MAX_LEN ? ev->cid_len : QS_CID_MAX_LEN, hex,
			  sizeof(hex));
	json_object_object_add(o, "cid", json_object_new_string(hex));
	broadcast(m, epoll_fd, o);
}

/* Records by type of an accepted datagram (verified again: only while monitored). */
static void report_counts(const struct agent_view *v, const void *buf, size_t len,
			  __u32 backend_id, json_object *o)
{
	static const char *const names[] = {
		[QS_REPORT_CID_ISSUED] = "issued",	  [QS_REPORT_CID_RETIRED] = "retired",
		[QS_REPORT_HANDSHAKE_DONE] = "handshakes", [QS_REPORT_CONN_CLOSED] = "closed",
		[QS_REPORT_HEARTBEAT] = "heartbeats",	  [QS_REPORT_DRAIN] = "drains",
		[QS_REPORT_SNAPSHOT_PART] = "snapshot_parts", [QS_REPORT_SNAPSHOT_CID] = "snapshot_ids",
	};
	unsigned int counts[sizeof(names) / sizeof(names[0])] = { 0 }, total = 0;
	struct qs_report_reader rd;
	struct qs_report_record rec;

	if (backend_id >= QS_MAX_BACKENDS || !v->backends[backend_id].has_key ||
	    qs_report_verify(&rd, buf, len, v->backends[backend_id].key) != QS_REPORT_OK)
		return;
	while (qs_report_next(&rd, &rec) == 1) {
		total++;
		if (rec.type < sizeof(names) / sizeof(names[0]))
			counts[rec.type]++;
	}
	json_object_object_add(o, "records", json_object_new_int(total));
	for (size_t t = 1; t < sizeof(names) / sizeof(names[0]); t++)
		json_object_object_add(o, names[t], json_object_new_int(counts[t]));
}

void agent_monitor_report(struct agent_monitor *m, int epoll_fd, const struct agent_view *v,
			  const struct agent_report_notice *n)
{
	struct qs_report_header h;
	char inc[17];
	json_object *o;
	bool has_header;

	if (!m->n)
		return;
	o = json_object_new_object();
	has_header = qs_report_check(n->buf, n->len, &h) == QS_REPORT_OK;
	json_object_object_add(o, "type", json_object_new_string("report"));
	json_object_object_add(o, "verdict",
			       json_object_new_string(qs_report_reason_name(n->reason)));
	json_object_object_add(o, "bytes", json_object_new_int64(n->len));
	if (has_header) {
		/* of a refused datagram, what the header claims */
		add_named(o, "backend_id", "backend", h.backend_id,
			  agent_view_backend_name(v, h.backend_id));
		snprintf(inc, sizeof(inc), "%016llx", (unsigned long long)h.incarnation);
		json_object_object_add(o, "incarnation", json_object_new_string(inc));
		json_object_object_add(o, "sequence", json_object_new_int64(h.sequence));
		json_object_object_add(o, "version", json_object_new_int(h.version));
		/* how old the agent's clock found it: what report-window judges */
		if (h.timestamp)
			json_object_object_add(
				o, "age_ms",
				json_object_new_int64((__s64)(n->wall_ns - h.timestamp) / 1000000));
	} else {
		json_object_object_add(o, "backend_id", NULL);
	}
	if (has_header && n->reason == QS_REPORT_OK)
		report_counts(v, n->buf, n->len, h.backend_id, o);
	broadcast(m, epoll_fd, o);
}
