/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one ABI shared by the XDP programs (bpf/) and userspace: every map key
 * and value, ring-buffer record, reason and constant. Structs are fixed
 * width, ordered large to small, hole-free and size-asserted. A layout change
 * renames the map (suffix _v2, ...) so an old pin is never read with a new
 * layout.
 */
#ifndef QUICSTEER_ABI_H
#define QUICSTEER_ABI_H

#include <linux/types.h>
#include "quicsteer/types.h"

#define QS_ABI_VERSION 1

/* QUIC limits (RFC 9000 14.1); QS_CID_MAX_LEN is in quicsteer/types.h. */
#define QS_MIN_INITIAL_DGRAM 1200

/* Table sizes. Maglev tables are one array of QS_MAX_VIPS rows. */
#define QS_MAX_VIPS 32
/* QS_MAX_BACKENDS is in quicsteer/types.h: backends check their own id. */
#define QS_MAX_NEXTHOPS QS_MAX_BACKENDS /* the agent gives each backend its own */
#define QS_MAGLEV_SIZE 65537 /* prime */
#define QS_CID_TABLE_SIZE (1 << 21)
/* Learned IDs: an LRU of their own, so a flood evicts only learned IDs. */
#define QS_LEARNED_TABLE_SIZE (1 << 18)
/*
 * Address entries: established ones (a reported ID was seen from the
 * address), and those only an Initial opened, apart, so that a flood of
 * forged Initials evicts only other unproven entries (route.h).
 */
#define QS_FLOW_TABLE_SIZE (1 << 20)
#define QS_FLOW_NEW_TABLE_SIZE (1 << 18)
#define QS_SERVER_ID_TABLE_SIZE 65536
#define QS_QUICLB_CACHE_SIZE (1 << 18)
#define QS_EVENTS_RING_BYTES (1 << 20)
/*
 * The data path submits ring records without waking the agent, which
 * drains the ring every QS_EVENTS_DRAIN_MS; past QS_EVENTS_WAKE_BYTES of
 * unread records (an agent behind its timer) each record wakes it.
 */
#define QS_EVENTS_DRAIN_MS 10
#define QS_EVENTS_WAKE_BYTES (QS_EVENTS_RING_BYTES / 4)

/* The QUIC-LB limits (QS_QUICLB_*) are in quicsteer/types.h. */

/*
 * Backend ids run from 1 to QS_MAX_BACKENDS - 1. Id 0 is never assigned, so
 * zeroed memory (a Maglev slot never written, a fresh entry) names no backend
 * and cannot send traffic to a real one.
 */
#define QS_NO_BACKEND 0u

/* Pinned map names (at most 15 characters, prefix qs_). */
#define QS_MAP_VIPS "qs_vips" /* userspace only: the record; the data path reads qs_vip_index */
#define QS_MAP_VIP_INDEX "qs_vip_index" /* abi/vipindex.h */
#define QS_MAP_BACKENDS "qs_backends"
#define QS_MAP_NEXTHOPS "qs_nexthops"
#define QS_MAP_MAGLEV "qs_maglev"
#define QS_MAP_CIDS "qs_cids" /* userspace only: older pins' IDs, read at an agent's start */
#define QS_MAP_CIDTAB "qs_cidtab" /* abi/cidtab.h */
#define QS_MAP_LEARNED "qs_learned"
#define QS_MAP_SETTINGS "qs_settings"
#define QS_MAP_EVENT_BUDGET "qs_ev_budget"
#define QS_MAP_FLOWS "qs_flows_v2" /* v2: struct qs_flow gained the opening Initial's tags */
#define QS_MAP_FLOWS_NEW "qs_flows_new"
#define QS_MAP_QUICLB "qs_quiclb"
#define QS_MAP_QUICLB_RK "qs_quiclb_rk"
#define QS_MAP_QUICLB_CACHE "qs_quiclb_cache"
#define QS_MAP_SERVER_IDS "qs_server_ids"
#define QS_MAP_TX_PORTS "qs_tx_ports"
#define QS_MAP_STATS "qs_stats_v2"
#define QS_MAP_VIP_STATS "qs_vip_stats"
#define QS_MAP_BACKEND_STATS "qs_be_stats"
#define QS_MAP_EVENTS "qs_events"
#define QS_MAP_AUX_STATS "qs_aux_v2"
#define QS_MAP_REPORTERS "qs_reporters_v2" /* userspace only */
/*
 * The decap program's (bpf/decap.bpf.c, on backends). Its counters were
 * qs_decap_stats, sized by the reasons of the time: that layout is gone.
 */
