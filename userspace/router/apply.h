/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Writing a configuration into the router's maps. A configuration is
 * turned into the full contents it asks of each map; applying writes those
 * contents (references before the objects that use them: backends and next
 * hops, then QUIC-LB, VIPs, Maglev rows) and then removes what the previous
 * configuration had and this one has not, in the reverse order, so the
 * data path never follows a reference to something not written yet.
 */
#ifndef QS_APPLY_H
#define QS_APPLY_H

#include <linux/types.h>
#include "config/config.h"
#include "abi/abi.h"

struct qs_agent_maps {
	int vips, backends, nexthops, maglev, quiclb, server_ids, tx_ports, settings;
	int quiclb_rk;
	int vip_index; /* rebuilt from vips after they change */
};

/* Layer 2 of a backend's next hop, as the agent resolved it. */
struct qs_l2 {
	__u8 dmac[6];
	__u8 smac[6];
	__u32 ifindex;
	int valid; /* 0: not resolved yet: packets to it are dropped and counted */
};

typedef int (*qs_l2_fn)(void *ctx, const struct qs_config *cfg, const struct qs_config_backend *be,
			struct qs_l2 *out);

/* The Maglev rows written last, so a change writes only slots that differ. */
struct qs_maglev_rows {
	__u32 *row[QS_MAX_VIPS]; /* NULL: unknown, read from the map first */
	__u32 used[QS_MAX_VIPS]; /* slots of each row that name a backend */
};

/* Slots of qs_maglev that name a backend, by the rows' bookkeeping. */
__u64 qs_maglev_rows_used(const struct qs_maglev_rows *rows);

struct qs_apply_stats {
	__u64 slots_written;
	__u64 entries_written;
	__u64 entries_removed;
};

/*
 * Makes the maps say what cfg says; prev (NULL at start) is what they said.
 * l2 resolves each backend's next hop. Returns 0 or -errno; on failure the
 * caller applies prev again.
 */
int qs_apply(const struct qs_agent_maps *m, const struct qs_config *cfg,
	     const struct qs_config *prev, qs_l2_fn l2, void *l2_ctx, struct qs_maglev_rows *rows,
	     struct qs_apply_stats *stats);

/* Writes one backend's next hop after its layer 2 changed. */
int qs_apply_nexthop(const struct qs_agent_maps *m, const struct qs_config *cfg,
		     const struct qs_config_backend *be, const struct qs_l2 *l2);

void qs_maglev_rows_free(struct qs_maglev_rows *rows);

#endif /* QS_APPLY_H */
