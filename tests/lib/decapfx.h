/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A loaded decap program (bpf/decap.bpf.c) with no pins: allow-lists empty,
 * counters zero, as a backend has it right after loading. Its allow-lists
 * are filled through router/decap.h, as `quicsteer decap` fills them.
 * Functions return 0 or -errno.
 */
#ifndef QS_DECAPFX_H
#define QS_DECAPFX_H

#include <stddef.h>
#include <stdint.h>
#include "abi/abi.h"

struct decap_bpf;

struct dfx {
	struct decap_bpf *skel;
	int prog, stats, srcs, vips;
};

int dfx_open(struct dfx *d);
void dfx_close(struct dfx *d);

/* A source prefix ("198.18.200.0/24"), a VIP's address and port (0: fragments). */
int dfx_allow_source(struct dfx *d, const char *prefix);
int dfx_allow_vip(struct dfx *d, const char *addr, uint16_t port);

/* One run; the action, or -errno if the kernel refused it. */
int dfx_run(struct dfx *d, const void *in, size_t len, void *out, size_t cap, size_t *out_len);
/* A reason's counter summed over CPUs, or -errno. */
int dfx_reason(struct dfx *d, unsigned int reason, struct qs_counter *c);

/* "XDP_DROP" and the like, for messages. */
const char *xdp_action_name(int action);

#endif /* QS_DECAPFX_H */
