/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The decision ladder's arithmetic, shared by the data path (bpf/route.h)
 * and the CLI's prediction of it (userspace/router/explain.c), so that
 * `route explain` cannot drift from what the program does: which QUIC-LB
 * configuration a DCID selects and where it lies in qs_quiclb, how long a
 * QUIC-LB ID is and which length a short header's DCID has, the server-ID
 * key of a plaintext ID, and the qs_maglev slot of a flow. Pure functions
 * of plain values: callers do the map lookups, each its own way.
 */
#ifndef QUICSTEER_QUICLB_H
#define QUICSTEER_QUICLB_H

#include <linux/types.h>
#include "abi/abi.h"

/*
 * linux/types.h brings linux/stddef.h, whose __always_inline is a plain
 * inline when nothing defined it before. The data path must not turn these
 * into subprogram calls whatever a bpf/ file includes first. glibc's
 * sys/cdefs.h and libbpf's bpf_helpers.h #undef it before their own
 * definition, which means the same as this one, so any include order works.
 */
#undef __always_inline
#define __always_inline __inline__ __attribute__((__always_inline__))

/*
 * Key bytes are read and written a word at a time (the keys are 8-byte
 * aligned); these types may alias the byte arrays, for gcc as for clang.
 */
typedef __u64 __attribute__((__may_alias__)) qs_key_word64;
typedef __u32 __attribute__((__may_alias__)) qs_key_word32;

/* QUIC-LB: the config rotation bits are the top three of the first byte. */
#define QS_QUICLB_CONFIG_SHIFT 5

static __always_inline __u32 qs_quiclb_config_id(__u8 dcid0)
{
	return dcid0 >> QS_QUICLB_CONFIG_SHIFT;
}

/* Bit of struct qs_vip's quiclb_mask saying configuration config_id is set. */
static __always_inline __u32 qs_quiclb_mask_bit(__u32 config_id)
{
	return 1u << config_id;
}

/* qs_quiclb is one array: QS_QUICLB_CONFIGS entries per VIP. */
static __always_inline __u32 qs_quiclb_index(__u32 vip_id, __u32 config_id)
{
	return vip_id * QS_QUICLB_CONFIGS + config_id;
}

/*
 * The qs_quiclb index of the configuration a DCID's first byte selects on a
 * VIP: 0 and *idx set, or -1 when the VIP has no such configuration (among
 * them 0b111, QUIC-LB's unroutable IDs).
 */
static __always_inline int qs_quiclb_select(__u32 vip_id, __u8 quiclb_mask, __u8 dcid0, __u32 *idx)
{
	__u32 config_id = qs_quiclb_config_id(dcid0);

	if (!(quiclb_mask & qs_quiclb_mask_bit(config_id)) || config_id >= QS_QUICLB_CONFIGS)
		return -1;
	*idx = qs_quiclb_index(vip_id, config_id);
	return 0;
}

/* A QUIC-LB ID says its own length: the first byte, server ID, nonce. */
static __always_inline __u32 qs_quiclb_cid_len(__u32 server_id_len, __u32 nonce_len)
{
	return 1 + server_id_len + nonce_len;
}

/*
 * Whether a selected configuration gives IDs their length. An unset entry
 * does not, and one describing IDs over 20 bytes is ignored: no DCID is that
 * long, so a short header is read at the VIP's length instead.
 */
static __always_inline int qs_quiclb_config_usable(const struct qs_quiclb_config *cfg)
{
	return cfg->mode != QS_QUICLB_NONE &&
	       qs_quiclb_cid_len(cfg->server_id_len, cfg->nonce_len) <= QS_CID_MAX_LEN;
}

/*
 * Short headers do not carry the DCID length: a usable configuration
 * selected by the first byte gives it (cfg), otherwise (NULL) the VIP's
 * configured length.
 */
static __always_inline __u32 qs_short_dcid_len(__u32 vip_cid_len,
					       const struct qs_quiclb_config *cfg)
{
	return cfg ? qs_quiclb_cid_len(cfg->server_id_len, cfg->nonce_len) : vip_cid_len;
}

/*
 * Rung a decodes only plaintext IDs, of exactly the configuration's length,
 * whose server ID fits the key: the server ID's length, or 0 when the ID is
 * not one of those.
 */
static __always_inline __u32 qs_quiclb_plaintext_sid_len(const struct qs_quiclb_config *cfg,
							 __u32 cid_len)
{
	__u32 sid_len = cfg->server_id_len;

	if (cfg->mode != QS_QUICLB_PLAINTEXT ||
	    cid_len != qs_quiclb_cid_len(sid_len, cfg->nonce_len))
		return 0;
	if (sid_len < 1 || sid_len > QS_QUICLB_SID_MAX)
		return 0;
	return sid_len;
}

/*
 * The first n (0..8) bytes of w as it lies in memory, the rest zero: keys
 * keep the bytes past an ID's length zero (abi.h), and the data path masks
 * whole words rather than loop over bytes. bpf/quic.h fills the DCID key
 * with it too.
 */
static __always_inline __u64 qs_first_bytes(__u64 w, __u32 n)
{
	if (n >= 8)
		return w;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w & ((1ull << (n * 8)) - 1);
#else
	return n ? w & ~((1ull << ((8 - n) * 8)) - 1) : 0;
#endif
}

/* How many of len bytes lie past the first start. */
static __always_inline __u32 qs_clamp_sub(__u32 len, __u32 start)
{
	return len > start ? len - start : 0;
}

/*
 * The qs_server_ids key of a plaintext QUIC-LB ID: the server ID (bytes
 * 1..sid_len of the DCID, sid_len 1..QS_QUICLB_SID_MAX as
 * qs_quiclb_plaintext_sid_len returns it) shifted out of the DCID key's
 * words and masked, under the key's VIP and the configuration its first
 * byte selects.
 */
static __always_inline void qs_quiclb_server_id_key(const struct qs_cid_key *cid, __u32 sid_len,
						    struct qs_server_id_key *sk)
{
	const qs_key_word64 *w = (const qs_key_word64 *)cid->cid;
	__u64 w2 = *(const qs_key_word32 *)(cid->cid + 16);
	qs_key_word64 *sid = (qs_key_word64 *)sk->sid;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	sid[0] = qs_first_bytes((w[0] >> 8) | (w[1] << 56), sid_len);
	sid[1] = qs_first_bytes((w[1] >> 8) | (w2 << 56), qs_clamp_sub(sid_len, 8));
#else
	sid[0] = qs_first_bytes((w[0] << 8) | (w[1] >> 56), sid_len);
	sid[1] = qs_first_bytes((w[1] << 8) | (w2 >> 24), qs_clamp_sub(sid_len, 8));
#endif
	sk->vip_id = cid->vip_id;
	sk->config_id = qs_quiclb_config_id(cid->cid[0]);
	sk->sid_len = sid_len;
	sk->pad[0] = sk->pad[1] = 0;
}

/*
 * Maglev: a flow's slot in its VIP's row, and where a row's slot lies in
 * qs_maglev, one array of QS_MAX_VIPS rows of QS_MAGLEV_SIZE slots.
 */
static __always_inline __u32 qs_maglev_slot(__u32 hash)
{
	return hash % QS_MAGLEV_SIZE;
}

static __always_inline __u32 qs_maglev_index(__u32 vip_id, __u32 slot)
{
	return vip_id * QS_MAGLEV_SIZE + slot;
}

/* The VIP id whose row holds a qs_maglev index. */
static __always_inline __u32 qs_maglev_row(__u32 index)
{
	return index / QS_MAGLEV_SIZE;
}

#endif /* QUICSTEER_QUICLB_H */
