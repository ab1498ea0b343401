// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Threaded NAPI for the pipelined live veth measurement, through the netdev
 * generic-netlink family (Documentation/netlink/specs/netdev.yaml): napi-get
 * lists an interface's NAPI instances with the PID of each one's kthread,
 * napi-set turns threaded polling on or off per instance (kernel 6.17 and
 * later; the sysfs file /sys/class/net/IF/threaded does the same per device,
 * but /sys shows the namespace it was mounted in, not the one qs-bench has
 * entered). A netlink socket belongs to the network namespace it was opened
 * in, so both act on the namespace the calling thread is in.
 *
 * The NAPI ID identifies the kthread exactly (its name is "napi/IF-ID", and
 * the interface names gen0/rtr0 repeat in every namespace of every run).
 * Debian 12's linux-libc-dev (6.1) has no linux/netdev.h: the few constants
 * are copied from the kernel's uapi header, where they are ABI.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include "bench.h"

#define NETDEV_FAMILY_NAME "netdev"
enum {
	NETDEV_CMD_NAPI_GET = 11,
	NETDEV_CMD_NAPI_SET = 14,
};
enum {
	NETDEV_A_NAPI_IFINDEX = 1,
	NETDEV_A_NAPI_ID = 2,
	NETDEV_A_NAPI_PID = 4,
	NETDEV_A_NAPI_THREADED = 8,
};

#define NL_BUF 16384

struct nl {
	int fd;
	uint32_t seq;
	uint16_t family;
};

struct nl_req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[256];
};

static void nla_add(struct nl_req *r, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void req_init(struct nl *nl, struct nl_req *r, uint16_t family, uint8_t cmd,
		     uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = family;
	r->n.nlmsg_flags = NLM_F_REQUEST | flags;
	r->n.nlmsg_seq = ++nl->seq;
	r->g.cmd = cmd;
	r->g.version = 1;
}

/* Calls cb for every attribute of every reply; returns 0 or the kernel's -errno. */
typedef void (*attr_cb)(void *ctx, const struct nlattr *a, int last);

static int nl_talk(struct nl *nl, struct nl_req *r, attr_cb cb, void *ctx)
{
	static char buf[NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t seq = r->n.nlmsg_seq;

	if (send(nl->fd, r, r->n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(nl->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				/* An ack (error 0) ends a request without NLM_F_DUMP. */
				return e->error;
			}
			if (cb && h->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN)) {
				const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
				int left = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

				while (left >= NLA_HDRLEN) {
					const struct nlattr *a = (const struct nlattr *)p;

					if (a->nla_len < NLA_HDRLEN || a->nla_len > left)
						break;
					left -= NLA_ALIGN(a->nla_len);
					p += NLA_ALIGN(a->nla_len);
					cb(ctx, a, left < NLA_HDRLEN);
				}
			}
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return 0;
		}
	}
}

static uint32_t nla_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a->nla_len >= NLA_HDRLEN + sizeof(v))
		memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

static void family_cb(void *ctx, const struct nlattr *a, int last)
{
	(void)last;
	if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID &&
	    a->nla_len >= NLA_HDRLEN + sizeof(uint16_t))
		memcpy(ctx, (const char *)a + NLA_HDRLEN, sizeof(uint16_t));
}

static int nl_open(struct nl *nl)
{
	struct nl_req r;
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	req_init(nl, &r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	nla_add(&r, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME, sizeof(NETDEV_FAMILY_NAME));
	err = nl_talk(nl, &r, family_cb, &nl->family);
	if (!err && !nl->family)
		err = -ENOENT;
	if (err)
		close(nl->fd);
	return err;
}

struct napi_dump {
	struct bench_napi *out;
	int max, n;
	struct bench_napi cur;
};

/* Attributes of one napi-get reply arrive in order; the last one ends it. */
static void napi_cb(void *ctx, const struct nlattr *a, int last)
{
	struct napi_dump *d = ctx;

	switch (a->nla_type & NLA_TYPE_MASK) {
	case NETDEV_A_NAPI_ID: d->cur.id = nla_u32(a); break;
	case NETDEV_A_NAPI_PID: d->cur.pid = (int)nla_u32(a); break;
	case NETDEV_A_NAPI_THREADED: d->cur.threaded = nla_u32(a); break;
	default: break;
	}
	if (last) {
		if (d->cur.id && d->n < d->max)
			d->out[d->n++] = d->cur;
		memset(&d->cur, 0, sizeof(d->cur));
	}
}

int napi_list(int ifindex, struct bench_napi *out, int max)
{
	struct napi_dump d = { .out = out, .max = max };
	uint32_t ifi = ifindex;
	struct nl_req r;
	struct nl nl;
	int err = nl_open(&nl);

	if (err)
		return err;
	req_init(&nl, &r, nl.family, NETDEV_CMD_NAPI_GET, NLM_F_DUMP);
	nla_add(&r, NETDEV_A_NAPI_IFINDEX, &ifi, sizeof(ifi));
	err = nl_talk(&nl, &r, napi_cb, &d);
	close(nl.fd);
	return err ?: d.n;
}

int napi_set_threaded(uint32_t napi_id, uint32_t threaded)
{
	struct nl_req r;
	struct nl nl;
	int err = nl_open(&nl);

	if (err)
		return err;
	req_init(&nl, &r, nl.family, NETDEV_CMD_NAPI_SET, NLM_F_ACK);
	nla_add(&r, NETDEV_A_NAPI_ID, &napi_id, sizeof(napi_id));
	nla_add(&r, NETDEV_A_NAPI_THREADED, &threaded, sizeof(threaded));
	err = nl_talk(&nl, &r, NULL, NULL);
	close(nl.fd);
	return err;
}
