// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config_roundtrip.h"

void fuzz_check(int cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

char *config_text(const struct qs_config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	int err;

	fuzz_check(f != NULL, "open_memstream");
	err = qs_config_write(f, cfg);
	fuzz_check(!fclose(f), "fclose of a memstream");
	if (err) {
		fprintf(stderr, "fuzz: qs_config_write: %s\n", strerror(-err));
		abort();
	}
	return text;
}

void config_roundtrip(const struct qs_config *cfg, unsigned int flags)
{
	struct qs_config_diff diff = { 0 };
	struct qs_config_error err;
	struct qs_config *again = NULL;
	size_t len, len2;
	char *text = config_text(cfg, &len), *text2;
	int r = qs_config_parse_buf("written", text, len, flags, &again, &err);

	if (r) {
		fprintf(stderr,
			"fuzz: the written configuration does not parse: %s:%u:%u: %s\n"
			"--- written:\n%s---\n",
			err.file, err.line, err.column, err.msg, text);
		abort();
	}
	/* the diff matches objects by name: only a checked configuration's are unique */
	fuzz_check(flags & QS_CONFIG_F_NO_CHECK || !qs_config_diff(cfg, again, &diff),
		   "qs_config_diff");
	if (diff.n || diff.settings_changed) {
		fprintf(stderr, "fuzz: read back, %zu objects differ%s\n--- written:\n%s---\n",
			diff.n, diff.settings_changed ? " and the settings" : "", text);
		abort();
	}
	qs_config_diff_free(&diff);
	text2 = config_text(again, &len2);
	if (len != len2 || memcmp(text, text2, len)) {
		fprintf(stderr,
			"fuzz: written twice, two texts\n--- first:\n%s--- second:\n%s---\n", text,
			text2);
		abort();
	}
	free(text2);
	free(text);
	qs_config_free(again);
}

void config_error_check(const struct qs_config_error *err, const char *text, size_t len)
{
	size_t start = 0, line_len = 0;
	unsigned int lines = 1;

	for (size_t i = 0; i < len; i++) {
		if (lines == err->line && text[i] != '\n')
			line_len = i + 1 - start;
		if (text[i] == '\n' && lines++ < err->line)
			start = i + 1;
	}
	fuzz_check(memchr(err->msg, 0, sizeof(err->msg)) && err->msg[0],
		   "an error without a message");
	fuzz_check(memchr(err->file, 0, sizeof(err->file)) != NULL, "an error's file unterminated");
	fuzz_check(err->line <= lines, "an error on a line past the text");
	fuzz_check(!err->line || err->column <= line_len + 1, "an error's column past its line");
}
