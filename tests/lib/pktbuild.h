/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small packet builder for tests and benchmarks: a declarative spec in,
 * a complete Ethernet frame out, with lengths and checksums filled in. Its
 * checksum code is written independently of the BPF programs so that tests
 * check their output against a second implementation.
 */
#ifndef QS_PKTBUILD_H
#define QS_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>

#define PB_MAX_FRAME 2048

enum pb_quic {
	PB_QUIC_NONE = 0, /* UDP payload of payload_len zero bytes */
	PB_QUIC_LONG,
	PB_QUIC_SHORT,
};

struct pb_spec {
	int family; /* 4 or 6 */
	const char *src, *dst; /* client and VIP addresses */
	uint16_t sport, dport;
	uint8_t smac[6], dmac[6];
	int vlans; /* 0..2 tags */
	uint16_t vlan_ids[2];
	int ip4_opt_len; /* IPv4 options, a multiple of 4, at most 40 */
	int ip6_ext; /* IPv6 extension headers: hop-by-hop, destination options, routing */
	uint8_t tos; /* IPv4 TOS or IPv6 traffic class */
	int fragment; /* 1: a first fragment (MF set); 2: a later fragment */
	uint16_t ip_len; /* not 0: the IPv4 total length / IPv6 payload length written, a lie */
	int l4proto; /* 0: UDP */
	enum pb_quic quic;
	uint32_t version; /* long header */
	uint8_t type_bits; /* long header: the two type bits as on the wire */
	uint8_t first; /* short header: the first byte (0x40 fixed bit, 0 cleared) */
	int clear_fixed_bit; /* long header: clear 0x40 */
	uint8_t dcid[32];
	uint8_t dcid_len;
	uint8_t scid[32];
	uint8_t scid_len;
	size_t header_cut; /* bytes left off the end of the QUIC header */
	size_t payload_len; /* UDP payload bytes in all; 0: just the QUIC header */
};

/* Returns the frame length, or 0 if the spec does not fit PB_MAX_FRAME. */
size_t pb_build(const struct pb_spec *spec, uint8_t *frame, size_t cap);

/* RFC 1071 Internet checksum of len bytes, folded and complemented. */
uint16_t pb_csum(const void *data, size_t len, uint32_t sum);

/* Offset of the IP header (after Ethernet and VLAN tags) in a built frame. */
size_t pb_l3_offset(const struct pb_spec *spec);

/* Parses "0a1b..." into out; returns the byte count or -1. */
int pb_hex(const char *hex, uint8_t *out, size_t cap);

#endif /* QS_PKTBUILD_H */
