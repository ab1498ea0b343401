// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "expect.h"
#include "fixture.h"
#include "pktbuild.h"

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Inner IP packet: from after the tags to the IP total length. */
static size_t inner_len(const uint8_t *ip)
{
	if (ip[0] >> 4 == 4)
		return (ip[2] << 8) | ip[3];
	return 40 + ((ip[4] << 8) | ip[5]);
}

static uint8_t inner_tos(const uint8_t *ip)
{
	if (ip[0] >> 4 == 4)
		return ip[1];
	return (ip[0] & 0x0f) << 4 | ip[1] >> 4;
}

static size_t outer4(uint8_t *o, const uint8_t *ip, size_t ilen, const struct expect_encap *e)
{
	uint32_t src, mask = (1u << FX_SRC4_FLOW_BITS) - 1;
	uint16_t c;

	o[0] = 0x45;
	o[1] = inner_tos(ip);
	set16(o + 2, 20 + ilen);
	set16(o + 4, 0);
	set16(o + 6, 0x4000);
	o[8] = 64;
	o[9] = 4;
	inet_pton(AF_INET, FX_OUTER_SRC4, &src);
	src = htonl((ntohl(src) & ~mask) | (e->flow_hash & mask));
	memcpy(o + 12, &src, 4);
	inet_pton(AF_INET, e->backend, o + 16);
	o[10] = o[11] = 0;
	c = pb_csum(o, 20, 0);
	memcpy(o + 10, &c, 2);
	return 20;
}

static size_t outer6(uint8_t *o, const uint8_t *ip, size_t ilen, const struct expect_encap *e)
{
	uint32_t label = e->flow_hash & 0xfffff;
	uint8_t tc = inner_tos(ip);

	o[0] = 0x60 | tc >> 4;
	o[1] = (tc & 0x0f) << 4 | label >> 16;
	o[2] = label >> 8;
	o[3] = label;
	set16(o + 4, ilen);
	o[6] = ip[0] >> 4 == 4 ? 4 : 41;
	o[7] = 64;
	inet_pton(AF_INET6, FX_OUTER_SRC6, o + 8);
	set16(o + 8 + 14, e->flow_hash & 0xffff);
	inet_pton(AF_INET6, e->backend, o + 24);
	return 40;
}

size_t expect_encap(const uint8_t *in, size_t in_len, int vlans, const struct expect_encap *e,
		    uint8_t *out)
{
	const uint8_t *ip = in + 14 + 4 * vlans;
	size_t ilen, olen;

	if (in_len < (size_t)(ip - in) + 20)
		return 0;
	ilen = inner_len(ip);
	memcpy(out, fx_nexthop_mac, 6);
	memcpy(out + 6, fx_router_mac, 6);
	set16(out + 12, e->backend_family == 6 ? 0x86dd : 0x0800);
	olen = e->backend_family == 6 ? outer6(out + 14, ip, ilen, e) :
					outer4(out + 14, ip, ilen, e);
	/* Everything after the tags is carried, Ethernet padding included. */
	memcpy(out + 14 + olen, ip, in_len - (ip - in));
	return 14 + olen + in_len - (ip - in);
}

size_t expect_l2(const uint8_t *in, size_t in_len, uint8_t *out)
{
	memcpy(out, in, in_len);
	memcpy(out, fx_nexthop_mac, 6);
	memcpy(out + 6, fx_router_mac, 6);
	return in_len;
}

const char *expect_diff(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	static char msg[256];
	size_t i;

	for (i = 0; i < got_len && i < want_len; i++)
		if (got[i] != want[i])
			break;
	if (i == got_len && i == want_len)
		return "identical";
	snprintf(msg, sizeof(msg),
		 "lengths got %zu want %zu; first difference at byte %zu: got %02x want %02x",
		 got_len, want_len, i, i < got_len ? got[i] : 0, i < want_len ? want[i] : 0);
	return msg;
}
