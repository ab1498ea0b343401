// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The report codec against its specification (docs/report-protocol.md):
 * every record and header field round-trips, in version 2 and in version 1,
 * and every defect a sender or the network can introduce (truncation, bit
 * flips, wrong key, long CIDs, random bytes) is refused with a reason and
 * hands out nothing. The wire layout against the specification's example,
 * and what versions 2 and 1 guarantee, are in test_report_versions.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "quicsteer/report.h"
#include "report_test.h"

#define RANDOM_INPUTS 100000

static const __u8 cid20[QS_CID_MAX_LEN + 1] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
					      "\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15";

/* xorshift64*: fixed seeds make every random case reproducible. */
static __u64 rng_next(__u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

static struct qs_report_endpoint client_v4(void)
{
	struct qs_report_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.family = QS_AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &ep.addr.addr[0]);
	ep.port = htons(51234);
	return ep;
}

static void cid_set(struct qs_report_cid *cid, size_t len)
{
	cid->len = len;
	memcpy(cid->bytes, cid20, len);
}

/* One of every record type and shape, in wire order. */
static size_t sample_records(struct qs_report_record *r)
{
	static const size_t cid_lens[] = { 0, 1, 8, 20 };
	size_t n = 0;

	memset(r, 0, 16 * sizeof(*r));
	for (size_t i = 0; i < 4; i++) {
		r[n].type = QS_REPORT_CID_ISSUED;
		r[n].cid_issued.handle = i ? ~0ull - i : 0;
		cid_set(&r[n++].cid_issued.cid, cid_lens[i]);
		r[n].type = QS_REPORT_CID_RETIRED;
		cid_set(&r[n++].cid_retired.cid, cid_lens[i]);
	}
	r[n].type = QS_REPORT_HANDSHAKE_DONE;
	r[n].handshake.handle = 0x0102030405060708ull;
	r[n++].handshake.client = client_v4();
	r[n].type = QS_REPORT_HANDSHAKE_DONE;
	r[n].handshake.handle = 9;
	r[n].handshake.client.family = QS_AF_INET6;
	inet_pton(AF_INET6, "2001:db8:ffff::abcd", &r[n].handshake.client.addr);
	r[n++].handshake.client.port = htons(1);
	r[n].type = QS_REPORT_CONN_CLOSED;
	r[n++].closed.handle = 0x8000000000000001ull;
	r[n++].type = QS_REPORT_HEARTBEAT;
	r[n++].type = QS_REPORT_DRAIN;
	r[n].type = QS_REPORT_SNAPSHOT_PART;
	r[n].snapshot.snapshot_id = 0xdeadbeef;
	r[n].snapshot.part = 0xfffe;
	r[n++].snapshot.flags = QS_REPORT_SNAPSHOT_FINAL;
	r[n].type = QS_REPORT_SNAPSHOT_CID;
	r[n].cid_issued.handle = 77;
	cid_set(&r[n++].cid_issued.cid, 20);
	return n;
}

static size_t sample_datagram(__u8 *buf)
{
	struct qs_report_record r[16];
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_encoder enc;
	size_t n = sample_records(r);

	init_ok(&enc, buf, QS_REPORT_MAX_DGRAM, &hdr);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(qs_report_add(&enc, &r[i]), 0, "add record %zu", i);
	return finish_ok(&enc);
}

Test(report, round_trip_every_record)
{
	struct qs_report_record want[16], got;
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_reader rd;
	__u8 buf[QS_REPORT_MAX_DGRAM];
	size_t n = sample_records(want), len = sample_datagram(buf), i = 0;
	int reason = qs_report_verify(&rd, buf, len, key);

	cr_assert_eq(reason, QS_REPORT_OK, "got %s want ok", qs_report_reason_name(reason));
	cr_assert_eq(memcmp(&rd.hdr, &hdr, sizeof(hdr)), 0, "header differs after round trip");
	while (qs_report_next(&rd, &got)) {
		cr_assert_lt(i, n, "got more than %zu records", n);
		cr_assert_eq(got.type, want[i].type, "record %zu: got type %u want %u", i, got.type,
			     want[i].type);
		cr_assert_eq(memcmp(&got, &want[i], sizeof(got)), 0, "record %zu (type %u) differs",
			     i, got.type);
		i++;
	}
	cr_assert_eq(i, n, "got %zu records want %zu", i, n);
}

