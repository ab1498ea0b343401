/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Attaching the router to interfaces through libxdp, so that it shares an
 * interface with other XDP programs where the kernel allows the dispatcher,
 * and falls back to a plain attachment where it does not. Nothing here
 * detaches implicitly: a crashed or stopped agent leaves traffic flowing.
 */
#ifndef QS_ATTACH_H
#define QS_ATTACH_H

#include "config/config.h"
#include "maps.h"

#define QS_ROUTER_PROG_NAME "quicsteer_router"

struct xdp_program;

struct qs_router {
	struct quicsteer_bpf *skel;
	struct xdp_program *xdp; /* NULL until the first attachment */
};

/* Opens the router (not loaded yet) with the given pins and sizes. */
int qs_router_init(struct qs_router *r, const struct qs_load_opts *opts);
/* Loads the program on first use, then attaches it to ifname. */
int qs_router_attach(struct qs_router *r, const char *ifname, enum qs_xdp_mode mode);
int qs_router_detach(const char *ifname, enum qs_xdp_mode mode);
/* Releases file descriptors; attachments and pinned maps stay. */
void qs_router_fini(struct qs_router *r);

#endif /* QS_ATTACH_H */
