// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "cid_map.h"
#include "router/maps.h"

int cid_map_slot(const struct cid_map *m, const struct qs_cid_key *key)
{
	for (int i = 0; i < CID_MAP_CAP; i++)
		if (m->used[i] && !memcmp(&m->keys[i], key, sizeof(*key)))
			return i;
	return -1;
}

int cid_map_put(void *ctx, const struct qs_cid_key *key, const struct qs_cid_entry *e)
{
	struct cid_map *m = ctx;
	int i = cid_map_slot(m, key);

	if (m->fail_puts > 0) {
		m->fail_puts--;
		return -ENOSPC;
	}
	if (i < 0 && m->cap && cid_map_count(m) >= m->cap)
		return -E2BIG;
	for (int j = 0; i < 0 && j < CID_MAP_CAP; j++)
		if (!m->used[j])
			i = j;
	cr_assert_geq(i, 0, "fake map full");
	m->keys[i] = *key;
	m->vals[i] = *e;
	m->used[i] = 1;
	m->puts++;
	return 0;
}

static int cid_map_del(void *ctx, const struct qs_cid_key *key)
{
	struct cid_map *m = ctx;
	int i = cid_map_slot(m, key);

	m->dels++;
	if (i < 0)
		return -ENOENT;
	m->used[i] = 0;
	return 0;
}

static int cid_map_del_batch(void *ctx, const struct qs_cid_key *keys, size_t n)
{
	struct cid_map *m = ctx;

	m->batches++;
	for (size_t i = 0; i < n; i++)
		cid_map_del(ctx, &keys[i]);
	return 0;
}

struct qs_cid_sink cid_map_sink(struct cid_map *m, int batches)
{
	memset(m, 0, sizeof(*m));
	return (struct qs_cid_sink){ .put = cid_map_put,
				     .del = cid_map_del,
				     .del_batch = batches ? cid_map_del_batch : NULL,
				     .ctx = m };
}

static int slot_of_id(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len)
{
	struct qs_cid_key key;

	qs_cid_key_make(&key, vip, cid, len);
	return cid_map_slot(m, &key);
}

__u32 cid_map_backend(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len)
{
	int i = slot_of_id(m, vip, cid, len);

	return i < 0 ? 0 : m->vals[i].backend_id;
}

__u8 cid_map_kind(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len)
{
	int i = slot_of_id(m, vip, cid, len);

	cr_assert_geq(i, 0, "no entry for the ID");
	return m->vals[i].kind;
}

int cid_map_count(const struct cid_map *m)
{
	int n = 0;

	for (int i = 0; i < CID_MAP_CAP; i++)
		n += m->used[i];
	return n;
}

void cid_map_work_all(struct qs_cidreg *reg)
{
	for (int turns = 0; qs_cidreg_work(reg, 1000); turns++)
		cr_assert_lt(turns, 100, "qs_cidreg_work makes no progress");
}