Test(report, round_trip_every_header_field)
{
	static const __u32 ids[] = { 1, 0x12345678, 0xffffffff };
	static const __u64 incs[] = { 1, 0x0102030405060708ull, ~0ull };
	static const __u64 seqs[] = { 0, 0x8877665544332211ull, ~0ull };
	static const __u8 families[] = { QS_AF_NONE, QS_AF_INET, QS_AF_INET6 };
	/* version 2 with three timestamps, and version 1 (no timestamp) */
	static const __u64 stamps[] = { 1, EXAMPLE_TIMESTAMP, ~0ull, 0 };

	for (size_t c = 0; c < 3 * 3 * 3 * 3 * 4; c++) {
		struct qs_report_header hdr, got;
		struct qs_report_encoder enc;
		__u8 buf[QS_REPORT_MAX_DGRAM];
		size_t len;
		int reason;

		memset(&hdr, 0, sizeof(hdr));
		hdr.backend_id = ids[c % 3];
		hdr.incarnation = incs[c / 3 % 3];
		hdr.sequence = seqs[c / 9 % 3];
		hdr.vip.family = families[c / 27 % 3];
		hdr.timestamp = stamps[c / 81];
		hdr.version = hdr.timestamp ? QS_REPORT_VERSION : QS_REPORT_V1;
		if (hdr.vip.family != QS_AF_NONE) {
			hdr.vip.addr.addr[0] = htonl(0xc6336401);
			hdr.vip.port = htons(c % 2 ? 443 : 65535);
		}
		if (hdr.vip.family == QS_AF_INET6)
			hdr.vip.addr.addr[3] = htonl(0xfffefdfc);
		init_ok(&enc, buf, sizeof(buf), &hdr);
		add_ok(qs_report_add_heartbeat(&enc), "heartbeat");
		len = finish_ok(&enc);
		reason = qs_report_check(buf, len, &got);
		cr_assert_eq(reason, QS_REPORT_OK, "case %zu: got %s want ok", c,
			     qs_report_reason_name(reason));
		cr_assert_eq(memcmp(&got, &hdr, sizeof(hdr)), 0, "case %zu: header differs", c);
		/* Network order at the documented offsets. */
		cr_assert_eq((__u32)buf[8] << 24 | buf[9] << 16 | buf[10] << 8 | buf[11],
			     hdr.backend_id, "case %zu: backend id not big-endian at offset 8", c);
		cr_assert_eq(buf[5], hdr.vip.family, "case %zu: got family %u at 5 want %u", c,
			     buf[5], hdr.vip.family);
		cr_assert_eq(buf[4], hdr.version, "case %zu: version", c);
		cr_assert_eq(buf[16], (__u8)(hdr.incarnation >> 56), "case %zu: incarnation", c);
		cr_assert_eq(buf[31], (__u8)hdr.sequence, "case %zu: sequence", c);
		cr_assert_eq(len,
			     (hdr.timestamp ? QS_REPORT_HDR_LEN : QS_REPORT_V1_HDR_LEN) + 3 +
				     QS_REPORT_MAC_LEN,
			     "case %zu: got %zu bytes", c, len);
		if (hdr.timestamp) {
			cr_assert_eq(buf[OFF_TIMESTAMP], (__u8)(hdr.timestamp >> 56),
				     "case %zu: timestamp", c);
			cr_assert_eq(buf[OFF_TIMESTAMP + 7], (__u8)hdr.timestamp,
				     "case %zu: timestamp", c);
		}
	}
}

Test(report, mac_is_hmac_sha256_of_all_bytes_before_it)
{
	__u8 buf[QS_REPORT_MAX_DGRAM], copy[QS_REPORT_MAX_DGRAM];
	size_t len = sample_datagram(buf);

	memcpy(copy, buf, len);
	resign(copy, len);
	cr_assert_eq(memcmp(copy, buf, len), 0, "MAC is not HMAC-SHA256 of bytes 0..%zu",
		     len - QS_REPORT_MAC_LEN - 1);
}

Test(report, every_truncation_refused)
{
	__u8 buf[QS_REPORT_MAX_DGRAM];
	size_t len = sample_datagram(buf);

	for (size_t n = 0; n < len; n++) {
		/* An exact-size copy, so a sanitizer sees any read past the end. */
		__u8 *cut = malloc(n ? n : 1);

		cr_assert_not_null(cut, "malloc of %zu bytes failed", n);
		memcpy(cut, buf, n);
		expect_refused(cut, n, "prefix of length", n);
		free(cut);
	}
	expect_reason(buf, len, QS_REPORT_OK, "whole datagram");
}

Test(report, every_bit_flip_refused)
{
	__u8 buf[QS_REPORT_MAX_DGRAM];
	size_t len = sample_datagram(buf);

	for (size_t bit = 0; bit < len * 8; bit++) {
		buf[bit / 8] ^= 1u << bit % 8;
		expect_refused(buf, len, "flipped bit", bit);
		buf[bit / 8] ^= 1u << bit % 8;
	}
	expect_reason(buf, len, QS_REPORT_OK, "unflipped datagram");
}

