// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Each backend's next hop from the kernel's routes and neighbours. */
#include <errno.h>
#include <string.h>
#include "agent.h"
#include "util/log.h"

static bool mac_set(const __u8 mac[6])
{
	static const __u8 zero[6];

	return memcmp(mac, zero, 6) != 0;
}

/* The next hop's MAC when the configuration gives it: no resolution at all. */
static const __u8 *configured_mac(const struct qs_config_nexthop *nh,
				  const struct qs_config_backend *be)
{
	if (nh && nh->gateway.family != QS_AF_NONE)
		return mac_set(nh->lladdr) ? nh->lladdr : NULL;
	return mac_set(be->lladdr) ? be->lladdr : NULL;
}

/*
 * A configured MAC needs no route and no neighbour: the egress is the
 * nexthop's device, as the configuration says. (Asking the kernel for a
 * route first left such a backend without a next hop for good when the
 * device had no route to its address, though nothing was missing.)
 */
static int l2_configured(struct agent *a, const struct qs_config_nexthop *nh, const __u8 *mac,
			 struct qs_l2 *out)
{
	struct qs_nl_nexthop r;
	int err = qs_nl_link(a->nl, nh->dev, &r);

	if (err)
		return err;
	memcpy(out->dmac, mac, 6);
	memcpy(out->smac, r.smac, 6);
	out->ifindex = r.ifindex;
	out->valid = 1;
	return 0;
}

/* The gateway of the backend's nexthop if it has one, else the backend itself. */
static int l2_resolved(struct agent *a, const struct qs_config_nexthop *nh,
		       const struct qs_config_backend *be, struct qs_l2 *out)
{
	const struct qs_config_addr *dst = &be->addr;
	struct qs_nl_nexthop r;
	char text[64];
	int err;

	if (nh && nh->gateway.family != QS_AF_NONE)
		dst = &nh->gateway;
	err = qs_nl_resolve(a->nl, &dst->addr, dst->family, &r);
	if (err) {
		/*
		 * While the kernel re-resolves a neighbour (XDP traffic never
		 * confirms entries, so they age out), keep the last good MAC:
		 * a backend that was reachable a moment ago most likely still is.
		 */
		if (err == -EAGAIN && a->last_l2[be->id].valid) {
			*out = a->last_l2[be->id];
			return 0;
		}
		if (err != -EAGAIN)
			pr_info("backend %s: next hop %s: %s\n", be->name,
				qs_nl_addr_str(&dst->addr, dst->family, text, sizeof(text)),
				strerror(-err));
		return err;
	}
	memcpy(out->dmac, r.dmac, 6);
	memcpy(out->smac, r.smac, 6);
	out->ifindex = r.ifindex;
	out->valid = 1;
	return 0;
}

int agent_l2(void *ctx, const struct qs_config *cfg, const struct qs_config_backend *be,
	     struct qs_l2 *out)
{
	const struct qs_config_nexthop *nh = qs_config_backend_nexthop(cfg, be);
	const __u8 *mac = configured_mac(nh, be);
	struct agent *a = ctx;
	int err;

	memset(out, 0, sizeof(*out));
	err = mac && nh ? l2_configured(a, nh, mac, out) : l2_resolved(a, nh, be, out);
	a->no_nexthop[be->id] = err != 0;
	if (err) {
		AGENT_COUNT(a, resolves_failed, 1);
		return err;
	}
	a->last_l2[be->id] = *out;
	return 0;
}

static void note_event(const struct qs_nl_event *ev, void *ctx)
{
	int *changes = ctx;

	(void)ev;
	(*changes)++;
}

/*
 * Any neighbour, link or route change: resolve every backend again. Route
 * changes cannot be matched to backends one by one (netlink.h), and a
 * resolution is a few requests: cheap next to the events' rarity.
 */
void agent_neigh_changes(struct agent *a)
{
	int changes = 0;
	struct qs_l2 l2;

	if (qs_nl_monitor_read(a->nl_mon, note_event, &changes) <= 0)
		return;
	for (size_t i = 0; i < a->cfg->n_backends; i++) {
		const struct qs_config_backend *be = &a->cfg->backends[i];

		if (agent_l2(a, a->cfg, be, &l2))
			l2.valid = 0;
		qs_apply_nexthop(&a->maps, a->cfg, be, &l2);
	}
}
