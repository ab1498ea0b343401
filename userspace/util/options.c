// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>
#include "options.h"

void qs_options_getopt(const struct qs_option *t, size_t n, struct option *longopts,
		       char *shortopts)
{
	char *p = shortopts;

	for (size_t i = 0; i < n; i++) {
		longopts[i] = t[i].opt;
		/* a val outside the characters is a long-only option */
		if (t[i].opt.val <= 0 || t[i].opt.val > 255)
			continue;
		*p++ = t[i].opt.val;
		if (t[i].opt.has_arg)
			*p++ = ':';
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	*p = 0;
}

void qs_options_list(FILE *out, const struct qs_option *t, size_t n)
{
	int name_w = 0, arg_w = 0;

	for (size_t i = 0; i < n; i++) {
		int nl = strlen(t[i].opt.name), al = t[i].arg ? strlen(t[i].arg) : 0;

		name_w = nl > name_w ? nl : name_w;
		arg_w = al > arg_w ? al : arg_w;
	}
	for (size_t i = 0; i < n; i++) {
		int val = t[i].opt.val;

		if (val > 0 && val <= 255)
			fprintf(out, "  -%c, ", val);
		else
			fputs("      ", out);
		fprintf(out, "--%-*s %-*s %s\n", name_w, t[i].opt.name, arg_w,
			t[i].arg ? t[i].arg : "", t[i].help);
	}
}

const char *qs_options_name(const struct qs_option *t, size_t n, int val)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].opt.val == val)
			return t[i].opt.name;
	return "?";
}

void qs_options_usage(FILE *out, const char *synopsis, const struct qs_option *t, size_t n)
{
	fprintf(out, "usage: %s\n", synopsis);
	qs_options_list(out, t, n);
}
