// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Report protocol version 2 against its specification: the example datagram
 * of docs/report-protocol.md, byte for byte, read from the specification's
 * text (run from the repository root); what the agent judges a replay by
 * (incarnation, sequence, timestamp, version) cannot be changed without
 * the key; and version 1, which agents take only when configured to,
 * decodes and encodes as it did.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "quicsteer/report.h"
#include "report_test.h"

/*
 * The example datagram of docs/report-protocol.md, byte for byte: backend 7,
 * incarnation 2024-01-01T00:00:00Z, sequence 42, sent a minute and a quarter
 * later, VIP [2001:db8::1]:443, a CID issued (handle 1, CID 0xa1a2a3a4) and
 * a heartbeat, key 00 01 .. 1f.
 */
static const __u8 golden[] = {
	0x51, 0x53, 0x52, 0x50, 0x02, 0x06, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00,
	0x00, 0x17, 0xa6, 0x10, 0x17, 0x01, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x2a, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x17, 0xa6, 0x10, 0x25, 0x08, 0x93, 0x0a, 0x80, 0x01, 0x00, 0x0c, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xa1, 0xa2, 0xa3, 0xa4, 0x05, 0x00, 0x00,
	/* HMAC-SHA256 (computed with Python's hmac module, not this codec) */
	0x75, 0x63, 0xe7, 0xf5, 0x61, 0x9c, 0x94, 0x35, 0xe0, 0xa2, 0xf4, 0x29, 0x4e, 0x04, 0x51,
	0x09, 0xc8, 0x61, 0xb2, 0x49, 0xd2, 0x05, 0x59, 0x12, 0x88, 0xca, 0xfa, 0xe8, 0xe7, 0xfe,
	0x06, 0xab
};

/*
 * The bytes of the hex dump in the specification's "Example" section: lines
 * "OFFSET  HEX HEX ...   comment", the offset checked against the bytes
 * before it. Returns how many bytes it read into out[cap].
 */
static size_t doc_example(__u8 *out, size_t cap)
{
	FILE *f = fopen(DOC, "r");
	char line[256];
	size_t n = 0;
	int in_example = 0, in_block = 0;

	cr_assert_not_null(f, "%s: %s (run the tests from the repository root)", DOC,
			   strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned int off;
		char *end, *tok, *save;

		if (!strncmp(line, "## ", 3))
			in_example = !strcmp(line, "## Example\n");
		if (!in_example)
			continue;
		if (!strncmp(line, "```", 3)) {
			if (in_block++)
				break;
			continue;
		}
		/* a comment may go on on lines of its own, which start with spaces */
		if (!in_block || !isxdigit(line[0]) || sscanf(line, "%4x", &off) != 1 ||
		    strncmp(line + 4, "  ", 2))
			continue;
		cr_assert_eq(off, n, "%s: a line at offset %04x follows %zu bytes", DOC, off, n);
		/* the bytes end where three spaces begin the comment */
		end = strstr(line + 6, "   ");
		if (end)
			*end = 0;
		for (tok = strtok_r(line + 6, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save)) {
			cr_assert(strlen(tok) == 2 && isxdigit(tok[0]) && isxdigit(tok[1]),
				  "%s: \"%s\" at offset %04x is not a byte in hex", DOC, tok, off);
			cr_assert_lt(n, cap, "%s: example longer than %zu bytes", DOC, cap);
			out[n++] = strtoul(tok, NULL, 16);
		}
	}
	fclose(f);
	cr_assert_gt(n, 0, "%s: no hex dump in its Example section", DOC);
	return n;
}

Test(report, golden_datagram)
{
	static const __u8 cid[] = { 0xa1, 0xa2, 0xa3, 0xa4 };
	struct qs_report_header hdr = hdr_v6();
	struct qs_report_encoder enc;
	__u8 buf[QS_REPORT_MAX_DGRAM], doc[QS_REPORT_MAX_DGRAM];
	size_t len, doc_len = doc_example(doc, sizeof(doc));

	init_ok(&enc, buf, sizeof(buf), &hdr);
	add_ok(qs_report_add_cid_issued(&enc, 1, cid, sizeof(cid)), "CID issued");
	add_ok(qs_report_add_heartbeat(&enc), "heartbeat");
	len = finish_ok(&enc);
	cr_assert_eq(len, sizeof(golden), "got %zu bytes want %zu", len, sizeof(golden));
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(buf[i], golden[i], "byte %zu: got 0x%02x want 0x%02x", i, buf[i],
			     golden[i]);
	cr_assert_eq(doc_len, sizeof(golden), "%s: example of %zu bytes want %zu", DOC, doc_len,
		     sizeof(golden));
	for (size_t i = 0; i < doc_len; i++)
		cr_assert_eq(doc[i], golden[i], "%s: example byte %zu: got 0x%02x want 0x%02x", DOC,
			     i, doc[i], golden[i]);
	expect_reason(golden, sizeof(golden), QS_REPORT_OK, "golden datagram");
}

