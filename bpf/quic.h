/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * QUIC invariant header parsing (RFC 8999, RFC 9000 17). The fixed bit is
 * never required: peers that negotiate grease_quic_bit (RFC 9287) clear it.
 */
#ifndef QS_BPF_QUIC_H
#define QS_BPF_QUIC_H

#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "abi/abi.h"
#include "abi/quiclb.h"
#include "abi/quicver.h"
#include "parse.h"

#define QUIC_LONG_HEADER 0x80
#define QUIC_LONG_DCID_OFF 6 /* first byte, version, DCID length */
/*
 * Every QUIC packet has at least 20 bytes from its DCID on: RFC 9001 5.4.2
 * samples 16 bytes for header protection 4 bytes past the packet number
 * offset, which lies after the DCID. Shorter datagrams cannot be QUIC.
 */
#define QUIC_MIN_FROM_DCID QS_CID_MAX_LEN

struct quic {
	__u32 dcid_off; /* from the frame start */
	__u8 is_long;
	__u8 long_type; /* enum qs_long_type, long headers only */
	__u8 dcid_len; /* long: from the header; short: set by the ladder */
	__u8 dcid0; /* first DCID byte (QUIC-LB config rotation), if dcid_len > 0 */
};

enum quic_result {
	QUIC_OK = 0,
	QUIC_TRUNCATED,
	QUIC_CID_TOO_LONG,
};

/* A long header of a known version must hold its SCID length and SCID. */
static __always_inline int parse_quic_scid(const struct quic *q, const struct pkt *p, void *data,
					   void *data_end)
{
	__u32 scid_len_off = (q->dcid_off + q->dcid_len) & 0xffff;
	__u8 *scid_len = data + scid_len_off;

	if ((void *)(scid_len + 1) > data_end)
		return QUIC_TRUNCATED;
	if (*scid_len > QS_CID_MAX_LEN)
		return QUIC_CID_TOO_LONG;
	if (scid_len_off + 1 + *scid_len > p->l4_off + sizeof(struct udphdr) + p->payload_len)
		return QUIC_TRUNCATED;
	return QUIC_OK;
}

/*
 * Reads the first byte, and for long headers the version and DCID length.
 * A short header's DCID length is not on the wire: the ladder sets it from
 * the VIP's configuration.
 */
static __always_inline int parse_quic(struct quic *q, const struct pkt *p, void *data,
				      void *data_end)
{
	__u32 off = (p->l4_off + sizeof(struct udphdr)) & 0xffff;
	__u8 *b = data + off;
	__u32 version;

	if ((void *)(b + 1) > data_end)
		return QUIC_TRUNCATED;
	q->is_long = !!(b[0] & QUIC_LONG_HEADER);
	if (!q->is_long) {
		q->dcid_off = off + 1;
		q->dcid_len = 0;
		return p->payload_len < 1 + QUIC_MIN_FROM_DCID ? QUIC_TRUNCATED : QUIC_OK;
	}
	if ((void *)(b + QUIC_LONG_DCID_OFF) > data_end)
		return QUIC_TRUNCATED;
	version = ((__u32)b[1] << 24) | ((__u32)b[2] << 16) | ((__u32)b[3] << 8) | b[4];
	q->long_type = qs_long_type(b[0], version);
	q->dcid_len = b[5];
	q->dcid_off = off + QUIC_LONG_DCID_OFF;
	/* RFC 8999 lets other versions use longer IDs; they route by address. */
	if (q->long_type == QS_LT_UNKNOWN_VERSION)
		return QUIC_OK;
	if (q->dcid_len > QS_CID_MAX_LEN)
		return QUIC_CID_TOO_LONG;
	if (p->payload_len < QUIC_LONG_DCID_OFF + QUIC_MIN_FROM_DCID)
		return QUIC_TRUNCATED;
	return parse_quic_scid(q, p, data, data_end);
}

/*
 * The DCID is read as three fixed words, whatever its length, and the bytes
 * past it are masked off: no helper call and no byte loop. qs_first_bytes
 * (abi/quiclb.h) masks 8-byte words; this, a 4-byte word (n 0..4).
 */
static __always_inline __u32 first_bytes32(__u32 w, __u32 n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return qs_first_bytes(w, n);
#else
	return qs_first_bytes((__u64)w << 32, n) >> 32;
#endif
}

/* Copies the DCID (q->dcid_len <= 20 bytes) into the key, zero-padded. */
static __always_inline int quic_load_dcid(const struct quic *q, struct qs_cid_key *key, void *data,
					  void *data_end)
{
	__u8 *b = data + (q->dcid_off & 0xffff);
	__u32 len = q->dcid_len;
	__u64 *dst = (__u64 *)key->cid;

	if ((void *)(b + QUIC_MIN_FROM_DCID) > data_end || len > QS_CID_MAX_LEN)
		return -1;
	key->cid_len = len;
	dst[0] = qs_first_bytes(*(__u64 *)b, len);
	dst[1] = qs_first_bytes(*(__u64 *)(b + 8), qs_clamp_sub(len, 8));
	/* the last 4 bytes share a word with vip_id: write them alone */
	*(__u32 *)(key->cid + 16) = first_bytes32(*(__u32 *)(b + 16), qs_clamp_sub(len, 16));
	return 0;
}

#endif /* QS_BPF_QUIC_H */
