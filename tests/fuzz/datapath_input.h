/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The data-path fuzzer's input (fuzz_datapath.c), shared with its mutator
 * and its seed generator: a short sequence of Ethernet frames, run in order
 * through one router whose tables start each input the same.
 *
 * Records are joined by a 4-byte separator, not prefixed by lengths, so that
 * libFuzzer's byte mutations (insert, erase, flip) change one frame without
 * shifting the next; a separator from the dictionary splits one record in
 * two. A record is one control byte (DPI_CTL_*) and the frame.
 *
 * The frame view is a parser of its own, written from docs/datapath.md
 * rather than from bpf/parse.h, so the invariants are checked by a second
 * reading of each frame.
 */
#ifndef QS_FUZZ_DATAPATH_INPUT_H
#define QS_FUZZ_DATAPATH_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define DPI_SEP "\xd1\x5c\x0f\xfe"
#define DPI_SEP_LEN 4
/* enough for an address entry to learn past QS_FLOW_LEARN_MAX IDs */
#define DPI_MAX_RECORDS 40
/*
 * BPF_PROG_TEST_RUN takes an XDP frame in one page: 4096 bytes less the
 * headroom (256) and the skb_shared_info tailroom (320); longer frames
 * would need a program marked xdp.frags.
 */
#define DPI_MAX_FRAME 3500
#define DPI_MIN_FRAME 14 /* the kernel refuses less than an Ethernet header */

enum dpi_ctl {
	DPI_CTL_INGRESS_VETH = 1 << 0, /* arrives on the fuzzer's veth, not the loopback */
	DPI_CTL_FIX_LENGTHS = 1 << 1, /* IP and UDP lengths and IPv4 checksum set to fit first */
	DPI_CTL_BUDGET_SPENT = 1 << 2, /* the ring buffer's budget of this second spent first */
};

struct dpi_record {
	uint8_t ctl;
	size_t len;
	uint8_t frame[DPI_MAX_FRAME];
};

struct dpi_input {
	size_t n;
	struct dpi_record rec[DPI_MAX_RECORDS];
};

/* Splits data into records (at most DPI_MAX_RECORDS; longer frames are cut). */
void dpi_split(const uint8_t *data, size_t size, struct dpi_input *in);

/* Joins records into out; records that do not fit are left off. Returns the length. */
size_t dpi_join(const struct dpi_input *in, uint8_t *out, size_t cap);

/* What one frame is, as far as it goes: fields are valid up to the first that is cut. */
struct dpi_view {
	int vlans; /* 802.1Q / 802.1ad tags, at most 2 */
	size_t l3_off; /* after the tags */
	int family; /* 4 or 6 with a complete IP header; 0 otherwise */
	size_t l3_hdr; /* IPv4 IHL bytes; IPv6 40, the extension headers walked, a fragment header */
	size_t ip_len; /* the packet's declared length: IPv4 total length, IPv6 40 + payload */
	int fragment;
	int l4proto; /* last next header / protocol; -1 if the walk stopped */
	uint8_t tos;
	uint8_t saddr[16], daddr[16]; /* IPv4 in the first 4 bytes */
	int udp; /* a complete UDP header at l4_off */
	size_t l4_off;
	uint16_t sport, dport, udp_len;
	/* Offsets in the frame of fields a mutator may change (0: none). */
	size_t ip_len_off, frag_off, proto_off, udp_len_off;
};

void dpi_view(const uint8_t *f, size_t len, struct dpi_view *v);

/* Whether the UDP datagram and the IP packet lie whole in the frame, the one in the other. */
int dpi_lengths_consistent(const struct dpi_view *v, size_t frame_len);

/*
 * Makes the frame's IP length, UDP length and IPv4 header checksum those of
 * a datagram that ends with the frame (what a mutation that grew or cut the
 * frame would have needed to stay well-formed).
 */
void dpi_fix_lengths(uint8_t *f, size_t len);

/* RFC 1071 sum over an IPv4 header: 0 when its checksum is right. */
uint16_t dpi_ipv4_csum(const uint8_t *ip, size_t len);

#endif /* QS_FUZZ_DATAPATH_INPUT_H */
