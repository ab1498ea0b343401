// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The words of cid add|del|lookup|flush and flow show|flush. */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "router/tableargs.h"


static char err[256];

Test(tableargs, filters_in_any_order_with_a_kind)
{
	struct qs_table_filter f;
	char *words[] = { "backend", "7", "learned", "vip", "3" };

	cr_assert_eq(qs_table_filter_parse(5, words, 1, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.vip_id, 3);
	cr_assert_eq(f.backend_id, 7);
	cr_assert_eq(f.kinds, QS_TF_LEARNED);
}

Test(tableargs, no_filter_is_everything)
{
	struct qs_table_filter f;

	cr_assert_eq(qs_table_filter_parse(0, NULL, 1, &f, err, sizeof(err)), 0);
	cr_assert_eq(f.vip_id, QS_MAX_VIPS);
	cr_assert_eq(f.backend_id, QS_NO_BACKEND);
	cr_assert_eq(f.kinds, QS_TF_ALL);
}

Test(tableargs, bad_filters_name_the_word)
{
	static const struct {
		char *words[3];
		int n, kinds;
		const char *msg;
	} cases[] = {
		{ { "vip" }, 1, 0, "vip: missing id" },
		{ { "vip", "32" }, 2, 0, "vip \"32\": not an id (0..31)" },
		{ { "backend", "0" }, 2, 0, "backend \"0\": not an id (1..4095)" },
		{ { "backend", "x1" }, 2, 0, "backend \"x1\": not an id" },
		{ { "learned" }, 1, 0, "\"learned\": filters are vip ID, backend ID" },
		{ { "all", "learned" }, 2, 1, "\"learned\": filters are" },
		{ { "frob" }, 1, 1, "one of learned, reported, operator, all" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qs_table_filter f;

		err[0] = 0;
		cr_assert_eq(qs_table_filter_parse(cases[i].n, (char **)cases[i].words,
						   cases[i].kinds, &f, err, sizeof(err)),
			     -EINVAL, "case %zu accepted", i);
		cr_assert(strstr(err, cases[i].msg), "case %zu: got '%s' want '%s'", i, err,
			  cases[i].msg);
	}
}

Test(tableargs, cid_words)
{
	__u8 cid[QS_CID_MAX_LEN];
	__u32 vip;
	size_t len;

	cr_assert_eq(qs_table_cid_parse("2", "0a0B0c", &vip, cid, &len, err, sizeof(err)), 0);
	cr_assert_eq(vip, 2);
	cr_assert_eq(len, 3);
	cr_assert_eq(cid[1], 0x0b);
	cr_assert_eq(qs_table_cid_parse("2", "0a0", &vip, cid, &len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "cid \"0a0\": not 1..20 bytes of hexadecimal"), "got '%s'", err);
	cr_assert_eq(qs_table_cid_parse("2", "zz", &vip, cid, &len, err, sizeof(err)), -EINVAL);
	cr_assert_eq(qs_table_cid_parse("2", "", &vip, cid, &len, err, sizeof(err)), -EINVAL);
	cr_assert_eq(qs_table_cid_parse("2", "000102030405060708090a0b0c0d0e0f1011121314", &vip,
					cid, &len, err, sizeof(err)),
		     -EINVAL, "21 bytes accepted");
	cr_assert_eq(qs_table_cid_parse("-1", "00", &vip, cid, &len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "vip \"-1\""), "got '%s'", err);
}
