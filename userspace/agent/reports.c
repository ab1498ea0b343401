// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Report listeners, backend keys, and the callbacks intake asks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "agent.h"
#include "log.h"

#define REPORT_RCVBUF (8 << 20)

/* Reads every backend's key first, so a bad file changes nothing. */
int agent_keys_load(struct agent *a, const struct qs_config *cfg)
{
	static __u8 keys[QS_MAX_BACKENDS][QS_REPORT_KEY_LEN];
	static bool has[QS_MAX_BACKENDS];
	int err;

	memset(has, 0, sizeof(has));
	for (size_t i = 0; i < cfg->n_backends; i++) {
		const struct qs_config_backend *be = &cfg->backends[i];

		if (!be->key_file)
			continue;
		err = qs_report_key_read(be->key_file, keys[be->id]);
		if (err) {
			pr_warn("backend %s: key file %s: %s\n", be->name, be->key_file,
				err == -EINVAL ? "not 64 hex digits" : strerror(-err));
			return err;
		}
		has[be->id] = true;
	}
	memcpy(a->keys, keys, sizeof(keys));
	memcpy(a->has_key, has, sizeof(has));
	return 0;
}

static int key_of(void *ctx, __u32 id, const __u8 **key)
{
	struct agent *a = ctx;

	if (id >= QS_MAX_BACKENDS || !a->has_key[id] || !qs_config_find_backend_id(a->cfg, id))
		return -ENOENT;
	*key = a->keys[id];
	return 0;
}

/* A backend may report IDs only on the VIPs it serves. */
static int vip_of(void *ctx, __u32 backend_id, const struct qs_report_endpoint *ep, __u32 *vip_id)
{
	const struct qs_config_backend *be;
	struct agent *a = ctx;

	be = qs_config_find_backend_id(a->cfg, backend_id);
	for (size_t i = 0; be && i < a->cfg->n_vips; i++) {
		const struct qs_config_vip *v = &a->cfg->vips[i];

		if (v->addr.family == ep->family && htons(v->port) == ep->port &&
		    !memcmp(&v->addr.addr, &ep->addr, sizeof(ep->addr)) &&
		    qs_config_backend_serves(be, v->name)) {
			*vip_id = v->id;
			return 0;
		}
	}
	return -ENOENT;
}

struct qs_intake *agent_intake_new(struct agent *a)
{
	return qs_intake_new(a->cidreg, key_of, vip_of, a);
}

static int listener_open(const struct qs_config_listener *l)
{
	struct sockaddr_storage ss = { 0 };
	int fd, one = 1, rcvbuf = REPORT_RCVBUF;
	socklen_t len;

	if (l->kind == QS_LISTEN_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", l->path);
		unlink(l->path); /* a previous agent's socket */
		len = sizeof(*sun);
	} else if (l->addr.family == QS_AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, &l->addr.addr, 16);
		sin6->sin6_port = htons(l->port);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = l->addr.addr.addr[0];
		sin->sin_port = htons(l->port);
		len = sizeof(*sin);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/*
	 * A snapshot or a burst of new connections arrives faster than one
	 * loop turn reads it; the default buffer drops it silently on UDP.
	 * FORCE passes net.core.rmem_max (root or CAP_NET_ADMIN).
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int agent_reports_open(struct agent *a)
{
	for (size_t i = 0; i < a->cfg->n_listeners; i++) {
		const struct qs_config_listener *l = &a->cfg->listeners[i];
		int fd = listener_open(l);

		if (fd < 0) {
			pr_warn("report listener %s%s: %s\n",
				l->kind == QS_LISTEN_UNIX ? "unix " : "udp ",
				l->kind == QS_LISTEN_UNIX ? l->path : "", strerror(-fd));
			agent_reports_close(a);
			return fd;
		}
		a->report_fds[a->n_report_fds++] = fd;
	}
	return 0;
}

void agent_reports_close(struct agent *a)
{
	for (int i = 0; i < a->n_report_fds; i++)
		close(a->report_fds[i]);
	a->n_report_fds = 0;
}

/* Everything pending on one listener; each datagram counted by intake. */
void agent_reports_read(struct agent *a, int fd)
{
	__u8 buf[QS_REPORT_MAX_DGRAM + 1];
	__u64 now = qs_now_coarse_ns();
	ssize_t n;

	int reason;

	pthread_mutex_lock(&a->lock);
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		reason = qs_intake_datagram(a->intake, buf, n, now);
		if (agent_monitor_active(a))
			agent_monitor_report(a, buf, n, reason);
	}
	pthread_mutex_unlock(&a->lock);
}
