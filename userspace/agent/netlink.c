// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include "util/log.h"
#include "util/words.h"
#include "netlink.h"

/*
 * Big enough for any single reply or notification we ask for; link
 * notifications carry statistics and run to a few KiB.
 */
#define NL_BUF_SIZE 32768
#define NL_REQ_SIZE 256
/* A request the kernel has not answered in this long is abandoned. */
#define NL_TIMEOUT_MS 2000
/* Receive buffer asked for the monitor: link flaps come in bursts. */
#define MON_RCVBUF (4 << 20)
/* Datagrams read per qs_nl_monitor_read() so one busy socket cannot starve
 * the rest of the caller's poll loop; the fd stays readable for the rest.
 */
#define MON_BATCHES 64

/* The kernel's own NUD_VALID (include/net/neighbour.h): states with a MAC. */
#define QS_NUD_VALID (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)

struct qs_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char buf[NL_BUF_SIZE];
};

struct qs_nl_monitor {
	struct mnl_socket *sock;
	char buf[NL_BUF_SIZE];
};

static int af_of(__u8 family)
{
	switch (family) {
	case QS_AF_INET:
		return AF_INET;
	case QS_AF_INET6:
		return AF_INET6;
	default:
		return AF_UNSPEC;
	}
}

static __u8 family_of(int af)
{
	switch (af) {
	case AF_INET:
		return QS_AF_INET;
	case AF_INET6:
		return QS_AF_INET6;
	default:
		return QS_AF_NONE;
	}
}

static size_t addr_len(__u8 family)
{
	return family == QS_AF_INET ? 4 : family == QS_AF_INET6 ? 16 : 0;
}

const char *qs_nl_addr_str(const struct qs_addr *addr, __u8 family, char *buf, size_t len)
{
	if (!inet_ntop(af_of(family), addr->addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *qs_nl_mac_str(const __u8 mac[QS_NL_MAC_LEN], char buf[QS_NL_MAC_STRLEN])
{
	return qs_format_mac(mac, buf, QS_NL_MAC_STRLEN);
}

const char *qs_nl_nud_name(__u16 state)
{
	static const struct {
		__u16 state;
		const char *name;
	} names[] = {
		{ NUD_INCOMPLETE, "INCOMPLETE" }, { NUD_REACHABLE, "REACHABLE" },
		{ NUD_STALE, "STALE" },		  { NUD_DELAY, "DELAY" },
		{ NUD_PROBE, "PROBE" },		  { NUD_FAILED, "FAILED" },
		{ NUD_NOARP, "NOARP" },		  { NUD_PERMANENT, "PERMANENT" },
	};
	size_t i;

	if (state == NUD_NONE)
		return "NONE";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (state & names[i].state)
			return names[i].name;
	return "UNKNOWN";
}

/* A device's name for messages; its index when it has gone meanwhile. */
static const char *ifname_of(__u32 ifindex, char buf[IF_NAMESIZE + 16])
{
	if (!ifindex || !if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE + 16, "ifindex %u", ifindex);
	return buf;
}

/* mnl_attr_parse() callback: attributes indexed by type into tb[0..max]. */
struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_collect(const struct nlattr *attr, void *data)
{
	const struct attr_table *t = data;
	__u16 type = mnl_attr_get_type(attr);

	/* Types newer than our headers are not ours to read. */
	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int attr_parse(const struct nlmsghdr *nlh, size_t hdr_len, const struct nlattr **tb,
		      unsigned int max)
{
	struct attr_table t = { .tb = tb, .max = max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < hdr_len)
		return -EBADMSG;
	return mnl_attr_parse(nlh, hdr_len, attr_collect, &t) < 0 ? -EBADMSG : 0;
}

/* An address attribute of exactly the family's length. */
static int attr_addr(const struct nlattr *attr, __u8 family, struct qs_addr *addr)
{
	size_t len = addr_len(family);

	memset(addr, 0, sizeof(*addr));
	if (!attr || !len || mnl_attr_get_payload_len(attr) != len)
		return -EBADMSG;
	memcpy(addr->addr, mnl_attr_get_payload(attr), len);
	return 0;
}

/* Only 6-byte hardware addresses: the data path writes Ethernet headers. */
static bool attr_mac(const struct nlattr *attr, __u8 mac[QS_NL_MAC_LEN])
{
	if (!attr || mnl_attr_get_payload_len(attr) != QS_NL_MAC_LEN)
		return false;
	memcpy(mac, mnl_attr_get_payload(attr), QS_NL_MAC_LEN);
	return true;
}

static __u32 attr_u32_or(const struct nlattr *attr, __u32 dflt)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return dflt;
	return mnl_attr_get_u32(attr);
}

int qs_nl_open(struct qs_nl **out)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_MS / 1000,
			      .tv_usec = (NL_TIMEOUT_MS % 1000) * 1000 };
	struct qs_nl *nl;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		goto err_free;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto err_close;
	}
	/* The agent's loop must not hang on a request the kernel never answers. */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		goto err_close;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	*out = nl;
	return 0;

err_close:
	mnl_socket_close(nl->sock);
err_free:
	free(nl);
	pr_warn("netlink: cannot open an rtnetlink socket: %s\n", strerror(-err));
	return err;
}