#define QS_MAP_DECAP_STATS "qs_decap_cnt_v2"
#define QS_MAP_DECAP_SRCS "qs_decap_srcs"
#define QS_MAP_DECAP_VIPS "qs_decap_vips"

/* What happens to a packet whose DCID is unknown and whose client address is
 * unknown (or ambiguous).
 */
enum qs_unknown_policy {
	QS_UNKNOWN_DROP = 0,
	QS_UNKNOWN_HASH = 1,
};

/* What happens to IP fragments sent to a VIP address. */
enum qs_frag_policy {
	QS_FRAG_DROP = 0,
	QS_FRAG_PASS = 1, /* to the local stack */
	QS_FRAG_HASH = 2, /* Maglev over the client address, port 0 */
};

enum qs_fwd_mode {
	QS_FWD_ENCAP = 0, /* IP-in-IP towards the backend's address */
	QS_FWD_L2DSR = 1, /* rewrite MAC addresses only */
};

enum qs_vip_flags {
	QS_VIP_F_LEARN = 1 << 0, /* learn unknown DCIDs through the address table */
	/*
	 * address-entry handshake: a handshake's packets that no ID routes
	 * go to Maglev and write no address entry and no ring record; the
	 * agent writes the entry from the backend's handshake report (route.h,
	 * route_handshake_hash)
	 */
	QS_VIP_F_ENTRY_AT_HANDSHAKE = 1 << 1,
};

enum qs_backend_state {
	QS_BACKEND_ACTIVE = 0,
	QS_BACKEND_DRAINING = 1, /* existing connections only */
	QS_BACKEND_DOWN = 2,
};

enum qs_cid_kind {
	QS_CID_AUTHORITATIVE = 0, /* reported by a backend */
	QS_CID_LEARNED = 1, /* learned by the data path, expires unless confirmed */
	/*
	 * Set by the operator (quicsteer cid add): authoritative to the data
	 * path, which tests only for LEARNED; the agent tells it apart so that
	 * no report removes it and an agent restart finds it the operator's.
	 */
	QS_CID_OPERATOR = 2,
};

enum qs_flow_flags {
	QS_FLOW_F_AMBIGUOUS = 1 << 0, /* carries connections to two backends */
};

enum qs_quiclb_mode {
	QS_QUICLB_NONE = 0,
	QS_QUICLB_PLAINTEXT = 1,
	QS_QUICLB_AES_SINGLE = 2, /* reserved for the encrypted modes */
	QS_QUICLB_AES_FOUR_PASS = 3,
};

/*
 * Every verdict's reason. Names (without QS_R_) are what the CLI and the
 * metrics print; keep qs_reason_names in step.
 */
