// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The option tables behind quicsteerd's and the benchmarks' getopt_long. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/options.h"

enum { OPT_LONG_ONLY = 256 };

static const struct qs_option table[] = {
	{ { "config", required_argument, NULL, 'c' }, "FILE", "configuration" },
	{ { "long-only", no_argument, NULL, OPT_LONG_ONLY }, NULL, "no short form" },
	{ { "verbose", no_argument, NULL, 'v' }, NULL, "say more" },
};
#define N_TABLE (sizeof(table) / sizeof(table[0]))

Test(options, short_string_skips_long_only_options)
{
	struct option longopts[N_TABLE + 1];
	char shortopts[2 * N_TABLE + 1];

	qs_options_getopt(table, N_TABLE, longopts, shortopts);
	/* a long-only val used to become a NUL here and hide "v" after it */
	cr_assert_str_eq(shortopts, "c:v");
	cr_assert_str_eq(longopts[1].name, "long-only");
	cr_assert_eq(longopts[1].val, OPT_LONG_ONLY);
	cr_assert_null(longopts[N_TABLE].name);
}

Test(options, usage_has_no_short_form_for_long_only_options)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	cr_assert_not_null(out);
	qs_options_usage(out, "prog [OPTION]...", table, N_TABLE);
	fclose(out);
	cr_assert(strstr(text, "  -c, --config") != NULL, "%s", text);
	cr_assert(strstr(text, "      --long-only") != NULL, "%s", text);
	cr_assert(strstr(text, "  -v, --verbose") != NULL, "%s", text);
	free(text);
}

/* getopt's optopt back to the name a message shows, long-only ones too. */
Test(options, name_of_val)
{
	cr_assert_str_eq(qs_options_name(table, N_TABLE, 'c'), "config");
	cr_assert_str_eq(qs_options_name(table, N_TABLE, OPT_LONG_ONLY), "long-only");
	cr_assert_str_eq(qs_options_name(table, N_TABLE, 'x'), "?");
}
