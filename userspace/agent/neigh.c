// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Each backend's next hop from the kernel's routes and neighbours. */
#include <errno.h>
#include <string.h>
#include "agent.h"
#include "log.h"

static bool mac_set(const __u8 mac[6])
{
	static const __u8 zero[6];

	return memcmp(mac, zero, 6) != 0;
}

/*
 * The gateway of the backend's nexthop if it has one, else the backend
 * itself; a fixed lladdr (backend's, or the gateway's) replaces what
 * neighbour resolution would give.
 */
int agent_l2(void *ctx, const struct qs_config *cfg, const struct qs_config_backend *be,
	     struct qs_l2 *out)
{
	const struct qs_config_nexthop *nh = qs_config_backend_nexthop(cfg, be);
	const struct qs_config_addr *dst = &be->addr;
	const __u8 *fixed = mac_set(be->lladdr) ? be->lladdr : NULL;
	struct agent *a = ctx;
	struct qs_nl_nexthop r;
	char text[64];
	int err;

	memset(out, 0, sizeof(*out));
	if (nh && nh->gateway.family != QS_AF_NONE) {
		dst = &nh->gateway;
		fixed = mac_set(nh->lladdr) ? nh->lladdr : NULL;
	}
	err = qs_nl_resolve(a->nl, &dst->addr, dst->family, &r);
	if (err && !((err == -EAGAIN || err == -EHOSTUNREACH) && fixed)) {
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
		a->counters.resolves_failed++;
		return err;
	}
	memcpy(out->dmac, fixed ? fixed : r.dmac, 6);
	memcpy(out->smac, r.smac, 6);
	out->ifindex = r.ifindex;
	out->valid = 1;
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
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->cfg->n_backends; i++) {
		const struct qs_config_backend *be = &a->cfg->backends[i];

		if (agent_l2(a, a->cfg, be, &l2))
			l2.valid = 0;
		qs_apply_nexthop(&a->maps, a->cfg, be, &l2);
	}
	pthread_mutex_unlock(&a->lock);
}
