/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the report codec's tests share (test_report.c, test_report_versions.c):
 * the key and header of docs/report-protocol.md's example, and the checks
 * every case ends with. Failure messages say "got X want Y".
 */
#ifndef QS_TEST_REPORT_TEST_H
#define QS_TEST_REPORT_TEST_H

#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "quicsteer/report.h"

#define DOC "docs/report-protocol.md"

/* The example of the specification: 2024-01-01T00:00:00Z, and a minute and a quarter later. */
#define EXAMPLE_INCARNATION 1704067200000000000ull
#define EXAMPLE_TIMESTAMP 1704067260250000000ull
#define OFF_TIMESTAMP 48

static const __u8 key[QS_REPORT_KEY_LEN] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					     0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
					     0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
					     0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

static inline struct qs_report_header hdr_v6(void)
{
	struct qs_report_header hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.backend_id = 7;
	hdr.incarnation = EXAMPLE_INCARNATION;
	hdr.sequence = 42;
	hdr.timestamp = EXAMPLE_TIMESTAMP;
	hdr.version = QS_REPORT_VERSION;
	hdr.vip.family = QS_AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &hdr.vip.addr);
	hdr.vip.port = htons(443);
	return hdr;
}

/* Recomputes the MAC of a hand-made datagram, independently of the codec. */
static inline void resign(__u8 *buf, size_t len)
{
	unsigned int mac_len = 0;

	cr_assert_geq(len, QS_REPORT_MAC_LEN, "resign: got %zu bytes want >= 32", len);
	cr_assert_not_null(HMAC(EVP_sha256(), key, sizeof(key), buf, len - QS_REPORT_MAC_LEN,
				buf + len - QS_REPORT_MAC_LEN, &mac_len));
}

static inline void init_ok(struct qs_report_encoder *enc, __u8 *buf, size_t size,
			   const struct qs_report_header *hdr)
{
	int err = qs_report_encoder_init(enc, buf, size, hdr);

	cr_assert_eq(err, 0, "qs_report_encoder_init: got %d want 0", err);
}

static inline size_t finish_ok(struct qs_report_encoder *enc)
{
	int len = qs_report_finish(enc, key);

	cr_assert_gt(len, 0, "qs_report_finish: got %d want a length", len);
	return len;
}

static inline void add_ok(int err, const char *what)
{
	cr_assert_eq(err, 0, "%s: got %d want 0", what, err);
}

static inline void verify_ok(struct qs_report_reader *rd, const __u8 *buf, size_t len,
			     const char *what)
{
	int got = qs_report_verify(rd, buf, len, key);

	cr_assert_eq(got, QS_REPORT_OK, "%s: got %s want ok", what, qs_report_reason_name(got));
}

static inline void expect_reason(const __u8 *buf, size_t len, int want, const char *what)
{
	struct qs_report_reader rd;
	struct qs_report_record rec;
	int got = qs_report_verify(&rd, buf, len, key);

	cr_assert_eq(got, want, "%s: got %s want %s", what, qs_report_reason_name(got),
		     qs_report_reason_name(want));
	if (got)
		cr_assert_eq(qs_report_next(&rd, &rec), 0, "%s: refused reader yields a record",
			     what);
}

/* Refused for some reason, a named one; nothing handed out. */
static inline void expect_refused(const __u8 *buf, size_t len, const char *what, size_t i)
{
	struct qs_report_reader rd;
	struct qs_report_record rec;
	int got = qs_report_verify(&rd, buf, len, key);

	cr_assert_neq(got, QS_REPORT_OK, "%s %zu: got ok want a refusal", what, i);
	cr_assert(got > 0 && got < QS_REPORT_NR_REASONS, "%s %zu: got reason %d want 1..%d", what,
		  i, got, QS_REPORT_NR_REASONS - 1);
	cr_assert_eq(qs_report_next(&rd, &rec), 0, "%s %zu: refused reader yields a record", what,
		     i);
}

/* A header from the encoder, then body[] as is, the count and a MAC. */
static inline size_t craft(__u8 *buf, const struct qs_report_header *hdr, const __u8 *body,
			   size_t body_len, __u16 count)
{
	struct qs_report_encoder enc;
	size_t len = QS_REPORT_HDR_LEN + body_len + QS_REPORT_MAC_LEN;

	init_ok(&enc, buf, QS_REPORT_MAX_DGRAM + 64, hdr);
	memcpy(buf + QS_REPORT_HDR_LEN, body, body_len);
	buf[12] = count >> 8;
	buf[13] = count;
	resign(buf, len);
	return len;
}

#endif /* QS_TEST_REPORT_TEST_H */
