// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `v1 monitor` (docs/control-protocol.md): the connection stays open and
 * each ring-buffer event and each report datagram becomes one JSON message
 * to every subscriber. A subscriber never slows the agent: sends do not
 * block, a message that does not fit in the subscriber's socket buffer is
 * dropped and counted, and the count goes to it in a "lost" message as
 * soon as one fits again. Nothing is built while nobody listens.
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
#include "log.h"

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

static void unsubscribe(struct agent *a, int i)
{
	struct agent_monitor *m = a->monitor;

	epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, m->subs[i].fd, NULL);
	close(m->subs[i].fd);
	m->subs[i] = m->subs[--m->n];
	pr_debug("monitor: a subscriber left (%d remain)\n", m->n);
}

void agent_monitor_subscribe(struct agent *a, int fd, struct agent_reply *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	struct agent_monitor *m;

	if (!a->monitor && !(a->monitor = calloc(1, sizeof(*a->monitor)))) {
		agent_reply_error(r, "monitor: out of memory");
		return;
	}
	m = a->monitor;
	if (m->n == MONITOR_MAX_SUBSCRIBERS) {
		agent_reply_error(r, "monitor: already %d subscribers", MONITOR_MAX_SUBSCRIBERS);
		return;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
	    epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		agent_reply_error(r, "monitor: %s", strerror(errno));
		return;
	}
	m->subs[m->n++] = (struct subscriber){ .fd = fd };
	r->keep_fd = 1;
	r->o = json_object_new_object();
	json_object_object_add(r->o, "monitor", json_object_new_boolean(1));
	pr_debug("monitor: a subscriber joined (%d now)\n", m->n);
}

bool agent_monitor_owns(struct agent *a, int fd)
{
	for (int i = 0; a->monitor && i < a->monitor->n; i++)
		if (a->monitor->subs[i].fd == fd)
			return true;
	return false;
}

/* A subscriber says nothing after its request: readable means it left. */
void agent_monitor_readable(struct agent *a, int fd)
{
	char buf[256];

	for (int i = 0; i < a->monitor->n; i++) {
		if (a->monitor->subs[i].fd != fd)
			continue;
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN)
			return;
		unsubscribe(a, i);
		return;
	}
}

int agent_monitor_count(const struct agent *a)
{
	return a->monitor ? a->monitor->n : 0;
}

bool agent_monitor_active(const struct agent *a)
{
	return agent_monitor_count(a) > 0;
}

void agent_monitor_close(struct agent *a)
{
	while (agent_monitor_active(a))
		unsubscribe(a, a->monitor->n - 1);
	free(a->monitor);
	a->monitor = NULL;
}

/* 0 sent, -EAGAIN no room, other -errno: the subscriber is gone. */
static int send_text(int fd, const char *text)
{
	return send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* msg to every subscriber; takes msg. */
static void broadcast(struct agent *a, json_object *msg)
{
	const char *text = json_object_to_json_string_ext(msg, MONITOR_JSON);
	struct agent_monitor *m = a->monitor;
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
			unsubscribe(a, i);
	}
	json_object_put(msg);
}

static const char *vip_name_of(const struct qs_config *c, __u32 id)
{
	for (size_t i = 0; i < c->n_vips; i++)
		if (c->vips[i].id == id)
			return c->vips[i].name;
	return NULL;
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

void agent_monitor_event(struct agent *a, const struct qs_event *ev)
{
	const struct qs_config_backend *be;
	struct qs_config_addr client = { .addr = ev->client, .family = ev->family };
	char addr[INET6_ADDRSTRLEN], hex[2 * QS_CID_MAX_LEN + 1];
	json_object *o;

	if (!agent_monitor_active(a))
		return;
	o = json_object_new_object();
	json_object_object_add(
		o, "type",
		json_object_new_string(ev->type < sizeof(event_types) / sizeof(event_types[0]) &&
					       event_types[ev->type] ?
				       event_types[ev->type] :
				       "unknown_event"));
	json_object_object_add(o, "ts_ns", json_object_new_int64(ev->ts_ns));
	add_named(o, "vip_id", "vip", ev->vip_id, vip_name_of(a->cfg, ev->vip_id));
	be = qs_config_find_backend_id(a->cfg, ev->backend_id);
	add_named(o, "backend_id", "backend", ev->backend_id, be ? be->name : NULL);
	json_object_object_add(o, "client",
			       json_object_new_string(qs_config_addr_str(&client, addr, sizeof(addr))));
	json_object_object_add(o, "client_port", json_object_new_int(ntohs(ev->client_port)));
	qs_config_hex_str(ev->cid, ev->cid_len < QS_CID_MAX_LEN ? ev->cid_len : QS_CID_MAX_LEN, hex,
			  sizeof(hex));
	json_object_object_add(o, "cid", json_object_new_string(hex));
	broadcast(a, o);
}

/* Records by type of an accepted datagram (verified again: only while monitored). */
static void report_counts(struct agent *a, const void *buf, size_t len, __u32 backend_id,
			  json_object *o)
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

	if (backend_id >= QS_MAX_BACKENDS || !a->has_key[backend_id] ||
	    qs_report_verify(&rd, buf, len, a->keys[backend_id]) != QS_REPORT_OK)
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

void agent_monitor_report(struct agent *a, const void *buf, size_t len, int reason)
{
	const struct qs_config_backend *be;
	struct qs_report_header h;
	char inc[17];
	json_object *o = json_object_new_object();
	bool has_header = qs_report_check(buf, len, &h) == QS_REPORT_OK;

	json_object_object_add(o, "type", json_object_new_string("report"));
	json_object_object_add(o, "verdict", json_object_new_string(qs_report_reason_name(reason)));
	json_object_object_add(o, "bytes", json_object_new_int64(len));
	if (has_header) {
		/* of a refused datagram, what the header claims */
		be = qs_config_find_backend_id(a->cfg, h.backend_id);
		add_named(o, "backend_id", "backend", h.backend_id, be ? be->name : NULL);
		snprintf(inc, sizeof(inc), "%016llx", (unsigned long long)h.incarnation);
		json_object_object_add(o, "incarnation", json_object_new_string(inc));
		json_object_object_add(o, "sequence", json_object_new_int64(h.sequence));
	} else {
		json_object_object_add(o, "backend_id", NULL);
	}
	if (has_header && reason == QS_REPORT_OK)
		report_counts(a, buf, len, h.backend_id, o);
	broadcast(a, o);
}