enum qs_reason {
	QS_R_PASS_NOT_IP = 0,
	QS_R_PASS_NOT_UDP,
	QS_R_PASS_NOT_VIP,
	QS_R_PASS_MALFORMED_L2L3, /* truncated Ethernet/VLAN/IP/UDP header */
	QS_R_FRAG_DROP,
	QS_R_FRAG_PASS,
	QS_R_FRAG_HASH,
	QS_R_DROP_TRUNCATED, /* UDP length beyond the IP packet or frame, or QUIC header cut */
	QS_R_DROP_CID_TOO_LONG,
	QS_R_DROP_SMALL_INITIAL,
	QS_R_ROUTE_QUICLB,
	QS_R_ROUTE_CID,
	QS_R_ROUTE_CID_LEARNED,
	QS_R_ROUTE_FLOW, /* address table, DCID not needed (Initial, 0-RTT) */
	QS_R_ROUTE_FLOW_LEARN, /* address table, unknown DCID learned */
	QS_R_ROUTE_FLOW_NOLEARN, /* address table, unknown DCID, learning off or table full */
	QS_R_ROUTE_NEW, /* Maglev for a new connection */
	QS_R_ROUTE_VERSION, /* Version Negotiation or unknown version, by address */
	QS_R_ROUTE_UNKNOWN_HASH, /* unknown ID, unknown address, policy hash */
	QS_R_DROP_UNKNOWN_CID, /* unknown ID, unknown address, policy drop */
	QS_R_DROP_AMBIGUOUS, /* unknown ID from an ambiguous address, policy drop */
	QS_R_DROP_NO_BACKEND, /* empty Maglev slot or missing backend entry */
	QS_R_DROP_NO_NEXTHOP,
	QS_R_DROP_FAMILY, /* IPv6 client to an IPv4-only backend */
	QS_R_DROP_ENCAP, /* bpf_xdp_adjust_head refused */
	/*
	 * Added since: at the end, so that the counters of a pinned qs_stats_v2
	 * keep their indices.
	 */
	QS_R_DROP_PORT_ZERO, /* UDP to port 0 of a VIP address: never a service */
	QS_R_ROUTE_NEW_0RTT, /* 0-RTT of an unknown address: Maglev, nothing recorded */
	QS_R_DROP_MALFORMED_L3, /* IP length under the IP headers or beyond the frame */
	QS_R_ROUTE_CID_DOWN, /* ID table (either kind) to a backend marked down: forwarded */
	QS_R_ROUTE_NEW_REUSED, /* Initial of another connection from a known address: Maglev */
	/* long header, unknown ID, address-entry handshake VIP: Maglev, nothing recorded */
	QS_R_ROUTE_HANDSHAKE_HASH,
	QS_R__COUNT,
};
/*
 * qs_stats_v2 has more slots than reasons, so that adding one keeps the
 * map's layout and an upgraded router reuses the pin (qs_stats had exactly
 * the reasons of its time, and libbpf refuses a pin of another size).
 */
#define QS_STATS_SLOTS 64
_Static_assert(QS_R__COUNT <= QS_STATS_SLOTS, "reasons outgrow their counters");

/* Counters of things that are not verdicts (qs_aux_v2, per-CPU __u64). */
enum qs_aux_counter {
	QS_AUX_EVENTS_LOST = 0, /* ring buffer full */
	QS_AUX_LEARN_FAILED, /* unknown DCID routed, not learned: learned meanwhile */
	QS_AUX_FLOW_MARKED_AMBIGUOUS,
	QS_AUX_LEARN_CAPPED, /* the address entry learned QS_FLOW_LEARN_MAX IDs already */
	QS_AUX_EVENTS_SAMPLED_OUT, /* over the per-CPU event budget: not emitted */
	QS_AUX_FLOW_PROMOTED, /* a reported ID moved an Initial's entry to the established table */
	QS_AUX_PATH_CAPPED, /* an ID opened an address entry this second already: none opened */
	QS_AUX_QUICLB_DECRYPTED, /* an encrypted QUIC-LB ID decrypted (not found in the cache) */
	QS_AUX_QUICLB_CACHED, /* an encrypted QUIC-LB ID routed from the cache, no AES */
	QS_AUX__COUNT,
};
/* As qs_stats_v2: room for counters added later (qs_aux_stats had none). */
#define QS_AUX_SLOTS 32
_Static_assert(QS_AUX__COUNT <= QS_AUX_SLOTS, "aux counters outgrow their slots");

/*
 * Decap program reasons. Names (without QS_D_) are what `quicsteer decap
 * show` prints; keep decap_reason_names (router/reasons.c) in step.
 */
