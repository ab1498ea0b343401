/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * QUIC version rules shared by the data path and userspace: which versions
 * the router understands and what the long-header type bits mean in each
 * (RFC 9000 17.2, RFC 9369 3.2 rotates them for version 2).
 */
#ifndef QUICSTEER_QUICVER_H
#define QUICSTEER_QUICVER_H

#include <linux/types.h>

#define QS_QUIC_V1 0x00000001u
#define QS_QUIC_V2 0x6b3343cfu
#define QS_QUIC_DRAFT29 0xff00001du
#define QS_QUIC_VN 0x00000000u

enum qs_long_type {
	QS_LT_INITIAL = 0,
	QS_LT_0RTT,
	QS_LT_HANDSHAKE,
	QS_LT_RETRY,
	QS_LT_UNKNOWN_VERSION, /* Version Negotiation or a version not listed */
};

/* Long-header packet type from the first byte and the (host order) version. */
static inline enum qs_long_type qs_long_type(__u8 first, __u32 version)
{
	__u8 bits = (first >> 4) & 3;

	if (version == QS_QUIC_V1 || version == QS_QUIC_DRAFT29)
		return (enum qs_long_type)bits;
	if (version == QS_QUIC_V2) {
		/* v2: 0b01 Initial, 0b10 0-RTT, 0b11 Handshake, 0b00 Retry */
		return bits == 0 ? QS_LT_RETRY : (enum qs_long_type)(bits - 1);
	}
	return QS_LT_UNKNOWN_VERSION;
}

/* Packets of these types carry a DCID the client chose (before any Retry). */
static inline int qs_long_type_starts_connection(enum qs_long_type t)
{
	return t == QS_LT_INITIAL || t == QS_LT_0RTT;
}

#endif /* QUICSTEER_QUICVER_H */
