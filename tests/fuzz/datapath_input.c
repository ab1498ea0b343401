// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include "datapath_input.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define IP6_EXT_MAX 4 /* docs/datapath.md: up to four extension headers */

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void dpi_split(const uint8_t *data, size_t size, struct dpi_input *in)
{
	const uint8_t *end = data + size;

	in->n = 0;
	while (data < end && in->n < DPI_MAX_RECORDS) {
		const uint8_t *sep = memmem(data, end - data, DPI_SEP, DPI_SEP_LEN);
		const uint8_t *stop = sep ? sep : end;
		struct dpi_record *r = &in->rec[in->n];

		if (stop > data) {
			size_t len = stop - data - 1;

			r->ctl = data[0];
			r->len = len < DPI_MAX_FRAME ? len : DPI_MAX_FRAME;
			memcpy(r->frame, data + 1, r->len);
			in->n++;
		}
		data = sep ? sep + DPI_SEP_LEN : end;
	}
}

size_t dpi_join(const struct dpi_input *in, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct dpi_record *r = &in->rec[i];
		size_t need = (i ? DPI_SEP_LEN : 0) + 1 + r->len;

		if (n + need > cap)
			break;
		if (i) {
			memcpy(out + n, DPI_SEP, DPI_SEP_LEN);
			n += DPI_SEP_LEN;
		}
		out[n++] = r->ctl;
		memcpy(out + n, r->frame, r->len);
		n += r->len;
	}
	return n;
}

static int ipv4_view(const uint8_t *f, size_t len, struct dpi_view *v)
{
	const uint8_t *ip = f + v->l3_off;
	size_t ihl;

	if (v->l3_off + IP4_LEN > len)
		return -1;
	ihl = (ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4 || ihl < IP4_LEN)
		return -1;
	v->family = 4;
	v->tos = ip[1];
	v->ip_len = get16(ip + 2);
	v->ip_len_off = v->l3_off + 2;
	v->frag_off = v->l3_off + 6;
	v->proto_off = v->l3_off + 9;
	v->fragment = (get16(ip + 6) & 0x3fff) != 0; /* MF or an offset */
	v->l4proto = ip[9];
	memcpy(v->saddr, ip + 12, 4);
	memcpy(v->daddr, ip + 16, 4);
	v->l3_hdr = ihl;
	v->l4_off = v->l3_off + ihl;
	return 0;
}

static int ext_header(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60; /* hop-by-hop, routing, destination options */
}

static int ipv6_view(const uint8_t *f, size_t len, struct dpi_view *v)
{
	const uint8_t *ip = f + v->l3_off;
	size_t off = v->l3_off + IP6_LEN;
	uint8_t nh;

	if (v->l3_off + IP6_LEN > len || ip[0] >> 4 != 6)
		return -1;
	v->family = 6;
	v->tos = (ip[0] & 0x0f) << 4 | ip[1] >> 4;
	v->ip_len = IP6_LEN + get16(ip + 4);
	v->ip_len_off = v->l3_off + 4;
	v->proto_off = v->l3_off + 6;
	memcpy(v->saddr, ip + 8, 16);
	memcpy(v->daddr, ip + 24, 16);
	nh = ip[6];
	for (int i = 0; i < IP6_EXT_MAX; i++) {
		if (nh == 44) {
			v->fragment = 1;
			if (off + 4 <= len)
				v->frag_off = off + 2;
			break;
		}
		if (!ext_header(nh))
			break;
		if (off + 2 > len)
			return -1;
		v->proto_off = off;
		nh = f[off];
		off += (f[off + 1] + 1) * 8;
	}
	v->l4proto = nh;
	/* a fragment's IP length must cover its fragment header too */
	v->l3_hdr = off - v->l3_off + (v->fragment ? 8 : 0);
	v->l4_off = off;
	return 0;
}

void dpi_view(const uint8_t *f, size_t len, struct dpi_view *v)
{
	uint16_t proto;
	int err;

	memset(v, 0, sizeof(*v));
	v->l4proto = -1;
	if (len < ETH_LEN)
		return;
	proto = get16(f + 12);
	while (v->vlans < 2 && (proto == 0x8100 || proto == 0x88a8)) {
		size_t tag = ETH_LEN + VLAN_LEN * v->vlans;

		if (tag + VLAN_LEN > len)
			return;
		proto = get16(f + tag + 2);
		v->vlans++;
	}
	v->l3_off = ETH_LEN + VLAN_LEN * v->vlans;
	if (proto == 0x0800)
		err = ipv4_view(f, len, v);
	else if (proto == 0x86dd)
		err = ipv6_view(f, len, v);
	else
		return;
	if (err) {
		v->family = 0;
		return;
	}
	if (v->fragment || v->l4proto != 17 || v->l4_off + UDP_LEN > len)
		return;
	v->udp = 1;
	v->sport = get16(f + v->l4_off);
	v->dport = get16(f + v->l4_off + 2);
	v->udp_len = get16(f + v->l4_off + 4);
	v->udp_len_off = v->l4_off + 4;
}

int dpi_lengths_consistent(const struct dpi_view *v, size_t frame_len)
{
	if (!v->family || v->l3_off + v->ip_len > frame_len || v->ip_len < v->l3_hdr)
		return 0;
	if (!v->udp)
		return 1;
	return v->udp_len >= UDP_LEN && v->l4_off + v->udp_len <= v->l3_off + v->ip_len;
}

uint16_t dpi_ipv4_csum(const uint8_t *ip, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

void dpi_fix_lengths(uint8_t *f, size_t len)
{
	struct dpi_view v;
	size_t ip_len;

	dpi_view(f, len, &v);
	if (!v.family)
		return;
	ip_len = len - v.l3_off;
	if (ip_len > 0xffff + (v.family == 6 ? IP6_LEN : 0))
		return;
	put16(f + v.ip_len_off, v.family == 6 ? ip_len - IP6_LEN : ip_len);
	if (v.udp && len - v.l4_off <= 0xffff)
		put16(f + v.udp_len_off, len - v.l4_off);
	if (v.family == 4 && v.l3_off + v.l3_hdr <= len) {
		put16(f + v.l3_off + 10, 0);
		put16(f + v.l3_off + 10, dpi_ipv4_csum(f + v.l3_off, v.l3_hdr));
	}
}