enum qs_decap_reason {
	QS_D_PASS_OTHER = 0, /* not encapsulated: untouched */
	QS_D_DECAP_IPIP,
	QS_D_DECAP_IP6IP6,
	QS_D_DECAP_IP4IP6,
	QS_D_DROP_MALFORMED, /* encapsulated, but the inner header is cut or not IP of its family */
	QS_D_DROP_SOURCE, /* outer source in no prefix of qs_decap_srcs */
	QS_D_DROP_LENGTH, /* outer length, inner length and frame disagree */
	QS_D_DROP_NOT_VIP, /* inner packet not UDP to an entry of qs_decap_vips */
	QS_D__COUNT,
};

/*
 * Slots of the decap counters: more than the reasons, so that a reason
 * added later does not change the map's layout (and name).
 */
#define QS_DECAP_STATS_SLOTS 16
_Static_assert(QS_D__COUNT <= QS_DECAP_STATS_SLOTS, "decap reasons outgrow their counters");

/* Ring-buffer record types. */
enum qs_event_type {
	QS_EV_LEARNED_CID = 1, /* unknown DCID routed by address, learned entry written */
	QS_EV_UNKNOWN_CID = 2, /* unknown DCID from an unknown address, dropped */
	QS_EV_NEW_FLOW = 3, /* Initial hashed by Maglev, address entry written */
};

/* qs_vips: (address, UDP port) of a virtual service. Port 0 is the
 * address-wide entry consulted for fragments, which carry no port.
 */
struct qs_vip_key {
	struct qs_addr addr;
	__be16 port;
	__u8 family; /* enum qs_family */
	__u8 pad;
};
_Static_assert(sizeof(struct qs_vip_key) == 20, "qs_vip_key size");

struct qs_vip {
	__u32 vip_id; /* < QS_MAX_VIPS: row of qs_maglev, key of the per-VIP tables */
	__u8 cid_len; /* short-header DCID length when no QUIC-LB config matches */
	__u8 unknown_policy; /* enum qs_unknown_policy */
	__u8 frag_policy; /* enum qs_frag_policy */
	__u8 fwd_mode; /* enum qs_fwd_mode */
	__u8 flags; /* enum qs_vip_flags */
	__u8 quiclb_mask; /* bit n set: QUIC-LB config n is in qs_quiclb */
	__u8 pad[2];
};
_Static_assert(sizeof(struct qs_vip) == 12, "qs_vip size");

/* qs_backends: array indexed by backend id (entry 0 unused). */
struct qs_backend {
	struct qs_addr addr; /* encapsulation destination */
	__u32 nexthop_id; /* index in qs_nexthops */
	__u8 family; /* enum qs_family; QS_AF_NONE: slot unused */
	__u8 state; /* enum qs_backend_state */
	__u16 weight;
};
_Static_assert(sizeof(struct qs_backend) == 24, "qs_backend size");

/* qs_nexthops: array; how to reach a backend's next hop on one egress. */
struct qs_nexthop {
	struct qs_addr src6; /* outer IPv6 source; low 16 bits vary per flow */
	__be32 src4; /* outer IPv4 source; low src4_flow_bits vary per flow */
	/*
	 * Egress device. 0 or the device the packet came in on: XDP_TX;
	 * another: XDP_REDIRECT through qs_tx_ports, which must hold it.
	 */
	__u32 tx_ifindex;
	__u8 dmac[6]; /* dmac and smac together, 8-byte aligned: copied as words */
	__u8 smac[6];
	__u8 src4_flow_bits; /* 0..16 */
	__u8 ttl; /* outer TTL / hop limit; 0 means 64 */
	__u8 flags; /* bit 0: entry valid */
	__u8 pad;
};
_Static_assert(sizeof(struct qs_nexthop) == 40, "qs_nexthop size");
_Static_assert(__builtin_offsetof(struct qs_nexthop, dmac) % 8 == 0 &&
		       __builtin_offsetof(struct qs_nexthop, smac) ==
			       __builtin_offsetof(struct qs_nexthop, dmac) + 6,
	       "qs_nexthop MACs");