Test(report, wrong_key_refused)
{
	__u8 buf[QS_REPORT_MAX_DGRAM], other[QS_REPORT_KEY_LEN];
	struct qs_report_reader rd;
	size_t len = sample_datagram(buf);

	for (size_t bit = 0; bit < sizeof(other) * 8; bit++) {
		int got;

		memcpy(other, key, sizeof(other));
		other[bit / 8] ^= 1u << bit % 8;
		got = qs_report_verify(&rd, buf, len, other);
		cr_assert_eq(got, QS_REPORT_E_BAD_MAC, "key bit %zu flipped: got %s want bad_mac",
			     bit, qs_report_reason_name(got));
	}
}

Test(report, cid_longer_than_20_refused)
{
	static const __u8 types[] = { QS_REPORT_CID_ISSUED, QS_REPORT_CID_RETIRED,
				      QS_REPORT_SNAPSHOT_CID };
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM + 64];

	for (size_t t = 0; t < sizeof(types); t++) {
		/* Snapshot CIDs need their part record beside them. */
		__u8 body[64] = { QS_REPORT_SNAPSHOT_PART, 0, 8, 0, 0, 0, 1, 0, 0, 1, 0 };
		size_t off = 11, vlen = types[t] == QS_REPORT_CID_RETIRED ? 21 : 8 + 21;

		body[off] = types[t];
		body[off + 1] = 0;
		body[off + 2] = vlen;
		memset(body + off + 3, 0xcc, vlen);
		expect_reason(buf, craft(buf, &hdr, body, off + 3 + vlen, 2),
			      QS_REPORT_E_CID_TOO_LONG, "21-byte CID");
	}
	init_ok(&enc, buf, sizeof(buf), &hdr);
	cr_assert_eq(qs_report_add_cid_issued(&enc, 1, cid20, 21), -EINVAL,
		     "encoder, 21-byte issued CID: want -EINVAL");
	cr_assert_eq(qs_report_add_cid_retired(&enc, cid20, 21), -EINVAL,
		     "encoder, 21-byte retired CID: want -EINVAL");
	cr_assert_eq(qs_report_add_cid_issued(&enc, 1, cid20, 20), 0, "20-byte CID refused");
}

static int add_one(struct qs_report_encoder *enc, __u8 type, size_t cid_len)
{
	switch (type) {
	case QS_REPORT_CID_ISSUED:
		return qs_report_add_cid_issued(enc, 1, cid20, cid_len);
	case QS_REPORT_SNAPSHOT_CID:
		return qs_report_add_snapshot_cid(enc, 1, cid20, cid_len);
	case QS_REPORT_CID_RETIRED:
		return qs_report_add_cid_retired(enc, cid20, cid_len);
	default:
		return qs_report_add_heartbeat(enc);
	}
}

/* Adds records of one kind until -ENOSPC; returns how many fitted. */
static size_t fill(__u8 type, size_t cid_len)
{
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM];
	size_t n = 0;
	int err;

	init_ok(&enc, buf, sizeof(buf), &hdr);
	if (type == QS_REPORT_SNAPSHOT_CID)
		add_ok(qs_report_add_snapshot_part(&enc, 1, 0, QS_REPORT_SNAPSHOT_FINAL), "part");
	while (!(err = add_one(&enc, type, cid_len)))
		n++;
	cr_assert_eq(err, -ENOSPC, "type %u: got %d want -ENOSPC", type, err);
	expect_reason(buf, finish_ok(&enc), QS_REPORT_OK, "full datagram");
	return n;
}

/* The per-datagram capacities stated in docs/report-protocol.md. */
Test(report, records_per_datagram_as_documented)
{
	static const struct {
		__u8 type;
		size_t cid_len, want;
	} cases[] = {
		{ QS_REPORT_CID_ISSUED, 20, 36 },
		{ QS_REPORT_CID_ISSUED, 8, 60 },
		{ QS_REPORT_CID_RETIRED, 20, 49 },
		{ QS_REPORT_CID_RETIRED, 8, 104 },
		{ QS_REPORT_SNAPSHOT_CID, 20, 36 },
		{ QS_REPORT_SNAPSHOT_CID, 8, 59 },
		{ QS_REPORT_HEARTBEAT, 0, QS_REPORT_MAX_RECORDS },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = fill(cases[i].type, cases[i].cid_len);

		cr_assert_eq(got, cases[i].want, "type %u, %zu-byte CIDs: got %zu want %zu",
			     cases[i].type, cases[i].cid_len, got, cases[i].want);
	}
}

