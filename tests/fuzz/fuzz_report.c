// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the report codec, versions 2 and 1 (whose header is
 * version 2's without the timestamp). Each input is decoded three ways:
 * as a whole datagram (magic, header and record parsing before the MAC);
 * as the bytes before the MAC with a valid MAC appended; and as records
 * behind a valid header (so the fuzzer reaches what only authenticated
 * datagrams reach without first assembling a header). Whatever decodes must
 * re-encode to the same bytes and decode to the same records: the encoding
 * is canonical (docs/report-protocol.md). Then the input is read as record
 * structs and fed to the encoder, whose output the decoder must accept.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "quicsteer/report.h"

static const __u8 key[QS_REPORT_KEY_LEN] = "fuzz-key-fuzz-key-fuzz-key-fuzz";

/* abort() rather than a message: libFuzzer saves the input that got here. */
static void check(int cond)
{
	if (!cond)
		abort();
}

static void reencode(struct qs_report_reader *rd, const __u8 *data, size_t size)
{
	static struct qs_report_record recs[QS_REPORT_MAX_RECORDS];
	struct qs_report_record rec;
	struct qs_report_encoder enc;
	struct qs_report_reader again;
	__u8 buf[QS_REPORT_MAX_DGRAM];
	size_t n = 0;

	check(qs_report_encoder_init(&enc, buf, sizeof(buf), &rd->hdr) == 0);
	while (qs_report_next(rd, &recs[n])) {
		check(qs_report_add(&enc, &recs[n]) == 0);
		n++;
		check(n <= QS_REPORT_MAX_RECORDS);
	}
	check(qs_report_finish(&enc, key) == (int)size);
	check(memcmp(buf, data, size) == 0);

	check(qs_report_verify(&again, buf, size, key) == QS_REPORT_OK);
	check(memcmp(&again.hdr, &rd->hdr, sizeof(rd->hdr)) == 0);
	for (size_t i = 0; i < n; i++) {
		check(qs_report_next(&again, &rec) == 1);
		check(memcmp(&rec, &recs[i], sizeof(rec)) == 0);
	}
	check(qs_report_next(&again, &rec) == 0);
}

static void decode(const __u8 *data, size_t size)
{
	struct qs_report_header hdr;
	struct qs_report_reader rd;
	struct qs_report_record rec;
	int checked = qs_report_check(data, size, &hdr);
	int reason = qs_report_verify(&rd, data, size, key);

	check(reason >= 0 && reason < QS_REPORT_NR_REASONS);
	check(reason != QS_REPORT_E_MAC_ERROR);
	/* Structure alone decides everything but the MAC. */
	check(checked == reason || (checked == QS_REPORT_OK && reason == QS_REPORT_E_BAD_MAC));
	if (reason) {
		check(qs_report_next(&rd, &rec) == 0);
		return;
	}
	check(memcmp(&hdr, &rd.hdr, sizeof(hdr)) == 0);
	/* version 2 always has a time, version 1 never */
	check(hdr.version == QS_REPORT_VERSION ? hdr.timestamp != 0 :
						 hdr.version == QS_REPORT_V1 && !hdr.timestamp);
	reencode(&rd, data, size);
}

/* A copy of data[size] with a valid MAC appended; NULL if too long. */
static __u8 *sign(const __u8 *data, size_t size)
{
	unsigned int mac_len = 0;
	__u8 *buf;

	if (size > QS_REPORT_MAX_DGRAM)
		return NULL;
	/* Exact size on the heap, so AddressSanitizer sees any overread. */
	buf = malloc(size + QS_REPORT_MAC_LEN);
	check(buf != NULL);
	memcpy(buf, data, size);
	check(HMAC(EVP_sha256(), key, sizeof(key), buf, size, buf + size, &mac_len) &&
	      mac_len == QS_REPORT_MAC_LEN);
	return buf;
}

/*
 * A valid header for the VIP family that byte 1 selects (and version 1 if
 * its top bit is set), record count from byte 0, records from the rest:
 * from an empty corpus the fuzzer would take long to assemble a 56-byte
 * header with a consistent count, and the record parser behind it is what
 * needs the hours.
 */
