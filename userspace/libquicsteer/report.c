// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Report protocol codec (docs/report-protocol.md), version 2 and the
 * version 1 that agents may still take during an upgrade. Every datagram
 * the agent receives is untrusted until its MAC is checked, and the
 * structural checks run before the MAC because they are cheaper: a flood
 * of garbage costs a few comparisons, not an HMAC each. Every read is bounded by the length the
 * caller passed, never by a length field in the datagram.
 *
 * The encoding is canonical (reserved fields, pads and unused address bytes
 * must be zero; lengths follow from the content), so decoding and
 * re-encoding a datagram gives back the same bytes: the fuzz target checks
 * exactly that.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include "quicsteer/report.h"

/* Header offsets (docs/report-protocol.md, "Header"). */
#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_VIP_FAMILY 5
#define OFF_VIP_PORT 6
#define OFF_BACKEND_ID 8
#define OFF_RECORD_COUNT 12
#define OFF_RESERVED 14
#define OFF_INCARNATION 16
#define OFF_SEQUENCE 24
#define OFF_VIP_ADDR 32
#define OFF_TIMESTAMP 48 /* version 2 only: its header is version 1's and this */

_Static_assert(OFF_VIP_ADDR + sizeof(struct qs_addr) == QS_REPORT_V1_HDR_LEN, "v1 header layout");
_Static_assert(OFF_TIMESTAMP + 8 == QS_REPORT_HDR_LEN, "header layout");
_Static_assert(sizeof(struct qs_report_header) == 56, "qs_report_header size");
_Static_assert(sizeof(struct qs_report_endpoint) == 20, "qs_report_endpoint size");
_Static_assert(QS_REPORT_V1_MAX_RECORDS <= 0xffff, "record count is a u16 on the wire");

static const char *const reason_names[QS_REPORT_NR_REASONS] = {
	[QS_REPORT_OK] = "ok",
	[QS_REPORT_E_BAD_MAGIC] = "bad_magic",
	[QS_REPORT_E_BAD_VERSION] = "bad_version",
	[QS_REPORT_E_TRUNCATED] = "truncated",
	[QS_REPORT_E_OVERSIZE] = "oversize",
	[QS_REPORT_E_BAD_HEADER] = "bad_header",
	[QS_REPORT_E_TOO_MANY_RECORDS] = "too_many_records",
	[QS_REPORT_E_UNKNOWN_RECORD] = "unknown_record",
	[QS_REPORT_E_BAD_LENGTH] = "bad_record_length",
	[QS_REPORT_E_CID_TOO_LONG] = "cid_too_long",
	[QS_REPORT_E_BAD_FAMILY] = "bad_family",
	[QS_REPORT_E_NONZERO_PAD] = "nonzero_padding",
	[QS_REPORT_E_NO_VIP] = "no_vip",
	[QS_REPORT_E_BAD_SNAPSHOT] = "bad_snapshot",
	[QS_REPORT_E_TRAILING] = "trailing_bytes",
	[QS_REPORT_E_BAD_MAC] = "bad_mac",
	[QS_REPORT_E_MAC_ERROR] = "mac_error",
	[QS_REPORT_E_UNKNOWN_BACKEND] = "unknown_backend",
	[QS_REPORT_E_UNKNOWN_VIP] = "unknown_vip",
	[QS_REPORT_E_REPLAY] = "replay",
	[QS_REPORT_E_STALE_INCARNATION] = "stale_incarnation",
	[QS_REPORT_E_STALE_TIMESTAMP] = "stale_timestamp",
	[QS_REPORT_E_FUTURE_TIMESTAMP] = "future_timestamp",
	[QS_REPORT_E_V1_REFUSED] = "v1_refused",
	[QS_REPORT_E_V1_DOWNGRADE] = "v1_downgrade",
};

const char *qs_report_reason_name(int reason)
{
	if (reason < 0 || reason >= QS_REPORT_NR_REASONS || !reason_names[reason])
		return "unknown";
	return reason_names[reason];
}