Test(report, records_exactly_fill_max_datagram)
{
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_encoder enc;
	struct qs_report_reader rd;
	struct qs_report_record rec;
	__u8 buf[QS_REPORT_MAX_DGRAM + 100];
	size_t len, n = 0;

	init_ok(&enc, buf, sizeof(buf), &hdr);
	/* 36 * 31 + 28 = 1144 = QS_REPORT_MAX_BODY */
	for (int i = 0; i < 36; i++)
		cr_assert_eq(qs_report_add_cid_issued(&enc, i, cid20, 20), 0, "issued %d", i);
	cr_assert_eq(qs_report_add_cid_issued(&enc, 36, cid20, 17), 0, "last 28 bytes");
	cr_assert_eq(qs_report_add_heartbeat(&enc), -ENOSPC, "past the maximum: want -ENOSPC");
	cr_assert_eq(qs_report_add_cid_retired(&enc, cid20, 0), -ENOSPC, "3 more bytes");
	len = finish_ok(&enc);
	cr_assert_eq(len, QS_REPORT_MAX_DGRAM, "got %zu bytes want %d", len, QS_REPORT_MAX_DGRAM);
	verify_ok(&rd, buf, len, "datagram");
	while (qs_report_next(&rd, &rec))
		n++;
	cr_assert_eq(n, 37, "got %zu records want 37", n);
}

Test(report, enospc_leaves_encoder_unchanged)
{
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_encoder enc, before;
	struct qs_report_reader rd;
	struct qs_report_record rec;
	__u8 buf[108];
	int len;

	cr_assert_eq(qs_report_encoder_init(&enc, buf, QS_REPORT_MIN_DGRAM - 1, &hdr), -ENOSPC,
		     "buffer below header + MAC: want -ENOSPC");
	/* 108 = 56 + 32 + 20: one 9-byte-CID issue fits exactly. */
	init_ok(&enc, buf, sizeof(buf), &hdr);
	cr_assert_eq(qs_report_add_cid_issued(&enc, 5, cid20, 10), -ENOSPC, "21 bytes in 20");
	cr_assert_eq(qs_report_add_cid_issued(&enc, 5, cid20, 9), 0, "20 bytes in 20");
	memcpy(&before, &enc, sizeof(enc));
	cr_assert_eq(qs_report_add_heartbeat(&enc), -ENOSPC, "full: want -ENOSPC");
	cr_assert_eq(memcmp(&before, &enc, sizeof(enc)), 0, "-ENOSPC changed the encoder");
	/* A bad record is -EINVAL even when full, so a flush loop cannot spin. */
	cr_assert_eq(qs_report_add_cid_retired(&enc, cid20, 21), -EINVAL, "bad record when full");
	len = qs_report_finish(&enc, key);
	cr_assert_eq(len, 108, "got %d bytes want 108", len);
	verify_ok(&rd, buf, len, "datagram");
	cr_assert_eq(qs_report_next(&rd, &rec), 1, "got no record want one");
	cr_assert_eq(rec.cid_issued.handle, 5, "got handle %llu want 5",
		     (unsigned long long)rec.cid_issued.handle);
	cr_assert_eq(qs_report_next(&rd, &rec), 0, "got a second record want none");
	cr_assert_eq(qs_report_add_heartbeat(&enc), -EINVAL, "add after finish: want -EINVAL");
	cr_assert_eq(qs_report_finish(&enc, key), -EINVAL, "finish twice: want -EINVAL");
}

