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
#include "abi/flowhash.h"
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
	__u32 scid_tag; /* known long headers: qs_cid_tag of the SCID, 0 if empty */
};

enum quic_result {
	QUIC_OK = 0,
	QUIC_TRUNCATED,
	QUIC_CID_TOO_LONG,
};

/*
 * Connection IDs are read as three fixed words, whatever their length, and
 * the bytes past them are masked off: no helper call and no byte loop.
 * qs_first_bytes (abi/quiclb.h) masks 8-byte words; this, a 4-byte word
 * (n 0..4).
 */
static __always_inline __u32 first_bytes32(__u32 w, __u32 n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return qs_first_bytes(w, n);
#else
	return qs_first_bytes((__u64)w << 32, n) >> 32;
#endif
}

/*
 * Copies the len (<= 20) bytes at b, which has 20 readable bytes, to the
 * 8-byte aligned dst, zero-padded to 20 bytes.
 */
static __always_inline void cid_copy(__u8 *dst, const __u8 *b, __u32 len)
{
	__u64 *d = (__u64 *)dst;

	d[0] = qs_first_bytes(*(const __u64 *)b, len);
	d[1] = qs_first_bytes(*(const __u64 *)(b + 8), qs_clamp_sub(len, 8));
	/* the last 4 bytes may share a word with other fields: written alone */
	*(__u32 *)(dst + 16) = first_bytes32(*(const __u32 *)(b + 16), qs_clamp_sub(len, 16));
}

/*
 * A long header of a known version must hold its SCID length and SCID. The
 * SCID of an Initial or 0-RTT packet is the client's, the same in all its
 * Initials (also after a Retry, RFC 9000 7.3): its tag tells a reused client
 * port's new connection from the one that opened the address entry. Like
 * the DCID, it is followed by at least 20 bytes (RFC 9001 5.4.2), but in a
 * Retry, which no client sends: one that falls short is dropped as cut.
 */
static __always_inline int parse_quic_scid(struct quic *q, const struct pkt *p, void *data,
					   void *data_end)
{
	__u32 scid_len_off = (q->dcid_off + q->dcid_len) & 0xffff;
	__u8 *scid_len = data + scid_len_off;
	__u8 scid[QS_CID_MAX_LEN] __attribute__((aligned(8)));
	__u8 *b = scid_len + 1;
	__u32 len;

	if ((void *)(scid_len + 1) > data_end)
		return QUIC_TRUNCATED;
	len = *scid_len;
	if (len > QS_CID_MAX_LEN)
		return QUIC_CID_TOO_LONG;
	if (scid_len_off + 1 + len > p->l4_off + sizeof(struct udphdr) + p->payload_len)
		return QUIC_TRUNCATED;
	if ((void *)(b + QUIC_MIN_FROM_DCID) > data_end)
		return QUIC_TRUNCATED;
	/*
	 * For every long header, without a branch: a tag computed only for
	 * some types, or set apart for empty SCIDs by a branch, doubled the
	 * states the verifier walks through the whole ladder (clang 14,
	 * kernel 6.18: 25 000 more verified instructions, against 2 600 this
	 * way). (len + 31) >> 5 is 1 for 1..20 bytes, 0 for none.
	 */
	cid_copy(scid, b, len);
	q->scid_tag = qs_cid_tag(scid, len) & (0u - ((len + 31) >> 5));
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

/* Copies the DCID (q->dcid_len <= 20 bytes) into the key, zero-padded. */
static __always_inline int quic_load_dcid(const struct quic *q, struct qs_cid_key *key, void *data,
					  void *data_end)
{
	__u8 *b = data + (q->dcid_off & 0xffff);
	__u32 len = q->dcid_len;

	if ((void *)(b + QUIC_MIN_FROM_DCID) > data_end || len > QS_CID_MAX_LEN)
		return -1;
	key->cid_len = len;
	cid_copy(key->cid, b, len); /* the last 4 bytes share a word with vip_id */
	return 0;
}

#endif /* QS_BPF_QUIC_H */
