// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "attach.h"
#include "log.h"
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
	int err;

	if (r->xdp)
		return 0;
	/* libxdp loads the object itself, as a dispatcher extension if it can */
	r->xdp = xdp_program__from_bpf_obj(r->skel->obj, "xdp");
	err = libxdp_get_error(r->xdp);
	if (err) {
		r->xdp = NULL;
		pr_warn("router: libxdp cannot take the program: %s\n", strerror(-err));
	}
	return err;
}

int qs_router_attach(struct qs_router *r, const char *ifname, enum qs_xdp_mode mode)
{
	unsigned int ifindex = if_nametoindex(ifname);
	int err;

	if (!ifindex) {
		err = -errno;
		pr_warn("interface %s: %s\n", ifname, strerror(-err));
		return err;
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

/*
 * Detaches the router from ifname, whichever process attached it: an
 * operator's `detach` runs in a fresh process.
 */
int qs_router_detach(const char *ifname, enum qs_xdp_mode mode)
{
	unsigned int ifindex = if_nametoindex(ifname);
	struct xdp_program *p;
	int err;

	if (!ifindex) {
		err = -errno;
		pr_warn("interface %s: %s\n", ifname, strerror(-err));
		return err;
	}
	p = attached_program(ifindex, QS_ROUTER_PROG_NAME);
	if (!p) {
		pr_warn("interface %s: no router attached\n", ifname);
		return -ENOENT;
	}
	err = xdp_program__detach(p, ifindex, libxdp_mode(mode), 0);
	xdp_program__close(p);
	if (err) {
		pr_warn("interface %s: cannot detach the router: %s\n", ifname, strerror(-err));
		return err;
	}
	pr_info("interface %s: router detached\n", ifname);
	return 0;
}

void qs_router_fini(struct qs_router *r)
{
	/* closing the program releases only our references */
	if (r->xdp)
		xdp_program__close(r->xdp);
	quicsteer_bpf__destroy(r->skel);
	memset(r, 0, sizeof(*r));
}

int qs_xdp_mode_parse(const char *text, enum qs_xdp_mode *mode)
{
	if (!strcmp(text, "native")) {
		*mode = QS_XDP_NATIVE;
		return 0;
	}
	if (!strcmp(text, "generic")) {
		*mode = QS_XDP_GENERIC;
		return 0;
	}
	return -EINVAL;
}

const char *qs_xdp_mode_name(enum qs_xdp_mode mode)
{
	return mode == QS_XDP_GENERIC ? "generic" : "native";
}
