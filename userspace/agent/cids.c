// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cids.h"
#include "router/maps.h"

void agent_cids_init(struct agent_cids *c, int fd)
{
	c->fd = fd;
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

/*
 * Only this thread turns an entry authoritative, so an entry it read as
 * learned is still learned when it deletes it; the data path only refreshes
 * or adds learned entries.
 */
int agent_cids_del_read(struct agent_cids *c, const struct qs_cid_key *key)
{
	return qs_cid_del(c->fd, key);
}

static int expire_learned(void *ctx, const struct qs_cid_key *key)
{
	struct qs_cid_entry e;
	int err = agent_cids_lookup(ctx, key, &e);

	if (err)
		return err;
	if (e.kind != QS_CID_LEARNED)
		return QS_EXPIRY_CONFIRMED;
	err = agent_cids_del_read(ctx, key);
	return err ?: QS_EXPIRY_EXPIRED;
}

struct qs_expiry_table agent_cids_expiry_table(struct agent_cids *c)
{
	return (struct qs_expiry_table){ .expire = expire_learned, .ctx = c };
}

struct restore {
	struct qs_cidreg *reg;
	struct qs_expiry *x;
	__u64 now_ns;
};

static int restore_entry(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_entry *e = value;
	struct restore *r = ctx;

	if (e->kind == QS_CID_AUTHORITATIVE)
		qs_cidreg_adopt(r->reg, key, e->backend_id);
	else if (e->kind == QS_CID_OPERATOR)
		qs_cidreg_adopt_operator(r->reg, key, e->backend_id);
	else if (e->kind == QS_CID_LEARNED)
		return qs_expiry_found(r->x, key, r->now_ns);
	return 0;
}

int agent_cids_restore(struct agent_cids *c, struct qs_cidreg *reg, struct qs_expiry *x,
		       __u64 now_ns)
{
	struct restore r = { reg, x, now_ns };

	return qs_map_scan(c->fd, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry),
			   restore_entry, &r);
}