void qs_nl_close(struct qs_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/*
 * Sends one request and feeds the reply to cb until it (or an ACK, or
 * NLMSG_DONE) ends the exchange. 0 or -errno (the kernel's own error for a
 * refused request).
 */
static int nl_talk(struct qs_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	ssize_t n;
	int ret;

	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		ret = mnl_cb_run(nl->buf, n, req->nlmsg_seq, nl->portid, cb, data);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret == MNL_CB_ERROR) {
			/* A late reply to a request that timed out: not ours. */
			if (errno == EPROTO)
				continue;
			return -errno;
		}
	}
}

/* What the kernel's answer to RTM_GETROUTE says. */
struct route_reply {
	struct qs_nl_nexthop *out;
	__u8 type; /* RTN_* */
};

/* RTA_VIA: a gateway of another family (IPv4 routes over IPv6 next hops). */
static int route_via(const struct nlattr *attr, struct qs_nl_nexthop *out)
{
	const struct rtvia *via = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);
	__u8 family;

	if (len < sizeof(*via))
		return -EBADMSG;
	family = family_of(via->rtvia_family);
	if (!family || len - sizeof(*via) != addr_len(family))
		return -EBADMSG;
	memcpy(out->gateway.addr, via->rtvia_addr, addr_len(family));
	out->gw_family = family;
	return 0;
}

static int route_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_reply *r = data;
	struct qs_nl_nexthop *out = r->out;
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int err;

	err = nlh->nlmsg_type == RTM_NEWROUTE ? attr_parse(nlh, sizeof(*rtm), tb, RTA_MAX) :
						-EBADMSG;
	if (err)
		goto malformed;
	r->type = rtm->rtm_type;
	out->ifindex = attr_u32_or(tb[RTA_OIF], 0);
	if (tb[RTA_GATEWAY]) {
		err = attr_addr(tb[RTA_GATEWAY], out->family, &out->gateway);
		out->gw_family = out->family;
	} else if (tb[RTA_VIA]) {
		err = route_via(tb[RTA_VIA], out);
	}
	if (!err && tb[RTA_PREFSRC])
		err = attr_addr(tb[RTA_PREFSRC], out->family, &out->src);
	if (err)
		goto malformed;
	return MNL_CB_STOP;

malformed:
	errno = -err;
	return MNL_CB_ERROR;
}

/* The kernel answers a lookup that hits a special route with an error. */
static const char *route_err_str(int err)
{
	switch (err) {
	case -ENETUNREACH:
		return "none";
	case -EHOSTUNREACH:
		return "an unreachable route";
	case -EACCES:
		return "a prohibit route";
	case -EINVAL:
		return "a blackhole route";
	default:
		return strerror(-err);
	}
}

