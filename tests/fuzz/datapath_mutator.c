// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer's custom mutator and cross-over for fuzz_datapath: the mutations
 * of issue 11 on the frames of an input (datapath_input.h), knowing where
 * their header fields lie: a header field set to a value that matters
 * (lengths around the frame's, versions, ID lengths around 20), a frame cut
 * near a header's end, lengths made to fit again after bytes came or went,
 * the UDP payload grown or cut around 1200 bytes, another QUIC packet
 * coalesced into the datagram, a known connection ID put in, a client
 * address and port shared with another frame (so that the frames of one
 * input meet in the tables), the destination set to a VIP, frames
 * duplicated, dropped and reordered. A quarter of the time, and whenever
 * the input has no record, libFuzzer's own byte mutations run instead.
 */
#include <arpa/inet.h>
#include <string.h>
#include "datapath_input.h"
#include "datapath_world.h"
#include "pktbuild.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state >> 32) % n : 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* A 16-bit value that matters to a length field at off, or anything. */
static uint16_t length_value(uint16_t orig, size_t rest)
{
	const uint16_t fixed[] = { 0, 1, 7, 8, 9, 20, 28, 40, 0xffff };

	switch (rnd(5)) {
	case 0:
		return fixed[rnd(sizeof(fixed) / sizeof(fixed[0]))];
	case 1:
		return rest + rnd(5) - 2;
	case 2:
		return orig + rnd(9) - 4;
	case 3:
		return rnd(rest + 1);
	default:
		return rnd(0x10000);
	}
}

static uint8_t pick8(const uint8_t *values, size_t n)
{
	return rnd(n + 1) == n ? (uint8_t)rnd(256) : values[rnd(n)];
}

static void ipv4_csum_fix(struct dpi_record *r, const struct dpi_view *v)
{
	if (v->family != 4 || v->l3_off + v->l3_hdr > r->len)
		return;
	put16(r->frame + v->l3_off + 10, 0);
	put16(r->frame + v->l3_off + 10, dpi_ipv4_csum(r->frame + v->l3_off, v->l3_hdr));
}

/* One header field to a value that matters. */
static void field_set(struct dpi_record *r, const struct dpi_view *v)
{
	static const uint8_t protos[] = { 17, 6, 0, 43, 44, 60, 59 };
	static const uint8_t ver_ihl[] = { 0x45, 0x46, 0x4f, 0x44, 0x40, 0x65 };
	static const uint8_t cid_lens[] = { 0, 1, 8, 17, 18, 19, 20, 21, 255 };
	static const uint8_t firsts[] = { 0xc0, 0xd0, 0xe0, 0xf0, 0x80, 0x40, 0x00, 0x20, 0xe1 };
	static const uint32_t versions[] = { 1, 0x6b3343cf, 0xff00001d, 0, 0x1a2a3a4a };
	uint8_t *f = r->frame;
	size_t q = v->udp ? v->l4_off + 8 : 0;

	if (r->len < DPI_MIN_FRAME)
		return;
	switch (rnd(11)) {
	case 0: /* Ethernet type or a tag's */
		put16(f + 12 + 4 * rnd(v->vlans + 1),
		      (const uint16_t[]){ 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806 }[rnd(5)]);
		break;
	case 1:
		if (v->family == 4)
			f[v->l3_off] = pick8(ver_ihl, sizeof(ver_ihl));
		else if (v->family == 6)
			f[v->l3_off] ^= 0x10 << rnd(4);
		break;
	case 2:
		if (v->ip_len_off)
			put16(f + v->ip_len_off,
			      length_value(get16(f + v->ip_len_off), r->len - v->l3_off));
		break;
	case 3:
		if (v->frag_off)
			put16(f + v->frag_off, (const uint16_t[]){ 0, 0x2000, 0x0001, 0x4000,
								   0x3fff, 0x0008 }[rnd(6)]);
		break;
	case 4:
		if (v->proto_off)
			f[v->proto_off] = pick8(protos, sizeof(protos));
		break;
	case 5:
		if (v->udp)
			put16(f + v->l4_off + 2 * rnd(2),
			      (const uint16_t[]){ 443, 4433, 0, 40000,
						  (uint16_t)rnd(0x10000) }[rnd(5)]);
		break;
	case 6:
		if (v->udp)
			put16(f + v->udp_len_off, length_value(v->udp_len, r->len - v->l4_off));
		break;
	case 7:
		if (q && q < r->len)
			f[q] = rnd(2) ? pick8(firsts, sizeof(firsts)) : f[q] ^ (1 << rnd(8));
		break;
	case 8:
		if (q && q + 5 <= r->len) {
			uint32_t ver = rnd(6) ? versions[rnd(5)] : rnd(0xffffffff);

			put16(f + q + 1, ver >> 16);
			put16(f + q + 3, ver);
		}
		break;
	case 9:
		if (q && q + 6 <= r->len)
			f[q + 5] = pick8(cid_lens, sizeof(cid_lens));
		break;
	default: /* the SCID length of a long header */
		if (q && q + 6 <= r->len && q + 6 + f[q + 5] < r->len)
			f[q + 6 + f[q + 5]] = pick8(cid_lens, sizeof(cid_lens));
		break;
	}
	if (rnd(2))
		ipv4_csum_fix(r, v);
}

/* Cut near the end of a header, or anywhere. */
static void truncate_frame(struct dpi_record *r, const struct dpi_view *v)
{
	size_t ends[] = { 14,
			  v->l3_off,
			  v->l3_off + v->l3_hdr,
			  v->l4_off + 8,
			  v->l4_off + 8 + 6,
			  v->l4_off + 8 + 21,
			  v->l4_off + 8 + 26 };
	size_t cut =
		rnd(2) ? ends[rnd(sizeof(ends) / sizeof(ends[0]))] + rnd(5) - 2 : rnd(r->len + 1);

	if (cut < r->len)
		r->len = cut;
}

/* The UDP payload grown (zeros) or cut to a length that matters, lengths fixed. */
static void payload_resize(struct dpi_record *r, const struct dpi_view *v)
{
	static const uint16_t sizes[] = { 1199, 1200, 1201, 20, 21, 25, 26, 27, 40, 1252 };
	size_t q = v->l4_off + 8, want = rnd(4) ? sizes[rnd(10)] : rnd(1500);

	if (!v->udp || q + want > DPI_MAX_FRAME)
		return;
	if (q + want > r->len)
		memset(r->frame + r->len, 0, q + want - r->len);
	r->len = q + want;
	dpi_fix_lengths(r->frame, r->len);
}

/* Another frame's QUIC packet after this one's, as in a coalesced datagram. */
static void coalesce(struct dpi_record *r, const struct dpi_view *v, const struct dpi_record *src)
{
	struct dpi_view sv;
	size_t sq, n;

	dpi_view(src->frame, src->len, &sv);
	if (!v->udp || !sv.udp || sv.l4_off + 8 >= src->len)
		return;
	sq = sv.l4_off + 8;
	n = src->len - sq;
	if (r->len + n > DPI_MAX_FRAME)
		n = DPI_MAX_FRAME - r->len;
	memmove(r->frame + r->len, src->frame + sq, n);
	r->len += n;
	dpi_fix_lengths(r->frame, r->len);
}

/* src's client address and port on r: the two frames then share an address entry. */
static void client_copy(struct dpi_record *r, const struct dpi_view *v,
			const struct dpi_record *src)
{
	struct dpi_view sv;
	size_t a = v->family == 6 ? 8 : 12, alen = v->family == 6 ? 16 : 4;

	dpi_view(src->frame, src->len, &sv);
	if (!v->family || sv.family != v->family)
		return;
	memcpy(r->frame + v->l3_off + a, sv.saddr, alen);
	if (v->udp && sv.udp)
		put16(r->frame + v->l4_off, sv.sport);
	ipv4_csum_fix(r, v);
}

/* A VIP of the frame's family (the address-wide entry for a fragment). */
static void vip_set(struct dpi_record *r, const struct dpi_view *v)
{
	const struct dpw_vip *vip = &dpw_vips[rnd(dpw_n_vips)];
	uint8_t addr[16];

	if (!v->family || inet_pton(v->family == 6 ? AF_INET6 : AF_INET, vip->addr, addr) != 1)
		return;
	memcpy(r->frame + v->l3_off + (v->family == 6 ? 24 : 16), addr, v->family == 6 ? 16 : 4);
	if (v->udp && vip->port)
		put16(r->frame + v->l4_off + 2, vip->port);
	ipv4_csum_fix(r, v);
}

/*
 * A connection ID the world knows (reported, operator's, learned, or an
 * encrypted QUIC-LB ID) into cid; its length.
 */
static int known_cid(uint8_t *cid)
{
	size_t i = rnd(dpw_n_cids + dpw_n_learned + dpw_n_lb_ids);

	if (i < dpw_n_cids)
		return pb_hex(dpw_cids[i].hex, cid, QS_CID_MAX_LEN);
	i -= dpw_n_cids;
	if (i < dpw_n_learned)
		return pb_hex(dpw_learned[i].hex, cid, QS_CID_MAX_LEN);
	i -= dpw_n_learned;
	memcpy(cid, dpw_lb_ids[i].cid, dpw_lb_ids[i].len);
	return dpw_lb_ids[i].len;
}

/* A connection ID the world knows as the DCID. */
static void dcid_set(struct dpi_record *r, const struct dpi_view *v)
{
	size_t q = v->l4_off + 8, at, old;
	uint8_t cid[QS_CID_MAX_LEN];
	int len = known_cid(cid);

	if (!v->udp || q >= r->len || len < 0)
		return;
	if (!(r->frame[q] & 0x80)) { /* short header: the bytes after the first */
		at = q + 1;
		old = len;
	} else if (q + 6 <= r->len) {
		at = q + 6;
		old = r->frame[q + 5];
		r->frame[q + 5] = len;
	} else {
		return;
	}
	if (at + old > r->len || r->len - old + len > DPI_MAX_FRAME)
		return;
	memmove(r->frame + at + len, r->frame + at + old, r->len - at - old);
	memcpy(r->frame + at, cid, len);
	r->len = r->len - old + len;
	dpi_fix_lengths(r->frame, r->len);
}

/* Duplicate, drop, swap or move records. */
static void records_shuffle(struct dpi_input *in, size_t i)
{
	size_t j = rnd(in->n);
	struct dpi_record tmp;

	switch (rnd(4)) {
	case 0:
		if (in->n == DPI_MAX_RECORDS)
			return;
		memmove(&in->rec[i + 1], &in->rec[i], (in->n - i) * sizeof(in->rec[0]));
		in->n++;
		break;
	case 1:
		if (in->n == 1)
			return;
		memmove(&in->rec[i], &in->rec[i + 1], (in->n - i - 1) * sizeof(in->rec[0]));
		in->n--;
		break;
	case 2:
		tmp = in->rec[i];
		in->rec[i] = in->rec[j];
		in->rec[j] = tmp;
		break;
	default: /* a copy of i in place of j */
		in->rec[j] = in->rec[i];
		break;
	}
}

static void record_mutate(struct dpi_input *in, size_t i)
{
	struct dpi_record *r = &in->rec[i];
	const struct dpi_record *other = &in->rec[rnd(in->n)];
	struct dpi_view v;

	dpi_view(r->frame, r->len, &v);
	switch (rnd(13)) {
	case 0:
	case 1:
	case 2:
		r->len = LLVMFuzzerMutate(r->frame, r->len, DPI_MAX_FRAME);
		break;
	case 3:
	case 4:
		field_set(r, &v);
		break;
	case 5:
		truncate_frame(r, &v);
		break;
	case 6:
		dpi_fix_lengths(r->frame, r->len);
		break;
	case 7:
		payload_resize(r, &v);
		break;
	case 8:
		coalesce(r, &v, other);
		break;
	case 9:
		client_copy(r, &v, other);
		break;
	case 10:
		if (rnd(2))
			vip_set(r, &v);
		else
			dcid_set(r, &v);
		break;
	case 11:
		records_shuffle(in, i);
		break;
	default:
		r->ctl ^= 1 << rnd(3); /* enum dpi_ctl */
		break;
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static struct dpi_input in;
	size_t n;

	rng_state = (uint64_t)seed * 0x9e3779b97f4a7c15ull | 1;
	if (rnd(4) == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	dpi_split(data, size, &in);
	if (!in.n)
		return LLVMFuzzerMutate(data, size, max_size);
	for (int k = 1 + rnd(3); k > 0; k--)
		record_mutate(&in, rnd(in.n));
	n = dpi_join(&in, data, max_size);
	return n ? n : LLVMFuzzerMutate(data, size, max_size);
}

/* The first records of one input, then the last of the other. */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
	static struct dpi_input a, b;
	size_t k, from;

	rng_state = (uint64_t)seed * 0x9e3779b97f4a7c15ull | 1;
	dpi_split(data1, size1, &a);
	dpi_split(data2, size2, &b);
	if (!a.n || !b.n)
		return 0;
	k = rnd(a.n) + 1;
	from = rnd(b.n);
	while (k < DPI_MAX_RECORDS && from < b.n)
		a.rec[k++] = b.rec[from++];
	a.n = k;
	return dpi_join(&a, out, max_out_size);
}
