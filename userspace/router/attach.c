// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include "attach.h"
#include "cidtab.h"
#include "vipindex.h"
#include "util/log.h"
#include "quicsteer.skel.h"

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBXDP_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	qs_log(level == LIBXDP_WARN ? QS_LOG_INFO : QS_LOG_DEBUG, "libxdp: %s", line);
	return 0;
}

int qs_router_init(struct qs_router *r, const struct qs_load_opts *opts)
{
	memset(r, 0, sizeof(*r));
	libxdp_set_print(libxdp_print);
	return qs_router_open(opts, &r->skel);
}

static enum xdp_attach_mode libxdp_mode(enum qs_xdp_mode mode)
{
	return mode == QS_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static int router_program(struct qs_router *r)
{
	int fd = bpf_program__fd(r->skel->progs.quicsteer_router), err;

	if (r->xdp)
		return 0;
	/*
	 * libxdp loads the object itself, as a dispatcher extension if it can;
	 * a program we loaded already (to replace one) it can only attach.
	 */
	r->xdp =
		fd >= 0 ? xdp_program__from_fd(fd) : xdp_program__from_bpf_obj(r->skel->obj, "xdp");
	err = libxdp_get_error(r->xdp);
	if (err) {
		r->xdp = NULL;
		pr_warn("router: libxdp cannot take the program: %s\n", strerror(-err));
	}
	return err;
}

/* The loaded router's fd, loading it here if libxdp has not. */
static int router_fd(struct qs_router *r)
{
	int err;

	if (r->xdp)
		return xdp_program__fd(r->xdp);
	if (bpf_program__fd(r->skel->progs.quicsteer_router) < 0) {
		err = quicsteer_bpf__load(r->skel);
		if (err)
			return err;
	}
	return bpf_program__fd(r->skel->progs.quicsteer_router);
}

/*
 * A router already on the interface (an agent restart, an upgrade) is
 * replaced in one step: XDP_FLAGS_REPLACE swaps the program under traffic,
 * and both use the same pinned maps, so no packet meets an empty table.
 * qs_cidtab first gets qs_cids' IDs: a router of a version without it
 * left them there alone.
 */
static int router_replace(struct qs_router *r, const char *ifname, unsigned int ifindex,
			  __u32 old_id, __u8 attach_mode)
{
	__u32 mode_flag = attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	int old_fd = bpf_prog_get_fd_by_id(old_id), fd = router_fd(r), err;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);

	__u64 refused = 0;

	if (old_fd < 0 || fd < 0)
		return old_fd < 0 ? -errno : fd;
	/* the VIP index too: a program that reads it would find no VIP in a new one */
	err = qs_vip_index_sync(bpf_map__fd(r->skel->maps.qs_vips),
				bpf_map__fd(r->skel->maps.qs_vip_index));
	if (err)
		pr_warn("interface %s: cannot index %s: %s\n", ifname, QS_MAP_VIPS, strerror(-err));
	err = qs_cidtab_fill(bpf_map__fd(r->skel->maps.qs_cidtab),
			     bpf_map__fd(r->skel->maps.qs_cids), &refused);
	if (err)
		pr_warn("interface %s: cannot put the IDs of %s into %s: %s\n", ifname, QS_MAP_CIDS,
			QS_MAP_CIDTAB, strerror(-err));
	else if (refused)
		pr_warn("interface %s: %llu IDs of %s did not fit %s\n", ifname,
			(unsigned long long)refused, QS_MAP_CIDS, QS_MAP_CIDTAB);
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_REPLACE | mode_flag, &opts);
	close(old_fd);
	if (err) {
		pr_warn("interface %s: cannot replace the router: %s\n", ifname, strerror(-err));
		return err;
	}
	pr_info("interface %s: router replaced (program %u before)\n", ifname, old_id);
	return 0;
}

/* The program attached to ifindex: 0 if none, else its id, name and mode. */
static __u32 attached_id(unsigned int ifindex, char name[BPF_OBJ_NAME_LEN], __u8 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd;

	name[0] = 0;
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id)
		return 0;
	*mode = q.attach_mode;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	if (fd >= 0)
		close(fd);
	return q.prog_id;
}

