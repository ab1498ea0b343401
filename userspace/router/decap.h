/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The decap program's allow-lists (abi.h: qs_decap_srcs, qs_decap_vips)
 * from userspace, for `quicsteer decap` on a backend and for the tests:
 * keys made from what util/words.h reads, entries added, removed, listed
 * in order and flushed. No agent runs on a backend: these work on the
 * pinned maps alone. Functions return 0 or -errno.
 */
#ifndef QS_ROUTER_DECAP_H
#define QS_ROUTER_DECAP_H

#include <stddef.h>
#include <linux/types.h>
#include "abi/abi.h"
#include "util/words.h"

/* Where `ip link set dev IF xdp obj decap.bpf.o` pins the maps. */
#define QS_DECAP_PIN_DIR_IP "/sys/fs/bpf/xdp/globals"

void qs_decap_src_key_make(struct qs_decap_src_key *key, const struct qs_prefix *p);
void qs_decap_src_key_prefix(const struct qs_decap_src_key *key, struct qs_prefix *p);
/* port in host order; 0 is the entry fragments match */
void qs_decap_vip_key_make(struct qs_vip_key *key, const struct qs_addr *addr, __u8 family,
			   __u16 port);

/* Adding what is there already is no change; removing what is not, -ENOENT. */
int qs_decap_src_allow(int fd, const struct qs_prefix *p);
int qs_decap_src_remove(int fd, const struct qs_prefix *p);
int qs_decap_vip_allow(int fd, const struct qs_vip_key *key);
int qs_decap_vip_remove(int fd, const struct qs_vip_key *key);

/*
 * Every entry, at most max (a list's capacity is QS_DECAP_MAX_SRCS or
 * QS_DECAP_MAX_VIPS), sorted by family, address, then length or port.
 */
int qs_decap_srcs_list(int fd, struct qs_prefix *out, size_t max, size_t *n);
int qs_decap_vips_list(int fd, struct qs_vip_key *out, size_t max, size_t *n);

/* Empties an allow-list (fd of either map): the number of entries removed, or -errno. */
int qs_decap_flush(int fd, size_t key_size);

#endif /* QS_ROUTER_DECAP_H */
