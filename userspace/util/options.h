/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Command-line options declared once: getopt_long's tables and the --help
 * text both come from one table of these.
 */
#ifndef QS_OPTIONS_H
#define QS_OPTIONS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct qs_option {
	struct option opt; /* opt.val: the short option; 256 and over: none (long only) */
	const char *arg; /* the argument's name in --help; NULL: none */
	const char *help;
};

/* Fills longopts[n + 1] (zero-terminated) and shortopts[2 * n + 1]. */
void qs_options_getopt(const struct qs_option *t, size_t n, struct option *longopts,
		       char *shortopts);
/* One aligned line per option: "  -c, --name ARG  help". */
void qs_options_list(FILE *out, const struct qs_option *t, size_t n);
/* The long name of the option whose opt.val is val (getopt's optopt); "?". */
const char *qs_options_name(const struct qs_option *t, size_t n, int val);
/* "usage: SYNOPSIS", then qs_options_list. */
void qs_options_usage(FILE *out, const char *synopsis, const struct qs_option *t, size_t n);

#endif /* QS_OPTIONS_H */
