// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "pktbuild.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define IP6_EXT_LEN 8

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

uint16_t pb_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

int pb_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	unsigned int byte;

	if (strlen(hex) % 2 || n > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		out[i] = byte;
	}
	return n;
}

size_t pb_l3_offset(const struct pb_spec *s)
{
	return ETH_LEN + VLAN_LEN * s->vlans;
}

static size_t l2_write(const struct pb_spec *s, uint8_t *f)
{
	uint16_t inner = s->family == 6 ? 0x86dd : 0x0800;
	size_t off = 12;

	memcpy(f, s->dmac, 6);
	memcpy(f + 6, s->smac, 6);
	for (int i = 0; i < s->vlans; i++) {
		/* outer tag of a double-tagged frame is 802.1ad */
		put16(f + off, i == 0 && s->vlans == 2 ? 0x88a8 : 0x8100);
		put16(f + off + 2, s->vlan_ids[i]);
		off += VLAN_LEN;
	}
	put16(f + off, inner);
	return off + 2;
}

static size_t quic_write(const struct pb_spec *s, uint8_t *q)
{
	size_t n = 0;

	if (s->quic == PB_QUIC_LONG) {
		q[n++] = 0x80 | (s->clear_fixed_bit ? 0 : 0x40) | (s->type_bits & 3) << 4 | 0x01;
		put32(q + n, s->version);
		n += 4;
		q[n++] = s->dcid_len;
		memcpy(q + n, s->dcid, s->dcid_len);
		n += s->dcid_len;
		q[n++] = s->scid_len;
		memcpy(q + n, s->scid, s->scid_len);
		n += s->scid_len;
	} else if (s->quic == PB_QUIC_SHORT) {
		q[n++] = s->first;
		memcpy(q + n, s->dcid, s->dcid_len);
		n += s->dcid_len;
	}
	return n;
}

/* UDP checksum over the pseudo-header of either family. */
static void udp_csum(const struct pb_spec *s, const uint8_t *ip_src, const uint8_t *ip_dst,
		     uint8_t *udp, size_t udp_len)
{
	uint8_t pseudo[40];
	size_t alen = s->family == 6 ? 16 : 4;
	size_t plen = 2 * alen;
	uint32_t sum = 0;
	uint16_t c;

	memcpy(pseudo, ip_src, alen);
	memcpy(pseudo + alen, ip_dst, alen);
	for (size_t i = 0; i < plen; i += 2)
		sum += (pseudo[i] << 8) | pseudo[i + 1];
	sum += 17 + udp_len;
	udp[6] = udp[7] = 0;
	c = pb_csum(udp, udp_len, sum);
	if (c == 0)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
}

static size_t ip6_ext_write(const struct pb_spec *s, uint8_t *p, uint8_t *first_nh)
{
	static const uint8_t order[] = { 0 /* hop-by-hop */, 60 /* dst opts */, 43 /* routing */ };
	uint8_t last = s->l4proto ? s->l4proto : 17;
	size_t n = 0;

	if (s->fragment)
		last = 44;
	*first_nh = s->ip6_ext ? order[0] : last;
	for (int i = 0; i < s->ip6_ext && i < 3; i++) {
		memset(p + n, 0, IP6_EXT_LEN);
		p[n] = i + 1 < s->ip6_ext ? order[i + 1] : last;
		if (order[i] == 43) {
			p[n + 2] = 253; /* experimental routing type, segments left 0 */
		} else {
			p[n + 2] = 1; /* PadN option filling the header */
			p[n + 3] = 4;
		}
		n += IP6_EXT_LEN;
	}
	if (s->fragment) {
		memset(p + n, 0, IP6_EXT_LEN);
		p[n] = s->l4proto ? s->l4proto : 17;
		put16(p + n + 2, s->fragment == 1 ? 0x0001 : 0x0008); /* M, or offset 1 */
		put32(p + n + 4, 0x12345678);
		n += IP6_EXT_LEN;
	}
	return n;
}

size_t pb_build(const struct pb_spec *s, uint8_t *f, size_t cap)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	int af = s->family == 6 ? AF_INET6 : AF_INET;
	size_t l3 = pb_l3_offset(s), l3_hdr, l4, qlen, payload, total;
	uint8_t *ip, nh = 17;
	uint8_t quic[64];
	int with_udp = s->fragment != 2;

	if (cap < PB_MAX_FRAME || inet_pton(af, s->src, src) != 1 ||
	    inet_pton(af, s->dst, dst) != 1)
		return 0;
	memset(f, 0, PB_MAX_FRAME);
	l2_write(s, f);
	ip = f + l3;
	if (s->family == 6)
		l3_hdr = IP6_LEN + ip6_ext_write(s, ip + IP6_LEN, &nh);
	else
		l3_hdr = IP4_LEN + s->ip4_opt_len;
	l4 = l3 + l3_hdr;
	qlen = quic_write(s, quic);
	qlen = s->header_cut < qlen ? qlen - s->header_cut : 0;
	payload = s->payload_len > qlen ? s->payload_len : qlen;
	total = l4 + (with_udp ? UDP_LEN : 0) + payload;
	if (total > PB_MAX_FRAME)
		return 0;

	if (with_udp) {
		uint8_t *udp = f + l4;

		put16(udp, s->sport);
		put16(udp + 2, s->dport);
		put16(udp + 4, UDP_LEN + payload);
		memcpy(udp + UDP_LEN, quic, qlen);
		if (s->l4proto == 0 || s->l4proto == 17)
			udp_csum(s, src, dst, udp, UDP_LEN + payload);
	}
	if (s->family == 6) {
		put32(ip, 0x60000000 | (uint32_t)s->tos << 20 | 0x12345);
		put16(ip + 4, s->ip_len ? s->ip_len : total - l3 - IP6_LEN);
		ip[6] = nh;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		uint16_t c;

		ip[0] = 0x40 | (l3_hdr / 4);
		ip[1] = s->tos;
		put16(ip + 2, s->ip_len ? s->ip_len : total - l3);
		put16(ip + 4, 0x1234);
		put16(ip + 6, s->fragment == 1 ? 0x2000 : s->fragment == 2 ? 0x0001 : 0x4000);
		ip[8] = 64;
		ip[9] = s->l4proto ? s->l4proto : 17;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		for (int i = 0; i < s->ip4_opt_len; i++)
			ip[IP4_LEN + i] = 1; /* NOP options */
		c = pb_csum(ip, l3_hdr, 0);
		memcpy(ip + 10, &c, 2);
	}
	return total;
}