static size_t templated(__u8 *buf, const __u8 *data, size_t size)
{
	static const __u8 families[] = { QS_AF_NONE, QS_AF_INET, QS_AF_INET6 };
	struct qs_report_header hdr = { .backend_id = 3, .incarnation = 5, .sequence = 7 };
	struct qs_report_encoder enc;
	size_t hdr_len;

	if (size < 2)
		return 0;
	hdr.version = data[1] & 0x80 ? QS_REPORT_V1 : QS_REPORT_VERSION;
	hdr.timestamp = hdr.version == QS_REPORT_V1 ? 0 : 11;
	hdr_len = hdr.version == QS_REPORT_V1 ? QS_REPORT_V1_HDR_LEN : QS_REPORT_HDR_LEN;
	if (hdr_len + size - 2 + QS_REPORT_MAC_LEN > QS_REPORT_MAX_DGRAM)
		return 0;
	hdr.vip.family = families[(data[1] & 0x7f) % 3];
	if (hdr.vip.family != QS_AF_NONE) {
		hdr.vip.addr.addr[0] = 0x0100000a;
		hdr.vip.port = 0xbb01;
	}
	check(qs_report_encoder_init(&enc, buf, QS_REPORT_MAX_DGRAM, &hdr) == 0);
	buf[13] = data[0]; /* record count, low byte */
	memcpy(buf + hdr_len, data + 2, size - 2);
	return hdr_len + size - 2;
}

/*
 * The other direction: records with fuzzer-chosen fields (raw struct
 * bytes) through the encoder. Whatever it accepts must make a datagram the
 * decoder accepts and that re-encodes to the same bytes.
 */
static void encode_fields(const __u8 *data, size_t size)
{
	static const __u8 families[] = { QS_AF_NONE, QS_AF_INET, QS_AF_INET6 };
	struct qs_report_header hdr = {
		.backend_id = 9, .incarnation = ~0ull, .sequence = 1, .timestamp = ~0ull
	};
	struct qs_report_encoder enc;
	struct qs_report_reader rd;
	struct qs_report_record rec;
	__u8 buf[QS_REPORT_MAX_DGRAM];
	int len;

	if (!size)
		return;
	hdr.vip.family = families[data[0] % 3];
	if (data[0] & 0x80) {
		hdr.version = QS_REPORT_V1;
		hdr.timestamp = 0;
	}
	if (hdr.vip.family == QS_AF_INET6)
		hdr.vip.addr.addr[3] = 0x01000000;
	check(qs_report_encoder_init(&enc, buf, sizeof(buf), &hdr) == 0);
	for (size--, data++; size >= sizeof(rec); size -= sizeof(rec), data += sizeof(rec)) {
		int err;

		memcpy(&rec, data, sizeof(rec));
		err = qs_report_add(&enc, &rec);
		check(err == 0 || err == -EINVAL || err == -ENOSPC);
	}
	len = qs_report_finish(&enc, key);
	if (len == -EINVAL) /* snapshot CIDs without their part */
		return;
	check(len >= (hdr.version == QS_REPORT_V1 ? QS_REPORT_V1_MIN_DGRAM : QS_REPORT_MIN_DGRAM) &&
	      len <= QS_REPORT_MAX_DGRAM);
	check(qs_report_verify(&rd, buf, len, key) == QS_REPORT_OK);
	reencode(&rd, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	__u8 body[QS_REPORT_MAX_DGRAM];
	size_t body_len;
	__u8 *buf;

	decode(data, size);
	buf = sign(data, size);
	if (buf) {
		decode(buf, size + QS_REPORT_MAC_LEN);
		free(buf);
	}
	body_len = templated(body, data, size);
	buf = body_len ? sign(body, body_len) : NULL;
	if (buf) {
		decode(buf, body_len + QS_REPORT_MAC_LEN);
		free(buf);
	}
	encode_fields(data, size);
	return 0;
}
