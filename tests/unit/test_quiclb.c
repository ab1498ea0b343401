// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The decision ladder's shared arithmetic (include/abi/quiclb.h), which the
 * data path and `route explain` both run: expected values are written out
 * or cut with memcpy, never computed by the header's own helpers. The
 * server-ID key is cut from the DCID key by shifting and masking words, so
 * every server-ID and nonce length a 20-byte ID allows is tried.
 */
#include <string.h>
#include <criterion/criterion.h>
#include "abi/quiclb.h"

/* The DCID key as the data path and explain build it: bytes past len zero. */
static void cid_key(struct qs_cid_key *k, __u32 vip_id, const __u8 *cid, __u32 len)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->cid, cid, len);
	k->cid_len = len;
	k->vip_id = vip_id;
}

Test(quiclb, server_id_key_is_the_bytes_after_the_first)
{
	struct qs_quiclb_config cfg = { .mode = QS_QUICLB_PLAINTEXT };
	__u8 cid[QS_CID_MAX_LEN];

	for (__u32 config = 0; config < QS_QUICLB_CONFIGS; config++) {
		for (__u32 sl = 1; sl <= QS_QUICLB_SID_MAX; sl++) {
			for (__u32 nl = QS_QUICLB_NONCE_MIN; 1 + sl + nl <= QS_CID_MAX_LEN; nl++) {
				struct qs_server_id_key got, want;
				struct qs_cid_key k;
				__u32 len = 1 + sl + nl;

				for (__u32 i = 0; i < len; i++)
					cid[i] = 0x80 | (i * 7 + config);
				cid[0] = config << 5 | 0x15;
				cid_key(&k, 3, cid, len);
				cfg.server_id_len = sl;
				cfg.nonce_len = nl;
				cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, len), sl,
					     "config %u sid %u nonce %u: sid_len got %u want %u",
					     config, sl, nl, qs_quiclb_plaintext_sid_len(&cfg, len),
					     sl);
				memset(&want, 0, sizeof(want));
				memcpy(want.sid, cid + 1, sl);
				want.vip_id = 3;
				want.config_id = config;
				want.sid_len = sl;
				memset(&got, 0xee, sizeof(got));
				qs_quiclb_server_id_key(&k, sl, &got);
				cr_assert(!memcmp(&got, &want, sizeof(got)),
					  "config %u sid %u nonce %u: key differs", config, sl, nl);
			}
		}
	}
}

Test(quiclb, plaintext_only_at_its_own_length)
{
	struct qs_quiclb_config cfg = { .mode = QS_QUICLB_PLAINTEXT,
					.server_id_len = 3,
					.nonce_len = 6 };

	cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, 10), 3);
	cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, 9), 0);
	cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, 11), 0);
	cfg.mode = QS_QUICLB_AES_SINGLE;
	cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, 10), 0, "encrypted IDs are not decoded");
	cfg = (struct qs_quiclb_config){ .mode = QS_QUICLB_PLAINTEXT, .nonce_len = 9 };
	cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, 10), 0, "no server ID");
	cfg = (struct qs_quiclb_config){ .mode = QS_QUICLB_PLAINTEXT,
					 .server_id_len = 16,
					 .nonce_len = 3 };
	cr_assert_eq(qs_quiclb_plaintext_sid_len(&cfg, 20), 0, "a server ID over the key's 15");
}

Test(quiclb, selection_length_and_slots)
{
	struct qs_quiclb_config fits = { .mode = QS_QUICLB_PLAINTEXT,
					 .server_id_len = 15,
					 .nonce_len = 4 };
	struct qs_quiclb_config over = { .mode = QS_QUICLB_PLAINTEXT,
					 .server_id_len = 15,
					 .nonce_len = 5 };
	struct qs_quiclb_config unset = { .server_id_len = 2, .nonce_len = 5 };
	__u32 idx = 12345;

	cr_assert_eq(qs_quiclb_select(4, 1 << 1, 0x3f, &idx), 0);
	cr_assert_eq(idx, 4 * 7 + 1, "index got %u want %u", idx, 4 * 7 + 1);
	cr_assert_eq(qs_quiclb_select(4, 1 << 1, 0x40, &idx), -1, "config 2 not set");
	cr_assert_eq(qs_quiclb_select(0, 0xff, 0xe0, &idx), -1, "0b111 is unroutable");
	cr_assert_eq(qs_quiclb_select(0, 0xff, 0xdf, &idx), 0);
	cr_assert_eq(idx, 6);
	cr_assert(qs_quiclb_config_usable(&fits), "a 20-byte ID");
	cr_assert(!qs_quiclb_config_usable(&over), "a 21-byte ID");
	cr_assert(!qs_quiclb_config_usable(&unset), "an unset entry");
	cr_assert_eq(qs_short_dcid_len(8, &fits), 20);
	cr_assert_eq(qs_short_dcid_len(8, NULL), 8);
	cr_assert_eq(qs_maglev_slot(65537u * 3 + 11), 11);
	cr_assert_eq(qs_maglev_index(2, 11), 2 * 65537u + 11);
	cr_assert_eq(qs_maglev_row(2 * 65537u + 65536), 2);
	cr_assert_eq(qs_maglev_row(3 * 65537u), 3);
}