/* The route `ip route get` would show: egress, gateway, source. */
static int route_get(struct qs_nl *nl, const struct qs_addr *dst, struct qs_nl_nexthop *out,
		     const char *dst_name)
{
	char req[NL_REQ_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct route_reply r = { .out = out };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = af_of(out->family);
	rtm->rtm_dst_len = addr_len(out->family) * 8;
	mnl_attr_put(nlh, RTA_DST, addr_len(out->family), dst->addr);

	err = nl_talk(nl, nlh, route_reply_cb, &r);
	if (err) {
		pr_warn("netlink: route to %s: %s\n", dst_name, route_err_str(err));
		if (err == -EHOSTUNREACH || err == -EACCES || err == -EINVAL)
			err = -ENETUNREACH;
		return err;
	}
	if (r.type != RTN_UNICAST) {
		/* Local addresses, multicast, ...: nothing an XDP_TX can reach. */
		pr_warn("netlink: route to %s: %s, not unicast\n", dst_name,
			r.type == RTN_LOCAL ? "a local address" : "another route type");
		return -ENETUNREACH;
	}
	if (!out->ifindex) {
		pr_warn("netlink: route to %s: no egress device\n", dst_name);
		return -ENETUNREACH;
	}
	return 0;
}

static int link_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct qs_nl_nexthop *out = data;
	const struct nlattr *tb[IFLA_MAX + 1];
	bool has_mac;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    attr_parse(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (tb[IFLA_IFNAME] && !mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING))
		snprintf(out->ifname, sizeof(out->ifname), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	has_mac = attr_mac(tb[IFLA_ADDRESS], out->smac);
	/* Report a device without one as such, not as all-zero MAC. */
	if (!has_mac) {
		errno = EOPNOTSUPP;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/* The egress device's name and own MAC. */
static int link_get(struct qs_nl *nl, struct qs_nl_nexthop *out)
{
	char req[NL_REQ_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	char name[IF_NAMESIZE + 16];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int err;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = out->ifindex;
	/* Statistics are most of a link message and none of our business. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	err = nl_talk(nl, nlh, link_reply_cb, out);
	if (err == -EOPNOTSUPP)
		pr_warn("netlink: device %s has no Ethernet address\n",
			ifname_of(out->ifindex, name));
	else if (err)
		pr_warn("netlink: device %s: %s\n", ifname_of(out->ifindex, name), strerror(-err));
	return err;
}

/* A neighbour entry: its state and, when it has one, its MAC. */
struct neigh_reply {
	__u16 state;
	bool has_mac;
	__u8 mac[QS_NL_MAC_LEN];
};

static int neigh_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_reply *r = data;
	const struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWNEIGH || attr_parse(nlh, sizeof(*ndm), tb, NDA_MAX)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	r->state = ndm->ndm_state;
	r->has_mac = attr_mac(tb[NDA_LLADDR], r->mac);
	return MNL_CB_STOP;
}

/*
 * RTM_GETNEIGH (RTM_NEWNEIGH with NTF_USE when use is set) for hop on
 * ifindex. NTF_USE is what the kernel does when a packet needs the entry:
 * it creates the entry if missing and starts (or refreshes) resolution,
 * soliciting only the next hop the route names.
 */
static int neigh_request(struct qs_nl *nl, const struct qs_addr *hop, __u8 family, __u32 ifindex,
			 bool use, struct neigh_reply *r)
{
	char req[NL_REQ_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = use ? RTM_NEWNEIGH : RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | (use ? NLM_F_CREATE | NLM_F_ACK : 0);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = af_of(family);
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = use ? NTF_USE : 0;
	mnl_attr_put(nlh, NDA_DST, addr_len(family), hop->addr);
	return nl_talk(nl, nlh, neigh_reply_cb, r);
}

/* Starts resolution of an entry that has no usable MAC; logs why. */
static int neigh_kick(struct qs_nl *nl, const struct qs_addr *hop, __u8 family,
		      struct qs_nl_nexthop *out, const char *hop_name, __u16 state)
{
	struct neigh_reply unused;
	int err;

	err = neigh_request(nl, hop, family, out->ifindex, true, &unused);
	if (err) {
		pr_warn("netlink: neighbour %s on %s: cannot start resolution: %s\n", hop_name,
			out->ifname, strerror(-err));
		return err;
	}
	if (state & NUD_FAILED) {
		pr_warn("netlink: neighbour %s on %s: resolution failed; trying again\n", hop_name,
			out->ifname);
		return -EHOSTUNREACH;
	}
	pr_info("netlink: neighbour %s on %s: %s, resolution started\n", hop_name, out->ifname,
		state == NUD_NONE ? "no entry" : qs_nl_nud_name(state));
	return -EAGAIN;
}

static int neigh_resolve(struct qs_nl *nl, const struct qs_addr *dst, struct qs_nl_nexthop *out)
{
	const struct qs_addr *hop = out->gw_family ? &out->gateway : dst;
	__u8 family = out->gw_family ? out->gw_family : out->family;
	char hop_name[INET6_ADDRSTRLEN], mac[QS_NL_MAC_STRLEN];
	struct neigh_reply r = { 0 }, refreshed;
	int err;

	qs_nl_addr_str(hop, family, hop_name, sizeof(hop_name));
	err = neigh_request(nl, hop, family, out->ifindex, false, &r);
	if (err && err != -ENOENT) {
		pr_warn("netlink: neighbour %s on %s: %s\n", hop_name, out->ifname, strerror(-err));
		return err;
	}
	out->nud_state = err ? NUD_NONE : r.state;
	if (out->nud_state & NUD_INCOMPLETE) {
		pr_debug("netlink: neighbour %s on %s: resolution in progress\n", hop_name,
			 out->ifname);
		return -EAGAIN;
	}
	if (!(out->nud_state & QS_NUD_VALID))
		return neigh_kick(nl, hop, family, out, hop_name, out->nud_state);
	if (!r.has_mac) {
		pr_warn("netlink: neighbour %s on %s: %s without an Ethernet address\n", hop_name,
			out->ifname, qs_nl_nud_name(r.state));
		return -EOPNOTSUPP;
	}
	/*
	 * XDP traffic never confirms an entry, so it would stay STALE until
	 * the kernel collects it; a use makes the kernel re-probe it (unicast,
	 * to the MAC we return) and the monitor reports the outcome.
	 */
	if ((r.state & NUD_STALE) && neigh_request(nl, hop, family, out->ifindex, true, &refreshed))
		pr_debug("netlink: neighbour %s on %s: cannot refresh\n", hop_name, out->ifname);
	memcpy(out->dmac, r.mac, QS_NL_MAC_LEN);
	pr_debug("netlink: neighbour %s on %s: %s %s\n", hop_name, out->ifname,
		 qs_nl_nud_name(out->nud_state), qs_nl_mac_str(out->dmac, mac));
	return 0;
}

int qs_nl_resolve(struct qs_nl *nl, const struct qs_addr *dst, __u8 family,
		  struct qs_nl_nexthop *out)
{
	char dst_name[INET6_ADDRSTRLEN];
	int err;

	memset(out, 0, sizeof(*out));
	if (!addr_len(family))
		return -EAFNOSUPPORT;
	out->family = family;
	qs_nl_addr_str(dst, family, dst_name, sizeof(dst_name));
	err = route_get(nl, dst, out, dst_name);
	if (!err)
		err = link_get(nl, out);
	if (!err)
		err = neigh_resolve(nl, dst, out);
	if (err == -EAGAIN || err == -EHOSTUNREACH) {
		memset(out->dmac, 0, sizeof(out->dmac));
	} else if (err) {
		/* No half answer the caller could mistake for a next hop. */
		memset(out, 0, sizeof(*out));
		out->family = family;
	}
	return err;
}

int qs_nl_link(struct qs_nl *nl, const char *ifname, struct qs_nl_nexthop *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->ifindex = if_nametoindex(ifname);
	if (!out->ifindex) {
		err = -errno;
		pr_warn("netlink: device %s: %s\n", ifname, strerror(-err));
		return err;
	}
	return link_get(nl, out);
}

static void neigh_event(const struct nlmsghdr *nlh, struct qs_nl_event *ev)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1];

	if (attr_parse(nlh, sizeof(*ndm), tb, NDA_MAX))
		return;
	ev->neigh.family = family_of(ndm->ndm_family);
	/* Bridge FDB entries share the group; proxy entries are not hosts. */
	if (!ev->neigh.family || (ndm->ndm_flags & NTF_PROXY) ||
	    attr_addr(tb[NDA_DST], ev->neigh.family, &ev->neigh.addr))
		return;
	ev->type = QS_NL_EV_NEIGH;
	ev->deleted = nlh->nlmsg_type == RTM_DELNEIGH;
	ev->ifindex = ndm->ndm_ifindex;
	ev->neigh.state = ndm->ndm_state;
	ev->neigh.has_mac = attr_mac(tb[NDA_LLADDR], ev->neigh.mac);
}

static void link_event(const struct nlmsghdr *nlh, struct qs_nl_event *ev)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1];

	if (attr_parse(nlh, sizeof(*ifi), tb, IFLA_MAX))
		return;
	ev->type = QS_NL_EV_LINK;
	ev->deleted = nlh->nlmsg_type == RTM_DELLINK;
	ev->ifindex = ifi->ifi_index;
	ev->link.flags = ifi->ifi_flags;
	ev->link.up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
	ev->link.has_mac = attr_mac(tb[IFLA_ADDRESS], ev->link.mac);
	if (tb[IFLA_IFNAME] && !mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING))
		snprintf(ev->link.name, sizeof(ev->link.name), "%s",
			 mnl_attr_get_str(tb[IFLA_IFNAME]));
}

