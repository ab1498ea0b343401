// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Listening sockets, and datagrams in and out with both of their
 * addresses. Every datagram is read with recvmsg and its destination
 * address (IP_PKTINFO / IPV6_PKTINFO), so the ngtcp2_path handed to
 * ngtcp2 is the datagram's own: a client that migrates or is rebound by
 * a NAT shows up as a new remote address, which ngtcp2 validates. Replies
 * leave from the address the client reached (the VIP), set per datagram
 * with the same control message: behind quicsteer the VIP is an address
 * on the backend's loopback, not the address of the route out.
 */
#define _GNU_SOURCE /* in6_pktinfo, O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "h3server.h"

/* Datagrams read from one socket per turn, so one busy socket cannot starve the rest. */
#define READ_BATCH 64

static socklen_t addr_len(const struct sockaddr *a)
{
	return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int listener_open(struct h3s_server *srv, struct h3s_listener *l)
{
	const struct sockaddr *a = (const struct sockaddr *)&l->addr;
	int fd, err, one = 1;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };

	fd = socket(a->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (a->sa_family == AF_INET6)
		err = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	else
		err = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	/* An address that is not (yet) configured is the operator's business: bind anyway. */
	if (!err && a->sa_family == AF_INET)
		err = setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	else if (!err)
		err = setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (err || bind(fd, a, addr_len(a)) || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		close(fd);
		return err;
	}
	l->fd = fd;
	return 0;
}

int h3s_listeners_open(struct h3s_server *srv)
{
	char buf[80];
	int err;

	for (size_t i = 0; i < srv->opt->n_listen; i++) {
		struct h3s_listener *l = &srv->listeners[i];

		l->addr = srv->opt->listen[i];
		err = listener_open(srv, l);
		if (err) {
			fprintf(stderr, "qs-h3server: listen %s: %s\n",
				h3s_addr_str((struct sockaddr *)&l->addr, buf, sizeof(buf)),
				strerror(-err));
			return err;
		}
		srv->n_listeners++;
	}
	return 0;
}

void h3s_listeners_close(struct h3s_server *srv)
{
	for (size_t i = 0; i < srv->n_listeners; i++)
		close(srv->listeners[i].fd);
	srv->n_listeners = 0;
}

struct h3s_listener *h3s_listener_by_addr(struct h3s_server *srv, const struct sockaddr *a)
{
	for (size_t i = 0; i < srv->n_listeners; i++) {
		struct h3s_listener *l = &srv->listeners[i];

		if (!memcmp(&l->addr, a, addr_len(a)))
			return l;
	}
	return NULL;
}

/* The datagram's destination: the control message's address, the socket's port. */
static void local_addr(const struct h3s_listener *l, struct msghdr *msg,
		       struct sockaddr_storage *local)
{
	*local = l->addr;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in *)local)->sin_addr = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in6 *)local)->sin6_addr = pi.ipi6_addr;
		}
	}
}

void h3s_listener_read(struct h3s_server *srv, struct h3s_listener *l)
{
	static uint8_t buf[65536];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cmsg;
	struct sockaddr_storage remote, local;

	for (int i = 0; i < READ_BATCH; i++) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &remote,
			.msg_namelen = sizeof(remote),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cmsg.buf,
			.msg_controllen = sizeof(cmsg.buf),
		};
		ssize_t n = recvmsg(l->fd, &msg, 0);
		ngtcp2_path path;

		if (n < 0)
			return; /* EAGAIN: drained; anything else: nothing to do but wait */
		local_addr(l, &msg, &local);
		path = (ngtcp2_path){
			.local = { (struct sockaddr *)&local, addr_len((struct sockaddr *)&local) },
			.remote = { (struct sockaddr *)&remote, msg.msg_namelen },
		};
		h3s_datagram(srv, l, &path, buf, n);
	}
}

/* One control message at cm; the room it takes. */
static size_t cmsg_put(struct cmsghdr *cm, int level, int type, const void *data, size_t len)
{
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

int h3s_send(struct h3s_listener *l, const ngtcp2_path *path, const uint8_t *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_name = path->remote.addr,
		.msg_namelen = path->remote.addrlen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg.buf,
	};
	const struct sockaddr *local = path->local.addr;
	ssize_t n;

	memset(&cmsg, 0, sizeof(cmsg));
	if (local->sa_family == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_addr = ((struct sockaddr_in6 *)local)->sin6_addr };

		msg.msg_controllen = cmsg_put(&cmsg.align, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	} else {
		struct in_pktinfo pi = { .ipi_spec_dst = ((struct sockaddr_in *)local)->sin_addr };

		msg.msg_controllen = cmsg_put(&cmsg.align, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
	do
		n = sendmsg(l->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	/*
	 * A full socket buffer (EAGAIN) drops the datagram: QUIC's loss
	 * recovery resends what it carried, as for a loss on the wire.
	 */
	return n < 0 ? -errno : 0;
}
