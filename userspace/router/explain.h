/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the router would do with a packet, worked out from the live maps
 * without sending anything: the rung of the decision ladder and the
 * backend (the CLI's `route`). It follows bpf/route.h step by step with the
 * same shared helpers (flowhash.h, quicver.h, quiclb.h) and reads the same
 * maps, but changes nothing: no learning, no address entries (an Initial
 * that would replace one is said to), no ambiguity marks.
 * tests/bpf/test_explain.c holds it to the program's own verdicts.
 */
#ifndef QS_EXPLAIN_H
#define QS_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "abi/abi.h"
#include "cidtab.h"

struct qs_explain_maps {
	int vips, backends, nexthops, maglev, learned, settings, quiclb, server_ids;
	int flows, flows_new; /* established, opened by an Initial */
	/* reported and operator IDs, mapped (qs_cidtab_map_ro); NULL: no table made yet */
	const struct qs_cidtab *cidtab;
};

/* A packet as the CLI describes it. */
struct qs_explain_packet {
	struct qs_addr vip, client;
	__u16 vip_port, client_port; /* host order */
	__u8 family; /* enum qs_family */
	bool is_long;
	__u32 version; /* long headers */
	__u8 type_bits; /* long headers: the two type bits as on the wire */
	__u8 dcid[QS_CID_MAX_LEN + 235]; /* long headers of other versions may carry more */
	__u8 dcid_len; /* long: as the header says; short: the bytes after the first */
	__u8 scid[QS_CID_MAX_LEN]; /* long headers: the client's SCID */
	__u8 scid_len;
	__u32 udp_payload_len; /* for the Initial size rule; 0: 1200 */
};

struct qs_explain {
	__u32 reason; /* enum qs_reason */
	__u32 vip_id; /* QS_MAX_VIPS: not a VIP */
	__u32 backend_id; /* QS_NO_BACKEND when dropped or passed */
	__u8 cid_len; /* the DCID length the router would read */
	char why[256]; /* one sentence naming the rung and the entry that decided */
};

int qs_explain(const struct qs_explain_maps *m, const struct qs_explain_packet *p,
	       struct qs_explain *out);

#endif /* QS_EXPLAIN_H */
