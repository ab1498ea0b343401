// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs_vip_index (include/abi/vipindex.h) through the real program: every
 * VIP of qs_vips is found, as many as qs_vips holds, and only those; a
 * VIP removed from qs_vips is gone once the index is synced; a sync that
 * changes nothing writes nothing; and destinations nobody configured,
 * thousands of them, all leave untouched.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "abi/vipindex.h"
#include "fixture.h"
#include "pktbuild.h"
#include "router/maps.h"
#include "router/vipindex.h"
#include "util/words.h"

#define N_VIPS (4 * QS_MAX_VIPS) /* what qs_vips holds */

static struct fx fx;

static void setup(void)
{
	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
}

static void teardown(void)
{
	fx_close(&fx);
}

TestSuite(vipindex, .init = setup, .fini = teardown);

/* VIP i: 198.18.(i / 8).(i % 8 + 1) port 443 + i % 3, id i % QS_MAX_VIPS */
static void vip_addr(unsigned int i, char *addr, size_t len, uint16_t *port)
{
	snprintf(addr, len, "198.18.%u.%u", i / 8, i % 8 + 1);
	*port = 443 + i % 3;
}

/* An empty UDP datagram to (dst, port): a VIP's is dropped as truncated, any other passes. */
static int verdict(const char *dst, uint16_t port)
{
	struct pb_spec s = { .family = 4, .src = "198.19.0.1", .dst = dst, .sport = 40000,
			     .dport = port, .quic = PB_QUIC_NONE };
	uint8_t in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	size_t len = pb_build(&s, in, sizeof(in)), out_len = 0;

	cr_assert_gt(len, 0);
	return fx_run(&fx, in, len, out, &out_len);
}

static int vip_del(unsigned int i)
{
	struct qs_vip_key key;
	char addr[32];
	uint16_t port;

	vip_addr(i, addr, sizeof(addr), &port);
	memset(&key, 0, sizeof(key));
	cr_assert_eq(qs_parse_addr(addr, &key.addr, &key.family), 0);
	key.port = htons(port);
	return bpf_map_delete_elem(fx.vips, &key) ? -1 : 0;
}

static __u64 head_word(void)
{
	struct qs_vip_slot head;
	__u32 zero = 0;

	cr_assert_eq(bpf_map_lookup_elem(fx.vip_index, &zero, &head), 0);
	return ((struct qs_vip_index_head *)&head)->word;
}

Test(vipindex, every_vip_found_and_only_those)
{
	char addr[32];
	uint16_t port;
	__u64 word;

	for (unsigned int i = 0; i < N_VIPS; i++) {
		struct qs_vip v = { .vip_id = i % QS_MAX_VIPS, .cid_len = 8 };

		vip_addr(i, addr, sizeof(addr), &port);
		cr_assert_eq(fx_vip(&fx, addr, port, &v), 0, "VIP %u (%s %u) not indexed", i, addr,
			     port);
	}
	for (unsigned int i = 0; i < N_VIPS; i++) {
		vip_addr(i, addr, sizeof(addr), &port);
		cr_assert_eq(verdict(addr, port), XDP_DROP, "VIP %u (%s %u) not found", i, addr,
			     port);
	}
	cr_assert_eq(fx_reason(&fx, QS_R_DROP_TRUNCATED), N_VIPS);
	/* thousands of destinations nobody configured: the VIPs' neighbours and ports */
	for (unsigned int i = 0; i < 4096; i++) {
		snprintf(addr, sizeof(addr), "198.18.%u.%u", 16 + i / 256, i % 256);
		cr_assert_eq(verdict(addr, 443), XDP_PASS, "%s 443 taken for a VIP", addr);
	}
	for (unsigned int i = 0; i < N_VIPS; i++) {
		vip_addr(i, addr, sizeof(addr), &port);
		cr_assert_eq(verdict(addr, 446), XDP_PASS, "%s 446 taken for a VIP", addr);
	}
	cr_assert_eq(fx_reason(&fx, QS_R_PASS_NOT_VIP), 4096 + N_VIPS);

	word = head_word();
	cr_assert_eq(qs_vip_index_sync(fx.vips, fx.vip_index), 0);
	cr_assert_eq(head_word(), word, "a sync that changed nothing flipped the index");

	for (unsigned int i = 0; i < N_VIPS; i += 2)
		cr_assert_eq(vip_del(i), 0);
	cr_assert_eq(qs_vip_index_sync(fx.vips, fx.vip_index), 0);
	cr_assert_neq(head_word(), word, "the index did not change with qs_vips");
	for (unsigned int i = 0; i < N_VIPS; i++) {
		vip_addr(i, addr, sizeof(addr), &port);
		cr_assert_eq(verdict(addr, port), i % 2 ? XDP_DROP : XDP_PASS,
			     "VIP %u (%s %u): %s", i, addr, port,
			     i % 2 ? "kept, but not found" : "removed, but still found");
	}
}

/* An index never synced (a router whose agent has not started) finds no VIP. */
Test(vipindex, empty_index_finds_nothing)
{
	struct qs_vip_key key;
	struct qs_vip v = { .vip_id = 0, .cid_len = 8 };

	memset(&key, 0, sizeof(key));
	cr_assert_eq(qs_parse_addr("198.18.0.1", &key.addr, &key.family), 0);
	key.port = htons(443);
	cr_assert_eq(qs_vip_put(fx.vips, &key, &v), 0);
	cr_assert_eq(verdict("198.18.0.1", 443), XDP_PASS);
	cr_assert_eq(qs_vip_index_sync(fx.vips, fx.vip_index), 0);
	cr_assert_eq(verdict("198.18.0.1", 443), XDP_DROP);
}