#define QS_NEXTHOP_F_VALID 1

/*
 * An ID as the tables hash it: (VIP, DCID), the key of qs_learned (and of
 * qs_cids in older pins); what qs_cidtab's hash reads. The ID comes first and 8-byte aligned:
 * the data path fills and masks it a word at a time. Bytes past cid_len
 * are zero.
 */
struct qs_cid_key {
	__u8 cid[QS_CID_MAX_LEN];
	__u32 vip_id;
	__u8 cid_len;
	__u8 pad[7];
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct qs_cid_key) == 32, "qs_cid_key size");

/*
 * Written by the data path per ID: the low 16 bits of the flow hash of the
 * client address last seen with it, when (coarse second, ns >> 30, low 16
 * bits) its address entry was last checked, and when it last opened one.
 * Packets from the same address skip the address table but every
 * PATH_REFRESH_S (route.h), so a hit pays a compare, not a lookup; an ID
 * opens at most one address entry a second (QS_AUX_PATH_CAPPED), so that
 * forged sources on one known ID cannot fill the address table. Both
 * tables keep it: qs_cidtab beside its slots, qs_learned in the entry.
 */
struct qs_cid_path {
	__u16 hash;
	__u16 checked_s;
	__u16 opened_s;
};

/*
 * qs_learned's value, and qs_cids' (older pins' record of reported and
 * operator IDs; the data path reads qs_cidtab). created_ns, backend_id and
 * kind keep the offsets they had before `path` replaced three wider fields
 * of the same meaning: a pinned table of either layout reads right but for
 * the path, which is a hint.
 */
struct qs_cid_entry {
	__u64 created_ns; /* CLOCK_MONOTONIC (coarse) of the write */
	__u32 backend_id;
	struct qs_cid_path path; /* the data path's */
	__u8 pad2[2];
	__u8 kind; /* enum qs_cid_kind */
	__u8 pad[3];
};
_Static_assert(sizeof(struct qs_cid_entry) == 24 &&
		       __builtin_offsetof(struct qs_cid_entry, backend_id) == 8 &&
		       __builtin_offsetof(struct qs_cid_entry, kind) == 20,
	       "qs_cid_entry: size and the offsets pinned tables rely on");

/*
 * qs_flows_v2 (established) and qs_flows_new (opened by an Initial, not yet
 * seen with a reported ID): (VIP, client address, port) to backend; LRUs.
 */
struct qs_flow_key {
	struct qs_addr addr;
	__u32 vip_id;
	__be16 port;
	__u8 family;
	__u8 pad;
};
_Static_assert(sizeof(struct qs_flow_key) == 24, "qs_flow_key size");

struct qs_flow {
	__u64 last_seen_ns; /* CLOCK_MONOTONIC (coarse) */
	__u32 backend_id;
	__u16 flags; /* enum qs_flow_flags */
	/* IDs learned through this entry, at most QS_FLOW_LEARN_MAX */
	__u16 learned;
	/*
	 * The connection that opened the entry, when an Initial did: the tags
	 * (qs_cid_tag, flowhash.h) of its DCID and of the client's SCID (0:
	 * empty). 0 and 0: an ID-table hit opened it. An Initial whose DCID
	 * and SCID both differ is another connection from a reused client port.
	 */
	__u32 dcid_tag;
	__u32 scid_tag;
	/*
	 * With QS_FLOW_F_AMBIGUOUS: when (coarse seconds, ns >> 30) an ID of
	 * another backend was last seen from the address. The mark holds
	 * QS_FLOW_AMBIGUOUS_HOLD of those after it (flowhash.h), so that one
	 * spoofed packet cannot take the address fallback from its client
	 * for good; a socket that really carries two connections renews it
	 * at every path check (once a second per ID).
	 */
	__u32 ambiguous_s;
	__u32 pad;
};
_Static_assert(sizeof(struct qs_flow) == 32, "qs_flow size");

