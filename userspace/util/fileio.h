/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef QS_FILEIO_H
#define QS_FILEIO_H

#include <stdio.h>

/*
 * Writes path through write(out, ctx) into path.tmp, then renames it over
 * path, so a reader never sees half a file. 0 or -errno; on failure the
 * temporary file is removed and path is left as it was.
 */
int qs_file_replace(const char *path, void (*write)(FILE *out, void *ctx), void *ctx);

#endif /* QS_FILEIO_H */
