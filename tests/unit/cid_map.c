// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "cid_map.h"
#include "router/maps.h"

static int cid_map_put(void *ctx, const struct qs_cid_place *p, __u32 vip_id, __u32 backend_id,
		       __u8 kind)
{
	struct cid_map *m = ctx;
	__u32 b;
	__u8 k;

	if (m->fail_puts > 0) {
		m->fail_puts--;
		return -ENOSPC;
	}
	if (m->cap && cid_map_count(m) >= m->cap && qs_cidtab_get_at(&m->tab, p, &b, &k))
		return -ENOSPC;
	m->puts++;
	return qs_cidtab_put_at(&m->tab, p, vip_id, backend_id, kind == QS_CID_OPERATOR);
}

static int cid_map_del(void *ctx, const struct qs_cid_place *p)
{
	struct cid_map *m = ctx;

	m->dels++;
	return qs_cidtab_del_at(&m->tab, p);
}

struct qs_cid_sink cid_map_sink(struct cid_map *m)
{
	struct qs_cid_sink s = { .put = cid_map_put, .del = cid_map_del, .ctx = m };

	memset(m, 0, sizeof(*m));
	cr_assert_eq(qs_cidtab_mem(&m->tab, m->mem, CID_MAP_BUCKETS), 0, "qs_cidtab_mem");
	memcpy(s.key, m->tab.key, sizeof(s.key));
	s.buckets = m->tab.buckets;
	return s;
}

struct qs_cid_place cid_map_place(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len)
{
	struct qs_cid_place p;
	struct qs_cid_key key;

	qs_cid_key_make(&key, vip, cid, len);
	qs_cidtab_place(&m->tab, &key, &p);
	return p;
}

__u32 cid_map_backend(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len)
{
	struct qs_cid_place p = cid_map_place(m, vip, cid, len);
	__u32 b;
	__u8 k;

	return qs_cidtab_get_at(&m->tab, &p, &b, &k) ? 0 : b;
}

__u8 cid_map_kind(const struct cid_map *m, __u32 vip, const __u8 *cid, size_t len)
{
	struct qs_cid_place p = cid_map_place(m, vip, cid, len);
	__u32 b;
	__u8 k;

	cr_assert_eq(qs_cidtab_get_at(&m->tab, &p, &b, &k), 0, "no entry for the ID");
	return k;
}

int cid_map_count(const struct cid_map *m)
{
	struct qs_cidtab_stats st;

	qs_cidtab_stats(&m->tab, &st);
	cr_assert_eq(st.displaced_wrong, 0, "qs_cidtab's displaced counts are wrong");
	return (int)st.entries;
}

void cid_map_work_all(struct qs_cidreg *reg)
{
	for (int turns = 0; qs_cidreg_work(reg, 1000); turns++)
		cr_assert_lt(turns, 100, "qs_cidreg_work makes no progress");
}
