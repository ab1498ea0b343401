// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the configuration language (userspace/config): the
 * input is a configuration file's bytes, parsed as the agent reads a file
 * (qs_config_parse_buf, with the check) and as the CLI reads one command's
 * line (QS_CONFIG_F_NO_CHECK). Checked:
 *   - a parse that fails says why, on a line and column of the text;
 *   - a checked parse that succeeds succeeds unchecked too, and passes
 *     qs_config_check again;
 *   - whatever parses is written (qs_config_write), read back to an equal
 *     configuration, and written again to the same text (config_roundtrip.c);
 *   - a configuration diffed against itself differs in nothing.
 * The parser, the check, the writer and the diff are built from source with
 * AddressSanitizer and UBSan.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "config_roundtrip.h"

static struct qs_config *parse(const uint8_t *data, size_t size, unsigned int flags)
{
	struct qs_config_error err;
	struct qs_config *cfg = (void *)1;
	char buf[1200];
	int r = qs_config_parse_buf("fuzz.conf", (const char *)data, size, flags, &cfg, &err);

	fuzz_check(r == 0 || r == -EINVAL, "qs_config_parse_buf: neither 0 nor -EINVAL");
	fuzz_check(!r == (cfg != NULL), "a configuration returned with an error, or none without");
	if (r) {
		config_error_check(&err, (const char *)data, size);
		qs_config_error_str(&err, buf, sizeof(buf));
	}
	return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qs_config *checked = parse(data, size, 0);
	struct qs_config *unchecked = parse(data, size, QS_CONFIG_F_NO_CHECK);
	struct qs_config_diff diff = { 0 };

	fuzz_check(!checked || unchecked, "checked parses, unchecked does not");
	if (checked) {
		fuzz_check(qs_config_check(checked, NULL) == 0,
			   "a checked configuration fails the check");
		config_roundtrip(checked, 0);
		fuzz_check(!qs_config_diff(checked, checked, &diff) && !diff.n &&
				   !diff.settings_changed,
			   "a configuration differs from itself");
		qs_config_diff_free(&diff);
	}
	if (unchecked)
		config_roundtrip(unchecked, QS_CONFIG_F_NO_CHECK);
	qs_config_free(checked);
	qs_config_free(unchecked);
	return 0;
}