Test(report, header_fields_refused)
{
	struct qs_report_header hdr = hdr_v6();
	__u8 buf[QS_REPORT_MAX_DGRAM + 64], hb[] = { QS_REPORT_HEARTBEAT, 0, 0 };
	size_t len = craft(buf, &hdr, hb, sizeof(hb), 1);
	static const struct {
		size_t off;
		__u8 val;
		int want;
		const char *what;
	} cases[] = {
		{ 0, 'q', QS_REPORT_E_BAD_MAGIC, "magic" },
		{ 4, 0, QS_REPORT_E_BAD_VERSION, "version 0" },
		{ 4, 3, QS_REPORT_E_BAD_VERSION, "version 3" },
		{ 4, 0xff, QS_REPORT_E_BAD_VERSION, "version 255" },
		{ 5, 5, QS_REPORT_E_BAD_FAMILY, "VIP family 5" },
		{ 11, 0, QS_REPORT_E_BAD_HEADER, "backend id 0" },
		{ 12, 0xff, QS_REPORT_E_TOO_MANY_RECORDS, "record count 65281" },
		{ 13, 2, QS_REPORT_E_TRUNCATED, "record count 2 of 1" },
		{ 13, 0, QS_REPORT_E_TRAILING, "record count 0 of 1" },
		{ 15, 1, QS_REPORT_E_BAD_HEADER, "reserved field" },
	};

	expect_reason(buf, len, QS_REPORT_OK, "crafted heartbeat");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u8 copy[sizeof(buf)];

		memcpy(copy, buf, len);
		copy[cases[i].off] = cases[i].val;
		resign(copy, len);
		expect_reason(copy, len, cases[i].want, cases[i].what);
	}
	hdr.incarnation = 0;
	cr_assert_eq(qs_report_encoder_init(&(struct qs_report_encoder){}, buf, sizeof(buf), &hdr),
		     -EINVAL, "encoder, incarnation 0: want -EINVAL");
	hdr = hdr_v6();
	hdr.timestamp = 0;
	cr_assert_eq(qs_report_encoder_init(&(struct qs_report_encoder){}, buf, sizeof(buf), &hdr),
		     -EINVAL, "encoder, version 2 without a timestamp: want -EINVAL");
	hdr.version = QS_REPORT_V1;
	hdr.timestamp = 1;
	cr_assert_eq(qs_report_encoder_init(&(struct qs_report_encoder){}, buf, sizeof(buf), &hdr),
		     -EINVAL, "encoder, version 1 with a timestamp: want -EINVAL");
	hdr.version = 3;
	cr_assert_eq(qs_report_encoder_init(&(struct qs_report_encoder){}, buf, sizeof(buf), &hdr),
		     -EINVAL, "encoder, version 3: want -EINVAL");
	memset(buf + OFF_TIMESTAMP, 0, 8);
	resign(buf, len);
	expect_reason(buf, len, QS_REPORT_E_BAD_HEADER, "timestamp 0");
	memset(buf + 16, 0, 8);
	resign(buf, len);
	expect_reason(buf, len, QS_REPORT_E_BAD_HEADER, "incarnation 0");
}

Test(report, vip_padding_refused)
{
	struct qs_report_header v4 = hdr_v6(), none = hdr_v6();
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM + 64], hb[] = { QS_REPORT_HEARTBEAT, 0, 0 };
	size_t len;

	v4.vip.family = QS_AF_INET; /* address still has IPv6 bytes past addr[0] */
	cr_assert_eq(qs_report_encoder_init(&enc, buf, sizeof(buf), &v4), -EINVAL,
		     "encoder, IPv4 VIP with bytes past 4: want -EINVAL");
	none.vip.family = QS_AF_NONE;
	cr_assert_eq(qs_report_encoder_init(&enc, buf, sizeof(buf), &none), -EINVAL,
		     "encoder, no VIP but an address: want -EINVAL");
	memset(&none.vip, 0, sizeof(none.vip));
	len = craft(buf, &none, hb, sizeof(hb), 1);
	buf[7] = 1; /* port of the absent VIP */
	resign(buf, len);
	expect_reason(buf, len, QS_REPORT_E_NONZERO_PAD, "no VIP, port 1");
	v4 = hdr_v6();
	v4.vip.family = QS_AF_INET;
	memset(&v4.vip.addr.addr[1], 0, 12);
	len = craft(buf, &v4, hb, sizeof(hb), 1);
	expect_reason(buf, len, QS_REPORT_OK, "IPv4 VIP");
	buf[47] = 1;
	resign(buf, len);
	expect_reason(buf, len, QS_REPORT_E_NONZERO_PAD, "IPv4 VIP, last address byte set");
}

