/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Next-hop resolution and change monitoring over rtnetlink (libmnl).
 *
 * qs_nl_resolve() answers, for one backend address, what the XDP program
 * needs in struct qs_nexthop: the egress device, its MAC and the next hop's
 * MAC. The kernel does the routing and the neighbour discovery; we only ask.
 * The monitor tells the agent when any of those answers may have changed,
 * so it re-resolves only then. Functions return 0 or -errno.
 */
#ifndef QS_NETLINK_H
#define QS_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>
#include "abi/abi.h"

#define QS_NL_MAC_LEN 6
/* "xx:xx:xx:xx:xx:xx" and its NUL. */
#define QS_NL_MAC_STRLEN 18

struct qs_nl;
struct qs_nl_monitor;

/* One backend's next hop as the kernel sees it now. */
struct qs_nl_nexthop {
	struct qs_addr gateway; /* valid when gw_family != QS_AF_NONE */
	struct qs_addr src; /* preferred source (RTA_PREFSRC); zero if none */
	__u32 ifindex; /* egress device */
	__u16 nud_state; /* NUD_* of the neighbour entry; NUD_NONE if none */
	__u8 family; /* enum qs_family of the destination and src */
	__u8 gw_family; /* QS_AF_NONE: on link; may differ from family (RTA_VIA) */
	__u8 dmac[QS_NL_MAC_LEN]; /* the next hop's MAC; valid only on success */
	__u8 smac[QS_NL_MAC_LEN]; /* the egress device's own MAC */
	char ifname[IF_NAMESIZE];
};

/* A socket for requests; one per thread that resolves. */
int qs_nl_open(struct qs_nl **nl);
void qs_nl_close(struct qs_nl *nl);

/*
 * Resolves the next hop towards dst (family: QS_AF_INET or QS_AF_INET6).
 * Returns 0 with every field of out filled, or:
 *  -ENETUNREACH	no usable route (none, unreachable, blackhole, local)
 *  -EAGAIN		neighbour not resolved yet; resolution started
 *  -EHOSTUNREACH	neighbour resolution failed; a new attempt started
 *  -EOPNOTSUPP		egress device or neighbour without an Ethernet address
 * On -EAGAIN and -EHOSTUNREACH everything but dmac is filled: the monitor
 * reports the neighbour entry when the kernel settles it, and the caller
 * resolves again then. On other errors only family is set.
 */
int qs_nl_resolve(struct qs_nl *nl, const struct qs_addr *dst, __u8 family,
		  struct qs_nl_nexthop *out);

/*
 * The egress device alone, for a next hop whose MAC is configured (no
 * route, no neighbour): ifindex, ifname and smac of ifname. -ENODEV if no
 * such device, -EOPNOTSUPP if it has no Ethernet address.
 */
int qs_nl_link(struct qs_nl *nl, const char *ifname, struct qs_nl_nexthop *out);

enum qs_nl_event_type {
	QS_NL_EV_NEIGH = 1,
	QS_NL_EV_LINK,
	QS_NL_EV_ROUTE,
	/* Notifications were lost (socket overrun): re-resolve everything. */
	QS_NL_EV_RESYNC,
};

struct qs_nl_event {
	enum qs_nl_event_type type;
	bool deleted; /* RTM_DEL*: the object is gone */
	__u32 ifindex; /* device of the neighbour, link or route (0: none) */
	union {
		struct {
			struct qs_addr addr;
			__u16 state; /* NUD_* */
			__u8 family; /* enum qs_family */
			bool has_mac;
			__u8 mac[QS_NL_MAC_LEN];
		} neigh;
		struct {
			__u32 flags; /* IFF_* */
			bool up; /* administratively up and carrier on */
			bool has_mac;
			__u8 mac[QS_NL_MAC_LEN];
			char name[IF_NAMESIZE];
		} link;
		struct {
			struct qs_addr dst;
			__u32 table;
			__u8 family; /* enum qs_family */
			__u8 dst_len;
			__u8 type; /* RTN_* */
		} route;
	};
};

typedef void (*qs_nl_event_fn)(const struct qs_nl_event *ev, void *ctx);

/*
 * A non-blocking socket subscribed to neighbour, link and IPv4/IPv6 route
 * changes. Poll qs_nl_monitor_fd() for POLLIN, then call
 * qs_nl_monitor_read(), which hands every pending change to fn and returns
 * how many it handed (>= 0) or -errno.
 *
 * Route events cannot be matched to backends one by one: the kernel removes
 * IPv4 routes that depend on a device going down (or on a deleted address)
 * without a notification for each. Re-resolve every backend whose egress
 * a link event names, and every backend on any route event.
 */
int qs_nl_monitor_open(struct qs_nl_monitor **mon);
int qs_nl_monitor_fd(const struct qs_nl_monitor *mon);
int qs_nl_monitor_read(struct qs_nl_monitor *mon, qs_nl_event_fn fn, void *ctx);
void qs_nl_monitor_close(struct qs_nl_monitor *mon);

/* Printable forms, for logs and tools. Each returns buf. */
const char *qs_nl_addr_str(const struct qs_addr *addr, __u8 family, char *buf, size_t len);
const char *qs_nl_mac_str(const __u8 mac[QS_NL_MAC_LEN], char buf[QS_NL_MAC_STRLEN]);
/* The name of one NUD_* state ("REACHABLE"), "NONE" for 0. */
const char *qs_nl_nud_name(__u16 state);

#endif /* QS_NETLINK_H */