/*
 * A client socket that rotates through more connection IDs than this,
 * unreported, without an Initial, is not a client: the IDs past it are
 * routed by the address but not learned, so one address entry cannot
 * fill the learned table (QUIC peers keep a handful of IDs active,
 * RFC 9000 5.1.1, and a migration moves to a new address entry).
 */
#define QS_FLOW_LEARN_MAX 32

/*
 * qs_settings: one entry (key 0), written by the agent: what the data
 * path needs of the configuration that is not per VIP.
 */
struct qs_settings {
	__u64 learned_ttl_ns; /* a learned ID older than this is not used; 0: the default */
};
_Static_assert(sizeof(struct qs_settings) == 8, "qs_settings size");
#define QS_DEFAULT_LEARNED_TTL_NS (30ull * 1000000000ull)

/*
 * qs_ev_budget: per CPU, the ring-buffer records emitted in the current
 * second. Past QS_EVENTS_PER_CPU_SEC the rest are counted
 * (QS_AUX_EVENTS_SAMPLED_OUT), not emitted: a flood of unknown IDs costs
 * the ring and the agent a bounded rate, and nothing depends on a record
 * arriving (learned IDs expire from their table by age).
 */
struct qs_event_budget {
	__u64 second; /* coarse seconds (ns >> 30) of the count */
	__u64 emitted;
};
_Static_assert(sizeof(struct qs_event_budget) == 16, "qs_event_budget size");
#define QS_EVENTS_PER_CPU_SEC 4096

/* qs_quiclb: array indexed by vip_id * QS_QUICLB_CONFIGS + config id. */
struct qs_quiclb_config {
	__u8 key[QS_QUICLB_KEY_LEN]; /* encrypted modes only */
	__u8 mode; /* enum qs_quiclb_mode */
	__u8 server_id_len; /* 1..15 */
	__u8 nonce_len; /* 4..18 */
	__u8 pad[5];
};
_Static_assert(sizeof(struct qs_quiclb_config) == 24, "qs_quiclb_config size");

/*
 * qs_quiclb_rk: the AES-128 round keys of an encrypted configuration, at
 * its qs_quiclb index, written by the agent with the configuration
 * (abi/aes.h): enc for the cipher (four-pass), dec for the equivalent
 * inverse cipher (single-pass). Words are big-endian columns.
 */
struct qs_quiclb_rk {
	__u32 enc[44];
	__u32 dec[44];
	/*
	 * Raised at every write (the agent writes each encrypted
	 * configuration's entry again at the end of every apply, after the
	 * server IDs): a decoded ID cached under another generation is stale.
	 */
	__u32 gen;
	__u32 pad;
};
_Static_assert(sizeof(struct qs_quiclb_rk) == 360, "qs_quiclb_rk size");

/*
 * qs_quiclb_cache: an encrypted QUIC-LB ID (VIP, DCID: a qs_cid_key)
 * already decoded, to its backend, so that a connection's packets pay
 * AES once; an LRU of its own, written only for IDs whose server ID is
 * configured, so that made-up IDs neither fill it nor evict from any
 * other table.
 */
struct qs_quiclb_cached {
	__u32 backend_id;
	__u32 gen; /* its configuration's qs_quiclb_rk.gen when decoded */
};
_Static_assert(sizeof(struct qs_quiclb_cached) == 8, "qs_quiclb_cached size");

/* qs_server_ids: (VIP, config, server ID) to backend id (__u32). Bytes of
 * sid past sid_len are zero.
 */
struct qs_server_id_key {
	__u8 sid[QS_QUICLB_SID_MAX + 1];
	__u32 vip_id;
	__u8 config_id;
	__u8 sid_len;
	__u8 pad[2];
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct qs_server_id_key) == 24, "qs_server_id_key size");