static void route_event(const struct nlmsghdr *nlh, struct qs_nl_event *ev)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];

	if (attr_parse(nlh, sizeof(*rtm), tb, RTA_MAX))
		return;
	ev->route.family = family_of(rtm->rtm_family);
	if (!ev->route.family)
		return;
	/* No RTA_DST: a default route, dst stays zero. */
	if (tb[RTA_DST] && attr_addr(tb[RTA_DST], ev->route.family, &ev->route.dst))
		return;
	ev->type = QS_NL_EV_ROUTE;
	ev->deleted = nlh->nlmsg_type == RTM_DELROUTE;
	ev->ifindex = attr_u32_or(tb[RTA_OIF], 0);
	ev->route.dst_len = rtm->rtm_dst_len;
	ev->route.type = rtm->rtm_type;
	ev->route.table = attr_u32_or(tb[RTA_TABLE], rtm->rtm_table);
}

static void event_log(const struct qs_nl_event *ev)
{
	char name[IF_NAMESIZE + 16], addr[INET6_ADDRSTRLEN], mac[QS_NL_MAC_STRLEN] = "none";

	if (qs_log_get_level() < QS_LOG_DEBUG)
		return;
	if (ev->type == QS_NL_EV_NEIGH) {
		if (ev->neigh.has_mac)
			qs_nl_mac_str(ev->neigh.mac, mac);
		pr_debug("netlink: neighbour %s on %s %s: %s %s\n",
			 qs_nl_addr_str(&ev->neigh.addr, ev->neigh.family, addr, sizeof(addr)),
			 ifname_of(ev->ifindex, name), ev->deleted ? "deleted" : "changed",
			 qs_nl_nud_name(ev->neigh.state), mac);
	} else if (ev->type == QS_NL_EV_LINK) {
		if (ev->link.has_mac)
			qs_nl_mac_str(ev->link.mac, mac);
		pr_debug("netlink: device %s (ifindex %u) %s: %s %s\n", ev->link.name, ev->ifindex,
			 ev->deleted ? "deleted" : "changed", ev->link.up ? "up" : "down", mac);
	} else if (ev->type == QS_NL_EV_ROUTE) {
		pr_debug("netlink: route %s/%u dev %s table %u %s\n",
			 qs_nl_addr_str(&ev->route.dst, ev->route.family, addr, sizeof(addr)),
			 ev->route.dst_len, ifname_of(ev->ifindex, name), ev->route.table,
			 ev->deleted ? "deleted" : "changed");
	}
}