Test(report, size_limits)
{
	struct qs_report_header hdr = hdr_v6();
	__u8 buf[QS_REPORT_MAX_DGRAM + 64], body[(QS_REPORT_MAX_RECORDS + 1) * 3];
	static const __u8 retire1[] = { QS_REPORT_CID_RETIRED, 0, 1, 0xaa };

	for (size_t i = 0; i < sizeof(body); i += 3) {
		body[i] = QS_REPORT_HEARTBEAT;
		body[i + 1] = body[i + 2] = 0;
	}
	expect_reason(buf, craft(buf, &hdr, body, QS_REPORT_MAX_RECORDS * 3, QS_REPORT_MAX_RECORDS),
		      QS_REPORT_OK, "381 heartbeats, 1231 bytes");
	expect_reason(buf, craft(buf, &hdr, body, sizeof(body), QS_REPORT_MAX_RECORDS + 1),
		      QS_REPORT_E_OVERSIZE, "382 heartbeats, 1234 bytes");
	expect_reason(buf,
		      craft(buf, &hdr, body, QS_REPORT_MAX_RECORDS * 3, QS_REPORT_MAX_RECORDS + 1),
		      QS_REPORT_E_TOO_MANY_RECORDS, "381 heartbeats counted as 382");
	memcpy(body + (QS_REPORT_MAX_RECORDS - 1) * 3, retire1, sizeof(retire1));
	expect_reason(buf, craft(buf, &hdr, body, QS_REPORT_MAX_BODY, QS_REPORT_MAX_RECORDS),
		      QS_REPORT_OK, "380 heartbeats and a 4-byte retire, 1232 bytes");
	expect_reason(buf, craft(buf, &hdr, body, 0, 0), QS_REPORT_OK, "no records");
	expect_reason(buf, QS_REPORT_MIN_DGRAM - 1, QS_REPORT_E_TRUNCATED, "87 bytes");
	expect_reason(buf, 3, QS_REPORT_E_TRUNCATED, "3 bytes");
	expect_reason(buf, 0, QS_REPORT_E_TRUNCATED, "0 bytes");
}

/* Records with a valid MAC that break a rule of docs/report-protocol.md. */
Test(report, malformed_records_refused)
{
	static const struct {
		const char *what;
		__u8 body[40];
		size_t len;
		__u16 count;
		int want;
	} cases[] = {
		{ "type 0", { 0, 0, 0 }, 3, 1, QS_REPORT_E_UNKNOWN_RECORD },
		{ "type 9", { 9, 0, 0 }, 3, 1, QS_REPORT_E_UNKNOWN_RECORD },
		{ "type 255", { 255, 0, 1, 0 }, 4, 1, QS_REPORT_E_UNKNOWN_RECORD },
		{ "heartbeat of 1 byte", { 5, 0, 1, 0 }, 4, 1, QS_REPORT_E_BAD_LENGTH },
		{ "drain of 1 byte", { 6, 0, 1, 0 }, 4, 1, QS_REPORT_E_BAD_LENGTH },
		{ "issued without handle", { 1, 0, 7 }, 10, 1, QS_REPORT_E_BAD_LENGTH },
		{ "closed of 9 bytes", { 4, 0, 9 }, 12, 1, QS_REPORT_E_BAD_LENGTH },
		{ "handshake of 27 bytes", { 3, 0, 27 }, 30, 1, QS_REPORT_E_BAD_LENGTH },
		{ "handshake family 0", { 3, 0, 28 }, 31, 1, QS_REPORT_E_BAD_FAMILY },
		{ "handshake family 6, pad 1",
		  { 3, 0, 28, [29] = 6, [30] = 1 },
		  31,
		  1,
		  QS_REPORT_E_NONZERO_PAD },
		{ "handshake IPv4, byte 5 set",
		  { 3, 0, 28, [15] = 1, [29] = 4 },
		  31,
		  1,
		  QS_REPORT_E_NONZERO_PAD },
		{ "value past the end", { 2, 0, 4, 1, 2, 3 }, 6, 1, QS_REPORT_E_TRUNCATED },
		{ "record header cut", { 5, 0, 0, 5, 0 }, 5, 2, QS_REPORT_E_TRUNCATED },
		{ "part flags 2", { 7, 0, 8, [9] = 2 }, 11, 1, QS_REPORT_E_BAD_SNAPSHOT },
		{ "part pad", { 7, 0, 8, [10] = 1 }, 11, 1, QS_REPORT_E_NONZERO_PAD },
		{ "two parts", { 7, 0, 8, [11] = 7, [13] = 8 }, 22, 2, QS_REPORT_E_BAD_SNAPSHOT },
		{ "snapshot CID alone", { 8, 0, 8 }, 11, 1, QS_REPORT_E_BAD_SNAPSHOT },
		{ "snapshot CID before part",
		  { 8, 0, 8, [11] = 7, [13] = 8 },
		  22,
		  2,
		  QS_REPORT_OK },
		{ "trailing byte", { 5, 0, 0, 0xee }, 4, 1, QS_REPORT_E_TRAILING },
	};
	struct qs_report_header hdr = hdr_v6();
	__u8 buf[QS_REPORT_MAX_DGRAM + 64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_reason(buf, craft(buf, &hdr, cases[i].body, cases[i].len, cases[i].count),
			      cases[i].want, cases[i].what);
}

Test(report, vip_bound_records_need_a_vip)
{
	static const __u8 bound[] = { QS_REPORT_CID_ISSUED, QS_REPORT_CID_RETIRED,
				      QS_REPORT_HANDSHAKE_DONE, QS_REPORT_SNAPSHOT_PART,
				      QS_REPORT_SNAPSHOT_CID };
	struct qs_report_record recs[16];
	struct qs_report_header hdr;
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM + 64], body[64];
	size_t n = sample_records(recs);

	memset(&hdr, 0, sizeof(hdr));
	hdr.backend_id = 3;
	hdr.incarnation = 9;
	hdr.timestamp = 10;
	init_ok(&enc, buf, sizeof(buf), &hdr);
	for (size_t i = 0; i < n; i++) {
		int bound_type = memchr(bound, recs[i].type, sizeof(bound)) != NULL;
		int err = qs_report_add(&enc, &recs[i]);

		cr_assert_eq(err, bound_type ? -EINVAL : 0, "type %u without VIP: got %d want %d",
			     recs[i].type, err, bound_type ? -EINVAL : 0);
	}
	expect_reason(buf, finish_ok(&enc), QS_REPORT_OK, "closed, heartbeat, drain, no VIP");
	for (size_t t = 0; t < sizeof(bound); t++) {
		__u8 vlen = bound[t] == QS_REPORT_HANDSHAKE_DONE ? 28 : 8;

		memset(body, 0, sizeof(body));
		body[0] = bound[t];
		body[2] = vlen;
		body[3 + 26] = QS_AF_INET6; /* a valid handshake if it is one */
		expect_reason(buf, craft(buf, &hdr, body, 3 + vlen, 1), QS_REPORT_E_NO_VIP,
			      "VIP-bound record without VIP");
	}
}