/*
 * Issue 11, item 4: what the agent judges a replay by (the incarnation, the
 * sequence, the timestamp, the version) is under the MAC, so whoever
 * captured a datagram cannot make it look sent later, by a later process,
 * or by a version-1 backend, whose datagrams carry no time.
 */
Test(report, captured_datagram_cannot_be_made_fresh)
{
	struct qs_report_header got;
	__u8 buf[sizeof(golden)];
	static const struct {
		size_t off, len;
		const char *what;
	} fields[] = {
		{ 16, 8, "incarnation" },
		{ 24, 8, "sequence" },
		{ OFF_TIMESTAMP, 8, "timestamp" },
	};

	cr_assert_eq(qs_report_check(golden, sizeof(golden), &got), QS_REPORT_OK);
	cr_assert(got.version == QS_REPORT_VERSION && got.incarnation == EXAMPLE_INCARNATION &&
			  got.timestamp == EXAMPLE_TIMESTAMP,
		  "decoded version %u incarnation %llu timestamp %llu", got.version,
		  (unsigned long long)got.incarnation, (unsigned long long)got.timestamp);
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		for (size_t i = 0; i < fields[f].len; i++) {
			memcpy(buf, golden, sizeof(buf));
			buf[fields[f].off + i] += 1; /* later, whatever the byte */
			expect_reason(buf, sizeof(buf), QS_REPORT_E_BAD_MAC, fields[f].what);
		}
}

Test(report, version_2_cannot_pass_as_version_1)
{
	__u8 buf[sizeof(golden)];
	size_t len = sizeof(golden) - 8;

	/* the timestamp cut out, byte 4 says 1, the MAC kept */
	memcpy(buf, golden, OFF_TIMESTAMP);
	memcpy(buf + OFF_TIMESTAMP, golden + QS_REPORT_HDR_LEN, sizeof(golden) - QS_REPORT_HDR_LEN);
	buf[4] = QS_REPORT_V1;
	expect_reason(buf, len, QS_REPORT_E_BAD_MAC, "version 2 rewritten as version 1");
	resign(buf, len);
	expect_reason(buf, len, QS_REPORT_OK, "the same, signed with the key");
}

/* Version 1, which agents take only when configured to: decoded and encoded as it was. */
Test(report, version_1_round_trip)
{
	struct qs_report_header hdr = hdr_v6(), got;
	struct qs_report_encoder enc;
	struct qs_report_reader rd;
	struct qs_report_record rec;
	__u8 buf[QS_REPORT_MAX_DGRAM];
	size_t len, n = 0;

	hdr.version = QS_REPORT_V1;
	hdr.timestamp = 0;
	init_ok(&enc, buf, sizeof(buf), &hdr);
	while (!qs_report_add_heartbeat(&enc))
		n++;
	cr_assert_eq(n, QS_REPORT_V1_MAX_RECORDS, "version 1 heartbeats: got %zu want 384", n);
	len = finish_ok(&enc);
	cr_assert_eq(len, QS_REPORT_MAX_DGRAM, "got %zu bytes", len);
	cr_assert_eq(buf[4], QS_REPORT_V1);
	cr_assert_eq(buf[QS_REPORT_V1_HDR_LEN], QS_REPORT_HEARTBEAT, "records start at 48");
	verify_ok(&rd, buf, len, "version 1");
	got = rd.hdr;
	cr_assert_eq(memcmp(&got, &hdr, sizeof(hdr)), 0, "version 1 header differs");
	n = 0;
	while (qs_report_next(&rd, &rec))
		n++;
	cr_assert_eq(n, QS_REPORT_V1_MAX_RECORDS);
	expect_reason(buf, QS_REPORT_V1_MIN_DGRAM - 1, QS_REPORT_E_TRUNCATED, "79 bytes");
	buf[12] = QS_REPORT_V1_MAX_RECORDS >> 8;
	buf[13] = (QS_REPORT_V1_MAX_RECORDS + 1) & 0xff;
	resign(buf, len);
	expect_reason(buf, len, QS_REPORT_E_TOO_MANY_RECORDS, "version 1, 385 records");
}