static void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(__u8 *p, __u32 v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static void put_be64(__u8 *p, __u64 v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

static __u16 get_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get_be32(const __u8 *p)
{
	return (__u32)get_be16(p) << 16 | get_be16(p + 2);
}

static __u64 get_be64(const __u8 *p)
{
	return (__u64)get_be32(p) << 32 | get_be32(p + 4);
}

/* Header length of a version this codec speaks; 0 for any other. */
static size_t hdr_len_of(__u8 version)
{
	return version == QS_REPORT_VERSION ? QS_REPORT_HDR_LEN :
	       version == QS_REPORT_V1	    ? QS_REPORT_V1_HDR_LEN :
					      0;
}

/*
 * HMAC contexts of the keys a thread used last, each keyed once: OpenSSL's
 * one-shot HMAC() fetches the digest and sets the key up on every call,
 * 3.8 us of a datagram's 1.2 KB against 1.3 us for a context kept
 * (tools/bench/agent, micro), which is 40 to 60 ns of each reported ID in
 * the agent. A backend signs with one key; the agent verifies datagrams
 * of a few backends at a time, in bursts. The contexts live as long as
 * the thread (a few, never freed: the agent's intake thread and a
 * reporter's last until the process ends).
 */
#define MAC_CACHE 8

struct mac_cache {
	__u8 key[QS_REPORT_KEY_LEN];
	EVP_MAC_CTX *ctx;
	__u64 used;
};

static __thread struct mac_cache mac_cache[MAC_CACHE];
static __thread __u64 mac_clock;
static EVP_MAC *mac_alg;
static pthread_once_t mac_alg_once = PTHREAD_ONCE_INIT;

static void mac_alg_fetch(void)
{
	mac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* key's context, keyed and ready for data; NULL if OpenSSL cannot make one. */
static EVP_MAC_CTX *mac_ctx(const __u8 key[QS_REPORT_KEY_LEN])
{
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
				OSSL_PARAM_construct_end() };
	struct mac_cache *c = &mac_cache[0];

	for (int i = 0; i < MAC_CACHE; i++) {
		if (mac_cache[i].ctx && !memcmp(mac_cache[i].key, key, QS_REPORT_KEY_LEN)) {
			mac_cache[i].used = ++mac_clock;
			return EVP_MAC_init(mac_cache[i].ctx, NULL, 0, NULL) ? mac_cache[i].ctx :
										NULL;
		}
		if (mac_cache[i].used < c->used)
			c = &mac_cache[i];
	}
	if (pthread_once(&mac_alg_once, mac_alg_fetch) || !mac_alg)
		return NULL;
	EVP_MAC_CTX_free(c->ctx);
	memset(c, 0, sizeof(*c));
	c->ctx = EVP_MAC_CTX_new(mac_alg);
	if (!c->ctx || !EVP_MAC_init(c->ctx, key, QS_REPORT_KEY_LEN, params)) {
		EVP_MAC_CTX_free(c->ctx);
		c->ctx = NULL;
		return NULL;
	}
	memcpy(c->key, key, QS_REPORT_KEY_LEN);
	c->used = ++mac_clock;
	return c->ctx;
}

/* HMAC-SHA256 of data[len]; 0 or -EIO. */
static int report_mac(const __u8 key[QS_REPORT_KEY_LEN], const __u8 *data, size_t len,
		      __u8 out[QS_REPORT_MAC_LEN])
{
	EVP_MAC_CTX *ctx = mac_ctx(key);
	unsigned int out_len = 0;
	size_t got = 0;

	if (ctx && EVP_MAC_update(ctx, data, len) &&
	    EVP_MAC_final(ctx, out, &got, QS_REPORT_MAC_LEN) && got == QS_REPORT_MAC_LEN)
		return 0;
	if (!HMAC(EVP_sha256(), key, QS_REPORT_KEY_LEN, data, len, out, &out_len) ||
	    out_len != QS_REPORT_MAC_LEN)
		return -EIO;
	return 0;
}

/*
 * Canonical form of an address: IPv4 uses addr[0] only, the pad is zero,
 * and "no address" (allowed for the header's VIP only) is all zeroes.
 */
static int endpoint_check(const struct qs_report_endpoint *ep, int allow_none)
{
	switch (ep->family) {
	case QS_AF_NONE:
		if (!allow_none)
			return QS_REPORT_E_BAD_FAMILY;
		if (ep->addr.addr[0] || ep->port)
			return QS_REPORT_E_NONZERO_PAD;
		/* fall through */
	case QS_AF_INET:
		if (ep->addr.addr[1] || ep->addr.addr[2] || ep->addr.addr[3])
			return QS_REPORT_E_NONZERO_PAD;
		break;
	case QS_AF_INET6:
		break;
	default:
		return QS_REPORT_E_BAD_FAMILY;
	}
	return ep->pad ? QS_REPORT_E_NONZERO_PAD : QS_REPORT_OK;
}

/* Records that say something about the header's VIP. */
static int type_needs_vip(__u8 type)
{
	return type == QS_REPORT_CID_ISSUED || type == QS_REPORT_CID_RETIRED ||
	       type == QS_REPORT_HANDSHAKE_DONE || type == QS_REPORT_SNAPSHOT_PART ||
	       type == QS_REPORT_SNAPSHOT_CID;
}

static void cid_decode(struct qs_report_cid *cid, const __u8 *p, size_t len)
{
	cid->len = len;
	memcpy(cid->bytes, p, len);
}

static int handshake_decode(struct qs_report_record *rec, const __u8 *v)
{
	struct qs_report_endpoint *client = &rec->handshake.client;

	rec->handshake.handle = get_be64(v);
	memcpy(&client->addr, v + 8, sizeof(client->addr));
	memcpy(&client->port, v + 24, sizeof(client->port));
	client->family = v[26];
	client->pad = v[27];
	return endpoint_check(client, 0);
}

/* Value v[vlen] of a record of a known-good length for its type. */
static int value_decode(struct qs_report_record *rec, const __u8 *v, size_t vlen)
{
	switch (rec->type) {
	case QS_REPORT_CID_ISSUED:
	case QS_REPORT_SNAPSHOT_CID:
		if (vlen < QS_REPORT_HANDLE_LEN)
			return QS_REPORT_E_BAD_LENGTH;
		if (vlen > QS_REPORT_CID_ISSUED_MAX)
			return QS_REPORT_E_CID_TOO_LONG;
		rec->cid_issued.handle = get_be64(v);
		cid_decode(&rec->cid_issued.cid, v + 8, vlen - 8);
		return QS_REPORT_OK;
	case QS_REPORT_CID_RETIRED:
		if (vlen > QS_CID_MAX_LEN)
			return QS_REPORT_E_CID_TOO_LONG;
		cid_decode(&rec->cid_retired.cid, v, vlen);
		return QS_REPORT_OK;
	case QS_REPORT_HANDSHAKE_DONE:
		if (vlen != QS_REPORT_HANDSHAKE_LEN)
			return QS_REPORT_E_BAD_LENGTH;
		return handshake_decode(rec, v);
	case QS_REPORT_CONN_CLOSED:
		if (vlen != QS_REPORT_CLOSED_LEN)
			return QS_REPORT_E_BAD_LENGTH;
		rec->closed.handle = get_be64(v);
		return QS_REPORT_OK;
	case QS_REPORT_HEARTBEAT:
	case QS_REPORT_DRAIN:
		return vlen ? QS_REPORT_E_BAD_LENGTH : QS_REPORT_OK;
	case QS_REPORT_SNAPSHOT_PART:
		if (vlen != QS_REPORT_SNAPSHOT_PART_LEN)
			return QS_REPORT_E_BAD_LENGTH;
		rec->snapshot.snapshot_id = get_be32(v);
		rec->snapshot.part = get_be16(v + 4);
		rec->snapshot.flags = v[6];
		if (rec->snapshot.flags & ~QS_REPORT_SNAPSHOT_FINAL)
			return QS_REPORT_E_BAD_SNAPSHOT;
		return v[7] ? QS_REPORT_E_NONZERO_PAD : QS_REPORT_OK;
	default:
		return QS_REPORT_E_UNKNOWN_RECORD;
	}
}

/*
 * Decodes the record at p, with avail bytes before the MAC. Sets *used to
 * its size on the wire. The record is zeroed first, so decoded records can
 * be compared with memcmp.
 */
static int record_decode(const __u8 *p, size_t avail, struct qs_report_record *rec, size_t *used)
{
	size_t vlen;

	memset(rec, 0, sizeof(*rec));
	if (avail < QS_REPORT_REC_HDR_LEN)
		return QS_REPORT_E_TRUNCATED;
	rec->type = p[0];
	vlen = get_be16(p + 1);
	if (vlen > avail - QS_REPORT_REC_HDR_LEN)
		return QS_REPORT_E_TRUNCATED;
	*used = QS_REPORT_REC_HDR_LEN + vlen;
	return value_decode(rec, p + QS_REPORT_REC_HDR_LEN, vlen);
}

/* The fixed header; the length must be within [MIN, MAX] of its version already. */
static int header_decode(const __u8 *buf, struct qs_report_header *hdr, __u16 *nrecords)
{
	__u16 max_records;

	memset(hdr, 0, sizeof(*hdr));
	hdr->version = buf[OFF_VERSION];
	hdr->vip.family = buf[OFF_VIP_FAMILY];
	memcpy(&hdr->vip.port, buf + OFF_VIP_PORT, sizeof(hdr->vip.port));
	memcpy(&hdr->vip.addr, buf + OFF_VIP_ADDR, sizeof(hdr->vip.addr));
	hdr->backend_id = get_be32(buf + OFF_BACKEND_ID);
	hdr->incarnation = get_be64(buf + OFF_INCARNATION);
	hdr->sequence = get_be64(buf + OFF_SEQUENCE);
	*nrecords = get_be16(buf + OFF_RECORD_COUNT);
	max_records = QS_REPORT_V1_MAX_RECORDS;
	if (hdr->version == QS_REPORT_VERSION) {
		hdr->timestamp = get_be64(buf + OFF_TIMESTAMP);
		max_records = QS_REPORT_MAX_RECORDS;
	}

	if (get_be16(buf + OFF_RESERVED) || !hdr->backend_id || !hdr->incarnation ||
	    (hdr->version == QS_REPORT_VERSION && !hdr->timestamp))
		return QS_REPORT_E_BAD_HEADER;
	if (*nrecords > max_records)
		return QS_REPORT_E_TOO_MANY_RECORDS;
	return endpoint_check(&hdr->vip, 1);
}

/* Every record between the header and the MAC, and the rules across them. */
static int records_check(const __u8 *buf, size_t off, size_t mac_off, __u16 nrecords, int has_vip)
{
	unsigned int parts = 0, snapshot_cids = 0;

	for (__u16 i = 0; i < nrecords; i++) {
		struct qs_report_record rec;
		size_t used = 0;
		int reason = record_decode(buf + off, mac_off - off, &rec, &used);

		if (reason)
			return reason;
		if (!has_vip && type_needs_vip(rec.type))
			return QS_REPORT_E_NO_VIP;
		parts += rec.type == QS_REPORT_SNAPSHOT_PART;
		snapshot_cids += rec.type == QS_REPORT_SNAPSHOT_CID;
		off += used;
	}
	if (off != mac_off)
		return QS_REPORT_E_TRAILING;
	/* Snapshot CIDs belong to the one part in their datagram. */
	if (parts > 1 || (snapshot_cids && !parts))
		return QS_REPORT_E_BAD_SNAPSHOT;
	return QS_REPORT_OK;
}

int qs_report_check(const void *data, size_t len, struct qs_report_header *hdr)
{
	struct qs_report_header tmp;
	const __u8 *buf = data;
	size_t hdr_len;
	__u16 nrecords;
	int reason;

	if (!hdr)
		hdr = &tmp;
	memset(hdr, 0, sizeof(*hdr));
	/* Magic and version first: they tell a foreign packet from a cut one. */
	if (len >= 4 && get_be32(buf + OFF_MAGIC) != QS_REPORT_MAGIC)
		return QS_REPORT_E_BAD_MAGIC;
	hdr_len = len > OFF_VERSION ? hdr_len_of(buf[OFF_VERSION]) : QS_REPORT_HDR_LEN;
	if (!hdr_len)
		return QS_REPORT_E_BAD_VERSION;
	if (len < hdr_len + QS_REPORT_MAC_LEN)
		return QS_REPORT_E_TRUNCATED;
	if (len > QS_REPORT_MAX_DGRAM)
		return QS_REPORT_E_OVERSIZE;
	reason = header_decode(buf, hdr, &nrecords);
	if (!reason)
		reason = records_check(buf, hdr_len, len - QS_REPORT_MAC_LEN, nrecords,
				       hdr->vip.family != QS_AF_NONE);
	if (reason)
		memset(hdr, 0, sizeof(*hdr));
	return reason;
}

int qs_report_verify(struct qs_report_reader *rd, const void *data, size_t len,
		     const __u8 key[QS_REPORT_KEY_LEN])
{
	__u8 mac[QS_REPORT_MAC_LEN];
	const __u8 *buf = data;
	size_t mac_off;
	int reason;

	memset(rd, 0, sizeof(*rd));
	reason = qs_report_check(buf, len, &rd->hdr);
	if (reason)
		return reason;
	mac_off = len - QS_REPORT_MAC_LEN;
	if (report_mac(key, buf, mac_off, mac)) {
		reason = QS_REPORT_E_MAC_ERROR;
	} else if (CRYPTO_memcmp(mac, buf + mac_off, QS_REPORT_MAC_LEN)) {
		reason = QS_REPORT_E_BAD_MAC;
	} else {
		rd->buf = buf;
		rd->end = mac_off;
		rd->off = hdr_len_of(rd->hdr.version);
		rd->nrecords = get_be16(buf + OFF_RECORD_COUNT);
		return QS_REPORT_OK;
	}
	memset(rd, 0, sizeof(*rd));
	return reason;
}

int qs_report_next(struct qs_report_reader *rd, struct qs_report_record *rec)
{
	size_t used = 0;

	if (!rd->buf || rd->next >= rd->nrecords)
		return 0;
	/* Cannot fail: qs_report_verify decoded every record already. */
	if (record_decode(rd->buf + rd->off, rd->end - rd->off, rec, &used))
		return 0;
	rd->off += used;
	rd->next++;
	return 1;
}

int qs_report_record_size(const struct qs_report_record *rec)
{
	size_t vlen;

	switch (rec->type) {
	case QS_REPORT_CID_ISSUED:
	case QS_REPORT_SNAPSHOT_CID:
		if (rec->cid_issued.cid.len > QS_CID_MAX_LEN)
			return -EINVAL;
		vlen = QS_REPORT_HANDLE_LEN + rec->cid_issued.cid.len;
		break;
	case QS_REPORT_CID_RETIRED:
		if (rec->cid_retired.cid.len > QS_CID_MAX_LEN)
			return -EINVAL;
		vlen = rec->cid_retired.cid.len;
		break;
	case QS_REPORT_HANDSHAKE_DONE:
		if (endpoint_check(&rec->handshake.client, 0))
			return -EINVAL;
		vlen = QS_REPORT_HANDSHAKE_LEN;
		break;
	case QS_REPORT_CONN_CLOSED:
		vlen = QS_REPORT_CLOSED_LEN;
		break;
	case QS_REPORT_HEARTBEAT:
	case QS_REPORT_DRAIN:
		vlen = 0;
		break;
	case QS_REPORT_SNAPSHOT_PART:
		if (rec->snapshot.flags & ~QS_REPORT_SNAPSHOT_FINAL)
			return -EINVAL;
		vlen = QS_REPORT_SNAPSHOT_PART_LEN;
		break;
	default:
		return -EINVAL;
	}
	return QS_REPORT_REC_HDR_LEN + vlen;
}

/* Writes a record already validated by qs_report_record_size. */
static void record_encode(__u8 *p, const struct qs_report_record *rec, size_t size)
{
	__u8 *v = p + QS_REPORT_REC_HDR_LEN;

	p[0] = rec->type;
	put_be16(p + 1, size - QS_REPORT_REC_HDR_LEN);
	switch (rec->type) {
	case QS_REPORT_CID_ISSUED:
	case QS_REPORT_SNAPSHOT_CID:
		put_be64(v, rec->cid_issued.handle);
		memcpy(v + 8, rec->cid_issued.cid.bytes, rec->cid_issued.cid.len);
		break;
	case QS_REPORT_CID_RETIRED:
		memcpy(v, rec->cid_retired.cid.bytes, rec->cid_retired.cid.len);
		break;
	case QS_REPORT_HANDSHAKE_DONE:
		put_be64(v, rec->handshake.handle);
		memcpy(v + 8, &rec->handshake.client.addr, sizeof(struct qs_addr));
		memcpy(v + 24, &rec->handshake.client.port, 2);
		v[26] = rec->handshake.client.family;
		v[27] = 0;
		break;
	case QS_REPORT_CONN_CLOSED:
		put_be64(v, rec->closed.handle);
		break;
	case QS_REPORT_SNAPSHOT_PART:
		put_be32(v, rec->snapshot.snapshot_id);
		put_be16(v + 4, rec->snapshot.part);
		v[6] = rec->snapshot.flags;
		v[7] = 0;
		break;
	}
}

int qs_report_encoder_init(struct qs_report_encoder *enc, void *buf, size_t size,
			   const struct qs_report_header *hdr)
{
	__u8 version = hdr->version ? hdr->version : QS_REPORT_VERSION;
	size_t hdr_len = hdr_len_of(version);
	__u8 *p = buf;

	memset(enc, 0, sizeof(*enc));
	if (!hdr_len || !hdr->backend_id || !hdr->incarnation || endpoint_check(&hdr->vip, 1))
		return -EINVAL;
	/* version 1 has no timestamp on the wire, version 2 always one */
	if ((version == QS_REPORT_VERSION) != !!hdr->timestamp)
		return -EINVAL;
	if (size < hdr_len + QS_REPORT_MAC_LEN)
		return -ENOSPC;

	put_be32(p + OFF_MAGIC, QS_REPORT_MAGIC);
	p[OFF_VERSION] = version;
	p[OFF_VIP_FAMILY] = hdr->vip.family;
	memcpy(p + OFF_VIP_PORT, &hdr->vip.port, sizeof(hdr->vip.port));
	put_be32(p + OFF_BACKEND_ID, hdr->backend_id);
	put_be16(p + OFF_RECORD_COUNT, 0);
	put_be16(p + OFF_RESERVED, 0);
	put_be64(p + OFF_INCARNATION, hdr->incarnation);
	put_be64(p + OFF_SEQUENCE, hdr->sequence);
	memcpy(p + OFF_VIP_ADDR, &hdr->vip.addr, sizeof(hdr->vip.addr));
	if (version == QS_REPORT_VERSION)
		put_be64(p + OFF_TIMESTAMP, hdr->timestamp);

	enc->buf = p;
	enc->cap = size < QS_REPORT_MAX_DGRAM ? size : QS_REPORT_MAX_DGRAM;
	enc->len = hdr_len;
	enc->vip_bound = hdr->vip.family != QS_AF_NONE;
	return 0;
}

int qs_report_add(struct qs_report_encoder *enc, const struct qs_report_record *rec)
{
	int size;

	if (!enc->buf)
		return -EINVAL;
	size = qs_report_record_size(rec);
	if (size < 0)
		return size;
	/* Refuse what the decoder would refuse before saying "no room", so a
	 * caller that flushes on -ENOSPC never loops on a bad record.
	 */
	if (type_needs_vip(rec->type) && !enc->vip_bound)
		return -EINVAL;
	if (rec->type == QS_REPORT_SNAPSHOT_PART && enc->has_part)
		return -EINVAL;
	/* the length bounds the count: 3 bytes a record at least */
	if (enc->len + size + QS_REPORT_MAC_LEN > enc->cap ||
	    enc->nrecords >= QS_REPORT_V1_MAX_RECORDS)
		return -ENOSPC;

	record_encode(enc->buf + enc->len, rec, size);
	enc->len += size;
	enc->nrecords++;
	enc->has_part |= rec->type == QS_REPORT_SNAPSHOT_PART;
	enc->has_snapshot_cid |= rec->type == QS_REPORT_SNAPSHOT_CID;
	return 0;
}

int qs_report_finish(struct qs_report_encoder *enc, const __u8 key[QS_REPORT_KEY_LEN])
{
	int err = -EINVAL;

	if (!enc->buf || (enc->has_snapshot_cid && !enc->has_part))
		goto out;
	put_be16(enc->buf + OFF_RECORD_COUNT, enc->nrecords);
	err = report_mac(key, enc->buf, enc->len, enc->buf + enc->len);
	if (!err)
		err = enc->len + QS_REPORT_MAC_LEN;
out:
	enc->buf = NULL;
	return err;
}

static int add_cid_record(struct qs_report_encoder *enc, __u8 type, __u64 handle, const void *cid,
			  size_t cid_len)
{
	struct qs_report_record rec = { .type = type };

	if (cid_len > QS_CID_MAX_LEN)
		return -EINVAL;
	if (type == QS_REPORT_CID_RETIRED) {
		rec.cid_retired.cid.len = cid_len;
		memcpy(rec.cid_retired.cid.bytes, cid, cid_len);
	} else {
		rec.cid_issued.handle = handle;
		rec.cid_issued.cid.len = cid_len;
		memcpy(rec.cid_issued.cid.bytes, cid, cid_len);
	}
	return qs_report_add(enc, &rec);
}

int qs_report_add_cid_issued(struct qs_report_encoder *enc, __u64 handle, const void *cid,
			     size_t cid_len)
{
	return add_cid_record(enc, QS_REPORT_CID_ISSUED, handle, cid, cid_len);
}

int qs_report_add_cid_retired(struct qs_report_encoder *enc, const void *cid, size_t cid_len)
{
	return add_cid_record(enc, QS_REPORT_CID_RETIRED, 0, cid, cid_len);
}

int qs_report_add_snapshot_cid(struct qs_report_encoder *enc, __u64 handle, const void *cid,
			       size_t cid_len)
{
	return add_cid_record(enc, QS_REPORT_SNAPSHOT_CID, handle, cid, cid_len);
}

int qs_report_add_handshake(struct qs_report_encoder *enc, __u64 handle,
			    const struct qs_report_endpoint *client)
{
	struct qs_report_record rec = { .type = QS_REPORT_HANDSHAKE_DONE };

	rec.handshake.handle = handle;
	rec.handshake.client = *client;
	return qs_report_add(enc, &rec);
}

int qs_report_add_closed(struct qs_report_encoder *enc, __u64 handle)
{
	struct qs_report_record rec = { .type = QS_REPORT_CONN_CLOSED };

	rec.closed.handle = handle;
	return qs_report_add(enc, &rec);
}

int qs_report_add_heartbeat(struct qs_report_encoder *enc)
{
	struct qs_report_record rec = { .type = QS_REPORT_HEARTBEAT };

	return qs_report_add(enc, &rec);
}

int qs_report_add_drain(struct qs_report_encoder *enc)
{
	struct qs_report_record rec = { .type = QS_REPORT_DRAIN };

	return qs_report_add(enc, &rec);
}

int qs_report_add_snapshot_part(struct qs_report_encoder *enc, __u32 snapshot_id, __u16 part,
				__u8 flags)
{
	struct qs_report_record rec = { .type = QS_REPORT_SNAPSHOT_PART };

	rec.snapshot.snapshot_id = snapshot_id;
	rec.snapshot.part = part;
	rec.snapshot.flags = flags;
	return qs_report_add(enc, &rec);
}

int qs_key_read_fd(int fd, void *key, size_t key_len)
{
	/* room for one byte more than the longest key and its line end, to see it */
	char text[2 * QS_KEY_MAX_LEN + 3] = { 0 };
	size_t len = 0, n = 0;
	ssize_t got;
	int err = 0;

	if (!key || !key_len || key_len > QS_KEY_MAX_LEN)
		return -EINVAL;
	while (len < 2 * key_len + 2) {
		got = read(fd, text + len, 2 * key_len + 2 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			goto out;
		}
		if (!got)
			break;
		len += got;
	}
	if (len && text[len - 1] == '\n')
		text[--len] = 0;
	if (len && text[len - 1] == '\r')
		text[--len] = 0;
	/* no separator: OPENSSL_hexstr2buf_ex takes only hex digits */
	if (len != 2 * key_len || !OPENSSL_hexstr2buf_ex(key, key_len, &n, text, '\0') ||
	    n != key_len)
		err = -EINVAL;
out:
	OPENSSL_cleanse(text, sizeof(text));
	return err;
}

int qs_report_key_read_fd(int fd, __u8 key[QS_REPORT_KEY_LEN])
{
	return qs_key_read_fd(fd, key, QS_REPORT_KEY_LEN);
}

int qs_report_key_read(const char *path, __u8 key[QS_REPORT_KEY_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = qs_report_key_read_fd(fd, key);
	close(fd);
	return err;
}