Test(report, encoder_refuses_what_the_decoder_refuses)
{
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_endpoint none;
	struct qs_report_encoder enc;
	struct qs_report_record rec;
	__u8 buf[QS_REPORT_MAX_DGRAM];

	memset(&none, 0, sizeof(none));
	memset(&rec, 0, sizeof(rec));
	init_ok(&enc, buf, sizeof(buf), &hdr);
	rec.type = 9;
	cr_assert_eq(qs_report_add(&enc, &rec), -EINVAL, "type 9: want -EINVAL");
	rec.type = 0;
	cr_assert_eq(qs_report_add(&enc, &rec), -EINVAL, "type 0: want -EINVAL");
	cr_assert_eq(qs_report_add_handshake(&enc, 1, &none), -EINVAL, "client family 0");
	cr_assert_eq(qs_report_add_snapshot_part(&enc, 1, 0, 0x80), -EINVAL, "part flags 0x80");
	add_ok(qs_report_add_snapshot_cid(&enc, 1, cid20, 4), "snapshot CID");
	cr_assert_eq(qs_report_finish(&enc, key), -EINVAL, "snapshot CID without part");

	init_ok(&enc, buf, sizeof(buf), &hdr);
	add_ok(qs_report_add_snapshot_part(&enc, 1, 0, 0), "part");
	cr_assert_eq(qs_report_add_snapshot_part(&enc, 1, 1, 0), -EINVAL, "second part");
	expect_reason(buf, finish_ok(&enc), QS_REPORT_OK, "one empty part");
}

Test(report, reason_names_unique)
{
	for (int i = 0; i < QS_REPORT_NR_REASONS; i++) {
		const char *name = qs_report_reason_name(i);

		cr_assert_str_neq(name, "unknown", "reason %d has no name", i);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(name, qs_report_reason_name(j),
					  "reasons %d and %d share the name %s", j, i, name);
	}
	cr_assert_str_eq(qs_report_reason_name(QS_REPORT_NR_REASONS), "unknown");
	cr_assert_str_eq(qs_report_reason_name(-1), "unknown");
}

Test(report, random_bytes_refused)
{
	__u64 rng = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < RANDOM_INPUTS; i++) {
		size_t len = rng_next(&rng) % (QS_REPORT_MAX_DGRAM + 200);
		__u8 *buf = malloc(len ? len : 1);

		cr_assert_not_null(buf, "malloc of %zu bytes failed", len);
		for (size_t j = 0; j < len; j++)
			buf[j] = rng_next(&rng);
		/* Half the inputs get a valid magic and version, to reach the header. */
		if (i % 2 && len >= 5)
			memcpy(buf, i % 4 == 1 ? "QSRP\x02" : "QSRP\x01", 5);
		expect_refused(buf, len, "random input", i);
		free(buf);
	}
}

/*
 * Random records behind a valid header, signed with the right key, so the
 * record parser sees garbage past the MAC check too. Whatever is accepted
 * must re-encode to the same bytes.
 */