struct monitor_ctx {
	qs_nl_event_fn fn;
	void *ctx;
	int count;
};

static void monitor_emit(struct monitor_ctx *mc, const struct qs_nl_event *ev)
{
	event_log(ev);
	mc->fn(ev, mc->ctx);
	mc->count++;
}

/* Never fails the batch: one odd message must not hide the others. */
static int monitor_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct qs_nl_event ev = { 0 };

	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		neigh_event(nlh, &ev);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		link_event(nlh, &ev);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		route_event(nlh, &ev);
		break;
	default:
		break;
	}
	if (ev.type)
		monitor_emit(data, &ev);
	else
		pr_debug("netlink: monitor: message type %u ignored\n", nlh->nlmsg_type);
	return MNL_CB_OK;
}

/* As much receive buffer as we may have: beyond the sysctl limit if root. */
static void monitor_grow_rcvbuf(int fd)
{
	int size = MON_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		pr_debug("netlink: monitor: receive buffer stays at its default: %s\n",
			 strerror(errno));
}

int qs_nl_monitor_open(struct qs_nl_monitor **out)
{
	static const unsigned int groups[] = { RTNLGRP_NEIGH, RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE,
					       RTNLGRP_IPV6_ROUTE };
	struct qs_nl_monitor *mon;
	size_t i;
	int err;

	mon = calloc(1, sizeof(*mon));
	if (!mon)
		return -ENOMEM;
	mon->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!mon->sock) {
		err = -errno;
		goto err_free;
	}
	if (mnl_socket_bind(mon->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto err_close;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (mnl_socket_setsockopt(mon->sock, NETLINK_ADD_MEMBERSHIP, (void *)&groups[i],
					  sizeof(groups[i])) < 0) {
			err = -errno;
			goto err_close;
		}
	}
	monitor_grow_rcvbuf(mnl_socket_get_fd(mon->sock));
	*out = mon;
	return 0;

err_close:
	mnl_socket_close(mon->sock);
err_free:
	free(mon);
	pr_warn("netlink: cannot open the rtnetlink monitor: %s\n", strerror(-err));
	return err;
}

