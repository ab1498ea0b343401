/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the configuration fuzzers (fuzz_config.c, fuzz_control.c) check of
 * every configuration that parses: qs_config_write's promise that its text
 * reads back to an equal configuration (qs_config_diff finds nothing) and is
 * written again byte for byte. Aborts, after saying what differed, if not.
 */
#ifndef QS_FUZZ_CONFIG_ROUNDTRIP_H
#define QS_FUZZ_CONFIG_ROUNDTRIP_H

#include <stddef.h>
#include "config/config.h"

/* abort() with a message on stderr unless cond. */
void fuzz_check(int cond, const char *what);

/* The text qs_config_write makes of cfg, NUL-terminated (the caller frees it). */
char *config_text(const struct qs_config *cfg, size_t *len);

/*
 * cfg parsed with flags (QS_CONFIG_F_*) from some text: written, read back
 * (to an equal configuration, when it was checked), written again.
 */
void config_roundtrip(const struct qs_config *cfg, unsigned int flags);

/* A failed parse's error: a message, a line and column within the text. */
void config_error_check(const struct qs_config_error *err, const char *text, size_t len);

#endif /* QS_FUZZ_CONFIG_ROUNDTRIP_H */