/* The interface's index and the program attached to it (id 0: none). */
static int interface_program(const char *ifname, unsigned int *ifindex, __u32 *id,
			     char name[BPF_OBJ_NAME_LEN], __u8 *mode)
{
	int err;

	*ifindex = if_nametoindex(ifname);
	if (!*ifindex) {
		err = -errno;
		pr_warn("interface %s: %s\n", ifname, strerror(-err));
		return err;
	}
	*mode = 0;
	*id = attached_id(*ifindex, name, mode);
	return 0;
}

/* The kernel keeps 15 characters of a program's name. */
static bool is_router(__u32 id, const char *name)
{
	return id && !strncmp(name, QS_ROUTER_PROG_NAME, BPF_OBJ_NAME_LEN - 1);
}

int qs_router_attach(struct qs_router *r, const char *ifname, enum qs_xdp_mode mode)
{
	char name[BPF_OBJ_NAME_LEN];
	unsigned int ifindex;
	__u8 attached_mode = 0;
	__u32 id = 0;
	int err = interface_program(ifname, &ifindex, &id, name, &attached_mode);

	if (err)
		return err;
	if (is_router(id, name))
		return router_replace(r, ifname, ifindex, id, attached_mode);
	if (id) {
		pr_warn("interface %s: another XDP program (%s, id %u) is attached\n", ifname, name,
			id);
		return -EBUSY;
	}
	err = router_program(r);
	if (err)
		return err;
	err = xdp_program__attach(r->xdp, ifindex, libxdp_mode(mode), 0);
	if (err) {
		pr_warn("interface %s: cannot attach the router in %s mode: %s\n", ifname,
			qs_xdp_mode_name(mode), strerror(-err));
		return err;
	}
	pr_info("interface %s: router attached in %s mode\n", ifname, qs_xdp_mode_name(mode));
	return 0;
}

/* The attached program named name on ifindex, cloned for the caller, or NULL. */
static struct xdp_program *attached_program(int ifindex, const char *name)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p, *found = NULL;

	if (libxdp_get_error(mp))
		return NULL;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), name))
			found = xdp_program__clone(p, 0);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !found;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), name))
				found = xdp_program__clone(p, 0);
	}
	xdp_multiprog__close(mp);
	return libxdp_get_error(found) ? NULL : found;
}

/* A router attached directly (not under libxdp's dispatcher) goes in one step. */
static int router_detach_direct(const char *ifname, unsigned int ifindex, __u32 id, __u8 mode)
{
	__u32 flags = mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	int fd = bpf_prog_get_fd_by_id(id), err;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = fd);

	if (fd < 0)
		return -errno;
	/* REPLACE with the expected program: never detaches another one */
	err = bpf_xdp_detach(ifindex, flags | XDP_FLAGS_REPLACE, &opts);
	close(fd);
	if (err)
		pr_warn("interface %s: cannot detach the router: %s\n", ifname, strerror(-err));
	return err;
}

/*
 * Detaches the router from ifname, whichever process attached it: an
 * operator's `detach` runs in a fresh process.
 */
int qs_router_detach(const char *ifname, enum qs_xdp_mode mode)
{
	char name[BPF_OBJ_NAME_LEN];
	struct xdp_program *p;
	unsigned int ifindex;
	__u8 attached_mode = 0;
	__u32 id = 0;
	int err = interface_program(ifname, &ifindex, &id, name, &attached_mode);

	if (err)
		return err;
	if (is_router(id, name)) {
		err = router_detach_direct(ifname, ifindex, id, attached_mode);
		goto done;
	}
	p = id ? attached_program(ifindex, QS_ROUTER_PROG_NAME) : NULL;
	if (!p) {
		pr_warn("interface %s: no router attached\n", ifname);
		return -ENOENT;
	}
	err = xdp_program__detach(p, ifindex, libxdp_mode(mode), 0);
	xdp_program__close(p);
	if (err)
		pr_warn("interface %s: cannot detach the router: %s\n", ifname, strerror(-err));
done:
	if (!err)
		pr_info("interface %s: router detached\n", ifname);
	return err;
}

void qs_router_fini(struct qs_router *r)
{
	/* closing the program releases only our references */
	if (r->xdp)
		xdp_program__close(r->xdp);
	quicsteer_bpf__destroy(r->skel);
	memset(r, 0, sizeof(*r));
}