int qs_nl_monitor_fd(const struct qs_nl_monitor *mon)
{
	return mnl_socket_get_fd(mon->sock);
}

static void monitor_resync(struct monitor_ctx *mc, const char *why)
{
	struct qs_nl_event ev = { .type = QS_NL_EV_RESYNC };

	pr_warn("netlink: monitor: notifications lost (%s); resync needed\n", why);
	monitor_emit(mc, &ev);
}

int qs_nl_monitor_read(struct qs_nl_monitor *mon, qs_nl_event_fn fn, void *ctx)
{
	struct monitor_ctx mc = { .fn = fn, .ctx = ctx };
	ssize_t n;
	int i, err;

	for (i = 0; i < MON_BATCHES; i++) {
		n = mnl_socket_recvfrom(mon->sock, mon->buf, sizeof(mon->buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			/*
			 * ENOBUFS: the kernel dropped notifications; ENOSPC
			 * (libmnl's MSG_TRUNC): one did not fit our buffer.
			 * Either way the socket goes on; what was lost is
			 * unknown, so everything must be looked at again.
			 */
			if (errno == ENOBUFS || errno == ENOSPC) {
				monitor_resync(&mc, strerror(errno));
				continue;
			}
			err = -errno;
			pr_warn("netlink: monitor: %s\n", strerror(-err));
			return err;
		}
		/* Sequence and port 0: notifications are nobody's reply. */
		if (mnl_cb_run(mon->buf, n, 0, 0, monitor_msg_cb, &mc) == MNL_CB_ERROR)
			monitor_resync(&mc, strerror(errno));
	}
	return mc.count;
}

void qs_nl_monitor_close(struct qs_nl_monitor *mon)
{
	if (!mon)
		return;
	mnl_socket_close(mon->sock);
	free(mon);
}
