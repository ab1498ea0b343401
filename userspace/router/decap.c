// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "decap.h"
#include "maps.h"

void qs_decap_src_key_make(struct qs_decap_src_key *key, const struct qs_prefix *p)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = QS_DECAP_SRC_FAMILY_BITS + p->len;
	key->family = p->family;
	key->addr = p->addr;
}

void qs_decap_src_key_prefix(const struct qs_decap_src_key *key, struct qs_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->addr = key->addr;
	p->family = (__u8)key->family;
	p->len = (__u8)(key->prefixlen - QS_DECAP_SRC_FAMILY_BITS);
}

void qs_decap_vip_key_make(struct qs_vip_key *key, const struct qs_addr *addr, __u8 family,
			   __u16 port)
{
	memset(key, 0, sizeof(*key));
	key->addr = *addr;
	key->port = htons(port);
	key->family = family;
}

static const struct qs_decap_allow allowed = { 0 };

int qs_decap_src_allow(int fd, const struct qs_prefix *p)
{
	struct qs_decap_src_key key;

	qs_decap_src_key_make(&key, p);
	return bpf_map_update_elem(fd, &key, &allowed, BPF_ANY) ? -errno : 0;
}

int qs_decap_src_remove(int fd, const struct qs_prefix *p)
{
	struct qs_decap_src_key key;

	qs_decap_src_key_make(&key, p);
	return bpf_map_delete_elem(fd, &key) ? -errno : 0;
}

int qs_decap_vip_allow(int fd, const struct qs_vip_key *key)
{
	return bpf_map_update_elem(fd, key, &allowed, BPF_ANY) ? -errno : 0;
}

int qs_decap_vip_remove(int fd, const struct qs_vip_key *key)
{
	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct qs_prefix *x = a, *y = b;
	int d = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (x->family != y->family)
		return x->family - y->family;
	return d ? d : x->len - y->len;
}

static int vip_cmp(const void *a, const void *b)
{
	const struct qs_vip_key *x = a, *y = b;
	int d = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (x->family != y->family)
		return x->family - y->family;
	return d ? d : ntohs(x->port) - ntohs(y->port);
}

int qs_decap_srcs_list(int fd, struct qs_prefix *out, size_t max, size_t *n)
{
	struct qs_decap_src_key *keys = calloc(max ? max : 1, sizeof(*keys));
	int err;

	if (!keys)
		return -ENOMEM;
	err = qs_map_keys(fd, sizeof(*keys), keys, max, n);
	for (size_t i = 0; !err && i < *n; i++)
		qs_decap_src_key_prefix(&keys[i], &out[i]);
	if (!err)
		qsort(out, *n, sizeof(*out), prefix_cmp);
	free(keys);
	return err;
}

int qs_decap_vips_list(int fd, struct qs_vip_key *out, size_t max, size_t *n)
{
	int err = qs_map_keys(fd, sizeof(*out), out, max, n);

	if (!err)
		qsort(out, *n, sizeof(*out), vip_cmp);
	return err;
}

int qs_decap_flush(int fd, size_t key_size)
{
	size_t max = QS_DECAP_MAX_SRCS > QS_DECAP_MAX_VIPS ? QS_DECAP_MAX_SRCS : QS_DECAP_MAX_VIPS;
	char *keys = calloc(max, key_size);
	size_t n = 0;
	int err, removed = 0;

	if (!keys)
		return -ENOMEM;
	err = qs_map_keys(fd, key_size, keys, max, &n);
	for (size_t i = 0; !err && i < n; i++) {
		if (!bpf_map_delete_elem(fd, keys + i * key_size))
			removed++;
		else if (errno != ENOENT) /* gone meanwhile is gone */
			err = -errno;
	}
	free(keys);
	return err ? err : removed;
}
