// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cids.h"
#include <string.h>
#include "router/maps.h"
#include "util/clock.h"
#include "util/log.h"

static __u64 learned_stamp(const void *value)
{
	return ((const struct qs_cid_entry *)value)->created_ns;
}

int agent_cids_init(struct agent_cids *c, int fd, int tab_fd, int learned_fd, __u64 learned_ttl_ns)
{
	int err = qs_cidtab_map(&c->tab, tab_fd);

	if (err == -EPROTO)
		pr_warn("ID table %s: made by another version of quicsteer (a layout other than "
			"version %d, or another size than the program's): not used\n",
			QS_MAP_CIDTAB, QS_CIDTAB_VERSION);
	else if (err)
		pr_warn("ID table %s: %s\n", QS_MAP_CIDTAB, strerror(-err));
	if (err)
		return err;
	c->fd = fd;
	c->learned_fd = learned_fd;
	c->sweep = agent_sweep_new(learned_fd, sizeof(struct qs_cid_key),
				   sizeof(struct qs_cid_entry), learned_stamp, learned_ttl_ns);
	c->next_sweep_ns = qs_now_coarse_ns() + AGENT_CIDS_SWEEP_EVERY_NS;
	return c->sweep ? 0 : -errno;
}

void agent_cids_fini(struct agent_cids *c)
{
	agent_sweep_free(c->sweep);
	c->sweep = NULL;
	qs_cidtab_unmap(&c->tab);
}

void agent_cids_set_ttl(struct agent_cids *c, __u64 learned_ttl_ns)
{
	agent_sweep_set_age(c->sweep, learned_ttl_ns);
}

static int cid_put(void *ctx, const struct qs_cid_place *p, __u32 vip_id, __u32 backend_id,
		   __u8 kind)
{
	struct agent_cids *c = ctx;

	return qs_cidtab_put_at(&c->tab, p, vip_id, backend_id, kind == QS_CID_OPERATOR);
}

static int cid_del(void *ctx, const struct qs_cid_place *p)
{
	return qs_cidtab_del_at(&((struct agent_cids *)ctx)->tab, p);
}

static void cid_prefetch(void *ctx, const struct qs_cid_place *p)
{
	qs_cidtab_prefetch(&((struct agent_cids *)ctx)->tab, p);
}

struct qs_cid_sink agent_cids_sink(struct agent_cids *c)
{
	struct qs_cid_sink s = {
		.buckets = c->tab.buckets, .put = cid_put, .del = cid_del,
		.prefetch = cid_prefetch, .ctx = c
	};

	memcpy(s.key, c->tab.key, sizeof(s.key));
	return s;
}

int agent_cids_lookup(const struct agent_cids *c, const struct qs_cid_key *key, __u32 *backend_id,
		      __u8 *kind)
{
	return qs_cidtab_get(&c->tab, key, backend_id, kind);
}

int agent_cids_learned_lookup(const struct agent_cids *c, const struct qs_cid_key *key,
			      struct qs_cid_entry *e)
{
	return bpf_map_lookup_elem(c->learned_fd, key, e) ? -errno : 0;
}

int agent_cids_learned_del(struct agent_cids *c, const struct qs_cid_key *key)
{
	return bpf_map_delete_elem(c->learned_fd, key) ? -errno : 0;
}

bool agent_cids_sweep_step(struct agent_cids *c, __u64 now_ns)
{
	int ret;

	if (!c->sweeping && now_ns < c->next_sweep_ns)
		return false;
	c->sweeping = true;
	ret = agent_sweep_step(c->sweep, now_ns);
	if (ret < 0)
		pr_warn("learned IDs %s: sweep: %s\n", QS_MAP_LEARNED, strerror(-ret));
	if (!ret)
		return true;
	c->sweeping = false;
	c->next_sweep_ns = now_ns + AGENT_CIDS_SWEEP_EVERY_NS;
	return false;
}

const struct agent_sweep_stats *agent_cids_learned_stats(const struct agent_cids *c)
{
	return agent_sweep_stats(c->sweep);
}

static int restore_entry(void *ctx, const struct qs_cid_place *p, __u32 vip_id,
			 __u32 backend_id, __u8 kind)
{
	struct qs_cidreg *reg = ctx;

	if (kind == QS_CID_OPERATOR)
		qs_cidreg_adopt_operator(reg, p, vip_id, backend_id);
	else
		qs_cidreg_adopt(reg, p, vip_id, backend_id);
	return 0;
}

/*
 * qs_cids' IDs first (pins of a version that kept them there: puts of
 * IDs qs_cidtab holds already change nothing), then every entry of
 * qs_cidtab back to its backend. qs_cids is read, never written: an
 * older router program may still be attached and read it.
 */
int agent_cids_restore(struct agent_cids *c, struct qs_cidreg *reg)
{
	__u64 refused = 0;
	int err = qs_cidtab_fill_mapped(&c->tab, c->fd, &c->legacy_ids, &refused);

	if (err)
		pr_warn("ID table %s: cannot read %s: %s\n", QS_MAP_CIDTAB, QS_MAP_CIDS,
			strerror(-err));
	if (refused)
		pr_warn("ID table %s full: %llu IDs of %s route nowhere until they are issued "
			"again\n",
			QS_MAP_CIDTAB, (unsigned long long)refused, QS_MAP_CIDS);
	return qs_cidtab_scan(&c->tab, restore_entry, reg);
}
