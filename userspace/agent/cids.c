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

int agent_cids_init(struct agent_cids *c, int fd, int learned_fd, __u64 learned_ttl_ns)
{
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
}

void agent_cids_set_ttl(struct agent_cids *c, __u64 learned_ttl_ns)
{
	agent_sweep_set_age(c->sweep, learned_ttl_ns);
}

static int cid_put(void *ctx, const struct qs_cid_key *k, const struct qs_cid_entry *e)
{
	return qs_cid_put(((struct agent_cids *)ctx)->fd, k, e);
}

static int cid_del(void *ctx, const struct qs_cid_key *k)
{
	return qs_cid_del(((struct agent_cids *)ctx)->fd, k);
}

static int cid_put_batch(void *ctx, const struct qs_cid_key *keys, const struct qs_cid_entry *e,
			 size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	__u32 count = n;

	return bpf_map_update_batch(((struct agent_cids *)ctx)->fd, keys, e, &count, &opts) ?
		       -errno :
		       0;
}

/* A batch delete stops at a key already gone; the rest go on. */
static int cid_del_batch(void *ctx, const struct qs_cid_key *keys, size_t n)
{
	int fd = ((struct agent_cids *)ctx)->fd;

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

static int restore_entry(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_entry *e = value;

	if (e->kind == QS_CID_AUTHORITATIVE)
		qs_cidreg_adopt(ctx, key, e->backend_id);
	else if (e->kind == QS_CID_OPERATOR)
		qs_cidreg_adopt_operator(ctx, key, e->backend_id);
	return 0;
}

int agent_cids_restore(struct agent_cids *c, struct qs_cidreg *reg)
{
	return qs_map_scan(c->fd, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry),
			   restore_entry, reg);
}
