// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stddef.h>
#include "reasons.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const reason_names[] = {
	[QS_R_PASS_NOT_IP] = "pass_not_ip",
	[QS_R_PASS_NOT_UDP] = "pass_not_udp",
	[QS_R_PASS_NOT_VIP] = "pass_not_vip",
	[QS_R_PASS_MALFORMED_L2L3] = "pass_malformed_l2l3",
	[QS_R_FRAG_DROP] = "frag_drop",
	[QS_R_FRAG_PASS] = "frag_pass",
	[QS_R_FRAG_HASH] = "frag_hash",
	[QS_R_DROP_TRUNCATED] = "drop_truncated",
	[QS_R_DROP_CID_TOO_LONG] = "drop_cid_too_long",
	[QS_R_DROP_SMALL_INITIAL] = "drop_small_initial",
	[QS_R_ROUTE_QUICLB] = "route_quiclb",
	[QS_R_ROUTE_CID] = "route_cid",
	[QS_R_ROUTE_CID_LEARNED] = "route_cid_learned",
	[QS_R_ROUTE_FLOW] = "route_flow",
	[QS_R_ROUTE_FLOW_LEARN] = "route_flow_learn",
	[QS_R_ROUTE_FLOW_NOLEARN] = "route_flow_nolearn",
	[QS_R_ROUTE_NEW] = "route_new",
	[QS_R_ROUTE_VERSION] = "route_version",
	[QS_R_ROUTE_UNKNOWN_HASH] = "route_unknown_hash",
	[QS_R_DROP_UNKNOWN_CID] = "drop_unknown_cid",
	[QS_R_DROP_AMBIGUOUS] = "drop_ambiguous",
	[QS_R_DROP_NO_BACKEND] = "drop_no_backend",
	[QS_R_DROP_NO_NEXTHOP] = "drop_no_nexthop",
	[QS_R_DROP_FAMILY] = "drop_family",
	[QS_R_DROP_ENCAP] = "drop_encap",
	[QS_R_DROP_PORT_ZERO] = "drop_port_zero",
	[QS_R_ROUTE_NEW_0RTT] = "route_new_0rtt",
	[QS_R_DROP_MALFORMED_L3] = "drop_malformed_l3",
	[QS_R_ROUTE_CID_DOWN] = "route_cid_down",
	[QS_R_ROUTE_NEW_REUSED] = "route_new_reused",
	[QS_R_ROUTE_HANDSHAKE_HASH] = "route_handshake_hash",
};
_Static_assert(ARRAY_SIZE(reason_names) == QS_R__COUNT, "a reason has no name");

static const char *const decap_reason_names[] = {
	[QS_D_PASS_OTHER] = "pass_other",	  [QS_D_DECAP_IPIP] = "decap_ipip",
	[QS_D_DECAP_IP6IP6] = "decap_ip6ip6",	  [QS_D_DECAP_IP4IP6] = "decap_ip4ip6",
	[QS_D_DROP_MALFORMED] = "drop_malformed", [QS_D_DROP_SOURCE] = "drop_source",
	[QS_D_DROP_LENGTH] = "drop_length",	  [QS_D_DROP_NOT_VIP] = "drop_not_vip",
};
_Static_assert(ARRAY_SIZE(decap_reason_names) == QS_D__COUNT, "a decap reason has no name");

static const char *const aux_counter_names[] = {
	[QS_AUX_EVENTS_LOST] = "events_lost",
	[QS_AUX_LEARN_FAILED] = "learn_failed",
	[QS_AUX_FLOW_MARKED_AMBIGUOUS] = "flow_marked_ambiguous",
	[QS_AUX_LEARN_CAPPED] = "learn_capped",
	[QS_AUX_EVENTS_SAMPLED_OUT] = "events_sampled_out",
	[QS_AUX_FLOW_PROMOTED] = "flow_promoted",
	[QS_AUX_PATH_CAPPED] = "path_capped",
	[QS_AUX_QUICLB_DECRYPTED] = "quiclb_decrypted",
	[QS_AUX_QUICLB_CACHED] = "quiclb_cached",
};
_Static_assert(ARRAY_SIZE(aux_counter_names) == QS_AUX__COUNT, "an aux counter has no name");

const char *qs_reason_name(unsigned int reason)
{
	return reason < QS_R__COUNT ? reason_names[reason] : "unknown";
}

const char *qs_decap_reason_name(unsigned int reason)
{
	return reason < QS_D__COUNT ? decap_reason_names[reason] : "unknown";
}

const char *qs_aux_counter_name(unsigned int counter)
{
	return counter < QS_AUX__COUNT ? aux_counter_names[counter] : "unknown";
}
