/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * qs_vip_index (include/abi/vipindex.h) from qs_vips: whoever writes
 * qs_vips (the agent's apply, the test fixture) calls qs_vip_index_sync
 * after, and before a program that reads the index replaces one that did
 * not. Returns 0 or -errno.
 */
#ifndef QS_ROUTER_VIPINDEX_H
#define QS_ROUTER_VIPINDEX_H

/*
 * Makes the index hold what qs_vips holds: nothing is written when it does
 * already; otherwise the half not in use is filled under a fresh seed and
 * published, after waiting out QS_VIP_INDEX_QUIET_MS since the last
 * flip. -ENOSPC: no seed in many tries put every key in a slot of its own
 * (cannot happen at the sizes qs_vips allows); -E2BIG: qs_vips holds more
 * keys than it may.
 */
int qs_vip_index_sync(int vips_fd, int index_fd);

#endif /* QS_ROUTER_VIPINDEX_H */
