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

	if (err) {
		pr_warn("ID table %s: %s\n", QS_MAP_CIDTAB, strerror(-err));
		return err;
	}
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

/* Into qs_cidtab, an ID qs_cids has now; on a full table, out of qs_cids again. */
static int tab_put(struct agent_cids *c, const struct qs_cid_key *k, const struct qs_cid_entry *e)
{
	int err = qs_cidtab_put(&c->tab, k, e->backend_id, e->kind == QS_CID_OPERATOR);

	if (err)
		qs_cid_del(c->fd, k);
	return err;
}

static int cid_put(void *ctx, const struct qs_cid_key *k, const struct qs_cid_entry *e)
{
	struct agent_cids *c = ctx;

	return qs_cid_put(c->fd, k, e) ?: tab_put(c, k, e);
}

static int cid_del(void *ctx, const struct qs_cid_key *k)
{
	struct agent_cids *c = ctx;

	qs_cidtab_del(&c->tab, k);
	return qs_cid_del(c->fd, k);
}

static int cid_put_batch(void *ctx, const struct qs_cid_key *keys, const struct qs_cid_entry *e,
			 size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	struct agent_cids *c = ctx;
	__u32 count = n;
	int err = 0;

	if (bpf_map_update_batch(c->fd, keys, e, &count, &opts))
		return -errno;
	for (size_t i = 0; i < n; i++)
		err = tab_put(c, &keys[i], &e[i]) ?: err;
	return err;
}

/* A batch delete stops at a key already gone; the rest go on. */
static int cid_del_batch(void *ctx, const struct qs_cid_key *keys, size_t n)
{
	int fd = ((struct agent_cids *)ctx)->fd;

	for (size_t i = 0; i < n; i++)
		qs_cidtab_del(&((struct agent_cids *)ctx)->tab, &keys[i]);

	while (n) {
		__u32 count = n;

		if (!bpf_map_delete_batch(fd, keys, &count, NULL))
			return 0;
		if (errno != ENOENT)
			return -errno;
		/* count were deleted, keys[count] was missing */
		keys += count + 1;
		n -= count + 1 < n ? count + 1 : n;
	}
	return 0;
}

struct qs_cid_sink agent_cids_sink(struct agent_cids *c)
{
	return (struct qs_cid_sink){ .put = cid_put,
				     .del = cid_del,
				     .del_batch = cid_del_batch,
				     .put_batch = cid_put_batch,
				     .ctx = c };
}

int agent_cids_lookup(const struct agent_cids *c, const struct qs_cid_key *key,
		      struct qs_cid_entry *e)
{
	return bpf_map_lookup_elem(c->fd, key, e) ? -errno : 0;
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

struct restore {
	struct agent_cids *c;
	struct qs_cidreg *reg;
	__u64 refused; /* by a full qs_cidtab */
};

static int restore_entry(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_entry *e = value;
	struct restore *r = ctx;

	if (e->kind != QS_CID_AUTHORITATIVE && e->kind != QS_CID_OPERATOR)
		return 0;
	/* adopted even if refused: the registry must know every ID of qs_cids to
	 * delete it some day; a refused one routes nowhere until it is put again */
	if (qs_cidtab_put(&r->c->tab, key, e->backend_id, e->kind == QS_CID_OPERATOR))
		r->refused++;
	if (e->kind == QS_CID_AUTHORITATIVE)
		qs_cidreg_adopt(r->reg, key, e->backend_id);
	else
		qs_cidreg_adopt_operator(r->reg, key, e->backend_id);
	return 0;
}

int agent_cids_restore(struct agent_cids *c, struct qs_cidreg *reg)
{
	struct restore r = { c, reg, 0 };
	int err = qs_map_scan(c->fd, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry),
			      restore_entry, &r);

	if (r.refused)
		pr_warn("ID table %s full: %llu IDs of %s route nowhere until they are issued "
			"again (it is sized for more than %s holds: should not happen)\n",
			QS_MAP_CIDTAB, (unsigned long long)r.refused, QS_MAP_CIDS, QS_MAP_CIDS);
	return err;
}
