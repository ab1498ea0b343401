/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The data-path fuzzer's world (fuzz_datapath.c), which its seed generator
 * builds packets for: VIPs of every kind (learning or not, unknown-ID
 * policies drop and hash, each fragment policy, layer-2 DSR, QUIC-LB in
 * plaintext and both AES modes, the captures' server addresses, a VIP
 * whose Maglev row is empty), backends
 * reached by XDP_TX, by XDP_REDIRECT and by no usable next hop, one marked
 * down, reported and operator's IDs (the invariant's known set) and learned
 * IDs, live and stale (under the world's TTL, and under the default too).
 */
#ifndef QS_FUZZ_DATAPATH_WORLD_H
#define QS_FUZZ_DATAPATH_WORLD_H

#include <stddef.h>
#include <stdint.h>
#include "abi/abi.h"

struct fx;

/* Table sizes: small, so that resetting them per input is cheap. */
#define DPW_CID_ENTRIES 1024
#define DPW_LEARNED_ENTRIES 1024
#define DPW_MAX_CIDS 64
/* qs_settings' learned-ID TTL, shorter than the default */
#define DPW_LEARNED_TTL_NS (20ull * 1000000000ull)

enum dpw_nexthop {
	DPW_NH_TX = 0, /* out of the device it came in on */
	DPW_NH_VETH = 1, /* the fuzzer's veth, through qs_tx_ports */
	DPW_NH_MISSING_PORT = 2, /* a device qs_tx_ports does not hold */
	DPW_NH_INVALID = 3, /* an entry without QS_NEXTHOP_F_VALID */
};

struct dpw_vip {
	const char *addr;
	uint16_t port; /* 0: the address-wide entry, for fragments */
	struct qs_vip vip;
};

struct dpw_backend {
	uint32_t id;
	const char *addr;
	uint32_t nexthop; /* enum dpw_nexthop */
	uint8_t state;
};

struct dpw_cid {
	uint32_t vip_id;
	const char *hex;
	uint32_t backend_id;
	uint8_t kind; /* enum qs_cid_kind */
	unsigned int age_s; /* learned: written this long before the input starts */
};

extern const struct dpw_vip dpw_vips[];
extern const size_t dpw_n_vips;
extern const struct dpw_backend dpw_backends[];
extern const size_t dpw_n_backends;
extern const struct dpw_cid dpw_cids[]; /* qs_cids: reported and operator's */
extern const size_t dpw_n_cids;
extern const struct dpw_cid dpw_learned[]; /* qs_learned */
extern const size_t dpw_n_learned;

/* Encrypted QUIC-LB IDs of the world's usable configurations, as servers make them. */
#define DPW_MAX_LB_IDS 8
struct dpw_lb_id {
	uint32_t vip_id;
	uint32_t backend_id; /* QS_NO_BACKEND: a server ID the configuration does not have */
	uint8_t len;
	uint8_t cid[QS_CID_MAX_LEN];
};
extern struct dpw_lb_id dpw_lb_ids[DPW_MAX_LB_IDS];
extern size_t dpw_n_lb_ids;

/* Makes dpw_lb_ids with libquicsteer's codec; 0 or -errno. */
int dpw_lb_ids_make(void);

/* Writes the world into a fixture's maps; veth_ifindex is DPW_NH_VETH's device. */
int dpw_setup(struct fx *fx, uint32_t veth_ifindex);

/* The VIP entry of (address, port); addr in network order, IPv4 in 4 bytes. */
const struct dpw_vip *dpw_vip_find(int family, const uint8_t *addr, uint16_t port);
const struct dpw_backend *dpw_backend_by_addr(int family, const uint8_t *addr);

#endif /* QS_FUZZ_DATAPATH_WORLD_H */