Test(report, random_records_signed)
{
	struct qs_report_header hdr = hdr_v6();
	static const __u8 lens[] = { 0, 1, 4, 7, 8, 12, 20, 21, 27, 28, 29 };
	__u64 rng = 42;
	size_t accepted = 0;

	for (size_t i = 0; i < RANDOM_INPUTS; i++) {
		__u8 buf[QS_REPORT_MAX_DGRAM + 64], body[256], again[QS_REPORT_MAX_DGRAM];
		size_t body_len = 0, count = rng_next(&rng) % 6;
		struct qs_report_encoder enc;
		struct qs_report_reader rd;
		struct qs_report_record rec;
		size_t len;
		int reason;

		/* Mostly plausible records: a known type and a near-valid length. */
		for (size_t r = 0; r < count; r++) {
			__u64 x = rng_next(&rng);
			__u8 vlen = lens[x % sizeof(lens)];

			body[body_len] = 1 + (x >> 8) % 9;
			body[body_len + 1] = 0;
			body[body_len + 2] = vlen;
			for (size_t b = 0; b < vlen; b++)
				body[body_len + 3 + b] = (x >> 16) % 3 ? 0 : rng_next(&rng) % 8;
			body_len += 3 + vlen;
		}
		len = craft(buf, &hdr, body, body_len, count + (rng_next(&rng) % 8 == 0));
		reason = qs_report_verify(&rd, buf, len, key);
		cr_assert(reason >= 0 && reason < QS_REPORT_NR_REASONS, "input %zu: reason %d", i,
			  reason);
		if (reason)
			continue;
		accepted++;
		init_ok(&enc, again, sizeof(again), &rd.hdr);
		while (qs_report_next(&rd, &rec))
			cr_assert_eq(qs_report_add(&enc, &rec), 0, "input %zu: re-encode", i);
		cr_assert_eq(qs_report_finish(&enc, key), (int)len, "input %zu: length", i);
		cr_assert_eq(memcmp(again, buf, len), 0, "input %zu: re-encoded bytes differ", i);
	}
	cr_assert_gt(accepted, RANDOM_INPUTS / 20, "only %zu of %d accepted: generator too wild",
		     accepted, RANDOM_INPUTS);
}

/* Writes text to a new temporary file; returns its path (static). */
static const char *key_file(const char *text)
{
	static char path[] = "/tmp/qs-keyXXXXXX";
	int fd;

	strcpy(path, "/tmp/qs-keyXXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(report, key_file_read)
{
	static const char hex[] =
		"00112233445566778899aabbccddeeffFFEEDDCCBBAA99887766554433221100";
	static const char *const refused[] = {
		"",
		"00112233445566778899aabbccddeeffffeeddccbbaa9988776655443322110", /* 63 */
		"00112233445566778899aabbccddeeffffeeddccbbaa998877665544332211000", /* 65 */
		"00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100\n\n",
		"0x112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100",
		"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:ff:ee:dd:cc:bb:aa",
		" 0112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100",
	};
	static const char *const endings[] = { "", "\n", "\r\n" };
	__u8 key[QS_REPORT_KEY_LEN];
	const char *path;
	char text[80];

	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", hex, endings[i]);
		path = key_file(text);
		memset(key, 0, sizeof(key));
		cr_assert_eq(qs_report_key_read(path, key), 0, "ending %zu", i);
		unlink(path);
		cr_assert_eq(key[0], 0x00);
		cr_assert_eq(key[15], 0xff);
		cr_assert_eq(key[16], 0xff);
		cr_assert_eq(key[31], 0x00);
		cr_assert_eq(key[9], 0x99);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		path = key_file(refused[i]);
		cr_assert_eq(qs_report_key_read(path, key), -EINVAL, "refused[%zu]", i);
		unlink(path);
	}
	cr_assert_eq(qs_report_key_read("/nonexistent/qs.key", key), -ENOENT);
}

/* What the agent and qs-h3server read once they checked the file (util/fileio.h). */
Test(report, key_file_read_fd)
{
	static const char hex[] =
		"00112233445566778899aabbccddeeffFFEEDDCCBBAA99887766554433221100\r\n";
	__u8 key[QS_REPORT_KEY_LEN] = { 0 };
	const char *path = key_file(hex);
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(qs_report_key_read_fd(fd, key), 0);
	cr_assert_eq(key[15], 0xff);
	cr_assert_eq(key[31], 0x00);
	cr_assert_eq(fcntl(fd, F_GETFD), 0, "the descriptor stays open");
	cr_assert_eq(qs_report_key_read_fd(fd, key), -EINVAL, "read from where it stands: the end");
	close(fd);
	unlink(path);
	fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	cr_assert_eq(qs_report_key_read_fd(fd, key), -EISDIR);
	close(fd);
}
