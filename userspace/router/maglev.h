/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-VIP consistent-hashing tables ("Maglev tables": a prime number of
 * slots, each naming a backend, indexed by the flow hash). Tables are a pure
 * function of the (backend id, weight) set, so every balancer builds the
 * same one. See maglev.c for the fill and its guarantees.
 */
#ifndef QS_MAGLEV_H
#define QS_MAGLEV_H

#include <stddef.h>
#include <linux/types.h>

struct qs_maglev_member {
	__u32 backend_id;
	__u32 weight; /* 0: excluded (draining or down) */
};

/*
 * Fills table[size] (size prime) with backend ids in proportion to their
 * weights, QS_NO_BACKEND everywhere if no member has a weight. Members may
 * come in any order; ids must be distinct and below QS_MAX_BACKENDS (they
 * index qs_backends), n at most QS_MAX_BACKENDS. Changing one member's
 * presence or weight moves slots to or from that member only.
 * 0 or -errno (-EINVAL, -ENOMEM); on error table is left untouched.
 */
int qs_maglev_build(const struct qs_maglev_member *members, size_t n, __u32 *table, __u32 size);

/*
 * Indices where old and new differ, in ascending order, into changed[]
 * (room for size; NULL: only count); returns their number. old NULL: every
 * slot differs.
 */
size_t qs_maglev_diff(const __u32 *old, const __u32 *new, __u32 size, __u32 *changed);

/*
 * Writes the slots of new that differ from old into row vip_id of the
 * qs_maglev map (old NULL: all slots); size must be QS_MAGLEV_SIZE, the
 * row stride the data path uses. Returns the number written or -errno; after
 * an error the row may hold some new slots, and rewriting with old NULL
 * repairs it.
 */
int qs_maglev_write(int map_fd, __u32 vip_id, const __u32 *old, const __u32 *new, __u32 size);

#endif /* QS_MAGLEV_H */