/* qs_stats_v2 (per reason), qs_vip_stats, qs_be_stats: per-CPU arrays. */
struct qs_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct qs_counter) == 16, "qs_counter size");

/*
 * qs_reporters_v2: array by backend id, written by the agent only. Where each
 * backend's reports stand, kept in a pin so that an agent restart does not
 * reopen the door to replayed datagrams. (qs_reporters, before the report
 * protocol's version 2: no version; the agent takes its entries over as
 * version 1 and removes it.)
 */
#define QS_REPORTER_OLD_INCARNATIONS 16

struct qs_reporter_state {
	/*
	 * 0: never reported. Version 2: the backend's start in wall-clock
	 * ns, ordered; version 1: random.
	 */
	__u64 incarnation;
	__u64 sequence; /* last accepted within the incarnation */
	/*
	 * Incarnations replaced, newest first: what refuses a version-1
	 * datagram of an old process (version 2 compares incarnations).
	 */
	__u64 old[QS_REPORTER_OLD_INCARNATIONS];
	__u8 version; /* of the incarnation: 2, or 1 (taken only with report-accept-v1) */
	__u8 pad[7];
};
_Static_assert(sizeof(struct qs_reporter_state) == 152, "qs_reporter_state size");

/*
 * What the agent finds pinned as qs_reporters: the layout before version 2
 * (a pin of older agents, not a map of the program: hence not QS_MAP_).
 */
#define QS_PIN_REPORTERS_V1 "qs_reporters"
struct qs_reporter_state_v1 {
	__u64 incarnation;
	__u64 sequence;
	__u64 old[QS_REPORTER_OLD_INCARNATIONS];
};
_Static_assert(sizeof(struct qs_reporter_state_v1) == 144, "qs_reporter_state_v1 size");

/*
 * The decap program's allow-lists, written by `quicsteer decap` on a
 * backend. Empty, they allow nothing: every encapsulated packet is dropped.
 *
 * qs_decap_srcs: an LPM trie of the outer source prefixes decap accepts
 * (the routers' encap-source4/encap-source6 prefixes: the router fills the
 * low bits per flow). The trie matches the family word, then the address,
 * so prefixlen counts the family's 32 bits too: an IPv4 /24 is 56, an IPv6
 * /112 is 144; the program looks up with QS_DECAP_SRC_KEY_BITS. Address
 * bits past the prefix are zero.
 */
#define QS_DECAP_MAX_SRCS 1024
#define QS_DECAP_SRC_FAMILY_BITS 32
#define QS_DECAP_SRC_KEY_BITS (QS_DECAP_SRC_FAMILY_BITS + 128)

struct qs_decap_src_key {
	__u32 prefixlen; /* struct bpf_lpm_trie_key's: the family's bits and the prefix's */
	__u32 family; /* enum qs_family */
	struct qs_addr addr;
};
_Static_assert(sizeof(struct qs_decap_src_key) == 24, "qs_decap_src_key size");

/*
 * qs_decap_vips: hash of the inner destinations decap delivers, keyed like
 * qs_vips (a change of struct qs_vip_key renames both): address, UDP port,
 * family. As in the router, fragments (no port past the first) match the
 * entry of port 0, and only that one.
 */
#define QS_DECAP_MAX_VIPS 1024

/* The value of both allow-lists: the entry's presence is the permission. */
struct qs_decap_allow {
	__u32 flags; /* none defined yet: 0 */
};
_Static_assert(sizeof(struct qs_decap_allow) == 4, "qs_decap_allow size");

/* qs_events: ring-buffer record. */
struct qs_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC (coarse) */
	struct qs_addr client;
	__u32 type; /* enum qs_event_type */
	__u32 vip_id;
	__u32 backend_id;
	__be16 client_port;
	__u8 family;
	__u8 cid_len;
	__u8 cid[QS_CID_MAX_LEN];
	__u8 pad[4];
};
_Static_assert(sizeof(struct qs_event) == 64, "qs_event size");

#endif /* QUICSTEER_ABI_H */
