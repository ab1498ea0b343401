// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "decap.skel.h"
#include "decapfx.h"
#include "router/decap.h"
#include "router/maps.h"
#include "util/words.h"

int dfx_open(struct dfx *d)
{
	struct qs_load_opts opts = { .pin_dir = NULL };
	int err = qs_decap_load(&opts, &d->skel);

	if (err)
		return err;
	d->prog = bpf_program__fd(d->skel->progs.quicsteer_decap);
	d->stats = bpf_map__fd(d->skel->maps.qs_decap_cnt_v2);
	d->srcs = bpf_map__fd(d->skel->maps.qs_decap_srcs);
	d->vips = bpf_map__fd(d->skel->maps.qs_decap_vips);
	return 0;
}

void dfx_close(struct dfx *d)
{
	decap_bpf__destroy(d->skel);
	d->skel = NULL;
}

int dfx_allow_source(struct dfx *d, const char *prefix)
{
	struct qs_prefix p;
	int err = qs_parse_prefix(prefix, &p);

	return err ? err : qs_decap_src_allow(d->srcs, &p);
}

int dfx_allow_vip(struct dfx *d, const char *addr, uint16_t port)
{
	struct qs_vip_key key;
	struct qs_addr a;
	__u8 family;
	int err = qs_parse_addr(addr, &a, &family);

	if (err)
		return err;
	qs_decap_vip_key_make(&key, &a, family, port);
	return qs_decap_vip_allow(d->vips, &key);
}

int dfx_run(struct dfx *d, const void *in, size_t len, void *out, size_t cap, size_t *out_len)
{
	struct qs_prog_run run = { .in = in, .in_len = len, .out = out, .out_cap = cap };
	int err = qs_prog_run(d->prog, &run);

	if (err)
		return err;
	*out_len = run.out_len;
	return run.action;
}

int dfx_reason(struct dfx *d, unsigned int reason, struct qs_counter *c)
{
	return qs_counter_read(d->stats, reason, c);
}

const char *xdp_action_name(int action)
{
	switch (action) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	}
	return "unknown";
}
